#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "crypto/algorithm.h"
#include "crypto/openssl_handles.h"
#include "formats/key_ring.h"

namespace rotator::steps {

/// Where steps get new signing keys. A decision is made more than once (before the
/// lock and again under it, again after a conflict): each key has a slot name, and
/// a slot yields the same key every time, so deciding again never generates again.
/// Thread-safe: one source serves every namespace of a fleet.
class KeySource {
 public:
  virtual ~KeySource() = default;

  /// The key of `slot`, generated on first use.
  formats::SigningKey key(const std::string& slot, crypto::Algorithm algorithm, std::optional<int> rsa_bits);
  /// The key of `slot`, of the same algorithm and size as `model`.
  formats::SigningKey key_like(const std::string& slot, const formats::SigningKey& model);

  /// Keys generated so far and the CPU time their generation took (each on the
  /// thread that generated it): what --stats reports, and the work a fleet's
  /// floor is measured against (RSA generation time is a random prime search,
  /// so the work of this run's keys, not an average, is its floor).
  struct Stats {
    std::size_t keys = 0;
    std::chrono::microseconds cpu{0};
  };
  Stats stats() const;
  /// The CPU time generating `slot`'s key took in this process; 0 if it was not
  /// generated here. (The incident's "revocation in force" line reports it: the
  /// key generation the revocation waited for.)
  std::chrono::microseconds generation_cpu(const std::string& slot) const;

 protected:
  /// Makes a new private key; tests substitute a faster or counting one.
  virtual crypto::PkeyHandle generate(crypto::Algorithm algorithm, std::optional<int> rsa_bits);

 private:
  mutable std::mutex mutex_;
  struct Slot {
    crypto::PkeyHandle key;
    std::chrono::microseconds cpu{0};  ///< its generation's
  };
  std::map<std::string, Slot> slots_;
  Stats stats_;
};

}  // namespace rotator::steps
