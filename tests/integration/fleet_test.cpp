// Multi-namespace runs against the real API server: many namespaces at once, one
// failing without stopping the others, the summary, the exit code, and what it
// costs in API requests (checked against the API server's own audit log).

#include <chrono>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <thread>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "steps_fixture.h"

using namespace rotator;
using namespace rotator::testing;
using Json = nlohmann::json;

namespace {

const std::string bootstrap_job = bootstrap_job_file();

std::vector<std::unique_ptr<TestNamespace>> make_namespaces(int count) {
  std::vector<std::unique_ptr<TestNamespace>> namespaces;
  for (int i = 0; i < count; ++i) namespaces.push_back(std::make_unique<TestNamespace>("fleet"));
  return namespaces;
}

std::string join(const std::vector<std::unique_ptr<TestNamespace>>& namespaces, std::size_t count) {
  std::string out;
  for (std::size_t i = 0; i < count && i < namespaces.size(); ++i)
    out += (out.empty() ? "" : ",") + namespaces[i]->name();
  return out;
}

/// The summary row of a namespace: {RESULT, EXIT}, or empty when there is none.
std::pair<std::string, std::string> summary_row(const std::string& out, const std::string& ns) {
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    std::istringstream words(line);
    std::string name, result, code;
    words >> name >> result >> code;
    if (name == ns && (result == "ok" || result == "unchanged" || result == "failed")) return {result, code};
  }
  return {};
}

/// The request count a --stats --log-format json run reported.
long reported_requests(const std::string& json_stderr) {
  std::istringstream in(json_stderr);
  for (std::string line; std::getline(in, line);) {
    const auto json = Json::parse(line, nullptr, false);
    if (json.is_object() && json.value("msg", "") == "api requests") return json.value("requests", -1L);
  }
  FAIL("no api requests line in: " << json_stderr);
  return -1;
}

/// Completed requests rotator (its user agent) sent as admin into these namespaces,
/// or to list namespaces, as the API server's audit log records them.
long audited_requests(const std::set<std::string>& namespaces) {
  std::ifstream in(TestCluster::get().dir / "logs" / "audit.log");
  long count = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.find("\"rotator/") == std::string::npos) continue;
    const auto event = Json::parse(line, nullptr, false);
    if (!event.is_object() || event.value("stage", "") != "ResponseComplete") continue;
    if (event["user"].value("username", "") != "admin") continue;
    if (!event.value("userAgent", "").starts_with("rotator/")) continue;
    const auto ref = event.value("objectRef", Json::object());
    if (namespaces.count(ref.value("namespace", "")) ||
        (ref.value("resource", "") == "namespaces" && namespaces.count(ref.value("name", "")))) {
      ++count;
    }
  }
  return count;
}

/// The audit log is written asynchronously: waits until it holds `expected` more
/// lines than `before`, or a few seconds, and returns what it holds then.
long audited_after(const std::set<std::string>& namespaces, long before, long expected) {
  long now = audited_requests(namespaces);
  for (int i = 0; i < 50 && now - before < expected; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    now = audited_requests(namespaces);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // and nothing more arrives
  return audited_requests(namespaces) - before;
}

}  // namespace

TEST_CASE("fleet: bootstrap of many namespaces at once, one corrupt namespace fails alone with exit 5") {
  auto namespaces = make_namespaces(5);
  const std::string broken = namespaces[2]->name();
  REQUIRE(kubectl({"-n", broken, "create", "secret", "generic", "rsa-keys", "--from-literal=private.pem=garbage"})
              .exit_code == 0);
  const auto first = run_rotator({"run", bootstrap_job, "--namespaces", join(namespaces, 5), "--concurrency", "3"});
  INFO(first.out << first.err);
  CHECK(first.exit_code == 5);
  for (const auto& ns : namespaces) {
    INFO(ns->name());
    if (ns->name() == broken) {
      CHECK(summary_row(first.out, ns->name()) == std::pair<std::string, std::string>{"failed", "5"});
      CHECK(kubectl({"-n", ns->name(), "get", "secret", "admin-token"}).exit_code != 0);
    } else {
      CHECK(summary_row(first.out, ns->name()) == std::pair<std::string, std::string>{"ok", "0"});
      CHECK(keys_valid_by_openssl(ns->name()));
      CHECK_FALSE(admin_token_file(ns->name()).empty());
      // Each namespace's lines carry its name, whole lines, never interleaved.
      CHECK(first.out.find(ns->name() + ": key-gen: create Secret " + ns->name() + "/rsa-keys") != std::string::npos);
    }
  }
  CHECK(first.out.find("5 namespaces: 4 ok, 0 unchanged, 1 failed; exit 5") != std::string::npos);
  CHECK(first.err.find(broken + ": error: ") != std::string::npos);

  // A rerun converges: the good namespaces are unchanged, the broken one still fails.
  const std::string versions = secret_versions(namespaces[0]->name());
  const auto second = run_rotator({"run", bootstrap_job, "--namespaces", join(namespaces, 5)});
  CHECK(second.exit_code == 5);
  CHECK(summary_row(second.out, namespaces[0]->name()) == std::pair<std::string, std::string>{"unchanged", "0"});
  CHECK(secret_versions(namespaces[0]->name()) == versions);

  // --force repairs it, and a single step takes the same flags.
  const auto repaired = run_rotator({"key-gen", "--force", "--namespaces", broken + "," + namespaces[0]->name()});
  INFO(repaired.out << repaired.err);
  CHECK(repaired.exit_code == 0);
  CHECK(summary_row(repaired.out, broken) == std::pair<std::string, std::string>{"ok", "0"});
  CHECK(summary_row(repaired.out, namespaces[0]->name()) == std::pair<std::string, std::string>{"unchanged", "0"});
}

TEST_CASE("fleet: --all-namespaces with a selector lists namespaces through the API") {
  auto namespaces = make_namespaces(3);
  const std::string label = "rotator-fleet-test=" + unique_suffix();
  for (std::size_t i = 0; i < 2; ++i) {
    REQUIRE(kubectl({"label", "namespace", namespaces[i]->name(), label}).exit_code == 0);
  }
  const auto run = run_rotator({"key-gen", "--all-namespaces", "--namespace-selector", label});
  INFO(run.out << run.err);
  CHECK(run.exit_code == 0);
  CHECK(summary_row(run.out, namespaces[0]->name()).first == "ok");
  CHECK(summary_row(run.out, namespaces[1]->name()).first == "ok");
  CHECK(summary_row(run.out, namespaces[2]->name()).first.empty());
  CHECK(run.out.find("2 namespaces: 2 ok") != std::string::npos);
  CHECK(kubectl({"-n", namespaces[2]->name(), "get", "secret", "rsa-keys"}).exit_code != 0);
}

TEST_CASE("fleet: two shards over 7 namespaces bootstrap each exactly once, as an Indexed Job's pods would") {
  auto namespaces = make_namespaces(7);
  const std::string label = "rotator-shard-test=" + unique_suffix();
  for (const auto& ns : namespaces) REQUIRE(kubectl({"label", "namespace", ns->name(), label}).exit_code == 0);
  // Shard 0 by --shard, shard 1 as the second pod of an Indexed Job sees it.
  const auto first =
      run_rotator({"run", bootstrap_job, "--all-namespaces", "--namespace-selector", label, "--shard", "0/2"});
  const auto second =
      run_rotator({"run", bootstrap_job, "--all-namespaces", "--namespace-selector", label, "--shard-count", "2"},
                  {{"JOB_COMPLETION_INDEX", "1"}});
  INFO(first.out << first.err << second.out << second.err);
  REQUIRE(first.exit_code == 0);
  REQUIRE(second.exit_code == 0);
  std::size_t in_first = 0;
  for (const auto& ns : namespaces) {
    INFO(ns->name());
    const bool a = summary_row(first.out, ns->name()).first == "ok";
    const bool b = summary_row(second.out, ns->name()).first == "ok";
    CHECK(a != b);  // in exactly one shard
    in_first += a ? 1 : 0;
    CHECK(kubectl({"-n", ns->name(), "get", "secret", "rsa-keys", "admin-token"}).exit_code == 0);
  }
  CHECK_THAT(first.err, Catch::Contains("shard 0/2: " + std::to_string(in_first) + " of 7 namespaces"));
  CHECK_THAT(second.err, Catch::Contains("shard 1/2: " + std::to_string(7 - in_first) + " of 7 namespaces"));
  // Run again, both shards find their namespaces converged: nothing written twice.
  const auto again =
      run_rotator({"run", bootstrap_job, "--all-namespaces", "--namespace-selector", label, "--shard", "0/2"});
  CHECK(again.exit_code == 0);
  CHECK_THAT(again.out, Catch::Contains(std::to_string(in_first) + " namespaces: 0 ok, " + std::to_string(in_first) +
                                        " unchanged"));
}

TEST_CASE("fleet: conflicting namespace flags are usage errors") {
  CHECK(run_rotator({"key-gen", "-n", "a", "--shard", "0/2"}).exit_code == 2);
  CHECK(run_rotator({"key-gen", "--namespaces", "a,b", "--shard", "2/2"}).exit_code == 2);
  CHECK(run_rotator({"key-gen", "--namespaces", "a,b", "--shard", "0/2", "--shard-count", "2"}).exit_code == 2);
  CHECK(
      run_rotator({"key-gen", "--namespaces", "a,b", "--shard-count", "2"}, {{"JOB_COMPLETION_INDEX", ""}}).exit_code ==
      2);
  CHECK(run_rotator({"key-gen", "-n", "a", "--namespaces", "b"}).exit_code == 2);
  CHECK(run_rotator({"key-gen", "--namespaces", "a", "--all-namespaces"}).exit_code == 2);
  CHECK(run_rotator({"key-gen", "--namespace-selector", "a=b"}).exit_code == 2);
  CHECK(run_rotator({"key-gen", "--namespaces", "a", "--concurrency", "0"}).exit_code == 2);
  CHECK(run_rotator({"run", bootstrap_job, "--namespaces", " , "}).exit_code == 2);
}

TEST_CASE("fleet: a converged bootstrap costs at most 3 requests per namespace, O(N), as the audit log confirms") {
  auto namespaces = make_namespaces(8);
  std::set<std::string> all;
  for (const auto& ns : namespaces) all.insert(ns->name());
  const auto bootstrap = run_rotator({"run", bootstrap_job, "--namespaces", join(namespaces, 8)});
  REQUIRE(bootstrap.exit_code == 0);

  std::map<int, long> requests;
  for (const int n : {1, 4, 8}) {
    INFO("N=" << n);
    const long before = audited_requests(all);
    const auto run =
        run_rotator({"run", bootstrap_job, "--namespaces", join(namespaces, n), "--stats", "--log-format", "json"});
    INFO(run.err);
    REQUIRE(run.exit_code == 0);
    CHECK(write_methods(run.err).empty());
    requests[n] = reported_requests(run.err);
    CHECK(requests[n] <= 3L * n);
    // The tool's own count is what the API server saw.
    CHECK(audited_after(all, before, requests[n]) == requests[n]);
  }
  // key-gen reads rsa-keys, create-admin-token takes the key ring from that same
  // observation and reads admin-token: two requests.
  CHECK(requests[1] == 2);
  CHECK(requests[4] == 4 * requests[1]);
  CHECK(requests[8] == 8 * requests[1]);

  // Listing namespaces costs one request more, whatever N.
  const std::string label = "rotator-fleet-cost=" + unique_suffix();
  for (const auto& ns : namespaces) REQUIRE(kubectl({"label", "namespace", ns->name(), label}).exit_code == 0);
  const auto listed = run_rotator(
      {"run", bootstrap_job, "--all-namespaces", "--namespace-selector", label, "--stats", "--log-format", "json"});
  REQUIRE(listed.exit_code == 0);
  CHECK(reported_requests(listed.err) == requests[8] + 1);
}

TEST_CASE("fleet: a scheduled rotation costs 11 requests per namespace, as many as the runbook's kubectl loop") {
  auto namespaces = make_namespaces(2);
  REQUIRE(run_rotator({"run", bootstrap_job, "--namespaces", join(namespaces, 2)}).exit_code == 0);
  const std::string first = namespaces[0]->name();
  const std::size_t before = rotator_request_count(first);
  const auto run = run_rotator({"revoke-and-rotate", "--namespaces", join(namespaces, 2), "--restart", "none",
                                "--stats", "--log-format", "json"});
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  CHECK(reported_requests(run.err) == 2 * 11);
  // The lock the bootstrap released is taken in one request, and the two
  // Secrets read before it are not read again under it: the bootstrap's release
  // recorded the versions it wrote, and they are the ones read.
  const auto requests = rotator_requests_since(first, before, 10);
  const std::vector<std::string> expected = {"get secrets/rsa-keys",
                                             "get secrets/admin-token",
                                             "patch leases/rotator-lock",
                                             "update secrets/rsa-keys",
                                             "create events",
                                             "update secrets/admin-token",
                                             "create events",
                                             "update secrets/rsa-keys",
                                             "create events",
                                             "update leases/rotator-lock"};
  // (The access review, the eleventh, is not namespaced in the audit log.)
  CHECK(requests == expected);
}
