#include <catch2/catch.hpp>

#include <yaml-cpp/yaml.h>

#include "cli/structured_output.h"

using rotator::cli::to_yaml;

TEST_CASE("structured output: every string reads back as the same string") {
  const char* tricky[] = {"",
                          "true",
                          "False",
                          "yes",
                          "off",
                          "y",
                          "~",
                          "null",
                          "123",
                          "-1.5",
                          "1e3",
                          "0x1f",
                          "0o17",
                          ".inf",
                          ".NaN",
                          "2026-01-01",
                          "2026-11-30T18:17:17Z",
                          "a: b",
                          "- x",
                          "#comment",
                          "key=value, with space",
                          "line\nbreak",
                          "quote \" and 'single'",
                          "kid-1pAkmoIZ_DKK85",
                          "ünïcødé",
                          "@at",
                          "*star",
                          "&amp"};
  nlohmann::ordered_json document = nlohmann::ordered_json::object();
  for (std::size_t i = 0; i < std::size(tricky); ++i) document["k" + std::to_string(i)] = tricky[i];
  const std::string text = to_yaml(document);
  const YAML::Node read = YAML::Load(text);
  // Those a plain scalar would type otherwise (YAML 1.1 too, as PyYAML reads) are quoted.
  CHECK_THAT(text, Catch::Contains("k1: \"true\"") && Catch::Contains("k3: \"yes\"") &&
                       Catch::Contains("k8: \"123\"") && Catch::Contains("k16: \"2026-11-30T18:17:17Z\""));
  for (std::size_t i = 0; i < std::size(tricky); ++i) {
    INFO("value " << i << ": " << tricky[i]);
    REQUIRE(read["k" + std::to_string(i)].IsScalar());
    CHECK(read["k" + std::to_string(i)].as<std::string>() == tricky[i]);
  }
}

TEST_CASE("structured output: plain strings stay plain, types keep their type, empty lists are []") {
  nlohmann::ordered_json document;
  document["kind"] = "Status";
  document["count"] = 9;
  document["ratio"] = 0.5;
  document["held"] = false;
  document["since"] = nullptr;
  document["reasons"] = nlohmann::ordered_json::array();
  document["created"] = "2026-01-01T00:00:00Z";
  CHECK(to_yaml(document) ==
        "kind: Status\ncount: 9\nratio: 0.5\nheld: false\nsince: ~\nreasons: []\ncreated: \"2026-01-01T00:00:00Z\"\n");
}
