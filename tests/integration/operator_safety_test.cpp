// Safe at 3 a.m.: a plain rerun resumes instead of rotating twice, pre-flight
// before the first write, a clean stop on signals, a lock you can see and break,
// hints that name commands that work.

#include <algorithm>
#include <csignal>
#include <future>
#include <regex>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "crypto/jwk.h"
#include "formats/key_ring.h"
#include "kube/resources.h"
#include "packaging_support.h"
#include "steps_fixture.h"
#include "util/base64.h"

using namespace rotator;
using namespace rotator::testing;
using Json = nlohmann::json;

namespace {

std::string kid_of(const std::string& ns) {
  return secret_value(ns, "rsa-keys", "kid");
}

std::vector<std::string> published_kids(const std::string& ns) {
  std::vector<std::string> kids;
  for (const auto& key : crypto::parse_jwk_set(secret_value(ns, "rsa-keys", "jwks.json"))) kids.push_back(key["kid"]);
  return kids;
}

bool contains(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

/// The command after "resume with: " in an error, as words.
std::vector<std::string> resume_command(const std::string& err) {
  const auto at = err.find("resume with: ");
  REQUIRE(at != std::string::npos);
  std::string line = err.substr(at + 13);
  line = line.substr(0, line.find('\n'));
  std::vector<std::string> words;
  std::istringstream in(line);
  for (std::string word; in >> word;) words.push_back(word);
  REQUIRE(words.size() > 1);
  REQUIRE(words[0] == "rotator");
  words.erase(words.begin());
  return words;
}

std::string lease_holder(const std::string& ns) {
  return kubectl({"-n", ns, "get", "lease", "rotator-lock", "-o", "jsonpath={.spec.holderIdentity}"}).out;
}

}  // namespace

TEST_CASE("safety: a rotation whose rollout times out is resumed by a plain rerun, never rotated twice") {
  TestNamespace ns;
  bootstrap(ns.name());
  apply_token_management(ns.name(), 1);  // its pods never become Ready: no kubelet yet
  const std::string old_kid = kid_of(ns.name());

  const auto first = run_rotator({"revoke-and-rotate", "-n", ns.name(), "--wait-timeout", "3s"});
  INFO(first.err);
  CHECK(first.exit_code == 1);
  CHECK_THAT(first.err, Catch::Contains("did not complete within --wait-timeout 3s") &&
                            Catch::Contains("is unfinished") &&
                            Catch::Contains("resume with: rotator revoke-and-rotate"));
  const std::string rotated_kid = kid_of(ns.name());
  CHECK(rotated_kid != old_kid);
  const auto history = rotation_history(ns.name());
  REQUIRE(history.size() == 1);

  // Rerun as told, still not Ready: the same rotation, no new key.
  const auto second = run_rotator(resume_command(first.err));
  INFO(second.err);
  CHECK(second.exit_code == 1);
  // It wrote nothing, and still says how to resume.
  CHECK(resume_command(second.err) == resume_command(first.err));
  CHECK(kid_of(ns.name()) == rotated_kid);
  CHECK(rotation_history(ns.name()) == history);

  // A new Job (another rotation id, another holder) resumes it too.
  const auto job_retry = run_rotator({"revoke-and-rotate", "-n", ns.name(), "--wait-timeout", "3s"},
                                     {{"ROTATOR_ROTATION_ID", "another-job-uid"}});
  CHECK(job_retry.exit_code == 1);
  CHECK_THAT(job_retry.err, Catch::Contains("resuming unfinished scheduled rotation " + history[0]) &&
                                Catch::Contains("instead of starting another-job-uid"));
  CHECK(kid_of(ns.name()) == rotated_kid);
  CHECK(rotation_history(ns.name()) == history);

  // With the pods Ready, a plain rerun finishes it, once.
  const std::size_t before = rotator_request_count(ns.name());
  auto finishing = std::async(std::launch::async, [name = ns.name()] {
    return run({ROTATOR_BINARY, "revoke-and-rotate", "-n", name, "--wait-timeout", "60s"});
  });
  // Its reads (rsa-keys, admin-token, the Deployment) are made: no pod is Ready,
  // so it waits for the rollout, before its first write and the lock.
  REQUIRE(rotator_requests_since(ns.name(), before, 3).size() >= 3);
  PodReadinessSimulator kubelet(ns.name(), "app=token-management");
  const auto finished = finishing.get();
  INFO(finished.err);
  CHECK_FALSE(has_sanitizer_report(finished.err));
  CHECK(finished.exit_code == 0);
  CHECK_THAT(finished.err, Catch::Contains("waiting for"));
  // Under the lock it read the Secrets again, though the lock's record (the
  // first run's release) named the versions it had read before the wait.
  const auto requests = rotator_requests_since(ns.name(), before, 6);
  CHECK(std::count(requests.begin(), requests.end(), "get secrets/rsa-keys") == 2);
  CHECK(std::count(requests.begin(), requests.end(), "get secrets/admin-token") == 2);
  CHECK(kid_of(ns.name()) == rotated_kid);
  CHECK(rotation_history(ns.name()) == history);
  // The key it promised to trust for the grace is still published.
  CHECK(contains(published_kids(ns.name()), old_kid));
  CHECK(kubectl({"-n", ns.name(), "get", "secret", "rsa-keys", "-o",
                 "jsonpath={.metadata.annotations.rotator\\.io/rotation-in-progress}"})
            .out.empty());
}

TEST_CASE("safety: two scheduled rotations in a row keep both retired keys published until their own times") {
  TestNamespace ns;
  bootstrap(ns.name());
  const std::string a = kid_of(ns.name());
  REQUIRE(run_rotator({"revoke-and-rotate", "-n", ns.name(), "--restart", "none", "--grace", "1h"}).exit_code == 0);
  const std::string b = kid_of(ns.name());
  REQUIRE(run_rotator({"revoke-and-rotate", "-n", ns.name(), "--restart", "none", "--grace", "2h"}).exit_code == 0);
  const auto kids = published_kids(ns.name());
  CHECK(contains(kids, a));
  CHECK(contains(kids, b));
  const auto promises = Json::parse(kubectl({"-n", ns.name(), "get", "secret", "rsa-keys", "-o",
                                             "jsonpath={.metadata.annotations.rotator\\.io/retired-keys}"})
                                        .out);
  REQUIRE(promises.size() == 2);
  CHECK(promises[0]["kid"] == a);
  CHECK(promises[1]["kid"] == b);
  // An incident drops them both, and says so.
  const auto incident = run_rotator({"revoke-and-rotate", "-n", ns.name(), "--restart", "none", "--fresh"});
  REQUIRE(incident.exit_code == 0);
  CHECK_THAT(incident.out, Catch::Contains("retired keys no longer trusted either"));
  CHECK_FALSE(contains(published_kids(ns.name()), a));
  CHECK_FALSE(contains(published_kids(ns.name()), b));
  // A usage error to ask for a grace an incident cannot give.
  CHECK(run_rotator({"revoke-and-rotate", "-n", ns.name(), "--fresh", "--grace", "1h"}).exit_code == 2);
}

TEST_CASE("safety: pre-flight: no restart target, or no right to delete pods, writes nothing, dry run included") {
  TestNamespace ns;
  bootstrap(ns.name());
  const auto versions = secret_versions(ns.name());
  for (const auto& extra : {std::vector<std::string>{}, std::vector<std::string>{"--dry-run"}}) {
    auto args = std::vector<std::string>{"revoke-and-rotate", "-n", ns.name(), "--target", "deployment/nonexist"};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto run = run_rotator(args);
    INFO(run.out << run.err);
    CHECK(run.exit_code == 1);
    CHECK_THAT(run.err, Catch::Contains("deployment/nonexist not found in namespace " + ns.name()));
    CHECK(std::count(run.err.begin(), run.err.end(), '\n') == 1);
    CHECK(secret_versions(ns.name()) == versions);
  }

  // A ServiceAccount with the shipped Role's rights but no delete on pods.
  const auto kubelet = deploy_token_management(ns.name(), 1);
  TempDir dir;
  const auto rbac = dir.write("rbac.yaml", R"(apiVersion: v1
kind: ServiceAccount
metadata: {name: limited}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: limited}
rules:
- {apiGroups: [""], resources: [secrets], resourceNames: [rsa-keys, admin-token], verbs: [get, update]}
- {apiGroups: [""], resources: [pods], verbs: [list]}
- {apiGroups: [apps], resources: [deployments], resourceNames: [token-management], verbs: [get, patch]}
- {apiGroups: [coordination.k8s.io], resources: [leases], verbs: [create]}
- {apiGroups: [coordination.k8s.io], resources: [leases], resourceNames: [rotator-lock], verbs: [get, update]}
- {apiGroups: [""], resources: [events], verbs: [create]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: limited}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: limited}
subjects: [{kind: ServiceAccount, name: limited}]
)");
  REQUIRE(kubectl({"-n", ns.name(), "apply", "-f", rbac.string()}).exit_code == 0);
  const ServiceAccountFiles account(ns.name(), "limited");
  const auto pod_versions = kubectl({"-n", ns.name(), "get", "pods", "-o", "jsonpath={.items[*].metadata.uid}"}).out;
  for (const auto& extra : {std::vector<std::string>{}, std::vector<std::string>{"--dry-run"}}) {
    auto args = std::vector<std::string>{"revoke-and-rotate", "--restart", "delete-pods"};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto run = run_rotator(args, account.pod_env());
    INFO(run.out << run.err);
    CHECK(run.exit_code == 4);
    CHECK_THAT(run.err, Catch::Contains("not allowed in namespace " + ns.name() + " to: delete pods") &&
                            Catch::Contains("Nothing was written"));
    CHECK(std::count(run.err.begin(), run.err.end(), '\n') == 1);
    CHECK(secret_versions(ns.name()) == versions);
    CHECK(kubectl({"-n", ns.name(), "get", "pods", "-o", "jsonpath={.items[*].metadata.uid}"}).out == pod_versions);
  }
}

TEST_CASE(
    "safety: SIGTERM and SIGINT stop a rotation at a safe point, release the lock, and a rerun finishes it once") {
  for (const int signal_number : {SIGTERM, SIGINT}) {
    const int expected_exit = signal_number == SIGTERM ? 143 : 130;
    SECTION(std::string("during the rollout wait, ") + (signal_number == SIGTERM ? "SIGTERM" : "SIGINT")) {
      TestNamespace ns;
      bootstrap(ns.name());
      apply_token_management(ns.name(), 1);  // never Ready: the run waits
      BackgroundProcess run(
          {ROTATOR_BINARY, "revoke-and-rotate", "-n", ns.name(), "--rotation-id", "stopped", "--wait-timeout", "2m"});
      bool waiting = false;
      for (int i = 0; i < 200 && !waiting && run.running(); ++i) {
        waiting = run.stderr_text().find("waiting for deployment/token-management") != std::string::npos;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      REQUIRE(waiting);
      run.signal(signal_number);
      CHECK(run.wait() == expected_exit);
      INFO(run.stderr_text());
      CHECK_THAT(run.stderr_text(), Catch::Contains("while waiting for deployment/token-management") &&
                                        Catch::Contains("resume with: rotator revoke-and-rotate"));
      CHECK(lease_holder(ns.name()).empty());  // released
      PodReadinessSimulator kubelet(ns.name(), "app=token-management");
      const auto rerun = run_rotator({"revoke-and-rotate", "-n", ns.name(), "--lock-wait", "0"});
      INFO(rerun.err);
      CHECK(rerun.exit_code == 0);
      const auto ids = rotation_history(ns.name());
      CHECK(std::count(ids.begin(), ids.end(), "stopped") == 1);
      CHECK(ids.size() == 1);
    }
    SECTION(std::string("between writes, ") + (signal_number == SIGTERM ? "SIGTERM" : "SIGINT")) {
      TestNamespace ns;
      bootstrap(ns.name());
      FaultProxy proxy;
      TempDir dir;
      const auto via_proxy = admin_kubeconfig(dir, proxy.url());
      // The admin token's write takes two seconds: the signal arrives while it is in flight.
      proxy.set_rules(Json::array({{{"match", {{"method", "PUT"}, {"path_regex", "/secrets/admin-token$"}}},
                                    {"action", "delay"},
                                    {"delay_ms", 2000}}}));
      BackgroundProcess run({ROTATOR_BINARY, "revoke-and-rotate", "-n", ns.name(), "--restart", "none", "--rotation-id",
                             "between", "--kubeconfig", via_proxy.string()});
      bool delayed = false;
      for (int i = 0; i < 200 && !delayed && run.running(); ++i) {
        for (const auto& r : proxy.requests()) delayed = delayed || r["action"] == "delay";
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      REQUIRE(delayed);
      run.signal(signal_number);
      CHECK(run.wait() == expected_exit);
      INFO(run.stderr_text());
      // The write in flight finished; the run stopped before the next one.
      CHECK(run.stdout_text().find("replace Secret " + ns.name() + "/admin-token") != std::string::npos);
      CHECK_THAT(run.stderr_text(), Catch::Contains("stopped by") && Catch::Contains("resume with:"));
      CHECK(lease_holder(ns.name()).empty());
      const auto rerun = run_rotator({"revoke-and-rotate", "-n", ns.name(), "--restart", "none", "--lock-wait", "0"});
      INFO(rerun.err);
      CHECK(rerun.exit_code == 0);
      const auto ids = rotation_history(ns.name());
      CHECK(std::count(ids.begin(), ids.end(), "between") == 1);
      CHECK(ids.size() == 1);
    }
  }
}

TEST_CASE("safety: unlock breaks a lock on purpose, with an Event, and without a terminal it needs --force") {
  TestNamespace ns;
  bootstrap(ns.name());
  auto client = TestCluster::get().client();
  kube::LeaseApi leases(*client);
  auto lease = leases.get(ns.name(), "rotator-lock");
  REQUIRE(lease.has_value());
  lease->holder_identity = "revoke-and-rotate by user ops on host elsewhere (pid 7) #abcd1234";
  lease->lease_duration_seconds = 3600;
  lease->acquire_time = lease->renew_time = util::Clock::now();
  leases.update(*lease);
  const auto busy = run_rotator({"revoke-and-rotate", "-n", ns.name(), "--restart", "none"});
  CHECK(busy.exit_code == 3);
  CHECK(run_rotator({"unlock", "-n", ns.name()}).exit_code == 2);  // no terminal
  const auto unlocked = run_rotator({"unlock", "-n", ns.name(), "--force"});
  INFO(unlocked.err);
  CHECK(unlocked.exit_code == 0);
  CHECK_THAT(unlocked.out, Catch::Contains("was held by revoke-and-rotate by user ops on host elsewhere"));
  CHECK(lease_holder(ns.name()).empty());
  CHECK(kubectl({"-n", ns.name(), "get", "events", "--field-selector", "reason=LockBroken", "-o", "name"}).out != "");
  CHECK(run_rotator({"unlock", "-n", ns.name(), "--force"}).exit_code == 0);  // nothing held: nothing to do
}

TEST_CASE("safety: --repair keeps the key and the admin token, and every hint names a command that works") {
  TestNamespace ns;
  const auto missing = run_rotator({"create-admin-token", "-n", ns.name()});
  CHECK(missing.exit_code == 1);
  const std::regex command_in_hint("`rotator ([^`]+)`");
  std::smatch match;
  REQUIRE(std::regex_search(missing.err, match, command_in_hint));
  std::vector<std::string> words;
  std::istringstream in(match[1].str());
  for (std::string word; in >> word;) words.push_back(word);
  CHECK(run_rotator(words).exit_code == 0);  // "run `rotator key-gen -n NS` first"
  REQUIRE(run_rotator({"create-admin-token", "-n", ns.name()}).exit_code == 0);

  const std::string private_pem = secret_value(ns.name(), "rsa-keys", "private.pem");
  const std::string token = admin_token_file(ns.name());
  REQUIRE(kubectl({"-n", ns.name(), "patch", "secret", "rsa-keys", "--type=merge", "-p",
                   "{\"data\":{\"kid\":\"" + util::base64_encode("wrong") + "\"}}"})
              .exit_code == 0);
  const auto refused = run_rotator({"revoke-and-rotate", "-n", ns.name(), "--restart", "none"});
  CHECK(refused.exit_code == 5);
  CHECK_THAT(refused.err, Catch::Contains("rotator key-gen -n " + ns.name() + " --repair") &&
                              Catch::Contains("rotator key-gen -n " + ns.name() + " --force"));
  const auto repaired = run_rotator({"key-gen", "-n", ns.name(), "--repair"});
  INFO(repaired.err);
  CHECK(repaired.exit_code == 0);
  CHECK(secret_value(ns.name(), "rsa-keys", "private.pem") == private_pem);
  CHECK(keys_valid_by_openssl(ns.name()));
  TempDir dir;
  CHECK(run_rotator({"verify", "--token-file", dir.write("t.json", token).string(), "-n", ns.name()}).exit_code == 0);

  // --force's hint works too, and says what it breaks.
  REQUIRE(kubectl({"-n", ns.name(), "patch", "secret", "rsa-keys", "--type=merge", "-p",
                   "{\"data\":{\"private.pem\":\"" + util::base64_encode("junk") + "\"}}"})
              .exit_code == 0);
  const auto unreadable = run_rotator({"key-gen", "-n", ns.name()});
  CHECK(unreadable.exit_code == 5);
  CHECK_THAT(unreadable.err,
             Catch::Contains("rotator key-gen -n " + ns.name() + " --force") && !Catch::Contains("--repair"));
  const auto forced = run_rotator({"key-gen", "-n", ns.name(), "--force"});
  CHECK(forced.exit_code == 0);
  CHECK_THAT(forced.out, Catch::Contains("every token signed by the old key is invalid now") &&
                             Catch::Contains("rotator create-admin-token -n " + ns.name()));
  CHECK(run_rotator({"create-admin-token", "-n", ns.name()}).exit_code == 0);
}

TEST_CASE("safety: verify tells a key of another namespace from a retired one") {
  TestNamespace here;
  TestNamespace there;
  bootstrap(here.name());
  bootstrap(there.name());
  TempDir dir;
  const auto foreign = dir.write("foreign.json", admin_token_file(there.name()));
  const auto stranger = run_rotator({"verify", "--token-file", foreign.string(), "-n", here.name()});
  CHECK(stranger.exit_code == 1);
  CHECK_THAT(stranger.out, Catch::Contains("another namespace or cluster"));
  const auto old = dir.write("old.json", admin_token_file(here.name()));
  REQUIRE(run_rotator({"revoke-and-rotate", "-n", here.name(), "--restart", "none", "--fresh"}).exit_code == 0);
  const auto retired = run_rotator({"verify", "--token-file", old.string(), "-n", here.name()});
  CHECK(retired.exit_code == 1);
  CHECK_THAT(retired.out, Catch::Contains("retired key") && Catch::Contains("no longer published"));
}
