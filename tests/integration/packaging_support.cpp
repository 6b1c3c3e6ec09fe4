#include "packaging_support.h"

#include <chrono>
#include <fstream>
#include <regex>
#include <thread>

#include <yaml-cpp/yaml.h>
#include <catch2/catch.hpp>

#include "kube/resources.h"

namespace rotator::testing {
namespace {

using Json = nlohmann::json;

Json scalar_to_json(const YAML::Node& node) {
  const std::string& text = node.Scalar();
  // yaml-cpp tags plain scalars "?" and quoted ones "!": only plain ones are typed.
  if (node.Tag() != "?") return text;
  if (text == "true" || text == "false") return text == "true";
  if (text == "null" || text == "~" || text.empty()) return nullptr;
  static const std::regex integer("[-+]?[0-9]+");
  static const std::regex floating(R"([-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?)");
  if (std::regex_match(text, integer)) return std::stoll(text);
  if (std::regex_match(text, floating)) return std::stod(text);
  return text;
}

Json node_to_json(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      Json object = Json::object();
      for (const auto& entry : node) object[entry.first.as<std::string>()] = node_to_json(entry.second);
      return object;
    }
    case YAML::NodeType::Sequence: {
      Json array = Json::array();
      for (const auto& item : node) array.push_back(node_to_json(item));
      return array;
    }
    case YAML::NodeType::Scalar: return scalar_to_json(node);
    default: return nullptr;
  }
}

}  // namespace

nlohmann::json yaml_to_json(const std::string& yaml_text) {
  return node_to_json(YAML::Load(yaml_text));
}

std::vector<nlohmann::json> render_kustomize(const std::filesystem::path& dir) {
  const auto rendered = kubectl({"kustomize", (std::filesystem::path(ROTATOR_SOURCE_DIR) / dir).string()});
  INFO("kubectl kustomize " << dir.string() << ": " << rendered.err);
  REQUIRE(rendered.exit_code == 0);
  std::vector<Json> objects;
  for (const auto& document : YAML::LoadAll(rendered.out)) {
    if (document.IsMap()) objects.push_back(node_to_json(document));
  }
  return objects;
}

std::vector<nlohmann::json> render_all_manifests() {
  auto objects = render_kustomize("manifests");
  for (auto& job : render_kustomize("manifests/one-shot")) objects.push_back(std::move(job));
  return objects;
}

const nlohmann::json* pod_template_of(const nlohmann::json& object) {
  const auto kind = object.value("kind", "");
  const Json::json_pointer path(kind == "Job"       ? "/spec/template"
                                : kind == "CronJob" ? "/spec/jobTemplate/spec/template"
                                                    : "/none");
  return object.contains(path) ? &object.at(path) : nullptr;
}

std::filesystem::path write_list(const TempDir& dir, const std::string& name,
                                 const std::vector<nlohmann::json>& objects) {
  const Json list = {{"apiVersion", "v1"}, {"kind", "List"}, {"items", objects}};
  return dir.write(name, list.dump(2));
}

std::vector<nlohmann::json> for_kubernetes_1_20(std::vector<nlohmann::json> objects, SuspendCronJobs suspend) {
  for (auto& object : objects) {
    if (object.value("kind", "") != "CronJob") continue;
    REQUIRE(object["apiVersion"] == "batch/v1");
    object["apiVersion"] = "batch/v1beta1";
    if (suspend == SuspendCronJobs::yes) object["spec"]["suspend"] = true;
  }
  return objects;
}

ServiceAccountFiles::ServiceAccountFiles(const std::string& ns, const std::string& service_account) {
  auto admin = TestCluster::get().client();
  // The token controller of the real controller manager makes the token Secret.
  std::string token_secret;
  for (int i = 0; i < 200 && token_secret.empty(); ++i) {
    const auto sa = admin->get(kube::namespaced_path("v1", ns, "serviceaccounts", service_account));
    if (sa.contains("secrets") && !sa["secrets"].empty()) {
      token_secret = sa["secrets"][0]["name"];
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  REQUIRE_FALSE(token_secret.empty());
  const auto secret = kube::SecretApi(*admin).get(ns, token_secret);
  REQUIRE(secret.has_value());
  token_ = secret->data.at("token");
  dir_.write("token", token_);
  dir_.write("ca.crt", secret->data.at("ca.crt"));
  dir_.write("namespace", ns);
}

std::vector<std::pair<std::string, std::string>> ServiceAccountFiles::pod_env() const {
  return {{"KUBECONFIG", (home_.path() / "no-kubeconfig").string()},
          {"HOME", home_.path().string()},
          {"KUBERNETES_SERVICE_HOST", "127.0.0.1"},
          {"KUBERNETES_SERVICE_PORT", std::to_string(TestCluster::get().port)},
          {"ROTATOR_SERVICEACCOUNT_DIR", dir_.path().string()}};
}

std::string expand_container_vars(const std::string& text, const std::map<std::string, std::string>& vars) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '$' || i + 1 == text.size()) {
      out += text[i];
    } else if (text[i + 1] == '$') {
      out += '$';
      ++i;
    } else if (const auto close = text.find(')', i); text[i + 1] == '(' && close != std::string::npos) {
      const std::string name = text.substr(i + 2, close - i - 2);
      const auto found = vars.find(name);
      out += found != vars.end() ? found->second : text.substr(i, close - i + 1);
      i = close;
    } else {
      out += text[i];
    }
  }
  return out;
}

}  // namespace rotator::testing
