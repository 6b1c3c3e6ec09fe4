#include "runner/lock.h"

#include <unistd.h>

#include <thread>

#include "crypto/random.h"
#include "kube/errors.h"
#include "kube/resources.h"
#include "util/errors.h"
#include "util/log.h"

namespace rotator::runner {

LockDecision decide_lock(const std::optional<kube::Lease>& lease, const std::string& me,
                         util::TimePoint now) {
  if (!lease) return {LockDecision::Action::create, {}, {}};
  if (lease->holder_identity.empty() || lease->holder_identity == me) {
    return {LockDecision::Action::take_over, {}, {}};
  }
  const auto last = lease->renew_time ? lease->renew_time : lease->acquire_time;
  if (!last) return {LockDecision::Action::take_over, {}, {}};
  const std::chrono::seconds duration(lease->lease_duration_seconds);
  // A renewal so far ahead that adding the duration would overflow never expires.
  const bool expired = *last < util::TimePoint::max() - duration && now >= *last + duration;
  if (expired) return {LockDecision::Action::take_over, {}, {}};
  return {LockDecision::Action::wait, lease->holder_identity, lease->acquire_time};
}

const std::string& process_holder_identity() {
  static const std::string identity = [] {
    char host[256] = {};
    if (::gethostname(host, sizeof host - 1) != 0) std::snprintf(host, sizeof host, "unknown");
    return std::string(host) + "_" + std::to_string(::getpid()) + "_" + crypto::uuid_v4().substr(0, 8);
  }();
  return identity;
}

LeaseLock::LeaseLock(kube::Client& client, std::string ns, std::string holder, LockOptions options)
    : client_(client), namespace_(std::move(ns)), holder_(std::move(holder)), options_(options) {
  acquire();
  renewer_ = std::thread([this] { renew_loop(); });
}

LeaseLock::~LeaseLock() {
  {
    std::lock_guard guard(mutex_);
    stopping_ = true;
  }
  stop_signal_.notify_all();
  if (renewer_.joinable()) renewer_.join();
  release();
}

void LeaseLock::acquire() {
  kube::LeaseApi leases(client_);
  const auto give_up_at = std::chrono::steady_clock::now() + options_.wait;
  bool announced_wait = false;
  for (int attempt = 0;; ++attempt) {
    const auto now = util::Clock::now();
    const auto current = leases.get(namespace_, options_.name);
    const auto decision = decide_lock(current, holder_, now);
    try {
      if (decision.action == LockDecision::Action::create) {
        kube::Lease lease;
        lease.metadata.name = options_.name;
        lease.metadata.namespace_ = namespace_;
        lease.holder_identity = holder_;
        lease.lease_duration_seconds = options_.duration.count();
        lease.acquire_time = lease.renew_time = now;
        lease_ = leases.create(lease);
        log::debug("lock acquired", {{"lease", options_.name}, {"holder", holder_}});
        return;
      }
      if (decision.action == LockDecision::Action::take_over) {
        kube::Lease lease = *current;
        if (lease.holder_identity != holder_) {
          if (!lease.holder_identity.empty()) {
            log::warn("taking over an expired lock", {{"lease", options_.name},
                                                        {"previous_holder", lease.holder_identity}});
          }
          lease.lease_transitions += 1;
          lease.acquire_time = now;
        }
        lease.holder_identity = holder_;
        lease.lease_duration_seconds = options_.duration.count();
        lease.renew_time = now;
        lease_ = leases.update(lease);
        return;
      }
    } catch (const kube::ApiError& e) {
      // Someone else created or updated it between our read and write: read again.
      if (e.reason() != kube::Reason::already_exists && e.reason() != kube::Reason::conflict) throw;
      if (attempt > 20) throw;
      continue;
    }
    const std::string since = decision.held_since ? util::format_rfc3339(*decision.held_since) : "an unknown time";
    if (std::chrono::steady_clock::now() >= give_up_at) {
      throw LockHeldError("another run holds the lock: Lease " + namespace_ + "/" + options_.name +
                          " is held by " + decision.holder + " since " + since);
    }
    if (!announced_wait) {
      log::info("waiting for the lock", {{"lease", options_.name}, {"holder", decision.holder}, {"since", since}});
      announced_wait = true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
}

void LeaseLock::renew_loop() {
  kube::LeaseApi leases(client_);
  std::unique_lock guard(mutex_);
  while (!stopping_) {
    if (stop_signal_.wait_for(guard, options_.duration / 3, [this] { return stopping_; })) break;
    guard.unlock();
    try {
      kube::Lease renewed = lease_;
      renewed.renew_time = util::Clock::now();
      lease_ = leases.update(renewed);
    } catch (const std::exception& e) {
      // A conflict: someone else wrote the Lease, so it is no longer ours. Any
      // other failure leaves it unknown whether we still hold it: stop all the same.
      const auto* api = dynamic_cast<const kube::ApiError*>(&e);
      const auto* ours = dynamic_cast<const Error*>(&e);
      lost_to_another_run_ = api && api->reason() == kube::Reason::conflict;
      lost_reason_ = e.what();
      lost_exit_code_ = lost_to_another_run_ ? ExitCode::lock_held : ours ? ours->exit_code() : ExitCode::failure;
      lost_ = true;
      log::error("could not renew the lock; stopping before the next write",
                 {{"lease", options_.name}, {"reason", e.what()}});
      guard.lock();
      return;
    }
    guard.lock();
  }
}

void LeaseLock::ensure_held() const {
  if (!lost_) return;
  const std::string lease = "Lease " + namespace_ + "/" + options_.name;
  if (lost_to_another_run_) {
    throw LockHeldError("lost the lock " + lease + " while working; another run may have taken over. Rerun to finish.");
  }
  throw Error("could not renew the lock " + lease + " (" + lost_reason_ +
                  "); stopped before the next write. Rerun to finish.",
              lost_exit_code_);
}

void LeaseLock::release() noexcept {
  if (lost_) return;
  try {
    kube::Lease released = lease_;
    released.holder_identity.clear();
    released.renew_time = util::Clock::now();
    kube::LeaseApi(client_).update(released);
  } catch (const std::exception& e) {
    // The lock then expires by itself after its duration.
    log::warn("could not release the lock; it expires by itself", {{"lease", options_.name}, {"reason", e.what()}});
  }
}

}  // namespace rotator::runner
