#include "kube/connection_config.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "util/base64.h"
#include "util/errors.h"
#include "util/json_fields.h"
#include "util/secret_buffer.h"

namespace rotator::kube {
namespace {

constexpr const char* default_service_account_dir = "/var/run/secrets/kubernetes.io/serviceaccount";

std::optional<std::string> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return buffer.str();
}

std::string read_required(const std::string& path, const std::string& what) {
  auto content = read_file(path);
  if (!content) throw ConfigError("cannot read " + what + " " + path);
  return std::move(*content);
}

std::string trim_newlines(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.pop_back();
  }
  return text;
}

std::optional<ClientCertificate> client_certificate(const UserEntry& user, const std::string& where) {
  std::string cert =
      !user.client_certificate_data.empty()
          ? user.client_certificate_data
          : (user.client_certificate.empty() ? std::string{}
                                             : read_required(user.client_certificate, "client certificate"));
  util::SecretBuffer key;
  if (!user.client_key_data.empty()) {
    key = util::SecretBuffer(user.client_key_data);
  } else if (!user.client_key.empty()) {
    std::string from_file = read_required(user.client_key, "client key");
    key = util::SecretBuffer(from_file);
    util::wipe(from_file);
  }
  if (cert.empty() && key.empty()) return std::nullopt;
  if (cert.empty() || key.empty()) {
    throw ConfigError(where + " has a client " + (cert.empty() ? "key" : "certificate") + " without its " +
                      (cert.empty() ? "certificate" : "key"));
  }
  return ClientCertificate{std::move(cert), std::move(key)};
}

std::string without_trailing_slash(std::string server) {
  while (!server.empty() && server.back() == '/') server.pop_back();
  return server;
}

/// tls-server-name must be a DNS name or an IP address: it replaces the host in
/// the URL libcurl verifies against, so anything else is refused up front.
void check_tls_server_name(const std::string& name, const std::string& cluster) {
  const bool plain =
      !name.empty() && name.size() <= 253 &&
      name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") == std::string::npos;
  const bool ipv6 =
      name.find(':') != std::string::npos && name.find_first_not_of("0123456789abcdefABCDEF:.") == std::string::npos;
  if (!plain && !ipv6) {
    throw ConfigError("cluster \"" + cluster + "\" has tls-server-name \"" + name +
                      "\", which is not a host name or IP address");
  }
}

/// The connection settings that expose credentials and Secrets to anyone on the
/// path deserve a line on stderr every run, as they are easy to leave behind.
void warn_about_plain_connections(const ConnectionConfig& connection, const std::string& cluster) {
  if (connection.tls.verify == TlsSettings::Verify::skip) {
    spdlog::warn(
        "cluster \"{}\" sets insecure-skip-tls-verify: the API server's certificate is not checked, so "
        "anyone on the network path can read the credentials and the Secrets rotator handles",
        cluster);
  }
  if (connection.server.starts_with("http://")) {
    spdlog::warn("cluster \"{}\" has an http:// server: credentials and Secrets cross the network unencrypted",
                 cluster);
  }
}

}  // namespace

ConnectionConfig connection_from_kubeconfig(const Kubeconfig& config, const ConnectionOptions& options,
                                            const std::string& source, const EnvLookup& env) {
  const std::string context_name = options.context.value_or(config.current_context);
  if (context_name.empty()) {
    throw ConfigError("no context chosen: " + source + " has no current-context; pass --context NAME");
  }
  const auto context = config.contexts.find(context_name);
  if (context == config.contexts.end()) {
    throw ConfigError("context \"" + context_name + "\" not found in " + source);
  }
  const std::string where = "context \"" + context_name + "\"";
  const auto cluster = config.clusters.find(context->second.cluster);
  if (context->second.cluster.empty() || cluster == config.clusters.end()) {
    throw ConfigError(where + " refers to cluster \"" + context->second.cluster + "\", which is not in " + source);
  }
  if (cluster->second.server.empty()) {
    throw ConfigError("cluster \"" + context->second.cluster + "\" has no server");
  }
  if (!cluster->second.server.starts_with("https://") && !cluster->second.server.starts_with("http://")) {
    throw ConfigError("cluster \"" + context->second.cluster + "\" has server \"" + cluster->second.server +
                      "\", which is not an http(s) URL");
  }

  ConnectionConfig connection;
  connection.server = without_trailing_slash(cluster->second.server);
  connection.context = context_name;
  connection.source = source;
  if (!context->second.user.empty()) connection.user = "user " + context->second.user;
  connection.namespace_ =
      options.namespace_.value_or(context->second.namespace_.empty() ? "default" : context->second.namespace_);

  const ClusterEntry& c = cluster->second;
  if (c.insecure_skip_tls_verify) {
    if (!c.certificate_authority.empty() || !c.certificate_authority_data.empty()) {
      throw ConfigError("cluster \"" + context->second.cluster +
                        "\" sets both insecure-skip-tls-verify and a certificate authority");
    }
    connection.tls.verify = TlsSettings::Verify::skip;
  } else if (!c.certificate_authority_data.empty()) {
    connection.tls.ca_pem = c.certificate_authority_data;
  } else if (!c.certificate_authority.empty()) {
    connection.tls.ca_pem = read_required(c.certificate_authority, "certificate authority");
  }
  const std::string cluster_name = context->second.cluster;
  if (!c.tls_server_name.empty()) {
    check_tls_server_name(c.tls_server_name, cluster_name);
    connection.tls.server_name = c.tls_server_name;
  }
  connection.proxy = c.proxy_url.empty() ? proxy_from_environment(connection.server, env)
                                         : proxy_from_kubeconfig(c.proxy_url, "cluster \"" + cluster_name + "\"");
  warn_about_plain_connections(connection, cluster_name);

  UserEntry user;
  if (!context->second.user.empty()) {
    const auto found = config.users.find(context->second.user);
    if (found == config.users.end()) {
      throw ConfigError(where + " refers to user \"" + context->second.user + "\", which is not in " + source);
    }
    user = found->second;
  }
  const std::string user_where = "user \"" + context->second.user + "\"";
  if (!user.auth_provider_name.empty()) {
    throw ConfigError(user_where + " uses the removed auth-provider \"" + user.auth_provider_name +
                      "\"; use an exec credential plugin instead");
  }
  if (user.has_basic_auth) {
    throw ConfigError(user_where + " uses username/password, which Kubernetes no longer accepts");
  }
  auto certificate = client_certificate(user, user_where);

  if (user.exec) {
    ExecClusterInfo info{connection.server, connection.tls.ca_pem, c.insecure_skip_tls_verify, c.tls_server_name,
                         c.proxy_url};
    connection.credentials = std::make_shared<ExecCredentials>(*user.exec, std::move(info), std::move(certificate));
  } else if (!user.token.empty()) {
    connection.credentials = std::make_shared<StaticCredentials>(Credential{user.token, std::move(certificate)},
                                                                 "bearer token of " + user_where);
  } else if (!user.token_file.empty()) {
    connection.credentials = std::make_shared<TokenFileCredentials>(user.token_file, std::move(certificate));
  } else {
    const std::string description = certificate ? "client certificate of " + user_where : "no credentials";
    connection.credentials = std::make_shared<StaticCredentials>(Credential{{}, std::move(certificate)}, description);
  }
  return connection;
}

namespace {

// The "sub" claim of a service account token (a JWT, read here without
// verification: it names us, it proves nothing), e.g.
// "system:serviceaccount:influxdb:rotator".
std::string service_account_of(const std::string& token) {
  const auto first = token.find('.');
  const auto second = token.find('.', first == std::string::npos ? first : first + 1);
  if (first == std::string::npos || second == std::string::npos) return {};
  const auto claims = util::base64url_decode(token.substr(first + 1, second - first - 1));
  if (!claims) return {};
  return util::string_member(nlohmann::json::parse(*claims, nullptr, false), "sub");
}

}  // namespace

ConnectionConfig in_cluster_connection(const std::string& host, const std::string& port,
                                       const std::filesystem::path& service_account_dir,
                                       const ConnectionOptions& options) {
  const auto token_path = service_account_dir / "token";
  if (!std::filesystem::exists(token_path)) {
    throw ConfigError("in-cluster configuration: no service account token at " + token_path.string());
  }
  ConnectionConfig connection;
  const bool ipv6 = host.find(':') != std::string::npos;
  connection.server = "https://" + (ipv6 ? "[" + host + "]" : host) + ":" + port;
  connection.tls.ca_pem = read_required((service_account_dir / "ca.crt").string(), "in-cluster certificate authority");
  connection.credentials = std::make_shared<TokenFileCredentials>(token_path.string(), std::nullopt);
  connection.proxy = proxy_from_environment(connection.server, process_env);
  std::string ns = "default";
  if (auto file = read_file(service_account_dir / "namespace")) ns = trim_newlines(*file);
  connection.namespace_ = options.namespace_.value_or(ns);
  connection.context = "in-cluster";
  if (auto token = read_file(token_path)) connection.user = service_account_of(*token);
  connection.source = "in-cluster service account (" + service_account_dir.string() + ")";
  return connection;
}

namespace {

/// A kubeconfig as kubectl finds it, merged, with the files it came from; nullopt
/// when there is none (in a pod).
std::optional<std::pair<Kubeconfig, std::string>> find_kubeconfig(const ConnectionOptions& options) {
  std::vector<std::filesystem::path> candidates;
  bool explicit_file = false;
  if (options.kubeconfig) {
    candidates.emplace_back(*options.kubeconfig);
    explicit_file = true;
  } else if (const char* list = std::getenv("KUBECONFIG"); list && *list) {
    candidates = split_kubeconfig_list(list);
  } else if (const char* home = std::getenv("HOME")) {
    candidates.emplace_back(std::filesystem::path(home) / ".kube" / "config");
  }

  std::vector<Kubeconfig> files;
  std::string sources;
  for (const auto& path : candidates) {
    auto content = read_file(path);
    if (!content) {
      // As kubectl: missing files in a KUBECONFIG list are skipped, an explicit
      // --kubeconfig that cannot be read is an error.
      if (explicit_file || std::filesystem::exists(path)) {
        // The cause, as the system gives it (ENOENT, EACCES, EISDIR...).
        std::error_code error;
        const bool is_directory = std::filesystem::is_directory(path, error);
        const std::string cause = is_directory                           ? std::strerror(EISDIR)
                                  : std::filesystem::exists(path, error) ? std::strerror(EACCES)
                                                                         : std::strerror(ENOENT);
        throw ConfigError("cannot read kubeconfig " + path.string() + ": " + cause +
                          (explicit_file ? " (check --kubeconfig)" : " (check $KUBECONFIG)"));
      }
      continue;
    }
    files.push_back(parse_kubeconfig(*content, path.parent_path(), path.string()));
    sources += (sources.empty() ? "" : ":") + path.string();
  }
  if (files.empty()) return std::nullopt;
  return std::pair{merge_kubeconfigs(files), "kubeconfig " + sources};
}

}  // namespace

std::vector<std::string> kubeconfig_context_names(const ConnectionOptions& options) {
  const auto found = find_kubeconfig(options);
  if (!found) {
    throw ConfigError("no kubeconfig found, so no contexts to choose from: pass --kubeconfig or set KUBECONFIG");
  }
  std::vector<std::string> names;
  for (const auto& [name, context] : found->first.contexts) names.push_back(name);
  return names;
}

ConnectionConfig load_connection(const ConnectionOptions& options) {
  if (const auto found = find_kubeconfig(options)) {
    return connection_from_kubeconfig(found->first, options, found->second);
  }

  const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
  const char* port = std::getenv("KUBERNETES_SERVICE_PORT");
  if (host && *host && port && *port) {
    const char* dir = std::getenv("ROTATOR_SERVICEACCOUNT_DIR");
    return in_cluster_connection(host, port, dir && *dir ? dir : default_service_account_dir, options);
  }
  throw ConfigError(
      "no Kubernetes configuration found: pass --kubeconfig, set KUBECONFIG, create "
      "~/.kube/config, or run inside a pod");
}

}  // namespace rotator::kube
