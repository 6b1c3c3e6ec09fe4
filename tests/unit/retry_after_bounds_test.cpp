#include <limits>

#include <catch2/catch.hpp>

#include "kube/retry_policy.h"

using namespace rotator::kube;

namespace {
AttemptOutcome too_many_requests(Millis retry_after) {
  AttemptOutcome o;
  o.kind = AttemptOutcome::Kind::response;
  o.http_status = 429;
  o.retry_after = retry_after;
  return o;
}
}  // namespace

TEST_CASE("retry: a Retry-After of any size is clamped, never overflowed") {
  const auto now = std::chrono::system_clock::from_time_t(784111777);
  CHECK(*parse_retry_after("9223372036854775807", now) == longest_retry_after);
  CHECK(*parse_retry_after("99999999999999999999999999", now) == longest_retry_after);
  CHECK(*parse_retry_after("86400", now) == longest_retry_after);
  CHECK(*parse_retry_after("86401", now) == longest_retry_after);
  CHECK(*parse_retry_after("86399", now) == Millis(86399000));
  CHECK(*parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT", now) == longest_retry_after);
  CHECK_FALSE(parse_retry_after("1e9", now).has_value());
}

TEST_CASE("retry: a Retry-After beyond the budget is not waited for, whatever the elapsed time") {
  const RetryPolicy policy;  // 30 s budget
  CHECK_FALSE(next_retry_delay(policy, 1, too_many_requests(longest_retry_after), Millis(0), 0.5).has_value());
  CHECK_FALSE(next_retry_delay(policy, 1, too_many_requests(Millis::max()), Millis(0), 0.5).has_value());
  CHECK_FALSE(next_retry_delay(policy, 1, too_many_requests(Millis(1000)), Millis::max(), 0.5).has_value());
  CHECK_FALSE(next_retry_delay(policy, 1, too_many_requests(Millis(1000)), Millis(29500), 0.5).has_value());
  CHECK(*next_retry_delay(policy, 1, too_many_requests(Millis(1000)), Millis(29000), 0.5) == Millis(1000));
}
