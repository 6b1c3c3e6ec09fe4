#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace rotator::formats {

/// What parse_strict_json found wrong, for a one-line error.
struct StrictJsonProblem {
  std::string what;  ///< "not valid JSON" or "the key \"revoked_at\" appears twice in one object"
};

/// Parses JSON that rotator's own contract data must be: valid, and with no key
/// twice in one object. nlohmann (like most parsers) silently keeps the last of
/// two equal keys, so {"revoked_at":"...","revoked_at":null} would read as never
/// revoked; data with such keys is ambiguous and is refused instead.
/// Returns the document, or nullopt with `problem` set. Never throws for bad input.
/// A duplicated key is named only when it is a plain identifier of at most 32
/// characters, so the message never echoes arbitrary data.
std::optional<nlohmann::json> parse_strict_json(std::string_view text, StrictJsonProblem& problem);

}  // namespace rotator::formats
