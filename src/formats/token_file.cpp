#include "formats/token_file.h"

#include "util/errors.h"

namespace rotator::formats {

TokenFile parse_token_file(std::string_view text) {
  const auto json = nlohmann::json::parse(text, nullptr, false);
  if (json.is_discarded() || !json.is_object()) throw InvalidDataError("the token file is not a JSON object");
  const auto access = json.find("access_token");
  if (access == json.end() || !access->is_string() || access->get_ref<const std::string&>().empty()) {
    throw InvalidDataError("the token file has no access_token");
  }
  TokenFile file;
  file.access_token = access->get<std::string>();
  if (const auto type = json.find("token_type"); type != json.end() && type->is_string()) {
    file.token_type = type->get<std::string>();
  }
  if (const auto expiry = json.find("expiry"); expiry != json.end() && expiry->is_string()) {
    file.expiry = util::parse_rfc3339(expiry->get<std::string>());
    if (!file.expiry) throw InvalidDataError("the token file's expiry is not an RFC 3339 time");
  }
  for (const auto& [key, value] : json.items()) {
    if (key != "access_token" && key != "token_type" && key != "expiry") file.other_members[key] = value;
  }
  return file;
}

std::string serialize_token_file(const TokenFile& file) {
  nlohmann::json json = file.other_members.is_object() ? file.other_members : nlohmann::json::object();
  json["access_token"] = file.access_token;
  json["token_type"] = file.token_type;
  if (file.expiry) json["expiry"] = util::format_rfc3339(*file.expiry);
  return json.dump();
}

std::string extract_token(const std::string& text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  std::string trimmed = text.substr(first, last - first + 1);
  if (trimmed.starts_with("{")) {
    const auto json = nlohmann::json::parse(trimmed, nullptr, false);
    if (json.is_object() && json.contains("access_token") && json["access_token"].is_string()) {
      return json["access_token"].get<std::string>();
    }
  }
  return trimmed;
}

}  // namespace rotator::formats
