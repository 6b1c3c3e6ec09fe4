#include "cli/structured_output.h"

#include <regex>

#include <yaml-cpp/yaml.h>

namespace rotator::cli {
namespace {

/// Whether a plain scalar would read back as something other than this string
/// (a number, boolean, null or timestamp in YAML 1.1 or 1.2): those are quoted,
/// as kubectl quotes creationTimestamp. yaml-cpp itself quotes what is not a
/// valid plain scalar at all (": ", a leading "-", ...).
bool reads_as_other_type(const std::string& text) {
  static const std::regex other(
      "|~|null|Null|NULL"
      "|[yY]|[nN]|yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF"
      "|[-+]?(0|[0-9][0-9_]*)(\\.[0-9_]*)?([eE][-+]?[0-9]+)?|[-+]?\\.[0-9]+([eE][-+]?[0-9]+)?"
      "|0x[0-9a-fA-F_]+|0o?[0-7_]+|0b[01_]+|[-+]?\\.(inf|Inf|INF)|\\.(nan|NaN|NAN)"
      "|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt ].*)?");
  return std::regex_match(text, other);
}

void emit(YAML::Emitter& out, const nlohmann::ordered_json& value) {
  switch (value.type()) {
    case nlohmann::ordered_json::value_t::object:
      if (value.empty()) out << YAML::Flow;
      out << YAML::BeginMap;
      for (const auto& [key, member] : value.items()) {
        out << YAML::Key << key << YAML::Value;
        emit(out, member);
      }
      out << YAML::EndMap;
      return;
    case nlohmann::ordered_json::value_t::array:
      if (value.empty()) out << YAML::Flow;
      out << YAML::BeginSeq;
      for (const auto& item : value) emit(out, item);
      out << YAML::EndSeq;
      return;
    case nlohmann::ordered_json::value_t::string:
      if (reads_as_other_type(value.get<std::string>())) out << YAML::DoubleQuoted;
      out << value.get<std::string>();
      return;
    case nlohmann::ordered_json::value_t::null: out << YAML::Null; return;
    case nlohmann::ordered_json::value_t::boolean: out << value.get<bool>(); return;
    case nlohmann::ordered_json::value_t::number_integer: out << value.get<long long>(); return;
    case nlohmann::ordered_json::value_t::number_unsigned: out << value.get<unsigned long long>(); return;
    case nlohmann::ordered_json::value_t::number_float: out << value.get<double>(); return;
    default: out << YAML::Null; return;
  }
}

}  // namespace

std::string to_yaml(const nlohmann::ordered_json& document) {
  YAML::Emitter out;
  emit(out, document);
  return std::string(out.c_str()) + "\n";
}

}  // namespace rotator::cli
