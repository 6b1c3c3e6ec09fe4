// End-to-end 1: the one-shot bootstrap Job of manifests/one-shot, as shipped (only
// the image reference, imagePullPolicy Never and the local node's toleration
// added), runs rotator's real image on the real node with the shipped
// ServiceAccount, Role and restricted securityContext, finds the API server through
// its in-cluster configuration (the `kubernetes` Service, 10.0.0.1:443), and
// completes. Checked from outside: kubectl, the API server's audit log (who wrote
// the Secrets) and openssl (the admin token verifies under public.pem).

#include <fstream>
#include <set>
#include <sstream>

#include <catch2/catch.hpp>

#include "e2e_support.h"
#include "util/base64.h"

using namespace rotator;
using namespace rotator::e2e;
using namespace rotator::testing;

namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

/// The users the API server's audit log names for `verb` on Secret ns/name.
std::set<std::string> audit_users(const std::string& ns, const std::string& verb, const std::string& name) {
  std::set<std::string> users;
  std::ifstream in(TestCluster::get().dir / "logs" / "audit.log");
  const std::string needle = "\"namespace\":\"" + ns + "\"";
  for (std::string line; std::getline(in, line);) {
    if (line.find(needle) == std::string::npos) continue;
    const auto event = Json::parse(line, nullptr, false);
    if (!event.is_object() || event.value("verb", "") != verb) continue;
    const auto& ref = event.value("objectRef", Json::object());
    if (ref.value("resource", "") != "secrets" || ref.value("name", "") != name) continue;
    if (event.value("responseStatus", Json::object()).value("code", 0) / 100 != 2) continue;
    users.insert(event["user"].value("username", ""));
  }
  return users;
}

}  // namespace

TEST_CASE(
    "bootstrap Job: the one-shot Job runs the real image as the shipped ServiceAccount, in-cluster, and completes") {
  if (skip_without_node()) return;
  TestNamespace ns("e2e-boot");
  const auto start = Clock::now();
  install_base(ns.name(), SuspendCronJobs::yes);
  auto job = find_object(render_kustomize("manifests/one-shot"), "Job", "rotator-bootstrap");
  const Json shipped = job["spec"]["template"]["spec"];
  run_on_node(job["spec"]["template"]["spec"], Suite::get().rotator_image);
  kubectl_apply(ns.name(), {job});
  wait_job_complete(ns.name(), "rotator-bootstrap", std::chrono::seconds(180));
  const double seconds = seconds_since(start);

  // The pod ran on the node, as the shipped ServiceAccount, with the shipped
  // securityContext, the loaded image, and exited 0.
  const auto pods =
      Json::parse(must({"kubectl", "-n", ns.name(), "get", "pods", "-l", "job-name=rotator-bootstrap", "-o", "json"}));
  REQUIRE(pods["items"].size() == 1);
  const auto& pod = pods["items"][0];
  CHECK(pod["spec"]["nodeName"] == "localhost");
  CHECK(pod["spec"]["serviceAccountName"] == "rotator");
  CHECK(pod["spec"]["securityContext"] == shipped["securityContext"]);
  CHECK(pod["spec"]["containers"][0]["securityContext"] == shipped["containers"][0]["securityContext"]);
  CHECK(pod["spec"]["containers"][0]["args"] == shipped["containers"][0]["args"]);
  CHECK(pod["status"]["phase"] == "Succeeded");
  const auto& status = pod["status"]["containerStatuses"][0];
  CHECK(status["state"]["terminated"]["exitCode"] == 0);
  CHECK(status["image"].get<std::string>() == Suite::get().rotator_image);
  CHECK_FALSE(status.value("imageID", "").empty());

  // Its logs are JSON lines.
  const auto logs = lines_of(must({"kubectl", "-n", ns.name(), "logs", "job/rotator-bootstrap"}));
  REQUIRE(logs.size() >= 2);
  for (const auto& line : logs) {
    INFO("log line: " << line.substr(0, 200));
    const auto parsed = Json::parse(line, nullptr, false);
    CHECK(parsed.is_object());
  }

  // In-cluster configuration: the installer (the test, as admin) created the empty
  // placeholders of manifests/secrets.yaml, since the Role has no `create` on
  // Secrets; the API server saw their data written by the ServiceAccount's own
  // token only, never by an identity of the test.
  const std::string sa = "system:serviceaccount:" + ns.name() + ":rotator";
  for (const std::string secret : {"rsa-keys", "admin-token"}) {
    INFO("Secret " << secret);
    CHECK(audit_users(ns.name(), "update", secret) == std::set<std::string>{sa});
    CHECK(audit_users(ns.name(), "create", secret).count(sa) == 0);
  }

  // The admin token verifies under public.pem with openssl (RS256: SHA-256, PKCS#1 v1.5).
  TempDir dir;
  const auto public_pem =
      must({"kubectl", "-n", ns.name(), "get", "secret", "rsa-keys", "-o", "jsonpath={.data.public\\.pem}"});
  const auto token_file =
      must({"kubectl", "-n", ns.name(), "get", "secret", "admin-token", "-o", "jsonpath={.data.token}"});
  const auto pem = util::base64_decode(public_pem);
  const auto file = util::base64_decode(token_file);
  REQUIRE(pem);
  REQUIRE(file);
  const std::string jwt = Json::parse(*file).at("access_token");
  const auto last_dot = jwt.rfind('.');
  const auto signature = util::base64url_decode(jwt.substr(last_dot + 1));
  REQUIRE(signature);
  const auto verified =
      run({"openssl", "dgst", "-sha256", "-verify", dir.write("public.pem", *pem).string(), "-signature",
           dir.write("sig", *signature).string(), dir.write("signed", jwt.substr(0, last_dot)).string()});
  CHECK(verified.exit_code == 0);
  CHECK(verified.out.find("Verified OK") != std::string::npos);

  report({{"test", "bootstrap-job"}, {"seconds_to_complete", seconds}, {"log_lines", logs.size()}});
}
