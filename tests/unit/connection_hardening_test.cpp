#include <map>

#include <catch2/catch.hpp>

#include "kube/connection_config.h"
#include "kube/kubeconfig.h"
#include "util/errors.h"

using namespace rotator;
using namespace rotator::kube;

namespace {

Kubeconfig one_cluster(const std::string& cluster_fields) {
  return parse_kubeconfig("clusters: [{name: c, cluster: {server: \"https://api.example.com:6443\"" + cluster_fields +
                              "}}]\nusers: [{name: u, user: {token: t}}]\n"
                              "contexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n",
                          "/", "inline");
}

EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const char* name) -> std::optional<std::string> {
    const auto it = vars.find(name);
    return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
}

}  // namespace

TEST_CASE("connection: proxy-url is applied and wins over the environment") {
  const auto connection =
      connection_from_kubeconfig(one_cluster(", proxy-url: \"http://proxy.corp:3128\""), {}, "inline",
                                 env_of({{"HTTPS_PROXY", "http://other:1"}, {"NO_PROXY", "*"}}));
  CHECK(connection.proxy.url == "http://proxy.corp:3128");
  CHECK(connection.proxy.source == "proxy-url of cluster \"c\"");
}

TEST_CASE("connection: without proxy-url, the environment's proxy as kubectl reads it") {
  CHECK(
      connection_from_kubeconfig(one_cluster(""), {}, "inline", env_of({{"HTTPS_PROXY", "http://p:3128"}})).proxy.url ==
      "http://p:3128");
  CHECK(connection_from_kubeconfig(one_cluster(""), {}, "inline",
                                   env_of({{"HTTPS_PROXY", "http://p:3128"}, {"NO_PROXY", ".example.com"}}))
            .proxy.url.empty());
  CHECK(connection_from_kubeconfig(one_cluster(""), {}, "inline", env_of({})).proxy.url.empty());
}

TEST_CASE("connection: tls-server-name is applied, and must be a host name or address") {
  CHECK(connection_from_kubeconfig(one_cluster(", tls-server-name: kubernetes"), {}, "inline", env_of({}))
            .tls.server_name == "kubernetes");
  CHECK(connection_from_kubeconfig(one_cluster(", tls-server-name: \"fd00::1\""), {}, "inline", env_of({}))
            .tls.server_name == "fd00::1");
  CHECK_THROWS_WITH(connection_from_kubeconfig(one_cluster(", tls-server-name: \"a/b\""), {}, "inline", env_of({})),
                    Catch::Contains("not a host name or IP address"));
  CHECK_THROWS_WITH(
      connection_from_kubeconfig(one_cluster(", proxy-url: \"socks5://p:1080\""), {}, "inline", env_of({})),
      Catch::Contains("not socks5://"));
}
