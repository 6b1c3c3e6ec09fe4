#include "steps/rotate.h"

#include <algorithm>

#include "crypto/jwk.h"
#include "formats/key_form.h"
#include "formats/names.h"
#include "kube/rollout.h"
#include "util/errors.h"
#include "util/terminal_text.h"

namespace rotator::steps {
namespace {

using formats::RotationKind;

std::string started_text(const formats::RotationRecord& record) {
  return "started " + util::format_rfc3339(record.started_at) +
         (record.by.empty() ? "" : " by " + util::escape_for_terminal(record.by));
}

std::string workload_resource(kube::WorkloadKind kind) {
  switch (kind) {
    case kube::WorkloadKind::deployment: return "deployments";
    case kube::WorkloadKind::stateful_set: return "statefulsets";
    case kube::WorkloadKind::daemon_set: return "daemonsets";
  }
  return "deployments";
}

}  // namespace

RotationChoice choose_rotation(const formats::KeyRing& ring, const RotateOptions& options, util::TimePoint now,
                               const std::optional<std::string>& chosen) {
  using Action = RotationChoice::Action;
  const auto& progress = ring.in_progress;
  // This run's rotation: the one an earlier decision chose, else the id given,
  // else the one it starts with when none is (unique to the run, so found
  // recorded only once this run has rotated).
  const std::string own = chosen.value_or(options.rotation_id.value_or(options.new_rotation_id));
  if (progress && progress->id == own) return {Action::resume, own, progress->kind, {}};
  if (progress) {
    const std::string unfinished = std::string(formats::rotation_kind_name(progress->kind)) + " rotation " +
                                   progress->id + " (" + started_text(*progress) + ")";
    if (options.kind == RotationKind::incident && progress->kind == RotationKind::scheduled) {
      return {Action::start, own, RotationKind::incident,
              "supersedes unfinished " + unfinished + ": an incident rotation generates a fresh key"};
    }
    return {Action::resume, progress->id, progress->kind,
            "resuming unfinished " + unfinished +
                (options.rotation_id ? " instead of starting " + *options.rotation_id : std::string())};
  }
  if (ring.rotation_recorded(own)) return {Action::resume, own, options.kind, {}};
  if (options.if_older_than && ring.created_at) {
    const auto age = std::chrono::duration_cast<std::chrono::milliseconds>(now - *ring.created_at);
    if (age < *options.if_older_than) {
      return {Action::too_young,
              {},
              options.kind,
              "key kid=" + ring.current.kid + " is " + util::format_duration(age) +
                  " old, younger than --if-older-than " + util::format_duration(*options.if_older_than)};
    }
  }
  return {Action::start, own, options.kind, {}};
}

formats::KeyRing rotated_ring(formats::KeyRing ring, const RotationChoice& choice, const RotateOptions& options,
                              util::TimePoint now, const std::string& actor,
                              const std::function<formats::SigningKey()>& fresh_key) {
  // The form goes with the ring, not with whatever form the staged key was given.
  const auto form = formats::form_for_new_keys(options.key_form, &ring.current);
  formats::SigningKey retired = std::move(ring.current);
  const bool promote = choice.kind == RotationKind::scheduled && ring.next;
  ring.current = promote ? std::move(*ring.next) : fresh_key();
  formats::set_form(ring.current, form);
  ring.next.reset();  // staged anew when the rotation finishes, off the critical path
  const auto forget = [&](const std::string& kid) { ring.former_kids.push_back(kid); };
  if (choice.kind == RotationKind::incident) {
    // A leaked Secret leaked every key in it: trust none of them any longer.
    for (const auto& old : ring.retired) forget(old.kid);
    ring.retired.clear();
    forget(retired.kid);
  } else {
    // Promises kept: a retired key stays published until the time it was given.
    std::erase_if(ring.retired, [&](const formats::RetiredKey& old) {
      if (old.trusted_until > now) return false;
      forget(old.kid);
      return true;
    });
    if (options.grace.count() > 0) {
      ring.retired.push_back({crypto::public_jwk(*retired.private_key, retired.kid), retired.kid, now + options.grace});
    } else {
      forget(retired.kid);
    }
  }
  ring.pods_restarted_for_kid.clear();
  ring.created_at = now;
  ring.rotated_at = now;
  if (!ring.rotation_recorded(choice.id)) ring.rotation_history.push_back(choice.id);
  ring.in_progress = formats::RotationRecord{choice.id, choice.kind, now, actor};
  return ring;
}

RotateStep::RotateStep(RotateOptions options, std::shared_ptr<KeySource> keys)
    : options_(std::move(options)), keys_(std::move(keys)) {}

std::vector<frame::ObjectRef> RotateStep::reads() const {
  std::vector<frame::ObjectRef> refs = {frame::ObjectRef::secret(options_.keys_secret_name),
                                        frame::ObjectRef::secret(options_.admin.secret_name)};
  if (options_.restart.mode != RestartMode::none) refs.push_back(frame::ObjectRef::workload(options_.restart.target));
  if (options_.restart.mode == RestartMode::delete_pods)
    refs.push_back(frame::ObjectRef::pods(options_.restart.selector));
  return refs;
}

std::vector<kube::Access> RotateStep::rights(const frame::Snapshot& seen) const {
  if (skips(seen)) return {};  // a key too young to rotate: this run writes nothing
  std::vector<kube::Access> rights = {{"update", "", "secrets", options_.keys_secret_name},
                                      secret_write_right(seen, options_.admin.secret_name)};
  if (options_.restart.mode == RestartMode::rollout) {
    rights.push_back({"patch", "apps", workload_resource(options_.restart.target.kind), options_.restart.target.name});
  } else if (options_.restart.mode == RestartMode::delete_pods) {
    rights.push_back({"delete", "", "pods", ""});
  }
  return rights;
}

bool RotateStep::skips(const frame::Snapshot& seen) const {
  if (!options_.if_older_than) return false;
  const auto& keys = seen.secret(options_.keys_secret_name);
  // No keys yet: an earlier step (key-gen in rotate.yaml) makes them now, and a
  // key made now is too young for --if-older-than.
  if (!keys || formats::is_placeholder(*keys)) return true;
  try {
    const auto ring = formats::read_key_ring(*keys, util::Clock::now(), formats::WantStaged::no).ring;
    return choose_rotation(ring, options_, util::Clock::now()).action == RotationChoice::Action::too_young;
  } catch (const InvalidDataError&) {
    return false;  // decide() refuses it with the full hint
  }
}

void RotateStep::preflight(const frame::Snapshot& seen) const {
  if (skips(seen)) return;
  const std::string& ns = seen.namespace_name();
  const std::string target = kube::to_string(options_.restart.target);
  if (options_.restart.mode == RestartMode::rollout && !seen.workload(options_.restart.target)) {
    throw Error(target + " not found in namespace " + ns + ": nothing was changed. Name the workload with --target, " +
                "or skip the restart with --restart none");
  }
  if (options_.restart.mode == RestartMode::delete_pods && !seen.workload(options_.restart.target) &&
      seen.pods(options_.restart.selector).empty()) {
    throw Error("no pods match --selector " + options_.restart.selector + " in namespace " + ns + " and " + target +
                " does not exist: nothing was changed. Check --selector and --target, or skip the restart with "
                "--restart none");
  }
}

std::string RotateStep::unfinished(const frame::Snapshot& seen) const {
  const auto* keys = seen.find_secret(options_.keys_secret_name);
  if (keys == nullptr || !*keys) return {};
  try {
    const auto ring = formats::inspect_key_ring(**keys, util::Clock::now(), formats::WantStaged::no).ring;
    if (!ring.in_progress) return {};
    return std::string(formats::rotation_kind_name(ring.in_progress->kind)) + " rotation " + ring.in_progress->id +
           " replaced the key (kid=" + ring.current.kid + ") and is unfinished";
  } catch (const Error&) {
    return {};
  }
}

frame::Change RotateStep::keys_change(kube::Secret secret, const formats::KeyRing& ring) const {
  formats::store_key_ring(ring, secret);
  frame::Change change;
  change.operation = frame::WriteSecret{std::move(secret)};
  return change;
}

namespace {
/// Where a run remembers which rotation it works on.
constexpr const char* chosen_rotation = "revoke-and-rotate/rotation";
}  // namespace

frame::Decision RotateStep::decide(const frame::Snapshot& seen, const frame::DecisionContext& context) const {
  formats::KeyRing ring = required_key_ring(seen, options_.keys_secret_name, context.now);
  const RotationChoice choice = choose_rotation(ring, options_, context.now, seen.remembered(chosen_rotation));
  frame::Decision decision = next_phase(seen, context, choice, std::move(ring));
  if (choice.action != RotationChoice::Action::too_young) {
    decision.remember[chosen_rotation] = choice.id;
    decision.note = choice.note;
  }
  return decision;
}

frame::Decision RotateStep::next_phase(const frame::Snapshot& seen, const frame::DecisionContext& context,
                                       const RotationChoice& choice, formats::KeyRing ring) const {
  const std::string& ns = seen.namespace_name();
  const auto now = context.now;
  const kube::Secret& keys = *seen.secret(options_.keys_secret_name);
  const std::string object = "Secret " + ns + "/" + options_.keys_secret_name;
  if (choice.action == RotationChoice::Action::too_young)
    return frame::Decision::done(object + " (" + choice.note + ")");
  const std::string rotation = "rotation " + choice.id;

  if (choice.action == RotationChoice::Action::start) {
    const std::string old_kid = ring.current.kid;
    const bool promote = choice.kind == RotationKind::scheduled && ring.next.has_value();
    const std::string why =
        promote ? "promote staged key kid=" + ring.next->kid + " over kid=" + old_kid
                : std::string(choice.kind == RotationKind::incident ? "incident rotation" : "no staged key") +
                      ": replace kid=" + old_kid + " with a freshly generated key";
    std::string dropped;
    if (choice.kind == RotationKind::incident) {
      for (const auto& retired : ring.retired) dropped += (dropped.empty() ? "" : ", ") + retired.kid;
    }
    const std::string slot = seen.place() + "/rotation:" + choice.id + "/fresh";
    const formats::SigningKey& model = ring.current;
    formats::SigningKey fresh;
    if (!promote) fresh = keys_->key_like(slot, model);
    formats::KeyRing next =
        rotated_ring(std::move(ring), choice, options_, now, context.actor, [&] { return std::move(fresh); });
    const auto trusted = std::find_if(next.retired.begin(), next.retired.end(),
                                      [&](const formats::RetiredKey& r) { return r.kid == old_kid; });
    std::string outcome = "kid=" + old_kid + " -> kid=" + next.current.kid + "; " +
                          (trusted != next.retired.end() ? "old key kid=" + old_kid + " trusted until " +
                                                               util::format_rfc3339(trusted->trusted_until)
                                                         : "old key kid=" + old_kid + " no longer trusted");
    if (!dropped.empty()) outcome += "; retired keys no longer trusted either: " + dropped;
    frame::Change change = keys_change(keys, next);
    change.reason = rotation + ": " + why;
    change.outcome = outcome;
    change.event = frame::EventNote{"KeyRotated", "rotation " + choice.id + ": " + outcome, std::nullopt};
    // From this write on, tokens signed by the old key stop verifying wherever
    // rsa-keys is read afresh: the moment an incident is timed by.
    if (trusted == next.retired.end()) {
      change.milestone = "revocation in force: kid=" + old_kid + " is out of rsa-keys";
      if (!promote) {
        const auto cpu = std::chrono::duration_cast<std::chrono::milliseconds>(keys_->generation_cpu(slot));
        change.milestone_fields.emplace_back("key_generation_cpu_ms", static_cast<long>(cpu.count()));
      }
    }
    return frame::Decision::apply(std::move(change));
  }

  // The key is replaced: the admin token, the restart, then the staged key.
  const auto& admin_secret = seen.secret(options_.admin.secret_name);
  const auto admin = assess_admin_token(ring, admin_secret, options_.admin, now);
  if (admin.action != AdminTokenAssessment::Action::nothing) {
    return frame::Decision::apply(
        admin_token_change(ring, admin_secret, options_.admin, ns, now, rotation + ": " + admin.reason));
  }
  frame::Decision restarting = restart(seen, ring, keys, now);
  if (!restarting.finished()) {
    for (auto& change : restarting.changes) change.reason = rotation + ": " + change.reason;
    return restarting;
  }
  if (ring.in_progress || !ring.next) {
    std::string outcome;
    if (!ring.next) {
      ring.next = keys_->key_like(seen.place() + "/rotation:" + choice.id + "/next", ring.current);
      formats::set_form(*ring.next, formats::form_for_new_keys(options_.key_form, &ring.current));
      outcome = "staged kid=" + ring.next->kid;
    }
    const bool finishing = ring.in_progress.has_value();
    ring.in_progress.reset();
    frame::Change change = keys_change(keys, ring);
    change.reason = rotation + (finishing ? ": finished" : "") + (outcome.empty() ? "" : "; stage a new next key");
    change.outcome = outcome;
    change.event = frame::EventNote{finishing ? "RotationFinished" : "KeyRingUpdated",
                                    change.reason + (outcome.empty() ? "" : "; " + outcome), std::nullopt};
    return frame::Decision::apply(std::move(change));
  }
  return frame::Decision::done(object + " (rotation " + choice.id +
                               " already replaced the key (kid=" + ring.current.kid + "))");
}

frame::Decision RotateStep::restart(const frame::Snapshot& seen, const formats::KeyRing& ring, const kube::Secret& keys,
                                    util::TimePoint now) const {
  const RestartOptions& options = options_.restart;
  const std::string& kid = ring.current.kid;
  const std::string& ns = seen.namespace_name();
  const std::string target = kube::to_string(options.target);
  const std::string where = target + " in namespace " + ns;
  if (options.mode == RestartMode::none) return frame::Decision::done("no restart");

  if (options.mode == RestartMode::rollout) {
    const auto& workload = seen.workload(options.target);
    if (!workload) throw Error(where + " not found: pass --target, or --restart none to skip the restart");
    const auto rollout = assess_rollout(options.target.kind, *workload, kid);
    switch (rollout.action) {
      case RolloutAssessment::Action::patch: {
        frame::Change change;
        change.operation = frame::PatchPodTemplate{
            options.target,
            {{formats::restart_kid_annotation, kid}, {formats::restarted_at_annotation, util::format_rfc3339(now)}}};
        change.reason = "restart for kid=" + kid;
        change.event =
            frame::EventNote{"RestartTriggered", "rolling restart to load signing key kid=" + kid, std::nullopt};
        return frame::Decision::apply(std::move(change));
      }
      case RolloutAssessment::Action::failed: throw Error("rollout of " + where + " failed: " + rollout.message);
      case RolloutAssessment::Action::wait:
        if (seen.assumed("rollout/" + kid)) return frame::Decision::done(rollout.message);
        return frame::Decision::wait_for(
            {"rollout/" + kid, frame::ObjectRef::workload(options.target), rollout.message, options.wait_timeout,
             "rollout of " + where + " did not complete within --wait-timeout " +
                 util::format_duration(options.wait_timeout) + " (" + rollout.message + "); the key is rotated"});
      case RolloutAssessment::Action::done: return frame::Decision::done(rollout.message);
    }
  }

  // delete-pods
  const auto& pods = seen.pods(options.selector);
  if (ring.pods_restarted_for_kid != kid) {
    if (!ring.created_at) throw Error("the signing key has no creation time; cannot tell old pods from new");
    const auto victims = pods_started_before(pods, *ring.created_at);
    if (!victims.empty()) {
      frame::Decision deleting;
      for (const auto& pod : victims) {
        frame::Change change;
        change.operation = frame::DeletePod{pod};
        change.reason = "started before signing key kid=" + kid;
        change.event = frame::EventNote{"PodDeletedForKeyRotation",
                                        "deleted so the service loads signing key kid=" + kid, std::nullopt};
        deleting.changes.push_back(std::move(change));
      }
      return deleting;
    }
    // Recorded before waiting for the replacements: pod creation times cannot
    // tell a replacement created in the key's second from an old pod.
    kube::Secret secret = keys;
    secret.metadata.annotations[formats::key_secret::pods_restarted_annotation] = kid;
    frame::Change change;
    change.operation = frame::WriteSecret{std::move(secret)};
    change.reason = "the pods of " + options.selector + " started before kid=" + kid + " are deleted";
    return frame::Decision::apply(std::move(change));
  }
  const auto& workload = seen.workload(options.target);
  const long wanted = workload ? kube::desired_replicas(options.target.kind, *workload) : 1;
  const auto replacements = assess_replacements(pods, wanted);
  if (replacements.ready || seen.assumed("pods/" + kid)) return frame::Decision::done(replacements.status);
  return frame::Decision::wait_for(
      {"pods/" + kid, frame::ObjectRef::pods(options.selector), replacements.status, options.wait_timeout,
       "the pods of " + options.selector + " in namespace " + ns + " were not all ready within --wait-timeout " +
           util::format_duration(options.wait_timeout) + " (" + replacements.status +
           "); the key is rotated and the old pods are deleted"});
}

}  // namespace rotator::steps
