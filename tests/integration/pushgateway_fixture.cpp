#include "pushgateway_fixture.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "kube/http_transport.h"

extern char** environ;

namespace rotator::testing {
namespace {

std::string read_text(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

kube::TransportResult http_get(const std::string& url) {
  kube::HttpTransport transport({}, {std::chrono::seconds(2), std::chrono::seconds(5)});
  return transport.send({"GET", url, "", "", nullptr});
}

std::filesystem::path make_temp_dir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "rotator-pushgateway-XXXXXX").string();
  REQUIRE(::mkdtemp(pattern.data()) != nullptr);
  return pattern;
}

}  // namespace

int free_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof address;
  const bool bound = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
                     ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0;
  ::close(fd);
  REQUIRE(bound);
  return ntohs(address.sin_port);
}

Pushgateway::Pushgateway() : dir_(make_temp_dir()) {
  // A port that was free a moment ago can be taken before the Pushgateway binds
  // it; then it exits at once and another port is tried.
  for (int attempt = 0; attempt < 5 && pid_ < 0; ++attempt) {
    port_ = free_loopback_port();
    std::vector<std::string> args = {
        "prometheus-pushgateway",
        "--web.listen-address=127.0.0.1:" + std::to_string(port_),  // loopback only
        "--persistence.file=" + (dir_ / "pushgateway.data").string(),
        "--log.level=info",
    };
    const std::string log_file = (dir_ / "pushgateway.log").string();
    std::vector<std::string> wrapped = {"/bin/sh", "-c", "exec \"$0\" \"$@\" >>\"$PUSHGATEWAY_LOG\" 2>&1"};
    wrapped.insert(wrapped.end(), args.begin(), args.end());
    std::vector<std::string> environment;
    for (char** e = environ; e && *e; ++e) environment.emplace_back(*e);
    environment.push_back("PUSHGATEWAY_LOG=" + log_file);
    std::vector<char*> c_argv, c_env;
    for (auto& a : wrapped) c_argv.push_back(a.data());
    c_argv.push_back(nullptr);
    for (auto& e : environment) c_env.push_back(e.data());
    c_env.push_back(nullptr);
    pid_t pid = 0;
    REQUIRE(posix_spawn(&pid, "/bin/sh", nullptr, nullptr, c_argv.data(), c_env.data()) == 0);

    // Ready when /-/ready answers 200; bounded, and gives up if the process died.
    bool ready = false;
    for (int poll = 0; poll < 200 && !ready; ++poll) {
      int status = 0;
      if (::waitpid(pid, &status, WNOHANG) == pid) break;  // exited: port taken or not installed
      const auto answer = http_get(url() + "/-/ready");
      ready = answer.kind == kube::TransportResult::Kind::response && answer.status == 200;
      if (!ready) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (ready) {
      pid_ = pid;
    } else {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  }
  INFO("prometheus-pushgateway log: " << log());
  REQUIRE(pid_ > 0);
}

Pushgateway::~Pushgateway() {
  stop();
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

void Pushgateway::stop() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
}

std::string Pushgateway::metrics() const {
  const auto answer = http_get(url() + "/metrics");
  INFO("GET /metrics: " << answer.error << " log: " << log());
  REQUIRE(answer.kind == kube::TransportResult::Kind::response);
  REQUIRE(answer.status == 200);
  return std::string(answer.body.view());
}

std::string Pushgateway::log() const {
  return read_text(dir_ / "pushgateway.log");
}

std::optional<double> sample_value(const std::string& exposition, const std::string& name,
                                   const std::vector<std::string>& labels) {
  std::istringstream lines(exposition);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line.front() == '#') continue;
    const auto name_end = line.find_first_of("{ ");
    if (name_end == std::string::npos || line.substr(0, name_end) != name) continue;
    const auto value_start = line.rfind(' ');
    const std::string label_part = line.substr(name_end, value_start - name_end);
    bool all = true;
    for (const auto& label : labels) {
      // Each label is preceded by "{" or "," in the text format.
      if (label_part.find("{" + label) == std::string::npos && label_part.find("," + label) == std::string::npos) {
        all = false;
        break;
      }
    }
    if (all) return std::stod(line.substr(value_start + 1));
  }
  return std::nullopt;
}

}  // namespace rotator::testing
