#include <catch2/catch.hpp>

#include "metrics/run_outcome.h"
#include "metrics/status_metrics.h"
#include "util/time.h"

using namespace rotator;
using namespace rotator::metrics;

namespace {

util::TimePoint at(const char* rfc3339) {
  return *util::parse_rfc3339(rfc3339);
}

StatusSnapshot healthy_snapshot() {
  StatusSnapshot s;
  s.namespace_ = "team-a";
  s.key_kid = "kid-current";
  s.key_algorithm = "RS256";
  s.key_created_at = at("2026-11-01T00:00:00Z");
  s.staged_key_present = true;
  s.retired_keys = {{"kid-old", at("2026-11-01T01:00:00Z")}};
  s.last_rotation_at = at("2026-11-01T00:00:05Z");
  s.rotation_unfinished = false;
  s.admin_token_present = true;
  s.admin_token_expires_at = at("2026-12-01T00:00:00Z");
  s.lock = LockState{false, ""};
  s.management_tokens = TokenCounts{2, 1, 3, at("2026-11-02T00:00:00Z")};
  s.database_tokens = TokenCounts{5, 0, 0, std::nullopt};
  s.verdict = Verdict::healthy;
  return s;
}

bool has_line(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos || text.starts_with(line + "\n");
}

}  // namespace

TEST_CASE("metrics status: every field of a namespace becomes its gauge, times in epoch seconds", "[metrics]") {
  const auto text = render_status({healthy_snapshot()});
  INFO(text);
  for (const char* line : {
           R"(rotator_signing_key_info{namespace="team-a",kid="kid-current",algorithm="RS256"} 1)",
           R"(rotator_signing_key_created_timestamp_seconds{namespace="team-a"} 1793491200)",
           R"(rotator_staged_key_present{namespace="team-a"} 1)",
           R"(rotator_retired_key_trusted_until_timestamp_seconds{namespace="team-a",kid="kid-old"} 1793494800)",
           R"(rotator_last_rotation_timestamp_seconds{namespace="team-a"} 1793491205)",
           R"(rotator_rotation_unfinished{namespace="team-a"} 0)",
           R"(rotator_admin_token_present{namespace="team-a"} 1)",
           R"(rotator_admin_token_expiration_timestamp_seconds{namespace="team-a"} 1796083200)",
           R"(rotator_lock_held{namespace="team-a"} 0)",
           R"(rotator_tokens{namespace="team-a",kind="management",state="active"} 2)",
           R"(rotator_tokens{namespace="team-a",kind="management",state="expired"} 1)",
           R"(rotator_tokens{namespace="team-a",kind="management",state="revoked"} 3)",
           R"(rotator_tokens{namespace="team-a",kind="database",state="active"} 5)",
           R"(rotator_token_next_expiration_timestamp_seconds{namespace="team-a",kind="management"} 1793577600)",
           R"(rotator_verdict{namespace="team-a",verdict="healthy"} 1)",
           R"(rotator_verdict{namespace="team-a",verdict="degraded"} 0)",
           R"(rotator_verdict{namespace="team-a",verdict="broken"} 0)",
       }) {
    CHECK(has_line(text, line));
  }
  // No database token expires: no next-expiry series for that kind; healthy: no reason.
  CHECK(text.find(R"(kind="database"} )") == std::string::npos);
  CHECK(text.find("rotator_verdict_reason_info") == std::string::npos);
}

TEST_CASE("metrics status: what status could not read is left out, not reported as zero", "[metrics]") {
  StatusSnapshot s;
  s.namespace_ = "team-b";
  s.verdict = Verdict::broken;
  s.verdict_reason = "Secret rsa-keys: forbidden";
  const auto text = render_status({s});
  INFO(text);
  for (const char* family : {"rotator_signing_key_", "rotator_staged_key_present", "rotator_retired_key_",
                             "rotator_last_rotation_", "rotator_rotation_unfinished", "rotator_admin_token_",
                             "rotator_lock_held", "rotator_tokens", "rotator_token_next_"}) {
    CHECK(text.find(family) == std::string::npos);
  }
  CHECK(has_line(text, R"(rotator_verdict{namespace="team-b",verdict="broken"} 1)"));
  CHECK(has_line(
      text,
      R"(rotator_verdict_reason_info{namespace="team-b",verdict="broken",reason="Secret rsa-keys: forbidden"} 1)"));
}

TEST_CASE("metrics status: a held lock names its holder", "[metrics]") {
  auto s = healthy_snapshot();
  s.lock = LockState{true, "rotator-rotate-28391-abcde"};
  s.rotation_unfinished = true;
  const auto text = render_status({s});
  CHECK(has_line(text, R"(rotator_lock_held{namespace="team-a",holder="rotator-rotate-28391-abcde"} 1)"));
  CHECK(has_line(text, R"(rotator_rotation_unfinished{namespace="team-a"} 1)"));
}

TEST_CASE("metrics status: several namespaces share each family, written once", "[metrics]") {
  auto a = healthy_snapshot();
  auto b = healthy_snapshot();
  b.namespace_ = "team-b";
  b.verdict = Verdict::degraded;
  b.verdict_reason = "no staged key (run key-gen)";
  b.staged_key_present = false;
  const auto text = render_status({a, b});
  std::size_t type_lines = 0;
  for (std::size_t at_ = text.find("# TYPE rotator_staged_key_present"); at_ != std::string::npos;
       at_ = text.find("# TYPE rotator_staged_key_present", at_ + 1)) {
    ++type_lines;
  }
  CHECK(type_lines == 1);
  const auto first = text.find(R"(rotator_staged_key_present{namespace="team-a"} 1)");
  const auto second = text.find(R"(rotator_staged_key_present{namespace="team-b"} 0)");
  REQUIRE(first != std::string::npos);
  REQUIRE(second != std::string::npos);
  CHECK(second == text.find('\n', first) + 1);  // adjacent: one family, one block
  CHECK(has_line(text, R"(rotator_verdict{namespace="team-b",verdict="degraded"} 1)"));
}

TEST_CASE("metrics status: a push leaves the namespace label to the grouping key", "[metrics]") {
  const auto text = render(status_families({healthy_snapshot()}, NamespaceLabel::omit));
  CHECK(text.find("namespace=") == std::string::npos);
  CHECK(has_line(text, R"(rotator_staged_key_present 1)"));
  CHECK(has_line(text, R"(rotator_signing_key_info{kid="kid-current",algorithm="RS256"} 1)"));
}

TEST_CASE("metrics run outcome: a success carries the last-success timestamp, a failure does not", "[metrics]") {
  const RunOutcome good{0, std::chrono::milliseconds(2500), at("2026-11-22T05:15:12Z")};
  const auto good_text = render(run_outcome_families(good));
  INFO(good_text);
  CHECK(has_line(good_text, "rotator_run_duration_seconds 2.5"));
  CHECK(has_line(good_text, "rotator_run_exit_code 0"));
  CHECK(has_line(good_text, "rotator_run_success 1"));
  CHECK(has_line(good_text, "rotator_run_finished_timestamp_seconds 1795324512"));
  CHECK(has_line(good_text, "rotator_run_last_success_timestamp_seconds 1795324512"));

  const RunOutcome bad{5, std::chrono::milliseconds(120), at("2026-11-23T05:15:12Z")};
  const auto bad_text = render(run_outcome_families(bad));
  INFO(bad_text);
  CHECK(has_line(bad_text, "rotator_run_exit_code 5"));
  CHECK(has_line(bad_text, "rotator_run_success 0"));
  CHECK(has_line(bad_text, "rotator_run_duration_seconds 0.12"));
  CHECK(bad_text.find("rotator_run_last_success_timestamp_seconds") == std::string::npos);
  CHECK(bad_text.find("namespace") == std::string::npos);
  CHECK(bad_text.find("job") == std::string::npos);
}
