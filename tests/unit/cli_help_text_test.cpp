#include <catch2/catch.hpp>

#include <sstream>

#include "cli/help_text.h"

using namespace rotator::cli;

namespace {
std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}
}  // namespace

TEST_CASE("help text: prose wraps flush at the margin, indented lines hang") {
  const std::string prose(
      "rotator: keeps the signing keys and tokens of an InfluxDB Clustered-style installation on Kubernetes, safe to "
      "rerun.");
  const auto wrapped = lines_of(wrap(prose, 40));
  REQUIRE(wrapped.size() > 2);
  for (const auto& line : wrapped) {
    CHECK(line.size() <= 40);
    CHECK(line.front() != ' ');
  }
  const auto table = lines_of(wrap("  key-gen    make sure the signing-key Secret holds a valid key pair", 40, 11));
  REQUIRE(table.size() == 3);
  CHECK(table[1].rfind(std::string(13, ' '), 0) == 0);
  CHECK(table[1][13] != ' ');
  // Hard line breaks stay; a word longer than the line is left whole.
  CHECK(wrap("a\nb", 40) == "a\nb");
  CHECK(wrap(std::string(50, 'x'), 40) == std::string(50, 'x'));
}

TEST_CASE("help text: a usage line breaks between options, never inside one") {
  const std::string usage =
      "  rotator token create \"DESCRIPTION\" [--read-database DB]... [--write-database DB]... "
      "[--expires-at RFC3339] [-o table|json]";
  const auto wrapped = lines_of(unbind_option_groups(wrap(bind_option_groups(usage), 60, 4)));
  REQUIRE(wrapped.size() == 3);
  CHECK(wrapped[0] == "  rotator token create \"DESCRIPTION\" [--read-database DB]...");
  CHECK(wrapped[1] == "      [--write-database DB]... [--expires-at RFC3339]");
  CHECK(wrapped[2] == "      [-o table|json]");
  // Nested groups bind too: "[--influxctl-config PATH [--profile NAME]]" is one piece.
  CHECK(bind_option_groups("a [b [c d] e] f") ==
        "a [b\x1f"
        "[c\x1f"
        "d]\x1f"
        "e] f");
  CHECK(unbind_option_groups(bind_option_groups("a [b [c d] e] f")) == "a [b [c d] e] f");
}

TEST_CASE("help text: paragraphs at the margin are joined, lists and breaks kept") {
  CHECK(reflow("one\ntwo\n\nthree\n  - a\n  - b\nfour") == "one two\n\nthree\n  - a\n  - b\nfour");
  CHECK(reflow("") == "");
  CHECK(reflow("a\n") == "a\n");
}

TEST_CASE("help text: the plugin names itself kubectl rotator in commands, not in prose") {
  const std::string text =
      "  rotator key-gen -n influx\n  $ rotator status\nsee 'rotator status --help'; rotator keeps keys";
  CHECK(name_program(text, "kubectl rotator") ==
        "  kubectl rotator key-gen -n influx\n  $ kubectl rotator status\nsee 'kubectl rotator status --help'; rotator "
        "keeps keys");
  CHECK(name_program(text, "rotator") == text);
  CHECK(program_name("/usr/local/bin/kubectl-rotator") == "kubectl rotator");
  CHECK(program_name("./rotator") == "rotator");
  CHECK(program_name(nullptr) == "rotator");
}
