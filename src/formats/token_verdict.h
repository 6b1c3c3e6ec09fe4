#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "formats/registry.h"
#include "util/time.h"

namespace rotator::formats {

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

/// Pure check of `token` (already known to be of registry.kind) against a registry:
/// hashes it and looks the hash up in constant time per record.
TokenVerification verify_against_registry(const Registry& registry, std::string_view token, util::TimePoint now);

}  // namespace rotator::formats
