#include "frame/lease_lock.h"

#include "kube/errors.h"
#include "kube/resources.h"
#include "util/errors.h"
#include "util/log.h"
#include "util/terminal_text.h"

namespace rotator::frame {
namespace {

std::optional<util::TimePoint> expiry_of(const kube::Lease& lease) {
  const auto last = lease.renew_time ? lease.renew_time : lease.acquire_time;
  if (!last) return std::nullopt;
  const std::chrono::seconds duration(lease.lease_duration_seconds);
  // A renewal so far ahead that adding the duration would overflow never expires.
  if (*last >= util::TimePoint::max() - duration) return util::TimePoint::max();
  return *last + duration;
}

/// The Lease's annotation `key`, or null.
const std::string* annotation(const kube::Lease& lease, const char* key) {
  const auto it = lease.metadata.annotations.find(key);
  return it == lease.metadata.annotations.end() ? nullptr : &it->second;
}

std::optional<LockHolder> holder_details(const kube::Lease& lease) {
  const auto* text = annotation(lease, lock_holder_annotation);
  if (!text) return std::nullopt;
  return LockHolder::from_json(nlohmann::json::parse(*text, nullptr, false));
}

std::string time_or(const std::optional<util::TimePoint>& t, const char* absent) {
  return t && *t != util::TimePoint::max() ? util::format_rfc3339(*t) : absent;
}

/// Options of a client for the cleanup after a run whose --timeout passed:
/// releasing the lock must still be tried, briefly.
kube::ClientOptions cleanup_options() {
  kube::ClientOptions options;
  options.retry.max_attempts = 2;
  options.retry.budget = std::chrono::seconds(5);
  options.timeouts.connect = std::chrono::seconds(3);
  options.timeouts.request = std::chrono::seconds(5);
  return options;
}

/// A JSON Pointer (RFC 6901) to an annotation: "~" and "/" escaped.
std::string annotation_pointer(const std::string& key) {
  std::string pointer = "/metadata/annotations/";
  for (const char c : key) {
    if (c == '~') {
      pointer += "~0";
    } else if (c == '/') {
      pointer += "~1";
    } else {
      pointer += c;
    }
  }
  return pointer;
}

std::optional<WriteRecord> record_of(const kube::Lease& lease) {
  const auto* text = annotation(lease, write_record_annotation);
  return text ? parse_write_record(*text) : std::nullopt;
}

/// The renewTime of the release a lock we hold was taken from.
std::optional<util::TimePoint> taken_from(const kube::Lease& lease) {
  const auto* text = annotation(lease, taken_from_annotation);
  return text ? util::parse_rfc3339(*text) : std::nullopt;
}

}  // namespace

LockDecision decide_lock(const std::optional<kube::Lease>& lease, const std::string& me, util::TimePoint now) {
  if (!lease) return {LockDecision::Action::create, {}, {}, {}};
  if (lease->holder_identity.empty() || lease->holder_identity == me) {
    return {LockDecision::Action::take_over, {}, {}, {}};
  }
  const auto expires = expiry_of(*lease);
  if (!expires || now >= *expires) return {LockDecision::Action::take_over, {}, {}, {}};
  return {LockDecision::Action::wait, lease->holder_identity, lease->acquire_time, expires};
}

LockState read_lock(kube::Client& client, const std::string& ns, const std::string& name, util::TimePoint now) {
  LockState state;
  const auto lease = kube::LeaseApi(client).get(ns, name);
  if (!lease || lease->holder_identity.empty()) return state;
  state.held = true;
  state.holder = lease->holder_identity;
  state.details = holder_details(*lease);
  state.since = lease->acquire_time;
  state.expires_at = expiry_of(*lease);
  state.expired = !state.expires_at || now >= *state.expires_at;
  return state;
}

LeaseLock::LeaseLock(kube::Client& client, std::string ns, LockHolder holder, LockOptions options, Deadline deadline)
    : client_(client),
      namespace_(std::move(ns)),
      holder_(std::move(holder)),
      identity_(holder_.identity()),
      options_(options) {
  acquire(deadline);
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

bool LeaseLock::holder_is_gone(const kube::Lease& lease) {
  const auto other = holder_details(lease);
  if (!other) return false;
  if (provably_dead_here(*other)) return true;
  if (other->pod.empty() || other->pod_namespace.empty()) return false;
  try {
    const auto pods = kube::PodApi(client_).list(other->pod_namespace, {}, "metadata.name=" + other->pod);
    if (pods.empty()) return true;
    return pods.front().phase == "Succeeded" || pods.front().phase == "Failed";
  } catch (const kube::ApiError& e) {
    // Not allowed to look (another namespace, no list right): not provably gone.
    if (e.reason() == kube::Reason::forbidden) return false;
    throw;
  }
}

LeaseLock::FreeTake LeaseLock::take_if_free(util::TimePoint now) {
  // The Lease's fields as an update would write them (MicroTime and all).
  kube::Lease mine;
  mine.acquire_time = now;
  mine.renew_time = now;
  const kube::Json spec = kube::lease_to_json(mine).at("spec");
  // One request instead of a read and an update: the server applies the whole
  // patch atomically, and only while the Lease is released, so two runs can
  // never both take it. The "add" of our annotation also needs the annotations a
  // release leaves; without them, the patch is refused and the read path runs.
  const kube::Json operations = kube::Json::array({
      {{"op", "test"}, {"path", "/spec/holderIdentity"}, {"value", ""}},
      {{"op", "replace"}, {"path", "/spec/holderIdentity"}, {"value", identity_}},
      // Before renewTime is overwritten: which release the lock is taken from.
      {{"op", "copy"}, {"from", "/spec/renewTime"}, {"path", annotation_pointer(taken_from_annotation)}},
      {{"op", "add"}, {"path", "/spec/acquireTime"}, {"value", spec.at("acquireTime")}},
      {{"op", "add"}, {"path", "/spec/renewTime"}, {"value", spec.at("renewTime")}},
      {{"op", "add"}, {"path", "/spec/leaseDurationSeconds"}, {"value", options_.duration.count()}},
      {{"op", "add"}, {"path", annotation_pointer(lock_holder_annotation)}, {"value", holder_.to_json().dump()}},
  });
  try {
    lease_ = kube::LeaseApi(client_).patch(namespace_, options_.name, operations);
  } catch (const kube::ApiError& e) {
    switch (e.reason()) {
      case kube::Reason::not_found: return FreeTake::absent;
      // Held (the test failed), released by a rotator that left no annotations,
      // or a Role that grants get and update but not patch: read, then decide.
      case kube::Reason::invalid:
      case kube::Reason::forbidden:
      case kube::Reason::unsupported_media_type:
      case kube::Reason::method_not_allowed: return FreeTake::not_free;
      default: throw;
    }
  }
  carried_ = record_of_release(record_of(lease_), taken_from(lease_));
  log::debug("lock acquired", {{"lease", options_.name}, {"holder", identity_}});
  return FreeTake::taken;
}

void LeaseLock::acquire(const Deadline& deadline) {
  kube::LeaseApi leases(client_);
  const auto give_up_at = std::min(std::chrono::steady_clock::now() + options_.wait,
                                   deadline.at().value_or(std::chrono::steady_clock::time_point::max()));
  const FreeTake first = take_if_free(util::Clock::now());
  if (first == FreeTake::taken) return;
  bool known_absent = first == FreeTake::absent;  // the patch found none: create it without a read
  bool announced_wait = false;
  for (int attempt = 0;; ++attempt) {
    const auto now = util::Clock::now();
    const auto current = known_absent ? std::nullopt : leases.get(namespace_, options_.name);
    known_absent = false;
    auto decision = decide_lock(current, identity_, now);
    bool gone = false;
    if (decision.action == LockDecision::Action::wait && holder_is_gone(*current)) {
      gone = true;
      decision.action = LockDecision::Action::take_over;
    }
    try {
      kube::Lease lease = current ? *current : kube::Lease{};
      if (decision.action == LockDecision::Action::create) {
        lease.metadata.name = options_.name;
        lease.metadata.namespace_ = namespace_;
      }
      if (decision.action != LockDecision::Action::wait) {
        if (current && !current->holder_identity.empty() && current->holder_identity != identity_) {
          log::warn(gone ? "taking over the lock: its holder's process or pod is gone" : "taking over an expired lock",
                    {{"lease", namespace_ + "/" + options_.name}, {"previous_holder", current->holder_identity}});
        }
        // Released (or ours already, our own patch's answer lost): the record
        // its release left is current. Taken over: whatever the holder wrote
        // is unrecorded, so the record it holds is stale and goes.
        const bool released = current && current->holder_identity.empty();
        const bool ours = current && current->holder_identity == identity_;
        carried_ = released ? record_of_release(record_of(*current), current->renew_time)
                   : ours   ? record_of_release(record_of(*current), taken_from(*current))
                            : std::nullopt;
        if (!released && !ours) lease.metadata.annotations.erase(write_record_annotation);
        if (released) lease.metadata.annotations.erase(taken_from_annotation);
        if (!current || current->holder_identity != identity_) {
          // A release counts as a transition; so does a takeover, which had none.
          if (current && !current->holder_identity.empty()) lease.lease_transitions += 1;
          lease.acquire_time = now;
        }
        lease.holder_identity = identity_;
        lease.metadata.annotations[lock_holder_annotation] = holder_.to_json().dump();
        lease.lease_duration_seconds = options_.duration.count();
        lease.renew_time = now;
        lease_ = current ? leases.update(lease) : leases.create(lease);
        log::debug("lock acquired", {{"lease", options_.name}, {"holder", identity_}});
        return;
      }
    } catch (const kube::ApiError& e) {
      // Someone else created or updated it between our read and write: read again.
      if (e.reason() != kube::Reason::already_exists && e.reason() != kube::Reason::conflict) throw;
      if (attempt > 20) throw;
      continue;
    }
    const std::string since = time_or(decision.held_since, "an unknown time");
    if (std::chrono::steady_clock::now() >= give_up_at) {
      throw LockHeldError("another run holds the lock: Lease " + namespace_ + "/" + options_.name + " is held by " +
                          util::escape_for_terminal(decision.holder) + " since " + since + "; it expires at " +
                          time_or(decision.expires_at, "an unknown time") +
                          " unless renewed. Wait for it with --lock-wait 2m; if that run is gone, free it with "
                          "`rotator unlock -n " +
                          namespace_ + "`");
    }
    waited_ = true;
    if (!announced_wait) {
      log::info("waiting for the lock", {{"lease", namespace_ + "/" + options_.name},
                                         {"holder", decision.holder},
                                         {"since", since},
                                         {"expires", time_or(decision.expires_at, "unknown")}});
      announced_wait = true;
    }
    if (!stop::sleep_for(std::chrono::milliseconds(500))) stop::check("while waiting for the lock");
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
      try {
        lease_ = leases.update(renewed);
      } catch (const kube::ApiError& e) {
        // A conflict may be our own renewal, committed but its answer lost (and
        // retried on the old version): still ours if it names us.
        if (e.reason() != kube::Reason::conflict) throw;
        const auto current = leases.get(namespace_, options_.name);
        if (!current || current->holder_identity != identity_) throw;
        lease_ = *current;
      }
    } catch (const std::exception& e) {
      // A conflict: someone else wrote the Lease, so it is no longer ours. Any
      // other failure leaves it unknown whether we still hold it: stop all the same.
      const auto* api = dynamic_cast<const kube::ApiError*>(&e);
      const auto* ours = dynamic_cast<const Error*>(&e);
      lost_reason_ = e.what();
      lost_exit_code_ = api && api->reason() == kube::Reason::conflict ? ExitCode::lock_held
                        : ours                                         ? ours->exit_code()
                                                                       : ExitCode::failure;
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
  if (lost_exit_code_ == ExitCode::lock_held) {
    throw LockHeldError("lost the lock " + lease + " while working; another run may have taken over. Rerun to finish.");
  }
  throw Error(
      "could not renew the lock " + lease + " (" + lost_reason_ + "); stopped before the next write. Rerun to finish.",
      lost_exit_code_);
}

void LeaseLock::writing(const std::string& secret_name) {
  written_.erase(secret_name);
  if (carried_) carried_->secrets.erase(secret_name);
}

void LeaseLock::record_write(const std::string& secret_name, const std::string& resource_version) {
  if (!resource_version.empty()) written_[secret_name] = resource_version;
}

void LeaseLock::release() noexcept {
  if (lost_) return;
  try {
    kube::Lease released = lease_;
    released.holder_identity.clear();
    released.lease_transitions += 1;
    released.metadata.annotations.erase(lock_holder_annotation);
    released.metadata.annotations.erase(taken_from_annotation);
    released.renew_time = util::Clock::now();
    // What the holders wrote, ours on top of what was handed over to us, tied
    // to this release's renewTime (as written: MicroTime).
    WriteRecord record = carried_.value_or(WriteRecord{});
    for (const auto& [name, version] : written_) record.secrets[name] = version;
    record.released_at = kube::lease_to_json(released).at("spec").at("renewTime").get<std::string>();
    if (record.secrets.size() <= max_write_record_entries) {
      released.metadata.annotations[write_record_annotation] = write_record_text(record);
    } else {
      released.metadata.annotations.erase(write_record_annotation);
    }
    try {
      kube::LeaseApi(client_).update(released);
    } catch (const kube::ApiError& e) {
      if (e.reason() != kube::Reason::timeout) throw;
      kube::Client cleanup(client_.config(), cleanup_options());
      kube::LeaseApi(cleanup).update(released);
    }
  } catch (const std::exception& e) {
    // The lock then expires by itself after its duration.
    log::warn("could not release the lock; it expires by itself", {{"lease", options_.name}, {"reason", e.what()}});
  }
}

}  // namespace rotator::frame
