#include <algorithm>
#include <set>
#include <thread>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "formats/key_ring.h"
#include "kube/resources.h"
#include "steps_fixture.h"
#include "util/base64.h"

using namespace rotator;
using namespace rotator::testing;
using Json = nlohmann::json;

namespace {

const std::string bootstrap_job = bootstrap_job_file();

std::string current_kid(const std::string& ns) {
  return secret_value(ns, "rsa-keys", "kid");
}

/// Both Secrets' versions, or what exists of them (key-gen alone makes no admin token).
std::string secret_versions_or_empty(const std::string& ns) {
  return kubectl({"-n", ns, "get", "secret", "rsa-keys", "admin-token", "--ignore-not-found", "-o",
                  "jsonpath={.items[*].metadata.resourceVersion}"})
      .out;
}

int verify_file(const std::string& ns, const std::string& token_file_json) {
  TempDir dir;
  const auto file = dir.write("token.json", token_file_json);
  return run_rotator({"verify", "--token-file", file.string(), "-n", ns}).exit_code;
}

}  // namespace

TEST_CASE("steps: each step twice in a row, the second run writes nothing and keeps every resourceVersion") {
  TestNamespace ns;
  const auto kubelet = deploy_token_management(ns.name(), 1);
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"key-gen"},
           {"create-admin-token"},
           {"revoke-and-rotate", "--rotation-id", "twice", "--restart", "delete-pods"}}) {
    INFO(args[0]);
    auto first = args;
    first.insert(first.end(), {"-n", ns.name()});
    const auto one = run_rotator(first);
    INFO(one.err);
    REQUIRE(one.exit_code == 0);
    const std::string versions = secret_versions_or_empty(ns.name());
    auto second = first;
    second.insert(second.end(), {"--stats", "--log-format", "json"});
    const auto two = run_rotator(second);
    REQUIRE(two.exit_code == 0);
    CHECK(write_methods(two.err).empty());
    CHECK(secret_versions_or_empty(ns.name()) == versions);
    CHECK_THAT(two.err, Catch::Contains("unchanged"));
  }
}

TEST_CASE("steps: the admin token from the documented kubectl pipeline is the token file, openssl verifies its JWT") {
  TestNamespace ns;
  bootstrap(ns.name());
  const auto file = Json::parse(admin_token_file(ns.name()));
  CHECK(file["token_type"] == "Bearer");
  const std::string jwt = file["access_token"];
  const auto header = Json::parse(*util::base64url_decode(jwt.substr(0, jwt.find('.'))));
  CHECK(header["alg"] == "RS256");
  CHECK(header["kid"] == current_kid(ns.name()));
  const auto claims =
      Json::parse(*util::base64url_decode(jwt.substr(jwt.find('.') + 1, jwt.rfind('.') - jwt.find('.') - 1)));
  for (const char* claim : {"iss", "sub", "iat", "jti"}) CHECK(claims.contains(claim));
  CHECK_FALSE(claims.contains("exp"));  // --ttl 0
  CHECK(openssl_verifies_jwt(jwt, secret_value(ns.name(), "rsa-keys", "public.pem")));
  CHECK(keys_valid_by_openssl(ns.name()));
  // The JWKS publishes the current and the staged key.
  const auto jwks = Json::parse(secret_value(ns.name(), "rsa-keys", "jwks.json"));
  CHECK(jwks["keys"].size() == 2);

  TempDir dir;
  const auto out = dir.path() / "token.json";
  REQUIRE(run_rotator({"export-admin-token", "-n", ns.name(), "--out", out.string()}).exit_code == 0);
  CHECK((std::filesystem::status(out).permissions() & std::filesystem::perms::all) ==
        (std::filesystem::perms::owner_read | std::filesystem::perms::owner_write));
  CHECK(run({"cat", out.string()}).out == admin_token_file(ns.name()));

  // The influxctl profile: other profiles and comments stay exactly as they were.
  const std::string original =
      "# influxctl configuration\n[[profile]]\n  name = \"default\"  # the usual one\n  product = \"clustered\"\n"
      "  host = \"influx.example\"\n\n[[profile]]\n  name = \"prod\"\n  product = \"clustered\"\n";
  const auto config = dir.write("config.toml", original);
  const auto with_profile = run_rotator({"export-admin-token", "-n", ns.name(), "--out", out.string(),
                                         "--influxctl-config", config.string(), "--profile", "prod"});
  INFO(with_profile.err);
  REQUIRE(with_profile.exit_code == 0);
  const std::string updated = run({"cat", config.string()}).out;
  CHECK(updated.substr(0, original.size()) == original);
  CHECK_THAT(updated.substr(original.size()),
             Catch::Contains("[profile.auth.token]") && Catch::Contains("token_file = \"" + out.string() + "\""));
  CHECK((std::filesystem::status(config).permissions() & std::filesystem::perms::all) ==
        (std::filesystem::perms::owner_read | std::filesystem::perms::owner_write));
}

TEST_CASE("steps: scheduled revoke-and-rotate promotes the staged key, rolls the Deployment, and the old token fails") {
  TestNamespace ns;
  bootstrap(ns.name());
  const auto kubelet = deploy_token_management(ns.name(), 2);
  const std::string old_kid = current_kid(ns.name());
  const std::string staged_kid =
      formats::read_key_ring(*kube::SecretApi(*TestCluster::get().client()).get(ns.name(), "rsa-keys"),
                             util::Clock::now(), formats::WantStaged::yes)
          .ring.next->kid;
  const std::string old_token = admin_token_file(ns.name());
  REQUIRE(verify_file(ns.name(), old_token) == 0);

  {
    const auto rotation = run_rotator({"revoke-and-rotate", "-n", ns.name(), "--rotation-id", "sched-1",
                                       "--wait-timeout", "60s", "--stats", "--log-format", "json"});
    INFO(rotation.out << rotation.err);
    REQUIRE(rotation.exit_code == 0);
    CHECK(keys_generated(rotation.err) == 1);  // the new staged key; the promoted one was staged before
  }
  const std::string new_kid = current_kid(ns.name());
  CHECK(new_kid != old_kid);
  CHECK(new_kid == staged_kid);
  CHECK(keys_valid_by_openssl(ns.name()));
  CHECK(verify_file(ns.name(), old_token) == 1);
  const std::string new_token = admin_token_file(ns.name());
  CHECK(verify_file(ns.name(), new_token) == 0);
  CHECK(
      openssl_verifies_jwt(Json::parse(new_token)["access_token"], secret_value(ns.name(), "rsa-keys", "public.pem")));
  CHECK(kubectl({"-n", ns.name(), "rollout", "status", "deployment/token-management", "--timeout=5s"}).exit_code == 0);
  CHECK(kubectl({"-n", ns.name(), "get", "deployment", "token-management", "-o",
                 "jsonpath={.spec.template.metadata.annotations.rotator\\.io/kid}"})
            .out == new_kid);
  // The old public key stays published for the grace period; a new staged key is ready.
  const auto jwks = Json::parse(secret_value(ns.name(), "rsa-keys", "jwks.json"));
  std::vector<std::string> kids;
  for (const auto& k : jwks["keys"]) kids.push_back(k["kid"]);
  CHECK(std::count(kids.begin(), kids.end(), old_kid) == 1);
  CHECK(kids.size() == 3);
  const auto verdict = run_rotator({"verify", "-n", ns.name(), Json::parse(old_token)["access_token"]});
  CHECK_THAT(verdict.out, Catch::Contains("retired key"));

  // Same rotation id again: nothing at all changes.
  const auto versions = secret_versions(ns.name());
  const auto again = run_rotator(
      {"revoke-and-rotate", "-n", ns.name(), "--rotation-id", "sched-1", "--stats", "--log-format", "json"});
  REQUIRE(again.exit_code == 0);
  CHECK(write_methods(again.err).empty());
  CHECK(keys_generated(again.err) == 0);
  CHECK(secret_versions(ns.name()) == versions);
  CHECK(current_kid(ns.name()) == new_kid);
}

TEST_CASE("steps: incident revoke deletes the old pods, uses a fresh key, and trusts the old key no longer") {
  TestNamespace ns;
  bootstrap(ns.name());
  const auto kubelet = deploy_token_management(ns.name(), 2);
  auto client = TestCluster::get().client();
  kube::PodApi pods(*client);
  std::set<std::string> old_pods;
  for (const auto& pod : pods.list(ns.name(), "app=token-management")) old_pods.insert(pod.metadata.name);
  const std::string old_kid = current_kid(ns.name());
  const std::string old_token = admin_token_file(ns.name());

  const auto run =
      run_rotator({"run", std::string(ROTATOR_SOURCE_DIR) + "/jobs/incident-revoke.yaml", "-n", ns.name()});
  INFO(run.out << run.err);
  REQUIRE(run.exit_code == 0);
  const std::string new_kid = current_kid(ns.name());
  CHECK(new_kid != old_kid);
  for (const auto& pod : pods.list(ns.name(), "app=token-management")) {
    CHECK((old_pods.count(pod.metadata.name) == 0 || pod.terminating));
  }
  const auto jwks = Json::parse(secret_value(ns.name(), "rsa-keys", "jwks.json"));
  for (const auto& k : jwks["keys"]) CHECK(k["kid"] != old_kid);
  CHECK(verify_file(ns.name(), old_token) == 1);
  CHECK(verify_file(ns.name(), admin_token_file(ns.name())) == 0);
  CHECK(kubectl({"-n", ns.name(), "get", "events", "--field-selector", "reason=KeyRotated", "-o", "name"}).out != "");
}

TEST_CASE("steps: corrupt rsa-keys: exit 5 and nothing changes, --force repairs") {
  TestNamespace ns;
  bootstrap(ns.name());
  REQUIRE(kubectl({"-n", ns.name(), "patch", "secret", "rsa-keys", "--type=merge", "-p",
                   "{\"data\":{\"public.pem\":\"" +
                       util::base64_encode("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n") + "\"}}"})
              .exit_code == 0);
  const auto versions = secret_versions(ns.name());
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"key-gen"}, {"create-admin-token"}, {"revoke-and-rotate", "--restart", "none"}}) {
    auto full = args;
    full.insert(full.end(), {"-n", ns.name()});
    const auto result = run_rotator(full);
    INFO(args[0] << ": " << result.err);
    CHECK(result.exit_code == 5);
    CHECK_THAT(result.err, Catch::Contains("rsa-keys is invalid") && Catch::Contains("--force"));
    CHECK(std::count(result.err.begin(), result.err.end(), '\n') == 1);
  }
  CHECK(secret_versions(ns.name()) == versions);

  const auto forced = run_rotator({"key-gen", "--force", "-n", ns.name()});
  INFO(forced.err);
  CHECK(forced.exit_code == 0);
  CHECK(keys_valid_by_openssl(ns.name()));
  CHECK(run_rotator({"create-admin-token", "-n", ns.name()}).exit_code == 0);
  CHECK(verify_file(ns.name(), admin_token_file(ns.name())) == 0);
}

TEST_CASE("steps: --dry-run prints the plan and writes nothing") {
  TestNamespace ns;
  const auto empty = run_rotator({"key-gen", "--dry-run", "-n", ns.name()});
  CHECK(empty.exit_code == 0);
  CHECK_THAT(empty.out, Catch::Contains("would create Secret " + ns.name() + "/rsa-keys"));
  // A job plans each step on what the previous ones would have done.
  const auto job = run_rotator({"run", bootstrap_job, "--dry-run", "-n", ns.name()});
  CHECK(job.exit_code == 0);
  CHECK_THAT(job.out, Catch::Contains("would create Secret " + ns.name() + "/admin-token"));
  CHECK(kubectl({"-n", ns.name(), "get", "secret", "rsa-keys"}).exit_code != 0);
  CHECK(kubectl({"-n", ns.name(), "get", "lease", "rotator-lock"}).exit_code != 0);

  bootstrap(ns.name());
  const auto kubelet = deploy_token_management(ns.name(), 1);
  const auto versions = secret_versions(ns.name());
  const auto plan = run_rotator({"revoke-and-rotate", "--dry-run", "-n", ns.name(), "--stats", "--log-format", "json"});
  CHECK(plan.exit_code == 0);
  CHECK(write_methods(plan.err).empty());
  CHECK_THAT(plan.err, Catch::Contains("would replace") && Catch::Contains("would patch"));
  CHECK_THAT(plan.err, !Catch::Contains("PRIVATE KEY") && !Catch::Contains("access_token"));
  CHECK(secret_versions(ns.name()) == versions);
}

TEST_CASE("steps: create-admin-token without signing keys is one clear error") {
  TestNamespace ns;
  const auto run = run_rotator({"create-admin-token", "-n", ns.name()});
  CHECK(run.exit_code == 1);
  CHECK(run.err == "rotator: error: Secret " + ns.name() + "/rsa-keys does not exist: run `rotator key-gen -n " +
                       ns.name() + "` first\n");
}

TEST_CASE("steps: a job file is checked whole before anything runs") {
  TestNamespace ns;
  TempDir dir;
  const auto unknown_step =
      dir.write("a.yaml", "apiVersion: rotator.io/v1\nkind: JobFile\nsteps:\n- step: key-gen\n- step: key-rotate\n");
  const auto unknown_flag = dir.write("b.yaml",
                                      "apiVersion: rotator.io/v1\nkind: JobFile\nsteps:\n- step: key-gen\n- step: "
                                      "create-admin-token\n  with: {tll: 1h}\n");
  for (const auto& file : {unknown_step, unknown_flag}) {
    const auto result = run_rotator({"run", file.string(), "-n", ns.name()});
    CHECK(result.exit_code == 2);
    CHECK(kubectl({"-n", ns.name(), "get", "secret", "rsa-keys"}).exit_code != 0);  // key-gen did not run
  }
}

TEST_CASE("steps: two rotations at once never interleave: one exits 3 naming the holder") {
  TestNamespace ns;
  bootstrap(ns.name());
  FaultProxy proxy;
  // Hold the first run's key write for two seconds, while it holds the lock.
  proxy.set_rules(Json::array({{{"match", {{"method", "PUT"}, {"path_regex", "/secrets/rsa-keys$"}}},
                                {"action", "delay"},
                                {"delay_ms", 2000},
                                {"times", 1}}}));
  TempDir dir;
  const auto via_proxy = admin_kubeconfig(dir, proxy.url());
  BackgroundProcess first({ROTATOR_BINARY, "revoke-and-rotate", "--restart", "none", "--rotation-id", "first", "-n",
                           ns.name(), "--kubeconfig", via_proxy.string()});
  for (int i = 0;
       i < 100 &&
       kubectl({"-n", ns.name(), "get", "lease", "rotator-lock", "-o", "jsonpath={.spec.holderIdentity}"}).out.empty();
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const auto second =
      run_rotator({"revoke-and-rotate", "--restart", "none", "--rotation-id", "second", "-n", ns.name()});
  CHECK(second.exit_code == 3);
  CHECK_THAT(second.err, Catch::Contains("held by") && Catch::Contains("since"));
  CHECK(first.wait() == 0);
  const auto secret = kube::SecretApi(*TestCluster::get().client()).get(ns.name(), "rsa-keys");
  const auto ring = formats::read_key_ring(*secret, util::Clock::now(), formats::WantStaged::yes).ring;
  CHECK(ring.rotation_history == std::vector<std::string>{"first"});
  // With --lock-wait the second run waits for the first instead, then rotates.
  const auto waited = run_rotator(
      {"revoke-and-rotate", "--restart", "none", "--rotation-id", "second", "-n", ns.name(), "--lock-wait", "30s"});
  CHECK(waited.exit_code == 0);
}
