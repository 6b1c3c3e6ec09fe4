#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "kube/kubeconfig.h"
#include "util/secret_buffer.h"
#include "util/time.h"

namespace rotator::kube {

/// A TLS client certificate and its key, PEM, handed to libcurl in memory. The
/// key lives in a wiping buffer (kubeconfig *-data fields pass through yaml-cpp's
/// own strings first, which rotator cannot wipe).
struct ClientCertificate {
  std::string certificate_pem;
  util::SecretBuffer key_pem;
};

/// What authenticates the next request. Both halves wipe themselves.
struct Credential {
  util::SecretBuffer bearer_token;  ///< empty: none
  std::optional<ClientCertificate> client_certificate;
};

/// Where credentials come from. Abstract so static tokens, rotating token files and
/// exec plugins look alike to the HTTP layer.
class CredentialSource {
 public:
  virtual ~CredentialSource() = default;
  /// The credential for the next request (may run a plugin or read a file).
  virtual Credential current() = 0;
  /// Called after a 401. Returns true when a retry may present a different
  /// credential (a re-read file, a re-run plugin).
  virtual bool invalidate() { return false; }
  /// A short description for messages, never the secret itself: "bearer token".
  virtual std::string describe() const = 0;
};

/// A token and/or certificate fixed for the life of the process.
class StaticCredentials : public CredentialSource {
 public:
  explicit StaticCredentials(Credential credential, std::string description);
  Credential current() override { return credential_; }
  std::string describe() const override { return description_; }

 private:
  Credential credential_;
  std::string description_;
};

/// A token file read for every request: bound service account tokens rotate
/// underneath a running process.
class TokenFileCredentials : public CredentialSource {
 public:
  TokenFileCredentials(std::string path, std::optional<ClientCertificate> certificate);
  Credential current() override;
  bool invalidate() override { return true; }
  std::string describe() const override { return "token file " + path_; }

 private:
  std::string path_;
  std::optional<ClientCertificate> certificate_;
};

/// Cluster facts a plugin may ask for (provideClusterInfo).
struct ExecClusterInfo {
  std::string server;
  std::string certificate_authority_data;  ///< PEM bytes
  bool insecure_skip_tls_verify = false;
  std::string tls_server_name;
  std::string proxy_url;
};

/// Parses an ExecCredential a plugin printed. Throws ConfigError on anything that
/// is not one (wrong apiVersion or kind, no status, neither token nor certificate).
struct ExecCredentialResult {
  Credential credential;
  std::optional<util::TimePoint> expires_at;
};
ExecCredentialResult parse_exec_credential(std::string_view output, const std::string& api_version,
                                           const std::string& plugin);

/// The KUBERNETES_EXEC_INFO value client-go hands a plugin.
std::string exec_info_json(const ExecPluginConfig& config, const ExecClusterInfo& cluster);

/// Runs an exec credential plugin without a shell, caches what it returned until
/// its expirationTimestamp (or until a 401, when it had none), and runs it again then.
class ExecCredentials : public CredentialSource {
 public:
  ExecCredentials(ExecPluginConfig config, ExecClusterInfo cluster,
                  std::optional<ClientCertificate> fallback_certificate);
  Credential current() override;
  bool invalidate() override;
  std::string describe() const override { return "exec plugin " + config_.command; }

 private:
  ExecPluginConfig config_;
  ExecClusterInfo cluster_;
  std::optional<ClientCertificate> fallback_certificate_;
  std::mutex mutex_;
  std::optional<ExecCredentialResult> cached_;
};

}  // namespace rotator::kube
