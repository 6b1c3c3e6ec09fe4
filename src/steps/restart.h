#pragma once

// How the token-management service is made to load a new key: pure decisions
// over the workload and its pods, composed by the rotation.

#include <chrono>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kube/objects.h"
#include "kube/resources.h"
#include "util/time.h"

namespace rotator::steps {

enum class RestartMode {
  rollout,      ///< annotate the pod template with the kid and wait for the rollout
  delete_pods,  ///< delete the selected pods started before the key, wait for their replacements
  none,
};

/// Throws UsageError for anything but rollout, delete-pods or none.
RestartMode parse_restart_mode(const std::string& text);
const char* restart_mode_name(RestartMode mode);

struct RestartOptions {
  RestartMode mode = RestartMode::rollout;
  kube::WorkloadRef target{kube::WorkloadKind::deployment, "token-management"};
  std::string selector = "app=token-management";
  std::chrono::milliseconds wait_timeout{std::chrono::minutes(5)};
};

/// What a rollout restart still needs for `kid`.
struct RolloutAssessment {
  enum class Action { patch, wait, done, failed } action = Action::done;
  std::string message;
};
RolloutAssessment assess_rollout(kube::WorkloadKind kind, const nlohmann::json& workload, const std::string& kid);

/// The pods to delete: those created no later than the second the key came into
/// force (creation times have one-second resolution: a pod of the same second is
/// taken as old, so an incident never leaves a pod holding the revoked key), and
/// not already terminating.
std::vector<kube::Pod> pods_started_before(const std::vector<kube::Pod>& pods, util::TimePoint key_created_at);

/// Whether the replacements of deleted pods serve: every selected pod Ready and
/// none terminating, and at least `wanted` of them. `status` says where it stands.
struct ReplacementState {
  bool ready = false;
  std::string status;
};
ReplacementState assess_replacements(const std::vector<kube::Pod>& pods, long wanted);

}  // namespace rotator::steps
