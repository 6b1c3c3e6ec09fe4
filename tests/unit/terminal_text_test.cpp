#include <catch2/catch.hpp>

#include "util/terminal_text.h"

using rotator::util::escape_for_terminal;
using rotator::util::LineBreaks;
using rotator::util::truncate_for_display;

TEST_CASE("terminal text: escape sequences and control characters are shown, not obeyed") {
  CHECK(escape_for_terminal("\x1b[2J\x1b]0;owned\x07kid") == "\\e[2J\\e]0;owned\\x07kid");
  CHECK(escape_for_terminal("a\rb\bc\x7f") == "a\\rb\\x08c\\x7F");
  CHECK(escape_for_terminal("line\nforged: valid") == "line\\nforged: valid");
  CHECK(escape_for_terminal("two\nlines", LineBreaks::keep) == "two\nlines");
  CHECK(escape_for_terminal("tab\tstays") == "tab\tstays");
  CHECK(escape_for_terminal(std::string_view("nul\0byte", 8)) == "nul\\x00byte");
}

TEST_CASE("terminal text: C1 controls, bidi overrides and invalid UTF-8 are escaped") {
  CHECK(escape_for_terminal("\xc2\x9b"
                            "31m") == "\\u009B31m");  // 8-bit CSI
  CHECK(escape_for_terminal("abc\xe2\x80\xae"
                            "fed") == "abc\\u202Efed");  // RIGHT-TO-LEFT OVERRIDE
  CHECK(escape_for_terminal("\xe2\x81\xa6x\xe2\x81\xa9") == "\\u2066x\\u2069");
  CHECK(escape_for_terminal("\xff\xfe") == "\\xFF\\xFE");
  CHECK(escape_for_terminal("\xc0\x80") == "\\xC0\\x80");           // overlong NUL
  CHECK(escape_for_terminal("\xed\xa0\x80") == "\\xED\\xA0\\x80");  // a UTF-16 surrogate
  CHECK(escape_for_terminal("cut\xe2\x82") == "cut\\xE2\\x82");     // truncated sequence
}

TEST_CASE("terminal text: ordinary text, UTF-8 included, passes unchanged, and backslashes are doubled") {
  CHECK(escape_for_terminal("Secret \"rsa-keys\" not found") == "Secret \"rsa-keys\" not found");
  CHECK(escape_for_terminal("Grüße, 東京, emoji \xf0\x9f\x94\x91") == "Grüße, 東京, emoji \xf0\x9f\x94\x91");
  CHECK(escape_for_terminal("a\\x1b") == "a\\\\x1b");
  CHECK(escape_for_terminal("") == "");
}

TEST_CASE("terminal text: truncation keeps whole characters and says how much was cut") {
  CHECK(truncate_for_display("short", 10) == "short");
  CHECK(truncate_for_display("0123456789abc", 10) == "0123456789 ... (3 more bytes)");
  CHECK(truncate_for_display("ab\xc3\xa9", 3) == "ab ... (2 more bytes)");  // not half of the é
}
