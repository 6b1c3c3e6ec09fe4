// Many clusters: --contexts and --all-contexts run one command across the
// clusters of one kubeconfig. Two real local clusters (the suite's, and a second
// one this test starts with scripts/local-cluster) and a context whose API server
// does not answer; what rotator wrote is checked in each cluster with kubectl.

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include <catch2/catch.hpp>

#include "steps_fixture.h"

using namespace rotator;
using namespace rotator::testing;

namespace {

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

/// The server URL of a local cluster's kubeconfig.
std::string server_of(const std::filesystem::path& kubeconfig) {
  std::smatch match;
  const std::string text = read_text(kubeconfig);
  REQUIRE(std::regex_search(text, match, std::regex(R"(server: (https://127\.0\.0\.1:[0-9]+))")));
  return match[1];
}

/// The admin bearer token of a local cluster (first field of tokens.csv's first line).
std::string admin_token_of(const std::filesystem::path& cluster_dir) {
  const std::string text = read_text(cluster_dir / "pki" / "tokens.csv");
  return text.substr(0, text.find(','));
}

/// A loopback port nothing listens on: a connection to it is refused.
int closed_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  socklen_t size = sizeof address;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) == 0);
  ::close(fd);
  return ntohs(address.sin_port);
}

/// A second local cluster for the length of the test, purged afterwards.
class SecondCluster {
 public:
  SecondCluster() : name_("it-west-" + std::to_string(::getpid())) {
    const auto up = run({script_, "up", "--name", name_});
    INFO(up.err);
    REQUIRE(up.exit_code == 0);
    std::smatch match;
    REQUIRE(std::regex_search(up.out, match, std::regex(R"(KUBECONFIG=([^\s;]+))")));
    kubeconfig = std::string(match[1]);
    dir = kubeconfig.parent_path();
  }
  ~SecondCluster() { run({script_, "down", "--name", name_, "--purge"}); }
  SecondCluster(const SecondCluster&) = delete;
  SecondCluster& operator=(const SecondCluster&) = delete;

  CommandResult kubectl(const std::vector<std::string>& args) const {
    std::vector<std::string> argv = {"kubectl", "--kubeconfig", kubeconfig.string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv);
  }

  std::filesystem::path dir;
  std::filesystem::path kubeconfig;

 private:
  std::string script_ = std::string(ROTATOR_SOURCE_DIR) + "/scripts/local-cluster";
  std::string name_;
};

/// The summary row of CLUSTER/NAMESPACE: {RESULT, EXIT}, or empty.
std::pair<std::string, std::string> row_of(const std::string& out, const std::string& cluster, const std::string& ns) {
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    std::string c, n, result, exit;
    fields >> c >> n >> result >> exit;
    if (c == cluster && n == ns) return {result, exit};
  }
  return {};
}

/// The VERDICT of CLUSTER/NAMESPACE in a multi-cluster status table, or empty.
std::string verdict_of(const std::string& out, const std::string& cluster, const std::string& ns) {
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    std::string c, n, verdict;
    fields >> c >> n >> verdict;
    if (c == cluster && n == ns) return verdict;
  }
  return {};
}

std::string secret_kid(const std::vector<std::string>& kubectl_prefix, const std::string& ns) {
  std::vector<std::string> argv = kubectl_prefix;
  for (const std::string arg : {"-n", ns.c_str(), "get", "secret", "rsa-keys", "-o", "jsonpath={.data.kid}"})
    argv.push_back(arg);
  const auto got = run(argv);
  return got.exit_code == 0 ? got.out : std::string();
}

}  // namespace

TEST_CASE("contexts: one run bootstraps two clusters, an unreachable one fails in its own row and the exit code") {
  SecondCluster west;
  TestNamespace ns("ctx");
  REQUIRE(west.kubectl({"create", "namespace", ns.name()}).exit_code == 0);
  REQUIRE(west.kubectl({"label", "namespace", ns.name(), "rotator-test=" + ns.name()}).exit_code == 0);
  const auto& east = TestCluster::get();
  const int gone_port = closed_port();

  // One kubeconfig, three clusters: east (the suite's), west (this test's) and
  // gone (nothing listens there). Every context acts in the test namespace.
  TempDir dir;
  std::string config = "apiVersion: v1\nkind: Config\nclusters:\n";
  config += "- name: east\n  cluster: {server: \"" + east.server + "\", certificate-authority: \"" +
            east.ca_file.string() + "\"}\n";
  config += "- name: west\n  cluster: {server: \"" + server_of(west.kubeconfig) + "\", certificate-authority: \"" +
            (west.dir / "pki" / "ca.crt").string() + "\"}\n";
  config += "- name: gone\n  cluster: {server: \"https://127.0.0.1:" + std::to_string(gone_port) +
            "\", certificate-authority: \"" + east.ca_file.string() + "\"}\n";
  config += "users:\n- name: east-admin\n  user: {token: \"" + east.admin_token + "\"}\n";
  config += "- name: west-admin\n  user: {token: \"" + admin_token_of(west.dir) + "\"}\n";
  config += "contexts:\n";
  for (const std::string context : {"east", "west", "gone"}) {
    const std::string user = context == "west" ? "west-admin" : "east-admin";
    config += "- name: " + context + "\n  context: {cluster: " + context + ", user: " + user + ", namespace: \"" +
              ns.name() + "\"}\n";
  }
  config += "current-context: east\n";
  const std::string kubeconfig = dir.write("kubeconfig", config).string();
  const std::vector<std::pair<std::string, std::string>> env = {{"KUBECONFIG", kubeconfig}};
  const std::vector<std::string> in_east = {"kubectl", "--kubeconfig", kubeconfig, "--context", "east"};
  const std::vector<std::string> in_west = {"kubectl", "--kubeconfig", kubeconfig, "--context", "west"};

  // A context the kubeconfig lacks, or --context with --contexts: usage, before any request.
  auto bad = run_rotator({"run", bootstrap_job_file(), "--contexts", "east,nosuch"}, env);
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("nosuch") != std::string::npos);
  CHECK(bad.err.find("kubectl config get-contexts") != std::string::npos);
  bad = run_rotator({"run", bootstrap_job_file(), "--context", "east", "--contexts", "west"}, env);
  CHECK(bad.exit_code == 2);
  CHECK(secret_kid(in_east, ns.name()).empty());

  // Two clusters: both bootstrapped, each with its own key.
  const auto both = run_rotator({"run", bootstrap_job_file(), "--contexts", "east,west"}, env);
  INFO(both.out << both.err);
  CHECK(both.exit_code == 0);
  CHECK(both.out.find("CLUSTER") != std::string::npos);
  CHECK(row_of(both.out, "east", ns.name()) == std::pair<std::string, std::string>{"ok", "0"});
  CHECK(row_of(both.out, "west", ns.name()) == std::pair<std::string, std::string>{"ok", "0"});
  CHECK(both.out.find("2 namespaces in 2 clusters: 2 ok, 0 unchanged, 0 failed; exit 0") != std::string::npos);
  const std::string east_kid = secret_kid(in_east, ns.name());
  const std::string west_kid = secret_kid(in_west, ns.name());
  CHECK_FALSE(east_kid.empty());
  CHECK_FALSE(west_kid.empty());
  CHECK(east_kid != west_kid);
  const auto admin_token = run({"kubectl", "--kubeconfig", west.kubeconfig.string(), "-n", ns.name(), "get", "secret",
                                "admin-token", "-o", "jsonpath={.data.token}"});
  CHECK_FALSE(admin_token.out.empty());

  // Every context, one of them unreachable: the others converge (unchanged), the
  // unreachable one fails in its own row, and the exit code says so.
  const auto all = run_rotator({"run", bootstrap_job_file(), "--all-contexts", "--log-format", "json", "--stats"}, env);
  INFO(all.out << all.err);
  CHECK(all.exit_code == 1);
  CHECK(row_of(all.out, "east", ns.name()) == std::pair<std::string, std::string>{"unchanged", "0"});
  CHECK(row_of(all.out, "west", ns.name()) == std::pair<std::string, std::string>{"unchanged", "0"});
  CHECK(row_of(all.out, "gone", ns.name()) == std::pair<std::string, std::string>{"failed", "1"});
  CHECK(all.out.find("3 namespaces in 3 clusters: 0 ok, 2 unchanged, 1 failed; exit 1") != std::string::npos);
  CHECK(all.err.find("\"cluster\":\"gone\"") != std::string::npos);
  // --stats: the requests of each cluster on a line of its own, named (the
  // unreachable one's attempts too).
  std::set<std::string> counted;
  std::istringstream lines(all.err);
  for (std::string line; std::getline(lines, line);) {
    const auto json = nlohmann::json::parse(line, nullptr, false);
    if (json.is_object() && json.value("msg", "") == "api requests") counted.insert(json.value("cluster", "(none)"));
  }
  CHECK(counted == std::set<std::string>{"east", "gone", "west"});
  CHECK(secret_kid(in_east, ns.name()) == east_kid);
  CHECK(secret_kid(in_west, ns.name()) == west_kid);

  // With -A, a cluster whose namespaces cannot be listed has one row, "*".
  const auto listed = run_rotator({"run", bootstrap_job_file(), "--contexts", "gone,west", "-A", "--namespace-selector",
                                   "rotator-test=" + ns.name()},
                                  env);
  INFO(listed.out << listed.err);
  CHECK(listed.exit_code == 1);
  CHECK(row_of(listed.out, "gone", "*") == std::pair<std::string, std::string>{"failed", "1"});
  CHECK(row_of(listed.out, "west", ns.name()).first == "unchanged");

  // status reads every cluster too: a row per cluster and namespace; the
  // unreachable one is judged as status judges a cluster it cannot read (broken,
  // saying why), and a cluster whose namespaces cannot be listed is one
  // "unknown" row; in the table, JSON and Prometheus text.
  const auto table = run_rotator({"status", "--all-contexts"}, env);
  INFO(table.out << table.err);
  CHECK(table.out.rfind("CLUSTER", 0) == 0);
  CHECK(verdict_of(table.out, "east", ns.name()) == "healthy");
  CHECK(verdict_of(table.out, "west", ns.name()) == "healthy");
  CHECK(verdict_of(table.out, "gone", ns.name()) == "broken");
  CHECK(table.out.find("cannot reach the API server") != std::string::npos);
  CHECK(table.exit_code == 7);
  const auto json = run_rotator(
      {"status", "--contexts", "west,gone", "-A", "--namespace-selector", "rotator-test=" + ns.name(), "-o", "json"},
      env);
  INFO(json.out << json.err);
  CHECK(json.exit_code == 1);
  const auto document = nlohmann::json::parse(json.out, nullptr, false);
  REQUIRE(document.is_object());
  CHECK(document["kind"] == "StatusList");
  REQUIRE(document["items"].size() == 2);
  CHECK(document["items"][0]["cluster"] == "west");
  CHECK(document["items"][0]["namespace"] == ns.name());
  CHECK(document["items"][0]["verdict"] == "healthy");
  CHECK(document["items"][1]["cluster"] == "gone");
  CHECK(document["items"][1]["namespace"] == "*");
  CHECK(document["items"][1]["verdict"] == "unknown");
  CHECK(document["items"][1]["exitCode"] == 1);
  const auto metrics = run_rotator({"status", "--contexts", "east,west", "-o", "prometheus"}, env);
  CHECK(metrics.exit_code == 0);
  CHECK(metrics.out.find("cluster=\"west\"") != std::string::npos);
  CHECK(metrics.out.find("cluster=\"east\"") != std::string::npos);
}
