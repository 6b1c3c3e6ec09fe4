#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace rotator::kube {

using Millis = std::chrono::milliseconds;

/// How hard the client tries before it gives up on a request. Bounded twice:
/// by attempts and by the total time spent waiting, so a run never hangs.
struct RetryPolicy {
  int max_attempts = 6;
  Millis base_delay{200};
  Millis max_delay{5000};
  Millis budget{30000};  ///< total time across attempts; the run's --timeout may cut it shorter
};

/// What one attempt came back with.
struct AttemptOutcome {
  enum class Kind { response, connection_failure, fatal_transport } kind = Kind::response;
  long http_status = 0;               ///< when kind == response
  std::optional<Millis> retry_after;  ///< the server's Retry-After, when it sent one
};

/// Whether the failed attempt number `attempt` (1-based) deserves another try, and
/// after how long. Retries only what a Kubernetes server or the network may clear
/// by themselves: 429, 500, 502, 503, 504 and broken or refused connections; never
/// another 4xx. `jitter` in [0, 1) spreads clients out (equal jitter: half the
/// backoff is fixed, half random). A Retry-After longer than what is left of the
/// budget is not waited for at all. Pure, so the policy is unit-tested without I/O.
std::optional<Millis> next_retry_delay(const RetryPolicy& policy, int attempt, const AttemptOutcome& outcome,
                                       Millis elapsed, double jitter);

/// Whether an HTTP status is one the policy retries.
bool is_retriable_status(long http_status);

/// The longest wait a Retry-After can ask for, as parse_retry_after reports it:
/// anything longer (up to 2^63 - 1 seconds, or a date centuries ahead) is
/// clamped to this. Far beyond any retry budget, so such an answer is never
/// waited for, yet small enough that adding it to a time point cannot overflow.
inline constexpr Millis longest_retry_after = std::chrono::hours(24);

/// Parses Retry-After: delta-seconds, or an HTTP-date relative to `now`, clamped
/// to [0, longest_retry_after]. nullopt when it is neither.
std::optional<Millis> parse_retry_after(std::string_view value, std::chrono::system_clock::time_point now);

}  // namespace rotator::kube
