#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace rotator::util {

/// Whether line breaks in the text survive (a multi-line block) or are escaped
/// too (one line, e.g. an error message or a table cell).
enum class LineBreaks { escape, keep };

/// Makes text that came from outside (an API server's message, a token's kid or
/// jti, a registry description, an exec plugin's stderr) safe to show on a
/// terminal or in a log line: it can no longer move the cursor, recolour or
/// retitle the terminal, clear the screen, forge extra lines or reorder what
/// is shown.
///
/// Escaped, as \xNN or \uNNNN: C0 controls (ESC, BEL, CR, backspace...) but tab;
/// DEL; C1 controls (U+0080..U+009F, among them the 8-bit CSI); the Unicode
/// bidirectional overrides and isolates (U+202A..U+202E, U+2066..U+2069) and the
/// line and paragraph separators (U+2028, U+2029); bytes that are not valid
/// UTF-8. A backslash is doubled, so an escape in the output is always ours.
/// Printable ASCII and valid UTF-8 text pass unchanged.
std::string escape_for_terminal(std::string_view text, LineBreaks line_breaks = LineBreaks::escape);

/// Whether `text` is well-formed UTF-8 (RFC 3629: no overlong forms, no
/// surrogates, nothing past U+10FFFF). JSON and TOML must be.
bool is_valid_utf8(std::string_view text);

/// Terminal columns `text` takes once printed, counted in code points (wide East
/// Asian characters count as one): for aligning columns of escaped text.
std::size_t display_width(std::string_view text);

/// Rows as a table: each cell but the last of a row padded to its column's
/// widest cell (display_width) plus two spaces, trailing blanks dropped, one
/// line per row. Cells are shown as given: escape outside text first.
std::string align_columns(const std::vector<std::vector<std::string>>& rows);

/// At most `max_bytes` of `text`, cut at a UTF-8 character boundary, with
/// " ... (N more bytes)" when it was cut: outside text shown in a one-line error.
std::string truncate_for_display(std::string_view text, std::size_t max_bytes);

}  // namespace rotator::util
