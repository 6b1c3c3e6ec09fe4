#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <limits>
#include <sstream>

#include <catch2/catch.hpp>

#include "frame/lease_lock.h"
#include "frame/lock_holder.h"
#include "kube/objects.h"

using namespace rotator;
using namespace rotator::frame;

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
  CHECK(held.expires_at == util::parse_rfc3339("2026-01-01T00:00:40Z"));
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

TEST_CASE("lock holder: an identity that names who, where and which rotation, and survives the annotation") {
  const auto me = this_process("revoke-and-rotate", "user admin", "r-42");
  CHECK_THAT(me.identity(), Catch::StartsWith("revoke-and-rotate by user admin ") && Catch::Contains("rotation r-42") &&
                                Catch::Contains("pid " + std::to_string(::getpid())));
  CHECK(me.identity() != this_process("revoke-and-rotate", "user admin", "r-42").identity());  // unique per holder
  const auto back = LockHolder::from_json(me.to_json());
  REQUIRE(back.has_value());
  CHECK(back->identity() == me.identity());
  CHECK_FALSE(LockHolder::from_json(nlohmann::json::parse(R"({"pid":"x"})")).has_value());
  CHECK_FALSE(provably_dead_here(me));
}

TEST_CASE("lock holder: a holder whose process ended on this machine is provably dead, a live or foreign one is not") {
  const pid_t child = ::fork();
  if (child == 0) {
    ::pause();
    ::_exit(0);
  }
  REQUIRE(child > 0);
  LockHolder holder = this_process("key-gen", "", "");
  holder.pid = child;
  // The child's start time, as this_process would have recorded it in the child.
  std::ifstream stat("/proc/" + std::to_string(child) + "/stat");
  std::string text;
  std::getline(stat, text);
  std::istringstream fields(text.substr(text.rfind(')') + 2));
  std::string field;
  for (int index = 3; fields >> field; ++index) {
    if (index == 22) holder.start_ticks = std::stoull(field);
  }
  CHECK_FALSE(provably_dead_here(holder));
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  CHECK(provably_dead_here(holder));

  LockHolder elsewhere = holder;
  elsewhere.boot_id = "another-machine";
  CHECK_FALSE(provably_dead_here(elsewhere));
  LockHolder other_pid_namespace = holder;
  other_pid_namespace.pid_namespace = "pid:[1]";
  CHECK_FALSE(provably_dead_here(other_pid_namespace));
}
