#include <catch2/catch.hpp>

#include "formats/strict_json.h"
#include "util/terminal_text.h"

using namespace rotator::formats;

TEST_CASE("terminal text: UTF-8 validity and widths", "[util][display]") {
  CHECK(rotator::util::is_valid_utf8("Grüße, 日本 🙂"));
  CHECK_FALSE(rotator::util::is_valid_utf8("caf\xe9"));
  CHECK_FALSE(rotator::util::is_valid_utf8("\xc0\xaf"));
  CHECK_FALSE(rotator::util::is_valid_utf8("\xed\xa0\x80"));
  CHECK(rotator::util::display_width("Grüße") == 5);
  CHECK(rotator::util::display_width("日本") == 2);
  CHECK(rotator::util::display_width("") == 0);
  CHECK(rotator::util::display_width("\\x1b") == 4);
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
      {"nested", R"({"x":{"revoked_at":"t","revoked_at":null}})", "the key \"revoked_at\" appears twice in one object"},
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
