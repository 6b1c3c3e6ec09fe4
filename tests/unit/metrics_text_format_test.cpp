#include <cmath>
#include <limits>
#include <stdexcept>

#include <catch2/catch.hpp>

#include "metrics/text_format.h"

using namespace rotator::metrics;

TEST_CASE("metrics text format: a family is HELP, TYPE, then its samples with labels in order", "[metrics]") {
  const std::vector<MetricFamily> families = {
      {"rotator_example_timestamp_seconds",
       "When it happened.",
       MetricType::gauge,
       {{{{"namespace", "team-a"}, {"kid", "abc"}}, 1700000000}, {{{"namespace", "team-b"}}, 1700000000.5}}},
      {"rotator_things_total", "Things done.", MetricType::counter, {{{}, 3}}},
  };
  CHECK(render(families) ==
        "# HELP rotator_example_timestamp_seconds When it happened.\n"
        "# TYPE rotator_example_timestamp_seconds gauge\n"
        "rotator_example_timestamp_seconds{namespace=\"team-a\",kid=\"abc\"} 1700000000\n"
        "rotator_example_timestamp_seconds{namespace=\"team-b\"} 1700000000.5\n"
        "# HELP rotator_things_total Things done.\n"
        "# TYPE rotator_things_total counter\n"
        "rotator_things_total 3\n");
}

TEST_CASE("metrics text format: a family without samples is left out", "[metrics]") {
  CHECK(render({{"rotator_nothing", "Nothing.", MetricType::gauge, {}}}).empty());
}

TEST_CASE("metrics text format: label values escape backslash, quote and line feed", "[metrics]") {
  CHECK(escape_label_value("plain") == "plain");
  CHECK(escape_label_value("a\\b") == "a\\\\b");
  CHECK(escape_label_value("say \"hi\"") == "say \\\"hi\\\"");
  CHECK(escape_label_value("two\nlines") == "two\\nlines");
  CHECK(escape_label_value("tab\there") == "tab\there");  // only the three are escaped
  const auto text = render({{"m", "h", MetricType::gauge, {{{{"reason", "bad \"x\"\\\n"}}, 1}}}});
  CHECK(text.find("m{reason=\"bad \\\"x\\\"\\\\\\n\"} 1\n") != std::string::npos);
}

TEST_CASE("metrics text format: HELP escapes backslash and line feed but not quotes", "[metrics]") {
  CHECK(escape_help("a \"b\" \\ c\nd") == "a \"b\" \\\\ c\\nd");
}

TEST_CASE("metrics text format: invalid UTF-8 becomes U+FFFD, valid UTF-8 stays", "[metrics]") {
  CHECK(valid_utf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x94\x91") == "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x94\x91");
  CHECK(valid_utf8("a\xFFz") == "a\xEF\xBF\xBDz");
  CHECK(valid_utf8("\xC0\xAF") == "\xEF\xBF\xBD\xEF\xBF\xBD");                  // overlong "/"
  CHECK(valid_utf8("\xED\xA0\x80") == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // a surrogate
  CHECK(valid_utf8("end\xE2\x82") == "end\xEF\xBF\xBD\xEF\xBF\xBD");            // truncated
  CHECK(escape_label_value("\x80") == "\xEF\xBF\xBD");
}

TEST_CASE("metrics text format: values are integers when whole, shortest exact form otherwise", "[metrics]") {
  CHECK(format_value(0) == "0");
  CHECK(format_value(1) == "1");
  CHECK(format_value(-3) == "-3");
  CHECK(format_value(1764000000) == "1764000000");
  CHECK(format_value(1764000000.25) == "1764000000.25");
  CHECK(format_value(0.1) == "0.1");
  CHECK(format_value(std::numeric_limits<double>::quiet_NaN()) == "NaN");
  CHECK(format_value(std::numeric_limits<double>::infinity()) == "+Inf");
  CHECK(format_value(-std::numeric_limits<double>::infinity()) == "-Inf");
  CHECK(std::stod(format_value(1e300)) == 1e300);
}

TEST_CASE("metrics text format: names are checked, and a family may appear once", "[metrics]") {
  CHECK(is_valid_metric_name("rotator_x:y_1"));
  CHECK_FALSE(is_valid_metric_name("1x"));
  CHECK_FALSE(is_valid_metric_name("a-b"));
  CHECK_FALSE(is_valid_metric_name(""));
  CHECK(is_valid_label_name("namespace"));
  CHECK_FALSE(is_valid_label_name("__name__"));
  CHECK_FALSE(is_valid_label_name("a:b"));
  CHECK_THROWS_AS(render({{"bad-name", "h", MetricType::gauge, {{{}, 1}}}}), std::invalid_argument);
  CHECK_THROWS_AS(render({{"m", "h", MetricType::gauge, {{{{"bad-label", "v"}}, 1}}}}), std::invalid_argument);
  CHECK_THROWS_AS(render({{"m", "h", MetricType::gauge, {{{}, 1}}}, {"m", "h", MetricType::gauge, {{{}, 2}}}}),
                  std::invalid_argument);
}
