#include "kube/credentials.h"

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "util/base64.h"
#include "util/errors.h"
#include "util/json_fields.h"
#include "util/subprocess.h"

namespace rotator::kube {
namespace {

constexpr auto exec_plugin_timeout = std::chrono::seconds(60);
// Refresh a little before the plugin's expiry, so a request never carries a
// token that expires in flight.
constexpr auto exec_expiry_margin = std::chrono::seconds(10);

std::string trim(std::string text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

}  // namespace

StaticCredentials::StaticCredentials(Credential credential, std::string description)
    : credential_(std::move(credential)), description_(std::move(description)) {}

TokenFileCredentials::TokenFileCredentials(std::string path,
                                           std::optional<ClientCertificate> certificate)
    : path_(std::move(path)), certificate_(std::move(certificate)) {}

Credential TokenFileCredentials::current() {
  std::ifstream in(path_);
  if (!in) throw ConfigError("cannot read token file " + path_);
  std::stringstream buffer;
  buffer << in.rdbuf();
  Credential credential;
  credential.bearer_token = trim(buffer.str());
  if (credential.bearer_token.empty()) throw ConfigError("token file " + path_ + " is empty");
  credential.client_certificate = certificate_;
  return credential;
}

ExecCredentialResult parse_exec_credential(std::string_view output, const std::string& api_version,
                                           const std::string& plugin) {
  auto fail = [&](const std::string& why) -> ConfigError {
    return ConfigError("exec plugin " + plugin + " " + why);
  };
  const auto json = nlohmann::json::parse(output, nullptr, false);
  if (json.is_discarded() || !json.is_object()) throw fail("did not print an ExecCredential (not JSON)");
  if (util::string_member(json, "kind") != "ExecCredential") throw fail("printed JSON whose kind is not ExecCredential");
  if (util::string_member(json, "apiVersion") != api_version) {
    throw fail("answered with apiVersion '" + util::string_member(json, "apiVersion") + "', expected " +
               api_version);
  }
  const auto status = json.find("status");
  if (status == json.end() || !status->is_object()) throw fail("printed an ExecCredential without status");

  auto string_member = [&](const char* name) -> std::string {
    const auto it = status->find(name);
    if (it == status->end() || it->is_null()) return {};
    if (!it->is_string()) throw fail(std::string("printed a non-string status.") + name);
    return it->get<std::string>();
  };
  ExecCredentialResult result;
  result.credential.bearer_token = string_member("token");
  const std::string cert = string_member("clientCertificateData");
  const std::string key = string_member("clientKeyData");
  if (cert.empty() != key.empty()) {
    throw fail("returned only one of clientCertificateData and clientKeyData");
  }
  if (!cert.empty()) result.credential.client_certificate = ClientCertificate{cert, key};
  if (result.credential.bearer_token.empty() && !result.credential.client_certificate) {
    throw fail("returned neither a token nor a client certificate");
  }
  const std::string expiry = string_member("expirationTimestamp");
  if (!expiry.empty()) {
    result.expires_at = util::parse_rfc3339(expiry);
    if (!result.expires_at) throw fail("returned an expirationTimestamp that is not RFC 3339");
  }
  return result;
}

std::string exec_info_json(const ExecPluginConfig& config, const ExecClusterInfo& cluster) {
  nlohmann::json spec = {{"interactive", false}};
  if (config.cluster_info == ExecPluginConfig::ClusterInfo::provided) {
    nlohmann::json info = {{"server", cluster.server}};
    if (!cluster.certificate_authority_data.empty()) {
      info["certificate-authority-data"] = util::base64_encode(cluster.certificate_authority_data);
    }
    if (cluster.insecure_skip_tls_verify) info["insecure-skip-tls-verify"] = true;
    if (!cluster.tls_server_name.empty()) info["tls-server-name"] = cluster.tls_server_name;
    if (!cluster.proxy_url.empty()) info["proxy-url"] = cluster.proxy_url;
    spec["cluster"] = info;
  }
  return nlohmann::json{{"apiVersion", config.api_version}, {"kind", "ExecCredential"}, {"spec", spec}}
      .dump();
}

ExecCredentials::ExecCredentials(ExecPluginConfig config, ExecClusterInfo cluster,
                                 std::optional<ClientCertificate> fallback_certificate)
    : config_(std::move(config)),
      cluster_(std::move(cluster)),
      fallback_certificate_(std::move(fallback_certificate)) {}

Credential ExecCredentials::current() {
  std::lock_guard lock(mutex_);
  if (cached_ && (!cached_->expires_at ||
                  util::Clock::now() + exec_expiry_margin < *cached_->expires_at)) {
    return cached_->credential;
  }
  std::vector<std::string> argv{config_.command};
  argv.insert(argv.end(), config_.args.begin(), config_.args.end());
  auto env = config_.env;
  env.emplace_back("KUBERNETES_EXEC_INFO", exec_info_json(config_, cluster_));

  util::ProcessResult run;
  try {
    run = util::run_process(argv, env, exec_plugin_timeout, util::ChildStdin::null,
                            util::ChildStderr::inherit);
  } catch (const Error& e) {
    std::string message = std::string(e.what());
    if (!config_.install_hint.empty()) message += " (" + config_.install_hint + ")";
    throw ConfigError("exec plugin: " + message);
  }
  if (run.timed_out) throw ConfigError("exec plugin " + config_.command + " did not finish in 60 s");
  if (run.exit_code != 0) {
    throw ConfigError("exec plugin " + config_.command + " failed with exit code " +
                      std::to_string(run.exit_code));
  }
  auto result = parse_exec_credential(run.stdout_text, config_.api_version, config_.command);
  if (!result.credential.client_certificate) {
    result.credential.client_certificate = fallback_certificate_;
  }
  cached_ = std::move(result);
  return cached_->credential;
}

bool ExecCredentials::invalidate() {
  std::lock_guard lock(mutex_);
  cached_.reset();
  return true;
}

}  // namespace rotator::kube
