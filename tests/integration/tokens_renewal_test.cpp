// `rotator management renew` on the real API server: renewal near expiry, the grace
// period, idempotence, and convergence after a SIGKILL at every write.

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <thread>

#include "cluster_fixture.h"
#include "formats/registry.h"
#include "formats/token_verdict.h"
#include "kube/resources.h"

extern char** environ;

using namespace rotator;
using namespace rotator::testing;
using Json = nlohmann::json;

namespace {

struct World {
  std::string token;  ///< under mgmt_token
  std::map<std::string, std::string> annotations;
  std::vector<std::string> data_keys;
  std::string secret_rv;
  std::string registry_rv;
  formats::Registry registry;

  std::vector<const formats::TokenRecord*> live() const {
    std::vector<const formats::TokenRecord*> out;
    for (const auto& r : registry.records) {
      if (formats::state_at(r, util::Clock::now()) == formats::TokenState::active) out.push_back(&r);
    }
    return out;
  }
};

World observe(const std::string& ns, const std::string& secret = "automation") {
  auto client = TestCluster::get().client();
  kube::SecretApi secrets(*client);
  World w;
  const auto s = secrets.get(ns, secret);
  REQUIRE(s.has_value());
  if (s->data.count("mgmt_token")) w.token = s->data.at("mgmt_token");
  w.annotations = s->metadata.annotations;
  for (const auto& [k, v] : s->data) w.data_keys.push_back(k);
  w.secret_rv = s->metadata.resource_version;
  const auto r = secrets.get(ns, "management-tokens");
  REQUIRE(r.has_value());
  w.registry_rv = r->metadata.resource_version;
  w.registry = formats::parse_registry(r->data.at("tokens.json"), formats::TokenKind::management);
  return w;
}

formats::TokenVerification verify(const std::string& ns, const std::string& token) {
  auto client = TestCluster::get().client();
  const auto v = registry_verdict(*client, ns, token);
  REQUIRE(v.has_value());
  return *v;
}

std::vector<std::string> renew_args(const std::string& ns, const std::string& ttl, const std::string& before,
                                    const std::string& grace) {
  return {"management", "renew",          "-n",   ns,        "--secret", "automation", "--ttl",
          ttl,          "--renew-before", before, "--grace", grace};
}

CommandResult renew(const std::string& ns, const std::string& ttl, const std::string& before,
                    const std::string& grace) {
  auto result = run_rotator(renew_args(ns, ttl, before, grace));
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  return result;
}

/// Starts rotator through the fault proxy, waits until the proxy holds its hanging
/// write, and SIGKILLs it there. Returns false when rotator finished first.
bool kill_at_hanging_write(FaultProxy& proxy, const TempDir& dir, const std::vector<std::string>& args) {
  const auto& cluster = TestCluster::get();
  const auto kubeconfig = dir.write("proxy-kubeconfig",
                                    "apiVersion: v1\nkind: Config\nclusters:\n- name: proxy\n  cluster:\n"
                                    "    server: " +
                                        proxy.url() + "\n    certificate-authority: " + cluster.ca_file.string() +
                                        "\nusers:\n- name: admin\n  user:\n    token: " + cluster.admin_token +
                                        "\ncontexts:\n- name: proxy\n  context:\n    cluster: proxy\n    user: admin\n"
                                        "current-context: proxy\n");
  std::vector<std::string> argv = {ROTATOR_BINARY, "--kubeconfig", kubeconfig.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> c_argv;
  for (auto& a : argv) c_argv.push_back(a.data());
  c_argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  const std::string log = (dir.path() / "rotator.log").string();
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, 2, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  pid_t pid = 0;
  REQUIRE(posix_spawn(&pid, ROTATOR_BINARY, &actions, nullptr, c_argv.data(), environ) == 0);
  posix_spawn_file_actions_destroy(&actions);

  bool hanging = false;
  int status = 0;
  for (int i = 0; i < 400 && !hanging; ++i) {
    for (const auto& r : proxy.requests()) {
      if (r["action"] == "hang") hanging = true;
    }
    if (!hanging) {
      if (::waitpid(pid, &status, WNOHANG) == pid) {
        std::ifstream in(log);
        std::stringstream text;
        text << in.rdbuf();
        WARN("rotator finished before its hanging write: " << text.str());
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
  }
  REQUIRE(hanging);
  ::kill(pid, SIGKILL);
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  CHECK(WIFSIGNALED(status));
  return true;
}

}  // namespace

TEST_CASE(
    "tokens renewal: a token near expiry is replaced, the old one is revoked after the grace, reruns change nothing") {
  TestNamespace ns("renew");
  // First run: no Secret yet.
  renew(ns.name(), "1h", "30m", "2s");
  const World first = observe(ns.name());
  REQUIRE(first.live().size() == 1);
  CHECK(verify(ns.name(), first.token).valid());
  CHECK(first.annotations.at("rotator.io/token-id") == first.live().front()->id);
  CHECK(first.live().front()->renewal_secret == "automation");

  // Not near expiry: nothing is written, not even a no-op update.
  const auto idle = run_rotator({"management", "renew", "-n", ns.name(), "--secret", "automation", "--ttl", "1h",
                                 "--renew-before", "30m", "--stats"});
  CHECK(idle.exit_code == 0);
  CHECK_THAT(idle.out, Catch::Contains("up to date"));
  CHECK_THAT(idle.err, Catch::Contains("GET=") && !Catch::Contains("PUT=") && !Catch::Contains("POST="));
  CHECK(observe(ns.name()).secret_rv == first.secret_rv);

  // The token expires within --renew-before 2h: renew, keep the old one for the grace.
  const auto renewed = renew(ns.name(), "4h", "2h", "2s");
  CHECK_THAT(renewed.out, Catch::Contains("is revoked after"));
  const World second = observe(ns.name());
  CHECK(second.token != first.token);
  CHECK(verify(ns.name(), second.token).valid());
  CHECK(verify(ns.name(), first.token).valid());  // still in its grace
  CHECK(second.live().size() == 2);
  CHECK(second.annotations.at("rotator.io/previous-token-id") == first.live().front()->id);
  CHECK(renewed.out.find(second.token) == std::string::npos);
  CHECK(renewed.err.find(second.token) == std::string::npos);

  // Within the grace a rerun changes nothing.
  renew(ns.name(), "4h", "2h", "2s");
  CHECK(observe(ns.name()).secret_rv == second.secret_rv);
  CHECK(observe(ns.name()).registry_rv == second.registry_rv);

  std::this_thread::sleep_for(std::chrono::milliseconds(2200));
  renew(ns.name(), "4h", "2h", "2s");
  const World third = observe(ns.name());
  CHECK(third.token == second.token);
  const auto old = verify(ns.name(), first.token);
  CHECK(old.status == formats::TokenVerification::Status::revoked);
  CHECK(third.live().size() == 1);
  CHECK(third.annotations.count("rotator.io/previous-token-id") == 0);

  // And then nothing more changes.
  renew(ns.name(), "4h", "2h", "2s");
  const World fourth = observe(ns.name());
  CHECK(fourth.secret_rv == third.secret_rv);
  CHECK(fourth.registry_rv == third.registry_rv);

  // Events on the registry Secret.
  const auto events = kubectl({"-n", ns.name(), "get", "events", "--field-selector",
                               "involvedObject.name=management-tokens", "-o", "jsonpath={.items[*].reason}"});
  CHECK_THAT(events.out,
             Catch::Contains("TokenCreated") && Catch::Contains("TokenRenewed") && Catch::Contains("TokenRevoked"));
}

TEST_CASE("tokens renewal: a revoked token in the Secret is replaced, foreign data is refused without --force") {
  TestNamespace ns("renew");
  renew(ns.name(), "24h", "8h", "1h");
  const World first = observe(ns.name());
  REQUIRE(run_rotator({"management", "revoke", "--force", "-n", ns.name(), first.live().front()->id}).exit_code == 0);
  renew(ns.name(), "24h", "8h", "1h");
  const World second = observe(ns.name());
  CHECK(verify(ns.name(), second.token).valid());
  CHECK(second.live().size() == 1);  // no grace for a token that is already dead
  CHECK(second.annotations.count("rotator.io/previous-token-id") == 0);

  auto client = TestCluster::get().client();
  kube::SecretApi secrets(*client);
  auto s = *secrets.get(ns.name(), "automation");
  s.data["mgmt_token"] = "hand-written";
  secrets.replace(s);
  const auto refused = run_rotator(renew_args(ns.name(), "24h", "8h", "1h"));
  CHECK(refused.exit_code == 5);
  CHECK(observe(ns.name()).token == "hand-written");
  auto forced = renew_args(ns.name(), "24h", "8h", "1h");
  forced.push_back("--force");
  CHECK(run_rotator(forced).exit_code == 0);
  CHECK(verify(ns.name(), observe(ns.name()).token).valid());

  const auto dry = run_rotator({"management", "renew", "-n", ns.name(), "--secret", "other", "--dry-run"});
  CHECK(dry.exit_code == 0);
  CHECK_THAT(dry.out, Catch::Contains("stage-new-token"));
  CHECK(!secrets.get(ns.name(), "other").has_value());
  CHECK(run_rotator({"management", "renew", "-n", ns.name(), "--secret", "x", "--ttl", "1h", "--renew-before", "2h"})
            .exit_code == 2);
}

TEST_CASE(
    "tokens renewal: killed at every write and rerun, it converges with at most one live token besides the new one") {
  // The writes of one renewal (Secret and registry PUTs); the proxy holds write N
  // without forwarding it, the test SIGKILLs rotator there, then a plain rerun must
  // finish the work. --grace 0: all five writes in one run; --grace 1h: three.
  struct Case {
    std::string grace;
    int writes;
  };
  for (const Case& c : {Case{"0s", 5}, Case{"1h", 3}}) {
    for (int n = 1; n <= c.writes; ++n) {
      DYNAMIC_SECTION("grace " << c.grace << ", killed at write " << n) {
        TestNamespace ns("renew");
        TempDir dir;
        renew(ns.name(), "1h", "30m", c.grace);
        const World before = observe(ns.name());
        const std::string old_id = before.live().front()->id;

        FaultProxy proxy;
        proxy.set_rules(Json::array(
            {{{"match", {{"method", Json::array({"PUT", "POST"})}, {"path_regex", "/secrets"}, {"nth_match", n}}},
              {"action", "hang"},
              {"delay_ms", 30000}}}));
        auto args = renew_args(ns.name(), "4h", "2h", c.grace);
        REQUIRE(kill_at_hanging_write(proxy, dir, args));

        // The kill left the state after write n - 1: nothing, staged, registered,
        // promoted, old revoked. No live token is ever unaccounted for.
        World killed = observe(ns.name());
        const bool staged = n == 2 || n == 3;
        CHECK((std::find(killed.data_keys.begin(), killed.data_keys.end(), "mgmt_token.pending") !=
               killed.data_keys.end()) == staged);
        CHECK(killed.live().size() == (n == 3 || n == 4 ? 2u : 1u));
        CHECK((killed.token == before.token) == (n <= 3));
        if (n == 1) CHECK(killed.secret_rv == before.secret_rv);
        for (const auto* r : killed.live()) {
          CHECK((r->id == old_id || r->id == killed.annotations["rotator.io/pending-token-id"] ||
                 r->id == killed.annotations["rotator.io/token-id"]));
        }

        renew(ns.name(), "4h", "2h", c.grace);
        const World after = observe(ns.name());
        const auto v = verify(ns.name(), after.token);
        CHECK(v.valid());
        CHECK(v.id != old_id);
        CHECK(after.data_keys == std::vector<std::string>{"mgmt_token"});  // nothing staged is left
        CHECK(after.annotations.count("rotator.io/pending-token-id") == 0);
        const auto live = after.live();
        if (c.grace == "0s") {
          CHECK(live.size() == 1);
          CHECK(verify(ns.name(), before.token).status == formats::TokenVerification::Status::revoked);
        } else {
          CHECK(live.size() == 2);  // the new one, and the old one during its grace
          CHECK(after.annotations.at("rotator.io/previous-token-id") == old_id);
          CHECK(verify(ns.name(), before.token).valid());
        }
        // Every registered renewal token is either live and accounted for, or revoked.
        CHECK(after.registry.records.size() <= 3);

        // And a further run changes nothing.
        renew(ns.name(), "4h", "2h", c.grace);
        const World settled = observe(ns.name());
        CHECK(settled.secret_rv == after.secret_rv);
        CHECK(settled.registry_rv == after.registry_rv);
      }
    }
  }
}
