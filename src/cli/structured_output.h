#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace rotator::cli {

/// A JSON document as YAML (block style, keys in the document's order, strings
/// quoted where YAML would read them as something else), as kubectl -o yaml.
std::string to_yaml(const nlohmann::ordered_json& document);

}  // namespace rotator::cli
