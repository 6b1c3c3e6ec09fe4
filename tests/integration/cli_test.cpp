#include <catch2/catch.hpp>

#include "cluster_fixture.h"
#include "kube/resources.h"

using namespace rotator;
using namespace rotator::testing;

TEST_CASE("cli: status reports the cluster and the Secrets, in a table and as JSON") {
  TestNamespace ns;
  kube::Secret s;
  s.metadata.name = "rsa-keys";
  s.metadata.namespace_ = ns.name();
  s.data = {{"private.pem", "PRIVATE KEY MATERIAL"}, {"kid", "k1"}};
  const auto created = kube::SecretApi(*TestCluster::get().client()).create(s);

  const auto table = run_rotator({"status", "-n", ns.name()});
  REQUIRE(table.exit_code == 0);
  CHECK_THAT(table.out, Catch::Contains(TestCluster::get().server) && Catch::Contains("v1.20"));
  CHECK_THAT(table.out, Catch::Contains("rsa-keys") && Catch::Contains("present") &&
                            Catch::Contains(created.metadata.resource_version) && Catch::Contains("kid,private.pem"));
  CHECK_THAT(table.out, !Catch::Contains("PRIVATE KEY MATERIAL"));

  const auto json = run_rotator({"status", "-n", ns.name(), "-o", "json"});
  REQUIRE(json.exit_code == 0);
  const auto parsed = nlohmann::json::parse(json.out);
  CHECK(parsed["cluster"]["namespace"] == ns.name());
  CHECK(parsed["secrets"][0]["state"] == "present");
  CHECK(parsed["secrets"][1]["name"] == "admin-token");
  CHECK(parsed["secrets"][1]["state"] == "absent");
}

TEST_CASE("cli: usage errors exit 2 with a hint, version and help need no cluster") {
  const auto typo = run_rotator({"stauts"});
  CHECK(typo.exit_code == 2);
  CHECK_THAT(typo.err, Catch::Contains("did you mean status?"));
  CHECK(run_rotator({"status", "--no-such-flag"}).exit_code == 2);
  CHECK(run_rotator({"status", "-o", "yaml"}).exit_code == 2);
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
  REQUIRE(run.exit_code == 0);
  const auto line = nlohmann::json::parse(run.err.substr(0, run.err.find('\n')));
  CHECK(line["msg"] == "api requests");
  CHECK(line["requests"] == "3");
}

TEST_CASE("cli: kubectl finds rotator as a plugin") {
  const std::string bin_dir = std::filesystem::path(ROTATOR_BINARY).parent_path().string();
  const char* path = std::getenv("PATH");
  const auto run = testing::run({"kubectl", "rotator", "version"}, {{"PATH", bin_dir + ":" + (path ? path : "")}});
  CHECK(run.exit_code == 0);
  CHECK_THAT(run.out, Catch::StartsWith("rotator "));
}
