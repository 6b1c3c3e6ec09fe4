#include "formats/registry.h"

#include <algorithm>
#include <array>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "formats/strict_json.h"
#include "util/errors.h"
#include "util/json_fields.h"
#include "util/terminal_text.h"

namespace rotator::formats {
namespace {

using Json = nlohmann::json;

// The fields rotator writes. Anything else would be dropped by the next write,
// so a registry holding another field is refused rather than silently trimmed.
constexpr std::array<std::string_view, 3> registry_fields = {"schemaVersion", "kind", "tokens"};
constexpr std::array<std::string_view, 10> record_fields = {"id",         "description",   "permissions", "created_at",
                                                            "expires_at", "revoked_at",    "created_by",  "prefix",
                                                            "sha512",     "renewal_secret"};

Json time_or_null(const std::optional<util::TimePoint>& t) {
  return t ? Json(util::format_rfc3339(*t)) : Json(nullptr);
}

[[noreturn]] void corrupt(const std::string& what) {
  throw InvalidDataError("the token registry cannot be read: " + what +
                         " (rotator will not overwrite it; --force starts an empty registry)");
}

template <std::size_t N>
void refuse_unknown_fields(const Json& object, const std::array<std::string_view, N>& known, const std::string& where) {
  for (const auto& [key, value] : object.items()) {
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      corrupt(where + " has a field rotator does not know (\"" + util::escape_for_terminal(key.substr(0, 40)) +
              "\"; written by a newer rotator?)");
    }
  }
}

std::string record_name(std::size_t index) {
  return "record " + std::to_string(index);
}

std::string required_string(const Json& object, const char* key, std::size_t index) {
  const auto it = object.find(key);
  if (it == object.end() || !it->is_string()) corrupt(record_name(index) + " has no string \"" + key + "\"");
  return it->get<std::string>();
}

std::string optional_string(const Json& object, const char* key, std::size_t index) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return {};
  if (!it->is_string()) corrupt(record_name(index) + " has a non-string \"" + key + "\"");
  return it->get<std::string>();
}

std::optional<util::TimePoint> optional_time(const Json& object, const char* key, std::size_t index) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return std::nullopt;
  if (!it->is_string()) corrupt(record_name(index) + " has a non-string \"" + key + "\"");
  auto parsed = util::parse_rfc3339(it->get_ref<const std::string&>());
  if (!parsed) corrupt(record_name(index) + " has a malformed time in \"" + key + "\"");
  return parsed;
}

bool is_hex_hash(std::string_view text) {
  if (text.size() != 128) return false;
  return std::all_of(text.begin(), text.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

/// The name schemaVersion `version` gives the resource of a permission.
const char* resource_field(int version) {
  return version >= 2 ? "resource" : "database";
}

Permission permission_from_json(const Json& p, int version, std::size_t index) {
  const char* resource_key = resource_field(version);
  const std::string where = record_name(index) + " has a malformed permission";
  if (!p.is_object() || p.size() != 2 || !p.contains("action") || !p.contains(resource_key)) {
    corrupt(where + " (schemaVersion " + std::to_string(version) + " permissions are {\"action\",\"" + resource_key +
            "\"})");
  }
  const Json& action = p["action"];
  const Json& resource = p[resource_key];
  if (!action.is_string() || (action != "read" && action != "write")) {
    corrupt(where + " (the action is not \"read\" or \"write\")");
  }
  if (!resource.is_string() || resource.get_ref<const std::string&>().empty()) {
    corrupt(where + " (the " + resource_key + " is not a non-empty string)");
  }
  return {action.get<std::string>(), resource.get<std::string>()};
}

Json record_to_json(const TokenRecord& r) {
  Json permissions = Json::array();
  for (const auto& p : r.permissions) permissions.push_back({{"action", p.action}, {"resource", p.resource}});
  Json out = {{"id", r.id},
              {"description", r.description},
              {"permissions", permissions},
              {"created_at", util::format_rfc3339(r.created_at)},
              {"expires_at", time_or_null(r.expires_at)},
              {"revoked_at", time_or_null(r.revoked_at)},
              {"created_by", r.created_by},
              {"prefix", r.prefix},
              {"sha512", r.sha512}};
  if (!r.renewal_secret.empty()) out["renewal_secret"] = r.renewal_secret;
  return out;
}

TokenRecord record_from_json(const Json& j, int version, std::size_t index) {
  if (!j.is_object()) corrupt(record_name(index) + " is not an object");
  refuse_unknown_fields(j, record_fields, record_name(index));
  TokenRecord r;
  r.id = required_string(j, "id", index);
  if (r.id.empty()) corrupt(record_name(index) + " has an empty id");
  r.description = required_string(j, "description", index);
  r.prefix = required_string(j, "prefix", index);
  r.sha512 = required_string(j, "sha512", index);
  if (!is_hex_hash(r.sha512)) corrupt(record_name(index) + " has a malformed sha512");
  const auto created = optional_time(j, "created_at", index);
  if (!created) corrupt(record_name(index) + " has no created_at");
  r.created_at = *created;
  r.expires_at = optional_time(j, "expires_at", index);
  r.revoked_at = optional_time(j, "revoked_at", index);
  r.created_by = optional_string(j, "created_by", index);
  r.renewal_secret = optional_string(j, "renewal_secret", index);
  if (const auto it = j.find("permissions"); it != j.end() && !it->is_null()) {
    if (!it->is_array()) corrupt(record_name(index) + " has permissions that are not a list");
    for (const auto& p : *it) r.permissions.push_back(permission_from_json(p, version, index));
  }
  return r;
}

/// A token must match one record and an id name one: a second record with the
/// same hash (planted, or copied by hand) would be a second opinion about
/// whether the token is revoked.
void refuse_duplicates(const std::vector<TokenRecord>& records) {
  std::unordered_map<std::string_view, std::size_t> ids, hashes;
  for (std::size_t i = 0; i < records.size(); ++i) {
    if (const auto [it, fresh] = ids.emplace(records[i].id, i); !fresh) {
      corrupt(record_name(it->second) + " and " + record_name(i) + " have the same id");
    }
    if (const auto [it, fresh] = hashes.emplace(records[i].sha512, i); !fresh) {
      corrupt(record_name(it->second) + " and " + record_name(i) +
              " have the same sha512 (one token, two records: which one says whether it is revoked?)");
    }
  }
}

}  // namespace

TokenState state_at(const TokenRecord& record, util::TimePoint now) {
  if (record.revoked_at) return TokenState::revoked;
  if (record.expires_at && *record.expires_at <= now) return TokenState::expired;
  return TokenState::active;
}

std::string_view state_name(TokenState state) {
  switch (state) {
    case TokenState::active: return "active";
    case TokenState::expired: return "expired";
    case TokenState::revoked: return "revoked";
  }
  return "active";
}

std::string serialize_registry(const Registry& registry) {
  Json tokens = Json::array();
  for (const auto& r : registry.records) tokens.push_back(record_to_json(r));
  const Json out = {
      {"schemaVersion", registry_schema_version}, {"kind", std::string(kind_name(registry.kind))}, {"tokens", tokens}};
  return out.dump();
}

Registry parse_registry(std::string_view text, TokenKind expected_kind) {
  StrictJsonProblem problem;
  const auto parsed = parse_strict_json(text, problem);
  if (!parsed) corrupt("it is " + problem.what);
  const Json& j = *parsed;
  if (!j.is_object()) corrupt("it is not a JSON object");
  refuse_unknown_fields(j, registry_fields, "it");
  const auto version = j.find("schemaVersion");
  if (version == j.end() || !version->is_number_integer()) corrupt("it has no schemaVersion");
  // Compared at full width: a huge number must not wrap into a known version.
  const long long stored =
      version->is_number_unsigned() && version->get<unsigned long long>() > 1000 ? 1000 : version->get<long long>();
  if (stored < oldest_readable_schema_version || stored > registry_schema_version) {
    corrupt("schemaVersion " + version->dump() + " is not one rotator reads (" +
            std::to_string(oldest_readable_schema_version) + " to " + std::to_string(registry_schema_version) +
            "; written by a newer rotator?)");
  }
  if (util::string_member(j, "kind") != kind_name(expected_kind)) {
    corrupt("it holds \"" + util::escape_for_terminal(util::string_member(j, "kind").substr(0, 40)) +
            "\" tokens, not " + std::string(kind_name(expected_kind)) + " tokens");
  }
  const auto tokens = j.find("tokens");
  if (tokens == j.end() || !tokens->is_array()) corrupt("it has no token list");
  Registry registry;
  registry.kind = expected_kind;
  registry.read_schema_version = static_cast<int>(stored);
  registry.records.reserve(tokens->size());
  for (std::size_t i = 0; i < tokens->size(); ++i) {
    registry.records.push_back(record_from_json((*tokens)[i], registry.read_schema_version, i));
  }
  refuse_duplicates(registry.records);
  return registry;
}

const TokenRecord* find_by_id(const Registry& registry, std::string_view id) {
  for (const auto& r : registry.records) {
    if (r.id == id) return &r;
  }
  return nullptr;
}

IdMatch resolve_id(const Registry& registry, std::string_view given) {
  IdMatch match;
  if (const auto* exact = find_by_id(registry, given)) {
    match.outcome = IdMatch::Outcome::found;
    match.id = exact->id;
    return match;
  }
  if (given.size() < min_id_prefix) {
    match.outcome = IdMatch::Outcome::too_short;
    return match;
  }
  for (const auto& r : registry.records) {
    if (r.id.starts_with(given)) {
      ++match.candidates;
      match.id = r.id;
    }
  }
  if (match.candidates == 1) {
    match.outcome = IdMatch::Outcome::found;
  } else if (match.candidates > 1) {
    match.outcome = IdMatch::Outcome::ambiguous;
    match.id.clear();
  }
  return match;
}

const TokenRecord* find_by_hash(const Registry& registry, std::string_view sha512_hex) {
  // Every record is compared, so the time taken does not tell which one matched.
  const TokenRecord* found = nullptr;
  std::size_t matches = 0;
  for (const auto& r : registry.records) {
    if (hashes_equal(r.sha512, sha512_hex)) {
      ++matches;
      if (found == nullptr) found = &r;
    }
  }
  if (matches > 1) {
    throw InvalidDataError("the token registry holds " + std::to_string(matches) +
                           " records for one token; refusing to choose one (repair it by hand)");
  }
  return found;
}

void validate_description(std::string_view description) {
  if (description.find_first_not_of(" \t") == std::string_view::npos) {
    throw UsageError("the description must not be empty");
  }
  if (description.size() > max_description_bytes) {
    throw UsageError("the description is " + std::to_string(description.size()) + " bytes; at most " +
                     std::to_string(max_description_bytes) + " are allowed");
  }
  if (!util::is_valid_utf8(description)) throw UsageError("the description is not valid UTF-8");
  for (unsigned char c : description) {
    if (c < 0x20 || c == 0x7f) throw UsageError("the description must not contain control characters");
  }
}

std::vector<RevokeResult> revoke_ids(Registry& registry, const std::vector<std::string>& ids, util::TimePoint now) {
  std::vector<RevokeResult> results;
  for (const auto& id : ids) {
    RevokeResult result;
    result.id = id;
    for (auto& r : registry.records) {
      if (r.id != id) continue;
      result.description = r.description;
      if (r.revoked_at) {
        result.outcome = RevokeOutcome::already_revoked;
      } else {
        r.revoked_at = to_seconds(now);
        result.outcome = RevokeOutcome::revoked;
      }
      result.revoked_at = r.revoked_at;
    }
    results.push_back(result);
  }
  return results;
}

bool any_revoked(const std::vector<RevokeResult>& results) {
  return std::any_of(results.begin(), results.end(),
                     [](const RevokeResult& r) { return r.outcome == RevokeOutcome::revoked; });
}

util::TimePoint to_seconds(util::TimePoint t) {
  return std::chrono::time_point_cast<std::chrono::seconds>(t);
}

}  // namespace rotator::formats
