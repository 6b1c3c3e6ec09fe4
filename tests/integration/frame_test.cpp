// The frame every run goes through: a plan bound before anything connects, one
// Lease per namespace for the whole plan.

#include <fstream>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "cluster_fixture.h"

using namespace rotator;
using namespace rotator::testing;
using Json = nlohmann::json;

namespace {

/// The audit log's entries about `resource` in `ns` (the local cluster logs every
/// request's metadata).
std::vector<Json> audited(const std::string& ns, const std::string& resource) {
  std::ifstream in(TestCluster::get().dir / "logs" / "audit.log");
  std::vector<Json> entries;
  for (std::string line; std::getline(in, line);) {
    if (line.find(ns) == std::string::npos) continue;
    const auto entry = Json::parse(line, nullptr, false);
    if (!entry.is_object() || !entry.contains("objectRef")) continue;
    const auto& ref = entry["objectRef"];
    if (ref.value("namespace", "") == ns && ref.value("resource", "") == resource) entries.push_back(entry);
  }
  return entries;
}

}  // namespace

TEST_CASE("frame: a job file with a bad value in its last step exits 2 before any request, even with no server") {
  TempDir dir;
  const auto unreachable = dir.write("kubeconfig",
                                     "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n"
                                     "    server: https://127.0.0.1:1\nusers:\n- name: u\n  user:\n    token: t\n"
                                     "contexts:\n- name: c\n  context: {cluster: c, user: u, namespace: ns}\n"
                                     "current-context: c\n");
  const auto job = dir.write("job.yaml",
                             "apiVersion: rotator.io/v1\nkind: JobFile\nsteps:\n  - step: key-gen\n"
                             "  - step: create-admin-token\n  - step: revoke-and-rotate\n"
                             "    with: {rotation-id: \"not,valid\"}\n");
  const auto run = run_rotator({"run", job.string(), "--kubeconfig", unreachable.string(), "--stats"});
  CHECK(run.exit_code == 2);
  CHECK_THAT(run.err, Catch::Contains("steps[2] (revoke-and-rotate)") && Catch::Contains("--rotation-id"));
  CHECK(std::count(run.err.begin(), run.err.end(), '\n') == 1);  // one error line, no request, no "cannot reach"
}

TEST_CASE("frame: a bootstrap job takes the Lease once and releases it once per namespace") {
  TestNamespace ns;
  const auto run = run_rotator({"run", std::string(ROTATOR_SOURCE_DIR) + "/jobs/bootstrap.yaml", "-n", ns.name()});
  REQUIRE(run.exit_code == 0);
  // The API server writes its audit log asynchronously: give it a moment.
  std::vector<std::string> writes;
  for (int i = 0; i < 50; ++i) {
    writes.clear();
    for (const auto& entry : audited(ns.name(), "leases")) {
      const std::string verb = entry.value("verb", "");
      if (verb != "get" && entry.value("stage", "") == "ResponseComplete") writes.push_back(verb);
    }
    if (writes.size() >= 3) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  // patch (a free Lease is taken in one request; there is none yet) + create
  // (taken) + update (released): two steps, one Lease.
  CHECK(writes == std::vector<std::string>{"patch", "create", "update"});
}
