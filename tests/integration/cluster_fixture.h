#pragma once

// Shared helpers for the integration tests: the real local API server that
// scripts/local-cluster started (found through ROTATOR_TEST_CLUSTER_DIR), fresh
// namespaces, kubectl as an independent client, and the rotator binary.

#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "formats/token_verdict.h"
#include "kube/client.h"
#include "kube/connection_config.h"

namespace rotator::testing {

/// The running local cluster.
class TestCluster {
 public:
  static const TestCluster& get();

  std::filesystem::path dir;
  std::filesystem::path kubeconfig;
  std::string server;  ///< https://127.0.0.1:PORT
  int port = 0;
  std::filesystem::path ca_file;
  std::string admin_token;
  std::string nobody_token;

  /// A client for a context of the cluster's kubeconfig (admin, cert-admin, nobody).
  std::unique_ptr<kube::Client> client(const std::string& context = "admin", kube::ClientOptions options = {}) const;
};

/// A namespace of its own for one test, deleted afterwards.
class TestNamespace {
 public:
  explicit TestNamespace(const std::string& prefix = "it");
  ~TestNamespace();
  TestNamespace(const TestNamespace&) = delete;
  TestNamespace& operator=(const TestNamespace&) = delete;
  const std::string& name() const { return name_; }

 private:
  std::string name_;
};

/// A temporary directory removed at the end of the test.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path write(const std::string& name, const std::string& content,
                              std::filesystem::perms perms = std::filesystem::perms::owner_read |
                                                             std::filesystem::perms::owner_write) const;

 private:
  std::filesystem::path path_;
};

struct CommandResult {
  int exit_code = -1;
  std::string out;  ///< stdout
  std::string err;  ///< stderr
};

/// Runs a command with the cluster's KUBECONFIG plus `env`, capturing both streams.
CommandResult run(const std::vector<std::string>& argv,
                  const std::vector<std::pair<std::string, std::string>>& env = {});

/// kubectl against the local cluster (as admin unless --context is passed).
CommandResult kubectl(const std::vector<std::string>& args);

/// Whether `text` (a stderr) holds an AddressSanitizer, LeakSanitizer or
/// UndefinedBehaviorSanitizer report.
bool has_sanitizer_report(const std::string& text);

/// The rotator binary under test; a sanitizer report in its stderr fails the test.
/// Not from other threads: it asserts with Catch, which is not thread-safe there;
/// use run({ROTATOR_BINARY, ...}) and check has_sanitizer_report afterwards.
CommandResult run_rotator(const std::vector<std::string>& args,
                          const std::vector<std::pair<std::string, std::string>>& env = {});

/// The requests rotator (its user agent) made into `ns` after its first `skip`, as
/// "verb resource/name" ("get secrets/rsa-keys"), in order, from the API server's
/// audit log. The log is written asynchronously: waits until at least `at_least`
/// are there and no more arrive for a moment.
std::vector<std::string> rotator_requests_since(const std::string& ns, std::size_t skip, std::size_t at_least);
/// How many requests rotator has made into `ns` so far: the `skip` for a later
/// rotator_requests_since.
std::size_t rotator_request_count(const std::string& ns);

/// jobs/bootstrap.yaml, as shipped in the source tree.
std::string bootstrap_job_file();

/// Runs `rotator run jobs/bootstrap.yaml -n ns`; REQUIREs it to succeed (its
/// stderr in the failure message).
void bootstrap(const std::string& ns);

/// Sets (or, with nullopt, unsets) environment variables for the scope.
class ScopedEnv {
 public:
  explicit ScopedEnv(std::vector<std::pair<std::string, std::optional<std::string>>> vars);
  ~ScopedEnv();
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

/// The fault-injecting proxy (tests/tools/fault_proxy.py) in front of the cluster.
class FaultProxy {
 public:
  FaultProxy();
  ~FaultProxy();
  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;

  std::string url() const { return "https://127.0.0.1:" + std::to_string(port_); }
  void set_rules(const nlohmann::json& rules);
  nlohmann::json requests();
  void clear_requests();
  /// A client that talks to the cluster through the proxy as admin.
  std::unique_ptr<kube::Client> client(kube::ClientOptions options = {}) const;

 private:
  nlohmann::json control(const std::string& method, const std::string& path, const std::string& body = {});
  TempDir dir_;
  int pid_ = -1;
  int port_ = 0;
  int control_port_ = 0;
};

/// A process running in the background (rotator under test), killed on demand.
class BackgroundProcess {
 public:
  BackgroundProcess(const std::vector<std::string>& argv,
                    const std::vector<std::pair<std::string, std::string>>& env = {});
  ~BackgroundProcess();
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;
  /// SIGKILL, as a node failure or OOM kill would.
  void kill();
  /// Sends `signal_number` (SIGINT as Ctrl-C, SIGTERM as a pod eviction).
  void signal(int signal_number);
  /// Waits for the exit; returns the exit code (-1 when killed by a signal).
  int wait();
  bool running();
  std::string stdout_text() const;
  std::string stderr_text() const;

 private:
  TempDir dir_;
  int pid_ = -1;
  int exit_code_ = -1;
  bool reaped_ = false;
};

/// Keeps marking the pods of `selector` Ready in the background, as a kubelet would,
/// for the life of the object.
class PodReadinessSimulator {
 public:
  PodReadinessSimulator(std::string ns, std::string selector);
  ~PodReadinessSimulator();
  PodReadinessSimulator(const PodReadinessSimulator&) = delete;
  PodReadinessSimulator& operator=(const PodReadinessSimulator&) = delete;

 private:
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

/// A kubeconfig file that reaches the cluster as admin at `server` (the cluster
/// itself, or a proxy in front of it with the same certificate).
std::filesystem::path admin_kubeconfig(const TempDir& dir, const std::string& server);

/// Marks every pod matching `selector` Running and Ready through pods/NAME/status,
/// standing in for the kubelet this cluster does not have.
void mark_pods_ready(kube::Client& client, const std::string& ns, const std::string& selector);

/// The reason of the kube::ApiError `action` throws, or Reason::unknown if it throws none.
kube::Reason reason_of(const std::function<void()>& action);

/// A management or database token checked against its registry Secret in `ns`,
/// read here with the API client: nullopt when it has neither token shape.
std::optional<formats::TokenVerification> registry_verdict(kube::Client& client, const std::string& ns,
                                                           const std::string& token);

/// A unique suffix for names.
std::string unique_suffix();

}  // namespace rotator::testing
