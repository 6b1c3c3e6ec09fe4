// JWTs as rotator reads them from token files: decoded without trust, then
// verified against one key of each supported type (a bad token never throws;
// only a structurally broken one may be rejected by decode).
#include <array>

#include "crypto/jwt.h"
#include "crypto/keys.h"
#include "fuzz_support.h"

namespace {

const std::array<rotator::crypto::KeyPair, 3>& verification_keys() {
  using rotator::crypto::Algorithm;
  static const std::array<rotator::crypto::KeyPair, 3> keys = {rotator::crypto::generate_key(Algorithm::rs256, 2048),
                                                               rotator::crypto::generate_key(Algorithm::es256),
                                                               rotator::crypto::generate_key(Algorithm::eddsa)};
  return keys;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto token = rotator::fuzz::as_text(data, size);
  rotator::fuzz::rejects_only_with_rotator_errors([&] { rotator::crypto::decode_jwt_unverified(token); });
  const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000));
  for (const auto& key : verification_keys()) {
    rotator::crypto::JwtVerifyOptions options;
    options.expected_kid = "fuzz";
    rotator::crypto::verify_jwt(token, *key.private_key, now, options);
  }
  return 0;
}
