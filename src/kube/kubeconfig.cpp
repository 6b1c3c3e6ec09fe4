#include "kube/kubeconfig.h"

#include <set>

#include <yaml-cpp/yaml.h>

#include "util/base64.h"
#include "util/errors.h"

namespace rotator::kube {
namespace {

class Parser {
 public:
  Parser(const std::filesystem::path& directory, const std::string& source) : directory_(directory), source_(source) {}

  [[noreturn]] void fail(const std::string& what) const { throw ConfigError("kubeconfig " + source_ + ": " + what); }

  std::string string_field(const YAML::Node& node, const char* key, const std::string& where) const {
    const YAML::Node value = node[key];
    if (!value || value.IsNull()) return {};
    if (!value.IsScalar()) fail(where + "." + key + " must be a string");
    return value.Scalar();
  }

  bool bool_field(const YAML::Node& node, const char* key, const std::string& where) const {
    const YAML::Node value = node[key];
    if (!value || value.IsNull()) return false;
    if (!value.IsScalar()) fail(where + "." + key + " must be true or false");
    const std::string& text = value.Scalar();
    if (text == "true" || text == "True" || text == "TRUE") return true;
    if (text == "false" || text == "False" || text == "FALSE") return false;
    fail(where + "." + key + " must be true or false, not '" + text + "'");
  }

  std::string path_field(const YAML::Node& node, const char* key, const std::string& where) const {
    std::string value = string_field(node, key, where);
    if (value.empty()) return value;
    if (value.starts_with("~/")) {
      if (const char* home = std::getenv("HOME")) return std::string(home) + value.substr(1);
    }
    const std::filesystem::path path(value);
    return path.is_absolute() ? value : (directory_ / path).lexically_normal().string();
  }

  std::string data_field(const YAML::Node& node, const char* key, const std::string& where) const {
    const std::string text = string_field(node, key, where);
    if (text.empty()) return text;
    auto decoded = util::base64_decode(text);
    if (!decoded) fail(where + "." + key + " is not valid base64");
    return std::move(*decoded);
  }

  // Each list is a sequence of {name, <kind>: {...}}.
  template <typename Handler>
  void named_list(const YAML::Node& root, const char* list, const char* kind, Handler handler) const {
    const YAML::Node entries = root[list];
    if (!entries || entries.IsNull()) return;
    if (!entries.IsSequence()) fail(std::string(list) + " must be a list");
    std::size_t index = 0;
    for (const auto& entry : entries) {
      const std::string where = std::string(list) + "[" + std::to_string(index++) + "]";
      if (!entry.IsMap()) fail(where + " must be a mapping");
      const std::string name = string_field(entry, "name", where);
      if (name.empty()) fail(where + " has no name");
      const YAML::Node body = entry[kind];
      if (body && !body.IsNull() && !body.IsMap()) fail(where + "." + kind + " must be a mapping");
      handler(name, body ? body : YAML::Node(YAML::NodeType::Map), where + "." + kind);
    }
  }

  ClusterEntry cluster(const YAML::Node& node, const std::string& where) const {
    ClusterEntry c;
    c.server = string_field(node, "server", where);
    c.certificate_authority = path_field(node, "certificate-authority", where);
    c.certificate_authority_data = data_field(node, "certificate-authority-data", where);
    c.insecure_skip_tls_verify = bool_field(node, "insecure-skip-tls-verify", where);
    c.tls_server_name = string_field(node, "tls-server-name", where);
    c.proxy_url = string_field(node, "proxy-url", where);
    return c;
  }

  ExecPluginConfig exec(const YAML::Node& node, const std::string& where) const {
    if (!node.IsMap()) fail(where + " must be a mapping");
    ExecPluginConfig e;
    e.api_version = string_field(node, "apiVersion", where);
    if (e.api_version != "client.authentication.k8s.io/v1" && e.api_version != "client.authentication.k8s.io/v1beta1") {
      fail(where + ".apiVersion must be client.authentication.k8s.io/v1 or v1beta1, not '" + e.api_version + "'");
    }
    e.command = string_field(node, "command", where);
    if (e.command.empty()) fail(where + ".command is missing");
    // As client-go: only a command with a path separator is relative to the file.
    if (e.command.find('/') != std::string::npos && !std::filesystem::path(e.command).is_absolute()) {
      e.command = (directory_ / e.command).lexically_normal().string();
    }
    if (const YAML::Node args = node["args"]; args && !args.IsNull()) {
      if (!args.IsSequence()) fail(where + ".args must be a list of strings");
      for (const auto& arg : args) {
        if (!arg.IsScalar()) fail(where + ".args must be a list of strings");
        e.args.push_back(arg.Scalar());
      }
    }
    if (const YAML::Node env = node["env"]; env && !env.IsNull()) {
      if (!env.IsSequence()) fail(where + ".env must be a list of {name, value}");
      for (const auto& var : env) {
        if (!var.IsMap()) fail(where + ".env must be a list of {name, value}");
        const std::string name = string_field(var, "name", where + ".env");
        if (name.empty()) fail(where + ".env has an entry without a name");
        e.env.emplace_back(name, string_field(var, "value", where + ".env"));
      }
    }
    if (bool_field(node, "provideClusterInfo", where)) {
      e.cluster_info = ExecPluginConfig::ClusterInfo::provided;
    }
    e.install_hint = string_field(node, "installHint", where);
    return e;
  }

  UserEntry user(const YAML::Node& node, const std::string& where) const {
    UserEntry u;
    u.token = string_field(node, "token", where);
    u.token_file = path_field(node, "tokenFile", where);
    u.client_certificate = path_field(node, "client-certificate", where);
    u.client_certificate_data = data_field(node, "client-certificate-data", where);
    u.client_key = path_field(node, "client-key", where);
    u.client_key_data = data_field(node, "client-key-data", where);
    if (const YAML::Node e = node["exec"]; e && !e.IsNull()) u.exec = exec(e, where + ".exec");
    u.has_basic_auth = !string_field(node, "username", where).empty() || !string_field(node, "password", where).empty();
    if (const YAML::Node p = node["auth-provider"]; p && p.IsMap()) {
      u.auth_provider_name = string_field(p, "name", where + ".auth-provider");
      if (u.auth_provider_name.empty()) u.auth_provider_name = "unnamed";
    }
    return u;
  }

  ContextEntry context(const YAML::Node& node, const std::string& where) const {
    ContextEntry c;
    c.cluster = string_field(node, "cluster", where);
    c.user = string_field(node, "user", where);
    c.namespace_ = string_field(node, "namespace", where);
    return c;
  }

 private:
  std::filesystem::path directory_;
  std::string source_;
};

}  // namespace

Kubeconfig parse_kubeconfig(std::string_view yaml_text, const std::filesystem::path& directory,
                            const std::string& source) {
  const Parser parser(directory, source);
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml_text));
  } catch (const YAML::Exception& e) {
    parser.fail("not valid YAML (line " + std::to_string(e.mark.line + 1) + ": " + e.msg + ")");
  }
  Kubeconfig config;
  if (!root || root.IsNull()) return config;  // an empty file is an empty config, as for kubectl
  if (!root.IsMap()) parser.fail("the document must be a mapping");

  parser.named_list(root, "clusters", "cluster",
                    [&](const std::string& name, const YAML::Node& body, const std::string& where) {
                      config.clusters.try_emplace(name, parser.cluster(body, where));
                    });
  parser.named_list(root, "users", "user",
                    [&](const std::string& name, const YAML::Node& body, const std::string& where) {
                      config.users.try_emplace(name, parser.user(body, where));
                    });
  parser.named_list(root, "contexts", "context",
                    [&](const std::string& name, const YAML::Node& body, const std::string& where) {
                      config.contexts.try_emplace(name, parser.context(body, where));
                      config.context_sources.try_emplace(name, source);
                    });
  config.current_context = parser.string_field(root, "current-context", "");
  return config;
}

Kubeconfig merge_kubeconfigs(const std::vector<Kubeconfig>& files) {
  Kubeconfig merged;
  for (const auto& file : files) {
    for (const auto& [name, cluster] : file.clusters) merged.clusters.try_emplace(name, cluster);
    for (const auto& [name, user] : file.users) merged.users.try_emplace(name, user);
    for (const auto& [name, context] : file.contexts) merged.contexts.try_emplace(name, context);
    for (const auto& [name, source] : file.context_sources) {
      merged.context_sources.try_emplace(name, source);
    }
    if (merged.current_context.empty()) merged.current_context = file.current_context;
  }
  return merged;
}

std::vector<std::filesystem::path> split_kubeconfig_list(std::string_view value) {
  std::vector<std::filesystem::path> paths;
  std::set<std::string> seen;
  std::size_t start = 0;
  while (start <= value.size()) {
    const std::size_t end = std::min(value.find(':', start), value.size());
    const std::string item(value.substr(start, end - start));
    if (!item.empty() && seen.insert(item).second) paths.emplace_back(item);
    start = end + 1;
  }
  return paths;
}

}  // namespace rotator::kube
