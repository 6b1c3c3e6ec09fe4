#include "e2e_support.h"

#include <httplib.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <mutex>
#include <sstream>
#include <thread>

#include <catch2/catch.hpp>

#include "kube/errors.h"
#include "kube/resources.h"

namespace rotator::e2e {
namespace {

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string text = buffer.str();
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

constexpr int consumer_port = 8080;

}  // namespace

const Suite& Suite::get() {
  static const Suite suite = [] {
    Suite s;
    const char* state = std::getenv("ROTATOR_E2E_STATE");
    if (state == nullptr || *state == '\0') {
      s.skip_reason =
          "ROTATOR_E2E_STATE is not set: run the e2e tests through ctest (tests/e2e/node-fixture sets up the node)";
      return s;
    }
    s.state_dir = state;
    if (std::filesystem::exists(s.state_dir / "skip")) {
      s.skip_reason = read_text(s.state_dir / "skip");
      return s;
    }
    s.rotator_image = read_text(s.state_dir / "rotator-image-ref");
    s.consumer_image = read_text(s.state_dir / "token-consumer-image-ref");
    if (s.rotator_image.empty() || s.consumer_image.empty()) {
      s.skip_reason = "the node fixture loaded no images (see the test `e2e: start the node and load the images`)";
    }
    return s;
  }();
  return suite;
}

bool skip_without_node() {
  const auto& suite = Suite::get();
  if (!suite.skip_reason) return false;
  // Without ROTATOR_E2E_STATE the binary was run by hand: that is a usage error.
  if (suite.state_dir.empty()) FAIL(*suite.skip_reason);
  std::cout << testing::skipped_marker << " no real node: " << *suite.skip_reason << std::endl;
  return true;
}

void report(const Json& result) {
  std::cout << "E2E-RESULT: " << result.dump() << std::endl;
  const auto& suite = Suite::get();
  if (suite.state_dir.empty()) return;
  std::ofstream out(suite.state_dir / "results.jsonl", std::ios::app);
  out << result.dump() << "\n";
}

Json node_toleration() {
  return {{"key", "rotator.io/local-node"}, {"operator", "Exists"}, {"effect", "NoSchedule"}};
}

void run_on_node(Json& pod_spec, const std::string& rotator_image) {
  for (auto& container : pod_spec["containers"]) {
    const std::string image = container.value("image", "");
    if (image == "rotator" || image.starts_with("rotator:")) {
      container["image"] = rotator_image;
      container["imagePullPolicy"] = "Never";
    }
    REQUIRE(container["imagePullPolicy"] == "Never");  // nothing is ever pulled
  }
  pod_spec["tolerations"].push_back(node_toleration());
}

std::string must(const std::vector<std::string>& argv) {
  const auto result = testing::run(argv);
  INFO("command: " << argv.front() << " " << (argv.size() > 1 ? argv[1] : "") << "\nstderr: " << result.err);
  REQUIRE(result.exit_code == 0);
  return result.out;
}

void kubectl_apply(const std::string& ns, const std::vector<Json>& objects) {
  testing::TempDir dir;
  const auto file = testing::write_list(dir, "objects.json", objects);
  must({"kubectl", "-n", ns, "apply", "-f", file.string()});
}

std::vector<Json> install_base(const std::string& ns, testing::SuspendCronJobs suspend) {
  auto objects = testing::for_kubernetes_1_20(testing::render_kustomize("manifests"), suspend);
  for (auto& object : objects) {
    const std::string kind = object.value("kind", "");
    if (kind == "CronJob")
      run_on_node(object["spec"]["jobTemplate"]["spec"]["template"]["spec"], Suite::get().rotator_image);
    if (kind == "Job") run_on_node(object["spec"]["template"]["spec"], Suite::get().rotator_image);
  }
  kubectl_apply(ns, objects);
  return objects;
}

void arm_rotate_cronjob(const std::string& ns) {
  auto objects = testing::for_kubernetes_1_20(testing::render_kustomize("manifests"), testing::SuspendCronJobs::yes);
  bool found_cronjob = false, found_job_file = false;
  for (auto& object : objects) {
    if (object.value("kind", "") == "CronJob") {
      run_on_node(object["spec"]["jobTemplate"]["spec"]["template"]["spec"], Suite::get().rotator_image);
      if (object["metadata"]["name"] == "rotator-rotate") {
        object["spec"]["suspend"] = false;
        object["spec"]["schedule"] = "*/1 * * * *";
        found_cronjob = true;
      }
    }
    if (object.value("kind", "") == "ConfigMap" && object["metadata"]["name"] == "rotator-jobs") {
      std::string rotate = object["data"]["rotate.yaml"];
      const std::string age_line = "      if-older-than: 30d\n";
      const auto at = rotate.find(age_line);
      REQUIRE(at != std::string::npos);
      rotate.erase(at, age_line.size());
      object["data"]["rotate.yaml"] = rotate;
      found_job_file = true;
    }
  }
  REQUIRE(found_cronjob);
  REQUIRE(found_job_file);
  kubectl_apply(ns, objects);
}

std::pair<std::string, std::string> wait_for_cronjob_job(const std::string& ns, const std::string& cronjob) {
  // The CronJob controller of 1.20 looks every 10 s; the schedule fires each minute.
  for (int i = 0; i < 400; ++i) {
    const auto jobs = Json::parse(must({"kubectl", "-n", ns, "get", "jobs", "-o", "json"}));
    for (const auto& job : jobs["items"]) {
      for (const auto& owner : job["metadata"].value("ownerReferences", Json::array())) {
        if (owner.value("kind", "") == "CronJob" && owner.value("name", "") == cronjob) {
          must({"kubectl", "-n", ns, "patch", "cronjob.v1beta1.batch", cronjob, "--type=merge", "-p",
                R"({"spec":{"suspend":true}})"});
          return {job["metadata"]["name"], job["metadata"]["uid"]};
        }
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  FAIL("CronJob " << cronjob << " created no Job within 100 s");
  return {};
}

Json find_object(const std::vector<Json>& objects, const std::string& kind, const std::string& name) {
  for (const auto& object : objects) {
    if (object.value("kind", "") == kind && object["metadata"].value("name", "") == name) return object;
  }
  FAIL("no " << kind << " " << name << " among the rendered manifests");
  return nullptr;
}

Json get_object(const std::string& ns, const std::string& kind, const std::string& name) {
  const auto result = testing::kubectl({"-n", ns, "get", kind, name, "-o", "json"});
  if (result.exit_code != 0) return nullptr;
  return Json::parse(result.out);
}

void deploy_token_management(const std::string& ns, int replicas) {
  const auto& suite = Suite::get();
  // The restricted securityContext rotator's own pods run with: the consumer needs
  // nothing more.
  const Json container = {
      {"name", "token-management"},
      {"image", suite.consumer_image},
      {"imagePullPolicy", "Never"},
      {"args", {"--jwks", "/etc/rsa-keys/jwks.json", "--port", std::to_string(consumer_port), "--drain-seconds", "2"}},
      {"env", {{{"name", "POD_NAME"}, {"valueFrom", {{"fieldRef", {{"fieldPath", "metadata.name"}}}}}}}},
      {"ports", {{{"containerPort", consumer_port}}}},
      {"readinessProbe",
       {{"httpGet", {{"path", "/healthz"}, {"port", consumer_port}}},
        {"initialDelaySeconds", 2},
        {"periodSeconds", 1},
        {"failureThreshold", 1}}},
      {"volumeMounts", {{{"name", "rsa-keys"}, {"mountPath", "/etc/rsa-keys"}, {"readOnly", true}}}},
      {"securityContext",
       {{"allowPrivilegeEscalation", false}, {"readOnlyRootFilesystem", true}, {"capabilities", {{"drop", {"ALL"}}}}}},
      {"resources", {{"requests", {{"cpu", "20m"}, {"memory", "16Mi"}}}, {"limits", {{"memory", "64Mi"}}}}}};
  const Json deployment = {{"apiVersion", "apps/v1"},
                           {"kind", "Deployment"},
                           {"metadata", {{"name", "token-management"}, {"labels", {{"app", "token-management"}}}}},
                           {"spec",
                            {{"replicas", replicas},
                             {"selector", {{"matchLabels", {{"app", "token-management"}}}}},
                             {"template",
                              {{"metadata", {{"labels", {{"app", "token-management"}}}}},
                               {"spec",
                                {{"terminationGracePeriodSeconds", 10},
                                 {"enableServiceLinks", false},
                                 {"automountServiceAccountToken", false},
                                 {"securityContext",
                                  {{"runAsNonRoot", true},
                                   {"runAsUser", 65532},
                                   {"runAsGroup", 65532},
                                   {"seccompProfile", {{"type", "RuntimeDefault"}}}}},
                                 {"tolerations", {node_toleration()}},
                                 {"containers", {container}},
                                 {"volumes", {{{"name", "rsa-keys"}, {"secret", {{"secretName", "rsa-keys"}}}}}}}}}}}}};
  const Json service = {
      {"apiVersion", "v1"},
      {"kind", "Service"},
      {"metadata", {{"name", "token-management"}}},
      {"spec", {{"selector", {{"app", "token-management"}}}, {"ports", {{{"port", consumer_port}}}}}}};
  kubectl_apply(ns, {deployment, service});
  must({"kubectl", "-n", ns, "rollout", "status", "deployment/token-management", "--timeout=120s"});
}

Json wait_job_complete(const std::string& ns, const std::string& job, std::chrono::seconds timeout) {
  const auto waited = testing::kubectl({"-n", ns, "wait", "--for=condition=complete",
                                        "--timeout=" + std::to_string(timeout.count()) + "s", "job/" + job});
  if (waited.exit_code != 0) {
    const auto pods = testing::kubectl({"-n", ns, "get", "pods", "-o", "wide", "--show-labels"});
    const auto logs = testing::kubectl({"-n", ns, "logs", "job/" + job, "--tail=20"});
    const auto described = testing::kubectl({"-n", ns, "describe", "job", job});
    FAIL("job " << job << " did not complete: " << waited.err << "\n"
                << pods.out << "\n"
                << described.out << "\nlogs:\n"
                << logs.out << logs.err);
  }
  return get_object(ns, "job", job);
}

std::string rotator_binary() {
  return ROTATOR_BINARY;
}

ConsumerClient::ConsumerClient(std::string ns) : ns_(std::move(ns)), client_(testing::TestCluster::get().client()) {}

ConsumerClient::Answer ConsumerClient::present(const std::string& ip, const std::string& token) const {
  httplib::Client http(ip, consumer_port);
  http.set_connection_timeout(0, 300000);  // 300 ms: the pod is on this machine's bridge
  http.set_read_timeout(2, 0);
  http.set_write_timeout(2, 0);
  const httplib::Headers headers = {{"Authorization", "Bearer " + token}};
  const auto response = http.Post("/verify", headers, "", "text/plain");
  Answer answer;
  if (!response) {
    answer.reason = httplib::to_string(response.error());
    return answer;
  }
  const auto body = Json::parse(response->body, nullptr, false);
  answer.pod = body.is_object() ? body.value("pod", "") : "";
  if (response->status == 200 && body.is_object() && body.value("valid", false)) {
    answer.outcome = Outcome::valid;
  } else if (response->status == 401 && body.is_object()) {
    answer.outcome = Outcome::rejected;
    answer.reason = body.value("reason", "");
  } else {
    answer.reason = "HTTP " + std::to_string(response->status);
  }
  return answer;
}

Json ConsumerClient::keys(const std::string& ip) const {
  httplib::Client http(ip, consumer_port);
  http.set_connection_timeout(0, 300000);
  http.set_read_timeout(2, 0);
  const auto response = http.Get("/keys");
  if (!response || response->status != 200) return nullptr;
  return Json::parse(response->body, nullptr, false);
}

std::vector<ConsumerPod> ConsumerClient::pods() const {
  const auto list =
      client_->get("/api/v1/namespaces/" + ns_ + "/pods?labelSelector=" + kube::url_encode("app=token-management"));
  std::vector<ConsumerPod> pods;
  for (const auto& item : list.value("items", Json::array())) {
    ConsumerPod pod;
    pod.name = item["metadata"].value("name", "");
    pod.terminating = item["metadata"].contains("deletionTimestamp");
    const auto& status = item.value("status", Json::object());
    pod.ip = status.value("podIP", "");
    for (const auto& condition : status.value("conditions", Json::array())) {
      if (condition.value("type", "") == "Ready") pod.ready = condition.value("status", "") == "True";
    }
    pods.push_back(std::move(pod));
  }
  return pods;
}

std::vector<std::string> ConsumerClient::endpoints() const {
  std::vector<std::string> addresses;
  Json endpoints;
  try {
    endpoints = client_->get("/api/v1/namespaces/" + ns_ + "/endpoints/token-management");
  } catch (const kube::ApiError&) {
    return addresses;
  }
  for (const auto& subset : endpoints.value("subsets", Json::array())) {
    for (const auto& address : subset.value("addresses", Json::array())) {
      addresses.push_back(address.value("ip", ""));
    }
  }
  return addresses;
}

std::optional<std::string> ConsumerClient::admin_token() const {
  const auto secret = kube::SecretApi(*client_).get(ns_, "admin-token");
  if (!secret || !secret->data.contains("token")) return std::nullopt;
  const auto file = Json::parse(secret->data.at("token"), nullptr, false);
  if (!file.is_object() || !file.contains("access_token") || !file["access_token"].is_string()) return std::nullopt;
  return file["access_token"].get<std::string>();
}

std::string ConsumerClient::current_kid() const {
  const auto secret = kube::SecretApi(*client_).get(ns_, "rsa-keys");
  if (!secret || !secret->data.contains("kid")) return {};
  return secret->data.at("kid");
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace rotator::e2e
