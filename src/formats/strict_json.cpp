#include "formats/strict_json.h"

#include <set>
#include <vector>

namespace rotator::formats {
namespace {

bool is_plain_identifier(const std::string& key) {
  if (key.empty() || key.size() > 32) return false;
  for (char c : key) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::optional<nlohmann::json> parse_strict_json(std::string_view text, StrictJsonProblem& problem) {
  using Json = nlohmann::json;
  // The keys seen so far in each object being parsed, innermost last.
  std::vector<std::set<std::string>> open_objects;
  std::optional<std::string> duplicate;
  const Json::parser_callback_t track_keys = [&](int /*depth*/, Json::parse_event_t event, Json& parsed) {
    switch (event) {
      case Json::parse_event_t::object_start: open_objects.emplace_back(); break;
      case Json::parse_event_t::object_end:
        if (!open_objects.empty()) open_objects.pop_back();
        break;
      case Json::parse_event_t::key:
        if (!open_objects.empty() && parsed.is_string() && !duplicate &&
            !open_objects.back().insert(parsed.get<std::string>()).second) {
          duplicate = parsed.get<std::string>();
        }
        break;
      default: break;
    }
    return true;
  };
  Json document = Json::parse(text, track_keys, /*allow_exceptions=*/false);
  if (document.is_discarded()) {
    problem.what = "not valid JSON";
    return std::nullopt;
  }
  if (duplicate) {
    problem.what = is_plain_identifier(*duplicate) ? "the key \"" + *duplicate + "\" appears twice in one object"
                                                   : "a key appears twice in one object";
    return std::nullopt;
  }
  return document;
}

}  // namespace rotator::formats
