#pragma once

// The CONNECT proxy of tests/tools/connect_proxy.py, for the proxy-url and
// HTTPS_PROXY tests: it tunnels every CONNECT to 127.0.0.1 and logs its targets.

#include <string>
#include <vector>

#include "cluster_fixture.h"

namespace rotator::testing {

class ConnectProxy {
 public:
  ConnectProxy();
  ~ConnectProxy();
  ConnectProxy(const ConnectProxy&) = delete;
  ConnectProxy& operator=(const ConnectProxy&) = delete;

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  /// The "host:port" of every CONNECT it was asked for, in order.
  std::vector<std::string> targets() const;

 private:
  TempDir dir_;
  int pid_ = -1;
  int port_ = 0;
};

}  // namespace rotator::testing
