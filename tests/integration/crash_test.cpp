#include <atomic>
#include <thread>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "formats/key_ring.h"
#include "kube/resources.h"
#include "steps_fixture.h"

using namespace rotator;
using namespace rotator::testing;
using Json = nlohmann::json;

namespace {

/// Reads rsa-keys over and over while a test runs, and counts every moment it was
/// absent or invalid: the property "never a moment without a valid key".
class KeyWatcher {
 public:
  explicit KeyWatcher(std::string ns) : ns_(std::move(ns)) {
    thread_ = std::thread([this] {
      auto client = TestCluster::get().client();
      kube::SecretApi secrets(*client);
      for (int i = 0; i < 20000 && !stop_; ++i) {
        try {
          const auto secret = secrets.get(ns_, "rsa-keys");
          if (!secret) {
            ++bad_;
          } else {
            formats::read_key_ring(*secret, util::Clock::now(), formats::WantStaged::no);
          }
          ++reads_;
        } catch (const InvalidDataError&) {
          ++bad_;
        } catch (const std::exception&) {
          // An API hiccup is not a missing key.
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    });
  }
  ~KeyWatcher() { stop(); }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  int bad() const { return bad_; }
  int reads() const { return reads_; }

 private:
  std::string ns_;
  std::atomic<bool> stop_{false};
  std::atomic<int> bad_{0};
  std::atomic<int> reads_{0};
  std::thread thread_;
};

/// Starts rotator with `args` through `proxy`, which holds its write k unsent, and
/// SIGKILLs it there: the first k-1 writes happened, the k-th never reached the
/// server. False when the run made fewer than k writes (it must then succeed).
bool killed_before_write(FaultProxy& proxy, int k, const std::vector<std::string>& args) {
  proxy.set_rules(
      Json::array({{{"match", {{"method", Json::array({"POST", "PUT", "PATCH", "DELETE"})}, {"nth_match", k}}},
                    {"action", "hang"}}}));
  proxy.clear_requests();
  std::vector<std::string> argv = {ROTATOR_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  BackgroundProcess victim(argv);
  bool held = false;
  for (int i = 0; i < 300 && victim.running(); ++i) {
    for (const auto& r : proxy.requests()) held = held || r["action"] == "hang";
    if (held) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (!held) {
    CHECK(victim.wait() == 0);
    return false;
  }
  victim.kill();
  victim.wait();
  return true;
}

}  // namespace

TEST_CASE("crash: a rotation killed before each of its writes, then rerun, ends in the same valid state") {
  TestNamespace ns;
  REQUIRE(run_rotator({"run", std::string(ROTATOR_SOURCE_DIR) + "/jobs/bootstrap.yaml", "-n", ns.name()}).exit_code ==
          0);
  const auto kubelet = deploy_token_management(ns.name(), 2);
  FaultProxy proxy;
  TempDir dir;
  const auto via_proxy = admin_kubeconfig(dir, proxy.url());
  KeyWatcher watcher(ns.name());

  int kill_points = 0;
  for (int k = 1; k <= 40; ++k) {
    const std::string id = "crash-" + std::to_string(k);
    const std::string kid_before = secret_value(ns.name(), "rsa-keys", "kid");
    if (!killed_before_write(proxy, k,
                             {"revoke-and-rotate", "--restart", "delete-pods", "--rotation-id", id, "-n", ns.name(),
                              "--kubeconfig", via_proxy.string(), "--lock-duration", "3s", "--lock-wait", "30s"})) {
      break;  // the rotation made fewer than k writes: every kill point has been exercised
    }
    ++kill_points;
    INFO("killed before write " << k);
    // Between the kill and the rerun the keys are valid, checked with openssl too.
    CHECK(keys_valid_by_openssl(ns.name()));

    const auto rerun = run_rotator(
        {"revoke-and-rotate", "--restart", "delete-pods", "--rotation-id", id, "-n", ns.name(), "--lock-wait", "30s"});
    INFO(rerun.err);
    REQUIRE(rerun.exit_code == 0);
    const std::string kid_after = secret_value(ns.name(), "rsa-keys", "kid");
    CHECK(kid_after != kid_before);
    const auto ids = rotation_history(ns.name());
    CHECK(std::count(ids.begin(), ids.end(), id) == 1);
    CHECK(keys_valid_by_openssl(ns.name()));
    TempDir token_dir;
    const auto token = token_dir.write("t.json", admin_token_file(ns.name()));
    CHECK(run_rotator({"verify", "--token-file", token.string(), "-n", ns.name()}).exit_code == 0);
    // The restart happened for the final key: recorded, and no pod predates the key.
    CHECK(kubectl({"-n", ns.name(), "get", "secret", "rsa-keys", "-o",
                   "jsonpath={.metadata.annotations.rotator\\.io/pods-restarted-for-kid}"})
              .out == kid_after);
    // A third run with the same id changes nothing.
    const auto versions = secret_versions(ns.name());
    CHECK(run_rotator({"revoke-and-rotate", "--restart", "delete-pods", "--rotation-id", id, "-n", ns.name()})
              .exit_code == 0);
    CHECK(secret_versions(ns.name()) == versions);
  }
  watcher.stop();
  WARN("kill points exercised: " << kill_points << "; rsa-keys reads while running: " << watcher.reads());
  CHECK(kill_points >= 6);
  CHECK(watcher.bad() == 0);
}

TEST_CASE("crash: key-gen and create-admin-token killed before each of their writes, then rerun, converge") {
  FaultProxy proxy;
  TempDir dir;
  const auto via_proxy = admin_kubeconfig(dir, proxy.url());
  const std::vector<std::string> through_proxy = {"--kubeconfig", via_proxy.string(), "--lock-duration",
                                                  "3s",           "--lock-wait",      "30s"};
  int keygen_points = 0;
  for (int k = 1; k <= 20; ++k) {
    TestNamespace ns("crash-keygen");
    std::vector<std::string> args = {"key-gen", "-n", ns.name()};
    args.insert(args.end(), through_proxy.begin(), through_proxy.end());
    if (!killed_before_write(proxy, k, args)) break;
    ++keygen_points;
    INFO("key-gen killed before write " << k);
    // Absent or valid, never half-written.
    if (kubectl({"-n", ns.name(), "get", "secret", "rsa-keys"}).exit_code == 0) CHECK(keys_valid_by_openssl(ns.name()));
    const auto rerun = run_rotator({"key-gen", "-n", ns.name(), "--lock-wait", "30s"});
    INFO(rerun.err);
    REQUIRE(rerun.exit_code == 0);
    CHECK(keys_valid_by_openssl(ns.name()));
  }

  int token_points = 0;
  for (int k = 1; k <= 20; ++k) {
    TestNamespace ns("crash-token");
    REQUIRE(run_rotator({"key-gen", "-n", ns.name()}).exit_code == 0);
    const std::string kid = secret_value(ns.name(), "rsa-keys", "kid");
    std::vector<std::string> args = {"create-admin-token", "-n", ns.name()};
    args.insert(args.end(), through_proxy.begin(), through_proxy.end());
    if (!killed_before_write(proxy, k, args)) break;
    ++token_points;
    INFO("create-admin-token killed before write " << k);
    CHECK(keys_valid_by_openssl(ns.name()));
    const auto rerun = run_rotator({"create-admin-token", "-n", ns.name(), "--lock-wait", "30s"});
    INFO(rerun.err);
    REQUIRE(rerun.exit_code == 0);
    CHECK(secret_value(ns.name(), "rsa-keys", "kid") == kid);  // the token step never touches the key
    TempDir token_dir;
    const auto token = token_dir.write("t.json", admin_token_file(ns.name()));
    CHECK(run_rotator({"verify", "--token-file", token.string(), "-n", ns.name()}).exit_code == 0);
    // Converged: a third run writes nothing.
    const auto versions = secret_versions(ns.name());
    CHECK(run_rotator({"create-admin-token", "-n", ns.name()}).exit_code == 0);
    CHECK(secret_versions(ns.name()) == versions);
  }
  WARN("kill points before a write: key-gen " << keygen_points << ", create-admin-token " << token_points);
  CHECK(keygen_points >= 2);
  CHECK(token_points >= 2);
}
