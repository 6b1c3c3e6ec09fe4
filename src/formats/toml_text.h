#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <toml++/toml.h>

namespace rotator::formats::toml_text {

// Byte-preserving editing of TOML text: toml++ parses and locates, these helpers
// turn its line/column positions into byte offsets and apply small edits, so
// that every byte outside an edit (comments, spacing, order) stays as it was.
// toml++ would rewrite the whole document and drop comments if asked to print it.

/// The lines of a text and where they start, for toml++ positions.
class LineIndex {
 public:
  explicit LineIndex(std::string_view text);

  /// Number of lines (a final line without a newline counts; an empty text has none).
  std::size_t line_count() const { return starts_.size(); }
  /// 1-based line `line` without its line ending ("\n" or "\r\n").
  std::string_view line(std::size_t line) const;
  /// Byte offset where 1-based `line` starts.
  std::size_t line_start(std::size_t line) const;
  /// Byte offset just past the line ending of `line` (the next line's start, or the text's end).
  std::size_t line_end_with_newline(std::size_t line) const;
  /// Byte offset of a toml++ position (1-based line, 1-based column in code points).
  std::size_t offset(const toml::source_position& position) const;
  /// "\r\n" when the first line ends so, else "\n".
  std::string_view newline() const { return newline_; }
  /// Whether the text ends without a newline (its last line is unterminated).
  bool ends_without_newline() const;

 private:
  std::string_view text_;
  std::vector<std::size_t> starts_;
  std::string_view newline_ = "\n";
};

/// A `[a.b]` or `[[a]]` header line, its dotted key split into parts.
struct Header {
  bool array = false;
  std::vector<std::string> path;
};

/// The header on `line`, or nullopt when the line is not a plain header rotator
/// can read (escapes in quoted keys are left alone, on purpose).
std::optional<Header> parse_header(std::string_view line);

/// The dotted key of a `key = value` line (bare or quoted parts), or nullopt.
std::optional<std::vector<std::string>> key_of(std::string_view line);

/// Leading spaces and tabs of `line`.
std::string indentation(std::string_view line);

/// True for a blank line or one holding only a comment.
bool is_blank_or_comment(std::string_view line);

/// True when `rest` (what follows a value on its line) is blank or a comment.
bool rest_is_comment(std::string_view rest);

/// `value` as a TOML basic string, quoted and escaped.
std::string basic_string(std::string_view value);

/// Replace bytes [begin, end) with `replacement` (begin == end inserts).
struct Edit {
  std::size_t begin = 0;
  std::size_t end = 0;
  std::string replacement;
};

/// `text` with `edits` applied; they must not overlap.
std::string apply(std::string_view text, std::vector<Edit> edits);

}  // namespace rotator::formats::toml_text
