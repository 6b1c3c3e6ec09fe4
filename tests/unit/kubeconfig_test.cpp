#include <catch2/catch.hpp>

#include "kube/connection_config.h"
#include "kube/kubeconfig.h"
#include "util/base64.h"
#include "util/errors.h"

using namespace rotator;
using namespace rotator::kube;

namespace {

const char* two_contexts = R"(
apiVersion: v1
kind: Config
clusters:
- name: prod
  cluster:
    server: https://prod.example:6443/
    certificate-authority: certs/ca.crt
- name: lab
  cluster:
    server: https://127.0.0.1:6443
    insecure-skip-tls-verify: true
users:
- name: alice
  user:
    token: alice-token
- name: bob
  user:
    tokenFile: ./bob.token
    client-certificate: /abs/bob.crt
    client-key: bob.key
- name: plugin
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: ./bin/get-token
      args: [--audience, k8s]
      env:
      - {name: REGION, value: eu}
      provideClusterInfo: true
contexts:
- name: prod-alice
  context: {cluster: prod, user: alice, namespace: influxdb}
- name: lab-bob
  context: {cluster: lab, user: bob}
current-context: prod-alice
)";

}  // namespace

TEST_CASE("kubeconfig: parses clusters, users and contexts and resolves relative paths") {
  const auto config = parse_kubeconfig(two_contexts, "/home/op/.kube", "test");
  REQUIRE(config.current_context == "prod-alice");
  REQUIRE(config.clusters.at("prod").server == "https://prod.example:6443/");
  CHECK(config.clusters.at("prod").certificate_authority == "/home/op/.kube/certs/ca.crt");
  CHECK(config.clusters.at("lab").insecure_skip_tls_verify);
  CHECK(config.users.at("alice").token == "alice-token");
  CHECK(config.users.at("bob").token_file == "/home/op/.kube/bob.token");
  CHECK(config.users.at("bob").client_certificate == "/abs/bob.crt");
  CHECK(config.users.at("bob").client_key == "/home/op/.kube/bob.key");
  const auto& exec = *config.users.at("plugin").exec;
  CHECK(exec.command == "/home/op/.kube/bin/get-token");
  CHECK(exec.args == std::vector<std::string>{"--audience", "k8s"});
  CHECK(exec.env.at(0) == std::pair<std::string, std::string>{"REGION", "eu"});
  CHECK(exec.cluster_info == ExecPluginConfig::ClusterInfo::provided);
  CHECK(config.contexts.at("prod-alice").namespace_ == "influxdb");
}

TEST_CASE("kubeconfig: a PATH command of an exec plugin stays a PATH lookup") {
  const auto config = parse_kubeconfig(R"(
users:
- name: u
  user:
    exec: {apiVersion: client.authentication.k8s.io/v1beta1, command: aws}
)",
                                       "/x", "t");
  CHECK(config.users.at("u").exec->command == "aws");
}

TEST_CASE("kubeconfig: data fields are base64-decoded") {
  const std::string yaml =
      "clusters:\n- name: c\n  cluster:\n    server: https://h\n"
      "    certificate-authority-data: " +
      util::base64_encode("CA PEM") + "\n";
  CHECK(parse_kubeconfig(yaml, "/", "t").clusters.at("c").certificate_authority_data == "CA PEM");
}

TEST_CASE("kubeconfig: malformed documents are refused with the field named") {
  struct Case {
    const char* yaml;
    const char* fragment;
  };
  const Case cases[] = {
      {"clusters: [", "not valid YAML"},
      {"- just\n- a list\n", "must be a mapping"},
      {"clusters: {name: x}", "clusters must be a list"},
      {"clusters:\n- cluster: {server: https://h}", "has no name"},
      {"clusters:\n- name: c\n  cluster: {server: [a]}", "server must be a string"},
      {"clusters:\n- name: c\n  cluster: {certificate-authority-data: '!!notbase64'}", "not valid base64"},
      {"clusters:\n- name: c\n  cluster: {insecure-skip-tls-verify: maybe}", "true or false"},
      {"users:\n- name: u\n  user: {exec: {apiVersion: v2, command: x}}", "apiVersion must be"},
      {"users:\n- name: u\n  user: {exec: {apiVersion: client.authentication.k8s.io/v1}}", "command is missing"},
      {"users:\n- name: u\n  user: {exec: {apiVersion: client.authentication.k8s.io/v1, command: x, args: a}}",
       "args must be a list"},
      {"contexts:\n- name: c\n  context: [1]", "must be a mapping"},
  };
  for (const auto& c : cases) {
    INFO(c.yaml);
    try {
      parse_kubeconfig(c.yaml, "/", "FILE");
      FAIL("accepted");
    } catch (const ConfigError& e) {
      CHECK_THAT(e.what(), Catch::Contains(c.fragment) && Catch::Contains("FILE"));
    }
  }
}

TEST_CASE("kubeconfig: merging keeps the first definition, as kubectl does") {
  const auto first = parse_kubeconfig(R"(
clusters: [{name: shared, cluster: {server: https://first}}]
users: [{name: u, user: {token: first}}]
contexts: [{name: a, context: {cluster: shared, user: u}}]
)",
                                      "/", "first");
  const auto second = parse_kubeconfig(R"(
clusters: [{name: shared, cluster: {server: https://second}}, {name: other, cluster: {server: https://other}}]
users: [{name: u, user: {token: second}}]
contexts: [{name: b, context: {cluster: other, user: u}}]
current-context: b
)",
                                       "/", "second");
  const auto merged = merge_kubeconfigs({first, second});
  CHECK(merged.clusters.at("shared").server == "https://first");
  CHECK(merged.clusters.at("other").server == "https://other");
  CHECK(merged.users.at("u").token == "first");
  CHECK(merged.contexts.size() == 2);
  CHECK(merged.current_context == "b");  // the first file had none
  CHECK(merged.context_sources.at("b") == "second");
}

TEST_CASE("kubeconfig: KUBECONFIG list splitting drops empties and duplicates") {
  const auto paths = split_kubeconfig_list("/a::/b:/a:");
  REQUIRE(paths.size() == 2);
  CHECK(paths[0] == "/a");
  CHECK(paths[1] == "/b");
}

TEST_CASE("connection: context, namespace and credentials are chosen as kubectl chooses them") {
  const auto config = parse_kubeconfig(two_contexts, "/home/op/.kube", "test");
  SECTION("current context") {
    // prod's CA file does not exist: the error names it.
    CHECK_THROWS_WITH(connection_from_kubeconfig(config, {}, "test"), Catch::Contains("/home/op/.kube/certs/ca.crt"));
  }
  SECTION("--context and -n override") {
    ConnectionOptions options;
    options.context = "lab-bob";
    options.namespace_ = "team";
    // bob's client certificate file is missing: refused with the path.
    CHECK_THROWS_WITH(connection_from_kubeconfig(config, options, "test"), Catch::Contains("/abs/bob.crt"));
  }
  SECTION("unknown context") {
    ConnectionOptions options;
    options.context = "nope";
    CHECK_THROWS_WITH(connection_from_kubeconfig(config, options, "test"),
                      Catch::Contains("context \"nope\" not found"));
  }
}

TEST_CASE("connection: a token user on an insecure cluster") {
  const auto config = parse_kubeconfig(R"(
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1/", insecure-skip-tls-verify: true}}]
users: [{name: u, user: {token: t0k}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
)",
                                       "/", "inline");
  const auto connection = connection_from_kubeconfig(config, {}, "inline");
  CHECK(connection.server == "https://127.0.0.1:1");
  CHECK(connection.namespace_ == "default");
  CHECK(connection.tls.verify == TlsSettings::Verify::skip);
  CHECK(connection.credentials->current().bearer_token == "t0k");
  CHECK_THAT(connection.credentials->describe(), !Catch::Contains("t0k"));
}

TEST_CASE("connection: inconsistent entries are refused") {
  const char* cases[][2] = {
      {"contexts: [{name: x, context: {cluster: missing, user: u}}]\ncurrent-context: x", "refers to cluster"},
      {"clusters: [{name: c, cluster: {}}]\ncontexts: [{name: x, context: {cluster: c}}]\ncurrent-context: x",
       "has no server"},
      {"clusters: [{name: c, cluster: {server: ftp://h}}]\ncontexts: [{name: x, context: {cluster: "
       "c}}]\ncurrent-context: x",
       "not an http(s) URL"},
      {"clusters: [{name: c, cluster: {server: https://h}}]\ncontexts: [{name: x, context: {cluster: c, user: "
       "ghost}}]\ncurrent-context: x",
       "refers to user"},
      {"clusters: [{name: c, cluster: {server: https://h}}]\nusers: [{name: u, user: {username: a, password: "
       "b}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x",
       "username/password"},
      {"clusters: [{name: c, cluster: {server: https://h}}]\nusers: [{name: u, user: {auth-provider: {name: "
       "gcp}}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x",
       "auth-provider"},
      {"clusters: [{name: c, cluster: {server: https://h}}]\nusers: [{name: u, user: {client-certificate-data: "
       "Y2VydA==}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x",
       "without its key"},
      {"clusters: [{name: c, cluster: {server: https://h}}]\ncontexts: [{name: x, context: {cluster: c}}]",
       "no current-context"},
  };
  for (const auto& c : cases) {
    INFO(c[0]);
    const auto config = parse_kubeconfig(c[0], "/", "inline");
    CHECK_THROWS_WITH(connection_from_kubeconfig(config, {}, "inline"), Catch::Contains(c[1]));
  }
}
