// No secret leaks: every line rotator prints (debug logs, dry runs, failures) and
// every Event message in the namespace is searched for each key and token it
// handled. Only the one-time token output of `token create` / `management create`
// on stdout is left out: showing the token once is its purpose.

#include <regex>
#include <set>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "steps_fixture.h"
#include "util/base64.h"

using namespace rotator;
using namespace rotator::testing;
using Json = nlohmann::json;

namespace {

/// The base64 body of a PEM, without armour or line breaks.
std::string pem_body(const std::string& pem) {
  std::string body;
  std::istringstream in(pem);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.starts_with("-----")) body += line;
  }
  return body;
}

}  // namespace

TEST_CASE("no leaks: keys and tokens never appear in logs, dry runs, errors or Events") {
  TestNamespace ns;
  const std::string n = ns.name();
  const std::string jobs = std::string(ROTATOR_SOURCE_DIR) + "/jobs/";
  std::string output;             // everything searched
  std::set<std::string> secrets;  // everything that must not appear
  auto collect_keys = [&] {
    for (const char* key : {"private.pem", "next.pem"}) {
      const auto body = pem_body(secret_value(n, "rsa-keys", key));
      if (body.empty()) continue;
      // Any 40-character piece of the key body would be a leak; check three.
      for (std::size_t at : {std::size_t(64), body.size() / 2, body.size() - 48}) secrets.insert(body.substr(at, 40));
    }
    const std::string file = secret_value(n, "admin-token", "token");
    if (!file.empty()) {
      const std::string jwt = Json::parse(file)["access_token"];
      secrets.insert(jwt);
      secrets.insert(jwt.substr(jwt.rfind('.') + 1));
      secrets.insert(util::base64_encode(file).substr(0, 60));
    }
  };
  auto step = [&](const std::vector<std::string>& args, int expected = 0) {
    auto with_debug = args;
    with_debug.insert(with_debug.end(), {"-n", n, "--log-level", "debug"});
    const auto result = run_rotator(with_debug);
    INFO(args[0] << "\n" << result.err);
    CHECK(result.exit_code == expected);
    output += result.out + "\n" + result.err + "\n";
    collect_keys();
    return result;
  };
  auto token_created = [&](const CommandResult& result, const std::string& field) {
    const auto json = Json::parse(result.out);
    const std::string token = json[field];
    secrets.insert(token);
    secrets.insert(token.substr(token.size() - 30));
    secrets.insert(util::base64_encode(token).substr(0, 40));
    output += result.err + "\n";  // stdout is the one-time showing
    return json["id"].get<std::string>();
  };

  // A dry run of bootstrap on an empty namespace plans both steps.
  step({"run", jobs + "bootstrap.yaml", "--dry-run"});
  step({"run", jobs + "bootstrap.yaml"});
  step({"run", jobs + "bootstrap.yaml"});
  step({"revoke-and-rotate", "--restart", "none", "--rotation-id", "r1", "--dry-run"});
  step({"revoke-and-rotate", "--restart", "none", "--rotation-id", "r1"});
  step({"revoke-and-rotate", "--restart", "none", "--rotation-id", "incident", "--fresh"});
  step({"key-gen", "--force", "--dry-run"});
  step({"create-admin-token", "--ttl", "1h", "--dry-run"});
  step({"status"});
  step({"status", "-o", "json"});
  step({"export-admin-token", "--out", "/dev/null"});

  auto created = run_rotator(
      {"token", "create", "leaktest", "--read-database", "db", "-o", "json", "-n", n, "--log-level", "debug"});
  REQUIRE(created.exit_code == 0);
  const std::string db_id = token_created(created, "token");
  created =
      run_rotator({"management", "create", "--description", "leaktest", "-o", "json", "-n", n, "--log-level", "debug"});
  REQUIRE(created.exit_code == 0);
  const std::string mgmt_id = token_created(created, "token");
  step({"token", "list"});
  step({"token", "get", db_id});
  step({"token", "list", "-o", "json"});
  step({"management", "list", "-o", "json"});
  step({"management", "renew", "--secret", "automation-token"});
  const std::string renewed = secret_value(n, "automation-token", "mgmt_token");
  REQUIRE_FALSE(renewed.empty());
  secrets.insert(renewed);
  secrets.insert(util::base64_encode(renewed).substr(0, 40));
  step({"management", "renew", "--secret", "automation-token", "--dry-run"});
  step({"token", "revoke", db_id, "--force"});
  step({"management", "revoke", mgmt_id, "--force"});
  step({"token", "revoke", db_id, "--force", "--dry-run"});
  // Failures: a token that does not verify, a corrupt key Secret, a missing token.
  for (const auto& secret : secrets) {
    if (secret.starts_with("ey")) {
      step({"verify", secret.substr(0, secret.rfind('.') + 1) + "AAAA"}, 1);
      break;
    }
  }
  step({"verify",
        *std::find_if(secrets.begin(), secrets.end(), [](const std::string& s) { return s.starts_with("apiv1_"); })},
       1);
  step({"token", "revoke", "00000000-0000-4000-8000-000000000000", "--force"}, 1);
  step({"create-admin-token", "--keys-secret", "admin-token"}, 5);

  const auto events = kubectl({"-n", n, "get", "events", "-o", "jsonpath={range .items[*]}{.message}{\"\\n\"}{end}"});
  REQUIRE(events.exit_code == 0);
  CHECK(events.out.size() > 0);
  output += events.out;

  int leaks = 0;
  for (const auto& secret : secrets) {
    if (output.find(secret) != std::string::npos) {
      ++leaks;
      FAIL_CHECK("leaked: a piece of a secret of " << secret.size() << " characters starting " << secret.substr(0, 6));
    }
  }
  WARN("secret pieces checked: " << secrets.size() << " in " << output.size() << " bytes of output; leaks: " << leaks);
  CHECK(secrets.size() >= 20);
  CHECK(leaks == 0);
}
