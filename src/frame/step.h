#pragma once

#include <string>
#include <vector>

#include "frame/change.h"
#include "frame/snapshot.h"
#include "kube/cluster.h"
#include "util/time.h"

namespace rotator::frame {

/// What a decision may know besides the snapshot.
struct DecisionContext {
  util::TimePoint now;
  /// Who runs it, for records of who started what: "revoke-and-rotate by user
  /// admin on host web1".
  std::string actor;
  /// Who runs it, as the credentials name it: "user admin",
  /// "system:serviceaccount:influxdb:rotator"; empty when unknown.
  std::string user;
};

/// One step of a plan, bound to all its options before the run connects. A step
/// is observe -> decide -> apply: it declares what it reads, decides purely on
/// what was read, and returns the writes it wants as data. The run alone reads,
/// locks, writes, retries, waits, dry-runs and reports; a step never does.
/// Steps are immutable once bound, so one step serves every namespace of a fleet.
class Step {
 public:
  virtual ~Step() = default;

  /// How reports name it: "key-gen", "revoke-and-rotate", ...
  virtual std::string name() const = 0;

  /// The objects decide() looks at.
  virtual std::vector<ObjectRef> reads() const = 0;

  /// Pure: what to do next about what `seen` holds. Called again after every
  /// write (on the snapshot that write updated) until it returns done. Throws a
  /// typed error to refuse (invalid data: InvalidDataError, exit 5).
  virtual Decision decide(const Snapshot& seen, const DecisionContext& context) const = 0;

  /// Pre-flight: checks what must hold before the plan's first write (a restart
  /// target that exists...), throwing a typed error naming what is missing.
  virtual void preflight(const Snapshot& /*seen*/) const {}

  /// Every API right the step's writes and waits may need given what was read,
  /// for the pre-flight access review (reads need none: they already happened).
  virtual std::vector<kube::Access> rights(const Snapshot& seen) const = 0;

  /// When the run stops after writes began: what this step leaves unfinished, in
  /// words, or empty when nothing is. `seen` may lack objects (use find_secret).
  virtual std::string unfinished(const Snapshot& /*seen*/) const { return {}; }
};

}  // namespace rotator::frame
