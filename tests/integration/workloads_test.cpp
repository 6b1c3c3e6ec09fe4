#include <thread>

#include <catch2/catch.hpp>

#include "cluster_fixture.h"
#include "kube/resources.h"
#include "kube/rollout.h"
#include "steps_fixture.h"
#include "util/time.h"

using namespace rotator;
using namespace rotator::testing;
using Json = nlohmann::json;

namespace {

/// Polls the rollout, marking pods Ready as the kubelet would, until it completes.
kube::RolloutStatus wait_for_rollout(kube::Client& client, const std::string& ns, const kube::WorkloadRef& ref) {
  kube::WorkloadApi workloads(client);
  kube::RolloutStatus status;
  for (int i = 0; i < 150; ++i) {
    mark_pods_ready(client, ns, "app=token-management");
    status = kube::rollout_status(ref.kind, *workloads.get(ns, ref));
    if (status.state != kube::RolloutStatus::State::in_progress) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return status;
}

}  // namespace

TEST_CASE("workloads: a template annotation restarts a Deployment, judged complete as kubectl judges it") {
  TestNamespace ns;
  auto client = TestCluster::get().client();
  apply_token_management(ns.name(), 2);
  const auto ref = kube::parse_workload_ref("deployment/token-management");

  auto first = wait_for_rollout(*client, ns.name(), ref);
  REQUIRE(first.state == kube::RolloutStatus::State::complete);
  CHECK(kubectl({"-n", ns.name(), "rollout", "status", "deployment/token-management", "--timeout=5s"}).exit_code == 0);
  kube::PodApi pods(*client);
  const auto old_pods = pods.list(ns.name(), "app=token-management");
  REQUIRE(old_pods.size() == 2);

  kube::WorkloadApi workloads(*client);
  const auto patched = workloads.patch_template_annotations(ns.name(), ref, {{"rotator.io/kid", "abc"}});
  CHECK(patched["spec"]["template"]["metadata"]["annotations"]["rotator.io/kid"] == "abc");
  // Right after the patch the rollout cannot be complete yet.
  CHECK(kube::rollout_status(ref.kind, *workloads.get(ns.name(), ref)).state ==
        kube::RolloutStatus::State::in_progress);

  const auto second = wait_for_rollout(*client, ns.name(), ref);
  CHECK(second.state == kube::RolloutStatus::State::complete);
  CHECK(second.message == "deployment \"token-management\" successfully rolled out");
  CHECK(kubectl({"-n", ns.name(), "rollout", "status", "deployment/token-management", "--timeout=5s"}).exit_code == 0);

  // Old pods are gone or going; the new ones carry the annotation.
  int annotated = 0;
  for (const auto& pod : pods.list(ns.name(), "app=token-management")) {
    if (pod.terminating) continue;
    CHECK(pod.metadata.annotations.at("rotator.io/kid") == "abc");
    ++annotated;
  }
  CHECK(annotated == 2);
}

TEST_CASE("workloads: pods are listed by selector and deleted with preconditions") {
  TestNamespace ns;
  auto client = TestCluster::get().client();
  apply_token_management(ns.name(), 1);
  kube::PodApi pods(*client);
  std::vector<kube::Pod> listed;
  for (int i = 0; i < 50 && listed.empty(); ++i) {
    listed = pods.list(ns.name(), "app=token-management");
    if (listed.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  REQUIRE(listed.size() == 1);
  CHECK(pods.list(ns.name(), "app=other").empty());
  try {
    pods.remove(ns.name(), listed[0].metadata.name, {"00000000-0000-0000-0000-000000000000", ""});
    FAIL("delete with a wrong uid succeeded");
  } catch (const kube::ApiError& e) {
    CHECK(e.reason() == kube::Reason::conflict);
  }
  pods.remove(ns.name(), listed[0].metadata.name, {listed[0].metadata.uid, ""});
  CHECK(kubectl({"-n", ns.name(), "get", "pod", listed[0].metadata.name}).exit_code != 0);
  CHECK_FALSE(kube::WorkloadApi(*client).get(ns.name(), kube::parse_workload_ref("deployment/absent")).has_value());
}

TEST_CASE("leases: create, update with a precondition, and a stale update is a conflict") {
  TestNamespace ns;
  auto client = TestCluster::get().client();
  kube::LeaseApi leases(*client);
  CHECK_FALSE(leases.get(ns.name(), "rotator-lock").has_value());
  kube::Lease lease;
  lease.metadata.name = "rotator-lock";
  lease.metadata.namespace_ = ns.name();
  lease.holder_identity = "test-holder";
  lease.lease_duration_seconds = 30;
  lease.acquire_time = lease.renew_time = util::Clock::now();
  const auto created = leases.create(lease);
  CHECK(created.holder_identity == "test-holder");
  REQUIRE(created.renew_time.has_value());

  auto renewed = created;
  renewed.renew_time = util::Clock::now();
  const auto updated = leases.update(renewed);
  CHECK(updated.metadata.resource_version != created.metadata.resource_version);
  auto stale = created;
  stale.holder_identity = "thief";
  try {
    leases.update(stale);
    FAIL("stale lease update succeeded");
  } catch (const kube::ApiError& e) {
    CHECK(e.reason() == kube::Reason::conflict);
  }
  CHECK(kubectl({"-n", ns.name(), "get", "lease", "rotator-lock", "-o", "jsonpath={.spec.holderIdentity}"}).out ==
        "test-holder");
}

TEST_CASE("events: an Event about a Secret is visible to kubectl") {
  TestNamespace ns;
  auto client = TestCluster::get().client();
  kube::Secret s;
  s.metadata.name = "rsa-keys";
  s.metadata.namespace_ = ns.name();
  const auto created = kube::SecretApi(*client).create(s);
  kube::EventSpec event;
  event.namespace_ = ns.name();
  event.involved_kind = "Secret";
  event.involved_api_version = "v1";
  event.involved_name = "rsa-keys";
  event.involved_uid = created.metadata.uid;
  event.reason = "KeyGenerated";
  event.message = "generated key kid=abc";
  kube::EventApi(*client).create(event, util::Clock::now());
  const auto seen = kubectl({"-n", ns.name(), "get", "events", "--field-selector", "involvedObject.name=rsa-keys", "-o",
                             "jsonpath={.items[0].reason}"});
  CHECK(seen.out == "KeyGenerated");
}
