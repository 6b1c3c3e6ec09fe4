#pragma once

// The outcome of one writing run (key-gen, create-admin-token, revoke-and-rotate,
// run JOBFILE, management renew, ...), as the metric families pushed to a
// Pushgateway under the grouping key {job, namespace}.

#include <chrono>
#include <vector>

#include "metrics/text_format.h"
#include "util/time.h"

namespace rotator::metrics {

struct RunOutcome {
  /// The process exit code (README): 0 success, 1-5, or 130/143 when stopped by a signal.
  int exit_code = 1;
  std::chrono::milliseconds duration{0};
  util::TimePoint finished_at;
};

/// rotator_run_duration_seconds, rotator_run_exit_code, rotator_run_success and
/// rotator_run_finished_timestamp_seconds always; rotator_run_last_success_timestamp_seconds
/// only when the run succeeded, so that a push of a failed run (a POST, which
/// replaces only the families it carries) leaves the last success in place.
/// No job or namespace label: the grouping key adds them.
std::vector<MetricFamily> run_outcome_families(const RunOutcome& outcome);

}  // namespace rotator::metrics
