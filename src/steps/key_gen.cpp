#include "steps/key_gen.h"

#include "crypto/crypto_error.h"
#include "formats/key_form.h"
#include "formats/names.h"
#include "util/errors.h"

namespace rotator::steps {
namespace {

std::string joined(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& part : parts) out += (out.empty() ? "" : "; ") + part;
  return out;
}

}  // namespace

std::string invalid_keys_hint(const std::string& ns, bool repairable) {
  std::string hint = "; rotator will not overwrite it.";
  if (repairable)
    hint += " To rebuild public.pem, kid and jwks.json from private.pem: rotator key-gen -n " + ns + " --repair.";
  return hint + " To replace the keys (every token they signed becomes invalid): rotator key-gen -n " + ns + " --force";
}

KeyGenAssessment assess_key_gen(const std::optional<kube::Secret>& observed, const KeyGenOptions& options,
                                util::TimePoint now) {
  using Action = KeyGenAssessment::Action;
  if (!observed) return {Action::create, key_gen_reason::no_keys, std::nullopt};
  if (formats::is_placeholder(*observed)) return {Action::create, key_gen_reason::placeholder, std::nullopt};
  const std::string& ns = observed->metadata.namespace_;
  formats::KeyRingReading reading;
  try {
    reading = formats::inspect_key_ring(*observed, now, formats::WantStaged::yes);
  } catch (const InvalidDataError& e) {
    if (options.force == Force::no) throw InvalidDataError(e.what() + invalid_keys_hint(ns, false));
    return {Action::replace_invalid, std::string(key_gen_reason::forced) + " (" + e.what() + ")", std::nullopt};
  }
  if (!reading.repairable.empty()) {
    if (options.repair == Repair::yes) {
      return {Action::repair, std::string(key_gen_reason::repaired) + ": " + joined(reading.repairable),
              std::move(reading)};
    }
    const std::string problem = formats::describe_secret(*observed) + " is invalid: " + joined(reading.repairable);
    if (options.force == Force::no) throw InvalidDataError(problem + invalid_keys_hint(ns, true));
    return {Action::replace_invalid, std::string(key_gen_reason::forced) + " (" + problem + ")", std::nullopt};
  }
  if (reading.gaps.empty()) {
    std::string reason = "valid key kid=" + reading.ring.current.kid + " (" +
                         std::string(crypto::form_name(reading.ring.current.form)) + ")";
    if (options.key_form && *options.key_form != reading.ring.current.form) {
      // The current key is never re-encoded; the form changes when a rotation
      // makes a key current.
      reason += "; --key-form applies to keys rotator generates: revoke-and-rotate -n " + ns + " --key-form " +
                (*options.key_form == crypto::PrivateKeyForm::pkcs1 ? "pkcs1" : "pkcs8") + " changes the form";
    }
    return {Action::nothing, reason, std::move(reading)};
  }
  return {Action::complete, joined(reading.gaps) + " " + key_gen_reason::complete, std::move(reading)};
}

KeyGenStep::KeyGenStep(KeyGenOptions options, std::shared_ptr<KeySource> keys)
    : options_(std::move(options)), keys_(std::move(keys)) {}

std::vector<frame::ObjectRef> KeyGenStep::reads() const {
  return {frame::ObjectRef::secret(options_.secret_name)};
}

std::vector<kube::Access> KeyGenStep::rights(const frame::Snapshot& seen) const {
  if (!seen.secret(options_.secret_name)) return {{"create", "", "secrets", ""}};
  return {{"update", "", "secrets", options_.secret_name}};
}

frame::Decision KeyGenStep::decide(const frame::Snapshot& seen, const frame::DecisionContext& context) const {
  using Action = KeyGenAssessment::Action;
  const auto& observed = seen.secret(options_.secret_name);
  auto assessment = assess_key_gen(observed, options_, context.now);
  if (assessment.action == Action::nothing) return frame::Decision::done(assessment.reason);

  const std::string slot = seen.place() + "/key-gen/";
  kube::Secret secret;
  if (observed) {
    secret = *observed;  // keeps resourceVersion: the write is preconditioned
  } else {
    secret.metadata.name = options_.secret_name;
    secret.metadata.namespace_ = seen.namespace_name();
  }
  frame::Change change;
  change.reason = assessment.reason;
  formats::KeyRing ring;
  if (assessment.action == Action::create || assessment.action == Action::replace_invalid) {
    ring.current = keys_->key(slot + "current", options_.algorithm, options_.rsa_bits);
    ring.next = keys_->key(slot + "next", options_.algorithm, options_.rsa_bits);
    const auto form = formats::form_for_new_keys(options_.key_form, nullptr);
    formats::set_form(ring.current, form);
    formats::set_form(*ring.next, form);
    ring.created_at = context.now;
    change.outcome = "kid=" + ring.current.kid;
    if (assessment.action == Action::create) {
      change.event = frame::EventNote{
          "KeyGenerated", "generated signing key kid=" + ring.current.kid + " and staged kid=" + ring.next->kid,
          std::nullopt};
    } else {
      change.outcome +=
          "; every token signed by the old key is invalid now: issue a new admin token (rotator "
          "create-admin-token -n " +
          seen.namespace_name() + ") and restart its consumers (kubectl -n " + seen.namespace_name() +
          " rollout restart deployment/token-management)";
      change.event = frame::EventNote{
          "KeyReplaced", "replaced invalid key data (--force) with signing key kid=" + ring.current.kid, std::nullopt};
    }
  } else {
    ring = std::move(assessment.existing->ring);
    if (!ring.next) {
      ring.next = keys_->key_like(slot + "next-for-" + ring.current.kid, ring.current);
      formats::set_form(*ring.next, formats::form_for_new_keys(options_.key_form, &ring.current));
      change.outcome = "staged kid=" + ring.next->kid;
    }
    if (!ring.created_at) ring.created_at = context.now;
    const bool repair = assessment.action == Action::repair;
    change.event = frame::EventNote{repair ? "KeyRingRepaired" : "KeyRingUpdated",
                                    assessment.reason + (change.outcome.empty() ? "" : "; " + change.outcome) +
                                        "; signing key kid=" + ring.current.kid + " unchanged",
                                    std::nullopt};
  }
  formats::store_key_ring(ring, secret);
  change.operation = frame::WriteSecret{std::move(secret)};
  return frame::Decision::apply(std::move(change));
}

}  // namespace rotator::steps
