#include <catch2/catch.hpp>

#include "steps/restart.h"
#include "test_support.h"
#include "util/errors.h"

using namespace rotator;
using namespace rotator::steps;
using rotator::testing::t0;

namespace {

kube::Pod pod(const char* name, const char* created, bool ready, bool terminating = false) {
  kube::Pod p;
  p.metadata.name = name;
  p.metadata.creation_timestamp = util::parse_rfc3339(created);
  p.ready = ready;
  p.terminating = terminating;
  return p;
}

}  // namespace

TEST_CASE("restart: rollouts are judged from the template annotation and kubectl's rollout status") {
  const nlohmann::json done = {
      {"metadata", {{"name", "tm"}, {"generation", 2}}},
      {"spec", {{"replicas", 1}, {"template", {{"metadata", {{"annotations", {{"rotator.io/kid", "k2"}}}}}}}}},
      {"status", {{"observedGeneration", 2}, {"updatedReplicas", 1}, {"replicas", 1}, {"availableReplicas", 1}}}};
  auto waiting = done;
  waiting["status"]["availableReplicas"] = 0;
  auto stuck = done;
  stuck["status"]["conditions"] = {{{"type", "Progressing"}, {"reason", "ProgressDeadlineExceeded"}}};
  const std::tuple<const char*, nlohmann::json, const char*, RolloutAssessment::Action> cases[] = {
      {"rolled out for the kid", done, "k2", RolloutAssessment::Action::done},
      {"another kid", done, "k3", RolloutAssessment::Action::patch},
      {"no template at all", nlohmann::json::object(), "k2", RolloutAssessment::Action::patch},
      {"rolling", waiting, "k2", RolloutAssessment::Action::wait},
      {"past its progress deadline", stuck, "k2", RolloutAssessment::Action::failed},
  };
  for (const auto& [name, workload, kid, action] : cases) {
    INFO(name);
    CHECK(assess_rollout(kube::WorkloadKind::deployment, workload, kid).action == action);
  }
}

TEST_CASE("restart: the pods started before the key, not those terminating, and their replacements") {
  const auto victims =
      pods_started_before({pod("old", "2025-12-31T23:00:00Z", true), pod("same-second", "2026-01-01T00:00:00Z", true),
                           pod("new", "2026-01-01T00:00:01Z", true), pod("going", "2025-12-31T23:00:00Z", true, true)},
                          t0);
  REQUIRE(victims.size() == 2);
  CHECK(victims[0].metadata.name == "old");
  CHECK(victims[1].metadata.name == "same-second");

  const std::tuple<const char*, std::vector<kube::Pod>, long, bool> replacements[] = {
      {"all ready", {pod("a", "2026-01-01T00:00:05Z", true), pod("b", "2026-01-01T00:00:05Z", true)}, 2, true},
      {"one not ready", {pod("a", "2026-01-01T00:00:05Z", true), pod("b", "2026-01-01T00:00:05Z", false)}, 2, false},
      {"an old one still terminating",
       {pod("a", "2026-01-01T00:00:05Z", true), pod("b", "2026-01-01T00:00:05Z", true),
        pod("c", "2025-12-31T00:00:05Z", true, true)},
       2,
       false},
      {"fewer than wanted", {pod("a", "2026-01-01T00:00:05Z", true)}, 2, false},
      {"none yet", {}, 1, false},
  };
  for (const auto& [name, pods, wanted, ready] : replacements) {
    INFO(name);
    CHECK(assess_replacements(pods, wanted).ready == ready);
  }
  CHECK(parse_restart_mode("delete-pods") == RestartMode::delete_pods);
  CHECK_THROWS_AS(parse_restart_mode("bounce"), UsageError);
}
