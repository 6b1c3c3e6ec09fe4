#include "kube/credentials.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "util/base64.h"
#include "util/errors.h"
#include "util/fd.h"
#include "util/json_fields.h"
#include "util/subprocess.h"
#include "util/terminal_text.h"

namespace rotator::kube {
namespace {

constexpr auto exec_plugin_timeout = std::chrono::seconds(60);
// Refresh a little before the plugin's expiry, so a request never carries a
// token that expires in flight.
constexpr auto exec_expiry_margin = std::chrono::seconds(10);

// A token file is a few KiB at most; anything bigger is not one.
constexpr std::size_t max_token_file_bytes = 1024 * 1024;
// What of a plugin's stderr is shown: enough for a hint, not a flood.
constexpr std::size_t max_plugin_stderr_shown = 4096;

/// The token in a token file, read straight into a wiping buffer (no stream
/// buffers left behind), without surrounding whitespace. nullopt: unreadable.
std::optional<util::SecretBuffer> read_token_file(const std::string& path) {
  util::Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return std::nullopt;
  util::SecretBuffer content;
  content.reserve(4096);
  char chunk[4096];
  while (true) {
    const ssize_t n = ::read(fd.get(), chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      util::wipe(chunk, sizeof chunk);
      return std::nullopt;
    }
    if (n == 0) break;
    content.append(chunk, static_cast<std::size_t>(n));
    if (content.size() > max_token_file_bytes) throw ConfigError("token file " + path + " is larger than 1 MiB");
  }
  util::wipe(chunk, sizeof chunk);
  std::string_view text = content.view();
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return util::SecretBuffer();
  const auto last = text.find_last_not_of(" \t\r\n");
  return util::SecretBuffer(text.substr(first, last - first + 1));
}

/// A plugin's stderr, escaped (it is outside text) and cut to a few KiB.
std::string shown_stderr(const std::string& text) {
  std::string_view trimmed(text);
  while (!trimmed.empty() && (trimmed.back() == '\n' || trimmed.back() == '\r')) trimmed.remove_suffix(1);
  return util::escape_for_terminal(util::truncate_for_display(trimmed, max_plugin_stderr_shown),
                                   util::LineBreaks::keep);
}

/// The last non-empty line of a plugin's stderr, escaped: the likely reason it failed.
std::string last_stderr_line(const std::string& text) {
  std::string_view rest(text);
  while (!rest.empty() && (rest.back() == '\n' || rest.back() == '\r')) rest.remove_suffix(1);
  const auto newline = rest.rfind('\n');
  const std::string_view line = newline == std::string_view::npos ? rest : rest.substr(newline + 1);
  return util::escape_for_terminal(util::truncate_for_display(line, 300));
}

}  // namespace

StaticCredentials::StaticCredentials(Credential credential, std::string description)
    : credential_(std::move(credential)), description_(std::move(description)) {}

TokenFileCredentials::TokenFileCredentials(std::string path, std::optional<ClientCertificate> certificate)
    : path_(std::move(path)), certificate_(std::move(certificate)) {}

Credential TokenFileCredentials::current() {
  auto token = read_token_file(path_);
  if (!token) throw ConfigError("cannot read token file " + path_);
  Credential credential;
  credential.bearer_token = std::move(*token);
  if (credential.bearer_token.empty()) throw ConfigError("token file " + path_ + " is empty");
  credential.client_certificate = certificate_;
  return credential;
}

ExecCredentialResult parse_exec_credential(std::string_view output, const std::string& api_version,
                                           const std::string& plugin) {
  auto fail = [&](const std::string& why) -> ConfigError { return ConfigError("exec plugin " + plugin + " " + why); };
  const auto json = nlohmann::json::parse(output, nullptr, false);
  if (json.is_discarded() || !json.is_object()) throw fail("did not print an ExecCredential (not JSON)");
  if (util::string_member(json, "kind") != "ExecCredential")
    throw fail("printed JSON whose kind is not ExecCredential");
  if (util::string_member(json, "apiVersion") != api_version) {
    throw fail("answered with apiVersion '" + util::string_member(json, "apiVersion") + "', expected " + api_version);
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
  // The plain copies nlohmann hands out are wiped once they are in wiping buffers
  // (the parsed JSON document's own copies are beyond reach).
  std::string token = string_member("token");
  result.credential.bearer_token = token;
  util::wipe(token);
  const std::string cert = string_member("clientCertificateData");
  std::string key = string_member("clientKeyData");
  if (cert.empty() != key.empty()) {
    util::wipe(key);
    throw fail("returned only one of clientCertificateData and clientKeyData");
  }
  if (!cert.empty()) result.credential.client_certificate = ClientCertificate{cert, util::SecretBuffer(key)};
  util::wipe(key);
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
  return nlohmann::json{{"apiVersion", config.api_version}, {"kind", "ExecCredential"}, {"spec", spec}}.dump();
}

ExecCredentials::ExecCredentials(ExecPluginConfig config, ExecClusterInfo cluster,
                                 std::optional<ClientCertificate> fallback_certificate)
    : config_(std::move(config)),
      cluster_(std::move(cluster)),
      fallback_certificate_(std::move(fallback_certificate)) {}

Credential ExecCredentials::current() {
  std::lock_guard lock(mutex_);
  if (cached_ && (!cached_->expires_at || util::Clock::now() + exec_expiry_margin < *cached_->expires_at)) {
    return cached_->credential;
  }
  std::vector<std::string> argv{config_.command};
  argv.insert(argv.end(), config_.args.begin(), config_.args.end());
  auto env = config_.env;
  env.emplace_back("KUBERNETES_EXEC_INFO", exec_info_json(config_, cluster_));

  util::ProcessResult run;
  try {
    // stderr is captured, not passed through: it is outside text and is shown
    // escaped, as a log line, so a plugin cannot drive the terminal.
    run = util::run_process(argv, env, exec_plugin_timeout, util::ChildStdin::null, util::ChildStderr::capture);
  } catch (const Error& e) {
    std::string message = std::string(e.what());
    if (!config_.install_hint.empty()) message += " (" + config_.install_hint + ")";
    throw ConfigError("exec plugin: " + message);
  }
  // Whatever happens next, the plugin's output (the token) is wiped on the way out.
  struct WipeOnExit {
    std::string& text;
    ~WipeOnExit() { util::wipe(text); }
  } wipe_stdout{run.stdout_text};
  if (!run.stderr_text.empty()) spdlog::info("exec plugin {}: {}", config_.command, shown_stderr(run.stderr_text));
  if (run.timed_out) throw ConfigError("exec plugin " + config_.command + " did not finish in 60 s");
  if (run.exit_code != 0) {
    const std::string why = last_stderr_line(run.stderr_text);
    throw ConfigError("exec plugin " + config_.command + " failed with exit code " + std::to_string(run.exit_code) +
                      (why.empty() ? "" : ": " + why));
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
