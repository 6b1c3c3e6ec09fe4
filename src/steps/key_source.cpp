#include "steps/key_source.h"

#include <ctime>

#include "crypto/jwk.h"
#include "crypto/keys.h"

namespace rotator::steps {
namespace {

std::chrono::microseconds thread_cpu_time() {
  timespec now{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return std::chrono::seconds(now.tv_sec) +
         std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::nanoseconds(now.tv_nsec));
}

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
    if (const auto it = slots_.find(slot); it != slots_.end()) handle = share(*it->second.key);
  }
  if (!handle) {
    // Generated outside the mutex: namespaces of a fleet generate in parallel.
    const auto cpu_before = thread_cpu_time();
    crypto::PkeyHandle fresh = generate(algorithm, rsa_bits);
    const auto cpu = thread_cpu_time() - cpu_before;
    std::lock_guard guard(mutex_);
    ++stats_.keys;
    stats_.cpu += cpu;
    auto& kept = slots_[slot];
    if (!kept.key) kept = {std::move(fresh), cpu};
    handle = share(*kept.key);
  }
  formats::SigningKey key;
  key.description = crypto::describe_key(*handle);
  key.kid = crypto::key_thumbprint(*handle);
  key.private_key = std::move(handle);
  return key;
}

KeySource::Stats KeySource::stats() const {
  std::lock_guard guard(mutex_);
  return stats_;
}

std::chrono::microseconds KeySource::generation_cpu(const std::string& slot) const {
  std::lock_guard guard(mutex_);
  const auto it = slots_.find(slot);
  return it == slots_.end() ? std::chrono::microseconds(0) : it->second.cpu;
}

formats::SigningKey KeySource::key_like(const std::string& slot, const formats::SigningKey& model) {
  const auto algorithm = model.description.algorithm;
  return key(slot, algorithm,
             algorithm == crypto::Algorithm::rs256 ? std::optional<int>(model.description.bits) : std::nullopt);
}

}  // namespace rotator::steps
