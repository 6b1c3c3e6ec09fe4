#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "kube/client.h"
#include "kube/objects.h"
#include "runner/lock.h"
#include "util/time.h"

namespace rotator::steps {

/// One planned change, as --dry-run prints it and a real run reports it.
struct PlannedChange {
  std::string verb;    ///< create, replace, patch, delete, wait
  std::string object;  ///< e.g. "Secret influxdb/rsa-keys"
  std::string reason;  ///< why; never key or token material
};

enum class RunMode { apply, dry_run };

/// What every step needs from its surroundings: the cluster, where, when, and
/// whether to write. Steps never see HTTP; the clock is injectable.
struct StepContext {
  kube::Client& client;
  std::string namespace_;
  RunMode mode = RunMode::apply;
  std::function<util::TimePoint()> now = [] { return util::Clock::now(); };
  runner::LockOptions lock_options;
  /// Set by a caller (the job runner) that already holds the lock for all steps.
  runner::LeaseLock* held_lock = nullptr;
  /// Secrets a step of this run has just read or written, by name, as the API
  /// server returned them. A later step of the same run may take its observation
  /// from here instead of reading again (key-gen, then create-admin-token's key
  /// ring); writes still carry the resourceVersion precondition.
  std::map<std::string, kube::Secret> observed_secrets;
  /// Secrets a step of this dry run planned to create, so later steps can plan on
  /// top of them (create-admin-token after key-gen in jobs/bootstrap.yaml).
  std::set<std::string> planned_secrets;
};

/// Holds the lock for one step: the caller's, if it has one, else a new Lease.
class StepLock {
 public:
  explicit StepLock(StepContext& context);
  void ensure_held() const;
  runner::LeaseLock* lease() const { return lock_; }

 private:
  std::unique_ptr<runner::LeaseLock> own_;
  runner::LeaseLock* lock_;
};

/// Counts the changes report_change() reports on this thread while alive, so a
/// multi-namespace run tells "ok" (changed) from "unchanged" per namespace.
class ChangeCounter {
 public:
  ChangeCounter();
  ~ChangeCounter();
  ChangeCounter(const ChangeCounter&) = delete;
  ChangeCounter& operator=(const ChangeCounter&) = delete;
  int count() const { return count_; }
  void add() { ++count_; }

 private:
  int count_ = 0;
  ChangeCounter* previous_;
};

/// Prints a plan (dry run) or a change that was made, on stdout.
void report_change(const std::string& step, const PlannedChange& change, RunMode mode);
/// Prints that a step found nothing to do.
void report_unchanged(const std::string& step, const std::string& what);

/// Records a Kubernetes Event about a changed object. Best effort: the change is
/// already made, so a failed Event is logged, never fatal.
void record_event(StepContext& context, const std::string& kind, const std::string& api_version,
                  const kube::ObjectMeta& object, const std::string& reason, const std::string& message);

/// "Secret NS/NAME"
std::string describe_object(const std::string& kind, const std::string& ns, const std::string& name);

}  // namespace rotator::steps
