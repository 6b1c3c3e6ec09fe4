#include "tokens/renewal.h"

#include "crypto/random.h"
#include "kube/errors.h"
#include "kube/resources.h"
#include "tokens/events.h"
#include "tokens/identity.h"
#include "util/errors.h"
#include "util/log.h"

namespace rotator::tokens {
namespace {

constexpr const char* token_id_annotation = "rotator.io/token-id";
constexpr const char* token_expires_annotation = "rotator.io/token-expires-at";
constexpr const char* pending_id_annotation = "rotator.io/pending-token-id";
constexpr const char* pending_expires_annotation = "rotator.io/pending-expires-at";
constexpr const char* previous_id_annotation = "rotator.io/previous-token-id";
constexpr const char* previous_revoke_after_annotation = "rotator.io/previous-revoke-after";

constexpr int max_steps = 16;

bool is_active(const std::optional<SlotToken>& slot) {
  return slot && slot->state == TokenState::active;
}

RenewalPlan plan(RenewalAction action, std::string reason) { return {action, std::move(reason)}; }

std::string annotation(const kube::Secret& secret, const char* name) {
  const auto it = secret.metadata.annotations.find(name);
  return it == secret.metadata.annotations.end() ? std::string() : it->second;
}

/// What the renewal Secret and the registry say, plus what acting needs.
struct Observation {
  RenewalInput input;
  std::optional<kube::Secret> secret;
  ObservedRegistry registry;
  std::string pending_key;
};

SlotToken slot_for(const Registry& registry, const std::string& token, const std::string& id_hint,
                   util::TimePoint now) {
  SlotToken slot;
  slot.id = id_hint;
  if (const TokenRecord* record = find_by_hash(registry, token_hash(token))) {
    slot.id = record->id;
    slot.state = state_at(*record, now);
    slot.expires_at = record->expires_at;
  }
  return slot;
}

}  // namespace

void validate(const RenewalSettings& s) {
  if (s.ttl.count() <= 0) throw UsageError("--ttl must be a positive duration");
  if (s.renew_before.count() <= 0) throw UsageError("--renew-before must be a positive duration");
  if (s.renew_before >= s.ttl) {
    throw UsageError("--renew-before (" + util::format_duration(s.renew_before) +
                     ") must be shorter than --ttl (" + util::format_duration(s.ttl) +
                     "), or every run would renew");
  }
  if (s.grace.count() < 0) throw UsageError("--grace must not be negative");
}

std::string_view action_name(RenewalAction action) {
  switch (action) {
    case RenewalAction::none: return "none";
    case RenewalAction::refuse: return "refuse";
    case RenewalAction::stage_new_token: return "stage-new-token";
    case RenewalAction::register_pending: return "register-pending";
    case RenewalAction::promote_pending: return "promote-pending";
    case RenewalAction::discard_pending: return "discard-pending";
    case RenewalAction::revoke_previous: return "revoke-previous";
    case RenewalAction::forget_previous: return "forget-previous";
  }
  return "none";
}

RenewalPlan decide_renewal(const RenewalInput& in) {
  if (in.current_unreadable && in.force == ForceOverwrite::no) {
    return plan(RenewalAction::refuse,
                "the key holds data that is not a management token (--force replaces it)");
  }
  // First finish what an earlier (perhaps killed) run began: a staged token.
  if (in.pending) {
    if (in.pending->id.empty()) {
      return plan(RenewalAction::discard_pending, "a staged token cannot be read");
    }
    if (!in.pending->state) {
      return plan(RenewalAction::register_pending, "staged token " + in.pending->id + " is not registered yet");
    }
    if (*in.pending->state != TokenState::active) {
      return plan(RenewalAction::discard_pending, "staged token " + in.pending->id + " is " +
                                                      std::string(state_name(*in.pending->state)));
    }
    // Promoting makes the current token the replaced one; there is room for one.
    if (is_active(in.previous) && is_active(in.current)) {
      return plan(RenewalAction::revoke_previous,
                  "token " + in.previous->id + " is revoked before its grace ends: a newer renewal replaces " +
                      in.current->id);
    }
    return plan(RenewalAction::promote_pending, "staged token " + in.pending->id + " replaces " +
                                                    (in.current ? in.current->id : std::string("nothing")));
  }
  if (in.previous) {
    if (!is_active(in.previous)) {
      return plan(RenewalAction::forget_previous,
                  "replaced token " + in.previous->id + " is " +
                      (in.previous->state ? std::string(state_name(*in.previous->state)) : "unknown"));
    }
    if (!in.previous_revoke_after || in.now >= *in.previous_revoke_after) {
      return plan(RenewalAction::revoke_previous, "the grace period of replaced token " + in.previous->id + " is over");
    }
  }
  if (in.current_unreadable) {
    return plan(RenewalAction::stage_new_token, "the key holds data that is not a management token (--force)");
  }
  if (!in.current) return plan(RenewalAction::stage_new_token, "the Secret holds no token yet");
  if (!in.current->state) {
    return plan(RenewalAction::stage_new_token, "the token in the Secret is not in the registry");
  }
  if (*in.current->state != TokenState::active) {
    return plan(RenewalAction::stage_new_token,
                "token " + in.current->id + " is " + std::string(state_name(*in.current->state)));
  }
  if (in.current->expires_at && *in.current->expires_at - in.now <= in.settings.renew_before) {
    return plan(RenewalAction::stage_new_token,
                "token " + in.current->id + " expires at " + util::format_rfc3339(*in.current->expires_at) +
                    ", within " + util::format_duration(in.settings.renew_before));
  }
  return plan(RenewalAction::none, "token " + in.current->id + " is valid" +
                                       (in.current->expires_at
                                            ? " until " + util::format_rfc3339(*in.current->expires_at)
                                            : std::string()));
}

namespace {

class Renewer {
 public:
  Renewer(kube::Client& client, const RenewalTarget& target, const RenewalSettings& settings,
          ForceOverwrite force, const std::function<util::TimePoint()>& clock)
      : client_(client),
        target_(target),
        settings_(settings),
        force_(force),
        clock_(clock),
        store_(client, target.registry) {}

  Observation observe() {
    Observation o;
    o.pending_key = target_.key + ".pending";
    o.input.now = clock_();
    o.input.settings = settings_;
    o.input.force = force_;
    o.registry = store_.read();
    o.secret = kube::SecretApi(client_).get(target_.namespace_, target_.secret_name);
    if (!o.secret) return o;
    const Registry& registry = o.registry.registry;
    const kube::Secret& s = *o.secret;
    if (const auto it = s.data.find(target_.key); it != s.data.end()) {
      if (classify_token(it->second) == TokenKind::management) {
        o.input.current = slot_for(registry, it->second, annotation(s, token_id_annotation), o.input.now);
      } else {
        o.input.current_unreadable = true;
      }
    }
    if (const auto it = s.data.find(o.pending_key); it != s.data.end()) {
      const std::string id = annotation(s, pending_id_annotation);
      const bool readable = classify_token(it->second) == TokenKind::management && !id.empty() &&
                            util::parse_rfc3339(annotation(s, pending_expires_annotation));
      o.input.pending = readable ? slot_for(registry, it->second, id, o.input.now) : SlotToken{};
    }
    if (const std::string id = annotation(s, previous_id_annotation); !id.empty()) {
      SlotToken previous;
      previous.id = id;
      if (const TokenRecord* record = find_by_id(registry, id)) {
        previous.state = state_at(*record, o.input.now);
        previous.expires_at = record->expires_at;
      }
      o.input.previous = previous;
      o.input.previous_revoke_after = util::parse_rfc3339(annotation(s, previous_revoke_after_annotation));
    }
    return o;
  }

  /// Applies one step. Returns false when a precondition failed (someone else
  /// wrote): the caller observes again.
  bool act(const Observation& o, const RenewalPlan& step) {
    switch (step.action) {
      case RenewalAction::none:
      case RenewalAction::refuse:
        return true;
      case RenewalAction::stage_new_token: return stage(o);
      case RenewalAction::register_pending: return register_pending(o);
      case RenewalAction::promote_pending: return promote(o);
      case RenewalAction::discard_pending:
        return write_secret(o, [&](kube::Secret& s) {
          s.data.erase(o.pending_key);
          s.metadata.annotations.erase(pending_id_annotation);
          s.metadata.annotations.erase(pending_expires_annotation);
        });
      case RenewalAction::revoke_previous: return revoke_previous(o);
      case RenewalAction::forget_previous:
        return write_secret(o, [&](kube::Secret& s) {
          s.metadata.annotations.erase(previous_id_annotation);
          s.metadata.annotations.erase(previous_revoke_after_annotation);
        });
    }
    return true;
  }

 private:
  std::string where() const { return target_.namespace_ + "/" + target_.secret_name; }

  bool write_secret(const Observation& o, const std::function<void(kube::Secret&)>& change) {
    kube::SecretApi secrets(client_);
    kube::Secret s;
    if (o.secret) {
      s = *o.secret;
    } else {
      s.metadata.name = target_.secret_name;
      s.metadata.namespace_ = target_.namespace_;
      s.metadata.labels = {{"app.kubernetes.io/managed-by", "rotator"}};
    }
    change(s);
    try {
      if (o.secret) {
        secrets.replace(s);
      } else {
        secrets.create(s);
      }
      return true;
    } catch (const kube::ApiError& e) {
      if (e.reason() == kube::Reason::conflict || e.reason() == kube::Reason::already_exists) return false;
      throw;
    }
  }

  bool stage(const Observation& o) {
    GeneratedToken generated = generate_token(TokenKind::management);
    const std::string id = crypto::uuid_v4();
    const util::TimePoint expires = to_seconds(o.input.now + settings_.ttl);
    return write_secret(o, [&](kube::Secret& s) {
      s.data[o.pending_key] = std::string(generated.token.view());
      s.metadata.annotations[pending_id_annotation] = id;
      s.metadata.annotations[pending_expires_annotation] = util::format_rfc3339(expires);
    });
  }

  bool register_pending(const Observation& o) {
    const std::string& token = o.secret->data.at(o.pending_key);
    TokenRecord record;
    record.id = o.input.pending->id;
    record.description = "renewed by rotator for Secret " + where() + " key " + target_.key;
    record.created_at = to_seconds(o.input.now);
    record.expires_at = util::parse_rfc3339(annotation(*o.secret, pending_expires_annotation));
    record.created_by = identity();
    record.prefix = display_prefix(token);
    record.sha512 = token_hash(token);
    record.renewal_secret = target_.secret_name;
    const auto result = store_.update([&](Registry& registry) {
      if (const TokenRecord* existing = find_by_id(registry, record.id)) {
        if (!hashes_equal(existing->sha512, record.sha512)) {
          throw InvalidDataError("registry id " + record.id + " belongs to another token than the one staged in Secret " +
                                 where());
        }
        return Change::none;
      }
      registry.records.push_back(record);
      return Change::changed;
    });
    if (result.change == Change::changed) {
      emit_token_event(client_, result.secret.metadata, "TokenCreated",
                       "management token " + record.id + " created for renewal of Secret " + where());
    }
    return true;
  }

  bool promote(const Observation& o) {
    const bool retire_current = is_active(o.input.current);
    const std::string new_id = o.input.pending->id;
    const util::TimePoint revoke_after = to_seconds(o.input.now + settings_.grace);
    const bool written = write_secret(o, [&](kube::Secret& s) {
      s.data[target_.key] = s.data.at(o.pending_key);
      s.data.erase(o.pending_key);
      auto& a = s.metadata.annotations;
      a[token_id_annotation] = new_id;
      if (o.input.pending->expires_at) {
        a[token_expires_annotation] = util::format_rfc3339(*o.input.pending->expires_at);
      } else {
        a.erase(token_expires_annotation);
      }
      a.erase(pending_id_annotation);
      a.erase(pending_expires_annotation);
      if (retire_current) {
        a[previous_id_annotation] = o.input.current->id;
        a[previous_revoke_after_annotation] = util::format_rfc3339(revoke_after);
      }
    });
    if (written && o.registry.secret) {
      std::string message = "Secret " + where() + " now holds management token " + new_id;
      if (retire_current) {
        message += "; token " + o.input.current->id + " is revoked after " + util::format_rfc3339(revoke_after);
      }
      emit_token_event(client_, o.registry.secret->metadata, "TokenRenewed", message);
    }
    return written;
  }

  bool revoke_previous(const Observation& o) {
    const std::string id = o.input.previous->id;
    std::vector<RevokeResult> results;
    const auto result = store_.update([&](Registry& registry) {
      results = revoke_ids(registry, {id}, o.input.now);
      return any_revoked(results) ? Change::changed : Change::none;
    });
    if (result.change == Change::changed) {
      emit_token_event(client_, result.secret.metadata, "TokenRevoked",
                       "management token " + id + " revoked: replaced by renewal of Secret " + where());
    }
    return true;
  }

  const std::string& identity() {
    if (!identity_) identity_ = current_identity(client_);
    return *identity_;
  }

  kube::Client& client_;
  const RenewalTarget& target_;
  RenewalSettings settings_;
  ForceOverwrite force_;
  std::function<util::TimePoint()> clock_;
  RegistryStore store_;
  std::optional<std::string> identity_;
};

}  // namespace

RenewalReport run_renewal(kube::Client& client, const RenewalTarget& target, const RenewalSettings& settings,
                          ForceOverwrite force, DryRun dry_run, const std::function<util::TimePoint()>& clock) {
  validate(settings);
  Renewer renewer(client, target, settings, force, clock);
  RenewalReport report;
  for (int i = 0; i < max_steps; ++i) {
    const Observation o = renewer.observe();
    report.current = o.input.current;
    report.previous = o.input.previous;
    report.previous_revoke_after = o.input.previous_revoke_after;
    const RenewalPlan step = decide_renewal(o.input);
    if (step.action == RenewalAction::refuse) {
      throw InvalidDataError("Secret " + target.namespace_ + "/" + target.secret_name + " key \"" + target.key +
                             "\": " + step.reason);
    }
    if (step.action == RenewalAction::none) return report;
    report.steps.push_back(step);
    if (dry_run == DryRun::yes) return report;
    log::info("renewal step", {{"step", std::string(action_name(step.action))}, {"why", step.reason}});
    if (!renewer.act(o, step)) {
      log::debug("renewal Secret changed underneath; looking again", {{"secret", target.secret_name}});
    }
  }
  throw Error("renewal of Secret " + target.namespace_ + "/" + target.secret_name + " did not settle after " +
              std::to_string(max_steps) + " steps; is another renewal running?");
}

}  // namespace rotator::tokens
