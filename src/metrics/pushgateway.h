#pragma once

// Pushing to a Prometheus Pushgateway. A push is best effort: a Pushgateway that
// is down, slow or refuses the push costs a warning on stderr, never the run's
// result or exit code (the metrics describe the run; they must not change it).

#include <chrono>
#include <string>
#include <vector>

#include "metrics/pushgateway_url.h"
#include "metrics/run_outcome.h"
#include "metrics/status_metrics.h"
#include "metrics/text_format.h"

namespace rotator::metrics {

/// The Pushgateway's verbs for a group (README of the Pushgateway):
/// PUT replaces the whole group, POST replaces only the metric families pushed,
/// DELETE removes the group.
enum class PushMethod { put, post, remove };

struct PushOptions {
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds request_timeout{15000};
  /// Attempts for a connection failure or a 5xx answer (other answers are final).
  int attempts = 2;
  std::chrono::milliseconds pause_between_attempts{1000};
};

struct PushResult {
  bool ok = false;
  std::string error;  ///< why not, when !ok (no URL credentials in it)
};

/// Sends `body` (text format; empty for DELETE) to the target's group. Never
/// throws for network or HTTP trouble: it is in the result. TLS certificates are
/// verified against the system's trust store for https URLs.
PushResult send_to_pushgateway(PushMethod method, const PushTarget& target, const std::string& body,
                               const PushOptions& options = {});

/// The call for the end of every writing run: POSTs the run's outcome to the
/// group {job, namespace}. POST, not PUT, so a failed run's push (which carries
/// no last-success family) keeps the last success pushed before it. Logs a
/// warning when the push fails and returns; never throws.
PushResult push_run_outcome(const PushTarget& target, const RunOutcome& outcome, const PushOptions& options = {});

/// For `status` run on a schedule: PUTs one namespace's status families to the
/// group {job, namespace} (job e.g. "status"), replacing the group so that a key
/// no longer retired or a lock no longer held disappears. Same failure policy.
PushResult push_status(const PushTarget& target, const StatusSnapshot& snapshot, const PushOptions& options = {});

}  // namespace rotator::metrics
