#include <catch2/catch.hpp>

#include "kube/retry_policy.h"

using namespace rotator::kube;
using std::chrono::milliseconds;

namespace {
AttemptOutcome status(long code, std::optional<Millis> retry_after = std::nullopt) {
  AttemptOutcome o;
  o.kind = AttemptOutcome::Kind::response;
  o.http_status = code;
  o.retry_after = retry_after;
  return o;
}
AttemptOutcome connection_failure() {
  AttemptOutcome o;
  o.kind = AttemptOutcome::Kind::connection_failure;
  return o;
}
}  // namespace

TEST_CASE("retry: only 429, 500, 502, 503, 504 and broken connections are retried") {
  const RetryPolicy policy;
  for (long code : {429L, 500L, 502L, 503L, 504L}) {
    INFO(code);
    CHECK(next_retry_delay(policy, 1, status(code), Millis(0), 0.5).has_value());
  }
  for (long code : {400L, 401L, 403L, 404L, 409L, 410L, 422L, 501L}) {
    INFO(code);
    CHECK_FALSE(next_retry_delay(policy, 1, status(code), Millis(0), 0.5).has_value());
  }
  CHECK(next_retry_delay(policy, 1, connection_failure(), Millis(0), 0.5).has_value());
  AttemptOutcome fatal;
  fatal.kind = AttemptOutcome::Kind::fatal_transport;
  CHECK_FALSE(next_retry_delay(policy, 1, fatal, Millis(0), 0.5).has_value());
}

TEST_CASE("retry: backoff doubles, is capped, and jitter spreads the upper half") {
  RetryPolicy policy;
  policy.base_delay = Millis(100);
  policy.max_delay = Millis(1000);
  policy.max_attempts = 10;
  policy.budget = Millis(60000);
  CHECK(*next_retry_delay(policy, 1, status(503), Millis(0), 0.0) == Millis(50));
  CHECK(*next_retry_delay(policy, 1, status(503), Millis(0), 0.999) == Millis(99));
  CHECK(*next_retry_delay(policy, 2, status(503), Millis(0), 0.0) == Millis(100));
  CHECK(*next_retry_delay(policy, 3, status(503), Millis(0), 0.0) == Millis(200));
  CHECK(*next_retry_delay(policy, 8, status(503), Millis(0), 0.0) == Millis(500));
  CHECK(*next_retry_delay(policy, 8, status(503), Millis(0), 1.0) == Millis(1000));
}

TEST_CASE("retry: Retry-After is honoured instead of the backoff") {
  const RetryPolicy policy;
  CHECK(*next_retry_delay(policy, 1, status(429, Millis(3000)), Millis(0), 0.5) == Millis(3000));
}

TEST_CASE("retry: the budget bounds attempts and total waiting") {
  RetryPolicy policy;
  policy.max_attempts = 3;
  policy.budget = Millis(1000);
  CHECK(next_retry_delay(policy, 2, status(503), Millis(0), 0.5).has_value());
  CHECK_FALSE(next_retry_delay(policy, 3, status(503), Millis(0), 0.5).has_value());
  CHECK_FALSE(next_retry_delay(policy, 1, status(429, Millis(5000)), Millis(0), 0.5).has_value());
  CHECK_FALSE(next_retry_delay(policy, 1, status(503), Millis(990), 0.5).has_value());
}

TEST_CASE("retry: Retry-After parsing") {
  const auto now = std::chrono::system_clock::from_time_t(784111777);  // Sun, 06 Nov 1994 08:49:37 GMT
  CHECK(*parse_retry_after("7", now) == Millis(7000));
  CHECK(*parse_retry_after(" 0 ", now) == Millis(0));
  CHECK(*parse_retry_after("Sun, 06 Nov 1994 08:49:47 GMT", now) == Millis(10000));
  CHECK(*parse_retry_after("Sun, 06 Nov 1994 08:49:00 GMT", now) == Millis(0));
  CHECK_FALSE(parse_retry_after("-1", now).has_value());
  CHECK_FALSE(parse_retry_after("soon", now).has_value());
  CHECK_FALSE(parse_retry_after("", now).has_value());
}
