#include "connect_proxy.h"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

extern char** environ;

namespace rotator::testing {

ConnectProxy::ConnectProxy() {
  const auto port_file = dir_.path() / "port.json";
  std::vector<std::string> args = {"python3",        std::string(ROTATOR_SOURCE_DIR) + "/tests/tools/connect_proxy.py",
                                   "--port-file",    port_file.string(),
                                   "--log",          (dir_.path() / "log").string(),
                                   "--max-lifetime", "600"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  REQUIRE(posix_spawnp(&pid, "python3", nullptr, nullptr, argv.data(), environ) == 0);
  pid_ = pid;
  for (int i = 0; i < 200 && !std::filesystem::exists(port_file); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  REQUIRE(std::filesystem::exists(port_file));
  std::ifstream in(port_file);
  port_ = nlohmann::json::parse(in).at("port").get<int>();
}

ConnectProxy::~ConnectProxy() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
}

std::vector<std::string> ConnectProxy::targets() const {
  std::vector<std::string> seen;
  std::ifstream in(dir_.path() / "log");
  for (std::string line; std::getline(in, line);) {
    const auto record = nlohmann::json::parse(line, nullptr, false);
    if (record.is_object()) seen.push_back(record.value("method", "") + " " + record.value("target", ""));
  }
  return seen;
}

}  // namespace rotator::testing
