#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace rotator::util {

/// The string member `key` of `object`, or "" when it is absent, not a string, or
/// `object` is not an object. For JSON from outside (API bodies, tokens, plugin
/// output, Secret data), where nlohmann's value() throws a type_error on a member
/// of another type, which would reach the user as an internal error.
inline std::string string_member(const nlohmann::json& object, const char* key) {
  if (!object.is_object()) return {};
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string{};
}

}  // namespace rotator::util
