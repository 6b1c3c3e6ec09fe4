#pragma once

// A real Prometheus Pushgateway (Debian's prometheus-pushgateway) for one test:
// started on a free port of 127.0.0.1 only, its persistence file in a temporary
// directory, stopped (SIGTERM) when the object goes. It needs no API server.

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace rotator::testing {

class Pushgateway {
 public:
  Pushgateway();
  ~Pushgateway();
  Pushgateway(const Pushgateway&) = delete;
  Pushgateway& operator=(const Pushgateway&) = delete;

  /// http://127.0.0.1:PORT
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  /// The text of GET /metrics.
  std::string metrics() const;
  /// Its log so far (stdout and stderr), for failure messages.
  std::string log() const;
  /// Stops it now (SIGTERM, then waits); the port is then free.
  void stop();

 private:
  std::filesystem::path dir_;
  int pid_ = -1;
  int port_ = 0;
};

/// The value of the sample `name` whose labels include every `label="value"` of
/// `labels` (written as in the text format, e.g. {"job=\"rotate\"", ...}) in the
/// text `exposition`; nullopt when there is none.
std::optional<double> sample_value(const std::string& exposition, const std::string& name,
                                   const std::vector<std::string>& labels);

/// A TCP port of 127.0.0.1 that nothing listened on a moment ago.
int free_loopback_port();

}  // namespace rotator::testing
