// `promtool check metrics` (Debian's prometheus package) on the text that
// `status -o prometheus` prints and on a run's pushed outcome: the format parses
// and passes promtool's lint (naming, units, suffixes). No API server needed.

#include <catch2/catch.hpp>

#include "cluster_fixture.h"
#include "metrics/run_outcome.h"
#include "metrics/status_metrics.h"
#include "util/subprocess.h"
#include "util/time.h"

using namespace rotator;
using namespace rotator::metrics;

namespace {

util::TimePoint at(const char* rfc3339) {
  return *util::parse_rfc3339(rfc3339);
}

struct CheckResult {
  int exit_code = -1;
  std::string output;  // promtool's findings (stdout and stderr)
};

CheckResult promtool_check_metrics(const std::string& exposition) {
  rotator::testing::TempDir dir;
  const auto file = dir.write("metrics.prom", exposition);
  // promtool reads the exposition on stdin; the shell only redirects.
  const auto result =
      util::run_process({"/bin/sh", "-c", "exec promtool check metrics <\"$0\" 2>&1", file.string()}, {},
                        std::chrono::minutes(1), util::ChildStdin::null, util::ChildStderr::inherit);
  return {result.exit_code, result.stdout_text};
}

std::vector<StatusSnapshot> two_namespaces() {
  StatusSnapshot a;
  a.namespace_ = "influxdb";
  a.key_kid = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";
  a.key_algorithm = "RS256";
  a.key_created_at = at("2026-11-01T03:17:10Z");
  a.staged_key_present = true;
  a.retired_keys = {{"0pAxp3k3eI2Cq1TWpVcxz8O9VXO1qA7kG9wWzJ3sY0E", at("2026-11-01T04:17:10Z")}};
  a.last_rotation_at = at("2026-11-01T03:17:12Z");
  a.rotation_unfinished = false;
  a.admin_token_present = true;
  a.admin_token_expires_at = at("2027-01-01T00:00:00Z");
  a.lock = LockState{true, "rotator-rotate-29411-x7k2p"};
  a.management_tokens = TokenCounts{3, 1, 2, at("2026-11-23T03:41:00Z")};
  a.database_tokens = TokenCounts{12, 0, 4, std::nullopt};
  a.verdict = Verdict::healthy;

  StatusSnapshot b;
  b.namespace_ = "team-b";
  b.key_created_at = at("2026-09-01T00:00:00Z");
  b.staged_key_present = false;
  b.rotation_unfinished = true;
  b.admin_token_present = false;
  b.lock = LockState{false, ""};
  b.verdict = Verdict::broken;
  b.verdict_reason = "admin token \"missing\"\\ and\na rotation unfinished \xff";
  return {a, b};
}

}  // namespace

TEST_CASE("metrics promtool: status -o prometheus text passes promtool check metrics", "[metrics][promtool]") {
  const auto text = render_status(two_namespaces());
  const auto result = promtool_check_metrics(text);
  INFO("exposition:\n" << text << "\npromtool:\n" << result.output);
  CHECK(result.exit_code == 0);
  CHECK(result.output.empty());
}

TEST_CASE("metrics promtool: a pushed run outcome passes promtool check metrics", "[metrics][promtool]") {
  for (const int exit_code : {0, 1, 3, 143}) {
    const auto text =
        render(run_outcome_families({exit_code, std::chrono::milliseconds(1234), at("2026-11-22T03:17:10Z")}));
    const auto result = promtool_check_metrics(text);
    INFO("exposition:\n" << text << "\npromtool:\n" << result.output);
    CHECK(result.exit_code == 0);
    CHECK(result.output.empty());
  }
}

TEST_CASE("metrics promtool: the check itself finds problems (so a pass above means something)",
          "[metrics][promtool]") {
  const auto lint = promtool_check_metrics(
      "# HELP rotator_runs_count Runs.\n# TYPE rotator_runs_count counter\n"
      "rotator_runs_count 1\n");
  CHECK(lint.exit_code != 0);
  CHECK(lint.output.find("_total") != std::string::npos);
  const auto broken = promtool_check_metrics("rotator_x{namespace=\"unterminated} 1\n");
  CHECK(broken.exit_code != 0);
}
