// `cmake --install` gives a working kubectl plugin: bin/kubectl-rotator next to
// bin/rotator, found by kubectl on PATH.

#include <catch2/catch.hpp>

#include "packaging_support.h"

using namespace rotator::testing;

TEST_CASE("packaging: cmake --install makes `kubectl rotator status` work") {
  const auto build_dir = std::filesystem::path(ROTATOR_BINARY).parent_path();
  TempDir prefix;
  const auto installed = run({"cmake", "--install", build_dir.string(), "--prefix", prefix.path().string()});
  INFO(installed.out << installed.err);
  REQUIRE(installed.exit_code == 0);
  CHECK(std::filesystem::is_symlink(prefix.path() / "bin/kubectl-rotator"));
  CHECK(std::filesystem::read_symlink(prefix.path() / "bin/kubectl-rotator") == "rotator");

  TestNamespace ns("plugin");
  const char* path = std::getenv("PATH");
  const auto status = run({"kubectl", "rotator", "status", "-n", ns.name()},
                          {{"PATH", (prefix.path() / "bin").string() + ":" + (path ? path : "")}});
  INFO(status.err);
  CHECK(status.exit_code == 7);  // broken: nothing is bootstrapped in a new namespace
  CHECK_THAT(status.out, Catch::Contains("Namespace:    " + ns.name()) && Catch::Contains("rsa-keys"));
  CHECK_THAT(status.out, Catch::Contains("no signing keys"));
}
