#include "steps_fixture.h"

#include <thread>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "formats/key_ring.h"
#include "kube/resources.h"
#include "util/base64.h"

namespace rotator::testing {

std::string secret_versions(const std::string& ns) {
  const auto result = kubectl(
      {"-n", ns, "get", "secret", "rsa-keys", "admin-token", "-o", "jsonpath={.items[*].metadata.resourceVersion}"});
  REQUIRE(result.exit_code == 0);
  return result.out;
}

std::string admin_token_file(const std::string& ns) {
  const auto raw = kubectl({"-n", ns, "get", "secrets/admin-token", "--template={{.data.token}}"});
  REQUIRE(raw.exit_code == 0);
  const auto decoded = util::base64_decode(raw.out);
  REQUIRE(decoded.has_value());
  return *decoded;
}

std::string secret_value(const std::string& ns, const std::string& secret, const std::string& key) {
  std::string escaped = key;
  for (std::size_t pos = 0; (pos = escaped.find('.', pos)) != std::string::npos; pos += 2) escaped.insert(pos, "\\");
  const auto raw = kubectl({"-n", ns, "get", "secret", secret, "-o", "jsonpath={.data." + escaped + "}"});
  if (raw.exit_code != 0 || raw.out.empty()) return {};
  return util::base64_decode(raw.out).value_or("");
}

bool openssl_verifies_jwt(const std::string& jwt, const std::string& public_pem) {
  TempDir dir;
  const auto last_dot = jwt.rfind('.');
  const auto signature = util::base64url_decode(jwt.substr(last_dot + 1));
  if (!signature) return false;
  const auto input = dir.write("input", jwt.substr(0, last_dot));
  const auto sig = dir.write("sig", *signature);
  const auto key = dir.write("public.pem", public_pem);
  return run({"openssl", "dgst", "-sha256", "-verify", key.string(), "-signature", sig.string(), input.string()})
             .exit_code == 0;
}

bool keys_valid_by_openssl(const std::string& ns) {
  const std::string private_pem = secret_value(ns, "rsa-keys", "private.pem");
  const std::string public_pem = secret_value(ns, "rsa-keys", "public.pem");
  if (private_pem.empty() || public_pem.empty()) return false;
  TempDir dir;
  const auto key = dir.write("private.pem", private_pem);
  const auto derived = run({"openssl", "pkey", "-in", key.string(), "-pubout"});
  return derived.exit_code == 0 && derived.out == public_pem;
}

void apply_token_management(const std::string& ns, int replicas) {
  TempDir dir;
  const auto file =
      dir.write("tm.yaml",
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: token-management\n"
                "spec:\n  replicas: " +
                    std::to_string(replicas) +
                    "\n  selector:\n    matchLabels: {app: token-management}\n"
                    "  template:\n    metadata:\n      labels: {app: token-management}\n"
                    "    spec:\n      containers:\n      - name: tm\n        image: example.invalid/tm:1\n");
  REQUIRE(kubectl({"-n", ns, "apply", "-f", file.string()}).exit_code == 0);
}

std::unique_ptr<PodReadinessSimulator> deploy_token_management(const std::string& ns, int replicas) {
  apply_token_management(ns, replicas);
  auto client = TestCluster::get().client();
  kube::PodApi pods(*client);
  for (int i = 0; i < 100; ++i) {
    mark_pods_ready(*client, ns, "app=token-management");
    int ready = 0;
    for (const auto& pod : pods.list(ns, "app=token-management")) ready += pod.ready ? 1 : 0;
    if (ready == replicas) return std::make_unique<PodReadinessSimulator>(ns, "app=token-management");
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  FAIL("token-management pods did not become Ready");
  return nullptr;
}

std::vector<std::string> rotation_history(const std::string& ns) {
  const auto secret = kube::SecretApi(*TestCluster::get().client()).get(ns, "rsa-keys");
  REQUIRE(secret.has_value());
  return formats::read_key_ring(*secret, util::Clock::now(), formats::WantStaged::no).ring.rotation_history;
}

std::vector<std::string> write_methods(const std::string& json_stderr) {
  std::vector<std::string> methods;
  std::istringstream in(json_stderr);
  std::string line;
  bool seen = false;
  while (std::getline(in, line)) {
    const auto json = nlohmann::json::parse(line, nullptr, false);
    if (!json.is_object() || json.value("msg", "") != "api requests") continue;
    seen = true;
    for (const char* method : {"POST", "PUT", "PATCH", "DELETE"}) {
      if (json.contains(method)) methods.emplace_back(method);
    }
  }
  REQUIRE(seen);
  return methods;
}

std::size_t keys_generated(const std::string& json_stderr) {
  std::istringstream in(json_stderr);
  std::string line;
  while (std::getline(in, line)) {
    const auto json = nlohmann::json::parse(line, nullptr, false);
    if (json.is_object() && json.value("msg", "") == "key generation") return json.at("keys").get<std::size_t>();
  }
  FAIL("no \"key generation\" line in a --stats run's log");
  return 0;
}

void rerun_finishes_rotation(const std::string& ns, const std::string& rotation_id) {
  const auto rerun = run_rotator(
      {"revoke-and-rotate", "--restart", "delete-pods", "--rotation-id", rotation_id, "-n", ns, "--lock-wait", "30s"});
  INFO("rerun of rotation " << rotation_id << "\n" << rerun.err);
  REQUIRE(rerun.exit_code == 0);
  const auto ids = rotation_history(ns);
  CHECK(std::count(ids.begin(), ids.end(), rotation_id) == 1);
  CHECK(keys_valid_by_openssl(ns));
  TempDir token_dir;
  const auto token = token_dir.write("t.json", admin_token_file(ns));
  CHECK(run_rotator({"verify", "--token-file", token.string(), "-n", ns}).exit_code == 0);
}

}  // namespace rotator::testing
