#include <atomic>
#include <thread>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "kube/resources.h"
#include "steps/key_ring.h"
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
            steps::read_key_ring(*secret, util::Clock::now(), steps::WantStaged::no);
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


}  // namespace

TEST_CASE("crash: a rotation killed before each of its writes, then rerun, ends in the same valid state") {
  TestNamespace ns;
  REQUIRE(run_rotator({"run", std::string(ROTATOR_SOURCE_DIR) + "/jobs/bootstrap.yaml", "-n", ns.name()}).exit_code == 0);
  deploy_token_management(ns.name(), 2);
  FaultProxy proxy;
  TempDir dir;
  const auto via_proxy = admin_kubeconfig(dir, proxy.url());
  KeyWatcher watcher(ns.name());

  int kill_points = 0;
  for (int k = 1; k <= 40; ++k) {
    const std::string id = "crash-" + std::to_string(k);
    const std::string kid_before = secret_value(ns.name(), "rsa-keys", "kid");
    // Hold the k-th write in the proxy, unsent, and kill rotator while it waits:
    // the first k-1 writes happened, the k-th never reached the server.
    proxy.set_rules(Json::array({{{"match", {{"method", Json::array({"POST", "PUT", "PATCH", "DELETE"})},
                                              {"nth_match", k}}},
                                  {"action", "hang"}}}));
    proxy.clear_requests();
    BackgroundProcess victim({ROTATOR_BINARY, "revoke-and-rotate", "--restart", "delete-pods", "--rotation-id", id,
                              "-n", ns.name(), "--kubeconfig", via_proxy.string(), "--lock-duration", "3s",
                              "--lock-wait", "30s"});
    bool held = false;
    for (int i = 0; i < 300 && victim.running(); ++i) {
      for (const auto& r : proxy.requests()) held = held || r["action"] == "hang";
      if (held) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (!held) {
      // The rotation made fewer than k writes: every kill point has been exercised.
      CHECK(victim.wait() == 0);
      break;
    }
    victim.kill();
    victim.wait();
    ++kill_points;
    INFO("killed before write " << k);
    // Between the kill and the rerun the keys are valid, checked with openssl too.
    CHECK(keys_valid_by_openssl(ns.name()));

    const auto rerun = run_rotator({"revoke-and-rotate", "--restart", "delete-pods", "--rotation-id", id, "-n",
                                    ns.name(), "--lock-wait", "30s"});
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
                   "jsonpath={.metadata.annotations.rotator\\.io/pods-restarted-for-kid}"}).out == kid_after);
    // A third run with the same id changes nothing.
    const auto versions = secret_versions(ns.name());
    CHECK(run_rotator({"revoke-and-rotate", "--restart", "delete-pods", "--rotation-id", id, "-n", ns.name()}).exit_code == 0);
    CHECK(secret_versions(ns.name()) == versions);
  }
  watcher.stop();
  WARN("kill points exercised: " << kill_points << "; rsa-keys reads while running: " << watcher.reads());
  CHECK(kill_points >= 6);
  CHECK(watcher.bad() == 0);
}
