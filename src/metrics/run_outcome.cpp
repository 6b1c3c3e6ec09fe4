#include "metrics/run_outcome.h"

#include "metrics/status_metrics.h"

namespace rotator::metrics {

std::vector<MetricFamily> run_outcome_families(const RunOutcome& outcome) {
  const bool succeeded = outcome.exit_code == 0;
  const double seconds = static_cast<double>(outcome.duration.count()) / 1000.0;
  const double finished = to_unix_seconds(outcome.finished_at);
  std::vector<MetricFamily> families = {
      {"rotator_run_duration_seconds", "How long the last run took.", MetricType::gauge, {{{}, seconds}}},
      {"rotator_run_exit_code",
       "Exit code of the last run: 0 success, 1 failure, 2 usage, 3 lock held, 4 not authorized, 5 invalid data, "
       "130/143 stopped by a signal.",
       MetricType::gauge,
       {{{}, static_cast<double>(outcome.exit_code)}}},
      {"rotator_run_success",
       "1 when the last run succeeded (exit code 0), else 0.",
       MetricType::gauge,
       {{{}, succeeded ? 1.0 : 0.0}}},
      {"rotator_run_finished_timestamp_seconds",
       "When the last run finished, in seconds since the epoch.",
       MetricType::gauge,
       {{{}, finished}}},
  };
  if (succeeded) {
    families.push_back({"rotator_run_last_success_timestamp_seconds",
                        "When the last successful run finished, in seconds since the epoch. A failed run "
                        "does not change it.",
                        MetricType::gauge,
                        {{{}, finished}}});
  }
  return families;
}

}  // namespace rotator::metrics
