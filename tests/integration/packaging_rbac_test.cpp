// The shipped RBAC is enough and no more: rotator installed from the rendered
// manifests into a namespace of the real cluster, run as its ServiceAccount with
// that ServiceAccount's own token (made by the real token controller), through
// the in-cluster configuration a pod has.

#include <algorithm>
#include <iostream>
#include <map>
#include <set>
#include <thread>

#include <catch2/catch.hpp>

#include "kube/resources.h"
#include "packaging_support.h"
#include "util/base64.h"

using namespace rotator;
using namespace rotator::testing;
using Json = nlohmann::json;

namespace {

Json deployment(const std::string& name) {
  return {{"apiVersion", "apps/v1"},
          {"kind", "Deployment"},
          {"metadata", {{"name", name}}},
          {"spec",
           {{"replicas", 1},
            {"selector", {{"matchLabels", {{"app", name}}}}},
            {"template",
             {{"metadata", {{"labels", {{"app", name}}}}},
              {"spec", {{"containers", {{{"name", "main"}, {"image", "registry.invalid/" + name + ":1"}}}}}}}}}}};
}

/// rotator installed from the rendered manifests (manifests/ and
/// manifests/one-shot) into a fresh namespace, next to what its steps work on,
/// plus a second namespace that holds the same names and must stay out of reach.
struct Installation {
  TestNamespace ns{"rbac"};
  TestNamespace other{"rbac-other"};
  TempDir dir;
  std::unique_ptr<kube::Client> admin = TestCluster::get().client();

  std::filesystem::path base_file;  ///< the rendered base, as applied

  Installation() {
    const auto base = for_kubernetes_1_20(render_kustomize("manifests"), SuspendCronJobs::yes);
    base_file = write_list(dir, "base.json", base);
    const auto applied = kubectl({"apply", "-n", ns.name(), "-f", base_file.string()});
    INFO(applied.err);
    REQUIRE(applied.exit_code == 0);
    for (const auto* where : {&ns, &other}) {
      for (const char* name : {"token-management", "other-service"}) {
        admin->create(kube::namespaced_path("apps/v1", where->name(), "deployments"), deployment(name));
      }
    }
    kube::Secret secret;
    secret.metadata.name = "rsa-keys";
    secret.metadata.namespace_ = other.name();
    secret.data = {{"kid", "other"}};
    kube::SecretApi(*admin).create(secret);
  }

  std::string service_account_user() const { return "system:serviceaccount:" + ns.name() + ":rotator"; }

  /// Asks the API server's authorizer, as admin, whether the ServiceAccount may.
  bool allowed(const std::string& verb, const std::string& group, const std::string& resource, const std::string& name,
               const std::string& in_namespace) const {
    const Json review = {
        {"apiVersion", "authorization.k8s.io/v1"},
        {"kind", "SubjectAccessReview"},
        {"spec",
         {{"user", service_account_user()},
          {"groups", {"system:serviceaccounts", "system:serviceaccounts:" + ns.name(), "system:authenticated"}},
          {"resourceAttributes",
           {{"verb", verb}, {"group", group}, {"resource", resource}, {"name", name}, {"namespace", in_namespace}}}}}};
    const auto answer = admin->create("/apis/authorization.k8s.io/v1/subjectaccessreviews", review);
    return answer["status"].value("allowed", false);
  }
};

/// Stands in for the kubelet this cluster lacks: marks the pods of `selector`
/// Ready while a step waits for a rollout.
class PodReadier {
 public:
  PodReadier(std::string ns, std::string selector)
      : thread_([ns = std::move(ns), selector = std::move(selector)](std::stop_token stop) {
          auto client = TestCluster::get().client();
          while (!stop.stop_requested()) {
            try {
              mark_pods_ready(*client, ns, selector);
            } catch (const std::exception&) {
              // A pod deleted between list and patch: try again next round.
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
          }
        }) {}

 private:
  std::jthread thread_;
};

/// One container rotator ships, as the kubelet would start it from the pod the
/// Job controller made: command and args with $(VAR) expanded from the
/// container's env, env resolved from the pod, mounted ConfigMaps as local dirs.
struct ShippedRun {
  std::string job;                ///< the Job that made the pod
  std::vector<std::string> args;  ///< after the binary
  std::vector<std::pair<std::string, std::string>> env;
};

Json wait_for_pod_of_job(kube::Client& admin, const std::string& ns, const std::string& job) {
  for (int i = 0; i < 300; ++i) {
    const auto pods = admin.get("/api/v1/namespaces/" + ns + "/pods?labelSelector=job-name%3D" + job);
    if (!pods["items"].empty()) return pods["items"][0];
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  FAIL("the Job controller made no pod for Job " << job);
  return {};
}

std::string field_of_pod(const Json& pod, const std::string& path) {
  for (const char* map : {"labels", "annotations"}) {
    const std::string prefix = std::string("metadata.") + map + "['";
    if (path.starts_with(prefix) && path.ends_with("']")) {
      const auto key = path.substr(prefix.size(), path.size() - prefix.size() - 2);
      INFO("the pod has no " << map << " " << key);
      REQUIRE(pod["metadata"][map].contains(key));
      return pod["metadata"][map][key];
    }
  }
  if (path == "metadata.name" || path == "metadata.namespace" || path == "metadata.uid") {
    return pod["metadata"][path.substr(9)];
  }
  if (path == "spec.serviceAccountName") return pod["spec"]["serviceAccountName"];
  FAIL("extend the test: fieldRef " << path << " is not emulated");
  return {};
}

ShippedRun run_of_pod(kube::Client& admin, const TempDir& dir, const std::string& job, const Json& pod) {
  REQUIRE(pod["spec"]["containers"].size() == 1);
  const Json& container = pod["spec"]["containers"][0];
  ShippedRun run{job, {}, {}};
  std::map<std::string, std::string> vars;
  for (const auto& var : container.value("env", Json::array())) {
    INFO("env " << var.dump());
    std::string value;
    if (var.contains("value")) {
      value = expand_container_vars(var["value"], vars);
    } else {
      REQUIRE(var["valueFrom"].contains("fieldRef"));  // else: extend the test
      value = field_of_pod(pod, var["valueFrom"]["fieldRef"]["fieldPath"]);
    }
    vars[var["name"]] = value;
    run.env.emplace_back(var["name"], value);
  }
  // The image's /rotator is the binary under test.
  REQUIRE(container["command"] == Json::array({"/rotator"}));
  // Mounted ConfigMaps: their files in a local directory, paths in args moved there.
  std::vector<std::pair<std::string, std::string>> mounts;
  for (const auto& mount : container.value("volumeMounts", Json::array())) {
    for (const auto& volume : pod["spec"].value("volumes", Json::array())) {
      if (volume["name"] != mount["name"] || !volume.contains("configMap")) continue;
      const std::string config_map = volume["configMap"]["name"];
      const auto data = admin.get(kube::namespaced_path("v1", pod["metadata"]["namespace"], "configmaps", config_map));
      const std::string local = job + "/" + mount["name"].get<std::string>();
      for (const auto& [file, content] : data["data"].items()) dir.write(local + "/" + file, content);
      mounts.emplace_back(mount["mountPath"], (dir.path() / local).string());
    }
  }
  for (const auto& arg : container.value("args", Json::array())) {
    std::string expanded = expand_container_vars(arg, vars);
    for (const auto& [mount_path, local] : mounts) {
      if (expanded.starts_with(mount_path + "/")) expanded = local + expanded.substr(mount_path.size());
    }
    run.args.push_back(expanded);
  }
  return run;
}

/// Every shipped Job, and a Job from each shipped CronJob's template (as the
/// CronJob controller would make it), created for real so that the real Job
/// controller makes their pods.
/// With `only`, just those Jobs (named as above: a CronJob's as NAME-run), in
/// that order.
std::vector<ShippedRun> shipped_runs(Installation& installation, const std::vector<std::string>& only = {}) {
  std::vector<Json> jobs;
  for (const auto& object : render_all_manifests()) {
    if (object["kind"] == "Job") jobs.push_back(object);
    if (object["kind"] != "CronJob") continue;
    Json job = {{"apiVersion", "batch/v1"},
                {"kind", "Job"},
                {"metadata", object["spec"]["jobTemplate"]["metadata"]},
                {"spec", object["spec"]["jobTemplate"]["spec"]}};
    job["metadata"]["name"] = object["metadata"]["name"].get<std::string>() + "-run";
    jobs.push_back(job);
  }
  if (!only.empty()) {
    std::vector<Json> picked;
    for (const auto& name : only) {
      const auto found =
          std::find_if(jobs.begin(), jobs.end(), [&](const Json& j) { return j["metadata"]["name"] == name; });
      INFO("no shipped Job " << name);
      REQUIRE(found != jobs.end());
      picked.push_back(*found);
    }
    jobs = std::move(picked);
  }
  const auto created =
      kubectl({"create", "-n", installation.ns.name(), "-f", write_list(installation.dir, "jobs.json", jobs).string()});
  INFO(created.err);
  REQUIRE(created.exit_code == 0);
  std::vector<ShippedRun> runs;
  for (const auto& job : jobs) {
    const std::string name = job["metadata"]["name"];
    const auto pod = wait_for_pod_of_job(*installation.admin, installation.ns.name(), name);
    runs.push_back(run_of_pod(*installation.admin, installation.dir, name, pod));
  }
  return runs;
}

/// The Secrets rotator owns, as manifests/secrets.yaml ships them.
const std::vector<std::string> owned_secrets = {"rsa-keys", "admin-token", "management-tokens", "database-tokens",
                                                "management-token"};

/// A step's run as the ServiceAccount went through: exit 0, and no 403 even in
/// a warning. A 403 the step only warns about (an Event, say) still names
/// "forbidden", as the API server's message does; "403" alone also matches a
/// rotation id (UUIDv4 groups start with 4) or a timestamp, and once failed CI
/// that way.
bool ran_cleanly(const CommandResult& result) {
  return result.exit_code == 0 && result.err.find("forbidden") == std::string::npos &&
         result.err.find("Forbidden") == std::string::npos;
}

bool command_unknown_to_binary(const CommandResult& result) {
  return result.exit_code == 2 && (result.err.find("unknown command") != std::string::npos ||
                                   result.err.find("needs a subcommand") != std::string::npos);
}

}  // namespace

TEST_CASE("packaging: the Role grants each verb rotator needs, and nothing around it") {
  Installation installation;
  const std::string ns = installation.ns.name();
  const std::string other = installation.other.name();
  struct Access {
    std::string verb, group, resource, name, in_namespace;
    bool allowed;
  };
  std::vector<Access> table;
  for (const char* secret : {"rsa-keys", "admin-token", "management-tokens", "database-tokens", "management-token"}) {
    for (const char* verb : {"get", "update", "patch"}) table.push_back({verb, "", "secrets", secret, ns, true});
    table.push_back({"delete", "", "secrets", secret, ns, false});
    table.push_back({"get", "", "secrets", secret, other, false});
  }
  const std::vector<Access> rest = {
      {"create", "", "secrets", "", ns, false},  // issue 16: the install ships them (manifests/secrets.yaml)
      {"create", "", "secrets", "database-tokens", ns, false},
      {"get", "", "secrets", "some-other-secret", ns, false},
      {"update", "", "secrets", "some-other-secret", ns, false},
      {"list", "", "secrets", "", ns, false},
      {"watch", "", "secrets", "", ns, false},
      {"list", "", "secrets", "", "", false},  // cluster-wide
      {"create", "", "secrets", "", other, false},
      {"list", "", "pods", "", ns, true},
      {"delete", "", "pods", "token-management-abc12", ns, true},
      {"list", "", "pods", "", other, false},
      {"delete", "", "pods", "token-management-abc12", other, false},
      {"create", "", "pods", "", ns, false},
      {"get", "", "pods", "token-management-abc12", ns, false},
      {"create", "", "pods/exec", "token-management-abc12", ns, false},
      {"get", "apps", "deployments", "token-management", ns, true},
      {"patch", "apps", "deployments", "token-management", ns, true},
      {"update", "apps", "deployments", "token-management", ns, false},
      {"delete", "apps", "deployments", "token-management", ns, false},
      {"get", "apps", "deployments", "other-service", ns, false},
      {"patch", "apps", "deployments", "other-service", ns, false},
      {"list", "apps", "deployments", "", ns, false},
      {"patch", "apps", "deployments", "token-management", other, false},
      {"list", "apps", "replicasets", "", ns, false},
      {"create", "coordination.k8s.io", "leases", "", ns, true},
      {"get", "coordination.k8s.io", "leases", "rotator-lock", ns, true},
      {"update", "coordination.k8s.io", "leases", "rotator-lock", ns, true},
      {"patch", "coordination.k8s.io", "leases", "rotator-lock", ns, true},
      {"delete", "coordination.k8s.io", "leases", "rotator-lock", ns, false},
      {"get", "coordination.k8s.io", "leases", "other-lock", ns, false},
      {"update", "coordination.k8s.io", "leases", "rotator-lock", other, false},
      {"create", "", "events", "", ns, true},
      {"create", "", "events", "", other, false},
      {"list", "", "events", "", ns, false},
      {"get", "", "serviceaccounts", "rotator", ns, false},
      {"create", "", "serviceaccounts/token", "rotator", ns, false},
      {"get", "", "namespaces", ns, "", false},
      {"get", "", "configmaps", "rotator-jobs", ns, false},
      {"update", "rbac.authorization.k8s.io", "roles", "rotator", ns, false},
      {"list", "", "nodes", "", "", false},
  };
  table.insert(table.end(), rest.begin(), rest.end());
  for (const auto& a : table) {
    INFO(a.verb << " " << a.group << "/" << a.resource << " " << a.name << " in namespace '" << a.in_namespace << "' ("
                << (a.in_namespace == ns ? "rotator's" : "another") << ")");
    CHECK(installation.allowed(a.verb, a.group, a.resource, a.name, a.in_namespace) == a.allowed);
  }
}

TEST_CASE("packaging: status as the ServiceAccount reads its Secrets, other Secrets and namespaces are 403") {
  Installation installation;
  const std::string ns = installation.ns.name();
  ServiceAccountFiles sa(ns, "rotator");
  const auto env = sa.pod_env();

  const auto status = run_rotator({"status", "-o", "json"}, env);
  INFO(status.out << status.err);
  REQUIRE(status.exit_code == 7);  // read fine, judged broken: nothing is bootstrapped
  CHECK(nlohmann::json::parse(status.out)["verdict"] == "broken");
  const auto report = nlohmann::json::parse(status.out);
  CHECK(report["cluster"]["context"] == "in-cluster");
  CHECK(report["namespace"] == ns);
  CHECK(report["keys"]["state"] == "absent");  // allowed to look: 404, not 403
  CHECK(report["adminToken"]["state"] == "absent");

  // The install's placeholder, filled with something that is no key pair.
  auto keys = kube::SecretApi(*installation.admin).get(ns, "rsa-keys");
  REQUIRE(keys.has_value());
  keys->data = {{"kid", "k1"}};
  kube::SecretApi(*installation.admin).replace(*keys);
  const auto present = run_rotator({"status", "-o", "json"}, env);
  REQUIRE(present.exit_code == 7);
  // Read, and found wanting (no private key): "invalid", not "forbidden".
  CHECK(nlohmann::json::parse(present.out)["keys"]["state"] == "invalid");

  const auto other_secret = run_rotator({"status", "--keys-secret=some-other-secret"}, env);
  CHECK(other_secret.exit_code == 7);  // no rights to read it: broken
  CHECK_THAT(other_secret.out, Catch::Contains("some-other-secret") && Catch::Contains("forbidden"));

  const auto other_namespace = run_rotator({"status", "-n", installation.other.name()}, env);
  CHECK(other_namespace.exit_code == 7);
  CHECK_THAT(other_namespace.out, Catch::Contains("forbidden"));

  // The same token through rotator's client: the restart target is reachable,
  // another Deployment and another namespace are not.
  ScopedEnv in_pod({env.begin(), env.end()});
  kube::Client client(kube::load_connection({}));
  CHECK(client.get(kube::namespaced_path("apps/v1", ns, "deployments", "token-management"))["metadata"]["name"] ==
        "token-management");
  const Json restart = {
      {"spec", {{"template", {{"metadata", {{"annotations", {{"rotator.io/restartedAt", "now"}}}}}}}}}};
  CHECK(reason_of([&] {
          client.patch(kube::namespaced_path("apps/v1", ns, "deployments", "other-service"), restart,
                       kube::PatchType::merge);
        }) == kube::Reason::forbidden);
  CHECK(reason_of([&] {
          client.patch(kube::namespaced_path("apps/v1", installation.other.name(), "deployments", "token-management"),
                       restart, kube::PatchType::merge);
        }) == kube::Reason::forbidden);
  CHECK(reason_of([&] { kube::SecretApi(client).get(installation.other.name(), "rsa-keys"); }) ==
        kube::Reason::forbidden);
}

TEST_CASE("packaging: every shipped Job and CronJob runs with the ServiceAccount's rights, in its namespace only") {
  // Picks up whatever the manifests ship: each container runs exactly as its pod
  // says. A command the binary does not know yet is skipped with a warning, and
  // CTest then reports this test as skipped, never as passed.
  Installation installation;
  ServiceAccountFiles sa(installation.ns.name(), "rotator");
  PodReadier kubelet(installation.ns.name(), "app=token-management");
  const auto runs = shipped_runs(installation);
  REQUIRE(runs.size() == 6);

  std::vector<std::string> skipped;
  int failed = 0;
  for (const auto& shipped : runs) {
    auto env = sa.pod_env();
    env.insert(env.end(), shipped.env.begin(), shipped.env.end());
    const auto result = run_rotator(shipped.args, env);
    std::string command;
    for (const auto& a : shipped.args) command += " " + a;
    INFO("Job " << shipped.job << ": rotator" << command << "\nexit " << result.exit_code << "\nstdout: " << result.out
                << "\nstderr: " << result.err);
    if (command_unknown_to_binary(result)) {
      WARN("SKIPPED Job " << shipped.job << ": the binary does not know `rotator" << command << "` yet");
      skipped.push_back(shipped.job);
      continue;
    }
    const bool ran = ran_cleanly(result);
    CHECK(ran);
    // The same command pointed at another namespace is refused.
    auto elsewhere = shipped.args;
    elsewhere.push_back("--namespace=" + installation.other.name());
    const auto refused = run_rotator(elsewhere, env);
    INFO("in another namespace: exit " << refused.exit_code << "\nstderr: " << refused.err);
    CHECK(refused.exit_code == 4);
    failed += !ran || refused.exit_code != 4;
  }
  if (!skipped.empty() && failed == 0) {
    std::string list;
    for (const auto& job : skipped) list += " " + job;
    std::cout << skipped_marker << " " << skipped.size() << " of " << runs.size()
              << " shipped Jobs not run, their commands are not in this binary yet:" << list << std::endl;
  }
}

TEST_CASE("packaging: the ServiceAccount creates no Secret, so the service-account-token attack fails at every step") {
  // Issue 16: with `create` on Secrets and `get` on rotator's names, the
  // ServiceAccount could create database-tokens as a service-account-token
  // Secret for another ServiceAccount and read the token Kubernetes put in it.
  Installation installation;
  const std::string ns = installation.ns.name();
  auto& admin = *installation.admin;
  // The identity the attack is after, with the token Secret the controller makes.
  admin.create(kube::namespaced_path("v1", ns, "serviceaccounts"),
               {{"apiVersion", "v1"}, {"kind", "ServiceAccount"}, {"metadata", {{"name", "influxdb-operator"}}}});
  ServiceAccountFiles victim(ns, "influxdb-operator");
  const std::string victim_secret =
      admin.get(kube::namespaced_path("v1", ns, "serviceaccounts", "influxdb-operator"))["secrets"][0]["name"];

  ServiceAccountFiles sa(ns, "rotator");
  const auto env = sa.pod_env();
  ScopedEnv in_pod({env.begin(), env.end()});
  kube::Client client(kube::load_connection({}));
  const auto secrets = kube::namespaced_path("v1", ns, "secrets");
  const auto token_secret_named = [](const std::string& name) {
    return Json{
        {"apiVersion", "v1"},
        {"kind", "Secret"},
        {"metadata", {{"name", name}, {"annotations", {{"kubernetes.io/service-account.name", "influxdb-operator"}}}}},
        {"type", "kubernetes.io/service-account-token"}};
  };

  // Creating: refused for any Secret, rotator's names or not, any type.
  for (const char* name : {"database-tokens", "rsa-keys", "stolen-token"}) {
    INFO("create " << name);
    CHECK(reason_of([&] { client.create(secrets, token_secret_named(name)); }) == kube::Reason::forbidden);
  }
  const Json opaque = {
      {"apiVersion", "v1"}, {"kind", "Secret"}, {"metadata", {{"name", "anything"}}}, {"type", "Opaque"}};
  CHECK(reason_of([&] { client.create(secrets, opaque); }) == kube::Reason::forbidden);

  // Turning the placeholder into a token Secret: a Secret's type is immutable,
  // the API server refuses it (422 "field is immutable") by update and by patch.
  Json placeholder = client.get(kube::namespaced_path("v1", ns, "secrets", "database-tokens"));
  placeholder["type"] = "kubernetes.io/service-account-token";
  placeholder["metadata"]["annotations"]["kubernetes.io/service-account.name"] = "influxdb-operator";
  CHECK(reason_of([&] {
          client.replace(kube::namespaced_path("v1", ns, "secrets", "database-tokens"), placeholder);
        }) == kube::Reason::invalid);
  CHECK(reason_of([&] {
          client.patch(kube::namespaced_path("v1", ns, "secrets", "database-tokens"),
                       {{"type", "kubernetes.io/service-account-token"}}, kube::PatchType::merge);
        }) == kube::Reason::invalid);
  const auto after = kube::SecretApi(admin).get(ns, "database-tokens");
  REQUIRE(after.has_value());
  CHECK(after->type == "Opaque");
  CHECK(after->data.empty());

  // Reading: the victim's token Secret, or any other, or the list of them.
  CHECK(reason_of([&] { kube::SecretApi(client).get(ns, victim_secret); }) == kube::Reason::forbidden);
  CHECK(reason_of([&] { client.get(secrets); }) == kube::Reason::forbidden);
  CHECK(reason_of([&] { client.get(secrets + "?fieldSelector=type%3Dkubernetes.io%2Fservice-account-token"); }) ==
        kube::Reason::forbidden);
}

TEST_CASE("packaging: a fresh install bootstraps, rotates and renews as the ServiceAccount, and a re-apply keeps it") {
  Installation installation;
  const std::string ns = installation.ns.name();
  auto& admin = *installation.admin;
  std::map<std::string, std::string> uid_of;
  for (const auto& name : owned_secrets) {
    const auto shipped = kube::SecretApi(admin).get(ns, name);
    INFO("Secret " << name);
    REQUIRE(shipped.has_value());
    CHECK(shipped->type == "Opaque");
    CHECK(shipped->data.empty());
    uid_of[name] = shipped->metadata.uid;
  }

  ServiceAccountFiles sa(ns, "rotator");
  PodReadier kubelet(ns, "app=token-management");
  for (const auto& shipped : shipped_runs(
           installation, {"rotator-bootstrap", "rotator-revoke-and-rotate", "rotator-renew-management-token-run"})) {
    auto env = sa.pod_env();
    env.insert(env.end(), shipped.env.begin(), shipped.env.end());
    const auto result = run_rotator(shipped.args, env);
    INFO("Job " << shipped.job << ": exit " << result.exit_code << "\nstderr: " << result.err);
    CHECK(ran_cleanly(result));
  }
  // The database token registry: a token created by hand with the same rights
  // (the token itself is on stdout, not shown).
  const auto created = run_rotator({"token", "create", "rbac test", "--read-database", "db"}, sa.pod_env());
  INFO("token create: exit " << created.exit_code << "\nstderr: " << created.err);
  CHECK(ran_cleanly(created));

  // Each Secret was filled in place (same uid: updated, never created).
  std::map<std::string, std::map<std::string, std::string>> filled;
  for (const auto& name : owned_secrets) {
    const auto now = kube::SecretApi(admin).get(ns, name);
    INFO("Secret " << name);
    REQUIRE(now.has_value());
    CHECK(now->metadata.uid == uid_of[name]);
    CHECK(now->type == "Opaque");
    CHECK_FALSE(now->data.empty());
    for (const auto& [key, value] : now->data) filled[name][key] = value;
  }

  // Applying the base again, client-side and server-side, keeps what rotator wrote:
  // secrets.yaml sets no data, so neither form owns or removes it.
  const std::vector<std::vector<std::string>> apply_forms = {{}, {"--server-side", "--force-conflicts"}};
  for (const auto& extra : apply_forms) {
    std::vector<std::string> args = {"apply", "-n", ns, "-f", installation.base_file.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto applied = kubectl(args);
    INFO(applied.err);
    REQUIRE(applied.exit_code == 0);
    for (const auto& name : owned_secrets) {
      const auto now = kube::SecretApi(admin).get(ns, name);
      INFO("Secret " << name << " after kubectl apply" << (extra.empty() ? "" : " --server-side"));
      REQUIRE(now.has_value());
      std::map<std::string, std::string> data(now->data.begin(), now->data.end());
      CHECK(data == filled[name]);  // compared, never printed: key and token material
    }
  }
  // And rotator still finds everything valid: a rerun of the bootstrap writes nothing.
  const auto again =
      run_rotator({"run", "--dry-run", std::string(ROTATOR_SOURCE_DIR) + "/jobs/bootstrap.yaml"}, sa.pod_env());
  INFO("bootstrap again: exit " << again.exit_code << "\nstderr: " << again.err);
  CHECK(ran_cleanly(again));
}

TEST_CASE("packaging: an absent Secret the ServiceAccount may not create is one line naming it and the fix, exit 4") {
  Installation installation;
  const std::string ns = installation.ns.name();
  ServiceAccountFiles sa(ns, "rotator");
  installation.admin->remove(kube::namespaced_path("v1", ns, "secrets", "database-tokens"));

  const auto refused = run_rotator({"token", "create", "rbac test", "--read-database", "db"}, sa.pod_env());
  INFO("exit " << refused.exit_code << "\nstderr: " << refused.err);
  CHECK(refused.exit_code == 4);
  CHECK_THAT(refused.err, Catch::Contains("rotator: error: Secret " + ns +
                                          "/database-tokens does not exist and rotator "
                                          "may not create it: apply manifests/ (it ships the Secret empty) or kubectl "
                                          "create secret generic database-tokens -n " +
                                          ns));
  CHECK(std::count(refused.err.begin(), refused.err.end(), '\n') == 1);
  CHECK_FALSE(kube::SecretApi(*installation.admin).get(ns, "database-tokens").has_value());

  // Created empty as the message says, the same command works.
  const auto made = kubectl({"create", "secret", "generic", "database-tokens", "-n", ns});
  REQUIRE(made.exit_code == 0);
  const auto created = run_rotator({"token", "create", "rbac test", "--read-database", "db"}, sa.pod_env());
  INFO("after kubectl create: exit " << created.exit_code << "\nstderr: " << created.err);
  CHECK(ran_cleanly(created));
}

TEST_CASE("packaging: an empty Secret of another type than Opaque is refused, never filled") {
  // Only the install's Opaque placeholder is filled: a Secret's type never
  // changes, and another type (a service-account-token Secret, say) is not
  // rotator's to write into.
  Installation installation;
  const std::string ns = installation.ns.name();
  auto& admin = *installation.admin;
  ServiceAccountFiles sa(ns, "rotator");
  const auto replace_with_type = [&](const std::string& name, const Json& data) {
    admin.remove(kube::namespaced_path("v1", ns, "secrets", name));
    admin.create(kube::namespaced_path("v1", ns, "secrets"), {{"apiVersion", "v1"},
                                                              {"kind", "Secret"},
                                                              {"metadata", {{"name", name}}},
                                                              {"type", "rotator.test/other"},
                                                              {"data", data}});
  };

  replace_with_type("rsa-keys", Json::object());
  const auto keys = run_rotator({"key-gen"}, sa.pod_env());
  INFO("key-gen: exit " << keys.exit_code << "\nstderr: " << keys.err);
  CHECK(keys.exit_code == 5);
  CHECK_THAT(keys.err, Catch::Contains("not Opaque"));
  const auto forced = run_rotator({"key-gen", "--force"}, sa.pod_env());
  INFO("key-gen --force: exit " << forced.exit_code << "\nstderr: " << forced.err);
  CHECK(forced.exit_code != 0);  // the API server keeps the type: nothing written
  CHECK(kube::SecretApi(admin).get(ns, "rsa-keys")->data.empty());

  replace_with_type("management-token", {{"mgmt_token", util::base64_encode("x")}});
  const auto renew = shipped_runs(installation, {"rotator-renew-management-token-run"}).at(0);
  auto env = sa.pod_env();
  env.insert(env.end(), renew.env.begin(), renew.env.end());
  const auto renewed = run_rotator(renew.args, env);
  INFO("renewal: exit " << renewed.exit_code << "\nstderr: " << renewed.err);
  CHECK(renewed.exit_code == 5);
  CHECK_THAT(renewed.err, Catch::Contains("not Opaque"));
  CHECK(kube::SecretApi(admin).get(ns, "management-token")->data.size() == 1);
}

TEST_CASE("packaging: a refused create is the same one line when the rights review could not run") {
  // On a cluster that does not answer the SelfSubjectRulesReview (404 here, from
  // the fault proxy), rotator skips the review and the API server's 403 on the
  // create is what it sees: mapped to the same message and exit code.
  TestNamespace ns("rbac-proxy");
  FaultProxy proxy;
  TempDir dir;
  const auto via_proxy = admin_kubeconfig(dir, proxy.url());
  proxy.set_rules(Json::array({
      {{"match", {{"method", "POST"}, {"path_regex", "selfsubjectrulesreviews"}}},
       {"action", "status"},
       {"status", 404}},
      {{"match", {{"method", "POST"}, {"path_regex", "^/api/v1/namespaces/[^/]+/secrets$"}}},
       {"action", "status"},
       {"status", 403}},
  }));
  const auto refused = run_rotator(
      {"token", "create", "rbac test", "--read-database", "db", "-n", ns.name(), "--kubeconfig", via_proxy.string()});
  INFO("exit " << refused.exit_code << "\nstderr: " << refused.err);
  CHECK(refused.exit_code == 4);
  CHECK_THAT(refused.err, Catch::Contains("rotator: error: Secret " + ns.name() +
                                          "/database-tokens does not exist and "
                                          "rotator may not create it"));
  CHECK(std::count(refused.err.begin(), refused.err.end(), '\n') == 1);
  bool review_skipped = false;
  for (const auto& r : proxy.requests()) review_skipped = review_skipped || r["status"] == 404;
  CHECK(review_skipped);
}

TEST_CASE("packaging: applying the base over Secrets an older install created keeps their data") {
  // Before secrets.yaml, rotator created its Secrets itself: kubectl apply adopts
  // them (it warns about the missing last-applied annotation) without a diff on data.
  TestNamespace ns("rbac-upgrade");
  auto admin = TestCluster::get().client();
  kube::Secret keys;
  keys.metadata.name = "rsa-keys";
  keys.metadata.namespace_ = ns.name();
  keys.data = {{"kid", "made-before"}};
  kube::SecretApi(*admin).create(keys);
  TempDir dir;
  const auto base = for_kubernetes_1_20(render_kustomize("manifests"), SuspendCronJobs::yes);
  const auto applied = kubectl({"apply", "-n", ns.name(), "-f", write_list(dir, "base.json", base).string()});
  INFO(applied.err);
  REQUIRE(applied.exit_code == 0);
  const auto after = kube::SecretApi(*admin).get(ns.name(), "rsa-keys");
  REQUIRE(after.has_value());
  CHECK(after->data.size() == 1);
  CHECK(after->data.at("kid") == "made-before");
}
