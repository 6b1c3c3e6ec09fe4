#include "steps/restart.h"

#include <thread>

#include "kube/errors.h"
#include "kube/rollout.h"
#include "util/errors.h"
#include "util/log.h"

namespace rotator::steps {
namespace {

std::string template_annotation(const nlohmann::json& workload, const char* name) {
  const auto spec = workload.find("spec");
  if (spec == workload.end()) return {};
  const auto pod_template = spec->find("template");
  if (pod_template == spec->end()) return {};
  const auto metadata = pod_template->find("metadata");
  if (metadata == pod_template->end()) return {};
  const auto annotations = metadata->find("annotations");
  if (annotations == metadata->end() || !annotations->is_object()) return {};
  const auto value = annotations->find(name);
  return value != annotations->end() && value->is_string() ? value->get<std::string>() : std::string{};
}

void restart_by_rollout(StepContext& context, const RestartOptions& options, const KeyRing& ring,
                        const std::string& step) {
  kube::WorkloadApi workloads(context.client);
  const std::string object = to_string(options.target);
  const std::string where = object + " in namespace " + context.namespace_;
  auto workload = workloads.get(context.namespace_, options.target);
  if (!workload) {
    throw Error(where + " not found: pass --target, or --restart none to skip the restart");
  }
  auto decision = decide_rollout(options.target.kind, *workload, ring.current.kid);
  if (decision.action == RolloutDecision::Action::done) {
    report_unchanged(step, object + " (already rolled out for kid=" + ring.current.kid + ")");
    return;
  }
  if (context.mode == RunMode::dry_run) {
    if (decision.action == RolloutDecision::Action::patch) {
      report_change(step, {"patch", object,
                           "pod template annotation " + std::string(restart_kid_annotation) + "=" +
                               ring.current.kid + ", then wait for the rollout"},
                    context.mode);
    } else {
      report_change(step, {"wait", object, decision.message}, context.mode);
    }
    return;
  }
  StepLock lock(context);
  if (decision.action == RolloutDecision::Action::patch) {
    lock.ensure_held();
    const auto patched = workloads.patch_template_annotations(
        context.namespace_, options.target,
        {{restart_kid_annotation, ring.current.kid}, {"rotator.io/restarted-at", util::format_rfc3339(context.now())}});
    report_change(step, {"patch", object, "restart for kid=" + ring.current.kid}, context.mode);
    const auto kind = options.target.kind == kube::WorkloadKind::deployment     ? "Deployment"
                      : options.target.kind == kube::WorkloadKind::stateful_set ? "StatefulSet"
                                                                                : "DaemonSet";
    record_event(context, kind, "apps/v1", kube::meta_from_json(patched), "RestartTriggered",
                 "rolling restart to load signing key kid=" + ring.current.kid);
  }

  const auto deadline = std::chrono::steady_clock::now() + options.wait_timeout;
  std::string last_message;
  while (true) {
    workload = workloads.get(context.namespace_, options.target);
    if (!workload) throw Error(where + " disappeared while waiting for its rollout");
    decision = decide_rollout(options.target.kind, *workload, ring.current.kid);
    if (decision.action == RolloutDecision::Action::done) {
      report_change(step, {"waited for", object, "rollout complete"}, context.mode);
      return;
    }
    if (decision.action == RolloutDecision::Action::failed) {
      throw Error("rollout of " + where + " failed: " + decision.message);
    }
    if (decision.action == RolloutDecision::Action::patch) {
      // Someone changed the template back between our patch and now.
      throw Error(where + " no longer carries " + restart_kid_annotation + "=" + ring.current.kid +
                  "; rerun to restart it again");
    }
    if (decision.message != last_message) {
      log::info("waiting for rollout", {{"object", object}, {"status", decision.message}});
      last_message = decision.message;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      throw Error("rollout of " + where + " did not complete within --wait-timeout (" + decision.message +
                  "); the key is rotated, rerun to keep waiting");
    }
    lock.ensure_held();
    std::this_thread::sleep_for(options.poll_interval);
  }
}

void restart_by_deleting_pods(StepContext& context, const RestartOptions& options, const KeyRing& ring,
                              const std::string& step) {
  if (ring.pods_restarted_for_kid == ring.current.kid) {
    report_unchanged(step, "pods " + options.selector + " (already restarted for kid=" + ring.current.kid + ")");
    return;
  }
  kube::PodApi pods(context.client);
  if (!ring.created_at) throw Error("the signing key has no creation time; cannot tell old pods from new");
  const auto victims = pods_started_before(pods.list(context.namespace_, options.selector), *ring.created_at);
  if (context.mode == RunMode::dry_run) {
    for (const auto& pod : victims) {
      report_change(step, {"delete", describe_object("Pod", context.namespace_, pod.metadata.name),
                           "started before signing key kid=" + ring.current.kid},
                    context.mode);
    }
    return;
  }
  StepLock lock(context);
  for (const auto& pod : victims) {
    lock.ensure_held();
    const std::string object = describe_object("Pod", context.namespace_, pod.metadata.name);
    try {
      pods.remove(context.namespace_, pod.metadata.name, {pod.metadata.uid, ""});
    } catch (const kube::ApiError& e) {
      // Already gone, or replaced by a pod of the same name: nothing left to do.
      if (e.reason() == kube::Reason::not_found || e.reason() == kube::Reason::conflict) continue;
      throw;
    }
    report_change(step, {"delete", object, "started before signing key kid=" + ring.current.kid}, context.mode);
    record_event(context, "Pod", "v1", pod.metadata, "PodDeletedForKeyRotation",
                 "deleted so the service loads signing key kid=" + ring.current.kid);
  }
  // Record that the pods were restarted for this key, guarded by the kid: if the key
  // changed meanwhile, the record must not claim a restart for the new one.
  lock.ensure_held();
  kube::SecretApi secrets(context.client);
  auto secret = secrets.get(context.namespace_, options.keys_secret_name);
  if (!secret || secret->data[key_secret::kid] != ring.current.kid) {
    throw Error("the signing key changed while restarting pods; rerun to restart for the new key");
  }
  secret->metadata.annotations[key_secret::pods_restarted_annotation] = ring.current.kid;
  secrets.replace(*secret);
  if (victims.empty()) {
    report_unchanged(step, "pods " + options.selector + " (none started before kid=" + ring.current.kid + ")");
  }
}

}  // namespace

RestartMode parse_restart_mode(const std::string& text) {
  if (text == "rollout") return RestartMode::rollout;
  if (text == "delete-pods") return RestartMode::delete_pods;
  if (text == "none") return RestartMode::none;
  throw UsageError("--restart must be rollout, delete-pods or none, not \"" + text + "\"");
}

RolloutDecision decide_rollout(kube::WorkloadKind kind, const nlohmann::json& workload, const std::string& kid) {
  if (template_annotation(workload, restart_kid_annotation) != kid) {
    return {RolloutDecision::Action::patch, "pod template does not carry kid=" + kid};
  }
  const auto status = kube::rollout_status(kind, workload);
  switch (status.state) {
    case kube::RolloutStatus::State::complete: return {RolloutDecision::Action::done, status.message};
    case kube::RolloutStatus::State::failed: return {RolloutDecision::Action::failed, status.message};
    case kube::RolloutStatus::State::in_progress: return {RolloutDecision::Action::wait, status.message};
  }
  return {RolloutDecision::Action::wait, status.message};
}

std::vector<kube::Pod> pods_started_before(const std::vector<kube::Pod>& pods, util::TimePoint key_created_at) {
  std::vector<kube::Pod> victims;
  for (const auto& pod : pods) {
    if (pod.terminating || !pod.metadata.creation_timestamp) continue;
    // Second precision on both sides: a pod of the same second is taken as old, so
    // an incident revoke never leaves a pod holding the revoked key.
    if (*pod.metadata.creation_timestamp <= key_created_at) victims.push_back(pod);
  }
  return victims;
}

void run_restart(StepContext& context, const RestartOptions& options, const KeyRing& ring, const std::string& step) {
  switch (options.mode) {
    case RestartMode::none: return;
    case RestartMode::rollout: return restart_by_rollout(context, options, ring, step);
    case RestartMode::delete_pods: return restart_by_deleting_pods(context, options, ring, step);
  }
}

}  // namespace rotator::steps
