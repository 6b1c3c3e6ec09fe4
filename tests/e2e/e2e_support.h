#pragma once

// Helpers for the end-to-end tests: real pods on the local cluster's node
// (scripts/local-cluster up --node), the images tests/e2e/node-fixture loaded
// into it, rotator's shipped manifests made to run there, the token-management
// Deployment played by the token consumer, and a client that presents tokens to
// its pods.

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "../integration/cluster_fixture.h"
#include "../integration/packaging_support.h"

namespace rotator::e2e {

using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;

/// What the fixture set up (ROTATOR_E2E_STATE): image references, or why there is no node.
struct Suite {
  std::filesystem::path state_dir;
  std::string rotator_image;
  std::string consumer_image;
  std::optional<std::string> skip_reason;
  static const Suite& get();
};

/// True (after printing the skip marker) when the suite has no node to run on.
bool skip_without_node();

/// Appends one result (a JSON object with "test") to STATE/results.jsonl and
/// prints it as an `E2E-RESULT:` line, for the README's numbers.
void report(const Json& result);

/// The taint the local node carries, so that only pods that ask run there.
Json node_toleration();

/// Makes a pod spec run on the local node: rotator's containers use the loaded
/// image with imagePullPolicy Never, and the node's taint is tolerated. Nothing
/// else (ServiceAccount, securityContext, volumes, args) is changed.
void run_on_node(Json& pod_spec, const std::string& rotator_image);

/// `kubectl apply` of objects into a namespace; REQUIREs success.
void kubectl_apply(const std::string& ns, const std::vector<Json>& objects);

/// The install base (manifests/) as shipped, for Kubernetes 1.20 (CronJobs as
/// batch/v1beta1), suspended or not, made to run on the node, applied to `ns`.
/// Returns the rendered objects as applied.
std::vector<Json> install_base(const std::string& ns, testing::SuspendCronJobs suspend);

/// Installs the base (as install_base) with the rotate CronJob firing every minute
/// and its job file (ConfigMap rotator-jobs, rotate.yaml) rotating whatever the
/// key's age (the shipped one waits until the key is 30 days old); the renewal
/// CronJob stays suspended.
void arm_rotate_cronjob(const std::string& ns);

/// Waits (bounded) for the Job that CronJob `cronjob` creates, then suspends the
/// CronJob so that it creates no other; returns the Job's name and uid.
std::pair<std::string, std::string> wait_for_cronjob_job(const std::string& ns, const std::string& cronjob);

/// The object of `kind` and `name` among `objects`; REQUIREs it.
Json find_object(const std::vector<Json>& objects, const std::string& kind, const std::string& name);

/// The Deployment `token-management` (the token consumer, rsa-keys mounted as a
/// Secret volume, readiness on /healthz) and a Service in front of it; waits
/// for the rollout. The Secret rsa-keys must exist.
void deploy_token_management(const std::string& ns, int replicas);

/// Runs a command with KUBECONFIG of the test cluster; REQUIREs exit 0 and returns stdout.
std::string must(const std::vector<std::string>& argv);

/// kubectl -n NS get KIND NAME -o json, or null when it does not exist.
Json get_object(const std::string& ns, const std::string& kind, const std::string& name);

/// Waits (bounded) for a Job to have the Complete condition; REQUIREs it, with
/// the Job's pods and logs in the failure message.
Json wait_job_complete(const std::string& ns, const std::string& job, std::chrono::seconds timeout);

/// The rotator binary of this build (runs on the host, as by hand from a laptop).
std::string rotator_binary();

/// A pod of the token-management Deployment, as the API shows it.
struct ConsumerPod {
  std::string name;
  std::string ip;
  bool ready = false;
  bool terminating = false;
};

/// A client of the token consumer that does not use Catch (safe from any thread).
class ConsumerClient {
 public:
  explicit ConsumerClient(std::string ns);

  enum class Outcome { valid, rejected, unreachable };
  struct Answer {
    Outcome outcome = Outcome::unreachable;
    std::string reason;  ///< the consumer's reason, or the connection error
    std::string pod;
  };

  /// POST /verify with the token to the consumer at ip:8080.
  Answer present(const std::string& ip, const std::string& token) const;
  /// GET /keys of the consumer at ip: its pod name and the kids it loaded; null when unreachable.
  Json keys(const std::string& ip) const;

  /// The pods of app=token-management (through the API).
  std::vector<ConsumerPod> pods() const;
  /// The ready addresses of the Service token-management (its Endpoints), as a
  /// Service routes to them.
  std::vector<std::string> endpoints() const;
  /// The admin token as the Secret admin-token holds it now; nullopt when the
  /// Secret (or its token) is missing.
  std::optional<std::string> admin_token() const;
  /// The `kid` of rsa-keys now; empty when missing.
  std::string current_kid() const;

 private:
  std::string ns_;
  std::unique_ptr<kube::Client> client_;
};

/// Seconds since `start`, as a double.
double seconds_since(Clock::time_point start);

}  // namespace rotator::e2e
