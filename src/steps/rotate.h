#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "steps/admin_token.h"
#include "steps/key_ring.h"
#include "steps/restart.h"
#include "steps/step_context.h"

namespace rotator::steps {

/// A scheduled rotation promotes the staged key and keeps the old public key
/// trusted for a grace period; an incident rotation (--fresh, or any
/// delete-pods restart) generates a fresh key, since a leaked Secret leaked the
/// staged key too, and trusts the old key no longer.
enum class RotationKind { scheduled, fresh };

struct RotateOptions {
  std::string keys_secret_name = "rsa-keys";
  std::string rotation_id;
  RotationKind kind = RotationKind::scheduled;
  std::optional<std::chrono::milliseconds> if_older_than;
  std::chrono::milliseconds grace{std::chrono::hours(1)};
  AdminTokenOptions admin;
  RestartOptions restart;
};

/// Pure: what the key phase of a rotation does.
struct RotationDecision {
  enum class Action {
    already_applied,  ///< this rotation id is recorded: finish the later phases only
    too_young,        ///< --if-older-than: the key is younger, nothing to do at all
    promote_staged,
    generate_fresh,
  } action = Action::already_applied;
  std::string reason;
};
RotationDecision decide_rotation(const KeyRing& ring, const RotateOptions& options, util::TimePoint now);

/// The ring after the rotation (pure apart from key generation for fresh keys).
KeyRing rotated_ring(KeyRing ring, const RotationDecision& decision, const RotateOptions& options,
                     util::TimePoint now);

/// revoke-and-rotate: new key in one preconditioned write (never delete-then-create),
/// new admin token, restart, then a new staged key. Every phase observes first, so a
/// rerun with the same rotation id after a crash finishes the work and a rerun after
/// it finished writes nothing.
void run_rotate(StepContext& context, const RotateOptions& options);

}  // namespace rotator::steps
