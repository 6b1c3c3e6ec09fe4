// The local node itself (scripts/local-cluster up --node): Ready and schedulable
// for pods that tolerate its taint, and for no other pod (the integration tests'
// pods, whose images nobody can pull, stay Pending and nothing is pulled); the
// kubelet runs with the AWS provider's metadata lookups disabled; pod traffic is
// confined to the bridge by the node's own iptables chains, checked with
// iptables(8) itself.

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include <catch2/catch.hpp>

#include "e2e_support.h"

using namespace rotator;
using namespace rotator::e2e;
using namespace rotator::testing;

namespace {

/// The environment of a running process, one VAR=value a line.
std::string environment_of(const std::string& pid) {
  std::ifstream in("/proc/" + pid + "/environ", std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string text = buffer.str();
  std::replace(text.begin(), text.end(), '\0', '\n');
  return text;
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::string text;
  std::getline(in, text);
  return text;
}

}  // namespace

TEST_CASE("node: Ready, tainted for the tests that ask for it, no cloud lookups, pod traffic kept on the bridge") {
  if (skip_without_node()) return;
  const auto& cluster = TestCluster::get();

  const auto node = Json::parse(must({"kubectl", "get", "node", "localhost", "-o", "json"}));
  bool ready = false;
  for (const auto& condition : node["status"]["conditions"]) {
    if (condition["type"] == "Ready") ready = condition["status"] == "True";
  }
  CHECK(ready);
  CHECK_FALSE(node["spec"].value("unschedulable", false));
  std::set<std::string> taints;
  for (const auto& taint : node["spec"].value("taints", Json::array())) {
    taints.insert(taint["key"].get<std::string>() + "=" + taint.value("value", "") + ":" +
                  taint["effect"].get<std::string>());
  }
  CHECK(taints == std::set<std::string>{"rotator.io/local-node=true:NoSchedule"});

  // The kubelet never asks a cloud metadata address for credentials.
  const auto kubelet_pid = read_text(cluster.dir / "run" / "kubelet.pid");
  REQUIRE_FALSE(kubelet_pid.empty());
  CHECK(environment_of(kubelet_pid).find("\nAWS_EC2_METADATA_DISABLED=true\n") != std::string::npos);

  // The node's rules, as iptables lists them.
  const auto nat = must({"iptables", "-w", "-t", "nat", "-S"});
  CHECK(nat.find("-A PREROUTING -d 10.0.0.1/32 -i rotator0 -p tcp -m tcp --dport 443 -j ROTATOR-NODE-SVC") !=
        std::string::npos);
  const std::string port = std::to_string(cluster.port);
  CHECK(nat.find("-j DNAT --to-destination 127.0.0.1:" + port) != std::string::npos);
  const auto mangle = must({"iptables", "-w", "-t", "mangle", "-S", "ROTATOR-NODE-FWD"});
  CHECK(mangle.find("-A ROTATOR-NODE-FWD -i rotator0 -o rotator0 -j RETURN") != std::string::npos);
  CHECK(mangle.find("-j DROP") != std::string::npos);
  const auto forward = must({"iptables", "-w", "-t", "mangle", "-S", "FORWARD"});
  CHECK(forward.find("-A FORWARD -j ROTATOR-NODE-FWD") != std::string::npos);
  // route_localnet on the bridge; machine-wide as it was before the node (the
  // fixture's snapshot, when it started the node).
  CHECK(must({"sysctl", "-n", "net.ipv4.conf.rotator0.route_localnet"}) == "1\n");
  const auto before = Suite::get().state_dir / "host-before.txt";
  if (std::filesystem::exists(before)) {
    std::ifstream in(before);
    std::string was;
    for (std::string line; std::getline(in, line);) {
      if (line.starts_with("net.ipv4.conf.all.route_localnet = ")) was = line.substr(line.rfind(' ') + 1);
    }
    REQUIRE_FALSE(was.empty());
    CHECK(must({"sysctl", "-n", "net.ipv4.conf.all.route_localnet"}) == was + "\n");
  }

  // A pod that does not tolerate the taint is never scheduled, so its image (that
  // nobody could pull) is never asked for.
  TestNamespace ns("e2e-node");
  const Json pod = {{"apiVersion", "v1"},
                    {"kind", "Pod"},
                    {"metadata", {{"name", "not-for-the-node"}}},
                    {"spec", {{"containers", {{{"name", "c"}, {"image", "example.invalid/never:1"}}}}}}};
  kubectl_apply(ns.name(), {pod});
  std::string reason;
  for (int i = 0; i < 100 && reason.empty(); ++i) {
    const auto seen = get_object(ns.name(), "pod", "not-for-the-node");
    for (const auto& condition : seen["status"].value("conditions", Json::array())) {
      if (condition["type"] == "PodScheduled" && condition["status"] == "False") reason = condition.value("reason", "");
    }
    if (reason.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  CHECK(reason == "Unschedulable");
  const auto seen = get_object(ns.name(), "pod", "not-for-the-node");
  CHECK(seen["spec"].value("nodeName", "").empty());
  const auto socket = (cluster.dir / "node" / "containerd.sock").string();
  const auto images = must({"ctr", "--address", socket, "--namespace", "k8s.io", "images", "ls", "-q"});
  CHECK(images.find("example.invalid") == std::string::npos);
}
