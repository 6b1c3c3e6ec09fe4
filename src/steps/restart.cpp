#include "steps/restart.h"

#include "formats/names.h"
#include "kube/rollout.h"
#include "util/errors.h"

namespace rotator::steps {

RestartMode parse_restart_mode(const std::string& text) {
  if (text == "rollout") return RestartMode::rollout;
  if (text == "delete-pods") return RestartMode::delete_pods;
  if (text == "none") return RestartMode::none;
  throw UsageError("--restart must be rollout, delete-pods or none, not \"" + text + "\"");
}

const char* restart_mode_name(RestartMode mode) {
  switch (mode) {
    case RestartMode::rollout: return "rollout";
    case RestartMode::delete_pods: return "delete-pods";
    case RestartMode::none: return "none";
  }
  return "none";
}

RolloutAssessment assess_rollout(kube::WorkloadKind kind, const nlohmann::json& workload, const std::string& kid) {
  const auto annotations = kube::pod_template_annotations(workload);
  const auto current = annotations.find(formats::restart_kid_annotation);
  if (current == annotations.end() || current->second != kid) {
    return {RolloutAssessment::Action::patch, "pod template does not carry kid=" + kid};
  }
  const auto status = kube::rollout_status(kind, workload);
  switch (status.state) {
    case kube::RolloutStatus::State::complete: return {RolloutAssessment::Action::done, status.message};
    case kube::RolloutStatus::State::failed: return {RolloutAssessment::Action::failed, status.message};
    case kube::RolloutStatus::State::in_progress: return {RolloutAssessment::Action::wait, status.message};
  }
  return {RolloutAssessment::Action::wait, status.message};
}

std::vector<kube::Pod> pods_started_before(const std::vector<kube::Pod>& pods, util::TimePoint key_created_at) {
  std::vector<kube::Pod> victims;
  for (const auto& pod : pods) {
    if (pod.terminating || !pod.metadata.creation_timestamp) continue;
    if (*pod.metadata.creation_timestamp <= key_created_at) victims.push_back(pod);
  }
  return victims;
}

ReplacementState assess_replacements(const std::vector<kube::Pod>& pods, long wanted) {
  long ready = 0;
  long terminating = 0;
  for (const auto& pod : pods) {
    if (pod.terminating) {
      ++terminating;
    } else if (pod.ready) {
      ++ready;
    }
  }
  const long serving = static_cast<long>(pods.size()) - terminating;
  std::string status = std::to_string(ready) + " of " + std::to_string(std::max(wanted, serving)) + " pods ready";
  if (terminating > 0) status += ", " + std::to_string(terminating) + " old pods terminating";
  return {terminating == 0 && ready == serving && ready >= wanted, status};
}

}  // namespace rotator::steps
