#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>

#include "kube/objects.h"
#include "runner/job_file.h"
#include "runner/lock.h"
#include "util/errors.h"

using namespace rotator;
using namespace rotator::runner;

TEST_CASE("lock decides: create, take over free, expired or own, wait for a live holder") {
  const auto now = *util::parse_rfc3339("2026-01-01T00:00:30Z");
  CHECK(decide_lock(std::nullopt, "me", now).action == LockDecision::Action::create);
  kube::Lease lease;
  lease.lease_duration_seconds = 30;
  lease.acquire_time = util::parse_rfc3339("2026-01-01T00:00:00Z");
  lease.renew_time = util::parse_rfc3339("2026-01-01T00:00:10Z");
  lease.holder_identity = "other";
  const auto held = decide_lock(lease, "me", now);
  CHECK(held.action == LockDecision::Action::wait);
  CHECK(held.holder == "other");
  CHECK(held.held_since == lease.acquire_time);
  CHECK(decide_lock(lease, "me", now + std::chrono::seconds(10)).action == LockDecision::Action::take_over);
  lease.holder_identity = "me";
  CHECK(decide_lock(lease, "me", now).action == LockDecision::Action::take_over);
  lease.holder_identity = "";
  CHECK(decide_lock(lease, "me", now).action == LockDecision::Action::take_over);
}

TEST_CASE("lock decides without overflow on a Lease no Kubernetes client wrote") {
  const auto now = *util::parse_rfc3339("2026-01-01T00:00:30Z");
  // leaseDurationSeconds is int32 in the API: larger or negative is read as 0.
  for (const char* duration : {"1099511627776", "-5", "9223372036854775807"}) {
    INFO(duration);
    const auto lease = kube::lease_from_json(nlohmann::json::parse(
        std::string(R"({"spec":{"holderIdentity":"other","renewTime":"2026-01-01T00:00:00Z","leaseDurationSeconds":)") +
        duration + "}}"));
    CHECK(lease.lease_duration_seconds == 0);
    CHECK(decide_lock(lease, "me", now).action == LockDecision::Action::take_over);
  }
  kube::Lease far;
  far.holder_identity = "other";
  far.lease_duration_seconds = std::numeric_limits<int32_t>::max();
  far.renew_time = util::parse_rfc3339("2261-12-31T23:59:59Z");  // + 68 years is past a TimePoint's end
  CHECK(decide_lock(far, "me", now).action == LockDecision::Action::wait);
}

TEST_CASE("job files: steps and flags as written") {
  const auto job = parse_job_file(R"(
apiVersion: rotator.io/v1
kind: JobFile
metadata: {name: demo}
steps:
  - step: key-gen
    with: {rsa-bits: 3072, force: true, dry: false}
  - step: token create
    with: {read-database: [a, b]}
)", "demo.yaml");
  CHECK(job.name == "demo");
  REQUIRE(job.steps.size() == 2);
  CHECK(job.steps[0].step == "key-gen");
  CHECK(job.steps[0].arguments == std::vector<std::string>{"--rsa-bits=3072", "--force"});
  CHECK(job.steps[1].arguments == std::vector<std::string>{"--read-database=a", "--read-database=b"});
}

TEST_CASE("job files: malformed documents are usage errors naming the place") {
  const std::pair<const char*, const char*> cases[] = {
      {"steps: [", "not valid YAML"},
      {"[1, 2]", "must be a mapping"},
      {"apiVersion: v2\nkind: JobFile\nsteps: [{step: key-gen}]", "apiVersion must be rotator.io/v1"},
      {"apiVersion: rotator.io/v1\nkind: Job\nsteps: [{step: key-gen}]", "kind must be JobFile"},
      {"apiVersion: rotator.io/v1\nkind: JobFile\nsteps: []", "non-empty list"},
      {"apiVersion: rotator.io/v1\nkind: JobFile\nsteps: [{step: key-gen, wiht: {}}]", "unknown field \"wiht\""},
      {"apiVersion: rotator.io/v1\nkind: JobFile\nsteps: [{step: [a]}]", "steps[0].step must be a string"},
      {"apiVersion: rotator.io/v1\nkind: JobFile\nsteps: [{step: key-gen, with: [1]}]", "mapping of flag names"},
      {"apiVersion: rotator.io/v1\nkind: JobFile\nsteps: [{step: key-gen, with: {--x: 1}}]", "bad flag name"},
      {"apiVersion: rotator.io/v1\nkind: JobFile\nsteps: [{step: key-gen}]\nextra: 1", "unknown field \"extra\""},
  };
  for (const auto& [yaml, fragment] : cases) {
    INFO(yaml);
    try {
      parse_job_file(yaml, "f.yaml");
      FAIL("accepted");
    } catch (const UsageError& e) {
      CHECK_THAT(e.what(), Catch::Contains(fragment) && Catch::Contains("f.yaml"));
    }
  }
}
