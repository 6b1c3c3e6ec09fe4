#include "formats/display_text.h"

#include <cstdint>
#include <cstdio>
#include <optional>

namespace rotator::formats {
namespace {

struct CodePoint {
  char32_t value;
  std::size_t length;  ///< bytes it takes in the input
};

/// The well-formed UTF-8 sequence at the start of `text` (RFC 3629: no overlong
/// forms, no surrogates, nothing past U+10FFFF), or nullopt.
std::optional<CodePoint> decode_utf8(std::string_view text) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(0);
  if (lead < 0x80) return CodePoint{lead, 1};
  std::size_t length = 0;
  char32_t value = 0;
  char32_t minimum = 0;
  if ((lead & 0xe0) == 0xc0) {
    length = 2, value = lead & 0x1f, minimum = 0x80;
  } else if ((lead & 0xf0) == 0xe0) {
    length = 3, value = lead & 0x0f, minimum = 0x800;
  } else if ((lead & 0xf8) == 0xf0) {
    length = 4, value = lead & 0x07, minimum = 0x10000;
  } else {
    return std::nullopt;
  }
  if (text.size() < length) return std::nullopt;
  for (std::size_t i = 1; i < length; ++i) {
    if ((byte(i) & 0xc0) != 0x80) return std::nullopt;
    value = (value << 6) | (byte(i) & 0x3f);
  }
  if (value < minimum || value > 0x10ffff || (value >= 0xd800 && value <= 0xdfff)) return std::nullopt;
  return CodePoint{value, length};
}

bool is_bidi_control(char32_t c) { return (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069); }

std::string hex_escape(const char* format, unsigned value) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, format, value);
  return buffer;
}

}  // namespace

std::string display_text(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    const auto cp = decode_utf8(text);
    if (!cp) {
      out += hex_escape("\\x%02x", static_cast<unsigned char>(text.front()));
      text.remove_prefix(1);
      continue;
    }
    const char32_t c = cp->value;
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c < 0x20 || c == 0x7f) {
      out += hex_escape("\\x%02x", static_cast<unsigned>(c));
    } else if ((c >= 0x80 && c <= 0x9f) || is_bidi_control(c)) {
      out += hex_escape("\\u%04x", static_cast<unsigned>(c));
    } else {
      out.append(text.substr(0, cp->length));
    }
    text.remove_prefix(cp->length);
  }
  return out;
}

bool is_valid_utf8(std::string_view text) {
  while (!text.empty()) {
    const auto cp = decode_utf8(text);
    if (!cp) return false;
    text.remove_prefix(cp->length);
  }
  return true;
}

std::size_t display_width(std::string_view text) {
  std::size_t width = 0;
  while (!text.empty()) {
    const auto cp = decode_utf8(text);
    text.remove_prefix(cp ? cp->length : 1);
    ++width;
  }
  return width;
}

}  // namespace rotator::formats
