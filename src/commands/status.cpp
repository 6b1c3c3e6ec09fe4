#include <iostream>

#include <nlohmann/json.hpp>

#include "commands/commands.h"
#include "commands/session.h"
#include "kube/resources.h"

namespace rotator::commands {
namespace {

using Json = nlohmann::json;

/// What status found about one Secret.
struct SecretObservation {
  std::string name;
  enum class State { present, absent, forbidden, error } state = State::absent;
  std::string resource_version;
  std::vector<std::string> keys;  ///< data keys, never values
  std::string message;
};

struct StatusReport {
  std::string server;
  std::string context;
  std::string source;
  std::string credentials;
  std::string namespace_;
  std::string server_version;
  std::vector<SecretObservation> secrets;
};

const char* state_name(SecretObservation::State state) {
  switch (state) {
    case SecretObservation::State::present: return "present";
    case SecretObservation::State::absent: return "absent";
    case SecretObservation::State::forbidden: return "forbidden";
    case SecretObservation::State::error: return "error";
  }
  return "error";
}

SecretObservation observe_secret(kube::SecretApi& secrets, const std::string& ns, const std::string& name) {
  SecretObservation seen;
  seen.name = name;
  try {
    const auto secret = secrets.get(ns, name);
    if (!secret) return seen;
    seen.state = SecretObservation::State::present;
    seen.resource_version = secret->metadata.resource_version;
    for (const auto& [key, value] : secret->data) seen.keys.push_back(key);
  } catch (const kube::ApiError& e) {
    // 401 means nothing else will work either: let it end the run with exit 4.
    if (e.reason() == kube::Reason::unauthorized) throw;
    seen.state = e.reason() == kube::Reason::forbidden ? SecretObservation::State::forbidden
                                                       : SecretObservation::State::error;
    seen.message = e.what();
  }
  return seen;
}

void print_table(const StatusReport& report) {
  std::cout << "Cluster:      " << report.server << " (" << report.server_version << ")\n"
            << "Context:      " << report.context << " from " << report.source << "\n"
            << "Credentials:  " << report.credentials << "\n"
            << "Namespace:    " << report.namespace_ << "\n\n"
            << "SECRET            STATE       RESOURCE VERSION   KEYS\n";
  for (const auto& s : report.secrets) {
    std::string keys;
    for (const auto& k : s.keys) keys += (keys.empty() ? "" : ",") + k;
    if (!s.message.empty()) keys = s.message;
    std::printf("%-17s %-11s %-18s %s\n", s.name.c_str(), state_name(s.state),
                s.resource_version.empty() ? "-" : s.resource_version.c_str(), keys.c_str());
  }
  std::fflush(stdout);
}

void print_json(const StatusReport& report) {
  Json secrets = Json::array();
  for (const auto& s : report.secrets) {
    Json entry = {{"name", s.name}, {"state", state_name(s.state)}, {"keys", s.keys}};
    if (!s.resource_version.empty()) entry["resourceVersion"] = s.resource_version;
    if (!s.message.empty()) entry["message"] = s.message;
    secrets.push_back(entry);
  }
  const Json out = {{"cluster",
                     {{"server", report.server},
                      {"version", report.server_version},
                      {"context", report.context},
                      {"source", report.source},
                      {"credentials", report.credentials},
                      {"namespace", report.namespace_}}},
                    {"secrets", secrets}};
  std::cout << out.dump(2) << "\n";
}

ExitCode run_status(const cli::Invocation& invocation) {
  const auto format = cli::output_format_from(invocation.options);
  auto client = connect(invocation.globals);
  const auto& config = client->config();

  StatusReport report;
  report.server = config.server;
  report.context = config.context;
  report.source = config.source;
  report.credentials = config.credentials ? config.credentials->describe() : "none";
  report.namespace_ = config.namespace_;
  const Json version = client->get("/version");
  report.server_version = version.value("gitVersion", "unknown version");

  kube::SecretApi secrets(*client);
  for (const char* option : {"keys-secret", "admin-token-secret"}) {
    report.secrets.push_back(
        observe_secret(secrets, config.namespace_, invocation.options[option].as<std::string>()));
  }
  if (format == cli::OutputFormat::json) {
    print_json(report);
  } else {
    print_table(report);
  }
  report_stats(invocation.globals, *client);
  // A Secret rotator may not read is an authorization problem, whatever else worked.
  for (const auto& s : report.secrets) {
    if (s.state == SecretObservation::State::forbidden) return ExitCode::not_authorized;
  }
  return ExitCode::success;
}

}  // namespace

cli::CommandSpec status_command() {
  return {
      .name = "status",
      .synopsis = "status [-o table|json] [--keys-secret NAME] [--admin-token-secret NAME]",
      .summary = "show the cluster rotator talks to and the state of its Secrets",
      .details = "Reads only; never writes. Reports the API server, the context and credentials\n"
                 "in use, and whether the signing-key and admin-token Secrets can be read.",
      .examples = "  rotator status\n"
                  "  rotator status -n influxdb -o json\n"
                  "  kubectl rotator status --context prod",
      .add_options =
          [](cli::po::options_description& options) {
            cli::add_output_format_option(options);
            options.add_options()
                ("keys-secret", cli::po::value<std::string>()->default_value("rsa-keys")->value_name("NAME"),
                 "Secret holding the signing keys")
                ("admin-token-secret", cli::po::value<std::string>()->default_value("admin-token")->value_name("NAME"),
                 "Secret holding the admin token file");
          },
      .max_positionals = 0,
      .run = run_status,
  };
}

}  // namespace rotator::commands
