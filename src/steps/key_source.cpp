#include "steps/key_source.h"

#include "crypto/jwk.h"
#include "crypto/keys.h"

namespace rotator::steps {
namespace {

crypto::PkeyHandle share(const EVP_PKEY& key) {
  EVP_PKEY* raw = crypto::openssl_mutable(key);
  EVP_PKEY_up_ref(raw);
  return crypto::PkeyHandle(raw);
}

}  // namespace

crypto::PkeyHandle KeySource::generate(crypto::Algorithm algorithm, std::optional<int> rsa_bits) {
  return crypto::generate_key(algorithm, rsa_bits).private_key;
}

formats::SigningKey KeySource::key(const std::string& slot, crypto::Algorithm algorithm, std::optional<int> rsa_bits) {
  crypto::PkeyHandle handle;
  {
    std::lock_guard guard(mutex_);
    if (const auto it = slots_.find(slot); it != slots_.end()) handle = share(*it->second);
  }
  if (!handle) {
    // Generated outside the mutex: namespaces of a fleet generate in parallel.
    crypto::PkeyHandle fresh = generate(algorithm, rsa_bits);
    std::lock_guard guard(mutex_);
    auto& kept = slots_[slot];
    if (!kept) kept = std::move(fresh);
    handle = share(*kept);
  }
  formats::SigningKey key;
  key.description = crypto::describe_key(*handle);
  key.kid = crypto::key_thumbprint(*handle);
  key.private_key = std::move(handle);
  return key;
}

formats::SigningKey KeySource::key_like(const std::string& slot, const formats::SigningKey& model) {
  const auto algorithm = model.description.algorithm;
  return key(slot, algorithm,
             algorithm == crypto::Algorithm::rs256 ? std::optional<int>(model.description.bits) : std::nullopt);
}

}  // namespace rotator::steps
