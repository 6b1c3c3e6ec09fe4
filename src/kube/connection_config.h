#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kube/credentials.h"
#include "kube/kubeconfig.h"
#include "kube/proxy.h"

namespace rotator::kube {

/// How to verify the server.
struct TlsSettings {
  std::string ca_pem;  ///< empty: the system's trust store
  enum class Verify { on, skip } verify = Verify::on;
  /// tls-server-name: the name the server's certificate is checked against (and
  /// sent as SNI) instead of the server URL's host. Empty: the URL's host.
  std::string server_name;
};

/// Everything needed to talk to one API server as one identity.
struct ConnectionConfig {
  std::string server;  ///< https://host:port, without a trailing slash
  TlsSettings tls;
  ProxySettings proxy;  ///< the kubeconfig's proxy-url, else the environment's, as kubectl
  std::shared_ptr<CredentialSource> credentials;
  std::string namespace_;  ///< the namespace to act in when no -n is given
  std::string context;     ///< context name, or "in-cluster"
  /// Who we are, as far as the configuration says without asking the server:
  /// "user NAME" (the kubeconfig user entry) or the service account
  /// ("system:serviceaccount:NS:NAME") in a pod. Empty when unknown.
  std::string user;
  std::string source;  ///< where it came from, for status output
};

/// What the command line says about where to connect.
struct ConnectionOptions {
  std::optional<std::string> kubeconfig;  ///< --kubeconfig: this file only
  std::optional<std::string> context;     ///< --context
  std::optional<std::string> namespace_;  ///< -n/--namespace
};

/// Builds the connection from an already parsed (and merged) kubeconfig. Reads the
/// files the kubeconfig names (CA, client certificate and key) into memory.
/// Applies proxy-url and tls-server-name; without a proxy-url, the proxy
/// variables of `env` as kubectl reads them (proxy_from_environment). Logs a
/// warning for insecure-skip-tls-verify and for an http:// server, which expose
/// the credentials and every Secret rotator reads or writes.
ConnectionConfig connection_from_kubeconfig(const Kubeconfig& config, const ConnectionOptions& options,
                                            const std::string& source, const EnvLookup& env = process_env);

/// In-cluster configuration: KUBERNETES_SERVICE_HOST/PORT and the service account
/// directory (token, ca.crt, namespace). The token is re-read for every request.
/// Proxy variables apply as for kubectl (client-go's in-cluster config honours them).
ConnectionConfig in_cluster_connection(const std::string& host, const std::string& port,
                                       const std::filesystem::path& service_account_dir,
                                       const ConnectionOptions& options);

/// kubectl's loading rules: --kubeconfig, else the KUBECONFIG list, else
/// ~/.kube/config, else in-cluster. ROTATOR_SERVICEACCOUNT_DIR moves the service
/// account directory (tests emulate a pod with it).
ConnectionConfig load_connection(const ConnectionOptions& options);

/// The context names of the kubeconfig load_connection() would read, sorted (as
/// `kubectl config get-contexts` lists them). Throws ConfigError when there is
/// no kubeconfig.
std::vector<std::string> kubeconfig_context_names(const ConnectionOptions& options);

}  // namespace rotator::kube
