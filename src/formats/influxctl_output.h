#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "crypto/secret.h"
#include "formats/registry.h"
#include "util/time.h"

namespace rotator::formats {

// Output of the management and database token commands as influxctl prints it
// (../shared/influxctl.md; the documented examples are kept as fixtures in
// tests/data/influxctl/). Pure: records in, JSON or text out; the caller prints.
//
// Rule: influxctl's fields keep influxctl's names and types; rotator's own extra
// fields are added under names influxctl does not use (prefix, status,
// renewal_secret, created_by for database tokens), never instead of them.
// Fields rotator has no value for (account_id, cluster_id) and unset times are
// left out, as influxctl leaves unset fields out.

/// JSON with members in insertion order, so output follows influxctl's field order.
using OrderedJson = nlohmann::ordered_json;

/// A time as influxctl's JSON prints a protobuf Timestamp: {"seconds": N,
/// "nanos": N}, where a zero "nanos" is left out as influxctl leaves it out
/// (its documented expires_at is {"seconds": 1719491696}). Registry times are
/// whole seconds, so rotator's output has "seconds" only.
OrderedJson protobuf_timestamp(util::TimePoint t);

/// One management token as `influxctl management list --format json` prints it:
/// id, token_prefix, expires_at, revoked_at, created_at, description, created_by;
/// then rotator's prefix (same as token_prefix), status ("active", "expired",
/// "revoked" at `now`) and renewal_secret (when set).
OrderedJson management_token_json(const TokenRecord& record, util::TimePoint now);

/// One database token as `influxctl token list --format json` prints it: id,
/// description, permissions ([{"action","resource"}], the Management API's
/// names), created_at, expires_at, revoked_at (protobuf timestamps, as in
/// management lists); then rotator's token_prefix, prefix, created_by, status.
OrderedJson database_token_json(const TokenRecord& record, util::TimePoint now);

/// management_token_json or database_token_json, by kind.
OrderedJson token_json(TokenKind kind, const TokenRecord& record, util::TimePoint now);

/// A JSON array of token_json, in the given order (`list --format json`).
OrderedJson token_list_json(TokenKind kind, const std::vector<TokenRecord>& records, util::TimePoint now);

/// `create --format json`: token_json plus "token", the token string (the only
/// time it is shown). Wiped when the returned text is destroyed.
crypto::SecretString created_token_json_text(TokenKind kind, const TokenRecord& record, std::string_view token,
                                             util::TimePoint now);

/// What influxctl shows for an unset time in a list table: the zero protobuf
/// timestamp (documented for EXPIRES AT of a token without expiry).
inline constexpr std::string_view unset_time_in_list = "1970-01-01T00:00:00Z";

/// `management list` as a table: ID, DESCRIPTION, PREFIX, CREATED AT, EXPIRES AT,
/// REVOKED AT, bordered as influxctl draws it. Unset times show
/// unset_time_in_list. Descriptions go through display_text().
std::string management_list_table(const std::vector<TokenRecord>& records);

/// `token list` and `token get` as a table: influxctl's ID, DESCRIPTION, then
/// rotator's PREFIX, PERMISSIONS ("read:db1,write:*"), CREATED AT, EXPIRES AT,
/// REVOKED AT ("-" when unset: these columns are rotator's own).
std::string database_list_table(const std::vector<TokenRecord>& records);

/// "read:db1,write:*": permissions in one cell.
std::string permissions_text(const std::vector<Permission>& permissions);

/// The two lines influxctl 2.11 prints between the table and the token.
inline constexpr std::string_view copy_token_warning = "warn\tplease copy the token and store in a safe place";
inline constexpr std::string_view only_time_warning = "warn\tthis is the *only time* you will see the token";

/// `create` in table form, as influxctl 2.11 prints it for management and
/// database tokens: a key/value table (id, description, expires at, revoked at;
/// unset times blank), the two warning lines, then the token on a line of its
/// own. All of it goes to stdout, as influxctl shows it; the last line is the
/// token. Wiped when the returned text is destroyed.
crypto::SecretString created_token_text(const TokenRecord& record, std::string_view token);

/// A bordered table as influxctl (go-pretty's default style) draws it:
///   +----+-------------+
///   | ID | DESCRIPTION |
///   +----+-------------+
///   | 1  | first       |
///   +----+-------------+
/// Cells are printed as given: pass them through display_text() first.
std::string bordered_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows);

}  // namespace rotator::formats
