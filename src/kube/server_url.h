#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace rotator::kube {

/// The parts of an API server or proxy URL that connection decisions need.
struct ServerUrl {
  std::string scheme;  ///< lower case: "https", "http"
  std::string host;    ///< lower case; an IPv6 address without its brackets
  int port = 0;        ///< the explicit port, else the scheme's default
};

/// Parses an absolute URL with libcurl's URL parser (the one that will connect
/// to it); nullopt when libcurl does not accept it or it has no host.
std::optional<ServerUrl> parse_server_url(std::string_view url);

/// "host:port" as a URL or curl's CONNECT_TO wants it: IPv6 in brackets.
std::string host_and_port(const std::string& host, int port);

}  // namespace rotator::kube
