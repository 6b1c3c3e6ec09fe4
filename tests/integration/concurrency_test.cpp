// Concurrent runs: the Lease serializes rotations, a rotation id runs once however
// many runs carry it, and a lock whose holder died is taken over once it expires.

#include <algorithm>
#include <future>
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

int key_rotated_events(const std::string& ns) {
  const auto events = kubectl({"-n", ns, "get", "events", "--field-selector", "reason=KeyRotated", "-o", "name"});
  REQUIRE(events.exit_code == 0);
  return static_cast<int>(std::count(events.out.begin(), events.out.end(), '\n'));
}

/// Runs `revoke-and-rotate` with each id at once; returns the exit codes.
std::vector<int> rotate_at_once(const std::string& ns, const std::vector<std::string>& ids) {
  std::vector<std::future<CommandResult>> runs;
  for (const auto& id : ids) {
    runs.push_back(std::async(std::launch::async, [ns, id] {
      return run({ROTATOR_BINARY, "revoke-and-rotate", "-n", ns, "--rotation-id", id, "--restart", "none",
                  "--lock-wait", "60s"});
    }));
  }
  std::vector<int> codes;
  for (auto& r : runs) {
    const auto result = r.get();
    INFO(result.err);
    CHECK_FALSE(has_sanitizer_report(result.err));
    codes.push_back(result.exit_code);
  }
  return codes;
}

void check_final_state_valid(const std::string& ns) {
  CHECK(keys_valid_by_openssl(ns));
  TempDir dir;
  const auto token = dir.write("t.json", admin_token_file(ns));
  CHECK(run_rotator({"verify", "--token-file", token.string(), "-n", ns}).exit_code == 0);
  const std::string jwt = Json::parse(admin_token_file(ns))["access_token"];
  CHECK(openssl_verifies_jwt(jwt, secret_value(ns, "rsa-keys", "public.pem")));
}

/// Bootstraps `ns`; its Lease, as the bootstrap released it, with a write record.
kube::Lease bootstrapped_lease(const std::string& ns, kube::LeaseApi& leases) {
  REQUIRE(run_rotator({"run", std::string(ROTATOR_SOURCE_DIR) + "/jobs/bootstrap.yaml", "-n", ns}).exit_code == 0);
  auto lease = leases.get(ns, "rotator-lock");
  REQUIRE(lease.has_value());
  REQUIRE(lease->metadata.annotations.contains("rotator.io/written"));
  return *lease;
}

}  // namespace

TEST_CASE("concurrency: 8 runs with the same rotation id rotate exactly once") {
  TestNamespace ns;
  REQUIRE(run_rotator({"run", std::string(ROTATOR_SOURCE_DIR) + "/jobs/bootstrap.yaml", "-n", ns.name()}).exit_code ==
          0);
  const std::string kid_before = secret_value(ns.name(), "rsa-keys", "kid");
  const auto codes = rotate_at_once(ns.name(), std::vector<std::string>(8, "same-id"));
  CHECK(std::all_of(codes.begin(), codes.end(), [](int c) { return c == 0; }));
  const auto ids = rotation_history(ns.name());
  CHECK(std::count(ids.begin(), ids.end(), "same-id") == 1);
  CHECK(key_rotated_events(ns.name()) == 1);
  CHECK(secret_value(ns.name(), "rsa-keys", "kid") != kid_before);
  check_final_state_valid(ns.name());
}

TEST_CASE("concurrency: 8 runs with different rotation ids are serialized by the Lease, none lost") {
  TestNamespace ns;
  REQUIRE(run_rotator({"run", std::string(ROTATOR_SOURCE_DIR) + "/jobs/bootstrap.yaml", "-n", ns.name()}).exit_code ==
          0);
  std::vector<std::string> wanted;
  for (int i = 1; i <= 8; ++i) wanted.push_back("id-" + std::to_string(i));
  const auto codes = rotate_at_once(ns.name(), wanted);
  CHECK(std::all_of(codes.begin(), codes.end(), [](int c) { return c == 0; }));
  const auto ids = rotation_history(ns.name());
  for (const auto& id : wanted) {
    INFO(id);
    CHECK(std::count(ids.begin(), ids.end(), id) == 1);
  }
  CHECK(key_rotated_events(ns.name()) == 8);
  check_final_state_valid(ns.name());
}

TEST_CASE("concurrency: the lock of a SIGKILLed holder on this machine is taken over at once") {
  TestNamespace ns;
  REQUIRE(run_rotator({"run", std::string(ROTATOR_SOURCE_DIR) + "/jobs/bootstrap.yaml", "-n", ns.name()}).exit_code ==
          0);
  FaultProxy proxy;
  TempDir dir;
  const auto via_proxy = admin_kubeconfig(dir, proxy.url());
  // Hold the first Secret write: by then the victim holds the Lease.
  proxy.set_rules(
      Json::array({{{"match", {{"method", Json::array({"PUT", "PATCH", "POST"})}, {"path_regex", "/secrets"}}},
                    {"action", "hang"}}}));
  BackgroundProcess victim({ROTATOR_BINARY, "revoke-and-rotate", "-n", ns.name(), "--kubeconfig", via_proxy.string(),
                            "--rotation-id", "victim", "--restart", "none", "--lock-duration", "30s"});
  bool held = false;
  for (int i = 0; i < 300 && !held && victim.running(); ++i) {
    for (const auto& r : proxy.requests()) held = held || r["action"] == "hang";
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  REQUIRE(held);
  // While it lives, the lock is held: exit 3 at once, naming the holder and when it expires.
  const auto busy = run_rotator(
      {"revoke-and-rotate", "-n", ns.name(), "--rotation-id", "victim", "--restart", "none", "--lock-wait", "0"});
  CHECK(busy.exit_code == 3);
  CHECK_THAT(busy.err, Catch::Contains("revoke-and-rotate by user admin") && Catch::Contains("rotation victim") &&
                           Catch::Contains("expires at") && Catch::Contains("rotator unlock -n " + ns.name()));
  victim.kill();
  victim.wait();
  // Its process is gone from this machine: no wait for its 30s lease.
  const auto rerun = run_rotator(
      {"revoke-and-rotate", "-n", ns.name(), "--rotation-id", "victim", "--restart", "none", "--lock-wait", "0"});
  INFO(rerun.err);
  CHECK(rerun.exit_code == 0);
  CHECK_THAT(rerun.err, Catch::Contains("process or pod is gone"));
  const auto ids = rotation_history(ns.name());
  CHECK(std::count(ids.begin(), ids.end(), "victim") == 1);
  check_final_state_valid(ns.name());
}

TEST_CASE("concurrency: a holder that cannot be proven gone keeps the lock until its lease expires") {
  TestNamespace ns;
  REQUIRE(run_rotator({"run", std::string(ROTATOR_SOURCE_DIR) + "/jobs/bootstrap.yaml", "-n", ns.name()}).exit_code ==
          0);
  // A run on another machine holds it (no process of ours to look at).
  const auto now = util::Clock::now();
  auto client = TestCluster::get().client();
  kube::LeaseApi leases(*client);
  auto lease = leases.get(ns.name(), "rotator-lock");  // the bootstrap's, released
  REQUIRE(lease.has_value());
  lease->holder_identity = "revoke-and-rotate by user ops on host elsewhere (pid 7) #abcd1234";
  lease->lease_duration_seconds = 3;
  lease->acquire_time = lease->renew_time = now;
  leases.update(*lease);
  const auto busy = run_rotator(
      {"revoke-and-rotate", "-n", ns.name(), "--rotation-id", "later", "--restart", "none", "--lock-wait", "0"});
  CHECK(busy.exit_code == 3);
  CHECK_THAT(busy.err, Catch::Contains("held by revoke-and-rotate by user ops on host elsewhere"));
  // Waiting past the 3s lease: taken over, and the rotation runs.
  const auto started = std::chrono::steady_clock::now();
  const auto rerun = run_rotator(
      {"revoke-and-rotate", "-n", ns.name(), "--rotation-id", "later", "--restart", "none", "--lock-wait", "30s"});
  INFO(rerun.err);
  CHECK(rerun.exit_code == 0);
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(20));
  const auto ids = rotation_history(ns.name());
  CHECK(std::count(ids.begin(), ids.end(), "later") == 1);
  check_final_state_valid(ns.name());
}

TEST_CASE("concurrency: a run that waited for the lock reads every Secret again under it") {
  TestNamespace ns;
  auto client = TestCluster::get().client();
  kube::LeaseApi leases(*client);
  kube::Lease lease = bootstrapped_lease(ns.name(), leases);
  // Another run holds the lock...
  lease.holder_identity = "revoke-and-rotate by user ops on host elsewhere (pid 7) #abcd1234";
  lease.lease_duration_seconds = 60;
  lease.acquire_time = lease.renew_time = util::Clock::now();
  kube::Lease held = leases.update(lease);
  // ...while this one reads the Secrets and waits for it.
  const std::size_t before = rotator_request_count(ns.name());
  auto waiting = std::async(std::launch::async, [name = ns.name()] {
    return run({ROTATOR_BINARY, "revoke-and-rotate", "-n", name, "--rotation-id", "after-holder", "--restart", "none",
                "--lock-wait", "60s"});
  });
  // It waits once its patch of the Lease is refused and it has read the Lease.
  REQUIRE(rotator_requests_since(ns.name(), before, 4).size() >= 4);
  // rsa-keys changes during the wait (kubectl, so that the audit log tells its
  // reads from the run's); the holder releases the lock with a record that vouches
  // for both Secrets at their versions now, as a rotator's release would.
  REQUIRE(kubectl({"-n", ns.name(), "annotate", "secret", "rsa-keys", "example.com/touched-by=someone"}).exit_code ==
          0);
  const auto version_of = [&](const std::string& secret) {
    const auto got = kubectl({"-n", ns.name(), "get", "secret", secret, "-o", "jsonpath={.metadata.resourceVersion}"});
    REQUIRE(got.exit_code == 0);
    return got.out;
  };
  held.holder_identity.clear();
  held.metadata.annotations.erase("rotator.io/holder");
  held.renew_time = util::Clock::now();
  held.metadata.annotations["rotator.io/written"] =
      Json{{"releasedAt", kube::lease_to_json(held)["spec"]["renewTime"]},
           {"secrets", {{"rsa-keys", version_of("rsa-keys")}, {"admin-token", version_of("admin-token")}}}}
          .dump();
  leases.update(held);

  const auto result = waiting.get();
  INFO(result.err);
  CHECK_FALSE(has_sanitizer_report(result.err));
  CHECK(result.exit_code == 0);
  // Read again under the lock, so its write was made on the current version:
  // no conflict to recover from.
  CHECK_THAT(result.err, !Catch::Contains("changed while writing"));
  const auto requests = rotator_requests_since(ns.name(), before, 13);
  // Before the lock and under it: a wait leaves time for writers the record
  // cannot know of, so a lock waited for is trusted with no record.
  CHECK(std::count(requests.begin(), requests.end(), "get secrets/rsa-keys") == 2);
  CHECK(std::count(requests.begin(), requests.end(), "get secrets/admin-token") == 2);
  check_final_state_valid(ns.name());
}

TEST_CASE("concurrency: the record a rotator that keeps none carried past its own writes is not trusted") {
  TestNamespace ns;
  auto client = TestCluster::get().client();
  kube::LeaseApi leases(*client);
  kube::Lease lease = bootstrapped_lease(ns.name(), leases);
  // An older rotator takes the lock (keeping the annotations it does not know),
  // writes rsa-keys, and releases it: the record still names the old version.
  lease.holder_identity = "revoke-and-rotate by user ops on host old (pid 8) #0ld0ld00";
  lease.acquire_time = lease.renew_time = util::Clock::now();
  lease = leases.update(lease);
  REQUIRE(
      kubectl({"-n", ns.name(), "annotate", "secret", "rsa-keys", "example.com/touched-by=old-rotator"}).exit_code ==
      0);
  lease.holder_identity.clear();
  lease.renew_time = util::Clock::now();
  leases.update(lease);

  const std::size_t before = rotator_request_count(ns.name());
  const auto rotated = run_rotator({"revoke-and-rotate", "-n", ns.name(), "--restart", "none"});
  INFO(rotated.err);
  REQUIRE(rotated.exit_code == 0);
  const auto requests = rotator_requests_since(ns.name(), before, 12);
  // The record's release is not the one the lock was taken from: everything is
  // read again under the lock. (admin-token tells: rsa-keys changed before this
  // run read it, so it differs from the record and is read twice either way.)
  CHECK(std::count(requests.begin(), requests.end(), "get secrets/rsa-keys") == 2);
  CHECK(std::count(requests.begin(), requests.end(), "get secrets/admin-token") == 2);
  // And this run's release leaves a record tied to itself, which the next run trusts.
  const auto released = leases.get(ns.name(), "rotator-lock");
  REQUIRE(released.has_value());
  const auto record = Json::parse(released->metadata.annotations.at("rotator.io/written"));
  CHECK(util::parse_rfc3339(record["releasedAt"].get<std::string>()) == released->renew_time);
  CHECK(record["secrets"].contains("rsa-keys"));
  CHECK(record["secrets"].contains("admin-token"));
  CHECK_FALSE(released->metadata.annotations.contains("rotator.io/taken-from"));
}
