#include <catch2/catch.hpp>

#include "cluster_fixture.h"
#include "kube/resources.h"

using namespace rotator;
using namespace rotator::testing;

TEST_CASE("cli: status reports the cluster, keys, admin token and restart target, in a table and as JSON") {
  TestNamespace ns;
  REQUIRE(run_rotator({"key-gen", "-n", ns.name()}).exit_code == 0);
  const auto secret = kube::SecretApi(*TestCluster::get().client()).get(ns.name(), "rsa-keys");
  const std::string kid = secret->data.at("kid");

  // No admin token yet: broken (exit 7), and the table says why first.
  const auto table = run_rotator({"status", "-n", ns.name()});
  REQUIRE(table.exit_code == 7);
  CHECK_THAT(table.out, Catch::Contains("Verdict:      broken: no admin token"));
  CHECK_THAT(table.out, Catch::Contains(TestCluster::get().server) && Catch::Contains("v1.20"));
  CHECK_THAT(table.out,
             Catch::Contains("Signing keys") && Catch::Contains(kid) && Catch::Contains("RS256 (RSA 2048 bits)"));
  CHECK_THAT(table.out, !Catch::Contains("PRIVATE KEY"));

  const auto json = run_rotator({"status", "-n", ns.name(), "-o", "json"});
  REQUIRE(json.exit_code == 7);
  const auto parsed = nlohmann::json::parse(json.out);
  CHECK(parsed["namespace"] == ns.name());
  CHECK(parsed["keys"]["state"] == "ok");
  CHECK(parsed["keys"]["kid"] == kid);
  CHECK_FALSE(parsed["keys"]["stagedKid"].get<std::string>().empty());
  CHECK(parsed["adminToken"]["state"] == "absent");
  CHECK(parsed["restart"]["state"] == "absent");

  REQUIRE(run_rotator({"create-admin-token", "-n", ns.name()}).exit_code == 0);
  const auto after = nlohmann::json::parse(run_rotator({"status", "-n", ns.name(), "-o", "json"}).out);
  CHECK(after["adminToken"]["verifies"] == true);
  CHECK(after["adminToken"]["kid"] == kid);
}

TEST_CASE("cli: usage errors exit 2 with a hint, version and help need no cluster") {
  const auto typo = run_rotator({"stauts"});
  CHECK(typo.exit_code == 2);
  CHECK_THAT(typo.err, Catch::Contains("did you mean status?"));
  CHECK(run_rotator({"status", "--no-such-flag"}).exit_code == 2);
  CHECK(run_rotator({"status", "-o", "xml"}).exit_code == 2);
  CHECK(run_rotator({"status", "--timeout", "soon"}).exit_code == 2);
  CHECK(run_rotator({"status", "extra"}).exit_code == 2);
  CHECK(run_rotator({}).exit_code == 2);
  const auto version = run_rotator({"version"}, {{"KUBECONFIG", "/nonexistent"}});
  CHECK(version.exit_code == 0);
  CHECK_THAT(version.out, Catch::StartsWith("rotator "));
  const auto help = run_rotator({"status", "--help"});
  CHECK(help.exit_code == 0);
  CHECK_THAT(help.out, Catch::Contains("Examples:") && Catch::Contains("--kubeconfig"));
}

TEST_CASE("cli: JSON logs for Jobs and a request count with --stats") {
  TestNamespace ns;
  const auto run = run_rotator({"status", "-n", ns.name(), "--log-format", "json", "--stats"});
  REQUIRE(run.exit_code == 7);  // nothing bootstrapped there: broken
  const auto line = nlohmann::json::parse(run.err.substr(0, run.err.find('\n')));
  CHECK(line["msg"] == "api requests");
  // The namespace, /version, the four Secrets, the restart target, its pods and the Lease.
  CHECK(line["requests"] == 9);
}

TEST_CASE("cli: kubectl finds rotator as a plugin") {
  const std::string bin_dir = std::filesystem::path(ROTATOR_BINARY).parent_path().string();
  const char* path = std::getenv("PATH");
  const auto run = testing::run({"kubectl", "rotator", "version"}, {{"PATH", bin_dir + ":" + (path ? path : "")}});
  CHECK(run.exit_code == 0);
  CHECK_THAT(run.out, Catch::StartsWith("rotator "));
}
