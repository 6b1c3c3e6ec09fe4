#pragma once

// Helpers shared by the unit tests: fast keys, Secrets as rotator writes them,
// snapshots of what a step would read, a scratch directory and a file reader.

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "crypto/pem.h"
#include "formats/key_ring.h"
#include "frame/snapshot.h"
#include "kube/objects.h"
#include "steps/key_source.h"
#include "util/time.h"

namespace rotator::testing {

/// 2026-01-01T00:00:00Z: every table starts its clock here.
inline const util::TimePoint t0 = *util::parse_rfc3339("2026-01-01T00:00:00Z");

/// A key source that always makes ES256 keys (fast; the ring logic does not
/// depend on the algorithm) and counts what it generated.
class FastKeys : public steps::KeySource {
 public:
  int generated = 0;

 protected:
  crypto::PkeyHandle generate(crypto::Algorithm algorithm, std::optional<int> rsa_bits) override;
};

/// A fresh ES256 key with its kid.
formats::SigningKey es256_key();

/// A complete ring: current, staged next, created at t0.
formats::KeyRing fresh_ring();

/// The Secret rotator would write for `ring`, as the API server returns it
/// (namespace ns, a resourceVersion).
kube::Secret secret_of(const formats::KeyRing& ring, const std::string& name = "rsa-keys");

/// The PEM of cached RSA-2048 key number `which` (0-2, each generated once per
/// process: RSA generation is slow) in `form`: for tests of PKCS#1 and PKCS#8.
std::string rsa_pem(int which, crypto::PrivateKeyForm form);

/// An rsa-keys Secret with only private.pem and public.pem, as an installation
/// rotator takes over may hold it (namespace ns, a resourceVersion).
kube::Secret bare_key_secret(const std::string& private_pem);

/// A Secret holding `data` under the admin token's key.
kube::Secret token_secret(const std::string& data);

/// A snapshot of namespace "ns" holding these Secrets (nullopt: absent).
frame::Snapshot snapshot_of(const std::map<std::string, std::optional<kube::Secret>>& secrets);

/// A directory of its own, removed with everything in it.
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  /// The path of `name` in it, as a string (for command lines).
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  /// Writes `content` to `name`; returns its path.
  std::string write(const std::string& name, std::string_view content) const;
  /// The content of `name` ("" when it cannot be read).
  std::string read(const std::string& name) const;

 private:
  std::filesystem::path path_;
};

/// The whole content of a file ("" when it cannot be read).
std::string read_file(const std::filesystem::path& path);

}  // namespace rotator::testing
