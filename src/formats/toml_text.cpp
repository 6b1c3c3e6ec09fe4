#include "formats/toml_text.h"

#include "util/errors.h"
#include "util/terminal_text.h"

#include <algorithm>
#include <cstdio>
#include <stdexcept>

namespace rotator::formats::toml_text {
namespace {

std::string_view trim_left(std::string_view s) {
  const auto start = s.find_first_not_of(" \t");
  return start == std::string_view::npos ? std::string_view() : s.substr(start);
}

bool is_bare_key_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/// Reads a dotted key at the start of `s`; leaves `s` after it.
std::optional<std::vector<std::string>> read_dotted_key(std::string_view& s) {
  std::vector<std::string> parts;
  while (true) {
    s = trim_left(s);
    if (s.empty()) return std::nullopt;
    if (s.front() == '"' || s.front() == '\'') {
      const char quote = s.front();
      std::string part;
      std::size_t i = 1;
      for (; i < s.size() && s[i] != quote; ++i) {
        if (quote == '"' && s[i] == '\\') return std::nullopt;  // escapes: leave to a human
        part += s[i];
      }
      if (i >= s.size()) return std::nullopt;
      parts.push_back(part);
      s.remove_prefix(i + 1);
    } else {
      std::size_t i = 0;
      while (i < s.size() && is_bare_key_char(s[i])) ++i;
      if (i == 0) return std::nullopt;
      parts.emplace_back(s.substr(0, i));
      s.remove_prefix(i);
    }
    s = trim_left(s);
    if (s.empty() || s.front() != '.') return parts;
    s.remove_prefix(1);
  }
}

}  // namespace

LineIndex::LineIndex(std::string_view text) : text_(text) {
  std::size_t start = 0;
  while (start < text.size()) {
    starts_.push_back(start);
    const auto newline = text.find('\n', start);
    if (newline == std::string_view::npos) break;
    start = newline + 1;
  }
  const auto first_newline = text.find('\n');
  if (first_newline != std::string_view::npos && first_newline > 0 && text[first_newline - 1] == '\r') {
    newline_ = "\r\n";
  }
}

std::string_view LineIndex::line(std::size_t line) const {
  const std::size_t begin = line_start(line);
  std::size_t end = line_end_with_newline(line);
  if (end > begin && text_[end - 1] == '\n') --end;
  if (end > begin && text_[end - 1] == '\r') --end;
  return text_.substr(begin, end - begin);
}

std::size_t LineIndex::line_start(std::size_t line) const {
  if (line == 0 || line > starts_.size()) throw std::out_of_range("no such line");
  return starts_[line - 1];
}

std::size_t LineIndex::line_end_with_newline(std::size_t line) const {
  return line < starts_.size() ? starts_[line] : text_.size();
}

std::size_t LineIndex::offset(const toml::source_position& position) const {
  std::size_t at = line_start(position.line);
  const std::size_t end = line_end_with_newline(position.line);
  // Columns count code points: step over UTF-8 continuation bytes.
  for (toml::source_index column = 1; column < position.column && at < end; ++column) {
    ++at;
    while (at < end && (static_cast<unsigned char>(text_[at]) & 0xc0) == 0x80) ++at;
  }
  return at;
}

bool LineIndex::ends_without_newline() const {
  return !text_.empty() && text_.back() != '\n';
}

std::optional<Header> parse_header(std::string_view line) {
  std::string_view s = trim_left(line);
  if (!s.starts_with("[")) return std::nullopt;
  Header header;
  header.array = s.starts_with("[[");
  s.remove_prefix(header.array ? 2 : 1);
  auto path = read_dotted_key(s);
  if (!path) return std::nullopt;
  const std::string_view close = header.array ? "]]" : "]";
  if (!s.starts_with(close)) return std::nullopt;
  s.remove_prefix(close.size());
  if (!rest_is_comment(s)) return std::nullopt;
  header.path = std::move(*path);
  return header;
}

std::optional<std::vector<std::string>> key_of(std::string_view line) {
  std::string_view s = line;
  auto key = read_dotted_key(s);
  if (!key || !s.starts_with("=")) return std::nullopt;
  return key;
}

std::string indentation(std::string_view line) {
  return std::string(line.substr(0, line.size() - trim_left(line).size()));
}

bool rest_is_comment(std::string_view rest) {
  rest = trim_left(rest);
  return rest.empty() || rest.front() == '#';
}

bool is_blank_or_comment(std::string_view line) {
  return rest_is_comment(line);
}

std::string basic_string(std::string_view value) {
  std::string out = "\"";
  for (std::size_t i = 0; i < value.size(); ++i) {
    const auto c = static_cast<unsigned char>(value[i]);
    char buffer[16];
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          std::snprintf(buffer, sizeof buffer, "\\u%04x", c);
          out += buffer;
        } else if (c < 0x80) {
          out += static_cast<char>(c);
        } else {
          // Non-ASCII as \uXXXX or \UXXXXXXXX: what rotator writes stays plain
          // ASCII, which is all it reads back (influxctl_config.cpp).
          const std::size_t length = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
          if (i + length > value.size() || !util::is_valid_utf8(value.substr(i, length))) {
            throw UsageError("a value for the influxctl config is not valid UTF-8");
          }
          char32_t code = c & (length == 2 ? 0x1f : length == 3 ? 0x0f : 0x07);
          for (std::size_t k = 1; k < length; ++k)
            code = (code << 6) | (static_cast<unsigned char>(value[i + k]) & 0x3f);
          std::snprintf(buffer, sizeof buffer, code > 0xffff ? "\\U%08x" : "\\u%04x", static_cast<unsigned>(code));
          out += buffer;
          i += length - 1;
        }
    }
  }
  return out + "\"";
}

std::string apply(std::string_view text, std::vector<Edit> edits) {
  // Stable: insertions at one offset keep the order they were given in.
  std::stable_sort(edits.begin(), edits.end(),
                   [](const Edit& a, const Edit& b) { return a.begin != b.begin ? a.begin < b.begin : a.end < b.end; });
  std::string out;
  std::size_t at = 0;
  for (const auto& edit : edits) {
    if (edit.begin < at || edit.end < edit.begin || edit.end > text.size()) {
      throw std::logic_error("overlapping TOML edits");
    }
    out.append(text.substr(at, edit.begin - at));
    out += edit.replacement;
    at = edit.end;
  }
  out.append(text.substr(at));
  return out;
}

}  // namespace rotator::formats::toml_text
