#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "kube/client.h"
#include "tokens/format_names.h"
#include "tokens/registry_store.h"
#include "util/time.h"

namespace rotator::tokens {

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
  std::optional<TokenState> state;
  std::optional<util::TimePoint> expires_at;
};

/// Everything renewal looks at, gathered from the cluster: the pure decision's input.
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
  ForceOverwrite force = ForceOverwrite::no;
};

/// One step of renewal. Each is one write; a run repeats observe -> decide -> act
/// until `none`, so a run killed after any write is finished by the next one.
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
  std::string namespace_;
  std::string secret_name;
  std::string key = "mgmt_token";
  RegistryLocation registry;
};

/// What a renewal run did, for the command's output.
struct RenewalReport {
  std::vector<RenewalPlan> steps;  ///< in order; with dry-run only the first, not done
  std::optional<SlotToken> current;
  std::optional<SlotToken> previous;
  std::optional<util::TimePoint> previous_revoke_after;
};

enum class DryRun { no, yes };

/// Runs renewal to convergence (observe -> decide -> act, bounded), with Events on
/// the registry Secret. Throws InvalidDataError for an unreadable key without force.
RenewalReport run_renewal(kube::Client& client, const RenewalTarget& target,
                          const RenewalSettings& settings, ForceOverwrite force, DryRun dry_run,
                          const std::function<util::TimePoint()>& clock);

}  // namespace rotator::tokens
