#include "formats/token_verdict.h"

namespace rotator::formats {

std::string_view status_name(TokenVerification::Status status) {
  switch (status) {
    case TokenVerification::Status::valid: return "valid";
    case TokenVerification::Status::unknown: return "unknown";
    case TokenVerification::Status::revoked: return "revoked";
    case TokenVerification::Status::expired: return "expired";
  }
  return "unknown";
}

std::string TokenVerification::reason() const {
  switch (status) {
    case Status::valid:
      return expires_at ? "valid until " + util::format_rfc3339(*expires_at) : "valid (does not expire)";
    case Status::unknown: return "unknown (no such token in the registry)";
    case Status::revoked: return "revoked at " + (revoked_at ? util::format_rfc3339(*revoked_at) : "?");
    case Status::expired: return "expired at " + (expires_at ? util::format_rfc3339(*expires_at) : "?");
  }
  return "unknown";
}

TokenVerification verify_against_registry(const Registry& registry, std::string_view token, util::TimePoint now) {
  TokenVerification result;
  result.kind = registry.kind;
  const TokenRecord* record = find_by_hash(registry, token_hash(token));
  if (record == nullptr) return result;
  result.id = record->id;
  result.description = record->description;
  result.expires_at = record->expires_at;
  result.revoked_at = record->revoked_at;
  switch (state_at(*record, now)) {
    case TokenState::active: result.status = TokenVerification::Status::valid; break;
    case TokenState::expired: result.status = TokenVerification::Status::expired; break;
    case TokenState::revoked: result.status = TokenVerification::Status::revoked; break;
  }
  return result;
}

}  // namespace rotator::formats
