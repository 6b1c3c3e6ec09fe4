// jwks.json as verifiers read it from the rsa-keys Secret: parse_jwk_set with
// every check, and each key found by kid as the key ring looks it up.
#include "crypto/jwk.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  rotator::fuzz::rejects_only_with_rotator_errors([&] {
    const auto keys = rotator::crypto::parse_jwk_set(rotator::fuzz::as_text(data, size));
    for (const auto& key : keys) {
      if (key.contains("kid")) rotator::crypto::find_jwk(keys, key["kid"].get<std::string>());
    }
  });
  return 0;
}
