// Pushes to a real Prometheus Pushgateway (Debian's prometheus-pushgateway on a
// free 127.0.0.1 port) and reads the result back from its /metrics, as
// Prometheus would scrape it. No API server is involved.

#include <catch2/catch.hpp>

#include "metrics/pushgateway.h"
#include "pushgateway_fixture.h"
#include "util/time.h"

using namespace rotator;
using namespace rotator::metrics;
using rotator::testing::Pushgateway;
using rotator::testing::sample_value;

namespace {

util::TimePoint at(const char* rfc3339) {
  return *util::parse_rfc3339(rfc3339);
}

std::vector<std::string> group(const std::string& job, const std::string& ns) {
  return {"job=\"" + job + "\"", "namespace=\"" + ns + "\""};
}

// A quick test: one attempt, short timeouts.
PushOptions quick() {
  PushOptions options;
  options.attempts = 1;
  options.connect_timeout = std::chrono::seconds(2);
  options.request_timeout = std::chrono::seconds(5);
  return options;
}

}  // namespace

TEST_CASE("metrics pushgateway: a good run, then a failed run: the last-success timestamp stays",
          "[metrics][pushgateway]") {
  Pushgateway gateway;
  const PushTarget target{gateway.url(), "rotate", "influxdb"};
  const auto g = group("rotate", "influxdb");

  const RunOutcome good{0, std::chrono::milliseconds(1500), at("2026-11-22T03:17:10Z")};
  REQUIRE(push_run_outcome(target, good).ok);
  auto scraped = gateway.metrics();
  INFO(scraped);
  CHECK(sample_value(scraped, "rotator_run_success", g) == 1.0);
  CHECK(sample_value(scraped, "rotator_run_exit_code", g) == 0.0);
  CHECK(sample_value(scraped, "rotator_run_duration_seconds", g) == 1.5);
  CHECK(sample_value(scraped, "rotator_run_last_success_timestamp_seconds", g) == 1795317430.0);
  CHECK(sample_value(scraped, "rotator_run_finished_timestamp_seconds", g) == 1795317430.0);

  const RunOutcome failed{4, std::chrono::milliseconds(250), at("2026-11-23T03:17:02Z")};
  REQUIRE(push_run_outcome(target, failed).ok);
  scraped = gateway.metrics();
  INFO(scraped);
  CHECK(sample_value(scraped, "rotator_run_success", g) == 0.0);
  CHECK(sample_value(scraped, "rotator_run_exit_code", g) == 4.0);
  CHECK(sample_value(scraped, "rotator_run_duration_seconds", g) == 0.25);
  CHECK(sample_value(scraped, "rotator_run_finished_timestamp_seconds", g) == 1795403822.0);
  // The failure did not hide the last good run.
  CHECK(sample_value(scraped, "rotator_run_last_success_timestamp_seconds", g) == 1795317430.0);

  const RunOutcome recovered{0, std::chrono::milliseconds(900), at("2026-11-24T03:17:05Z")};
  REQUIRE(push_run_outcome(target, recovered).ok);
  scraped = gateway.metrics();
  CHECK(sample_value(scraped, "rotator_run_last_success_timestamp_seconds", g) == 1795490225.0);
  CHECK(sample_value(scraped, "rotator_run_success", g) == 1.0);
}

TEST_CASE("metrics pushgateway: groups are kept apart by job and namespace, odd values escaped",
          "[metrics][pushgateway]") {
  Pushgateway gateway;
  const RunOutcome good{0, std::chrono::milliseconds(100), at("2026-11-22T00:00:00Z")};
  const RunOutcome bad{1, std::chrono::milliseconds(100), at("2026-11-22T00:10:00Z")};
  REQUIRE(push_run_outcome({gateway.url(), "rotate", "team-a"}, good).ok);
  REQUIRE(push_run_outcome({gateway.url(), "rotate", "team-b"}, bad).ok);
  REQUIRE(push_run_outcome({gateway.url(), "management-renew", "team-a"}, bad).ok);
  // Values a path segment cannot carry as they are go base64url-encoded.
  REQUIRE(push_run_outcome({gateway.url(), "nightly rotate/eu", "team-a"}, good).ok);

  const auto scraped = gateway.metrics();
  INFO(scraped);
  CHECK(sample_value(scraped, "rotator_run_success", group("rotate", "team-a")) == 1.0);
  CHECK(sample_value(scraped, "rotator_run_success", group("rotate", "team-b")) == 0.0);
  CHECK(sample_value(scraped, "rotator_run_success", group("management-renew", "team-a")) == 0.0);
  CHECK(sample_value(scraped, "rotator_run_success", group("nightly rotate/eu", "team-a")) == 1.0);
  CHECK_FALSE(sample_value(scraped, "rotator_run_last_success_timestamp_seconds", group("rotate", "team-b")));
}

TEST_CASE("metrics pushgateway: a status push replaces its whole group", "[metrics][pushgateway]") {
  Pushgateway gateway;
  const PushTarget target{gateway.url(), "status", "influxdb"};
  StatusSnapshot s;
  s.namespace_ = "influxdb";
  s.key_kid = "kid-new";
  s.key_algorithm = "RS256";
  s.key_created_at = at("2026-11-22T03:17:10Z");
  s.staged_key_present = true;
  s.retired_keys = {{"kid-old", at("2026-11-22T04:17:10Z")}};
  s.lock = LockState{true, "rotator-rotate-1-abcde"};
  s.verdict = Verdict::degraded;
  s.verdict_reason = "a rotation is \"unfinished\"";
  REQUIRE(push_status(target, s).ok);
  auto scraped = gateway.metrics();
  INFO(scraped);
  const auto g = group("status", "influxdb");
  CHECK(sample_value(scraped, "rotator_signing_key_created_timestamp_seconds", g) == 1795317430.0);
  auto with_kid = g;
  with_kid.push_back("kid=\"kid-old\"");
  CHECK(sample_value(scraped, "rotator_retired_key_trusted_until_timestamp_seconds", with_kid) == 1795321030.0);
  auto held_by = g;
  held_by.push_back("holder=\"rotator-rotate-1-abcde\"");
  CHECK(sample_value(scraped, "rotator_lock_held", held_by) == 1.0);
  auto reason = g;
  reason.push_back(R"(reason="a rotation is \"unfinished\"")");
  CHECK(sample_value(scraped, "rotator_verdict_reason_info", reason) == 1.0);

  // Later: the retired key is gone, the lock released, healthy again.
  s.retired_keys.clear();
  s.lock = LockState{false, ""};
  s.verdict = Verdict::healthy;
  s.verdict_reason.clear();
  REQUIRE(push_status(target, s).ok);
  scraped = gateway.metrics();
  CHECK_FALSE(sample_value(scraped, "rotator_retired_key_trusted_until_timestamp_seconds", with_kid));
  CHECK_FALSE(sample_value(scraped, "rotator_verdict_reason_info", g));
  CHECK(sample_value(scraped, "rotator_lock_held", g) == 0.0);
  auto healthy = g;
  healthy.push_back("verdict=\"healthy\"");
  CHECK(sample_value(scraped, "rotator_verdict", healthy) == 1.0);
}

TEST_CASE("metrics pushgateway: a refused or failed push is a result with its reason, never an exception",
          "[metrics][pushgateway]") {
  Pushgateway gateway;
  SECTION("the Pushgateway refuses a malformed body: HTTP 400 and its explanation") {
    const auto result =
        send_to_pushgateway(PushMethod::post, {gateway.url(), "rotate", "ns"}, "this is not {metrics\n", quick());
    CHECK_FALSE(result.ok);
    CHECK(result.error.find("HTTP 400") != std::string::npos);
  }
  SECTION("nothing listens: a connection failure, reported and returned") {
    const std::string url = gateway.url();
    gateway.stop();
    const RunOutcome good{0, std::chrono::milliseconds(100), at("2026-11-22T00:00:00Z")};
    PushResult result;
    CHECK_NOTHROW(result = push_run_outcome({url, "rotate", "ns"}, good, quick()));
    CHECK_FALSE(result.ok);
    CHECK(result.error.find("127.0.0.1") != std::string::npos);
  }
  SECTION("credentials in the URL never appear in the error") {
    const auto result =
        send_to_pushgateway(PushMethod::post, {"http://user:s3cret-pw@127.0.0.1:1", "rotate", "ns"}, "x 1\n", quick());
    CHECK_FALSE(result.ok);
    CHECK(result.error.find("s3cret-pw") == std::string::npos);
  }
}

TEST_CASE("metrics pushgateway: DELETE removes one group and leaves the others", "[metrics][pushgateway]") {
  Pushgateway gateway;
  const RunOutcome good{0, std::chrono::milliseconds(100), at("2026-11-22T00:00:00Z")};
  REQUIRE(push_run_outcome({gateway.url(), "rotate", "team-a"}, good).ok);
  REQUIRE(push_run_outcome({gateway.url(), "rotate", "team-b"}, good).ok);
  REQUIRE(send_to_pushgateway(PushMethod::remove, {gateway.url(), "rotate", "team-a"}, "").ok);
  const auto scraped = gateway.metrics();
  CHECK_FALSE(sample_value(scraped, "rotator_run_success", group("rotate", "team-a")));
  CHECK(sample_value(scraped, "rotator_run_success", group("rotate", "team-b")) == 1.0);
}
