#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace rotator::kube {

/// The proxy every request to one API server goes through, decided once when
/// the connection is set up. Empty url: connect directly (and ignore libcurl's
/// own reading of the proxy variables: this decision is the only one).
struct ProxySettings {
  std::string url;     ///< http://host:port or https://host:port
  std::string source;  ///< where it came from, for messages: "proxy-url of cluster \"c\"", "HTTPS_PROXY"
};

/// Reads an environment variable (getenv in production, a map in tests).
using EnvLookup = std::function<std::optional<std::string>(const char* name)>;

/// The environment of this process.
std::optional<std::string> process_env(const char* name);

/// A kubeconfig's proxy-url, checked: http:// and https:// proxies are supported;
/// socks5 and anything else is refused with a ConfigError naming `where`.
ProxySettings proxy_from_kubeconfig(const std::string& proxy_url, const std::string& where);

/// What kubectl (client-go with Go's http.ProxyFromEnvironment) does when the
/// kubeconfig names no proxy: HTTPS_PROXY (or https_proxy) for an https server,
/// HTTP_PROXY (or http_proxy) for an http one, a proxy without a scheme taken
/// as http://; no proxy for localhost and loopback addresses, nor for hosts
/// NO_PROXY (or no_proxy) names: "*", exact hosts, domains (with or without a
/// leading "." or "*."; a leading dot matches subdomains only), IP addresses and
/// CIDR ranges, each optionally with ":port". ALL_PROXY is ignored, as Go does.
/// Throws ConfigError when the chosen variable is not a usable proxy URL.
ProxySettings proxy_from_environment(std::string_view server_url, const EnvLookup& env);

/// Whether NO_PROXY's value exempts `host` (lower case, IPv6 without brackets) at `port`.
bool no_proxy_matches(std::string_view no_proxy, std::string_view host, int port);

}  // namespace rotator::kube
