// The kustomize manifests: what they render, the policy every Job follows, and
// that the real API server accepts every object.

#include <algorithm>
#include <set>

#include <catch2/catch.hpp>

#include "packaging_support.h"

using namespace rotator;
using namespace rotator::testing;
using Json = nlohmann::json;

namespace {

std::set<std::string> names_of_kind(const std::vector<Json>& objects, const std::string& kind) {
  std::set<std::string> names;
  for (const auto& o : objects) {
    if (o["kind"] == kind) names.insert(o["metadata"]["name"].get<std::string>());
  }
  return names;
}

bool contains(const Json& array, const std::string& value) {
  return array.is_array() && std::find(array.begin(), array.end(), value) != array.end();
}

}  // namespace

TEST_CASE("packaging: the install base starts nothing, the one-shot Jobs stand apart") {
  const auto base = render_kustomize("manifests");
  CHECK(names_of_kind(base, "ServiceAccount") == std::set<std::string>{"rotator"});
  CHECK(names_of_kind(base, "Role") == std::set<std::string>{"rotator"});
  CHECK(names_of_kind(base, "RoleBinding") == std::set<std::string>{"rotator"});
  CHECK(names_of_kind(base, "ConfigMap") == std::set<std::string>{"rotator-jobs"});
  // rotator's Secrets, empty and Opaque: the Role has no `create` on Secrets (issue 16).
  CHECK(names_of_kind(base, "Secret") ==
        std::set<std::string>{"rsa-keys", "admin-token", "management-tokens", "database-tokens", "management-token"});
  for (const auto& o : base) {
    if (o["kind"] != "Secret") continue;
    CHECK(o["type"] == "Opaque");
    CHECK_FALSE(o.contains("data"));  // a re-apply must never own (or wipe) what rotator wrote
    CHECK_FALSE(o.contains("stringData"));
  }
  CHECK(names_of_kind(base, "CronJob") == std::set<std::string>{"rotator-rotate", "rotator-renew-management-token"});
  CHECK(names_of_kind(base, "Job").empty());  // `kubectl apply -k manifests` never runs a step
  for (const auto& o : base) CHECK_FALSE(o["kind"] == "ClusterRole");

  const auto one_shot = render_kustomize("manifests/one-shot");
  CHECK(names_of_kind(one_shot, "Job") == std::set<std::string>{"rotator-bootstrap", "rotator-key-gen",
                                                                "rotator-create-admin-token",
                                                                "rotator-revoke-and-rotate"});
  CHECK(one_shot.size() == 4);
  for (const auto& job : one_shot) {
    // The label `kubectl create -k manifests/one-shot -l rotator.io/one-shot=NAME` selects by.
    CHECK("rotator-" + job["metadata"]["labels"].value("rotator.io/one-shot", "") == job["metadata"]["name"]);
  }
}

TEST_CASE("packaging: the ConfigMap holds every job file of jobs/") {
  const auto base = render_kustomize("manifests");
  const auto config_map =
      std::find_if(base.begin(), base.end(), [](const Json& o) { return o["kind"] == "ConfigMap"; });
  REQUIRE(config_map != base.end());
  std::set<std::string> in_config_map;
  for (const auto& [key, value] : (*config_map)["data"].items()) in_config_map.insert(key);
  std::set<std::string> in_jobs_dir;
  for (const auto& entry : std::filesystem::directory_iterator(std::string(ROTATOR_SOURCE_DIR) + "/jobs")) {
    if (entry.path().extension() == ".yaml") in_jobs_dir.insert(entry.path().filename().string());
  }
  INFO("a job file in jobs/ must be listed in jobs/Kustomization");
  CHECK(in_config_map == in_jobs_dir);
  for (const char* name : {"bootstrap.yaml", "rotate.yaml", "incident-revoke.yaml", "renew-management-token.yaml"}) {
    CHECK(in_jobs_dir.count(name) == 1);
  }
}

TEST_CASE("packaging: every Job and CronJob runs restricted, bounded, and logs JSON") {
  for (const auto& object : render_all_manifests()) {
    const Json* pod = pod_template_of(object);
    if (pod == nullptr) continue;
    const std::string name = object["metadata"]["name"];
    INFO(object["kind"].get<std::string>() << " " << name);
    const Json& job_spec = object["kind"] == "Job" ? object["spec"] : object["spec"]["jobTemplate"]["spec"];
    CHECK(job_spec["backoffLimit"].is_number_integer());
    CHECK(job_spec["activeDeadlineSeconds"].is_number_integer());
    CHECK(job_spec["ttlSecondsAfterFinished"].is_number_integer());

    const Json& spec = (*pod)["spec"];
    CHECK(spec["serviceAccountName"] == "rotator");
    CHECK(spec["restartPolicy"] == "Never");
    // Pod Security Standard "restricted" (pod level).
    CHECK(spec["securityContext"]["runAsNonRoot"] == true);
    CHECK(spec["securityContext"]["runAsUser"] == 65532);
    CHECK(spec["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault");
    CHECK_FALSE(spec.contains("hostNetwork"));
    CHECK_FALSE(spec.contains("hostPID"));
    for (const auto& volume : spec.value("volumes", Json::array())) {
      CHECK((volume.contains("configMap") || volume.contains("secret") || volume.contains("emptyDir")));
    }
    REQUIRE(spec["containers"].size() == 1);
    const Json& container = spec["containers"][0];
    // "restricted" (container level), plus a read-only root file system.
    CHECK(container["securityContext"]["allowPrivilegeEscalation"] == false);
    CHECK(container["securityContext"]["readOnlyRootFilesystem"] == true);
    CHECK(container["securityContext"]["capabilities"]["drop"] == Json::array({"ALL"}));
    CHECK_FALSE(container["securityContext"]["capabilities"].contains("add"));
    for (const char* bound : {"requests", "limits"}) {
      CHECK(container["resources"][bound].contains("cpu"));
      CHECK(container["resources"][bound].contains("memory"));
    }
    CHECK(container["image"] == std::string("rotator:") + ROTATOR_VERSION);
    CHECK(container["command"] == Json::array({"/rotator"}));
    CHECK(contains(container["args"], "--log-format=json"));
    // A rotation takes its id from the Job, so a retried pod finishes the same rotation.
    // Either as --rotation-id=$(ROTATION_ID), or as ROTATOR_ROTATION_ID for a job
    // file whose revoke-and-rotate step reads it.
    const bool rotates = contains(container["args"], "revoke-and-rotate") ||
                         contains(container["args"], "/etc/rotator/jobs/rotate.yaml") ||
                         contains(container["args"], "/etc/rotator/jobs/incident-revoke.yaml");
    if (rotates) {
      const auto env = container.value("env", Json::array());
      REQUIRE(env.size() == 1);
      CHECK(env[0]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.labels['controller-uid']");
      if (env[0]["name"] == "ROTATION_ID") {
        CHECK(contains(container["args"], "--rotation-id=$(ROTATION_ID)"));
      } else {
        CHECK(env[0]["name"] == "ROTATOR_ROTATION_ID");
        CHECK(contains(container["args"], "run"));
      }
    }
  }
}

TEST_CASE("packaging: the CronJobs never overlap and keep a short history") {
  for (const auto& object : render_kustomize("manifests")) {
    if (object["kind"] != "CronJob") continue;
    INFO(object["metadata"]["name"].get<std::string>());
    CHECK(object["spec"]["concurrencyPolicy"] == "Forbid");
    CHECK(object["spec"]["startingDeadlineSeconds"].is_number_integer());
    CHECK(object["spec"]["successfulJobsHistoryLimit"].is_number_integer());
    CHECK(object["spec"]["failedJobsHistoryLimit"].is_number_integer());
    CHECK_FALSE(object["spec"].contains("suspend"));
  }
}

TEST_CASE("packaging: the real API server accepts every rendered object") {
  // The server checks each object as it would create it (server-side apply, dry
  // run). It is 1.20, which ignores unknown fields, so --validate=strict has
  // kubectl check every field against the server's own OpenAPI schema too.
  // CronJob batch/v1 came in 1.21 with the same fields as batch/v1beta1, which
  // 1.20 serves: CronJobs are sent as v1beta1, and their jobTemplate is also
  // sent as a batch/v1 Job, so the Job the CronJob controller makes is checked
  // against the same Job schema as the one-shot Jobs.
  TestNamespace ns("pkg");
  TempDir dir;
  auto objects = for_kubernetes_1_20(render_all_manifests(), SuspendCronJobs::no);
  for (const auto& object : render_kustomize("manifests")) {
    if (object["kind"] != "CronJob") continue;
    Json job = {{"apiVersion", "batch/v1"},
                {"kind", "Job"},
                {"metadata", object["spec"]["jobTemplate"]["metadata"]},
                {"spec", object["spec"]["jobTemplate"]["spec"]}};
    job["metadata"]["name"] = object["metadata"]["name"].get<std::string>() + "-from-template";
    objects.push_back(job);
  }
  const auto file = write_list(dir, "all.json", objects);
  const auto applied = kubectl(
      {"apply", "-n", ns.name(), "--server-side", "--dry-run=server", "--validate=strict", "-f", file.string()});
  INFO(applied.out << applied.err);
  REQUIRE(applied.exit_code == 0);
  CHECK(std::count(applied.out.begin(), applied.out.end(), '\n') == static_cast<long>(objects.size()));

  // The check does catch a bad field.
  const Json broken = {
      {"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", "broken"}}}, {"noSuchField", true}};
  const auto refused = kubectl({"apply", "-n", ns.name(), "--server-side", "--dry-run=server", "--validate=strict",
                                "-f", write_list(dir, "broken.json", {broken}).string()});
  CHECK(refused.exit_code != 0);
  CHECK_THAT(refused.err, Catch::Contains("noSuchField"));
}

TEST_CASE("packaging: the one-shot Jobs are created by label, as the guide says") {
  TestNamespace ns("pkg");
  const auto created =
      kubectl({"create", "-n", ns.name(), "--dry-run=server", "-o", "name", "-k",
               std::string(ROTATOR_SOURCE_DIR) + "/manifests/one-shot", "-l", "rotator.io/one-shot=bootstrap"});
  INFO(created.err);
  CHECK(created.exit_code == 0);
  CHECK(created.out == "job.batch/rotator-bootstrap\n");
}

TEST_CASE("packaging: an overlay sets the namespace and image of everything, as the guide says") {
  TestNamespace ns("pkg");
  TempDir dir;
  const auto manifests = std::filesystem::path(ROTATOR_SOURCE_DIR) / "manifests";
  for (const char* part : {"rotator", "rotator-run"}) {
    // kustomize takes only relative paths to a base.
    const auto base = std::string(part) == "rotator" ? manifests : manifests / "one-shot";
    dir.write(std::string(part) + "/kustomization.yaml",
              "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: " + ns.name() +
                  "\nresources:\n  - " + std::filesystem::relative(base, dir.path() / part).string() +
                  "\nimages:\n  - name: rotator\n    newName: registry.example.com/rotator\n    newTag: \"9.9.9\"\n");
  }
  auto objects = render_kustomize(dir.path() / "rotator");
  for (auto& job : render_kustomize(dir.path() / "rotator-run")) objects.push_back(std::move(job));
  CHECK(objects.size() == 15);
  for (const auto& object : objects) {
    CHECK(object["metadata"]["namespace"] == ns.name());
    if (const Json* pod = pod_template_of(object)) {
      CHECK((*pod)["spec"]["containers"][0]["image"] == "registry.example.com/rotator:9.9.9");
    }
    if (object["kind"] == "RoleBinding") CHECK(object["subjects"][0]["namespace"] == ns.name());
  }
  const auto applied =
      kubectl({"apply", "--server-side", "--dry-run=server", "-f",
               write_list(dir, "all.json", for_kubernetes_1_20(objects, SuspendCronJobs::no)).string()});
  INFO(applied.err);
  CHECK(applied.exit_code == 0);
}
