#include "cluster_fixture.h"
#include "formats/token_string.h"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "crypto/random.h"
#include "kube/http_transport.h"
#include "kube/kubeconfig.h"
#include "kube/resources.h"
#include "util/subprocess.h"
#include "util/time.h"

extern char** environ;

namespace rotator::testing {
namespace {

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::string token_at_line(const std::filesystem::path& tokens_csv, int line) {
  std::istringstream in(read_file(tokens_csv));
  std::string row;
  for (int i = 0; i <= line && std::getline(in, row); ++i) {
  }
  return row.substr(0, row.find(','));
}

}  // namespace

std::string unique_suffix() {
  static std::atomic<int> counter{0};
  const auto hex = crypto::uuid_v4().substr(0, 8);
  return hex + std::to_string(counter++);
}

kube::Reason reason_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const kube::ApiError& e) {
    return e.reason();
  }
  return kube::Reason::unknown;
}

const TestCluster& TestCluster::get() {
  static const TestCluster cluster = [] {
    const char* dir = std::getenv("ROTATOR_TEST_CLUSTER_DIR");
    if (dir == nullptr || *dir == '\0') {
      FAIL(
          "ROTATOR_TEST_CLUSTER_DIR is not set: run the integration tests through scripts/test, "
          "or `source <(scripts/local-cluster env)` first");
    }
    TestCluster c;
    c.dir = dir;
    c.kubeconfig = c.dir / "kubeconfig";
    c.ca_file = c.dir / "pki" / "ca.crt";
    std::istringstream ports(read_file(c.dir / "ports"));
    std::string line;
    while (std::getline(ports, line)) {
      if (line.starts_with("apiserver_port=")) c.port = std::stoi(line.substr(15));
    }
    REQUIRE(c.port > 0);
    c.server = "https://127.0.0.1:" + std::to_string(c.port);
    c.admin_token = token_at_line(c.dir / "pki" / "tokens.csv", 0);
    c.nobody_token = token_at_line(c.dir / "pki" / "tokens.csv", 1);
    return c;
  }();
  return cluster;
}

std::unique_ptr<kube::Client> TestCluster::client(const std::string& context, kube::ClientOptions options) const {
  const auto config = kube::parse_kubeconfig(read_file(kubeconfig), kubeconfig.parent_path(), kubeconfig.string());
  kube::ConnectionOptions connection;
  connection.context = context;
  return std::make_unique<kube::Client>(kube::connection_from_kubeconfig(config, connection, kubeconfig.string()),
                                        options);
}

TestNamespace::TestNamespace(const std::string& prefix) : name_(prefix + "-" + unique_suffix()) {
  auto client = TestCluster::get().client();
  client->create("/api/v1/namespaces", {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", name_}}}});
  // Pods need the namespace's default ServiceAccount, which the controller makes.
  for (int i = 0; i < 100; ++i) {
    try {
      client->get("/api/v1/namespaces/" + name_ + "/serviceaccounts/default");
      return;
    } catch (const kube::ApiError&) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
}

TestNamespace::~TestNamespace() {
  try {
    TestCluster::get().client()->remove("/api/v1/namespaces/" + name_);
  } catch (...) {
    // Cleanup is best effort; the cluster is thrown away after the run.
  }
}

TempDir::TempDir() {
  const auto base = std::filesystem::temp_directory_path() / ("rotator-test-" + unique_suffix());
  std::filesystem::create_directories(base);
  std::filesystem::permissions(base, std::filesystem::perms::owner_all);
  path_ = base;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::filesystem::path TempDir::write(const std::string& name, const std::string& content,
                                     std::filesystem::perms perms) const {
  const auto file = path_ / name;
  std::filesystem::create_directories(file.parent_path());
  {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out << content;
  }
  std::filesystem::permissions(file, perms);
  return file;
}

CommandResult run(const std::vector<std::string>& argv, const std::vector<std::pair<std::string, std::string>>& env) {
  TempDir dir;
  const auto err_file = dir.path() / "stderr";
  // stderr goes to a file so both streams can be checked apart; the shell only
  // redirects, the command itself is exec'd with its arguments untouched.
  std::vector<std::string> wrapped = {"/bin/sh", "-c", "exec \"$0\" \"$@\" 2>\"$ROTATOR_TEST_STDERR\""};
  wrapped.insert(wrapped.end(), argv.begin(), argv.end());
  auto full_env = env;
  full_env.emplace(full_env.begin(), "KUBECONFIG", TestCluster::get().kubeconfig.string());
  full_env.emplace_back("ROTATOR_TEST_STDERR", err_file.string());
  const auto result =
      util::run_process(wrapped, full_env, std::chrono::minutes(5), util::ChildStdin::null, util::ChildStderr::inherit);
  return {result.exit_code, result.stdout_text, read_file(err_file)};
}

CommandResult kubectl(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"kubectl"};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv);
}

bool has_sanitizer_report(const std::string& text) {
  for (const char* marker :
       {"ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:", "SUMMARY: UndefinedBehaviorSanitizer"}) {
    if (text.find(marker) != std::string::npos) return true;
  }
  return false;
}

CommandResult run_rotator(const std::vector<std::string>& args,
                          const std::vector<std::pair<std::string, std::string>>& env) {
  std::vector<std::string> argv = {ROTATOR_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  auto result = run(argv, env);
  // Under ROTATOR_SANITIZE (scripts/test's second pass) a sanitizer report fails the
  // test even when the exit code happens to be the expected one.
  INFO("rotator stderr: " << result.err);
  CHECK_FALSE(has_sanitizer_report(result.err));
  return result;
}

namespace {
std::vector<std::string> rotator_requests_now(const std::string& ns) {
  std::ifstream in(TestCluster::get().dir / "logs" / "audit.log");
  std::vector<std::string> requests;
  for (std::string line; std::getline(in, line);) {
    if (line.find("\"rotator/") == std::string::npos || line.find(ns) == std::string::npos) continue;
    const auto entry = nlohmann::json::parse(line, nullptr, false);
    if (!entry.is_object() || entry.value("stage", "") != "ResponseComplete") continue;
    if (!entry.value("userAgent", "").starts_with("rotator/")) continue;
    const auto ref = entry.value("objectRef", nlohmann::json::object());
    if (ref.value("namespace", "") != ns) continue;
    const std::string name = ref.value("name", "");
    requests.push_back(entry.value("verb", "") + " " + ref.value("resource", "") + (name.empty() ? "" : "/" + name));
  }
  return requests;
}
}  // namespace

std::vector<std::string> rotator_requests_since(const std::string& ns, std::size_t skip, std::size_t at_least) {
  auto requests = rotator_requests_now(ns);
  for (int i = 0; i < 50 && requests.size() < skip + at_least; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    requests = rotator_requests_now(ns);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // and nothing more arrives
  requests = rotator_requests_now(ns);
  requests.erase(requests.begin(), requests.begin() + static_cast<long>(std::min(skip, requests.size())));
  return requests;
}

std::size_t rotator_request_count(const std::string& ns) {
  return rotator_requests_since(ns, 0, 0).size();
}

std::string bootstrap_job_file() {
  return std::string(ROTATOR_SOURCE_DIR) + "/jobs/bootstrap.yaml";
}

void bootstrap(const std::string& ns) {
  const auto run = run_rotator({"run", bootstrap_job_file(), "-n", ns});
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
}

ScopedEnv::ScopedEnv(std::vector<std::pair<std::string, std::optional<std::string>>> vars) {
  for (const auto& [name, value] : vars) {
    const char* old = std::getenv(name.c_str());
    saved_.emplace_back(name, old ? std::optional<std::string>(old) : std::nullopt);
    if (value) {
      ::setenv(name.c_str(), value->c_str(), 1);
    } else {
      ::unsetenv(name.c_str());
    }
  }
}

ScopedEnv::~ScopedEnv() {
  for (const auto& [name, value] : saved_) {
    if (value) {
      ::setenv(name.c_str(), value->c_str(), 1);
    } else {
      ::unsetenv(name.c_str());
    }
  }
}

FaultProxy::FaultProxy() {
  const auto& cluster = TestCluster::get();
  const auto port_file = dir_.path() / "ports.json";
  // The certificate the swap_cert action presents: valid for 127.0.0.1 but
  // signed by nobody the cluster's kubeconfig trusts.
  const auto alt_cert = dir_.path() / "untrusted.crt";
  const auto alt_key = dir_.path() / "untrusted.key";
  const auto made = run({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-days", "1", "-keyout",
                         alt_key.string(), "-out", alt_cert.string()});
  REQUIRE(made.exit_code == 0);
  const std::string script = std::string(ROTATOR_SOURCE_DIR) + "/tests/tools/fault_proxy.py";
  std::vector<std::string> args = {"python3",
                                   script,
                                   "--upstream",
                                   cluster.server,
                                   "--upstream-ca",
                                   cluster.ca_file.string(),
                                   "--cert",
                                   (cluster.dir / "pki" / "apiserver.crt").string(),
                                   "--key",
                                   (cluster.dir / "pki" / "apiserver.key").string(),
                                   "--alt-cert",
                                   alt_cert.string(),
                                   "--alt-key",
                                   alt_key.string(),
                                   "--port-file",
                                   port_file.string(),
                                   "--quiet",
                                   "--max-lifetime",
                                   "600"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  REQUIRE(posix_spawnp(&pid, "python3", nullptr, nullptr, argv.data(), environ) == 0);
  pid_ = pid;
  for (int i = 0; i < 100 && !std::filesystem::exists(port_file); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  REQUIRE(std::filesystem::exists(port_file));
  const auto ports = nlohmann::json::parse(read_file(port_file));
  port_ = ports.at("port").get<int>();
  control_port_ = ports.at("control_port").get<int>();
}

FaultProxy::~FaultProxy() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
}

nlohmann::json FaultProxy::control(const std::string& method, const std::string& path, const std::string& body) {
  kube::HttpTransport transport({}, {});
  kube::HttpRequest request{method, "http://127.0.0.1:" + std::to_string(control_port_) + path, body,
                            body.empty() ? "" : "application/json", nullptr};
  const auto result = transport.send(request);
  REQUIRE(result.kind == kube::TransportResult::Kind::response);
  REQUIRE(result.status / 100 == 2);
  return result.body.empty() ? nlohmann::json() : nlohmann::json::parse(result.body, nullptr, false);
}

void FaultProxy::set_rules(const nlohmann::json& rules) {
  control("PUT", "/rules", rules.dump());
}
nlohmann::json FaultProxy::requests() {
  return control("GET", "/requests");
}
void FaultProxy::clear_requests() {
  control("DELETE", "/requests");
}

std::unique_ptr<kube::Client> FaultProxy::client(kube::ClientOptions options) const {
  const auto& cluster = TestCluster::get();
  kube::ConnectionConfig config;
  config.server = url();
  config.tls.ca_pem = read_file(cluster.ca_file);
  config.credentials =
      std::make_shared<kube::StaticCredentials>(kube::Credential{cluster.admin_token, std::nullopt}, "admin token");
  config.namespace_ = "default";
  config.context = "proxy";
  return std::make_unique<kube::Client>(std::move(config), options);
}

BackgroundProcess::BackgroundProcess(const std::vector<std::string>& argv,
                                     const std::vector<std::pair<std::string, std::string>>& env) {
  std::vector<std::string> wrapped = {"/bin/sh", "-c",
                                      "exec \"$0\" \"$@\" >\"$ROTATOR_TEST_OUT\" 2>\"$ROTATOR_TEST_ERR\""};
  wrapped.insert(wrapped.end(), argv.begin(), argv.end());
  std::vector<std::string> environment;
  for (char** e = environ; e && *e; ++e) environment.emplace_back(*e);
  environment.push_back("KUBECONFIG=" + TestCluster::get().kubeconfig.string());
  environment.push_back("ROTATOR_TEST_OUT=" + (dir_.path() / "out").string());
  environment.push_back("ROTATOR_TEST_ERR=" + (dir_.path() / "err").string());
  for (const auto& [k, v] : env) environment.push_back(k + "=" + v);
  std::vector<char*> c_argv, c_env;
  for (auto& a : wrapped) c_argv.push_back(a.data());
  c_argv.push_back(nullptr);
  for (auto& e : environment) c_env.push_back(e.data());
  c_env.push_back(nullptr);
  pid_t pid = 0;
  REQUIRE(posix_spawn(&pid, "/bin/sh", nullptr, nullptr, c_argv.data(), c_env.data()) == 0);
  pid_ = pid;
}

BackgroundProcess::~BackgroundProcess() {
  if (!reaped_) {
    kill();
    wait();
  }
}

void BackgroundProcess::kill() {
  if (!reaped_) ::kill(pid_, SIGKILL);
}

void BackgroundProcess::signal(int signal_number) {
  if (!reaped_) ::kill(pid_, signal_number);
}

int BackgroundProcess::wait() {
  if (!reaped_) {
    int status = 0;
    ::waitpid(pid_, &status, 0);
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    reaped_ = true;
  }
  return exit_code_;
}

bool BackgroundProcess::running() {
  if (reaped_) return false;
  int status = 0;
  const pid_t done = ::waitpid(pid_, &status, WNOHANG);
  if (done == pid_) {
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    reaped_ = true;
    return false;
  }
  return true;
}

std::string BackgroundProcess::stdout_text() const {
  return read_file(dir_.path() / "out");
}
std::string BackgroundProcess::stderr_text() const {
  return read_file(dir_.path() / "err");
}

PodReadinessSimulator::PodReadinessSimulator(std::string ns, std::string selector) {
  thread_ = std::thread([this, ns = std::move(ns), selector = std::move(selector)] {
    auto client = TestCluster::get().client();
    // Bounded: at most twenty minutes of simulated kubelet (the longest test's life).
    for (int i = 0; i < 6000 && !stop_; ++i) {
      try {
        mark_pods_ready(*client, ns, selector);
      } catch (const std::exception&) {
        // Pods come and go during a rollout; the next round catches up.
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  });
}

PodReadinessSimulator::~PodReadinessSimulator() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

std::filesystem::path admin_kubeconfig(const TempDir& dir, const std::string& server) {
  const auto& c = TestCluster::get();
  return dir.write("kubeconfig-" + unique_suffix(),
                   "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: " + server +
                       "\n    certificate-authority: " + c.ca_file.string() +
                       "\nusers:\n- name: admin\n  user:\n    token: " + c.admin_token +
                       "\ncontexts:\n- name: admin\n  context: {cluster: c, user: admin, namespace: default}\n"
                       "current-context: admin\n");
}

void mark_pods_ready(kube::Client& client, const std::string& ns, const std::string& selector) {
  kube::PodApi pods(client);
  const std::string now = util::format_rfc3339(util::Clock::now());
  for (const auto& pod : pods.list(ns, selector)) {
    if (pod.terminating || pod.ready) continue;
    const nlohmann::json patch = {{"status",
                                   {{"phase", "Running"},
                                    {"startTime", now},
                                    {"conditions",
                                     {{{"type", "Ready"}, {"status", "True"}, {"lastTransitionTime", now}},
                                      {{"type", "ContainersReady"}, {"status", "True"}, {"lastTransitionTime", now}},
                                      {{"type", "PodScheduled"}, {"status", "True"}, {"lastTransitionTime", now}}}}}}};
    client.patch(kube::namespaced_path("v1", ns, "pods", pod.metadata.name) + "/status", patch, kube::PatchType::merge);
  }
}

std::optional<formats::TokenVerification> registry_verdict(kube::Client& client, const std::string& ns,
                                                           const std::string& token) {
  const auto kind = formats::classify_token(token);
  if (!kind) return std::nullopt;
  formats::Registry registry{*kind, {}};
  const auto secret = kube::SecretApi(client).get(ns, std::string(formats::default_registry_secret(*kind)));
  if (secret && secret->data.contains(std::string(formats::registry_data_key))) {
    registry = formats::parse_registry(secret->data.at(std::string(formats::registry_data_key)), *kind);
  }
  return formats::verify_against_registry(registry, token, util::Clock::now());
}

}  // namespace rotator::testing
