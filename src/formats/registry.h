#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "formats/token_string.h"
#include "util/time.h"

namespace rotator::formats {

/// One database permission, named as the Management API names it: "read" or
/// "write" on a resource, which is a database name or "*" (all databases).
struct Permission {
  std::string action;    ///< "read" or "write"
  std::string resource;  ///< a database name, or "*"
  bool operator==(const Permission&) const = default;
};

/// What the registry keeps about one token. Never the token itself: only its hash.
struct TokenRecord {
  std::string id;           ///< UUIDv4
  std::string description;  ///< as given; may hold anything a hand edit put there: print it with display_text()
  std::vector<Permission> permissions;  ///< empty for management tokens
  util::TimePoint created_at;
  std::optional<util::TimePoint> expires_at;  ///< nullopt: never expires
  std::optional<util::TimePoint> revoked_at;  ///< set once, never cleared
  std::string created_by;                     ///< identity that ran the command, if known
  std::string prefix;                         ///< short display prefix ("M.V1.+5Jk"), influxctl's token_prefix
  std::string sha512;                         ///< SHA-512 of the token, 128 hex digits
  std::string renewal_secret;                 ///< Secret `management renew` keeps it in; empty otherwise
  bool operator==(const TokenRecord&) const = default;
};

/// Where a token stands at a given moment.
enum class TokenState { active, expired, revoked };
TokenState state_at(const TokenRecord& record, util::TimePoint now);
std::string_view state_name(TokenState state);

/// The registry JSON's "schemaVersion" that rotator writes. 2: permissions are
/// {"action","resource"} as the Management API names them. 1 (permissions
/// {"action","database"}) is still read, and rewritten as 2 on the next write.
/// A newer version is refused, never overwritten.
inline constexpr int registry_schema_version = 2;
inline constexpr int oldest_readable_schema_version = 1;

/// The registry of one kind: the decoded content of its Secret.
struct Registry {
  TokenKind kind = TokenKind::management;
  std::vector<TokenRecord> records;
  /// The schemaVersion it was read with (registry_schema_version for a new one):
  /// lower means the next write migrates it.
  int read_schema_version = registry_schema_version;
};

/// The Secret data key holding the registry JSON.
inline constexpr std::string_view registry_data_key = "tokens.json";
/// Kubernetes refuses a Secret whose data adds up to more than 1 MiB.
inline constexpr std::size_t max_secret_data_bytes = 1024 * 1024;
/// Longest description accepted, in bytes; keeps the capacity arithmetic honest.
inline constexpr std::size_t max_description_bytes = 512;

/// The registry as stored: compact JSON, schemaVersion 2, whatever version it was read with.
std::string serialize_registry(const Registry& registry);

/// Parses stored registry JSON of schemaVersion 1 or 2. Throws InvalidDataError
/// (exit 5) on anything it cannot read fully and unambiguously: bad JSON, a key
/// twice in one object (e.g. two "revoked_at"), another kind, a newer schema, a
/// malformed or unknown field (it would be lost on the next write), two records
/// with one id or one hash (a token must match one record, so a planted copy can
/// never make a revoked token verify again).
Registry parse_registry(std::string_view text, TokenKind expected_kind);

/// The record with this id, or null.
const TokenRecord* find_by_id(const Registry& registry, std::string_view id);

/// What an ID given on the command line names: a record's full id, or a prefix of
/// exactly one record's id (at least min_id_prefix characters, as `git` takes
/// short hashes), or nothing.
struct IdMatch {
  enum class Outcome { found, unknown, ambiguous, too_short };
  Outcome outcome = Outcome::unknown;
  std::string id;              ///< the full id, when found
  std::size_t candidates = 0;  ///< how many ids start with it, when ambiguous
};
inline constexpr std::size_t min_id_prefix = 4;
IdMatch resolve_id(const Registry& registry, std::string_view given);

/// The record whose hash equals `sha512_hex`, or null. Every record is compared
/// in constant time, so the time taken does not tell which one matched. Throws
/// InvalidDataError when two records match (never the case for a parsed registry).
const TokenRecord* find_by_hash(const Registry& registry, std::string_view sha512_hex);

/// Checks a new description: non-empty after trimming, at most
/// max_description_bytes, valid UTF-8, no control characters. Throws UsageError.
void validate_description(std::string_view description);

/// What revoking one id did.
enum class RevokeOutcome { revoked, already_revoked, not_found };
struct RevokeResult {
  std::string id;
  RevokeOutcome outcome = RevokeOutcome::not_found;
  std::optional<util::TimePoint> revoked_at;
  std::string description;
};

/// Marks the records with these ids revoked at `now` (records already revoked keep
/// their time). Pure: the caller writes the registry when anything changed.
std::vector<RevokeResult> revoke_ids(Registry& registry, const std::vector<std::string>& ids, util::TimePoint now);

/// True when any result changed the registry.
bool any_revoked(const std::vector<RevokeResult>& results);

/// Truncates to whole seconds, the precision the registry stores.
util::TimePoint to_seconds(util::TimePoint t);

}  // namespace rotator::formats
