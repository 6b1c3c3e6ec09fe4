// Issue 16, findings 5 (API server text), 8 (exec plugins) and 9 (connection
// settings), on the real API server: proxy-url and HTTPS_PROXY through a real
// CONNECT proxy that logs what it tunnels, tls-server-name against the server's
// real certificate, exec plugins found through PATH, and warnings for settings
// that expose credentials.

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <catch2/catch.hpp>

#include "cluster_fixture.h"
#include "connect_proxy.h"
#include "kube/resources.h"

using namespace rotator;
using namespace rotator::testing;
namespace fs = std::filesystem;
using Json = nlohmann::json;

namespace {

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

/// A one-context kubeconfig: the cluster entry's extra lines, the user's lines.
fs::path kubeconfig(const TempDir& dir, const std::string& server, const std::string& cluster_extra,
                    const std::string& user_yaml) {
  const auto& c = TestCluster::get();
  return dir.write("config-" + unique_suffix(),
                   "apiVersion: v1\nkind: Config\nclusters:\n- name: local\n  cluster:\n    server: " + server +
                       "\n    certificate-authority: " + c.ca_file.string() + "\n" + cluster_extra +
                       "users:\n- name: u\n  user:\n" + user_yaml +
                       "contexts:\n- name: ctx\n  context: {cluster: local, user: u, namespace: default}\n"
                       "current-context: ctx\n");
}

std::string admin_user() {
  return "    token: " + TestCluster::get().admin_token + "\n";
}

std::unique_ptr<kube::Client> client_from(const fs::path& path) {
  kube::ConnectionOptions options;
  options.kubeconfig = path.string();
  return std::make_unique<kube::Client>(kube::load_connection(options));
}

bool saw(const std::vector<std::string>& targets, const std::string& wanted) {
  return std::find(targets.begin(), targets.end(), wanted) != targets.end();
}

}  // namespace

TEST_CASE("hardening: proxy-url sends every request through the proxy") {
  const auto& c = TestCluster::get();
  ConnectProxy proxy;
  TempDir dir;
  const auto config = kubeconfig(dir, c.server, "    proxy-url: " + proxy.url() + "\n", admin_user());
  CHECK(client_from(config)->get("/version").contains("gitVersion"));
  const std::string expected = "CONNECT 127.0.0.1:" + std::to_string(c.port);
  CHECK(saw(proxy.targets(), expected));

  // The binary too; NO_PROXY in the environment does not override the
  // kubeconfig's proxy-url (as with kubectl).
  const auto before = proxy.targets().size();
  const auto status =
      run_rotator({"status", "--kubeconfig", config.string(), "-n", "default"}, {{"NO_PROXY", "*"}, {"no_proxy", "*"}});
  INFO(status.err);
  CHECK_THAT(status.err, !Catch::Contains("cannot reach"));
  CHECK(proxy.targets().size() > before);

  const auto socks = kubeconfig(dir, c.server, "    proxy-url: socks5://127.0.0.1:1080\n", admin_user());
  const auto refused = run_rotator({"status", "--kubeconfig", socks.string()});
  CHECK(refused.exit_code == 1);
  CHECK_THAT(refused.err,
             Catch::StartsWith("rotator: error: proxy-url of cluster \"local\"") && Catch::Contains("not socks5://"));
}

TEST_CASE("hardening: HTTPS_PROXY is honoured as kubectl honours it, loopback servers excepted") {
  const auto& c = TestCluster::get();
  ConnectProxy proxy;
  TempDir dir;
  SECTION("a loopback server is reached directly, as Go's ProxyFromEnvironment does") {
    const auto config = kubeconfig(dir, c.server, "", admin_user());
    ScopedEnv env({{"HTTPS_PROXY", proxy.url()}, {"NO_PROXY", std::nullopt}, {"no_proxy", std::nullopt}});
    CHECK(client_from(config)->get("/version").contains("gitVersion"));
    CHECK(proxy.targets().empty());
  }
  SECTION("a named server goes through it, and tls-server-name names the certificate to check") {
    // kube.invalid resolves nowhere: only the proxy (which tunnels to 127.0.0.1)
    // can reach it, and the certificate is checked for "kubernetes", a name in
    // the server certificate's SAN.
    const std::string server = "https://kube.invalid:" + std::to_string(c.port);
    const auto config = kubeconfig(dir, server, "    tls-server-name: kubernetes\n", admin_user());
    ScopedEnv env({{"HTTPS_PROXY", proxy.url()}, {"NO_PROXY", std::nullopt}, {"no_proxy", std::nullopt}});
    CHECK(client_from(config)->get("/version").contains("gitVersion"));
    CHECK(saw(proxy.targets(), "CONNECT kube.invalid:" + std::to_string(c.port)));
    {
      ScopedEnv excluded({{"NO_PROXY", std::optional<std::string>(".invalid")}});
      CHECK(reason_of([&] { client_from(config)->get("/version"); }) == kube::Reason::unreachable);
    }
    const auto status =
        run_rotator({"status", "--kubeconfig", config.string(), "-n", "default"}, {{"HTTPS_PROXY", proxy.url()}});
    CHECK_THAT(status.err, !Catch::Contains("cannot reach") && !Catch::Contains("TLS"));
  }
}

TEST_CASE("hardening: tls-server-name is the name the certificate is checked against") {
  const auto& c = TestCluster::get();
  TempDir dir;
  const auto right = kubeconfig(dir, c.server, "    tls-server-name: kubernetes.default.svc\n", admin_user());
  CHECK(client_from(right)->get("/version").contains("gitVersion"));
  // 127.0.0.1 is in the certificate, so without tls-server-name this would work:
  // a refusal proves the name is applied.
  const auto wrong = kubeconfig(dir, c.server, "    tls-server-name: not-in-the-certificate.example\n", admin_user());
  CHECK(reason_of([&] { client_from(wrong)->get("/version"); }) == kube::Reason::tls);
  const auto run_wrong = run_rotator({"status", "--kubeconfig", wrong.string()});
  CHECK(run_wrong.exit_code == 1);
  CHECK_THAT(run_wrong.err, Catch::Contains("TLS verification"));
  const auto bad = kubeconfig(dir, c.server, "    tls-server-name: \"a b/c\"\n", admin_user());
  const auto refused = run_rotator({"status", "--kubeconfig", bad.string()});
  CHECK(refused.exit_code == 1);
  CHECK_THAT(refused.err, Catch::Contains("tls-server-name \"a b/c\", which is not a host name"));
}

TEST_CASE("hardening: insecure-skip-tls-verify and http:// servers are warned about") {
  const auto& c = TestCluster::get();
  TempDir dir;
  const auto insecure = dir.write(
      "insecure", "apiVersion: v1\nkind: Config\nclusters:\n- name: lab\n  cluster:\n    server: " + c.server +
                      "\n    insecure-skip-tls-verify: true\nusers:\n- name: u\n  user:\n" + admin_user() +
                      "contexts:\n- name: ctx\n  context: {cluster: lab, user: u, namespace: default}\n"
                      "current-context: ctx\n");
  const auto warned = run_rotator({"status", "--kubeconfig", insecure.string(), "-n", "default"});
  CHECK_THAT(warned.err, Catch::Contains("warning: cluster \"lab\" sets insecure-skip-tls-verify"));
  const auto plain = dir.write(
      "plain",
      "apiVersion: v1\nkind: Config\nclusters:\n- name: lab\n  cluster:\n    server: http://127.0.0.1:1\n"
      "users:\n- name: u\n  user:\n" +
          admin_user() +
          "contexts:\n- name: ctx\n  context: {cluster: lab, user: u, namespace: default}\ncurrent-context: ctx\n");
  const auto plain_run = run_rotator({"status", "--kubeconfig", plain.string(), "-n", "default", "--timeout", "5s"});
  CHECK_THAT(plain_run.err, Catch::Contains("warning: cluster \"lab\" has an http:// server"));
}

TEST_CASE("hardening: an exec plugin is never run from the current directory through an empty PATH entry") {
  const auto& c = TestCluster::get();
  TempDir dir;
  dir.write("rotator-test-plugin",
            "#!/bin/sh\necho ran >> \"$(dirname \"$0\")/runs\"\n"
            "printf '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\","
            "\"status\":{\"token\":\"%s\"}}' '" +
                c.admin_token + "'\n",
            fs::perms::owner_all);
  const auto config = kubeconfig(dir, c.server, "",
                                 "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n"
                                 "      command: rotator-test-plugin\n");
  // rotator runs in the plugin's directory with an empty entry in PATH: a shell
  // would run ./rotator-test-plugin, rotator (like kubectl) refuses.
  const auto refused = run({"/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", dir.path().string(), ROTATOR_BINARY, "status",
                            "--kubeconfig", config.string(), "-n", "default"},
                           {{"PATH", "/usr/bin:/bin:"}});
  INFO(refused.err);
  CHECK(refused.exit_code == 1);
  CHECK_THAT(refused.err, Catch::StartsWith("rotator: error: exec plugin: 'rotator-test-plugin' would run from the "
                                            "current directory through the relative PATH entry \"\""));
  CHECK_FALSE(fs::exists(dir.path() / "runs"));
  // The same plugin through an absolute PATH entry runs.
  const auto allowed = run({"/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", dir.path().string(), ROTATOR_BINARY, "status",
                            "--kubeconfig", config.string(), "-n", "default"},
                           {{"PATH", dir.path().string() + ":/usr/bin:/bin"}});
  INFO(allowed.err);
  CHECK(fs::exists(dir.path() / "runs"));
  CHECK_THAT(allowed.err, !Catch::Contains("exec plugin"));
}

TEST_CASE("hardening: an exec plugin inherits none of rotator's connections, and its stderr is shown escaped") {
  const auto& c = TestCluster::get();
  TempDir dir;
  // An expired credential makes rotator run the plugin for every request, so
  // from the second run on its API connections are open in the process.
  dir.write("plugin.sh",
            "#!/bin/sh\nhere=$(dirname \"$0\")\n"
            "for f in /proc/$$/fd/*; do readlink \"$f\"; done >> \"$here/fds\"\n"
            "printf 'hello \\033[31mred\\033[0m\\n' >&2\n"
            "printf '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\","
            "\"status\":{\"token\":\"%s\",\"expirationTimestamp\":\"2000-01-01T00:00:00Z\"}}' '" +
                c.admin_token + "'\n",
            fs::perms::owner_all);
  const auto config = kubeconfig(dir, c.server, "",
                                 "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n"
                                 "      command: ./plugin.sh\n");
  auto client = client_from(config);
  kube::SecretApi secrets(*client);
  for (int i = 0; i < 3; ++i) secrets.get("default", "none");
  const std::string fds = slurp(dir.path() / "fds");
  INFO(fds);
  CHECK_FALSE(fds.empty());
  CHECK(fds.find("socket:") == std::string::npos);

  const auto status = run_rotator({"status", "--kubeconfig", config.string(), "-n", "default"});
  CHECK_THAT(status.err, Catch::Contains("exec plugin ") && Catch::Contains("hello \\e[31mred\\e[0m"));
  CHECK(status.err.find('\x1b') == std::string::npos);
}

TEST_CASE("hardening: an API server's message is shown with its escape sequences escaped") {
  TestNamespace ns("hard-escape");
  FaultProxy proxy;
  TempDir dir;
  const auto config = admin_kubeconfig(dir, proxy.url());
  proxy.set_rules(Json::array({{{"match", {{"path_regex", "/secrets/admin-token$"}}},
                                {"action", "status"},
                                {"status", 403},
                                {"message", "no\x1b]0;owned\x07 access\nrotator: error: forged line"}}}));
  const auto result =
      run_rotator({"export-admin-token", "--out", "-", "-n", ns.name(), "--kubeconfig", config.string()});
  INFO(result.err);
  CHECK(result.exit_code == 4);
  CHECK(result.err.find('\x1b') == std::string::npos);
  CHECK(result.err.find('\x07') == std::string::npos);
  CHECK_THAT(result.err, Catch::Contains("no\\e]0;owned\\x07 access\\nrotator: error: forged line"));
  CHECK(std::count(result.err.begin(), result.err.end(), '\n') == 1);
}
