// Shared by the libFuzzer targets: what counts as a finding.
//
// A parser may reject its input only with one of rotator's own errors (the
// typed exceptions the command line turns into one line and an exit code).
// Anything else escaping (a yaml-cpp or nlohmann exception, std::out_of_range)
// would reach the user as "internal error": it propagates, and libFuzzer
// reports it as a crash. Sanitizer reports (ASan, UBSan) abort the same way.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "util/errors.h"

namespace rotator::fuzz {

inline std::string_view as_text(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

template <class Parse>
void rejects_only_with_rotator_errors(Parse&& parse) {
  try {
    parse();
  } catch (const rotator::Error&) {
    // A clear rejection: what bad input must get.
  }
}

/// Splits "=== NAME\n<bytes>\n=== NAME2\n..." into named fields: the format of
/// the multi-field corpora (a Secret's data and annotations). Text before the
/// first header is ignored; a repeated name keeps the last value.
inline std::map<std::string, std::string> split_fields(std::string_view text) {
  std::map<std::string, std::string> fields;
  constexpr std::string_view marker = "=== ";
  size_t at = text.starts_with(marker) ? 0 : text.find("\n" + std::string(marker));
  if (at == std::string_view::npos) return fields;
  if (at != 0) ++at;
  while (at != std::string_view::npos && at < text.size()) {
    const size_t name_end = text.find('\n', at);
    if (name_end == std::string_view::npos) break;
    const std::string name(text.substr(at + marker.size(), name_end - at - marker.size()));
    size_t next = text.find("\n" + std::string(marker), name_end);
    const size_t value_end = next == std::string_view::npos ? text.size() : next;
    fields[name] = std::string(text.substr(name_end + 1, value_end - name_end - 1));
    at = next == std::string_view::npos ? next : next + 1;
  }
  return fields;
}

}  // namespace rotator::fuzz
