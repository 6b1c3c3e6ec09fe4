#include "util/terminal_text.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <optional>

namespace rotator::util {
namespace {

struct Decoded {
  char32_t code_point;
  std::size_t length;
};

/// One UTF-8 sequence at the start of `text`, or nullopt when the bytes there are
/// not valid UTF-8 (bad lead byte, missing continuation, overlong form,
/// surrogate, or beyond U+10FFFF).
std::optional<Decoded> decode_utf8(std::string_view text) {
  const auto byte = [&](std::size_t i) { return static_cast<std::uint8_t>(text[i]); };
  const std::uint8_t lead = byte(0);
  if (lead < 0x80) return Decoded{lead, 1};
  std::size_t length = 0;
  char32_t cp = 0;
  char32_t minimum = 0;
  if ((lead & 0xE0) == 0xC0) {
    length = 2, cp = lead & 0x1F, minimum = 0x80;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3, cp = lead & 0x0F, minimum = 0x800;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4, cp = lead & 0x07, minimum = 0x10000;
  } else {
    return std::nullopt;
  }
  if (text.size() < length) return std::nullopt;
  for (std::size_t i = 1; i < length; ++i) {
    if ((byte(i) & 0xC0) != 0x80) return std::nullopt;
    cp = (cp << 6) | (byte(i) & 0x3F);
  }
  if (cp < minimum || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return std::nullopt;
  return Decoded{cp, length};
}

bool must_escape(char32_t cp, LineBreaks line_breaks) {
  if (cp == '\t') return false;
  if (cp == '\n') return line_breaks == LineBreaks::escape;
  if (cp < 0x20 || cp == 0x7F) return true;       // C0 controls, DEL
  if (cp >= 0x80 && cp <= 0x9F) return true;      // C1 controls (8-bit CSI, OSC...)
  if (cp >= 0x202A && cp <= 0x202E) return true;  // bidi embeddings and overrides
  if (cp >= 0x2066 && cp <= 0x2069) return true;  // bidi isolates
  if (cp == 0x2028 || cp == 0x2029) return true;  // line and paragraph separators
  return false;
}

void append_escape(std::string& out, char32_t cp) {
  char buffer[16];
  switch (cp) {
    case '\n': out += "\\n"; return;
    case '\r': out += "\\r"; return;
    case 0x1B: out += "\\e"; return;
    default: break;
  }
  if (cp < 0x80) {
    std::snprintf(buffer, sizeof buffer, "\\x%02X", static_cast<unsigned>(cp));
  } else {
    std::snprintf(buffer, sizeof buffer, "\\u%04X", static_cast<unsigned>(cp));
  }
  out += buffer;
}

}  // namespace

std::string escape_for_terminal(std::string_view text, LineBreaks line_breaks) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const auto decoded = decode_utf8(text.substr(i));
    if (!decoded) {
      char buffer[8];
      std::snprintf(buffer, sizeof buffer, "\\x%02X", static_cast<unsigned>(static_cast<std::uint8_t>(text[i])));
      out += buffer;
      ++i;
      continue;
    }
    if (decoded->code_point == '\\') {
      out += "\\\\";
    } else if (must_escape(decoded->code_point, line_breaks)) {
      append_escape(out, decoded->code_point);
    } else {
      out.append(text.substr(i, decoded->length));
    }
    i += decoded->length;
  }
  return out;
}

bool is_valid_utf8(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    const auto decoded = decode_utf8(text.substr(i));
    if (!decoded) return false;
    i += decoded->length;
  }
  return true;
}

std::size_t display_width(std::string_view text) {
  std::size_t width = 0;
  for (std::size_t i = 0; i < text.size(); ++width) {
    const auto decoded = decode_utf8(text.substr(i));
    i += decoded ? decoded->length : 1;
  }
  return width;
}

std::string truncate_for_display(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return std::string(text);
  std::size_t cut = max_bytes;
  // Back up over continuation bytes so no character is split.
  while (cut > 0 && (static_cast<std::uint8_t>(text[cut]) & 0xC0) == 0x80) --cut;
  return std::string(text.substr(0, cut)) + " ... (" + std::to_string(text.size() - cut) + " more bytes)";
}

std::string align_columns(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> widths;
  for (const auto& row : rows) {
    if (widths.size() < row.size()) widths.resize(row.size(), 0);
    for (std::size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], display_width(row[c]));
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t c = 0; c < row.size(); ++c) {
      line += row[c];
      if (c + 1 < row.size()) line += std::string(widths[c] - display_width(row[c]) + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

}  // namespace rotator::util
