// `cmake --install` gives a working kubectl plugin: bin/kubectl-rotator next to
// bin/rotator, found by kubectl on PATH, and bin/kubectl_complete-rotator, which
// kubectl 1.26+ asks to complete `kubectl rotator <TAB>`.

#include <cstdlib>
#include <iostream>
#include <sstream>

#include <catch2/catch.hpp>

#include "packaging_support.h"

using namespace rotator::testing;

TEST_CASE("packaging: cmake --install makes `kubectl rotator status` work") {
  const auto build_dir = std::filesystem::path(ROTATOR_BINARY).parent_path();
  TempDir prefix;
  const auto installed = run({"cmake", "--install", build_dir.string(), "--prefix", prefix.path().string()});
  INFO(installed.out << installed.err);
  REQUIRE(installed.exit_code == 0);
  CHECK(std::filesystem::is_symlink(prefix.path() / "bin/kubectl-rotator"));
  CHECK(std::filesystem::read_symlink(prefix.path() / "bin/kubectl-rotator") == "rotator");

  TestNamespace ns("plugin");
  const char* path = std::getenv("PATH");
  const auto status = run({"kubectl", "rotator", "status", "-n", ns.name()},
                          {{"PATH", (prefix.path() / "bin").string() + ":" + (path ? path : "")}});
  INFO(status.err);
  CHECK(status.exit_code == 7);  // broken: nothing is bootstrapped in a new namespace
  CHECK_THAT(status.out, Catch::Contains("Namespace:    " + ns.name()) && Catch::Contains("rsa-keys"));
  CHECK_THAT(status.out, Catch::Contains("no signing keys"));
}

namespace {

/// kubectl's minor version, or 0 when it does not say.
int kubectl_minor() {
  const auto version = run({"kubectl", "version", "--client", "-o", "json"});
  const auto at = version.out.find("\"minor\": \"");
  if (at == std::string::npos) return 0;
  return std::atoi(version.out.c_str() + at + 10);
}

/// What `kubectl __complete rotator WORDS...` prints, the protocol kubectl's bash and
/// zsh scripts speak: one completion per line, then ":DIRECTIVE".
std::vector<std::string> kubectl_completes(const std::filesystem::path& bin, const std::filesystem::path& kubeconfig,
                                           const std::vector<std::string>& words) {
  std::vector<std::string> argv = {"kubectl", "__complete", "rotator"};
  argv.insert(argv.end(), words.begin(), words.end());
  const char* path = std::getenv("PATH");
  const auto result =
      run(argv, {{"PATH", bin.string() + ":" + (path ? path : "")}, {"KUBECONFIG", kubeconfig.string()}});
  std::vector<std::string> lines;
  std::istringstream in(result.out);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

}  // namespace

TEST_CASE("packaging: the installed kubectl_complete-rotator completes `kubectl rotator`, as kubectl asks it") {
  if (kubectl_minor() < 26) {
    std::cout << "ROTATOR-TEST-SKIPPED: kubectl completes plugins from 1.26 on; this kubectl is older\n";
    return;
  }
  const auto build_dir = std::filesystem::path(ROTATOR_BINARY).parent_path();
  TempDir prefix;
  REQUIRE(run({"cmake", "--install", build_dir.string(), "--prefix", prefix.path().string()}).exit_code == 0);
  const auto bin = prefix.path() / "bin";
  REQUIRE(std::filesystem::exists(bin / "kubectl_complete-rotator"));

  // Context names as kubeconfigs hold them: an EKS ARN, and one that would create
  // a file if a shell expanded it.
  const auto planted = prefix.path() / "expanded";
  const auto kubeconfig =
      prefix.write("kubeconfig",
                   "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: "
                   "\"https://127.0.0.1:1\"}\nusers:\n- name: u\n  user: {token: x}\ncontexts:\n"
                   "- name: arn:aws:eks:eu-west-1:1:cluster/west\n  context: {cluster: c, user: u}\n"
                   "- name: east\n  context: {cluster: c, user: u}\n"
                   "- name: \"$(touch " +
                       planted.string() + ")\"\n  context: {cluster: c, user: u}\n");
  using Lines = std::vector<std::string>;
  CHECK(kubectl_completes(bin, kubeconfig, {"st"}) == Lines{"status", ":4"});
  CHECK(kubectl_completes(bin, kubeconfig, {"management", ""}) == Lines{"create", "list", "revoke", "renew", ":4"});
  CHECK(kubectl_completes(bin, kubeconfig, {"revoke-and-rotate", "--restart=d"}) == Lines{"delete-pods", ":4"});
  CHECK(kubectl_completes(bin, kubeconfig, {"status", "--context", "a"}) ==
        Lines{"arn:aws:eks:eu-west-1:1:cluster/west", ":4"});
  // --contexts: name after name, no space after the comma-separated list (2 | 4).
  CHECK(kubectl_completes(bin, kubeconfig, {"status", "--contexts", "east,a"}) ==
        Lines{"east,arn:aws:eks:eu-west-1:1:cluster/west", ":6"});
  // A file name: the shell completes it (directive 0).
  CHECK(kubectl_completes(bin, kubeconfig, {"run", ""}) == Lines{":0"});
  CHECK_FALSE(std::filesystem::exists(planted));
}
