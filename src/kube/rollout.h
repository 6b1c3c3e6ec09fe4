#pragma once

#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "kube/resources.h"

namespace rotator::kube {

/// Where a rollout stands, judged as `kubectl rollout status` judges it.
struct RolloutStatus {
  enum class State { in_progress, complete, failed } state = State::in_progress;
  std::string message;  ///< kubectl's wording, e.g. "1 of 2 updated replicas are available"
};

/// Pure: reads spec, status and generation of a Deployment, StatefulSet or DaemonSet.
RolloutStatus rollout_status(WorkloadKind kind, const nlohmann::json& workload);

/// The annotations of a workload's pod template (spec.template.metadata), empty
/// when it has none or the object is not shaped like a workload.
std::map<std::string, std::string> pod_template_annotations(const nlohmann::json& workload);

/// How many pods the workload wants (spec.replicas of a Deployment or
/// StatefulSet, 1 when unset; status.desiredNumberScheduled of a DaemonSet).
long desired_replicas(WorkloadKind kind, const nlohmann::json& workload);

}  // namespace rotator::kube
