#pragma once

// The health of one namespace, judged from what was read (observe.h): pure, so
// every reason is table-tested without a cluster.

#include <optional>
#include <string>
#include <vector>

#include "formats/key_ring.h"
#include "health/observe.h"
#include "util/time.h"

namespace rotator::health {

enum class Verdict { healthy, degraded, broken };
const char* verdict_name(Verdict verdict);

/// The part of a report about one object: "ok", "absent", "invalid",
/// "forbidden", "error" or (for parts that do not apply) "unchecked".
struct KeysReport {
  std::string state = "absent";
  std::string message;
  std::string kid;
  std::string algorithm;
  std::string key_form;  ///< PEM form of private.pem: "PKCS#8", "PKCS#1" (kept by rotations) or "SEC1"
  std::optional<util::TimePoint> created_at;
  std::optional<std::string> staged_kid;
  std::vector<formats::RetiredKey> retired;
  std::string last_rotation_id;
  std::optional<util::TimePoint> rotated_at;
  std::optional<formats::RotationRecord> rotation_in_progress;
  std::vector<std::string> gaps;
};

struct AdminTokenReport {
  std::string state = "absent";
  std::string message;
  std::string jti;
  std::string kid;
  std::optional<util::TimePoint> issued_at;
  std::optional<util::TimePoint> expires_at;  ///< nullopt: never expires
  bool verifies = false;
};

struct RestartReport {
  std::string state = "unchecked";
  std::string message;
  std::string target;   ///< "deployment/token-management"
  std::string rollout;  ///< kubectl's rollout status message
  long pods = 0;        ///< running (not terminating) pods of the selector
  long pods_on_current_key = 0;
  /// Whether every running pod loaded the current key; nullopt: no pod to judge.
  std::optional<bool> runs_current_key;
};

struct LockReport {
  std::string state = "ok";
  std::string message;
  frame::LockState lock;
};

struct TokenReport {
  std::string state = "absent";
  std::string message;
  std::size_t active = 0;
  std::size_t expired = 0;
  std::size_t revoked = 0;
  std::optional<util::TimePoint> next_expiry;  ///< the soonest among active tokens
};

struct Report {
  std::string namespace_;
  Verdict verdict = Verdict::healthy;
  /// Why, worst first: the first is the headline. Never key or token material.
  std::vector<std::string> reasons;
  KeysReport keys;
  AdminTokenReport admin_token;
  RestartReport restart;
  LockReport lock;
  TokenReport management_tokens;
  TokenReport database_tokens;
};

Report judge(const Observed& seen, const Options& options, util::TimePoint now);

/// Whether a pod loaded `ring`'s current key: it was restarted for it (the pod
/// template annotation rotator.io/kid), or created after the key came into force
/// (or in its second, when delete-pods recorded it restarted the pods for it).
bool pod_runs_key(const kube::Pod& pod, const formats::KeyRing& ring);

}  // namespace rotator::health
