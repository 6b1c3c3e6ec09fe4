#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <thread>

#include "frame/fleet.h"
#include "util/errors.h"

using namespace rotator;
using namespace rotator::frame;

namespace {
NamespaceResult result(const std::string& ns, NamespaceOutcome outcome, ExitCode code, std::string message = {}) {
  NamespaceResult r;
  r.namespace_ = ns;
  r.outcome = outcome;
  r.exit_code = code;
  r.message = std::move(message);
  return r;
}
}  // namespace

TEST_CASE("fleet: the exit code is the most severe of the namespaces") {
  CHECK(aggregate_exit_code({}) == ExitCode::success);
  CHECK(aggregate_exit_code({result("a", NamespaceOutcome::ok, ExitCode::success),
                             result("b", NamespaceOutcome::unchanged, ExitCode::success)}) == ExitCode::success);
  CHECK(aggregate_exit_code({result("a", NamespaceOutcome::failed, ExitCode::lock_held),
                             result("b", NamespaceOutcome::failed, ExitCode::failure)}) == ExitCode::failure);
  CHECK(aggregate_exit_code({result("a", NamespaceOutcome::failed, ExitCode::invalid_data),
                             result("b", NamespaceOutcome::failed, ExitCode::failure),
                             result("c", NamespaceOutcome::ok, ExitCode::success)}) == ExitCode::invalid_data);
  CHECK(aggregate_exit_code({result("a", NamespaceOutcome::failed, ExitCode::invalid_data),
                             result("b", NamespaceOutcome::failed, ExitCode::not_authorized)}) ==
        ExitCode::not_authorized);
  CHECK(exit_code_severity(ExitCode::success) < exit_code_severity(ExitCode::lock_held));
  CHECK(exit_code_severity(ExitCode::lock_held) < exit_code_severity(ExitCode::failure));
  CHECK(exit_code_severity(ExitCode::failure) < exit_code_severity(ExitCode::invalid_data));
  CHECK(exit_code_severity(ExitCode::invalid_data) < exit_code_severity(ExitCode::not_authorized));
  CHECK(exit_code_severity(ExitCode::not_authorized) < exit_code_severity(ExitCode::usage));
  CHECK(exit_code_severity(ExitCode::usage) < exit_code_severity(ExitCode::terminated));
  CHECK(exit_code_severity(ExitCode::terminated) < exit_code_severity(ExitCode::interrupted));
}

TEST_CASE("fleet: status's verdict codes rank among the others, and the worst never depends on the order") {
  CHECK(exit_code_severity(ExitCode::lock_held) < exit_code_severity(ExitCode::degraded));
  CHECK(exit_code_severity(ExitCode::degraded) < exit_code_severity(ExitCode::failure));
  CHECK(exit_code_severity(ExitCode::failure) < exit_code_severity(ExitCode::broken));
  CHECK(exit_code_severity(ExitCode::broken) < exit_code_severity(ExitCode::invalid_data));
  const std::vector<ExitCode> codes = {ExitCode::success,        ExitCode::lock_held, ExitCode::degraded,
                                       ExitCode::failure,        ExitCode::broken,    ExitCode::invalid_data,
                                       ExitCode::not_authorized, ExitCode::usage,     ExitCode::terminated,
                                       ExitCode::interrupted};
  for (ExitCode a : codes) {
    for (ExitCode b : codes) {
      if (a == b) continue;
      CAPTURE(static_cast<int>(a), static_cast<int>(b));
      // A degraded cluster listed before an unreadable one, or after it: the same exit code.
      CHECK(exit_code_severity(a) != exit_code_severity(b));
      CHECK(aggregate_exit_code({result("a", NamespaceOutcome::failed, a), result("b", NamespaceOutcome::failed, b)}) ==
            aggregate_exit_code({result("b", NamespaceOutcome::failed, b), result("a", NamespaceOutcome::failed, a)}));
    }
  }
}

TEST_CASE("fleet: the summary table has one aligned row per namespace and a totals line") {
  const auto text = render_summary({result("team-a", NamespaceOutcome::ok, ExitCode::success),
                                    result("b", NamespaceOutcome::unchanged, ExitCode::success),
                                    result("influxdb-prod", NamespaceOutcome::failed, ExitCode::invalid_data,
                                           "Secret influxdb-prod/rsa-keys: bad PEM\nsecond line")});
  CHECK(text ==
        "NAMESPACE      RESULT     EXIT  MESSAGE\n"
        "team-a         ok         0\n"
        "b              unchanged  0\n"
        "influxdb-prod  failed     5     Secret influxdb-prod/rsa-keys: bad PEM second line\n"
        "3 namespaces: 1 ok, 1 unchanged, 1 failed; exit 5\n");
}

TEST_CASE("fleet: lines are prefixed and namespace lists split") {
  CHECK(prefix_lines("one\ntwo\n", "ns") == "ns: one\nns: two\n");
  CHECK(prefix_lines("", "ns").empty());
  CHECK(split_namespace_list("a, b,,c,a ,") == std::vector<std::string>{"a", "b", "c"});
  CHECK(split_namespace_list(" , ").empty());
}

TEST_CASE("fleet: runs every namespace once, at most N at a time, isolating failures") {
  std::vector<std::string> names;
  for (int i = 0; i < 20; ++i) names.push_back("ns-" + std::to_string(i));
  std::atomic<int> running{0};
  std::atomic<int> peak{0};
  std::atomic<int> finished_calls{0};
  const FleetObserver observer = [&](const NamespaceResult&, std::size_t done, std::size_t total) {
    ++finished_calls;
    CHECK(done <= total);
  };
  const auto results = run_fleet(
      names, 3,
      [&](const std::string& ns, std::string& output) {
        const int now = ++running;
        int seen = peak.load();
        while (now > seen && !peak.compare_exchange_weak(seen, now)) {
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        output = "worked in " + ns + "\n";
        --running;
        if (ns == "ns-4") throw InvalidDataError("corrupt rsa-keys");
        if (ns == "ns-7") throw std::runtime_error("boom");
        return ns != "ns-9";
      },
      observer);
  REQUIRE(results.size() == names.size());
  CHECK(peak.load() <= 3);
  CHECK(peak.load() >= 2);
  CHECK(finished_calls.load() == 20);
  for (std::size_t i = 0; i < names.size(); ++i) {
    CHECK(results[i].namespace_ == names[i]);
    CHECK(results[i].output == "worked in " + names[i] + "\n");  // kept even when the task threw
  }
  CHECK(results[4].outcome == NamespaceOutcome::failed);
  CHECK(results[4].exit_code == ExitCode::invalid_data);
  CHECK(results[4].message == "corrupt rsa-keys");
  CHECK(results[7].exit_code == ExitCode::failure);
  CHECK(results[7].message == "internal error: boom");
  CHECK(results[9].outcome == NamespaceOutcome::unchanged);
  CHECK(results[0].outcome == NamespaceOutcome::ok);
  CHECK(aggregate_exit_code(results) == ExitCode::invalid_data);
}
