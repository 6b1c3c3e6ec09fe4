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
    case 504: return true;
    default: return false;
  }
}

std::optional<Millis> next_retry_delay(const RetryPolicy& policy, int attempt, const AttemptOutcome& outcome,
                                       Millis elapsed, double jitter) {
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
  // Compared without adding, so no pair of values can overflow.
  if (elapsed > policy.budget || delay > policy.budget - elapsed) return std::nullopt;
  return delay;
}

std::optional<Millis> parse_retry_after(std::string_view value, std::chrono::system_clock::time_point now) {
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\r')) value.remove_suffix(1);
  if (value.empty()) return std::nullopt;

  const auto longest_seconds = std::chrono::duration_cast<std::chrono::seconds>(longest_retry_after).count();
  if (value.find_first_not_of("0123456789") == std::string_view::npos) {
    // delta-seconds: any number of digits; more than a day (including numbers
    // beyond 64 bits, which from_chars reports as out of range) is a day.
    long long seconds = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    if (ec == std::errc::result_out_of_range || (ec == std::errc() && seconds > longest_seconds)) {
      return longest_retry_after;
    }
    if (ec != std::errc() || end != value.data() + value.size()) return std::nullopt;
    return Millis(seconds * 1000);
  }

  // HTTP-date, IMF-fixdate form: "Sun, 06 Nov 1994 08:49:37 GMT". Compared in
  // seconds first: a date centuries ahead does not fit a nanosecond time point.
  std::tm tm{};
  const std::string text(value);
  const char* parsed = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (parsed == nullptr || *parsed != '\0') return std::nullopt;
  const std::time_t at = timegm(&tm);
  const std::time_t now_seconds = std::chrono::system_clock::to_time_t(now);
  if (at == static_cast<std::time_t>(-1) || at <= now_seconds) return Millis(0);
  if (at - now_seconds > longest_seconds) return longest_retry_after;
  const auto at_point = std::chrono::system_clock::from_time_t(at);
  if (at_point <= now) return Millis(0);
  return std::chrono::duration_cast<Millis>(at_point - now);
}

}  // namespace rotator::kube
