#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "frame/lease_lock.h"
#include "frame/step.h"
#include "frame/stop.h"

namespace rotator::frame {

/// What a run does: steps bound to every option they take, checked before the
/// run connects. A single-step command and a job file are both plans.
struct Plan {
  std::string command;  ///< how the lock and messages name the run: "revoke-and-rotate", "run rotate.yaml"
  std::vector<std::shared_ptr<const Step>> steps;
  std::string rotation_id;  ///< the rotation the run works on, for the lock holder; may be empty
  std::string job;          ///< how metrics name the run: "rotate" (a job file's name), "revoke-and-rotate"
  /// The command that resumes the plan in a namespace (of a cluster: the
  /// kubeconfig context of a multi-cluster run, else empty), for the message of a
  /// run that stopped half-way (it always names the namespace and the context).
  std::function<std::string(const std::string& cluster, const std::string& ns)> resume_command;
};

/// How a plan runs: the global flags that apply to every step.
struct RunSettings {
  enum class Mode { apply, dry_run } mode = Mode::apply;
  LockOptions lock;
  Deadline deadline;
  std::chrono::milliseconds poll_interval{1000};
  /// How often a long wait reports where it stands.
  std::chrono::milliseconds progress_interval{5000};
  std::string user;  ///< who runs it, for the lock holder
  /// When the run began: milestones (Change::milestone) are timed from here.
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
};

}  // namespace rotator::frame
