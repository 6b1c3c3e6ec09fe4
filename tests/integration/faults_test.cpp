// Faults between rotator and the real API server, injected by the fault proxy:
// a seeded 20% rate of 503, 429 (Retry-After 0/1) and connection resets still
// converges; a 401/403/404, the server going away, or a certificate of another
// CA at any write of a rotation ends with one clear line and its exit code, and
// a rerun against the healthy server finishes the same rotation.

#include <functional>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "kube/resources.h"
#include "steps_fixture.h"

using namespace rotator;
using namespace rotator::testing;
using Json = nlohmann::json;

TEST_CASE("faults: bootstrap, scheduled and incident rotation converge under a 20% transient fault rate") {
  TestNamespace ns;
  const std::string n = ns.name();
  const auto kubelet = deploy_token_management(n, 2);
  FaultProxy proxy;
  TempDir dir;
  const auto via_proxy = admin_kubeconfig(dir, proxy.url());
  int first_try = 0;
  int reruns = 0;
  int faults = 0;
  int requests = 0;
  for (int seed = 1; seed <= 3; ++seed) {
    // 0.07 + 0.93*0.075 + ... : about 20% of requests get one of the faults.
    proxy.set_rules(Json::array({
        {{"match", Json::object()},
         {"action", "status"},
         {"status", 503},
         {"probability", 0.07},
         {"seed", seed * 10 + 1}},
        {{"match", Json::object()},
         {"action", "status"},
         {"status", 429},
         {"retry_after", seed % 2},
         {"probability", 0.075},
         {"seed", seed * 10 + 2}},
        {{"match", Json::object()}, {"action", "reset_before"}, {"probability", 0.08}, {"seed", seed * 10 + 3}},
    }));
    proxy.clear_requests();
    const std::string id = "faults-" + std::to_string(seed);
    const std::vector<std::vector<std::string>> runs = {
        {"run", std::string(ROTATOR_SOURCE_DIR) + "/jobs/bootstrap.yaml", "-n", n},
        {"revoke-and-rotate", "--restart", "delete-pods", "--rotation-id", id + "-scheduled", "-n", n},
        {"revoke-and-rotate", "--restart", "delete-pods", "--fresh", "--rotation-id", id + "-incident", "-n", n},
    };
    for (const auto& args : runs) {
      auto with_proxy = args;
      with_proxy.insert(with_proxy.end(),
                        {"--kubeconfig", via_proxy.string(), "--lock-duration", "3s", "--lock-wait", "30s"});
      const auto result = run_rotator(with_proxy);
      INFO(args[0] << " seed " << seed << "\n" << result.err);
      CHECK(result.exit_code <= 1);
      if (result.exit_code == 0) {
        ++first_try;
        continue;
      }
      ++reruns;
      auto rerun_args = args;
      rerun_args.insert(rerun_args.end(), {"--lock-wait", "30s"});
      const auto rerun = run_rotator(rerun_args);
      INFO(rerun.err);
      REQUIRE(rerun.exit_code == 0);
    }
    for (const auto& r : proxy.requests()) {
      ++requests;
      faults += r["action"] != "forwarded" ? 1 : 0;
    }
    proxy.set_rules(Json::array());
    const auto ids = rotation_history(n);
    CHECK(std::count(ids.begin(), ids.end(), id + "-scheduled") == 1);
    CHECK(std::count(ids.begin(), ids.end(), id + "-incident") == 1);
    CHECK(keys_valid_by_openssl(n));
    TempDir token_dir;
    const auto token = token_dir.write("t.json", admin_token_file(n));
    CHECK(run_rotator({"verify", "--token-file", token.string(), "-n", n}).exit_code == 0);
  }
  WARN("runs that converged at once: " << first_try << ", after a rerun: " << reruns << "; faults injected: " << faults
                                       << " of " << requests << " requests");
  CHECK(faults * 100 >= requests * 12);
}

namespace {

/// A fault the proxy injects at one write of a rotation, and what the run must
/// then say: exit_code and one error line containing `says`, or exit 0 with only
/// a warning when the write lost was best-effort (an Event, the lock's release,
/// deleting a pod already gone).
struct WriteFault {
  Json rule;  ///< the proxy rule's action fields
  int exit_code;
  std::string says;
};

/// Injects make_fault(k) at write k of a rotation, for every k the rotation
/// reaches, each time through a fresh proxy (the "down" and "swap_cert" faults
/// last for the proxy's life). After each: a valid key pair at once, and a rerun
/// against the healthy server finishes the same rotation exactly once.
void fault_at_every_write_of_a_rotation(const std::string& name, const std::function<WriteFault(int)>& make_fault) {
  TestNamespace ns;
  const std::string n = ns.name();
  REQUIRE(run_rotator({"run", std::string(ROTATOR_SOURCE_DIR) + "/jobs/bootstrap.yaml", "-n", n}).exit_code == 0);
  const auto kubelet = deploy_token_management(n, 2);
  int points = 0;
  int failed_runs = 0;
  for (int k = 1; k <= 30; ++k) {
    const auto fault = make_fault(k);
    FaultProxy proxy;
    TempDir dir;
    const auto via_proxy = admin_kubeconfig(dir, proxy.url());
    const std::string id = name + "-" + std::to_string(k);
    Json rule = fault.rule;
    rule["match"] = {{"method", Json::array({"POST", "PUT", "PATCH", "DELETE"})}, {"nth_match", k}};
    proxy.set_rules(Json::array({rule}));
    const auto first = run_rotator({"revoke-and-rotate", "--restart", "delete-pods", "--rotation-id", id, "-n", n,
                                    "--kubeconfig", via_proxy.string(), "--lock-duration", "3s", "--lock-wait", "30s"});
    bool fired = false;
    for (const auto& r : proxy.requests()) fired = fired || r["action"] == rule["action"];
    INFO(rule.dump() << " at write " << k << "\n" << first.err);
    if (!fired) {
      CHECK(first.exit_code == 0);
      break;
    }
    ++points;
    CHECK((first.exit_code == 0 || first.exit_code == fault.exit_code));
    if (first.exit_code != 0) {
      ++failed_runs;
      CHECK(first.err.find("rotator: error:") == first.err.rfind("rotator: error:"));
      CHECK_THAT(first.err, Catch::Contains("rotator: error:") && Catch::Contains(fault.says));
    }
    CHECK(keys_valid_by_openssl(n));
    // The server is back (the operator fixed the network, the kubeconfig, the RBAC).
    rerun_finishes_rotation(n, id);
  }
  WARN(name << " at each of " << points << " writes of a rotation (" << failed_runs
            << " failed the run, the others only warned); each finished by a rerun");
  CHECK(points >= 6);
  CHECK(failed_runs >= 3);
}

}  // namespace

TEST_CASE(
    "faults: a 401, 403 or 404 on any write of a rotation fails with one line and its exit code or only warns, and a "
    "rerun finishes") {
  fault_at_every_write_of_a_rotation("refused", [](int k) {
    const std::vector<WriteFault> refusals = {{{{"action", "status"}, {"status", 401}}, 4, "Unauthorized"},
                                              {{{"action", "status"}, {"status", 403}}, 4, "Forbidden"},
                                              {{{"action", "status"}, {"status", 404}}, 1, "NotFound"}};
    return refusals[std::size_t(k) % refusals.size()];
  });
}

TEST_CASE("faults: the API server going down at any write of a rotation fails with one line, and a rerun finishes") {
  // The listener closes and open connections reset: retried, then "cannot reach".
  fault_at_every_write_of_a_rotation("down", [](int) {
    return WriteFault{{{"action", "down"}}, 1, "cannot reach the API server"};
  });
}

TEST_CASE("faults: a certificate of another CA at any write of a rotation fails with one line, and a rerun finishes") {
  // The next handshake shows a certificate the kubeconfig's CA did not sign:
  // never retried, never written through.
  fault_at_every_write_of_a_rotation("swap_cert", [](int) {
    return WriteFault{{{"action", "swap_cert"}}, 1, "TLS verification"};
  });
}

TEST_CASE("faults: a Secret write whose answer was lost is vouched for by no record the lock's release leaves") {
  TestNamespace ns;
  const std::string n = ns.name();
  REQUIRE(run_rotator({"run", std::string(ROTATOR_SOURCE_DIR) + "/jobs/bootstrap.yaml", "-n", n}).exit_code == 0);
  auto client = TestCluster::get().client();
  // The bootstrap's release vouches for rsa-keys at its version now.
  const auto keys_before = kube::SecretApi(*client).get(n, "rsa-keys");
  REQUIRE(keys_before.has_value());
  const std::string version_before = keys_before->metadata.resource_version;
  const auto lease_before = kube::LeaseApi(*client).get(n, "rotator-lock");
  REQUIRE(lease_before.has_value());
  REQUIRE(Json::parse(lease_before->metadata.annotations.at("rotator.io/written"))["secrets"]["rsa-keys"] ==
          version_before);
  FaultProxy proxy;
  TempDir dir;
  const auto via_proxy = admin_kubeconfig(dir, proxy.url());
  // The first write of rsa-keys lands but its answer is lost (its retry then
  // conflicts); the admin token's write is refused, so the run ends there and
  // releases the lock.
  proxy.set_rules(Json::array({
      {{"match", {{"method", "PUT"}, {"path_regex", "/secrets/rsa-keys$"}}}, {"action", "reset_after"}, {"times", 1}},
      {{"match", {{"method", "PUT"}, {"path_regex", "/secrets/admin-token$"}}}, {"action", "status"}, {"status", 403}},
  }));
  const auto run = run_rotator({"revoke-and-rotate", "--restart", "none", "-n", n, "--kubeconfig", via_proxy.string()});
  INFO(run.err);
  REQUIRE(run.exit_code == 4);
  bool lost = false;
  for (const auto& r : proxy.requests()) lost = lost || r["action"] == "reset_after";
  REQUIRE(lost);

  const auto lease = kube::LeaseApi(*client).get(n, "rotator-lock");
  REQUIRE(lease.has_value());
  const auto record = Json::parse(lease->metadata.annotations.at("rotator.io/written"));
  INFO(record.dump());
  const auto keys = kube::SecretApi(*client).get(n, "rsa-keys");
  REQUIRE(keys.has_value());
  REQUIRE(keys->metadata.resource_version != version_before);  // the write whose answer was lost landed
  // Not the version from before the lost write (a run that read that one before
  // taking the lock would keep it): no version at all, or the one it is at.
  CHECK(record["secrets"].value("rsa-keys", "") != version_before);
  if (record["secrets"].contains("rsa-keys")) CHECK(record["secrets"]["rsa-keys"] == keys->metadata.resource_version);
  CHECK(keys_valid_by_openssl(n));
}
