#pragma once

// Helpers for the packaging tests: the rendered kustomize manifests as JSON, the
// containers of the shipped Jobs and CronJobs, and a ServiceAccount's in-cluster
// files, as a pod would see them.

#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "cluster_fixture.h"

namespace rotator::testing {

/// Marker on stdout that makes CTest report a test as skipped (the integration
/// tests' SKIP_REGULAR_EXPRESSION). Print it only when nothing failed: CTest's
/// skip wins over a failing exit code.
inline constexpr const char* skipped_marker = "ROTATOR-TEST-SKIPPED:";

/// Converts YAML to JSON with YAML 1.2 core-schema scalars: plain `true`,
/// `false`, `null`, `~` and numbers become JSON values, everything else
/// (including every quoted scalar) a string.
nlohmann::json yaml_to_json(const std::string& yaml_text);

/// `kubectl kustomize DIR` (DIR absolute, or relative to the source tree), one
/// JSON object per rendered document.
std::vector<nlohmann::json> render_kustomize(const std::filesystem::path& dir);

/// Everything rotator ships: manifests/ (the install base) then manifests/one-shot.
std::vector<nlohmann::json> render_all_manifests();

/// The pod template of a Job or CronJob, else nullptr.
const nlohmann::json* pod_template_of(const nlohmann::json& object);

/// Writes objects as a JSON `List` to a file kubectl can read with -f.
std::filesystem::path write_list(const TempDir& dir, const std::string& name,
                                 const std::vector<nlohmann::json>& objects);

/// The 1.20 test server serves CronJob only as batch/v1beta1 (batch/v1 came in
/// 1.21, with the same fields): the objects with each CronJob's apiVersion set to
/// batch/v1beta1, and, with `suspend`, spec.suspend set so the real cronjob
/// controller starts nothing during a test.
enum class SuspendCronJobs { yes, no };
std::vector<nlohmann::json> for_kubernetes_1_20(std::vector<nlohmann::json> objects, SuspendCronJobs suspend);

/// The in-cluster files of a ServiceAccount (token, ca.crt, namespace), taken from
/// the token Secret the real token controller made for it, and the environment a
/// pod of that ServiceAccount runs with. KUBECONFIG names a missing file, so
/// rotator takes its in-cluster path.
class ServiceAccountFiles {
 public:
  ServiceAccountFiles(const std::string& ns, const std::string& service_account);
  const std::filesystem::path& dir() const { return dir_.path(); }
  const std::string& token() const { return token_; }
  std::vector<std::pair<std::string, std::string>> pod_env() const;

 private:
  TempDir dir_;
  TempDir home_;
  std::string token_;
};

/// Kubernetes' $(VAR) expansion of container command and args: $(VAR) becomes
/// the value of a variable the container defines, $$ becomes $, and a reference
/// to an undefined variable stays as written.
std::string expand_container_vars(const std::string& text, const std::map<std::string, std::string>& vars);

}  // namespace rotator::testing
