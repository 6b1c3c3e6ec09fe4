#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "crypto/pem.h"
#include "formats/key_ring.h"
#include "frame/step.h"
#include "steps/admin_token.h"
#include "steps/key_source.h"
#include "steps/restart.h"

namespace rotator::steps {

struct RotateOptions {
  std::string keys_secret_name = "rsa-keys";
  /// --rotation-id (or $ROTATOR_ROTATION_ID): this rotation's identity. Without
  /// one, a run resumes the unfinished rotation, or starts one as `new_rotation_id`.
  std::optional<std::string> rotation_id;
  std::string new_rotation_id;  ///< a fresh id, drawn when the step is bound
  formats::RotationKind kind = formats::RotationKind::scheduled;
  std::optional<std::chrono::milliseconds> if_older_than;
  std::chrono::milliseconds grace{std::chrono::hours(1)};
  /// --key-form: the PEM form of the key made current and of the new staged key;
  /// without it, the form of the current key is kept.
  std::optional<crypto::PrivateKeyForm> key_form;
  AdminTokenOptions admin;
  RestartOptions restart;
};

/// Which rotation a run works on, given what rsa-keys records: pure, table-tested.
struct RotationChoice {
  enum class Action {
    start,      ///< a new rotation: replace the key now
    resume,     ///< the key is replaced; finish the later phases
    too_young,  ///< --if-older-than: the key is younger, nothing to do at all
  } action = Action::start;
  std::string id;
  formats::RotationKind kind = formats::RotationKind::scheduled;
  std::string note;  ///< why, when it is not what the flags alone say (resuming, superseding)
};
/// `chosen`: the rotation this run already works on (an earlier decision's
/// choice), which stays its rotation after it finished.
RotationChoice choose_rotation(const formats::KeyRing& ring, const RotateOptions& options, util::TimePoint now,
                               const std::optional<std::string>& chosen = std::nullopt);

/// The ring after replacing its key (pure apart from the fresh key `fresh`, used
/// for an incident or when no key is staged). The new current key takes the form
/// formats::form_for_new_keys gives (a promoted staged key is re-encoded if needed).
formats::KeyRing rotated_ring(formats::KeyRing ring, const RotationChoice& choice, const RotateOptions& options,
                              util::TimePoint now, const std::string& actor,
                              const std::function<formats::SigningKey()>& fresh_key);

/// revoke-and-rotate: the key in one preconditioned write (never
/// delete-then-create), with the rotation recorded as unfinished on rsa-keys; a
/// new admin token; the restart (and its wait); then a new staged key in the write
/// that records the rotation finished. A rerun, with or without the id, finishes
/// an unfinished rotation and never rotates twice.
class RotateStep : public frame::Step {
 public:
  RotateStep(RotateOptions options, std::shared_ptr<KeySource> keys);
  std::string name() const override { return "revoke-and-rotate"; }
  std::vector<frame::ObjectRef> reads() const override;
  frame::Decision decide(const frame::Snapshot& seen, const frame::DecisionContext& context) const override;
  void preflight(const frame::Snapshot& seen) const override;
  std::vector<kube::Access> rights(const frame::Snapshot& seen) const override;
  std::string unfinished(const frame::Snapshot& seen) const override;
  const RotateOptions& options() const { return options_; }

 private:
  /// True when --if-older-than makes this run write nothing: the key is too young
  /// (or made by an earlier step of the same run) and no rotation is unfinished.
  /// Such a run needs no restart target and no rights.
  bool skips(const frame::Snapshot& seen) const;
  frame::Decision restart(const frame::Snapshot& seen, const formats::KeyRing& ring, const kube::Secret& keys,
                          util::TimePoint now) const;
  frame::Change keys_change(kube::Secret secret, const formats::KeyRing& ring) const;
  frame::Decision next_phase(const frame::Snapshot& seen, const frame::DecisionContext& context,
                             const RotationChoice& choice, formats::KeyRing ring) const;

  RotateOptions options_;
  std::shared_ptr<KeySource> keys_;
};

}  // namespace rotator::steps
