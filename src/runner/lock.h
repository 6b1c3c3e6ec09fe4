#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "kube/client.h"
#include "kube/objects.h"
#include "util/time.h"

namespace rotator::runner {

/// What to do about the Lease, given what was read. Pure, so it is unit-tested.
struct LockDecision {
  enum class Action {
    create,     ///< no Lease yet
    take_over,  ///< free, expired, or already ours: update it to us
    wait,       ///< someone else holds it and it has not expired
  } action = Action::create;
  std::string holder;                       ///< the other holder, for wait
  std::optional<util::TimePoint> held_since;  ///< their acquireTime, for wait
};

LockDecision decide_lock(const std::optional<kube::Lease>& lease, const std::string& me,
                         util::TimePoint now);

/// Settings of the lock every writing step takes.
struct LockOptions {
  std::string name = "rotator-lock";
  std::chrono::seconds duration{30};
  std::chrono::milliseconds wait{0};  ///< how long to wait for another holder; 0: exit 3 at once
};

/// A coordination.k8s.io/v1 Lease held for the life of the object, so a CronJob
/// run and a manual incident run never interleave. A background thread renews it
/// every third of its duration; if renewal fails, lost() turns true and writers
/// must stop: another run may have taken it over after we stalled (a conflict),
/// or the API server could not be reached or trusted to confirm we still hold it.
class LeaseLock {
 public:
  /// Acquires or throws LockHeldError ("held by X since T", exit 3).
  LeaseLock(kube::Client& client, std::string ns, std::string holder, LockOptions options);
  ~LeaseLock();
  LeaseLock(const LeaseLock&) = delete;
  LeaseLock& operator=(const LeaseLock&) = delete;

  /// Call before each write. Throws LockHeldError (exit 3) when another run took
  /// the lock over; when the renewal failed for another reason (API server down,
  /// TLS, 403), an error naming that reason, with its exit code.
  void ensure_held() const;
  bool lost() const { return lost_.load(); }

 private:
  void acquire();
  void renew_loop();
  void release() noexcept;

  kube::Client& client_;
  std::string namespace_;
  std::string holder_;
  LockOptions options_;
  kube::Lease lease_;
  std::atomic<bool> lost_{false};
  /// Why the renewal failed; written before lost_ turns true, read after.
  std::string lost_reason_;
  ExitCode lost_exit_code_ = ExitCode::lock_held;
  bool lost_to_another_run_ = true;
  std::mutex mutex_;
  std::condition_variable stop_signal_;
  bool stopping_ = false;
  std::thread renewer_;
};

/// The identity this process holds locks under: host, pid and a random suffix.
const std::string& process_holder_identity();

}  // namespace rotator::runner
