#include "steps/token_renewal.h"

#include "crypto/random.h"
#include "formats/names.h"
#include "util/errors.h"

namespace rotator::steps {
namespace {

constexpr const char* token_id_annotation = "rotator.io/token-id";
constexpr const char* token_expires_annotation = "rotator.io/token-expires-at";
constexpr const char* pending_id_annotation = "rotator.io/pending-token-id";
constexpr const char* pending_expires_annotation = "rotator.io/pending-expires-at";
constexpr const char* previous_id_annotation = "rotator.io/previous-token-id";
constexpr const char* previous_revoke_after_annotation = "rotator.io/previous-revoke-after";

bool is_active(const std::optional<SlotToken>& slot) {
  return slot && slot->state == formats::TokenState::active;
}

RenewalPlan plan(RenewalAction action, std::string reason) {
  return {action, std::move(reason)};
}

std::string annotation(const kube::Secret& secret, const char* name) {
  const auto it = secret.metadata.annotations.find(name);
  return it == secret.metadata.annotations.end() ? std::string() : it->second;
}

SlotToken slot_for(const formats::Registry& registry, const std::string& token, const std::string& id_hint,
                   util::TimePoint now) {
  SlotToken slot;
  slot.id = id_hint;
  if (const formats::TokenRecord* record = formats::find_by_hash(registry, formats::token_hash(token))) {
    slot.id = record->id;
    slot.state = formats::state_at(*record, now);
    slot.expires_at = record->expires_at;
  }
  return slot;
}

}  // namespace

void validate(const RenewalSettings& s) {
  if (s.ttl.count() <= 0) throw UsageError("--ttl must be a positive duration");
  if (s.renew_before.count() <= 0) throw UsageError("--renew-before must be a positive duration");
  if (s.renew_before >= s.ttl) {
    throw UsageError("--renew-before (" + util::format_duration(s.renew_before) + ") must be shorter than --ttl (" +
                     util::format_duration(s.ttl) + "), or every run would renew");
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
  if (in.current_unreadable && in.force == Force::no) {
    return plan(RenewalAction::refuse, "the key holds data that is not a management token (--force replaces it)");
  }
  // First finish what an earlier (perhaps killed) run began: a staged token.
  if (in.pending) {
    if (in.pending->id.empty()) {
      return plan(RenewalAction::discard_pending, "a staged token cannot be read");
    }
    if (!in.pending->state) {
      return plan(RenewalAction::register_pending, "staged token " + in.pending->id + " is not registered yet");
    }
    if (*in.pending->state != formats::TokenState::active) {
      return plan(RenewalAction::discard_pending,
                  "staged token " + in.pending->id + " is " + std::string(formats::state_name(*in.pending->state)));
    }
    // Promoting makes the current token the replaced one; there is room for one.
    if (is_active(in.previous) && is_active(in.current)) {
      return plan(
          RenewalAction::revoke_previous,
          "token " + in.previous->id + " is revoked before its grace ends: a newer renewal replaces " + in.current->id);
    }
    return plan(RenewalAction::promote_pending, "staged token " + in.pending->id + " replaces " +
                                                    (in.current ? in.current->id : std::string("nothing")));
  }
  if (in.previous) {
    if (!is_active(in.previous)) {
      return plan(RenewalAction::forget_previous,
                  "replaced token " + in.previous->id + " is " +
                      (in.previous->state ? std::string(formats::state_name(*in.previous->state)) : "unknown"));
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
  if (*in.current->state != formats::TokenState::active) {
    return plan(RenewalAction::stage_new_token,
                "token " + in.current->id + " is " + std::string(formats::state_name(*in.current->state)));
  }
  if (in.current->expires_at && *in.current->expires_at - in.now <= in.settings.renew_before) {
    return plan(RenewalAction::stage_new_token, "token " + in.current->id + " expires at " +
                                                    util::format_rfc3339(*in.current->expires_at) + ", within " +
                                                    util::format_duration(in.settings.renew_before));
  }
  return plan(RenewalAction::none,
              "token " + in.current->id + " is valid" +
                  (in.current->expires_at ? " until " + util::format_rfc3339(*in.current->expires_at) : std::string()));
}

std::shared_ptr<const TokenSource::Slot> TokenSource::slot(const std::string& name) {
  std::lock_guard guard(mutex_);
  auto& slot = slots_[name];
  if (!slot)
    slot =
        std::make_shared<const Slot>(Slot{formats::generate_token(formats::TokenKind::management), crypto::uuid_v4()});
  return slot;
}

RenewalStep::RenewalStep(RenewalTarget target, RenewalSettings settings)
    : target_(std::move(target)), settings_(settings), new_tokens_(std::make_shared<TokenSource>()) {
  validate(settings_);
}

std::vector<frame::ObjectRef> RenewalStep::reads() const {
  return {frame::ObjectRef::secret(target_.registry.secret_name), frame::ObjectRef::secret(target_.secret_name)};
}

std::vector<kube::Access> RenewalStep::rights(const frame::Snapshot& seen) const {
  std::vector<kube::Access> rights;
  for (const auto& name : {target_.secret_name, target_.registry.secret_name}) {
    if (seen.secret(name)) {
      rights.push_back({"update", "", "secrets", name});
    } else {
      rights.push_back({"create", "", "secrets", ""});
    }
  }
  return rights;
}

std::string RenewalStep::summary(const frame::Snapshot& seen, int changes) const {
  std::string line = "Secret " + seen.namespace_name() + "/" + target_.secret_name + " key " + target_.key + ": " +
                     (changes == 0 ? std::string("up to date") : std::to_string(changes) + " step(s) done");
  const auto* observed = seen.find_secret(target_.secret_name);
  if (observed == nullptr || !*observed) return line;
  const kube::Secret& s = **observed;
  const std::string id = annotation(s, token_id_annotation);
  if (!id.empty()) {
    const std::string expires = annotation(s, token_expires_annotation);
    line += "; token " + id + " valid until " + (expires.empty() ? std::string("never") : expires);
  }
  const std::string previous = annotation(s, previous_id_annotation);
  if (!previous.empty()) {
    const std::string after = annotation(s, previous_revoke_after_annotation);
    line +=
        "; replaced token " + previous + " is revoked after " + (after.empty() ? std::string("the next run") : after);
  }
  return line;
}

frame::Decision RenewalStep::decide(const frame::Snapshot& seen, const frame::DecisionContext& context) const {
  const std::string where = seen.namespace_name() + "/" + target_.secret_name;
  const std::string pending_key = target_.key + ".pending";
  const formats::Registry registry = registry_in(seen, target_.registry);
  const auto& observed = seen.secret(target_.secret_name);

  RenewalInput in;
  in.now = context.now;
  in.settings = settings_;
  in.force = target_.registry.force;
  if (observed) {
    const kube::Secret& s = *observed;
    // As for every Secret rotator writes: never into another type (a
    // service-account-token Secret holds someone's credentials).
    if (!s.type.empty() && s.type != "Opaque") {
      throw InvalidDataError("Secret " + where + " is of type " + s.type +
                             ", not Opaque; rotator will not write a management token into it");
    }
    if (const auto it = s.data.find(target_.key); it != s.data.end()) {
      if (formats::classify_token(it->second) == formats::TokenKind::management) {
        in.current = slot_for(registry, it->second, annotation(s, token_id_annotation), in.now);
      } else {
        in.current_unreadable = true;
      }
    }
    if (const auto it = s.data.find(pending_key); it != s.data.end()) {
      const std::string id = annotation(s, pending_id_annotation);
      const bool readable = formats::classify_token(it->second) == formats::TokenKind::management && !id.empty() &&
                            util::parse_rfc3339(annotation(s, pending_expires_annotation));
      in.pending = readable ? slot_for(registry, it->second, id, in.now) : SlotToken{};
    }
    if (const std::string id = annotation(s, previous_id_annotation); !id.empty()) {
      SlotToken previous;
      previous.id = id;
      if (const formats::TokenRecord* record = formats::find_by_id(registry, id)) {
        previous.state = formats::state_at(*record, in.now);
        previous.expires_at = record->expires_at;
      }
      in.previous = previous;
      in.previous_revoke_after = util::parse_rfc3339(annotation(s, previous_revoke_after_annotation));
    }
  }

  const RenewalPlan next = decide_renewal(in);
  if (next.action == RenewalAction::refuse) {
    throw InvalidDataError("Secret " + where + " key \"" + target_.key + "\": " + next.reason);
  }
  if (next.action == RenewalAction::none) {
    return frame::Decision::done("Secret " + where + " key " + target_.key + ": " + next.reason);
  }

  // Writes to the automation's Secret (created when absent).
  const auto secret_change = [&](const std::function<void(kube::Secret&)>& edit) {
    kube::Secret s;
    if (observed) {
      s = *observed;
    } else {
      s.metadata.name = target_.secret_name;
      s.metadata.namespace_ = seen.namespace_name();
      s.metadata.labels = {{formats::managed_by_label, formats::managed_by_value}};
    }
    edit(s);
    frame::Change change;
    change.operation = frame::WriteSecret{std::move(s)};
    change.reason = std::string(action_name(next.action)) + ": " + next.reason;
    return change;
  };

  switch (next.action) {
    case RenewalAction::stage_new_token: {
      const util::TimePoint expires = formats::to_seconds(in.now + settings_.ttl);
      const auto fresh = new_tokens_->slot(seen.namespace_name() + "/" + target_.secret_name + "/" +
                                           (in.current ? in.current->id : std::string("none")));
      return frame::Decision::apply(secret_change([&](kube::Secret& s) {
        s.data[pending_key] = std::string(fresh->token.token.view());
        s.metadata.annotations[pending_id_annotation] = fresh->id;
        s.metadata.annotations[pending_expires_annotation] = util::format_rfc3339(expires);
      }));
    }
    case RenewalAction::register_pending: {
      const std::string& token = observed->data.at(pending_key);
      formats::TokenRecord record;
      record.id = in.pending->id;
      record.description = "renewed by rotator for Secret " + where + " key " + target_.key;
      record.created_at = formats::to_seconds(in.now);
      record.expires_at = util::parse_rfc3339(annotation(*observed, pending_expires_annotation));
      record.created_by = context.user;
      record.prefix = formats::display_prefix(token);
      record.sha512 = formats::token_hash(token);
      record.renewal_secret = target_.secret_name;
      formats::Registry updated = registry;
      if (const formats::TokenRecord* existing = formats::find_by_id(updated, record.id)) {
        if (!formats::hashes_equal(existing->sha512, record.sha512)) {
          throw InvalidDataError("registry id " + record.id +
                                 " belongs to another token than the one staged in Secret " + where);
        }
      }
      updated.records.push_back(record);
      frame::Change change = registry_change(seen, target_.registry, updated);
      change.reason = std::string(action_name(next.action)) + ": " + next.reason;
      change.event = frame::EventNote{
          "TokenCreated", "management token " + record.id + " created for renewal of Secret " + where, std::nullopt};
      return frame::Decision::apply(std::move(change));
    }
    case RenewalAction::promote_pending: {
      const bool retire_current = is_active(in.current);
      const std::string new_id = in.pending->id;
      const util::TimePoint revoke_after = formats::to_seconds(in.now + settings_.grace);
      frame::Change change = secret_change([&](kube::Secret& s) {
        s.data[target_.key] = s.data.at(pending_key);
        s.data.erase(pending_key);
        auto& a = s.metadata.annotations;
        a[token_id_annotation] = new_id;
        if (in.pending->expires_at) {
          a[token_expires_annotation] = util::format_rfc3339(*in.pending->expires_at);
        } else {
          a.erase(token_expires_annotation);
        }
        a.erase(pending_id_annotation);
        a.erase(pending_expires_annotation);
        if (retire_current) {
          a[previous_id_annotation] = in.current->id;
          a[previous_revoke_after_annotation] = util::format_rfc3339(revoke_after);
        }
      });
      if (seen.secret(target_.registry.secret_name)) {
        std::string message = "Secret " + where + " now holds management token " + new_id;
        if (retire_current) {
          message += "; token " + in.current->id + " is revoked after " + util::format_rfc3339(revoke_after);
        }
        change.event = frame::EventNote{"TokenRenewed", message, target_.registry.secret_name};
      }
      return frame::Decision::apply(std::move(change));
    }
    case RenewalAction::discard_pending:
      return frame::Decision::apply(secret_change([&](kube::Secret& s) {
        s.data.erase(pending_key);
        s.metadata.annotations.erase(pending_id_annotation);
        s.metadata.annotations.erase(pending_expires_annotation);
      }));
    case RenewalAction::revoke_previous: {
      formats::Registry updated = registry;
      const auto results = formats::revoke_ids(updated, {in.previous->id}, in.now);
      if (!formats::any_revoked(results)) {
        return frame::Decision::done("Secret " + where + ": replaced token " + in.previous->id + " is revoked");
      }
      frame::Change change = registry_change(seen, target_.registry, updated);
      change.reason = std::string(action_name(next.action)) + ": " + next.reason;
      change.event = frame::EventNote{
          "TokenRevoked", "management token " + in.previous->id + " revoked: replaced by renewal of Secret " + where,
          std::nullopt};
      return frame::Decision::apply(std::move(change));
    }
    case RenewalAction::forget_previous:
      return frame::Decision::apply(secret_change([&](kube::Secret& s) {
        s.metadata.annotations.erase(previous_id_annotation);
        s.metadata.annotations.erase(previous_revoke_after_annotation);
      }));
    case RenewalAction::none:
    case RenewalAction::refuse: break;
  }
  return frame::Decision::done(next.reason);
}

}  // namespace rotator::steps
