#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "frame/object_ref.h"
#include "kube/objects.h"
#include "kube/resources.h"
#include "util/log.h"

namespace rotator::frame {

/// Create the Secret (no resourceVersion), or replace it preconditioned on the
/// resourceVersion it carries (the version the decision was made on).
struct WriteSecret {
  kube::Secret secret;
};

/// Set annotations on a workload's pod template: the way `kubectl rollout restart`
/// restarts, and the only change rotator makes to a workload.
struct PatchPodTemplate {
  kube::WorkloadRef target;
  std::map<std::string, std::string> annotations;
};

/// Delete one pod, preconditioned on its uid (never a same-named successor).
struct DeletePod {
  kube::Pod pod;
};

/// The Event recorded on an object once a change to it is made.
struct EventNote {
  std::string reason;   ///< CamelCase, e.g. KeyRotated
  std::string message;  ///< never key or token material
  /// Record it on this Secret instead of the object written (a token renewal is
  /// written to the automation's Secret but audited on the registry).
  std::optional<std::string> on_secret;
};

/// One write a decision asks for, as data: which object, which write, and why.
struct Change {
  std::variant<WriteSecret, PatchPodTemplate, DeletePod> operation;
  std::string reason;   ///< why; shown in plans and reports; never key or token material
  std::string outcome;  ///< what it made (e.g. "kid=..."), shown once it is made
  std::optional<EventNote> event;
  /// A moment an operator times, logged with the time since the run began once
  /// this write is made: "revocation in force" for the write that takes a leaked
  /// key out of rsa-keys. Empty for most changes.
  std::string milestone;
  /// What the milestone's log line says besides the time, e.g. how long the key
  /// generation it waited for took.
  log::Fields milestone_fields;

  /// create, replace, patch or delete.
  std::string verb() const;
  /// The object written; for a pod deletion, its name under Kind::pods.
  ObjectRef object() const;
  /// "Secret NS/NAME", "deployment/NAME", "Pod NS/NAME".
  std::string target(const std::string& ns) const;
};

/// A condition a step waits for without writing (a rollout, replacement pods).
struct Wait {
  std::string key;     ///< names the condition; a dry run takes it as met
  ObjectRef object;    ///< what is waited on
  std::string status;  ///< where it stands now, e.g. kubectl's rollout message
  std::chrono::milliseconds timeout{0};
  std::string timeout_message;  ///< the error when the timeout passes
};

/// What a step decided, given a snapshot: writes to make now, a condition to wait
/// for, or nothing left to do (with what it found).
struct Decision {
  std::vector<Change> changes;
  std::optional<Wait> wait;
  std::string state;  ///< when done: what the step found, e.g. "valid key kid=..."
  /// Something the operator should know about what the step chose (e.g. that it
  /// resumes an unfinished rotation); the run logs each note once.
  std::string note;
  /// What later decisions of this run must know about the choices of this one
  /// (e.g. which rotation the run works on); the run keeps it in the snapshot.
  std::map<std::string, std::string> remember;

  static Decision done(std::string state) {
    Decision d;
    d.state = std::move(state);
    return d;
  }
  static Decision apply(Change change) {
    Decision d;
    d.changes.push_back(std::move(change));
    return d;
  }
  static Decision wait_for(Wait wait) {
    Decision d;
    d.wait = std::move(wait);
    return d;
  }
  bool finished() const { return changes.empty() && !wait; }
};

}  // namespace rotator::frame
