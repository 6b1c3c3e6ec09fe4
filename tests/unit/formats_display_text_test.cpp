#include <catch2/catch.hpp>

#include "formats/display_text.h"
#include "formats/strict_json.h"

using namespace rotator::formats;

TEST_CASE("formats display_text: printable text passes, anything that could steer a terminal is escaped",
          "[formats][display]") {
  struct Case {
    const char* why;
    std::string in;
    std::string out;
  };
  const std::vector<Case> cases = {
      {"plain ASCII", "CI pipeline #3 (prod)", "CI pipeline #3 (prod)"},
      {"UTF-8 text", "Grüße, 日本", "Grüße, 日本"},
      {"empty", "", ""},
      {"escape sequence", "\x1b[31mred", "\\x1b[31mred"},
      {"newline forging a row", "a\nb", "a\\nb"},
      {"tab", "a\tb", "a\\tb"},
      {"carriage return", "a\rb", "a\\rb"},
      {"NUL", std::string("a\0b", 3), "a\\x00b"},
      {"DEL", "a\x7f", "a\\x7f"},
      {"C1 CSI (U+009B)", "a\xc2\x9b" "2J", "a\\u009b2J"},
      {"right-to-left override (U+202E)", "abc\xe2\x80\xae" "fdp.exe", "abc\\u202efdp.exe"},
      {"first isolate (U+2068)", "\xe2\x81\xa8x", "\\u2068x"},
      {"a byte that is not UTF-8", "caf\xe9", "caf\\xe9"},
      {"overlong slash", "\xc0\xaf", "\\xc0\\xaf"},
      {"surrogate", "\xed\xa0\x80", "\\xed\\xa0\\x80"},
      {"truncated sequence", "x\xe2\x80", "x\\xe2\\x80"},
      {"past U+10FFFF", "\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80"},
      {"backslash stays", "C:\\tokens", "C:\\tokens"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.why);
    CHECK(display_text(c.in) == c.out);
    // The output itself is always printable UTF-8: escaping it again changes nothing.
    CHECK(display_text(display_text(c.in)) == display_text(c.in));
    CHECK(is_valid_utf8(display_text(c.in)));
  }
}

TEST_CASE("formats display_text: UTF-8 validity and widths", "[formats][display]") {
  CHECK(is_valid_utf8("Grüße, 日本 🙂"));
  CHECK_FALSE(is_valid_utf8("caf\xe9"));
  CHECK_FALSE(is_valid_utf8("\xc0\xaf"));
  CHECK_FALSE(is_valid_utf8("\xed\xa0\x80"));
  CHECK(display_width("Grüße") == 5);
  CHECK(display_width("日本") == 2);
  CHECK(display_width("") == 0);
  CHECK(display_width("\\x1b") == 4);
}

TEST_CASE("formats strict JSON: duplicate keys are refused at any depth, other JSON is parsed", "[formats][json]") {
  struct Case {
    const char* why;
    std::string text;
    const char* problem;  ///< nullptr: parses
  };
  const std::vector<Case> cases = {
      {"plain object", R"({"a":1,"b":{"a":2}})", nullptr},
      {"same key in sibling objects", R"([{"a":1},{"a":1}])", nullptr},
      {"same key at two depths", R"({"a":{"a":{"a":1}}})", nullptr},
      {"top level", R"({"a":1,"a":2})", "the key \"a\" appears twice in one object"},
      {"nested", R"({"x":{"revoked_at":"t","revoked_at":null}})",
       "the key \"revoked_at\" appears twice in one object"},
      {"in an array element", R"([{"b":1},{"a":1,"a":1}])", "the key \"a\" appears twice in one object"},
      {"after a nested object closed", R"({"a":{"b":1},"c":2,"a":3})", "the key \"a\" appears twice in one object"},
      {"escaped spelling of the same key", R"({"a":1,"\u0061":2})", "the key \"a\" appears twice in one object"},
      {"a key not echoed", R"({"\u001b[2J":1,"\u001b[2J":2})", "a key appears twice in one object"},
      {"not JSON", "{", "not valid JSON"},
      {"trailing garbage", "{} x", "not valid JSON"},
      {"not UTF-8", "{\"a\":\"\xff\"}", "not valid JSON"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.why);
    StrictJsonProblem problem;
    const auto parsed = parse_strict_json(c.text, problem);
    if (c.problem == nullptr) {
      CHECK(parsed.has_value());
      CHECK(*parsed == nlohmann::json::parse(c.text));
    } else {
      CHECK_FALSE(parsed.has_value());
      CHECK(problem.what == c.problem);
    }
  }
}
