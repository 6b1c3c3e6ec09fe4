#pragma once

// The admin token file (contract, see README): the JSON form of an OAuth2 token
// as Go's oauth2.Token writes it, which influxctl reads.

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "util/time.h"

namespace rotator::formats {

struct TokenFile {
  std::string access_token;
  std::string token_type = "Bearer";
  std::optional<util::TimePoint> expiry;
  /// Members rotator does not own (refresh_token, or whatever an earlier writer
  /// added), kept as they were when the file is written back.
  nlohmann::json other_members = nlohmann::json::object();
};

/// Throws InvalidDataError when `text` is not a token file.
TokenFile parse_token_file(std::string_view text);
std::string serialize_token_file(const TokenFile& file);

/// Reads a token argument or file: a bare token, or a token file's access_token.
std::string extract_token(const std::string& text);

}  // namespace rotator::formats
