// rotator status as an operator and an alert read it: a verdict per namespace
// with its exit code and first reason, JSON and YAML in one naming style, fleet
// rows, Prometheus text checked by promtool, and runs pushing to a real
// Pushgateway.

#include <algorithm>
#include <functional>

#include <yaml-cpp/yaml.h>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "kube/resources.h"
#include "pushgateway_fixture.h"
#include "steps_fixture.h"
#include "util/base64.h"
#include "util/subprocess.h"

using namespace rotator;
using namespace rotator::testing;
using Json = nlohmann::json;

namespace {

/// The "Verdict:" line of the table.
std::string verdict_line(const std::string& out) {
  const auto at = out.find("Verdict:");
  REQUIRE(at != std::string::npos);
  return out.substr(at, out.find('\n', at) - at);
}

/// Every key of a JSON document, recursively.
void collect_keys(const Json& value, std::vector<std::string>& keys) {
  if (value.is_object()) {
    for (const auto& [key, member] : value.items()) {
      keys.push_back(key);
      collect_keys(member, keys);
    }
  } else if (value.is_array()) {
    for (const auto& item : value) collect_keys(item, keys);
  }
}

void patch_secret(const std::string& ns, const std::string& name, const std::string& patch) {
  REQUIRE(kubectl({"-n", ns, "patch", "secret", name, "--type=merge", "-p", patch}).exit_code == 0);
}

}  // namespace

TEST_CASE("status: healthy, each degraded and each broken reason, with its exit code and one-line verdict") {
  struct Case {
    const char* name;
    std::function<void(const std::string& ns)> arrange;
    std::vector<std::string> extra_flags;
    int exit_code;
    const char* verdict;  ///< the start of the Verdict line
  };
  const std::vector<Case> cases = {
      {"healthy", [](const std::string& ns) { bootstrap(ns); }, {}, 0, "Verdict:      healthy"},
      {"degraded: no staged key",
       [&](const std::string& ns) {
         bootstrap(ns);
         REQUIRE(kubectl({"-n", ns, "patch", "secret", "rsa-keys", "--type=json", "-p",
                          R"([{"op":"remove","path":"/data/next.pem"}])"})
                     .exit_code == 0);
       },
       {},
       6,
       "Verdict:      degraded: no staged next key: rotator key-gen -n "},
      {"degraded: admin token within its renewal window",
       [](const std::string& ns) {
         REQUIRE(run_rotator({"key-gen", "-n", ns}).exit_code == 0);
         REQUIRE(run_rotator({"create-admin-token", "-n", ns, "--ttl", "24h"}).exit_code == 0);
       },
       {},
       6,
       "Verdict:      degraded: the admin token expires at"},
      {"degraded: key older than --max-key-age",
       [](const std::string& ns) {
         bootstrap(ns);
         std::this_thread::sleep_for(std::chrono::seconds(2));
       },
       {"--max-key-age", "1s"},
       6,
       "Verdict:      degraded: signing key kid="},
      {"degraded: an unfinished rotation",
       [](const std::string& ns) {
         bootstrap(ns);
         apply_token_management(ns, 1);  // never Ready: the rotation stops waiting for it
         REQUIRE(run_rotator({"revoke-and-rotate", "-n", ns, "--wait-timeout", "1s"}).exit_code == 1);
       },
       {},
       6,
       "Verdict:      degraded: scheduled rotation "},
      {"degraded: a lock held past its lease",
       [](const std::string& ns) {
         bootstrap(ns);
         auto client = TestCluster::get().client();
         kube::LeaseApi leases(*client);
         auto lease = leases.get(ns, "rotator-lock");
         REQUIRE(lease.has_value());
         lease->holder_identity = "revoke-and-rotate by user ops on host gone (pid 7) #deadbeef";
         lease->lease_duration_seconds = 1;
         lease->acquire_time = lease->renew_time = util::Clock::now() - std::chrono::minutes(5);
         leases.update(*lease);
       },
       {},
       6,
       "Verdict:      degraded: the lock Lease"},
      {"broken: namespace missing",
       [](const std::string&) {},
       {"-n", "no-such-namespace-here"},
       7,
       "Verdict:      broken: namespace no-such-namespace-here does not exist"},
      {"broken: keys missing after bootstrap",
       [](const std::string& ns) {
         bootstrap(ns);
         REQUIRE(kubectl({"-n", ns, "delete", "secret", "rsa-keys"}).exit_code == 0);
       },
       {},
       7,
       "Verdict:      broken: no signing keys"},
      {"broken: invalid keys",
       [](const std::string& ns) {
         bootstrap(ns);
         patch_secret(ns, "rsa-keys", "{\"data\":{\"private.pem\":\"" + util::base64_encode("junk") + "\"}}");
       },
       {},
       7,
       "Verdict:      broken: Secret "},
      {"broken: admin token not verifying",
       [&](const std::string& ns) {
         bootstrap(ns);
         REQUIRE(run_rotator({"key-gen", "-n", ns, "--force"}).exit_code == 0);  // valid: nothing replaced
         const std::string other = "other-" + unique_suffix();
         REQUIRE(kubectl({"create", "namespace", other}).exit_code == 0);
         bootstrap(other);
         patch_secret(ns, "admin-token",
                      "{\"data\":{\"token\":\"" + util::base64_encode(admin_token_file(other)) + "\"}}");
         kubectl({"delete", "namespace", other, "--wait=false"});
       },
       {},
       7,
       "Verdict:      broken: the admin token does not verify"},
      {"broken: token-management not running the current key",
       [&](const std::string& ns) {
         bootstrap(ns);
         const auto kubelet = deploy_token_management(ns, 1);
         // Rotated without restarting: the pod keeps the old key.
         REQUIRE(run_rotator({"revoke-and-rotate", "-n", ns, "--restart", "none"}).exit_code == 0);
       },
       {},
       7,
       "Verdict:      broken: 1 of 1 pods of app=token-management started before signing key"},
      {"broken: no rights",
       [](const std::string& ns) { bootstrap(ns); },
       {"--context", "nobody"},
       7,
       "Verdict:      broken: not allowed to read Secret "},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    TestNamespace ns("status");
    c.arrange(ns.name());
    // A case naming its own namespace (one that does not exist) replaces ours.
    const bool own_namespace = std::find(c.extra_flags.begin(), c.extra_flags.end(), "-n") != c.extra_flags.end();
    std::vector<std::string> args = {"status"};
    if (!own_namespace) args.insert(args.end(), {"-n", ns.name()});
    args.insert(args.end(), c.extra_flags.begin(), c.extra_flags.end());
    const auto table = run_rotator(args);
    INFO(table.out << table.err);
    CHECK(table.exit_code == c.exit_code);
    CHECK_THAT(verdict_line(table.out), Catch::StartsWith(c.verdict));

    for (const char* format : {"json", "yaml"}) {
      auto structured = args;
      structured.insert(structured.end(), {"-o", format});
      const auto run = run_rotator(structured);
      CHECK(run.exit_code == c.exit_code);
      Json document;
      if (std::string(format) == "json") {
        document = Json::parse(run.out);
      } else {
        // YAML read by yaml-cpp, turned into JSON only to compare with the JSON.
        const YAML::Node node = YAML::Load(run.out);
        CHECK(node["verdict"].as<std::string>() == Json::parse(run_rotator([&] {
                                                                 auto j = args;
                                                                 j.insert(j.end(), {"-o", "json"});
                                                                 return j;
                                                               }())
                                                                   .out)["verdict"]);
        continue;
      }
      CHECK(document["kind"] == "Status");
      CHECK(document["verdict"] ==
            std::string(c.verdict).substr(14, std::string(c.verdict).find_first_of(":", 14) - 14));
      std::vector<std::string> keys;
      collect_keys(document, keys);
      for (const auto& key : keys) {
        INFO(key);
        CHECK(key.find('_') == std::string::npos);  // camelCase, as Kubernetes writes
      }
      if (document["keys"].contains("ageSeconds")) CHECK(document["keys"]["ageSeconds"].is_number());
    }
  }
}

TEST_CASE("status: after an incident with delete-pods and Ready replacements, the pods run the current key") {
  TestNamespace ns("status");
  bootstrap(ns.name());
  const auto kubelet = deploy_token_management(ns.name(), 2);
  const auto incident =
      run_rotator({"revoke-and-rotate", "-n", ns.name(), "--restart", "delete-pods", "--wait-timeout", "60s"});
  INFO(incident.err);
  REQUIRE(incident.exit_code == 0);
  const auto status = run_rotator({"status", "-n", ns.name(), "-o", "json"});
  INFO(status.out);
  CHECK(status.exit_code == 0);
  const auto document = Json::parse(status.out);
  CHECK(document["restart"]["runsCurrentKey"] == true);
  CHECK(document["restart"]["podsOnCurrentKey"] == 2);
  CHECK(document["keys"]["rotationInProgress"].is_null());
}

TEST_CASE("status: a fleet shows one row per namespace and exits with the worst verdict") {
  TestNamespace healthy("fleet-status");
  TestNamespace also_healthy("fleet-status");
  TestNamespace broken("fleet-status");
  bootstrap(healthy.name());
  bootstrap(also_healthy.name());
  const std::string list = healthy.name() + "," + broken.name() + "," + also_healthy.name();
  const auto rows = run_rotator({"status", "--namespaces", list});
  INFO(rows.out << rows.err);
  CHECK(rows.exit_code == 7);
  std::istringstream lines(rows.out);
  std::vector<std::string> table;
  for (std::string line; std::getline(lines, line);) table.push_back(line);
  REQUIRE(table.size() == 4);
  CHECK_THAT(table[0], Catch::StartsWith("NAMESPACE") && Catch::Contains("VERDICT"));
  CHECK_THAT(table[1], Catch::StartsWith(healthy.name()) && Catch::Contains("healthy"));
  CHECK_THAT(table[2],
             Catch::StartsWith(broken.name()) && Catch::Contains("broken") && Catch::Contains("no signing keys"));
  CHECK_THAT(table[3], Catch::StartsWith(also_healthy.name()) && Catch::Contains("healthy"));
  const auto no_headers = run_rotator({"status", "--namespaces", list, "--no-headers"});
  CHECK_THAT(no_headers.out, Catch::StartsWith(healthy.name()));
  const auto json = Json::parse(run_rotator({"status", "--namespaces", list, "-o=json"}).out);
  CHECK(json["kind"] == "StatusList");
  REQUIRE(json["items"].size() == 3);
  CHECK(json["items"][1]["verdict"] == "broken");
}

TEST_CASE("status: -o prometheus passes promtool check metrics") {
  TestNamespace a("prom");
  TestNamespace b("prom");
  bootstrap(a.name());
  REQUIRE(run_rotator(
              {"management", "create", "-n", a.name(), "--description", "ci", "--expires-at", "2099-01-01T00:00:00Z"})
              .exit_code == 0);
  const auto text = run_rotator({"status", "--namespaces", a.name() + "," + b.name(), "-o", "prometheus"});
  CHECK(text.exit_code == 7);  // b is not bootstrapped
  TempDir dir;
  const auto file = dir.write("status.prom", text.out);
  const auto check = util::run_process({"/bin/sh", "-c", "exec promtool check metrics <\"$0\" 2>&1", file.string()}, {},
                                       std::chrono::minutes(1), util::ChildStdin::null, util::ChildStderr::inherit);
  INFO(text.out << check.stdout_text);
  CHECK(check.exit_code == 0);
  CHECK(sample_value(text.out, "rotator_verdict", {"namespace=\"" + a.name() + "\"", "verdict=\"healthy\""}) == 1.0);
  CHECK(sample_value(text.out, "rotator_verdict", {"namespace=\"" + b.name() + "\"", "verdict=\"broken\""}) == 1.0);
  CHECK(sample_value(text.out, "rotator_tokens",
                     {"namespace=\"" + a.name() + "\"", "kind=\"management\"", "state=\"active\""}) == 1.0);
}

TEST_CASE("status: writing runs push their outcome to a real Pushgateway, a failure keeps the last success") {
  Pushgateway gateway;
  TestNamespace ns("push");
  bootstrap(ns.name());
  const auto good =
      run_rotator({"revoke-and-rotate", "-n", ns.name(), "--restart", "none", "--pushgateway", gateway.url()});
  INFO(good.err << gateway.log());
  REQUIRE(good.exit_code == 0);
  const std::vector<std::string> group = {"job=\"revoke-and-rotate\"", "namespace=\"" + ns.name() + "\""};
  auto metrics = gateway.metrics();
  const auto success = sample_value(metrics, "rotator_run_last_success_timestamp_seconds", group);
  REQUIRE(success.has_value());
  CHECK(sample_value(metrics, "rotator_run_exit_code", group) == 0.0);

  // A failing run (the restart target is missing) pushes its failure, from the
  // environment setting the CronJobs use, and the last success stays.
  const auto bad = run_rotator({"revoke-and-rotate", "-n", ns.name(), "--target", "deployment/absent"},
                               {{"ROTATOR_PUSHGATEWAY", gateway.url()}});
  CHECK(bad.exit_code == 1);
  metrics = gateway.metrics();
  CHECK(sample_value(metrics, "rotator_run_exit_code", group) == 1.0);
  CHECK(sample_value(metrics, "rotator_run_last_success_timestamp_seconds", group) == success);

  // status pushes its own group.
  CHECK(run_rotator({"status", "-n", ns.name(), "--pushgateway", gateway.url()}).exit_code == 0);
  CHECK(sample_value(gateway.metrics(), "rotator_verdict",
                     {"job=\"status\"", "namespace=\"" + ns.name() + "\"", "verdict=\"healthy\""}) == 1.0);
}
