#include "kube/proxy.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdlib>
#include <cstring>

#include "kube/server_url.h"
#include "util/errors.h"

namespace rotator::kube {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  return text;
}

/// An IPv4 or IPv6 address as bytes (4 or 16), or nullopt when `text` is none.
struct IpAddress {
  std::array<unsigned char, 16> bytes{};
  int length = 0;
};

std::optional<IpAddress> parse_ip(std::string_view text) {
  const std::string s(text);
  IpAddress ip;
  if (::inet_pton(AF_INET, s.c_str(), ip.bytes.data()) == 1) {
    ip.length = 4;
    return ip;
  }
  if (::inet_pton(AF_INET6, s.c_str(), ip.bytes.data()) == 1) {
    ip.length = 16;
    return ip;
  }
  return std::nullopt;
}

bool is_loopback(std::string_view host) {
  if (host == "localhost") return true;
  const auto ip = parse_ip(host);
  if (!ip) return false;
  if (ip->length == 4) return ip->bytes[0] == 127;
  static constexpr std::array<unsigned char, 16> v6_loopback = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  return ip->bytes == v6_loopback;
}

bool in_cidr(const IpAddress& ip, std::string_view cidr) {
  const auto slash = cidr.find('/');
  const auto network = parse_ip(cidr.substr(0, slash));
  if (!network || network->length != ip.length) return false;
  const std::string bits_text(cidr.substr(slash + 1));
  char* end = nullptr;
  const long bits = std::strtol(bits_text.c_str(), &end, 10);
  if (bits_text.empty() || *end != '\0' || bits < 0 || bits > ip.length * 8) return false;
  for (long i = 0; i < bits; ++i) {
    const unsigned char mask = static_cast<unsigned char>(0x80 >> (i % 8));
    if ((ip.bytes[i / 8] & mask) != (network->bytes[i / 8] & mask)) return false;
  }
  return true;
}

/// Splits "host:port", "[v6]:port", "v6" or "host" into host and port (0: any).
std::pair<std::string, int> split_entry(std::string_view entry) {
  if (entry.starts_with("[")) {
    const auto close = entry.find(']');
    if (close != std::string_view::npos) {
      const std::string_view rest = entry.substr(close + 1);
      const int port = rest.starts_with(":") ? std::atoi(std::string(rest.substr(1)).c_str()) : 0;
      return {std::string(entry.substr(1, close - 1)), port};
    }
  }
  const auto colon = entry.rfind(':');
  if (colon != std::string_view::npos && entry.find(':') == colon) {  // one colon: host:port
    return {std::string(entry.substr(0, colon)), std::atoi(std::string(entry.substr(colon + 1)).c_str())};
  }
  return {std::string(entry), 0};
}

/// A proxy URL fit for a message: a user:password@ part is replaced by "***@".
std::string redacted(const std::string& url) {
  const auto authority = url.find("://");
  const std::size_t start = authority == std::string::npos ? 0 : authority + 3;
  const auto at = url.find('@', start);
  if (at == std::string::npos || url.find('/', start) < at) return url;
  return url.substr(0, start) + "***" + url.substr(at);
}

ProxySettings checked_proxy(std::string url, std::string source, bool scheme_optional) {
  if (scheme_optional && url.find("://") == std::string::npos) url = "http://" + url;
  const std::string scheme = lower(url.substr(0, url.find("://")));
  if (scheme != "http" && scheme != "https") {
    throw ConfigError(source + " is \"" + redacted(url) + "\": rotator supports http:// and https:// proxies, not " +
                      scheme + "://");
  }
  const auto parsed = parse_server_url(url);
  if (!parsed) {
    throw ConfigError(source + " is \"" + redacted(url) + "\", which is not a proxy URL (scheme://host:port)");
  }
  return {url, std::move(source)};
}

}  // namespace

std::optional<std::string> process_env(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

ProxySettings proxy_from_kubeconfig(const std::string& proxy_url, const std::string& where) {
  if (proxy_url.empty()) return {};
  return checked_proxy(proxy_url, "proxy-url of " + where, /*scheme_optional=*/false);
}

bool no_proxy_matches(std::string_view no_proxy, std::string_view host, int port) {
  const std::string wanted_host = lower(host);
  const auto host_ip = parse_ip(wanted_host);
  std::size_t start = 0;
  while (start <= no_proxy.size()) {
    const std::size_t end = std::min(no_proxy.find(',', start), no_proxy.size());
    const std::string entry = lower(trim(no_proxy.substr(start, end - start)));
    start = end + 1;
    if (entry.empty()) continue;
    if (entry == "*") return true;
    if (entry.find('/') != std::string::npos) {
      if (host_ip && in_cidr(*host_ip, entry)) return true;
      continue;
    }
    auto [entry_host, entry_port] = split_entry(entry);
    if (entry_port != 0 && entry_port != port) continue;
    if (const auto entry_ip = parse_ip(entry_host)) {
      if (host_ip && host_ip->length == entry_ip->length &&
          std::equal(host_ip->bytes.begin(), host_ip->bytes.begin() + host_ip->length, entry_ip->bytes.begin())) {
        return true;
      }
      continue;
    }
    if (entry_host.starts_with("*.")) entry_host.erase(0, 1);
    if (entry_host.starts_with(".")) {
      // ".example.com": subdomains only.
      if (wanted_host.ends_with(entry_host)) return true;
      continue;
    }
    if (wanted_host == entry_host || wanted_host.ends_with("." + entry_host)) return true;
  }
  return false;
}

ProxySettings proxy_from_environment(std::string_view server_url, const EnvLookup& env) {
  const auto server = parse_server_url(server_url);
  if (!server) return {};
  if (is_loopback(server->host)) return {};
  auto first_set = [&](const char* upper, const char* lower_name) -> std::pair<std::string, std::string> {
    for (const char* name : {upper, lower_name}) {
      if (auto value = env(name); value && !value->empty()) return {*value, name};
    }
    return {};
  };
  const bool https = server->scheme == "https";
  auto [proxy, variable] = https ? first_set("HTTPS_PROXY", "https_proxy") : first_set("HTTP_PROXY", "http_proxy");
  if (proxy.empty()) return {};
  const auto [no_proxy, ignored] = first_set("NO_PROXY", "no_proxy");
  if (no_proxy_matches(no_proxy, server->host, server->port)) return {};
  return checked_proxy(proxy, variable, /*scheme_optional=*/true);
}

}  // namespace rotator::kube
