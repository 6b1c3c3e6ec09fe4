#include "kube/rollout.h"

#include "util/json_fields.h"

namespace rotator::kube {
namespace {

using Json = nlohmann::json;
using State = RolloutStatus::State;

long integer_at(const Json& object, const char* key, long fallback = 0) {
  const auto it = object.find(key);
  return it != object.end() && it->is_number_integer() ? it->get<long>() : fallback;
}

const Json& object_at(const Json& object, const char* key) {
  static const Json empty = Json::object();
  const auto it = object.find(key);
  return it != object.end() && it->is_object() ? *it : empty;
}

RolloutStatus in_progress(std::string message) {
  return {State::in_progress, std::move(message)};
}

RolloutStatus deployment_status(const Json& d) {
  const Json& spec = object_at(d, "spec");
  const Json& status = object_at(d, "status");
  const std::string name = util::string_member(object_at(d, "metadata"), "name");
  if (integer_at(object_at(d, "metadata"), "generation") > integer_at(status, "observedGeneration")) {
    return in_progress("Waiting for deployment spec update to be observed...");
  }
  if (const auto conditions = status.find("conditions"); conditions != status.end() && conditions->is_array()) {
    for (const auto& c : *conditions) {
      if (util::string_member(c, "type") == "Progressing" &&
          util::string_member(c, "reason") == "ProgressDeadlineExceeded") {
        return {State::failed, "deployment \"" + name + "\" exceeded its progress deadline"};
      }
    }
  }
  const long replicas = integer_at(spec, "replicas", 1);
  const long updated = integer_at(status, "updatedReplicas");
  const long total = integer_at(status, "replicas");
  const long available = integer_at(status, "availableReplicas");
  if (updated < replicas) {
    return in_progress("Waiting for deployment \"" + name + "\" rollout to finish: " + std::to_string(updated) +
                       " out of " + std::to_string(replicas) + " new replicas have been updated...");
  }
  if (total > updated) {
    return in_progress("Waiting for deployment \"" + name + "\" rollout to finish: " + std::to_string(total - updated) +
                       " old replicas are pending termination...");
  }
  if (available < updated) {
    return in_progress("Waiting for deployment \"" + name + "\" rollout to finish: " + std::to_string(available) +
                       " of " + std::to_string(updated) + " updated replicas are available...");
  }
  return {State::complete, "deployment \"" + name + "\" successfully rolled out"};
}

RolloutStatus stateful_set_status(const Json& s) {
  const Json& spec = object_at(s, "spec");
  const Json& status = object_at(s, "status");
  const std::string name = util::string_member(object_at(s, "metadata"), "name");
  const Json& strategy = object_at(spec, "updateStrategy");
  if (!strategy.empty() && util::string_member(strategy, "type") != "RollingUpdate" &&
      !util::string_member(strategy, "type").empty()) {
    return {State::failed, "rollout status is only available for RollingUpdate strategy type"};
  }
  const long observed = integer_at(status, "observedGeneration");
  if (observed == 0 || integer_at(object_at(s, "metadata"), "generation") > observed) {
    return in_progress("Waiting for statefulset spec update to be observed...");
  }
  const long replicas = integer_at(spec, "replicas", 1);
  const long ready = integer_at(status, "readyReplicas");
  if (ready < replicas) {
    return in_progress("Waiting for " + std::to_string(replicas - ready) + " pods to be ready...");
  }
  const Json& rolling = object_at(strategy, "rollingUpdate");
  if (rolling.contains("partition")) {
    const long partition = integer_at(rolling, "partition");
    const long updated = integer_at(status, "updatedReplicas");
    if (updated < replicas - partition) {
      return in_progress("Waiting for partitioned roll out to finish: " + std::to_string(updated) + " out of " +
                         std::to_string(replicas - partition) + " new pods have been updated...");
    }
    return {State::complete,
            "partitioned roll out complete: " + std::to_string(updated) + " new pods have been updated..."};
  }
  if (util::string_member(status, "updateRevision") != util::string_member(status, "currentRevision")) {
    return in_progress("waiting for statefulset rolling update to complete " +
                       std::to_string(integer_at(status, "updatedReplicas")) + " pods at revision " +
                       util::string_member(status, "updateRevision") + "...");
  }
  return {State::complete, "statefulset rolling update complete " + std::to_string(ready) + " pods at revision " +
                               util::string_member(status, "currentRevision") + "..."};
}

RolloutStatus daemon_set_status(const Json& d) {
  const Json& spec = object_at(d, "spec");
  const Json& status = object_at(d, "status");
  const std::string name = util::string_member(object_at(d, "metadata"), "name");
  const Json& strategy = object_at(spec, "updateStrategy");
  if (!util::string_member(strategy, "type").empty() && util::string_member(strategy, "type") != "RollingUpdate") {
    return {State::failed, "rollout status is only available for RollingUpdate strategy type"};
  }
  if (integer_at(object_at(d, "metadata"), "generation") > integer_at(status, "observedGeneration")) {
    return in_progress("Waiting for daemon set spec update to be observed...");
  }
  const long desired = integer_at(status, "desiredNumberScheduled");
  const long updated = integer_at(status, "updatedNumberScheduled");
  const long available = integer_at(status, "numberAvailable");
  if (updated < desired) {
    return in_progress("Waiting for daemon set \"" + name + "\" rollout to finish: " + std::to_string(updated) +
                       " out of " + std::to_string(desired) + " new pods have been updated...");
  }
  if (available < desired) {
    return in_progress("Waiting for daemon set \"" + name + "\" rollout to finish: " + std::to_string(available) +
                       " of " + std::to_string(desired) + " updated pods are available...");
  }
  return {State::complete, "daemon set \"" + name + "\" successfully rolled out"};
}

}  // namespace

RolloutStatus rollout_status(WorkloadKind kind, const nlohmann::json& workload) {
  switch (kind) {
    case WorkloadKind::deployment: return deployment_status(workload);
    case WorkloadKind::stateful_set: return stateful_set_status(workload);
    case WorkloadKind::daemon_set: return daemon_set_status(workload);
  }
  return in_progress("unknown workload kind");
}

std::map<std::string, std::string> pod_template_annotations(const Json& workload) {
  std::map<std::string, std::string> result;
  const Json& annotations =
      object_at(object_at(object_at(object_at(workload, "spec"), "template"), "metadata"), "annotations");
  for (const auto& [key, value] : annotations.items()) {
    if (value.is_string()) result[key] = value.get<std::string>();
  }
  return result;
}

long desired_replicas(WorkloadKind kind, const Json& workload) {
  if (kind == WorkloadKind::daemon_set) return integer_at(object_at(workload, "status"), "desiredNumberScheduled");
  return integer_at(object_at(workload, "spec"), "replicas", 1);
}

}  // namespace rotator::kube
