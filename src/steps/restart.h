#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kube/objects.h"
#include "kube/resources.h"
#include "steps/key_ring.h"
#include "steps/step_context.h"

namespace rotator::steps {

/// How the token-management service is made to load the new key.
enum class RestartMode {
  rollout,      ///< annotate the pod template with the kid and wait for the rollout
  delete_pods,  ///< delete the selected pods started before the key (incidents)
  none,
};

RestartMode parse_restart_mode(const std::string& text);

struct RestartOptions {
  RestartMode mode = RestartMode::rollout;
  kube::WorkloadRef target{kube::WorkloadKind::deployment, "token-management"};
  std::string selector = "app=token-management";
  std::chrono::milliseconds wait_timeout{std::chrono::minutes(5)};
  std::chrono::milliseconds poll_interval{1000};
  std::string keys_secret_name = "rsa-keys";  ///< where delete-pods records that it finished
};

/// The pod template annotation that ties a rollout to a key, so a rerun never
/// restarts twice for the same key.
inline constexpr const char* restart_kid_annotation = "rotator.io/kid";

/// Pure: what a rollout restart still needs for `kid`.
struct RolloutDecision {
  enum class Action { patch, wait, done, failed } action = Action::done;
  std::string message;
};
RolloutDecision decide_rollout(kube::WorkloadKind kind, const nlohmann::json& workload, const std::string& kid);

/// Pure: the pods to delete, those started before the key came into force and
/// not already terminating.
std::vector<kube::Pod> pods_started_before(const std::vector<kube::Pod>& pods, util::TimePoint key_created_at);

/// Restarts the service for the ring's current key, as the options say.
void run_restart(StepContext& context, const RestartOptions& options, const KeyRing& ring, const std::string& step);

}  // namespace rotator::steps
