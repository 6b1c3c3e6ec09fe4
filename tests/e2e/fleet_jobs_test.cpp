// End-to-end: the fleet example of manifests/fleet, as shipped for Kubernetes 1.20
// (one Job per shard; the Indexed Job needs 1.21+ and this cluster is 1.20.2), runs
// rotator's real image on the real node: three pods, each taking its shard of the
// labelled namespaces, and together each namespace exactly once. Checked from
// outside: each namespace's Events (one KeyGenerated), each pod's JSON log (its
// shard's count), kubectl.

#include <map>
#include <sstream>

#include <catch2/catch.hpp>

#include "e2e_support.h"

using namespace rotator;
using namespace rotator::e2e;
using namespace rotator::testing;

namespace {

/// Deletes the cluster-scoped objects a test created, whatever happens.
struct ClusterScoped {
  std::vector<std::pair<std::string, std::string>> objects;  ///< kind, name
  ~ClusterScoped() {
    for (const auto& [kind, name] : objects)
      run({"kubectl", "delete", kind, name, "--ignore-not-found", "--wait=false"});
  }
};

/// "shard I/3: K of N namespaces" from a pod's JSON log: {I, K}; REQUIREs it.
std::pair<int, int> shard_line(const std::string& logs) {
  std::istringstream in(logs);
  for (std::string line; std::getline(in, line);) {
    const auto entry = Json::parse(line, nullptr, false);
    if (!entry.is_object()) continue;
    const std::string msg = entry.value("msg", "");
    int index = 0, count = 0, chosen = 0, total = 0;
    if (std::sscanf(msg.c_str(), "shard %d/%d: %d of %d namespaces", &index, &count, &chosen, &total) == 4) {
      return {index, chosen};
    }
  }
  FAIL("no shard line in the pod's log");
  return {};
}

}  // namespace

TEST_CASE("fleet Jobs: three shard Jobs on the node take each labelled namespace exactly once") {
  if (skip_without_node()) return;
  TestNamespace home("e2e-fleet");
  const std::string suffix = unique_suffix();
  const std::string label = "rotator.io/fleet=e2e-" + suffix;
  std::vector<std::unique_ptr<TestNamespace>> targets;
  for (int i = 0; i < 7; ++i) {
    targets.push_back(std::make_unique<TestNamespace>("e2e-fleet-t"));
    must({"kubectl", "label", "namespace", targets.back()->name(), label});
    // What manifests/secrets.yaml ships: rotator's Secret, empty, for it to fill.
    must({"kubectl", "-n", targets.back()->name(), "create", "secret", "generic", "rsa-keys"});
  }

  // The fleet's ServiceAccount, ClusterRole and binding as shipped, under names of
  // this test's own (they are cluster-wide) and bound in its namespace.
  ClusterScoped cleanup;
  auto base = render_kustomize("manifests/fleet");
  for (auto& object : base) {
    const std::string kind = object["kind"];
    if (kind == "ClusterRole" || kind == "ClusterRoleBinding") {
      object["metadata"]["name"] = "rotator-fleet-" + suffix;
      cleanup.objects.emplace_back(kind, object["metadata"]["name"]);
    }
    if (kind == "ClusterRoleBinding") {
      object["roleRef"]["name"] = "rotator-fleet-" + suffix;
      object["subjects"][0]["namespace"] = home.name();
    }
  }
  kubectl_apply(home.name(), base);

  std::vector<Json> jobs;
  for (auto& object : render_kustomize("manifests/fleet/jobs")) {
    if (object["metadata"]["labels"].value("rotator.io/fleet", "") != "per-shard") continue;
    auto& args = object["spec"]["template"]["spec"]["containers"][0]["args"];
    for (auto& arg : args) {
      if (arg == "--namespace-selector=rotator.io/fleet=influxdb") arg = "--namespace-selector=" + label;
    }
    run_on_node(object["spec"]["template"]["spec"], Suite::get().rotator_image);
    jobs.push_back(object);
  }
  REQUIRE(jobs.size() == 3);
  const auto start = Clock::now();
  kubectl_apply(home.name(), jobs);
  std::map<int, int> taken;  // shard -> namespaces it took
  for (const auto& job : jobs) {
    const std::string name = job["metadata"]["name"];
    wait_job_complete(home.name(), name, std::chrono::seconds(240));
    const auto [index, chosen] = shard_line(must({"kubectl", "-n", home.name(), "logs", "job/" + name}));
    CHECK_FALSE(taken.contains(index));
    taken[index] = chosen;
  }
  const double seconds = seconds_since(start);
  CHECK(taken.size() == 3);
  int sum = 0;
  for (const auto& [index, chosen] : taken) sum += chosen;
  CHECK(sum == 7);

  // Each namespace: its keys filled once, by the fleet's ServiceAccount.
  for (const auto& ns : targets) {
    INFO(ns->name());
    CHECK_FALSE(must({"kubectl", "-n", ns->name(), "get", "secret", "rsa-keys", "-o", "jsonpath={.data.kid}"}).empty());
    const auto events = Json::parse(must({"kubectl", "-n", ns->name(), "get", "events", "--field-selector",
                                          "involvedObject.name=rsa-keys,reason=KeyGenerated", "-o", "json"}));
    REQUIRE(events["items"].size() == 1);
    CHECK(events["items"][0].value("count", 1) == 1);
  }
  report({{"test", "fleet-shard-jobs"}, {"namespaces", 7}, {"shards", 3}, {"seconds_to_complete", seconds}});
}
