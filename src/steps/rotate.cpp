#include "steps/rotate.h"

#include <algorithm>

#include "crypto/jwk.h"
#include "kube/errors.h"
#include "kube/resources.h"
#include "steps/key_gen.h"
#include "util/errors.h"
#include "util/log.h"

namespace rotator::steps {
namespace {

constexpr const char* step_name = "revoke-and-rotate";
constexpr int max_write_attempts = 5;

bool applied(const KeyRing& ring, const std::string& id) {
  return std::find(ring.rotation_history.begin(), ring.rotation_history.end(), id) != ring.rotation_history.end();
}

/// Reads the key ring; rotation needs an existing, valid one.
std::pair<kube::Secret, ReadKeyRing> observe_keys(StepContext& context, const std::string& name) {
  auto secret = kube::SecretApi(context.client).get(context.namespace_, name);
  if (!secret) {
    throw Error("Secret " + context.namespace_ + "/" + name + " does not exist: run `rotator key-gen` first");
  }
  auto read = read_key_ring(*secret, context.now(), WantStaged::no);
  return {std::move(*secret), std::move(read)};
}

}  // namespace

RotationDecision decide_rotation(const KeyRing& ring, const RotateOptions& options, util::TimePoint now) {
  using Action = RotationDecision::Action;
  if (applied(ring, options.rotation_id)) {
    return {Action::already_applied, "rotation " + options.rotation_id + " already replaced the key (kid=" +
                                         ring.current.kid + ")"};
  }
  if (options.if_older_than && ring.created_at) {
    const auto age = std::chrono::duration_cast<std::chrono::milliseconds>(now - *ring.created_at);
    if (age < *options.if_older_than) {
      return {Action::too_young, "key kid=" + ring.current.kid + " is " + util::format_duration(age) +
                                     " old, younger than --if-older-than " +
                                     util::format_duration(*options.if_older_than)};
    }
  }
  if (options.kind == RotationKind::scheduled && ring.next) {
    return {Action::promote_staged, "promote staged key kid=" + ring.next->kid + " over kid=" + ring.current.kid};
  }
  return {Action::generate_fresh,
          std::string(options.kind == RotationKind::fresh ? "incident rotation" : "no staged key") +
              ": replace kid=" + ring.current.kid + " with a freshly generated key"};
}

KeyRing rotated_ring(KeyRing ring, const RotationDecision& decision, const RotateOptions& options,
                     util::TimePoint now) {
  SigningKey retired = std::move(ring.current);
  if (decision.action == RotationDecision::Action::promote_staged) {
    ring.current = std::move(*ring.next);
  } else {
    ring.current = generate_key_like(retired);
  }
  ring.next.reset();  // staged anew after the restart, off the critical path
  ring.previous.reset();
  if (options.kind == RotationKind::scheduled && options.grace.count() > 0) {
    ring.previous = RetiredKey{crypto::public_jwk(*retired.private_key, retired.kid), retired.kid, now + options.grace};
  }
  ring.pods_restarted_for_kid.clear();
  ring.created_at = now;
  ring.rotated_at = now;
  ring.rotation_history.push_back(options.rotation_id);
  return ring;
}

void run_rotate(StepContext& context, const RotateOptions& options) {
  // This step rewrites the keys: what earlier steps of the run observed goes stale.
  context.observed_secrets.clear();
  if (!valid_rotation_id(options.rotation_id)) {
    throw UsageError("--rotation-id \"" + options.rotation_id + "\" must be 1-128 letters, digits, '-', '_' or '.'");
  }
  const std::string object = describe_object("Secret", context.namespace_, options.keys_secret_name);
  auto [secret, read] = observe_keys(context, options.keys_secret_name);
  auto decision = decide_rotation(read.ring, options, context.now());
  if (decision.action == RotationDecision::Action::too_young) {
    report_unchanged(step_name, object + " (" + decision.reason + ")");
    return;
  }
  if (context.mode == RunMode::dry_run) {
    if (decision.action == RotationDecision::Action::already_applied) {
      report_unchanged(step_name, object + " (" + decision.reason + ")");
      ensure_admin_token(context, options.admin, read.ring, step_name);
      RestartOptions restart = options.restart;
      restart.keys_secret_name = options.keys_secret_name;
      run_restart(context, restart, read.ring, step_name);
      return;
    }
    report_change(step_name, {"replace", object, "rotation " + options.rotation_id + ": " + decision.reason}, context.mode);
    report_change(step_name, {"replace", describe_object("Secret", context.namespace_, options.admin.secret_name),
                              "a new admin token signed by the new key"},
                  context.mode);
    if (options.restart.mode == RestartMode::rollout) {
      report_change(step_name, {"patch", to_string(options.restart.target), "restart for the new key, then wait"},
                    context.mode);
    } else if (options.restart.mode == RestartMode::delete_pods) {
      report_change(step_name, {"delete", "pods " + options.restart.selector, "those started before the new key"},
                    context.mode);
    }
    report_change(step_name, {"replace", object, "stage a new next key"}, context.mode);
    return;
  }

  // Only a rotation that still has to replace the key takes the lock here; when
  // the key phase is done (a rerun), each later phase locks only if it writes, so
  // a converged rerun writes nothing at all, not even the Lease.
  std::optional<StepLock> lock;
  struct RestoreHeldLock {
    StepContext& context;
    runner::LeaseLock* previous;
    ~RestoreHeldLock() { context.held_lock = previous; }
  } restore{context, context.held_lock};

  KeyRing ring = std::move(read.ring);
  bool staged_key_missing = !secret.data.contains(key_secret::next_pem);
  if (decision.action == RotationDecision::Action::already_applied) {
    report_unchanged(step_name, object + " (" + decision.reason + ")");
  } else {
    lock.emplace(context);
    context.held_lock = lock->lease();
    for (int attempt = 1;; ++attempt) {
      auto [fresh_secret, fresh_read] = observe_keys(context, options.keys_secret_name);
      decision = decide_rotation(fresh_read.ring, options, context.now());
      if (decision.action == RotationDecision::Action::too_young) {
        report_unchanged(step_name, object + " (" + decision.reason + ")");
        return;
      }
      if (decision.action == RotationDecision::Action::already_applied) {
        report_unchanged(step_name, object + " (" + decision.reason + ")");
        ring = std::move(fresh_read.ring);
        staged_key_missing = !fresh_secret.data.contains(key_secret::next_pem);
        break;
      }
      const std::string old_kid = fresh_read.ring.current.kid;
      KeyRing next = rotated_ring(std::move(fresh_read.ring), decision, options, context.now());
      store_key_ring(next, fresh_secret);
      lock->ensure_held();
      try {
        const auto written = kube::SecretApi(context.client).replace(fresh_secret);
        const std::string trust = next.previous ? "old key kid=" + old_kid + " trusted until " +
                                                      util::format_rfc3339(next.previous->trusted_until)
                                                : "old key kid=" + old_kid + " no longer trusted";
        const std::string summary = "rotation " + options.rotation_id + ": kid=" + old_kid + " -> kid=" +
                                    next.current.kid + "; " + trust;
        report_change(step_name, {"replace", object, summary}, context.mode);
        record_event(context, "Secret", "v1", written.metadata, "KeyRotated", summary);
        ring = std::move(next);
        staged_key_missing = true;
        break;
      } catch (const kube::ApiError& e) {
        if (e.reason() != kube::Reason::conflict || attempt >= max_write_attempts) throw;
        log::info("the Secret changed while writing; reading it again", {{"object", object}});
      }
    }
  }

  ensure_admin_token(context, options.admin, ring, step_name);
  RestartOptions restart = options.restart;
  restart.keys_secret_name = options.keys_secret_name;
  run_restart(context, restart, ring, step_name);
  if (staged_key_missing) {
    KeyGenOptions staging;
    staging.secret_name = options.keys_secret_name;
    staging.step_label = step_name;
    run_key_gen(context, staging);
  }
}

}  // namespace rotator::steps
