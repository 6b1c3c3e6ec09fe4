#pragma once

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

}  // namespace rotator::kube
