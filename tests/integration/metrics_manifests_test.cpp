// The Pushgateway setting of the shipped CronJobs: one optional ConfigMap, off
// by default, turned on by an overlay as manifests/kustomization.yaml says; and
// the monitoring add-on (manifests/monitoring) is valid for the API server.

#include <catch2/catch.hpp>

#include "packaging_support.h"

using namespace rotator;
using namespace rotator::testing;
using Json = nlohmann::json;

namespace {

std::vector<Json> cronjobs_of(const std::vector<Json>& objects) {
  std::vector<Json> cronjobs;
  for (const auto& o : objects) {
    if (o["kind"] == "CronJob") cronjobs.push_back(o);
  }
  return cronjobs;
}

// The name of the optional ConfigMap the container imports its environment from.
std::string env_config_map_of(const Json& cronjob) {
  const Json* pod = pod_template_of(cronjob);
  REQUIRE(pod != nullptr);
  const Json& container = (*pod)["spec"]["containers"][0];
  REQUIRE(container.contains("envFrom"));
  REQUIRE(container["envFrom"].size() == 1);
  const Json& ref = container["envFrom"][0]["configMapRef"];
  CHECK(ref["optional"] == true);  // absent ConfigMap: the pod starts, nothing is pushed
  return ref["name"];
}

}  // namespace

TEST_CASE("metrics manifests: every CronJob reads the Pushgateway from one optional ConfigMap, absent by default") {
  auto objects = render_kustomize("manifests");
  for (auto& o : render_kustomize("manifests/monitoring")) objects.push_back(std::move(o));
  const auto cronjobs = cronjobs_of(objects);
  REQUIRE(cronjobs.size() == 3);  // rotate, renew-management-token, status
  for (const auto& cronjob : cronjobs) {
    INFO(cronjob["metadata"]["name"]);
    CHECK(env_config_map_of(cronjob) == "rotator-pushgateway");
  }
  for (const auto& o : objects)
    CHECK_FALSE((o["kind"] == "ConfigMap" && o["metadata"]["name"] == "rotator-pushgateway"));
}

TEST_CASE("metrics manifests: an overlay turns the Pushgateway on for every CronJob with one setting") {
  TempDir dir;
  // kustomize takes bases by relative path only.
  const auto overlay = dir.path() / "overlay";
  std::filesystem::create_directories(overlay);
  const std::string source = std::filesystem::relative(std::filesystem::path(ROTATOR_SOURCE_DIR), overlay).string();
  dir.write("overlay/kustomization.yaml",
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: influxdb\n"
            "resources:\n  - " +
                source + "/manifests\n  - " + source +
                "/manifests/monitoring\n"
                "configMapGenerator:\n  - name: rotator-pushgateway\n"
                "    literals: [ROTATOR_PUSHGATEWAY=http://pushgateway.monitoring.svc:9091]\n"
                "    options: {disableNameSuffixHash: true}\n");
  const auto objects = render_kustomize(overlay);
  const Json* config_map = nullptr;
  for (const auto& o : objects) {
    if (o["kind"] == "ConfigMap" && o["metadata"]["name"] == "rotator-pushgateway") config_map = &o;
  }
  REQUIRE(config_map != nullptr);
  CHECK((*config_map)["data"]["ROTATOR_PUSHGATEWAY"] == "http://pushgateway.monitoring.svc:9091");
  const auto cronjobs = cronjobs_of(objects);
  REQUIRE(cronjobs.size() == 3);
  for (const auto& cronjob : cronjobs) CHECK(env_config_map_of(cronjob) == "rotator-pushgateway");
}

TEST_CASE("metrics manifests: the API server accepts the status CronJob") {
  TestNamespace ns("metrics-manifests");
  TempDir dir;
  const auto objects = for_kubernetes_1_20(render_kustomize("manifests/monitoring"), SuspendCronJobs::yes);
  const auto file = write_list(dir, "monitoring.json", objects);
  const auto created = kubectl({"create", "--dry-run=server", "-n", ns.name(), "-f", file.string()});
  INFO(created.err);
  CHECK(created.exit_code == 0);
  CHECK(created.out.find("cronjob.batch/rotator-status created") != std::string::npos);
}
