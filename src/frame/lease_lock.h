#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "frame/lock_holder.h"
#include "frame/stop.h"
#include "frame/write_record.h"
#include "kube/client.h"
#include "kube/objects.h"
#include "util/time.h"

namespace rotator::frame {

/// The annotation on the Lease that describes its holder (JSON, LockHolder).
inline constexpr const char* lock_holder_annotation = "rotator.io/holder";

/// What to do about the Lease, given what was read. Pure, so it is unit-tested.
struct LockDecision {
  enum class Action {
    create,     ///< no Lease yet
    take_over,  ///< free, expired, or already ours: update it to us
    wait,       ///< someone else holds it and it has not expired
  } action = Action::create;
  std::string holder;                         ///< the other holder, for wait
  std::optional<util::TimePoint> held_since;  ///< their acquireTime, for wait
  std::optional<util::TimePoint> expires_at;  ///< when it expires unless renewed, for wait
};

LockDecision decide_lock(const std::optional<kube::Lease>& lease, const std::string& me, util::TimePoint now);

/// Settings of the lock every writing plan takes.
struct LockOptions {
  std::string name = "rotator-lock";
  std::chrono::seconds duration{30};
  std::chrono::milliseconds wait{0};  ///< how long to wait for another holder; 0: exit 3 at once
};

/// The lock as read, for status and unlock.
struct LockState {
  bool held = false;
  std::string holder;  ///< holderIdentity
  std::optional<LockHolder> details;
  std::optional<util::TimePoint> since;
  std::optional<util::TimePoint> expires_at;
  bool expired = false;  ///< held, but past its lease: the next run takes it over
};
LockState read_lock(kube::Client& client, const std::string& ns, const std::string& name, util::TimePoint now);

/// A coordination.k8s.io/v1 Lease held for the life of the object, so a CronJob
/// run and a manual incident run never interleave. A background thread renews it
/// every third of its duration; if renewal fails, writers must stop: another run
/// may have taken it over after we stalled (a conflict), or the API server could
/// not be reached or trusted to confirm we still hold it. A holder that is
/// provably dead (its process gone on this machine, or its pod gone or finished)
/// is taken over at once rather than after its lease.
///
/// A free Lease is taken with one conditional request (a JSON Patch that tests
/// the holder is empty), and its release leaves a record of the Secrets written
/// under the lock (write_record.h), carried from holder to holder, so the next
/// holder knows which of its earlier reads are still current.
class LeaseLock {
 public:
  /// Acquires or throws LockHeldError ("held by X since T; expires at E", exit 3).
  /// Waits (interruptibly) up to options.wait or `deadline` for another holder.
  LeaseLock(kube::Client& client, std::string ns, LockHolder holder, LockOptions options, Deadline deadline);
  ~LeaseLock();
  LeaseLock(const LeaseLock&) = delete;
  LeaseLock& operator=(const LeaseLock&) = delete;

  /// Call before each write. Throws LockHeldError (exit 3) when another run took
  /// the lock over; when the renewal failed for another reason (API server down,
  /// TLS, 403), an error naming that reason, with its exit code.
  void ensure_held() const;

  /// What the previous holders wrote, when the lock was taken at once (no wait)
  /// from the release that left the record; nullopt when it was created, taken
  /// over from a holder that never released it, broken by `rotator unlock`,
  /// written since by a rotator that keeps no record, or waited for (a wait
  /// leaves time for writers that bypass the lock: everything is read again).
  std::optional<WriteRecord> handed_over() const { return waited_ ? std::nullopt : carried_; }

  /// Before each Secret write: until it is known to have succeeded, the record
  /// vouches for no version of it (a write whose answer is lost may have landed).
  void writing(const std::string& secret_name);
  /// After it: the version this holder's write made, for the record its release leaves.
  void record_write(const std::string& secret_name, const std::string& resource_version);

 private:
  enum class FreeTake { taken, absent, not_free };
  FreeTake take_if_free(util::TimePoint now);
  void acquire(const Deadline& deadline);
  bool holder_is_gone(const kube::Lease& lease);
  void renew_loop();
  void release() noexcept;

  kube::Client& client_;
  std::string namespace_;
  LockHolder holder_;
  std::string identity_;
  LockOptions options_;
  kube::Lease lease_;
  // The run's thread only (the renewal thread never touches them).
  std::optional<WriteRecord> carried_;          ///< what the release we took from recorded
  bool waited_ = false;                         ///< for another holder, before taking it
  std::map<std::string, std::string> written_;  ///< by this holder: Secret -> resourceVersion
  std::atomic<bool> lost_{false};
  /// Why the renewal failed; written before lost_ turns true, read after.
  std::string lost_reason_;
  ExitCode lost_exit_code_ = ExitCode::lock_held;
  std::mutex mutex_;
  std::condition_variable stop_signal_;
  bool stopping_ = false;
  std::thread renewer_;
};

}  // namespace rotator::frame
