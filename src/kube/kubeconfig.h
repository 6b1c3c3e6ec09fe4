#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rotator::kube {

/// An exec credential plugin (users[].user.exec), as client-go runs it.
struct ExecPluginConfig {
  std::string api_version;  ///< client.authentication.k8s.io/v1 or v1beta1
  std::string command;      ///< resolved against the kubeconfig's directory if it has a '/'
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;
  enum class ClusterInfo { withheld, provided } cluster_info = ClusterInfo::withheld;
  std::string install_hint;
};

/// clusters[].cluster. Paths are already absolute; *_data fields hold decoded bytes.
struct ClusterEntry {
  std::string server;
  std::string certificate_authority;       ///< path
  std::string certificate_authority_data;  ///< PEM bytes
  bool insecure_skip_tls_verify = false;
  std::string tls_server_name;
  std::string proxy_url;
};

/// users[].user.
struct UserEntry {
  std::string token;
  std::string token_file;               ///< path; re-read for every request, as bound tokens rotate
  std::string client_certificate;       ///< path
  std::string client_certificate_data;  ///< PEM bytes
  std::string client_key;               ///< path
  std::string client_key_data;          ///< PEM bytes
  std::optional<ExecPluginConfig> exec;
  bool has_basic_auth = false;     ///< username/password: refused, as current kubectl does
  std::string auth_provider_name;  ///< legacy auth-provider: refused with a hint
};

/// contexts[].context.
struct ContextEntry {
  std::string cluster;
  std::string user;
  std::string namespace_;
};

/// One kubeconfig file, or several merged the way kubectl merges a KUBECONFIG list.
struct Kubeconfig {
  std::map<std::string, ClusterEntry> clusters;
  std::map<std::string, UserEntry> users;
  std::map<std::string, ContextEntry> contexts;
  std::string current_context;
  /// Which file each context came from, for messages ("context X in FILE").
  std::map<std::string, std::string> context_sources;
};

/// Parses one kubeconfig document. Relative paths resolve against `directory`, as
/// kubectl resolves them against the file's own directory. Throws ConfigError
/// naming `source` and the offending field on malformed input.
Kubeconfig parse_kubeconfig(std::string_view yaml_text, const std::filesystem::path& directory,
                            const std::string& source);

/// Merges files in KUBECONFIG order: the first file to define a name (cluster, user,
/// context) or current-context wins, later ones only fill gaps.
Kubeconfig merge_kubeconfigs(const std::vector<Kubeconfig>& files);

/// Splits a KUBECONFIG value on ':' dropping empty entries and later duplicates.
std::vector<std::filesystem::path> split_kubeconfig_list(std::string_view value);

}  // namespace rotator::kube
