// Crash after commit: the k-th write reaches the server and is committed, but the
// client sees a connection reset instead of the answer (fault proxy reset_after).
// The client retries (a POST then meets 409 AlreadyExists, a preconditioned PUT
// 409 Conflict), or fails; either way the run, or a rerun without faults, must
// end in the same valid state.

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "formats/key_ring.h"
#include "kube/resources.h"
#include "steps_fixture.h"

using namespace rotator;
using namespace rotator::testing;
using Json = nlohmann::json;

namespace {

const Json writes = Json::array({"POST", "PUT", "PATCH", "DELETE"});

/// Runs `args` through the proxy with a reset after the k-th write, for k = 1, 2, ...
/// until a run makes fewer than k writes; after each, `check` runs on the rerun's
/// result. Returns the number of kill points exercised.
int for_each_write(FaultProxy& proxy, const std::filesystem::path& via_proxy, const std::vector<std::string>& args,
                   const std::function<void()>& reset_world, const std::function<void(int)>& check) {
  int points = 0;
  for (int k = 1; k <= 30; ++k) {
    reset_world();
    proxy.set_rules(Json::array({{{"match", {{"method", writes}, {"nth_match", k}}}, {"action", "reset_after"}}}));
    proxy.clear_requests();
    auto with_proxy = args;
    with_proxy.insert(with_proxy.end(),
                      {"--kubeconfig", via_proxy.string(), "--lock-duration", "3s", "--lock-wait", "30s"});
    const auto first = run_rotator(with_proxy);
    bool fired = false;
    for (const auto& r : proxy.requests()) fired = fired || r["action"] == "reset_after";
    proxy.set_rules(Json::array());
    INFO("reset after write " << k << "\n" << first.err);
    CHECK(first.exit_code <= 1);
    if (!fired) {
      CHECK(first.exit_code == 0);
      break;
    }
    ++points;
    auto rerun_args = args;
    rerun_args.insert(rerun_args.end(), {"--lock-wait", "30s"});
    const auto rerun = run_rotator(rerun_args);
    INFO(rerun.err);
    REQUIRE(rerun.exit_code == 0);
    check(k);
  }
  return points;
}

}  // namespace

TEST_CASE(
    "crash after commit: key-gen, create-admin-token and a rotation converge when the answer to any write is lost") {
  TestNamespace ns;
  const std::string n = ns.name();
  FaultProxy proxy;
  TempDir dir;
  const auto via_proxy = admin_kubeconfig(dir, proxy.url());
  auto delete_secrets = [&] {
    kubectl({"-n", n, "delete", "secret", "rsa-keys", "admin-token", "--ignore-not-found", "--wait"});
  };

  const int keygen_points = for_each_write(proxy, via_proxy, {"key-gen", "-n", n}, delete_secrets, [&](int) {
    CHECK(keys_valid_by_openssl(n));
    const auto versions =
        kubectl({"-n", n, "get", "secret", "rsa-keys", "-o", "jsonpath={.metadata.resourceVersion}"}).out;
    CHECK(run_rotator({"key-gen", "-n", n}).exit_code == 0);
    CHECK(kubectl({"-n", n, "get", "secret", "rsa-keys", "-o", "jsonpath={.metadata.resourceVersion}"}).out ==
          versions);
  });

  REQUIRE(run_rotator({"key-gen", "-n", n}).exit_code == 0);
  auto delete_token = [&] { kubectl({"-n", n, "delete", "secret", "admin-token", "--ignore-not-found", "--wait"}); };
  const int token_points = for_each_write(proxy, via_proxy, {"create-admin-token", "-n", n}, delete_token, [&](int) {
    TempDir token_dir;
    const auto token = token_dir.write("t.json", admin_token_file(n));
    CHECK(run_rotator({"verify", "--token-file", token.string(), "-n", n}).exit_code == 0);
    const auto versions = secret_versions(n);
    CHECK(run_rotator({"create-admin-token", "-n", n}).exit_code == 0);
    CHECK(secret_versions(n) == versions);
  });

  REQUIRE(run_rotator({"create-admin-token", "-n", n}).exit_code == 0);
  const auto kubelet = deploy_token_management(n, 2);
  int round = 0;
  std::string id;
  // The rotation needs a fresh id per kill point, so it runs its own loop.
  int points = 0;
  for (int k = 1; k <= 40; ++k) {
    id = "after-commit-" + std::to_string(++round);
    const std::string kid_before = secret_value(n, "rsa-keys", "kid");
    proxy.set_rules(Json::array({{{"match", {{"method", writes}, {"nth_match", k}}}, {"action", "reset_after"}}}));
    proxy.clear_requests();
    const auto first = run_rotator({"revoke-and-rotate", "--restart", "delete-pods", "--rotation-id", id, "-n", n,
                                    "--kubeconfig", via_proxy.string(), "--lock-duration", "3s", "--lock-wait", "30s"});
    bool fired = false;
    for (const auto& r : proxy.requests()) fired = fired || r["action"] == "reset_after";
    proxy.set_rules(Json::array());
    INFO("reset after write " << k << "\n" << first.err);
    CHECK(first.exit_code <= 1);
    if (!fired) break;
    ++points;
    rerun_finishes_rotation(n, id);
    CHECK(secret_value(n, "rsa-keys", "kid") != kid_before);
  }
  WARN("kill points after commit: key-gen " << keygen_points << ", create-admin-token " << token_points
                                            << ", revoke-and-rotate " << points);
  CHECK(keygen_points >= 1);
  CHECK(token_points >= 1);
  CHECK(points >= 6);
}
