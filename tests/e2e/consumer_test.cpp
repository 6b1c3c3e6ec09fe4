// End-to-end 3 and 4: a real token consumer (the token-management Deployment,
// played by tests/e2e/token_consumer, which loads jwks.json from the mounted
// rsa-keys Secret once, at start) under a client that keeps presenting tokens.
//
// 3. A scheduled rotation (the rotate CronJob, default rollout) while the client
//    presents the current admin token (re-read from the Secret before each
//    request) and the previous one through the Service's endpoints: no failed
//    request for the current token, the previous one accepted (its grace is an
//    hour), every serving pod on the new key at the end. The documented runbook
//    (delete the Secrets, key-gen, create-admin-token, delete the pods) under the
//    same loop: its failures counted, for the README.
// 4. An incident revoke (`revoke-and-rotate --restart delete-pods`, by hand from
//    the host): the time from the command's start until no pod of the consumer
//    accepts the old token, the old pods gone; and the runbook's time, the same way.
//
// Tests never assert timings: they measure and report them (E2E-RESULT lines).

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <catch2/catch.hpp>

#include "e2e_support.h"

using namespace rotator;
using namespace rotator::e2e;
using namespace rotator::testing;

namespace {

using Outcome = ConsumerClient::Outcome;

/// What the client loop saw. A failed request for the current token is one that
/// was rejected, could not reach a consumer, found no endpoint, or found no token
/// to present (the Secret was gone).
struct LoopCounts {
  long rounds = 0;
  long current_valid = 0, current_rejected = 0, current_unreachable = 0;
  long previous_valid = 0, previous_rejected = 0, previous_unreachable = 0;
  long no_endpoint = 0, no_current_token = 0;
  std::map<std::string, long> reasons;           ///< rejection reasons and connection errors, current token
  double first_failure = -1, last_failure = -1;  ///< seconds since the loop started, current token

  long current_failed() const { return current_rejected + current_unreachable + no_endpoint + no_current_token; }
  Json to_json() const {
    return {{"rounds", rounds},
            {"current_valid", current_valid},
            {"current_rejected", current_rejected},
            {"current_unreachable", current_unreachable},
            {"no_endpoint", no_endpoint},
            {"no_current_token", no_current_token},
            {"current_failed", current_failed()},
            {"previous_valid", previous_valid},
            {"previous_rejected", previous_rejected},
            {"previous_unreachable", previous_unreachable},
            {"failure_reasons", reasons},
            {"first_failure_s", first_failure},
            {"last_failure_s", last_failure}};
  }
};

/// The client: each round re-reads the admin token from its Secret and the
/// Service's endpoints, presents the current token to the next endpoint and the
/// previous token to the one after (round robin, as a Service spreads requests).
/// Bounded: at most 10 minutes.
class TokenLoop {
 public:
  TokenLoop(const std::string& ns, std::string previous_token)
      : consumer_(ns), previous_(std::move(previous_token)), start_(Clock::now()) {
    thread_ = std::thread([this] { run(); });
  }
  ~TokenLoop() { stop(); }
  TokenLoop(const TokenLoop&) = delete;
  TokenLoop& operator=(const TokenLoop&) = delete;

  LoopCounts stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    std::lock_guard lock(mutex_);
    return counts_;
  }

 private:
  void failed(const std::string& reason) {
    const double at = seconds_since(start_);
    if (counts_.first_failure < 0) counts_.first_failure = at;
    counts_.last_failure = at;
    ++counts_.reasons[reason];
  }

  void run() {
    std::size_t next = 0;
    while (!stop_ && seconds_since(start_) < 600) {
      std::optional<std::string> token;
      std::vector<std::string> endpoints;
      try {
        token = consumer_.admin_token();
        endpoints = consumer_.endpoints();
      } catch (const std::exception&) {
        // The API server is not what is under test; try again.
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        continue;
      }
      std::lock_guard lock(mutex_);
      ++counts_.rounds;
      if (endpoints.empty()) {
        ++counts_.no_endpoint;
        failed("no endpoint");
      } else if (!token) {
        ++counts_.no_current_token;
        failed("admin-token Secret missing");
      } else {
        const auto current = consumer_.present(endpoints[next++ % endpoints.size()], *token);
        if (current.outcome == Outcome::valid) {
          ++counts_.current_valid;
        } else if (current.outcome == Outcome::rejected) {
          ++counts_.current_rejected;
          failed("rejected: " + current.reason);
        } else {
          ++counts_.current_unreachable;
          failed("unreachable: " + current.reason);
        }
      }
      if (!endpoints.empty()) {
        const auto previous = consumer_.present(endpoints[next++ % endpoints.size()], previous_);
        if (previous.outcome == Outcome::valid) ++counts_.previous_valid;
        if (previous.outcome == Outcome::rejected) ++counts_.previous_rejected;
        if (previous.outcome == Outcome::unreachable) ++counts_.previous_unreachable;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  ConsumerClient consumer_;
  std::string previous_;
  Clock::time_point start_;
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  LoopCounts counts_;
  std::thread thread_;
};

/// Watches every pod of the consumer (terminating ones too, by pod IP) with the
/// old token and records the last moment any of them accepted it. Bounded: 5 minutes.
class RevocationWatch {
 public:
  RevocationWatch(const std::string& ns, std::string old_token)
      : consumer_(ns), old_(std::move(old_token)), start_(Clock::now()) {
    thread_ = std::thread([this] { run(); });
  }
  ~RevocationWatch() { stop(); }
  RevocationWatch(const RevocationWatch&) = delete;
  RevocationWatch& operator=(const RevocationWatch&) = delete;

  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  /// Seconds from `t0` to the last acceptance of the old token; negative if none after t0.
  double last_acceptance_after(Clock::time_point t0) const {
    std::lock_guard lock(mutex_);
    return last_accept_ ? std::chrono::duration<double>(*last_accept_ - t0).count() : -1;
  }
  Clock::time_point last_acceptance() const {
    std::lock_guard lock(mutex_);
    return last_accept_.value_or(start_);
  }
  long rounds() const { return rounds_; }

 private:
  void run() {
    while (!stop_ && seconds_since(start_) < 300) {
      std::vector<ConsumerPod> pods;
      try {
        pods = consumer_.pods();
      } catch (const std::exception&) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        continue;
      }
      for (const auto& pod : pods) {
        if (pod.ip.empty()) continue;
        const auto answer = consumer_.present(pod.ip, old_);
        if (answer.outcome == Outcome::valid) {
          std::lock_guard lock(mutex_);
          last_accept_ = Clock::now();
        }
      }
      ++rounds_;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }

  ConsumerClient consumer_;
  std::string old_;
  Clock::time_point start_;
  std::atomic<bool> stop_{false};
  std::atomic<long> rounds_{0};
  mutable std::mutex mutex_;
  std::optional<Clock::time_point> last_accept_;
  std::thread thread_;
};

/// Keys, admin token and a consumer of two replicas in a fresh namespace.
void set_up_installation(const std::string& ns) {
  must({rotator_binary(), "-n", ns, "run", std::string(ROTATOR_SOURCE_DIR) + "/jobs/bootstrap.yaml"});
  deploy_token_management(ns, 2);
}

std::set<std::string> pod_names(const std::vector<ConsumerPod>& pods) {
  std::set<std::string> names;
  for (const auto& pod : pods) names.insert(pod.name);
  return names;
}

/// Waits (bounded) until the consumer's pods are `replicas` ready pods, none of
/// `old` and none terminating; returns them.
std::vector<ConsumerPod> wait_for_new_pods(const ConsumerClient& consumer, const std::set<std::string>& old,
                                           std::size_t replicas) {
  for (int i = 0; i < 1200; ++i) {
    const auto pods = consumer.pods();
    bool done = pods.size() == replicas;
    for (const auto& pod : pods) done = done && pod.ready && !pod.terminating && !old.contains(pod.name);
    if (done) return pods;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  FAIL("the consumer's pods were not all replaced and ready within 120 s");
  return {};
}

/// Every pod in `pods` loaded `kid` and was restarted (none of `old`).
void check_serving_new_key(const ConsumerClient& consumer, const std::vector<ConsumerPod>& pods,
                           const std::string& kid) {
  for (const auto& pod : pods) {
    const auto keys = consumer.keys(pod.ip);
    INFO("pod " << pod.name);
    REQUIRE(keys.is_object());
    CHECK(keys["pod"] == pod.name);
    const auto& kids = keys["kids"];
    CHECK(std::find(kids.begin(), kids.end(), kid) != kids.end());
  }
}

/// The documented runbook (../shared/influxctl.md): delete both Secrets,
/// re-create the key and the admin token, delete the pods so they load the key.
void run_runbook(const std::string& ns) {
  must({"kubectl", "-n", ns, "delete", "secret", "rsa-keys", "admin-token"});
  must({rotator_binary(), "-n", ns, "key-gen"});
  must({rotator_binary(), "-n", ns, "create-admin-token"});
  must({"kubectl", "-n", ns, "delete", "pods", "--selector", "app=token-management"});
}

}  // namespace

TEST_CASE("token consumer: a scheduled rotation with the default rollout fails no request for the current token") {
  if (skip_without_node()) return;
  TestNamespace ns("e2e-sched");
  set_up_installation(ns.name());
  ConsumerClient consumer(ns.name());
  const auto previous = consumer.admin_token();
  REQUIRE(previous);
  const auto old_pods = pod_names(consumer.pods());
  const std::string kid_before = consumer.current_kid();

  TokenLoop loop(ns.name(), *previous);
  const auto armed = Clock::now();
  arm_rotate_cronjob(ns.name());
  const auto [job_name, job_uid] = wait_for_cronjob_job(ns.name(), "rotator-rotate");
  const auto fired = Clock::now();
  wait_job_complete(ns.name(), job_name, std::chrono::seconds(300));
  const double rotation_seconds = seconds_since(fired);
  const auto pods = wait_for_new_pods(consumer, old_pods, 2);
  std::this_thread::sleep_for(std::chrono::seconds(3));  // the loop keeps going on the new pods
  const auto counts = loop.stop();

  const auto current = consumer.admin_token();
  REQUIRE(current);
  CHECK(*current != *previous);
  const std::string kid_after = consumer.current_kid();
  CHECK(kid_after != kid_before);
  check_serving_new_key(consumer, pods, kid_after);

  INFO("loop: " << counts.to_json().dump());
  CHECK(counts.rounds > 100);
  CHECK(counts.current_valid > 100);
  CHECK(counts.current_failed() == 0);  // no failed request for the current token, at any moment
  CHECK(counts.current_rejected == 0);
  CHECK(counts.previous_rejected == 0);  // the previous token keeps verifying during its grace
  CHECK(counts.previous_unreachable == 0);
  CHECK(counts.previous_valid > 100);

  auto result = counts.to_json();
  result["test"] = "scheduled-rotation-rotator";
  result["seconds_armed_to_fire"] = std::chrono::duration<double>(fired - armed).count();
  result["seconds_rotation_job"] = rotation_seconds;
  report(result);
}

TEST_CASE("token consumer: the documented runbook under the same client loop (failures counted)") {
  if (skip_without_node()) return;
  TestNamespace ns("e2e-runbook");
  set_up_installation(ns.name());
  ConsumerClient consumer(ns.name());
  const auto previous = consumer.admin_token();
  REQUIRE(previous);
  const auto old_pods = pod_names(consumer.pods());
  const std::string kid_before = consumer.current_kid();

  TokenLoop loop(ns.name(), *previous);
  std::this_thread::sleep_for(std::chrono::seconds(2));
  const auto started = Clock::now();
  run_runbook(ns.name());
  const auto pods = wait_for_new_pods(consumer, old_pods, 2);
  const double runbook_seconds = seconds_since(started);
  std::this_thread::sleep_for(std::chrono::seconds(3));
  const auto counts = loop.stop();

  // The runbook did what it says: new key, new token, every pod restarted onto it.
  const std::string kid_after = consumer.current_kid();
  CHECK_FALSE(kid_after.empty());
  CHECK(kid_after != kid_before);
  const auto current = consumer.admin_token();
  REQUIRE(current);
  CHECK(*current != *previous);
  check_serving_new_key(consumer, pods, kid_after);
  CHECK(counts.rounds > 100);
  CHECK(counts.current_valid > 0);

  auto result = counts.to_json();
  result["test"] = "scheduled-rotation-runbook";
  result["seconds_runbook_to_new_pods_ready"] = runbook_seconds;
  report(result);
}

namespace {

struct RevokeTiming {
  double command_seconds = 0;
  double to_no_pod_accepting = 0;
  double to_old_pods_gone = 0;
  long watch_rounds = 0;
};

/// Runs `revoke` against an installation with a consumer of two replicas and
/// measures, from its start, when the last pod accepted the old admin token and
/// when the old pods were gone; then checks that no pod accepts the old token,
/// every serving pod accepts the new one, and every pod is new.
RevokeTiming measure_revocation(const std::string& ns, const std::function<void()>& revoke) {
  ConsumerClient consumer(ns);
  const auto old_token = consumer.admin_token();
  REQUIRE(old_token);
  const auto old_pods = pod_names(consumer.pods());
  REQUIRE(old_pods.size() == 2);

  RevocationWatch watch(ns, *old_token);
  std::this_thread::sleep_for(std::chrono::seconds(1));
  REQUIRE(watch.last_acceptance_after(Clock::now() - std::chrono::seconds(1)) >= 0);  // accepted before
  RevokeTiming timing;
  const auto t0 = Clock::now();
  revoke();
  timing.command_seconds = seconds_since(t0);

  // The old pods gone from the API (their containers stopped), the new ones ready.
  std::optional<double> gone_at;
  for (int i = 0; i < 1200 && !gone_at; ++i) {
    bool any_old = false;
    for (const auto& pod : consumer.pods()) any_old = any_old || old_pods.contains(pod.name);
    if (!any_old)
      gone_at = seconds_since(t0);
    else
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  REQUIRE(gone_at);
  timing.to_old_pods_gone = *gone_at;
  const auto pods = wait_for_new_pods(consumer, old_pods, 2);
  // Two more seconds of watching with nothing accepting the old token.
  for (int i = 0; i < 600 && seconds_since(watch.last_acceptance()) < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  watch.stop();
  timing.watch_rounds = watch.rounds();
  timing.to_no_pod_accepting = watch.last_acceptance_after(t0);
  CHECK(timing.watch_rounds > 10);

  const auto new_token = consumer.admin_token();
  REQUIRE(new_token);
  CHECK(*new_token != *old_token);
  for (const auto& pod : pods) {
    INFO("pod " << pod.name);
    const auto old_answer = consumer.present(pod.ip, *old_token);
    CHECK(old_answer.outcome == Outcome::rejected);
    CHECK(old_answer.reason == "unknown_kid");
    CHECK(consumer.present(pod.ip, *new_token).outcome == Outcome::valid);
  }
  check_serving_new_key(consumer, pods, consumer.current_kid());
  return timing;
}

Json to_json(const RevokeTiming& t) {
  return {{"seconds_command", t.command_seconds},
          {"seconds_to_no_pod_accepting_old_token", t.to_no_pod_accepting},
          {"seconds_to_old_pods_gone", t.to_old_pods_gone},
          {"watch_rounds", t.watch_rounds}};
}

}  // namespace

TEST_CASE("token consumer: an incident revoke with --restart delete-pods, timed until no pod accepts the old token") {
  if (skip_without_node()) return;
  TestNamespace ns("e2e-incident");
  set_up_installation(ns.name());
  const auto timing = measure_revocation(ns.name(), [&] {
    must({rotator_binary(), "-n", ns.name(), "revoke-and-rotate", "--restart", "delete-pods"});
  });
  auto result = to_json(timing);
  result["test"] = "incident-revoke-rotator";
  report(result);
}

TEST_CASE("token consumer: an incident revoke by the documented runbook, timed the same way") {
  if (skip_without_node()) return;
  TestNamespace ns("e2e-incident-runbook");
  set_up_installation(ns.name());
  const auto timing = measure_revocation(ns.name(), [&] { run_runbook(ns.name()); });
  auto result = to_json(timing);
  result["test"] = "incident-revoke-runbook";
  report(result);
}
