#include "steps/key_gen.h"

#include "kube/errors.h"
#include "kube/resources.h"
#include "util/errors.h"
#include "util/log.h"

namespace rotator::steps {
namespace {

constexpr int max_write_attempts = 5;

std::string join_gaps(const std::vector<std::string>& gaps) {
  std::string out;
  for (const auto& gap : gaps) out += (out.empty() ? "" : "; ") + gap;
  return out;
}

KeyRing new_ring(const KeyGenOptions& options, util::TimePoint now) {
  KeyRing ring;
  ring.current = generate_signing_key(options.algorithm, options.rsa_bits);
  ring.next = generate_signing_key(options.algorithm, options.rsa_bits);
  ring.created_at = now;
  return ring;
}

}  // namespace

KeyGenDecision decide_key_gen(const std::optional<kube::Secret>& observed, const KeyGenOptions& options,
                              util::TimePoint now) {
  KeyGenDecision decision;
  if (!observed) {
    decision.action = KeyGenDecision::Action::create;
    decision.reason = "no signing keys yet";
    return decision;
  }
  try {
    decision.existing = read_key_ring(*observed, now, WantStaged::yes);
  } catch (const InvalidDataError& e) {
    if (options.force == Force::no) throw;
    decision.action = KeyGenDecision::Action::replace_invalid;
    decision.reason = "--force: replacing invalid data (" + std::string(e.what()) + ")";
    return decision;
  }
  if (decision.existing->gaps.empty()) {
    decision.action = KeyGenDecision::Action::nothing;
    decision.reason = "valid key kid=" + decision.existing->ring.current.kid;
    return decision;
  }
  decision.action = KeyGenDecision::Action::complete;
  decision.reason = join_gaps(decision.existing->gaps) + " (current key kept)";
  return decision;
}

void run_key_gen(StepContext& context, const KeyGenOptions& options) {
  const std::string& step_name = options.step_label;
  kube::SecretApi secrets(context.client);
  const std::string object = describe_object("Secret", context.namespace_, options.secret_name);

  // Read under a lock the run already holds (revoke-and-rotate staging a key), the
  // observation is fresh: no second read before the first write attempt.
  const bool observed_under_lock = context.held_lock != nullptr;
  auto observed = secrets.get(context.namespace_, options.secret_name);
  auto decision = decide_key_gen(observed, options, context.now());
  if (decision.action == KeyGenDecision::Action::nothing) {
    context.observed_secrets[options.secret_name] = *observed;
    report_unchanged(step_name, object + " (" + decision.reason + ")");
    return;
  }
  context.observed_secrets.erase(options.secret_name);
  const char* verb = decision.action == KeyGenDecision::Action::create ? "create" : "replace";
  if (context.mode == RunMode::dry_run) {
    if (decision.action == KeyGenDecision::Action::create) context.planned_secrets.insert(options.secret_name);
    report_change(step_name, {verb, object, decision.reason}, context.mode);
    return;
  }

  StepLock lock(context);
  for (int attempt = 1;; ++attempt) {
    // Under the lock, decide again from a fresh read: the first read may be stale.
    if (attempt > 1 || !observed_under_lock) {
      observed = secrets.get(context.namespace_, options.secret_name);
      decision = decide_key_gen(observed, options, context.now());
      if (decision.action == KeyGenDecision::Action::nothing) {
        context.observed_secrets[options.secret_name] = *observed;
        report_unchanged(step_name, object + " (" + decision.reason + ")");
        return;
      }
    }
    lock.ensure_held();
    try {
      const auto now = context.now();
      if (decision.action == KeyGenDecision::Action::create) {
        kube::Secret secret;
        secret.metadata.name = options.secret_name;
        secret.metadata.namespace_ = context.namespace_;
        const KeyRing ring = new_ring(options, now);
        store_key_ring(ring, secret);
        const auto created = secrets.create(secret);
        context.observed_secrets[options.secret_name] = created;
        report_change(step_name, {"create", object, decision.reason + "; kid=" + ring.current.kid}, context.mode);
        record_event(context, "Secret", "v1", created.metadata, "KeyGenerated",
                     "generated signing key kid=" + ring.current.kid + " and staged kid=" + ring.next->kid);
        return;
      }
      kube::Secret secret = *observed;  // keeps resourceVersion: the write is preconditioned
      std::string event_reason;
      std::string message;
      if (decision.action == KeyGenDecision::Action::replace_invalid) {
        const KeyRing ring = new_ring(options, now);
        store_key_ring(ring, secret);
        event_reason = "KeyReplaced";
        message = "replaced invalid key data (--force) with signing key kid=" + ring.current.kid;
      } else {
        KeyRing& ring = decision.existing->ring;
        if (!ring.next) {
          ring.next = generate_key_like(ring.current);
          decision.reason += "; staged kid=" + ring.next->kid;
        }
        if (!ring.created_at) ring.created_at = now;
        store_key_ring(ring, secret);
        event_reason = "KeyRingUpdated";
        message = decision.reason + "; signing key kid=" + ring.current.kid + " unchanged";
      }
      const auto replaced = secrets.replace(secret);
      context.observed_secrets[options.secret_name] = replaced;
      report_change(step_name, {"replace", object, decision.reason}, context.mode);
      record_event(context, "Secret", "v1", replaced.metadata, event_reason, message);
      return;
    } catch (const kube::ApiError& e) {
      const bool raced = e.reason() == kube::Reason::already_exists || e.reason() == kube::Reason::conflict;
      if (!raced || attempt >= max_write_attempts) throw;
      log::info("the Secret changed while writing; reading it again", {{"object", object}});
    }
  }
}

}  // namespace rotator::steps
