#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace rotator::formats {

/// `text` made safe to print on a terminal, in a table cell or in a one-line
/// message. Registry data may be hand-edited or planted, so a description read
/// back from it is kept as it is and escaped only here, at display: control
/// characters (C0, DEL, C1) become \n, \t, \r or \xNN / \u00NN, bidirectional
/// overrides (U+202A-U+202E, U+2066-U+2069) become \uNNNN, and bytes that are
/// not valid UTF-8 become \xNN. Nothing can move the cursor, clear the screen,
/// reorder the line or forge another row. Printable text passes unchanged.
std::string display_text(std::string_view text);

/// Whether `text` is well-formed UTF-8 (RFC 3629: no overlong forms, no
/// surrogates, nothing past U+10FFFF). JSON and TOML must be.
bool is_valid_utf8(std::string_view text);

/// Terminal columns `text` takes once printed, counted in code points (one per
/// character; wide East Asian characters are counted as one). For aligning
/// table columns of display_text() output.
std::size_t display_width(std::string_view text);

}  // namespace rotator::formats
