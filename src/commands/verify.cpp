#include <algorithm>
#include <fstream>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "commands/commands.h"
#include "commands/session.h"
#include "commands/token_common.h"
#include "formats/admin_token.h"
#include "formats/key_ring.h"
#include "formats/names.h"
#include "formats/token_file.h"
#include "formats/token_string.h"
#include "formats/token_verdict.h"
#include "kube/resources.h"
#include "util/errors.h"
#include "util/terminal_text.h"

namespace rotator::commands {
namespace {

std::string read_token_input(const cli::Invocation& invocation) {
  const bool from_file = invocation.options.count("token-file") > 0;
  if (from_file == !invocation.positionals.empty()) {
    throw UsageError("give exactly one of TOKEN or --token-file FILE");
  }
  if (!from_file) return formats::extract_token(invocation.positionals[0]);
  const std::string path = invocation.options["token-file"].as<std::string>();
  std::ifstream in(path);
  if (!in) throw UsageError("cannot read token file " + path);
  std::stringstream text;
  text << in.rdbuf();
  return formats::extract_token(text.str());
}

ExitCode run_verify(const cli::Invocation& invocation) {
  const auto format = cli::output_format_from(invocation.options);
  const std::string token = read_token_input(invocation);
  if (token.empty()) throw UsageError("the token is empty");
  auto client = connect(invocation.globals);
  const std::string ns = client->config().namespace_;
  const auto now = util::Clock::now();
  formats::TokenVerdict verdict;
  // Management and database tokens are told apart by their prefix and checked
  // against their registry; anything else must be an admin JWT.
  if (const auto kind = formats::classify_token(token)) {
    const auto registry = read_registry(*client, ns, std::string(formats::default_registry_secret(*kind)), *kind);
    const auto result = formats::verify_against_registry(registry, token, now);
    verdict.kind = std::string(formats::kind_name(*kind)) + " token";
    verdict.id = result.id;
    verdict.valid = result.valid();
    verdict.reason = result.valid() ? "valid" : result.reason();
    verdict.expires_at = result.expires_at;
  } else if (std::count(token.begin(), token.end(), '.') == 2) {
    const std::string keys = invocation.options["keys-secret"].as<std::string>();
    const auto secret = kube::SecretApi(*client).get(ns, keys);
    if (!secret || formats::is_placeholder(*secret)) {
      throw Error("Secret " + ns + "/" + keys + " does not exist: run `rotator key-gen -n " + ns + "` first");
    }
    const auto ring = formats::read_key_ring(*secret, now, formats::WantStaged::no).ring;
    verdict = formats::verify_admin_token(token, ring, now);
  } else {
    verdict.kind = "unknown";
    verdict.reason = "not an admin JWT, nor a management (M.V1.) or database (apiv1_) token";
  }

  if (format == cli::OutputFormat::json) {
    nlohmann::json out = {{"kind", verdict.kind}, {"valid", verdict.valid}, {"reason", verdict.reason}};
    if (!verdict.id.empty()) out["id"] = verdict.id;
    if (!verdict.kid.empty()) out["kid"] = verdict.kid;
    if (verdict.issued_at) out["issued_at"] = util::format_rfc3339(*verdict.issued_at);
    if (verdict.expires_at) out["expires_at"] = util::format_rfc3339(*verdict.expires_at);
    std::cout << out.dump(2) << "\n";
  } else {
    // The kid, the id and the reason come from an unverified token: shown escaped.
    std::cout << verdict.kind;
    if (!verdict.id.empty()) std::cout << " " << util::escape_for_terminal(verdict.id);
    if (!verdict.kid.empty()) std::cout << " (kid " << util::escape_for_terminal(verdict.kid) << ")";
    std::cout << ": " << (verdict.valid ? "valid" : "INVALID: " + util::escape_for_terminal(verdict.reason));
    if (verdict.valid)
      std::cout << (verdict.expires_at ? ", expires " + util::format_rfc3339(*verdict.expires_at) : ", no expiry");
    std::cout << "\n";
  }
  report_stats(invocation.globals, *client);
  return verdict.valid ? ExitCode::success : ExitCode::failure;
}

}  // namespace

cli::CommandSpec verify_command() {
  return {
      .name = "verify",
      .synopsis = "verify [TOKEN | --token-file FILE] [-o table|json] [--keys-secret rsa-keys]",
      .summary = "check a token and say why it fails (exit 0 only when valid)",
      .details =
          "Verifies an admin token (a JWT, or a token file as influxctl reads it) against\n"
          "the signing-key Secret: valid only when signed by the current key and not\n"
          "expired. Names the staged key, a retired key in its grace period, or a key no\n"
          "longer published when the token was signed by one of those.",
      .examples =
          "  rotator verify --token-file token.json -n influxdb\n"
          "  kubectl get secret admin-token -o jsonpath='{.data.token}' | base64 -d > t.json && rotator verify "
          "--token-file t.json",
      .add_options =
          [](po::options_description& o) {
            cli::add_output_format_option(o);
            o.add_options()("token-file", po::value<std::string>()->value_name("FILE"),
                            "read the token (or token file) from FILE")(
                "keys-secret", po::value<std::string>()->default_value("rsa-keys")->value_name("NAME"),
                "Secret holding the signing keys");
          },
      .max_positionals = 1,
      .run = run_verify,
  };
}

}  // namespace rotator::commands
