#pragma once

// What `status` reads of one namespace, as it was read: each part present,
// absent, or why it could not be read. No judgement here (see verdict.h).

#include <optional>
#include <string>
#include <vector>

#include "frame/lease_lock.h"
#include "kube/client.h"
#include "kube/objects.h"
#include "kube/resources.h"

namespace rotator::health {

/// What status looks at, and how it judges.
struct Options {
  std::string keys_secret = "rsa-keys";
  std::string admin_token_secret = "admin-token";
  kube::WorkloadRef target{kube::WorkloadKind::deployment, "token-management"};
  std::string selector = "app=token-management";
  std::string management_registry = "management-tokens";
  std::string database_registry = "database-tokens";
  std::string lock_name = "rotator-lock";
  /// A key older than this is degraded; nullopt: no limit.
  std::optional<std::chrono::milliseconds> max_key_age;
  /// An admin token expiring within this is degraded. (Management tokens are
  /// not judged by it: `management renew` keeps short-lived ones on purpose.)
  std::chrono::milliseconds expiry_warning{std::chrono::hours(24 * 7)};
};

/// One part as read.
enum class ReadState { ok, absent, forbidden, error };

template <typename T>
struct Read {
  ReadState state = ReadState::absent;
  std::optional<T> value;
  std::string message;  ///< why not, when state is forbidden or error
};

/// Everything read of one namespace.
struct Observed {
  std::string namespace_;
  bool namespace_missing = false;
  Read<kube::Secret> keys;
  Read<kube::Secret> admin_token;
  Read<kube::Json> workload;
  Read<std::vector<kube::Pod>> pods;
  Read<frame::LockState> lock;
  Read<kube::Secret> management_registry;
  Read<kube::Secret> database_registry;
};

/// Reads one namespace. A 401 (the credentials themselves) throws: nothing can
/// be judged; any other failure is recorded for the part it concerns.
Observed observe(kube::Client& client, const std::string& ns, const Options& options, util::TimePoint now);

}  // namespace rotator::health
