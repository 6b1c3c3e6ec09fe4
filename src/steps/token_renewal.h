#pragma once

// management renew: keeps a short-lived management token in a Secret that
// automation mounts. Each run observes the Secret and the registry, decides the
// one next write (pure: decide_renewal), and the run applies it and decides again
// until nothing is left, so a run killed after any write is finished by the next.

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "crypto/secret.h"
#include "formats/registry.h"
#include "formats/token_string.h"
#include "frame/step.h"
#include "steps/key_gen.h"
#include "steps/token_registry.h"
#include "util/time.h"

namespace rotator::steps {

/// `management renew` flags.
struct RenewalSettings {
  std::chrono::milliseconds ttl{std::chrono::hours(24)};
  std::chrono::milliseconds renew_before{std::chrono::hours(8)};
  std::chrono::milliseconds grace{std::chrono::hours(1)};
};

/// Throws UsageError unless ttl > renew_before > 0 and grace >= 0.
void validate(const RenewalSettings& settings);

/// A token found in the renewal Secret (current, staged or previous), as the
/// registry sees it. `state` is nullopt when the registry has no such token.
struct SlotToken {
  std::string id;  ///< from the registry, or the annotation when unknown there
  std::optional<formats::TokenState> state;
  std::optional<util::TimePoint> expires_at;
};

/// Everything renewal looks at, gathered from the snapshot: the decision's input.
struct RenewalInput {
  util::TimePoint now;
  RenewalSettings settings;
  /// The token under the key: nullopt when the Secret or the key is absent.
  std::optional<SlotToken> current;
  /// The key holds something that is not a management token.
  bool current_unreadable = false;
  /// A token staged by a run that has not finished (the `<key>.pending` data key).
  std::optional<SlotToken> pending;
  /// The token the last renewal replaced, still to be revoked after the grace.
  std::optional<SlotToken> previous;
  std::optional<util::TimePoint> previous_revoke_after;
  Force force = Force::no;
};

/// One step of renewal: each is one write.
enum class RenewalAction {
  none,              ///< the Secret holds a valid token not due for renewal
  refuse,            ///< the key holds data rotator cannot read (exit 5 unless --force)
  stage_new_token,   ///< write a new token into `<key>.pending` (Secret, preconditioned)
  register_pending,  ///< add the staged token to the registry
  promote_pending,   ///< move the staged token under the key; remember the old one
  discard_pending,   ///< drop a staged token that was revoked or expired meanwhile
  revoke_previous,   ///< revoke the replaced token (grace over, or a newer renewal needs the slot)
  forget_previous,   ///< clear the bookkeeping of a replaced token already revoked
};

std::string_view action_name(RenewalAction action);

struct RenewalPlan {
  RenewalAction action = RenewalAction::none;
  std::string reason;  ///< why, for logs and --dry-run; never token material
};

/// The pure decision: what the next write is. Unit-tested with a fixed `now`.
RenewalPlan decide_renewal(const RenewalInput& input);

/// Names in the renewal Secret.
struct RenewalTarget {
  std::string secret_name;
  std::string key = "mgmt_token";
  RegistryRef registry;
};

/// New tokens for steps, by slot, like KeySource's keys: a decision made again
/// stages the same token, and each namespace of a fleet gets its own.
class TokenSource {
 public:
  struct Slot {
    formats::GeneratedToken token;
    std::string id;  ///< the record id it gets
  };
  std::shared_ptr<const Slot> slot(const std::string& name);

 private:
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<const Slot>> slots_;
};

/// The step.
class RenewalStep : public frame::Step {
 public:
  RenewalStep(RenewalTarget target, RenewalSettings settings);
  std::string name() const override { return "management renew"; }
  std::vector<frame::ObjectRef> reads() const override;
  frame::Decision decide(const frame::Snapshot& seen, const frame::DecisionContext& context) const override;
  std::vector<kube::Access> rights(const frame::Snapshot& seen) const override;

  /// One line on where the Secret stands after a run that made `changes`
  /// changes: "Secret NS/NAME key KEY: up to date; token ID valid until T".
  std::string summary(const frame::Snapshot& seen, int changes) const;

 private:
  RenewalTarget target_;
  RenewalSettings settings_;
  std::shared_ptr<TokenSource> new_tokens_;
};

}  // namespace rotator::steps
