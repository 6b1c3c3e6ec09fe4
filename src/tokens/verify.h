#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "kube/client.h"
#include "tokens/format_names.h"
#include "util/time.h"

namespace rotator::tokens {

/// The outcome of checking a management or database token against its registry.
struct TokenVerification {
  enum class Status { valid, unknown, revoked, expired };
  TokenKind kind = TokenKind::management;
  Status status = Status::unknown;
  std::string id;  ///< empty when unknown
  std::string description;
  std::optional<util::TimePoint> expires_at;
  std::optional<util::TimePoint> revoked_at;

  bool valid() const { return status == Status::valid; }
  /// "valid", "unknown (no such token in the registry)", "revoked at ...", "expired at ...".
  std::string reason() const;
};

/// "valid", "unknown", "revoked" or "expired".
std::string_view status_name(TokenVerification::Status status);

/// Registry Secret names, when they are not the defaults.
struct RegistryNames {
  std::string management{default_registry_secret(TokenKind::management)};
  std::string database{default_registry_secret(TokenKind::database)};
};

/// Pure check of `token` (already known to be of registry.kind) against a registry:
/// hashes it and looks the hash up in constant time per record.
TokenVerification verify_against_registry(const Registry& registry, std::string_view token,
                                          util::TimePoint now);

/// nullopt when `token` is not a management or database token (e.g. an admin JWT);
/// otherwise reads that kind's registry Secret in `ns` (a missing Secret means
/// unknown) and says which kind, which id, and valid or why not. Throws
/// InvalidDataError when the registry cannot be read, kube::ApiError on API failures.
/// Never logs or reports the token.
std::optional<TokenVerification> verify_registry_token(kube::Client& client, const std::string& ns,
                                                       std::string_view token, util::TimePoint now,
                                                       const RegistryNames& names = {});

}  // namespace rotator::tokens
