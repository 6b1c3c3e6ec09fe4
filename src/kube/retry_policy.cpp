#include "kube/retry_policy.h"

#include <algorithm>
#include <charconv>
#include <ctime>
#include <string>

namespace rotator::kube {

bool is_retriable_status(long http_status) {
  switch (http_status) {
    case 429:
    case 500:
    case 502:
    case 503:
    case 504:
      return true;
    default:
      return false;
  }
}

std::optional<Millis> next_retry_delay(const RetryPolicy& policy, int attempt,
                                       const AttemptOutcome& outcome, Millis elapsed,
                                       double jitter) {
  using Kind = AttemptOutcome::Kind;
  if (outcome.kind == Kind::fatal_transport) return std::nullopt;
  if (outcome.kind == Kind::response && !is_retriable_status(outcome.http_status)) {
    return std::nullopt;
  }
  if (attempt >= policy.max_attempts) return std::nullopt;

  Millis delay;
  if (outcome.retry_after) {
    delay = *outcome.retry_after;
  } else {
    const int doublings = std::min(attempt - 1, 20);
    const Millis backoff = std::min<Millis>(policy.max_delay, Millis(policy.base_delay.count() << doublings));
    const double spread = std::clamp(jitter, 0.0, 1.0);
    delay = Millis(backoff.count() / 2 + static_cast<long long>(spread * (backoff.count() / 2)));
  }
  if (elapsed + delay > policy.budget) return std::nullopt;
  return delay;
}

std::optional<Millis> parse_retry_after(std::string_view value,
                                        std::chrono::system_clock::time_point now) {
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\r')) value.remove_suffix(1);
  if (value.empty()) return std::nullopt;

  long long seconds = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (ec == std::errc() && end == value.data() + value.size()) {
    if (seconds < 0) return std::nullopt;
    return Millis(seconds * 1000);
  }

  // HTTP-date, IMF-fixdate form: "Sun, 06 Nov 1994 08:49:37 GMT".
  std::tm tm{};
  const std::string text(value);
  const char* parsed = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (parsed == nullptr || *parsed != '\0') return std::nullopt;
  const auto at = std::chrono::system_clock::from_time_t(timegm(&tm));
  if (at <= now) return Millis(0);
  return std::chrono::duration_cast<Millis>(at - now);
}

}  // namespace rotator::kube
