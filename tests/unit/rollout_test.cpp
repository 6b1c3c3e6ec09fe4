#include <catch2/catch.hpp>

#include "kube/rollout.h"

using namespace rotator::kube;
using Json = nlohmann::json;
using State = RolloutStatus::State;

namespace {
Json deployment(long generation, long observed, long replicas, long updated, long total, long available) {
  return {{"metadata", {{"name", "token-management"}, {"generation", generation}}},
          {"spec", {{"replicas", replicas}}},
          {"status",
           {{"observedGeneration", observed},
            {"updatedReplicas", updated},
            {"replicas", total},
            {"availableReplicas", available}}}};
}
}  // namespace

TEST_CASE("rollout: a Deployment is judged as kubectl rollout status judges it") {
  CHECK(rollout_status(WorkloadKind::deployment, deployment(3, 2, 2, 2, 2, 2)).message ==
        "Waiting for deployment spec update to be observed...");
  CHECK_THAT(rollout_status(WorkloadKind::deployment, deployment(3, 3, 2, 1, 3, 2)).message,
             Catch::Contains("1 out of 2 new replicas have been updated"));
  CHECK_THAT(rollout_status(WorkloadKind::deployment, deployment(3, 3, 2, 2, 3, 2)).message,
             Catch::Contains("1 old replicas are pending termination"));
  CHECK_THAT(rollout_status(WorkloadKind::deployment, deployment(3, 3, 2, 2, 2, 1)).message,
             Catch::Contains("1 of 2 updated replicas are available"));
  const auto done = rollout_status(WorkloadKind::deployment, deployment(3, 3, 2, 2, 2, 2));
  CHECK(done.state == State::complete);
  CHECK(done.message == "deployment \"token-management\" successfully rolled out");
}

TEST_CASE("rollout: a Deployment past its progress deadline has failed") {
  Json d = deployment(3, 3, 2, 1, 2, 1);
  d["status"]["conditions"] =
      Json::array({{{"type", "Progressing"}, {"status", "False"}, {"reason", "ProgressDeadlineExceeded"}}});
  CHECK(rollout_status(WorkloadKind::deployment, d).state == State::failed);
}

TEST_CASE("rollout: StatefulSets wait for ready pods and the update revision") {
  Json s = {
      {"metadata", {{"name", "s"}, {"generation", 2}}},
      {"spec", {{"replicas", 2}, {"updateStrategy", {{"type", "RollingUpdate"}}}}},
      {"status", {{"observedGeneration", 2}, {"readyReplicas", 1}, {"updateRevision", "b"}, {"currentRevision", "a"}}}};
  CHECK(rollout_status(WorkloadKind::stateful_set, s).state == State::in_progress);
  s["status"]["readyReplicas"] = 2;
  CHECK_THAT(rollout_status(WorkloadKind::stateful_set, s).message, Catch::Contains("rolling update to complete"));
  s["status"]["currentRevision"] = "b";
  CHECK(rollout_status(WorkloadKind::stateful_set, s).state == State::complete);
  s["spec"]["updateStrategy"]["type"] = "OnDelete";
  CHECK(rollout_status(WorkloadKind::stateful_set, s).state == State::failed);
}

TEST_CASE("rollout: DaemonSets wait for updated and available pods") {
  Json d = {{"metadata", {{"name", "d"}, {"generation", 1}}},
            {"spec", {{"updateStrategy", {{"type", "RollingUpdate"}}}}},
            {"status",
             {{"observedGeneration", 1},
              {"desiredNumberScheduled", 3},
              {"updatedNumberScheduled", 2},
              {"numberAvailable", 3}}}};
  CHECK(rollout_status(WorkloadKind::daemon_set, d).state == State::in_progress);
  d["status"]["updatedNumberScheduled"] = 3;
  CHECK(rollout_status(WorkloadKind::daemon_set, d).state == State::complete);
}

TEST_CASE("rollout: workload references parse as kubectl writes them") {
  CHECK(parse_workload_ref("deployment/token-management").kind == WorkloadKind::deployment);
  CHECK(parse_workload_ref("sts/x").kind == WorkloadKind::stateful_set);
  CHECK(parse_workload_ref("ds/x").name == "x");
  for (const char* bad : {"token-management", "pod/x", "deployment/", "/x", "deployment/a/b"}) {
    INFO(bad);
    CHECK_THROWS(parse_workload_ref(bad));
  }
}
