#include <map>

#include <catch2/catch.hpp>

#include "kube/proxy.h"
#include "kube/server_url.h"
#include "util/errors.h"

using namespace rotator;
using namespace rotator::kube;

namespace {
EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const char* name) -> std::optional<std::string> {
    const auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}
}  // namespace

TEST_CASE("proxy: HTTPS_PROXY is used for https servers, as kubectl uses it") {
  const auto proxy = proxy_from_environment("https://api.example.com:6443", env_of({{"HTTPS_PROXY", "http://p:3128"}}));
  CHECK(proxy.url == "http://p:3128");
  CHECK(proxy.source == "HTTPS_PROXY");
  CHECK(proxy_from_environment("https://api.example.com", env_of({{"https_proxy", "p:3128"}})).url == "http://p:3128");
  CHECK(proxy_from_environment("https://api.example.com", env_of({{"HTTP_PROXY", "http://p:3128"}})).url.empty());
  CHECK(proxy_from_environment("http://api.example.com", env_of({{"HTTP_PROXY", "http://p:3128"}})).url ==
        "http://p:3128");
  CHECK(proxy_from_environment("https://api.example.com", env_of({{"ALL_PROXY", "http://p:3128"}})).url.empty());
  CHECK(proxy_from_environment("https://api.example.com", env_of({})).url.empty());
}

TEST_CASE("proxy: loopback servers and NO_PROXY hosts are reached directly") {
  const std::map<std::string, std::string> base = {{"HTTPS_PROXY", "http://p:3128"}};
  for (const char* server :
       {"https://127.0.0.1:6443", "https://127.9.9.9", "https://localhost:1", "https://[::1]:6443"}) {
    INFO(server);
    CHECK(proxy_from_environment(server, env_of(base)).url.empty());
  }
  auto with_no_proxy = [&](const std::string& no_proxy, const std::string& server) {
    auto vars = base;
    vars["NO_PROXY"] = no_proxy;
    return proxy_from_environment(server, env_of(vars)).url.empty();
  };
  CHECK(with_no_proxy("*", "https://api.example.com"));
  CHECK(with_no_proxy("example.com", "https://api.example.com"));
  CHECK(with_no_proxy("example.com", "https://example.com"));
  CHECK(with_no_proxy(".example.com", "https://api.example.com"));
  CHECK_FALSE(with_no_proxy(".example.com", "https://example.com"));
  CHECK(with_no_proxy("*.example.com", "https://a.b.example.com"));
  CHECK_FALSE(with_no_proxy("ample.com", "https://example.com"));
  CHECK(with_no_proxy("10.0.0.0/8, 192.168.1.1", "https://10.96.0.1:443"));
  CHECK(with_no_proxy("10.0.0.0/8, 192.168.1.1", "https://192.168.1.1"));
  CHECK_FALSE(with_no_proxy("10.0.0.0/8", "https://11.0.0.1"));
  CHECK(with_no_proxy("fd00::/8", "https://[fd12::1]:6443"));
  CHECK(with_no_proxy("api.example.com:6443", "https://api.example.com:6443"));
  CHECK_FALSE(with_no_proxy("api.example.com:443", "https://api.example.com:6443"));
  CHECK(with_no_proxy("API.Example.COM", "https://api.example.com"));
}

TEST_CASE("proxy: a kubeconfig's proxy-url must be an http or https proxy") {
  CHECK(proxy_from_kubeconfig("http://127.0.0.1:3128", "cluster \"c\"").url == "http://127.0.0.1:3128");
  CHECK(proxy_from_kubeconfig("https://proxy.corp:443", "cluster \"c\"").source == "proxy-url of cluster \"c\"");
  CHECK(proxy_from_kubeconfig("", "cluster \"c\"").url.empty());
  CHECK_THROWS_WITH(proxy_from_kubeconfig("socks5://127.0.0.1:1080", "cluster \"c\""),
                    Catch::Contains("http:// and https:// proxies, not socks5://"));
  CHECK_THROWS_AS(proxy_from_kubeconfig("127.0.0.1:3128", "cluster \"c\""), ConfigError);
  // A proxy password never reaches a message.
  CHECK_THROWS_WITH(proxy_from_kubeconfig("socks5://user:s3cret@127.0.0.1:1080", "cluster \"c\""),
                    Catch::Contains("socks5://***@127.0.0.1:1080") && !Catch::Contains("s3cret"));
  CHECK(proxy_from_kubeconfig("http://user:s3cret@127.0.0.1:3128", "cluster \"c\"").url ==
        "http://user:s3cret@127.0.0.1:3128");
  CHECK_THROWS_AS(proxy_from_environment("https://api.example.com", env_of({{"HTTPS_PROXY", "ftp://p"}})), ConfigError);
}

TEST_CASE("server url: scheme, host and port as libcurl reads them") {
  const auto a = parse_server_url("https://API.example.com:6443/");
  REQUIRE(a);
  CHECK(a->scheme == "https");
  CHECK(a->host == "api.example.com");
  CHECK(a->port == 6443);
  CHECK(parse_server_url("https://[::1]")->host == "::1");
  CHECK(parse_server_url("https://[::1]")->port == 443);
  CHECK(parse_server_url("http://h")->port == 80);
  CHECK_FALSE(parse_server_url("not a url").has_value());
  CHECK(host_and_port("::1", 6443) == "[::1]:6443");
  CHECK(host_and_port("h", 1) == "h:1");
}
