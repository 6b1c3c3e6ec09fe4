#include <cstdio>
#include <iostream>

#include <nlohmann/json.hpp>

#include "commands/commands.h"
#include "commands/session.h"
#include "crypto/keys.h"
#include "formats/admin_token.h"
#include "formats/key_ring.h"
#include "formats/names.h"
#include "formats/token_file.h"
#include "kube/cluster.h"
#include "kube/resources.h"
#include "kube/rollout.h"

namespace rotator::commands {
namespace {

using Json = nlohmann::json;

/// How far status got with one object: present and understood, absent, or why not.
struct Finding {
  std::string state = "absent";  ///< ok, absent, forbidden, invalid, error
  std::string message;
  Json details = Json::object();
};

Finding failure_of(const std::exception& e) {
  Finding f;
  const auto* api = dynamic_cast<const kube::ApiError*>(&e);
  if (api && api->reason() == kube::Reason::forbidden) f.state = "forbidden";
  else if (dynamic_cast<const InvalidDataError*>(&e)) f.state = "invalid";
  else f.state = "error";
  f.message = e.what();
  return f;
}

std::string age_of(util::TimePoint since, util::TimePoint now) {
  const auto age = std::chrono::duration_cast<std::chrono::seconds>(now - since);
  return util::format_duration(std::chrono::duration_cast<std::chrono::milliseconds>(age));
}

struct Observations {
  Finding keys;
  Finding admin_token;
  Finding workload;
};

Observations observe(kube::Client& client, const std::string& ns, const cli::Invocation& invocation,
                     util::TimePoint now) {
  Observations seen;
  kube::SecretApi secrets(client);
  std::optional<formats::KeyRing> ring;
  try {
    const auto secret = secrets.get(ns, invocation.options["keys-secret"].as<std::string>());
    if (secret) {
      auto read = formats::read_key_ring(*secret, now, formats::WantStaged::yes);
      ring = std::move(read.ring);
      seen.keys.state = "ok";
      auto& d = seen.keys.details;
      d["kid"] = ring->current.kid;
      d["algorithm"] = crypto::to_string(ring->current.description);
      if (ring->created_at) {
        d["created_at"] = util::format_rfc3339(*ring->created_at);
        d["age"] = age_of(*ring->created_at, now);
      }
      d["staged_kid"] = ring->next ? ring->next->kid : "";
      if (!ring->retired.empty()) {
        d["retired_kid"] = ring->retired.back().kid;
        d["retired_trusted_until"] = util::format_rfc3339(ring->retired.back().trusted_until);
      }
      d["last_rotation"] = ring->rotation_history.empty() ? "" : ring->rotation_history.back();
      if (ring->rotated_at) d["rotated_at"] = util::format_rfc3339(*ring->rotated_at);
      if (!read.gaps.empty()) {
        std::string gaps;
        for (const auto& g : read.gaps) gaps += (gaps.empty() ? "" : "; ") + g;
        seen.keys.message = gaps + " (run key-gen)";
      }
    }
  } catch (const kube::ApiError& e) {
    if (e.reason() == kube::Reason::unauthorized) throw;
    seen.keys = failure_of(e);
  } catch (const Error& e) {
    seen.keys = failure_of(e);
  }

  try {
    const auto secret = secrets.get(ns, invocation.options["admin-token-secret"].as<std::string>());
    if (secret) {
      const auto data = secret->data.find(formats::admin_secret::token);
      if (data == secret->data.end()) throw InvalidDataError("no \"token\" key");
      const auto file = formats::parse_token_file(data->second);
      seen.admin_token.state = "ok";
      if (ring) {
        const auto verdict = formats::verify_admin_token(file.access_token, *ring, now);
        auto& d = seen.admin_token.details;
        d["jti"] = verdict.id;
        d["kid"] = verdict.kid;
        if (verdict.issued_at) d["issued_at"] = util::format_rfc3339(*verdict.issued_at);
        d["expires_at"] = verdict.expires_at ? util::format_rfc3339(*verdict.expires_at) : "never";
        d["verifies"] = verdict.valid;
        if (!verdict.valid) seen.admin_token.message = verdict.reason;
      }
    }
  } catch (const kube::ApiError& e) {
    if (e.reason() == kube::Reason::unauthorized) throw;
    seen.admin_token = failure_of(e);
  } catch (const Error& e) {
    seen.admin_token = failure_of(e);
  }

  try {
    const auto ref = kube::parse_workload_ref(invocation.options["target"].as<std::string>());
    const auto workload = kube::WorkloadApi(client).get(ns, ref);
    if (workload) {
      seen.workload.state = "ok";
      auto& d = seen.workload.details;
      d["name"] = kube::to_string(ref);
      const auto rollout = kube::rollout_status(ref.kind, *workload);
      d["rollout"] = rollout.message;
      const auto annotations = kube::pod_template_annotations(*workload);
      const auto found = annotations.find(formats::restart_kid_annotation);
      const std::string kid = found == annotations.end() ? std::string() : found->second;
      d["restarted_for_kid"] = kid;
      d["runs_current_key"] = ring && kid == ring->current.kid &&
                              rollout.state == kube::RolloutStatus::State::complete;
    }
  } catch (const kube::ApiError& e) {
    if (e.reason() == kube::Reason::unauthorized) throw;
    seen.workload = failure_of(e);
  }
  return seen;
}

void print_finding(const char* title, const Finding& f) {
  std::cout << title << "\n";
  if (f.state != "ok") {
    std::cout << "  state:                  " << f.state << (f.message.empty() ? "" : ": " + f.message) << "\n";
    return;
  }
  for (const auto& [key, value] : f.details.items()) {
    std::string text = value.is_string() ? value.get<std::string>() : value.dump();
    if (text.empty()) text = "-";
    std::printf("  %-23s %s\n", (key + ":").c_str(), text.c_str());
  }
  std::fflush(stdout);
  if (!f.message.empty()) std::cout << "  note:                   " << f.message << "\n";
}

Json finding_json(const Finding& f) {
  Json j = f.details;
  j["state"] = f.state;
  if (!f.message.empty()) j["message"] = f.message;
  return j;
}

ExitCode run_status(const cli::Invocation& invocation) {
  const auto format = cli::output_format_from(invocation.options);
  auto client = connect(invocation.globals);
  const auto& config = client->config();
  const auto now = util::Clock::now();
  const auto version = kube::server_version(*client);
  const auto seen = observe(*client, config.namespace_, invocation, now);

  const Json cluster = {{"server", config.server},
                        {"version", version.git_version},
                        {"context", config.context},
                        {"source", config.source},
                        {"credentials", config.credentials ? config.credentials->describe() : "none"},
                        {"namespace", config.namespace_}};
  if (format == cli::OutputFormat::json) {
    std::cout << Json{{"cluster", cluster},
                      {"keys", finding_json(seen.keys)},
                      {"adminToken", finding_json(seen.admin_token)},
                      {"workload", finding_json(seen.workload)}}
                     .dump(2)
              << "\n";
  } else {
    std::cout << "Cluster:      " << config.server << " (" << cluster["version"].get<std::string>() << ")\n"
              << "Context:      " << config.context << " from " << config.source << "\n"
              << "Credentials:  " << cluster["credentials"].get<std::string>() << "\n"
              << "Namespace:    " << config.namespace_ << "\n\n";
    print_finding(("Signing keys (Secret " + invocation.options["keys-secret"].as<std::string>() + ")").c_str(), seen.keys);
    print_finding(("Admin token (Secret " + invocation.options["admin-token-secret"].as<std::string>() + ")").c_str(),
                  seen.admin_token);
    print_finding(("Restart target (" + invocation.options["target"].as<std::string>() + ")").c_str(), seen.workload);
  }
  report_stats(invocation.globals, *client);
  for (const auto* f : {&seen.keys, &seen.admin_token, &seen.workload}) {
    if (f->state == "forbidden") return ExitCode::not_authorized;
  }
  return ExitCode::success;
}

}  // namespace

cli::CommandSpec status_command() {
  return {
      .name = "status",
      .synopsis = "status [-o table|json] [--keys-secret NAME] [--admin-token-secret NAME] [--target KIND/NAME]",
      .summary = "keys, admin token, restart state and last rotation (reads only)",
      .details = "Reports the API server, context, credentials and namespace in use; the signing\n"
                 "key (kid, algorithm, age, staged and retired keys, last rotation); the admin\n"
                 "token (jti, kid, issued, expiry, whether it verifies under the current key);\n"
                 "and whether the token-management workload runs the current key. Exit 4 when\n"
                 "something could not be read for lack of rights.",
      .examples = "  rotator status -n influxdb\n"
                  "  rotator status -n influxdb -o json | jq .adminToken\n"
                  "  kubectl rotator status --context prod -n influxdb",
      .add_options =
          [](po::options_description& options) {
            cli::add_output_format_option(options);
            options.add_options()
                ("keys-secret", po::value<std::string>()->default_value("rsa-keys")->value_name("NAME"),
                 "Secret holding the signing keys")
                ("admin-token-secret", po::value<std::string>()->default_value("admin-token")->value_name("NAME"),
                 "Secret holding the admin token file")
                ("target", po::value<std::string>()->default_value("deployment/token-management")->value_name("KIND/NAME"),
                 "the token-management workload");
          },
      .max_positionals = 0,
      .run = run_status,
  };
}

}  // namespace rotator::commands
