#include <fstream>
#include <sstream>
#include <thread>

#include <catch2/catch.hpp>

#include "cluster_fixture.h"
#include "kube/resources.h"
#include "util/base64.h"

using namespace rotator;
using namespace rotator::testing;

namespace {

std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

/// A one-context kubeconfig for the local cluster with the given user body (YAML).
std::string kubeconfig_with_user(const std::string& user_yaml, const std::string& cluster_extra = {}) {
  const auto& c = TestCluster::get();
  return "apiVersion: v1\nkind: Config\nclusters:\n- name: local\n  cluster:\n    server: " + c.server + "\n" +
         (cluster_extra.empty() ? "    certificate-authority: " + c.ca_file.string() + "\n" : cluster_extra) +
         "users:\n- name: u\n  user:\n" + user_yaml +
         "contexts:\n- name: ctx\n  context: {cluster: local, user: u, namespace: default}\n"
         "current-context: ctx\n";
}

std::unique_ptr<kube::Client> client_from(const std::filesystem::path& kubeconfig) {
  kube::ConnectionOptions options;
  options.kubeconfig = kubeconfig.string();
  return std::make_unique<kube::Client>(kube::load_connection(options));
}

}  // namespace

TEST_CASE("auth: an identity without rights gets a 403 Forbidden, and rotator exits 4") {
  TestNamespace ns;
  auto nobody = TestCluster::get().client("nobody");
  try {
    kube::SecretApi(*nobody).get(ns.name(), "rsa-keys");
    FAIL("nobody read a Secret");
  } catch (const kube::ApiError& e) {
    CHECK(e.reason() == kube::Reason::forbidden);
    CHECK(e.exit_code() == ExitCode::not_authorized);
    CHECK_THAT(e.what(), Catch::Contains("User \"nobody\" cannot get resource \"secrets\""));
  }
  const auto run = run_rotator({"status", "--context", "nobody", "-n", ns.name()});
  CHECK(run.exit_code == 7);  // broken: no right to read rotator's Secrets
  CHECK_THAT(run.out, Catch::Contains("broken: not allowed to read") && Catch::Contains("forbidden"));
}

TEST_CASE("auth: a bad token gets a 401 Unauthorized, and rotator exits 4 with one clear line") {
  TempDir dir;
  const auto kubeconfig = dir.write("config", kubeconfig_with_user("    token: not-a-valid-token\n"));
  CHECK(reason_of([&] { client_from(kubeconfig)->get("/api/v1/namespaces/default/secrets"); }) ==
        kube::Reason::unauthorized);
  const auto run = run_rotator({"status", "--kubeconfig", kubeconfig.string()});
  CHECK(run.exit_code == 4);
  CHECK_THAT(run.err, Catch::StartsWith("rotator: error: Unauthorized"));
  CHECK_THAT(run.err, !Catch::Contains("not-a-valid-token"));
}

TEST_CASE("auth: client certificates, from files and from inline data") {
  TestNamespace ns;
  const auto& c = TestCluster::get();
  SECTION("files (the cluster's cert-admin context)") {
    auto client = c.client("cert-admin");
    CHECK_FALSE(kube::SecretApi(*client).get(ns.name(), "none").has_value());
  }
  SECTION("inline *-data, handed to libcurl in memory") {
    TempDir dir;
    const std::string user =
        "    client-certificate-data: " + util::base64_encode(slurp(c.dir / "pki" / "cert-admin.crt")) +
        "\n    client-key-data: " + util::base64_encode(slurp(c.dir / "pki" / "cert-admin.key")) + "\n";
    const std::string cluster = "    certificate-authority-data: " + util::base64_encode(slurp(c.ca_file)) + "\n";
    const auto kubeconfig = dir.write("config", kubeconfig_with_user(user, cluster));
    auto client = client_from(kubeconfig);
    CHECK_FALSE(kube::SecretApi(*client).get(ns.name(), "none").has_value());
    const auto whoami = run_rotator({"status", "--kubeconfig", kubeconfig.string(), "-n", ns.name()});
    CHECK(whoami.exit_code == 7);  // nothing bootstrapped there: broken
    CHECK_THAT(whoami.out, Catch::Contains("client certificate of user \"u\""));
  }
}

TEST_CASE("auth: a tokenFile is re-read for every request") {
  TestNamespace ns;
  const auto& c = TestCluster::get();
  TempDir dir;
  const auto token_file = dir.write("token", c.admin_token + "\n");
  const auto kubeconfig = dir.write("config", kubeconfig_with_user("    tokenFile: token\n"));
  auto client = client_from(kubeconfig);
  kube::SecretApi secrets(*client);
  CHECK_FALSE(secrets.get(ns.name(), "x").has_value());  // admin: 404 means allowed
  dir.write("token", c.nobody_token);
  CHECK(reason_of([&] { secrets.get(ns.name(), "x"); }) == kube::Reason::forbidden);
  dir.write("token", c.admin_token);
  CHECK_FALSE(secrets.get(ns.name(), "x").has_value());
}

TEST_CASE("auth: exec credential plugins run without a shell, get cluster info, and are cached") {
  TestNamespace ns;
  const auto& c = TestCluster::get();
  TempDir dir;
  // The plugin counts its runs, records KUBERNETES_EXEC_INFO, and prints the token
  // it finds in a file, with the expiry it finds in another.
  dir.write("token", c.admin_token);
  dir.write("expiry", "2099-01-01T00:00:00Z");
  dir.write("plugin.sh",
            "#!/bin/sh\n"
            "here=$(dirname \"$0\")\n"
            "echo run >> \"$here/runs\"\n"
            "printf '%s' \"$KUBERNETES_EXEC_INFO\" > \"$here/exec-info\"\n"
            "printf '%s' \"$1 $PLUGIN_ENV\" > \"$here/args\"\n"
            "printf '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\","
            "\"status\":{\"token\":\"%s\",\"expirationTimestamp\":\"%s\"}}' \"$(cat \"$here/token\")\" "
            "\"$(cat \"$here/expiry\")\"\n",
            std::filesystem::perms::owner_all);
  const auto kubeconfig =
      dir.write("config", kubeconfig_with_user("    exec:\n      apiVersion: client.authentication.k8s.io/v1\n"
                                               "      command: ./plugin.sh\n      args: [\"first arg; not a shell\"]\n"
                                               "      env: [{name: PLUGIN_ENV, value: from-kubeconfig}]\n"
                                               "      provideClusterInfo: true\n      interactiveMode: Never\n"));
  auto runs = [&] {
    std::ifstream in(dir.path() / "runs");
    return std::count(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>(), '\n');
  };
  auto client = client_from(kubeconfig);
  kube::SecretApi secrets(*client);

  CHECK_FALSE(secrets.get(ns.name(), "x").has_value());
  CHECK_FALSE(secrets.get(ns.name(), "y").has_value());
  CHECK(runs() == 1);  // cached until the expiry
  CHECK(slurp(dir.path() / "args") == "first arg; not a shell from-kubeconfig");
  const auto info = nlohmann::json::parse(slurp(dir.path() / "exec-info"));
  CHECK(info["kind"] == "ExecCredential");
  CHECK(info["spec"]["cluster"]["server"] == c.server);
  CHECK(util::base64_decode(info["spec"]["cluster"]["certificate-authority-data"].get<std::string>()) ==
        slurp(c.ca_file));

  SECTION("an expired credential runs the plugin again") {
    dir.write("expiry", "2000-01-01T00:00:00Z");
    client = client_from(kubeconfig);
    kube::SecretApi fresh(*client);
    const auto before = runs();
    fresh.get(ns.name(), "x");
    fresh.get(ns.name(), "x");
    CHECK(runs() == before + 2);
  }
  SECTION("a 401 drops the cached credential and runs the plugin once more") {
    dir.write("token", "revoked-token");
    client = client_from(kubeconfig);
    kube::SecretApi fresh(*client);
    const auto before = runs();
    CHECK(reason_of([&] { fresh.get(ns.name(), "x"); }) == kube::Reason::unauthorized);
    CHECK(runs() == before + 2);  // the first run and exactly one refresh
    dir.write("token", c.admin_token);
    CHECK_FALSE(fresh.get(ns.name(), "x").has_value());
  }
  SECTION("a failing plugin or one printing garbage is a clear error") {
    dir.write("plugin.sh", "#!/bin/sh\necho 'not json'\n", std::filesystem::perms::owner_all);
    const auto garbage = run_rotator({"status", "--kubeconfig", kubeconfig.string()});
    CHECK(garbage.exit_code == 1);
    CHECK_THAT(garbage.err, Catch::Contains("did not print an ExecCredential"));
    dir.write("plugin.sh", "#!/bin/sh\nexit 3\n", std::filesystem::perms::owner_all);
    const auto failing = run_rotator({"status", "--kubeconfig", kubeconfig.string()});
    CHECK(failing.exit_code == 1);
    CHECK_THAT(failing.err, Catch::Contains("failed with exit code 3"));
  }
}

TEST_CASE("auth: in-cluster configuration from a service account directory") {
  TestNamespace ns;
  const auto& c = TestCluster::get();
  auto admin = c.client();
  REQUIRE(kubectl({"-n", ns.name(), "create", "serviceaccount", "rotator"}).exit_code == 0);
  REQUIRE(kubectl({"-n", ns.name(), "create", "role", "read-one", "--verb=get", "--resource=secrets",
                   "--resource-name=rsa-keys"})
              .exit_code == 0);
  REQUIRE(kubectl({"-n", ns.name(), "create", "rolebinding", "read-one", "--role=read-one",
                   "--serviceaccount=" + ns.name() + ":rotator"})
              .exit_code == 0);
  // The token controller of the real controller manager issues the token.
  std::string token_secret;
  for (int i = 0; i < 100 && token_secret.empty(); ++i) {
    const auto sa = admin->get(kube::namespaced_path("v1", ns.name(), "serviceaccounts", "rotator"));
    if (sa.contains("secrets") && !sa["secrets"].empty())
      token_secret = sa["secrets"][0]["name"];
    else
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  REQUIRE_FALSE(token_secret.empty());
  const auto secret = kube::SecretApi(*admin).get(ns.name(), token_secret);
  REQUIRE(secret.has_value());

  TempDir sa_dir;
  sa_dir.write("token", secret->data.at("token"));
  sa_dir.write("ca.crt", secret->data.at("ca.crt"));
  sa_dir.write("namespace", ns.name());
  TempDir empty_home;
  ScopedEnv env({{"KUBECONFIG", std::nullopt},
                 {"HOME", empty_home.path().string()},
                 {"KUBERNETES_SERVICE_HOST", "127.0.0.1"},
                 {"KUBERNETES_SERVICE_PORT", std::to_string(c.port)},
                 {"ROTATOR_SERVICEACCOUNT_DIR", sa_dir.path().string()}});
  const auto connection = kube::load_connection({});
  CHECK(connection.context == "in-cluster");
  CHECK(connection.namespace_ == ns.name());
  kube::Client client(connection);
  kube::SecretApi secrets(client);
  CHECK_FALSE(secrets.get(ns.name(), "rsa-keys").has_value());  // allowed: 404
  CHECK(reason_of([&] { secrets.get(ns.name(), "admin-token"); }) == kube::Reason::forbidden);

  // The binary takes the same path when no kubeconfig file exists.
  const auto run_in_pod = run_rotator({"status"}, {{"KUBECONFIG", (empty_home.path() / "missing").string()},
                                                   {"KUBERNETES_SERVICE_HOST", "127.0.0.1"},
                                                   {"KUBERNETES_SERVICE_PORT", std::to_string(c.port)},
                                                   {"ROTATOR_SERVICEACCOUNT_DIR", sa_dir.path().string()}});
  CHECK(run_in_pod.exit_code == 7);  // may read rsa-keys, not admin-token: broken
  CHECK_THAT(run_in_pod.out, Catch::Contains("in-cluster") && Catch::Contains(ns.name()));
}

TEST_CASE("config: an explicit --kubeconfig that cannot be read is a clear error") {
  const auto run = run_rotator({"status", "--kubeconfig=/nonexistent/kubeconfig"});
  CHECK(run.exit_code == 1);
  CHECK(run.err ==
        "rotator: error: cannot read kubeconfig /nonexistent/kubeconfig: No such file or directory (check "
        "--kubeconfig)\n");
}

TEST_CASE("tls: a CA that did not sign the server is refused without retries, insecure-skip works") {
  TempDir dir;
  const auto& c = TestCluster::get();
  REQUIRE(run({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=other-ca",
               "-keyout", (dir.path() / "other.key").string(), "-out", (dir.path() / "other.crt").string()})
              .exit_code == 0);
  const auto wrong_ca = dir.write(
      "wrong", kubeconfig_with_user("    token: " + c.admin_token + "\n",
                                    "    certificate-authority: " + (dir.path() / "other.crt").string() + "\n"));
  auto client = client_from(wrong_ca);
  CHECK(reason_of([&] { client->get("/version"); }) == kube::Reason::tls);
  CHECK(client->stats().requests == 1);
  const auto run_wrong = run_rotator({"status", "--kubeconfig", wrong_ca.string()});
  CHECK(run_wrong.exit_code == 1);
  CHECK_THAT(run_wrong.err, Catch::Contains("TLS verification"));

  const auto insecure = dir.write(
      "insecure", kubeconfig_with_user("    token: " + c.admin_token + "\n", "    insecure-skip-tls-verify: true\n"));
  CHECK(client_from(insecure)->get("/version").contains("gitVersion"));
}
