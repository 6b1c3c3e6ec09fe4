#include "formats/registry.h"

#include <nlohmann/json.hpp>

#include "util/errors.h"
#include "util/json_fields.h"

namespace rotator::formats {
namespace {

using Json = nlohmann::json;

Json time_or_null(const std::optional<util::TimePoint>& t) {
  return t ? Json(util::format_rfc3339(*t)) : Json(nullptr);
}

[[noreturn]] void corrupt(const std::string& what) {
  throw InvalidDataError("the token registry cannot be read: " + what +
                         " (rotator will not overwrite it; --force starts an empty registry)");
}

std::string required_string(const Json& object, const char* key, std::size_t index) {
  const auto it = object.find(key);
  if (it == object.end() || !it->is_string()) {
    corrupt("record " + std::to_string(index) + " has no string \"" + key + "\"");
  }
  return it->get<std::string>();
}

std::optional<util::TimePoint> optional_time(const Json& object, const char* key, std::size_t index) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return std::nullopt;
  if (!it->is_string()) corrupt("record " + std::to_string(index) + " has a non-string \"" + key + "\"");
  auto parsed = util::parse_rfc3339(it->get_ref<const std::string&>());
  if (!parsed) corrupt("record " + std::to_string(index) + " has a malformed time in \"" + key + "\"");
  return parsed;
}

bool is_hex_hash(std::string_view text) {
  if (text.size() != 128) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

Json record_to_json(const TokenRecord& r) {
  Json permissions = Json::array();
  for (const auto& p : r.permissions) permissions.push_back({{"action", p.action}, {"database", p.database}});
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

TokenRecord record_from_json(const Json& j, std::size_t index) {
  if (!j.is_object()) corrupt("record " + std::to_string(index) + " is not an object");
  TokenRecord r;
  r.id = required_string(j, "id", index);
  r.description = required_string(j, "description", index);
  r.prefix = required_string(j, "prefix", index);
  r.sha512 = required_string(j, "sha512", index);
  if (!is_hex_hash(r.sha512)) corrupt("record " + r.id + " has a malformed sha512");
  const auto created = optional_time(j, "created_at", index);
  if (!created) corrupt("record " + r.id + " has no created_at");
  r.created_at = *created;
  r.expires_at = optional_time(j, "expires_at", index);
  r.revoked_at = optional_time(j, "revoked_at", index);
  if (const auto it = j.find("created_by"); it != j.end() && it->is_string()) r.created_by = *it;
  if (const auto it = j.find("renewal_secret"); it != j.end() && it->is_string()) r.renewal_secret = *it;
  if (const auto it = j.find("permissions"); it != j.end() && !it->is_null()) {
    if (!it->is_array()) corrupt("record " + r.id + " has permissions that are not a list");
    for (const auto& p : *it) {
      if (!p.is_object() || !p.contains("action") || !p.contains("database") ||
          !p["action"].is_string() || !p["database"].is_string()) {
        corrupt("record " + r.id + " has a malformed permission");
      }
      r.permissions.push_back({p["action"].get<std::string>(), p["database"].get<std::string>()});
    }
  }
  return r;
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
  const Json out = {{"schemaVersion", registry_schema_version},
                    {"kind", std::string(kind_name(registry.kind))},
                    {"tokens", tokens}};
  return out.dump();
}

Registry parse_registry(std::string_view text, TokenKind expected_kind) {
  const Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) corrupt("it is not a JSON object");
  const auto version = j.find("schemaVersion");
  if (version == j.end() || !version->is_number_integer()) corrupt("it has no schemaVersion");
  if (version->get<long long>() != registry_schema_version) {
    corrupt("schemaVersion " + version->dump() + " is not " +
            std::to_string(registry_schema_version) + " (written by another rotator version?)");
  }
  if (util::string_member(j, "kind") != kind_name(expected_kind)) {
    corrupt("it holds \"" + util::string_member(j, "kind") + "\" tokens, not " +
            std::string(kind_name(expected_kind)) + " tokens");
  }
  const auto tokens = j.find("tokens");
  if (tokens == j.end() || !tokens->is_array()) corrupt("it has no token list");
  Registry registry;
  registry.kind = expected_kind;
  for (std::size_t i = 0; i < tokens->size(); ++i) {
    registry.records.push_back(record_from_json((*tokens)[i], i));
    for (std::size_t k = 0; k + 1 < registry.records.size(); ++k) {
      if (registry.records[k].id == registry.records.back().id) {
        corrupt("id " + registry.records.back().id + " appears twice");
      }
    }
  }
  return registry;
}

const TokenRecord* find_by_id(const Registry& registry, std::string_view id) {
  for (const auto& r : registry.records) {
    if (r.id == id) return &r;
  }
  return nullptr;
}

const TokenRecord* find_by_hash(const Registry& registry, std::string_view sha512_hex) {
  // Every record is compared, so the time taken does not tell which one matched.
  const TokenRecord* found = nullptr;
  for (const auto& r : registry.records) {
    if (hashes_equal(r.sha512, sha512_hex) && found == nullptr) found = &r;
  }
  return found;
}

void validate_description(std::string_view description) {
  if (description.find_first_not_of(" \t") == std::string_view::npos) {
    throw UsageError("the description must not be empty");
  }
  if (description.size() > max_description_bytes) {
    throw UsageError("the description is " + std::to_string(description.size()) +
                     " bytes; at most " + std::to_string(max_description_bytes) + " are allowed");
  }
  for (unsigned char c : description) {
    if (c < 0x20 || c == 0x7f) throw UsageError("the description must not contain control characters");
  }
}

std::vector<RevokeResult> revoke_ids(Registry& registry, const std::vector<std::string>& ids,
                                     util::TimePoint now) {
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
  for (const auto& r : results) {
    if (r.outcome == RevokeOutcome::revoked) return true;
  }
  return false;
}

util::TimePoint to_seconds(util::TimePoint t) {
  return std::chrono::time_point_cast<std::chrono::seconds>(t);
}

}  // namespace rotator::formats
