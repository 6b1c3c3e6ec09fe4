// End-to-end 2: the rotate CronJob of manifests/ (batch/v1, served as batch/v1beta1
// by Kubernetes 1.20) fires on a near schedule; its pod, running the real image
// with the shipped restricted securityContext, is killed (SIGKILL from the host)
// mid-run, after it rotated the key and started the rollout; the Job controller
// retries it, and the retry finishes the same rotation: the Job's uid once in the
// rotation history, the key rotated exactly once, every consumer pod on the new key.

#include <signal.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <thread>

#include <catch2/catch.hpp>

#include "e2e_support.h"

using namespace rotator;
using namespace rotator::e2e;
using namespace rotator::testing;

namespace {

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::stringstream in(text);
  for (std::string part; std::getline(in, part, separator);) {
    if (!part.empty()) parts.push_back(part);
  }
  return parts;
}

std::string read_proc(int pid, const std::string& file) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/" + file);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

/// The value of a "Name:\tvalue" line of /proc/PID/status.
std::string status_field(const std::string& status, const std::string& name) {
  std::istringstream in(status);
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with(name + ":")) {
      auto value = line.substr(name.size() + 1);
      value.erase(0, value.find_first_not_of(" \t"));
      return value;
    }
  }
  return {};
}

/// The host pid of a container's main process, from containerd (ctr tasks ls).
int container_pid(const std::string& container_id) {
  const auto socket = (TestCluster::get().dir / "node" / "containerd.sock").string();
  const auto tasks = must({"ctr", "--address", socket, "--namespace", "k8s.io", "tasks", "ls"});
  std::istringstream in(tasks);
  for (std::string line; std::getline(in, line);) {
    std::istringstream words(line);
    std::string id, pid, state;
    words >> id >> pid >> state;
    if (id == container_id && state == "RUNNING") return std::stoi(pid);
  }
  return -1;
}

std::string rotation_history(const std::string& ns) {
  return must({"kubectl", "-n", ns, "get", "secret", "rsa-keys", "-o",
               "jsonpath={.metadata.annotations.rotator\\.io/rotation-history}"});
}

}  // namespace

TEST_CASE(
    "rotate CronJob: fires on a near schedule, and a pod killed mid-run is retried and the retry finishes the same "
    "rotation") {
  if (skip_without_node()) return;
  TestNamespace ns("e2e-cron");
  ConsumerClient consumer(ns.name());
  // Keys and admin token first (as by hand), then the consumer that loads them.
  must({rotator_binary(), "-n", ns.name(), "run", std::string(ROTATOR_SOURCE_DIR) + "/jobs/bootstrap.yaml"});
  deploy_token_management(ns.name(), 2);
  const std::string kid_before = consumer.current_kid();
  const auto history_before = split(rotation_history(ns.name()), ',');
  const auto template_kid = [&] {
    return must({"kubectl", "-n", ns.name(), "get", "deployment", "token-management", "-o",
                 "jsonpath={.spec.template.metadata.annotations.rotator\\.io/kid}"});
  };
  const std::string restart_kid_before = template_kid();

  const auto applied_at = Clock::now();
  arm_rotate_cronjob(ns.name());
  const auto [job_name, job_uid] = wait_for_cronjob_job(ns.name(), "rotator-rotate");
  const double seconds_to_fire = seconds_since(applied_at);

  // Mid-run: the pod rotated the key and patched the Deployment, and waits for the
  // rollout (the consumer's readiness takes a few seconds per pod).
  std::string pod_name, container_id;
  bool restart_started = false;
  const auto fired_at = Clock::now();
  for (int i = 0; i < 1200 && !restart_started; ++i) {
    const auto pods =
        Json::parse(must({"kubectl", "-n", ns.name(), "get", "pods", "-l", "controller-uid=" + job_uid, "-o", "json"}));
    for (const auto& pod : pods["items"]) {
      const auto statuses = pod["status"].value("containerStatuses", Json::array());
      if (!statuses.empty() && statuses[0]["state"].contains("running")) {
        pod_name = pod["metadata"]["name"];
        container_id = statuses[0].value("containerID", "");
      }
      INFO("pod " << pod["metadata"]["name"] << " is " << pod["status"].value("phase", ""));
      REQUIRE(pod["status"].value("phase", "") != "Succeeded");  // finished before the kill: nothing tested
    }
    restart_started = !pod_name.empty() && template_kid() != restart_kid_before;
    if (!restart_started) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  REQUIRE(restart_started);
  REQUIRE(container_id.starts_with("containerd://"));
  const int pid = container_pid(container_id.substr(std::string("containerd://").size()));
  REQUIRE(pid > 0);

  // How containerd runs the shipped securityContext: UID/GID 65532, no new
  // privileges, no capabilities, seccomp filter, read-only root.
  const auto status = read_proc(pid, "status");
  CHECK(status_field(status, "Uid") == "65532\t65532\t65532\t65532");
  CHECK(status_field(status, "Gid") == "65532\t65532\t65532\t65532");
  CHECK(status_field(status, "NoNewPrivs") == "1");
  CHECK(status_field(status, "Seccomp") == "2");
  CHECK(status_field(status, "CapEff") == "0000000000000000");
  CHECK(status_field(status, "CapBnd") == "0000000000000000");
  bool root_read_only = false;
  std::istringstream mountinfo(read_proc(pid, "mountinfo"));
  for (std::string line; std::getline(mountinfo, line);) {
    std::istringstream words(line);
    std::string id, parent, devices, root, point, options;
    words >> id >> parent >> devices >> root >> point >> options;
    if (point == "/") root_read_only = options.starts_with("ro");
  }
  CHECK(root_read_only);

  REQUIRE(::kill(pid, SIGKILL) == 0);
  const auto killed_at = Clock::now();

  const auto job = wait_job_complete(ns.name(), job_name, std::chrono::seconds(300));
  const double seconds_from_kill = seconds_since(killed_at);
  CHECK(job["status"].value("succeeded", 0) == 1);
  CHECK(job["status"].value("failed", 0) == 1);
  const auto pods =
      Json::parse(must({"kubectl", "-n", ns.name(), "get", "pods", "-l", "controller-uid=" + job_uid, "-o", "json"}));
  int failed = 0, succeeded = 0;
  for (const auto& pod : pods["items"]) {
    const auto& terminated = pod["status"]["containerStatuses"][0]["state"]["terminated"];
    if (pod["metadata"]["name"] == pod_name) {
      ++failed;
      CHECK(pod["status"]["phase"] == "Failed");
      CHECK(terminated.value("exitCode", 0) == 137);  // SIGKILL
    } else {
      ++succeeded;
      CHECK(pod["status"]["phase"] == "Succeeded");
      CHECK(terminated.value("exitCode", -1) == 0);
      // The retry's logs are JSON lines too.
      std::istringstream logs(must({"kubectl", "-n", ns.name(), "logs", pod["metadata"]["name"]}));
      for (std::string line; std::getline(logs, line);) {
        if (!line.empty()) CHECK(Json::parse(line, nullptr, false).is_object());
      }
    }
  }
  CHECK(failed == 1);
  CHECK(succeeded == 1);

  // One rotation, by this Job: its uid once in the history, one new entry, a new key.
  const auto history = split(rotation_history(ns.name()), ',');
  CHECK(std::count(history.begin(), history.end(), job_uid) == 1);
  CHECK(history.size() == history_before.size() + 1);
  const std::string kid_after = consumer.current_kid();
  CHECK(kid_after != kid_before);
  CHECK(template_kid() == kid_after);

  // The rollout finished, and every consumer pod serves the new key.
  must({"kubectl", "-n", ns.name(), "rollout", "status", "deployment/token-management", "--timeout=60s"});
  const auto serving = consumer.pods();
  int on_new_key = 0;
  for (const auto& pod : serving) {
    if (pod.terminating || !pod.ready) continue;
    const auto keys = consumer.keys(pod.ip);
    REQUIRE(keys.is_object());
    const auto& kids = keys["kids"];
    if (std::find(kids.begin(), kids.end(), kid_after) != kids.end()) ++on_new_key;
  }
  CHECK(on_new_key == 2);

  report({{"test", "rotate-cronjob"},
          {"seconds_to_fire", seconds_to_fire},
          {"seconds_fired_to_kill", std::chrono::duration<double>(killed_at - fired_at).count()},
          {"seconds_kill_to_job_complete", seconds_from_kill},
          {"job_failed_pods", failed},
          {"job_succeeded_pods", succeeded}});
}
