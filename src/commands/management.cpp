#include <algorithm>
#include <iostream>

#include "commands/commands.h"
#include "commands/influxctl_config.h"
#include "commands/session.h"
#include "commands/step_table.h"
#include "commands/token_common.h"
#include "crypto/random.h"
#include "formats/influxctl_output.h"
#include "formats/token_string.h"
#include "metrics/pushgateway_url.h"
#include "steps/token_renewal.h"
#include "util/errors.h"

namespace rotator::commands {
namespace {

using formats::TokenKind;

constexpr auto influxctl_setting = formats::InfluxctlSetting::mgmt_token;

ExitCode create_management_token(const cli::Invocation& invocation) {
  const std::string description =
      invocation.options.count("description") ? invocation.options["description"].as<std::string>() : "";
  formats::validate_description(description);
  std::optional<std::string> influxctl_config;
  const std::string profile = invocation.options["profile"].as<std::string>();
  if (invocation.options.count("influxctl-config")) {
    influxctl_config = invocation.options["influxctl-config"].as<std::string>();
  }
  const NewProfileAddress address = influxctl_address_from(invocation.options);
  // Fail before creating a token when the file cannot take it.
  if (influxctl_config) check_influxctl_profile_value(*influxctl_config, profile, influxctl_setting, address);
  std::vector<std::string> notes;
  const ExitCode code = run_create(invocation, TokenKind::management, description, {}, [&](const std::string& token) {
    if (influxctl_config) {
      notes = set_influxctl_profile_value(*influxctl_config, profile, influxctl_setting, token, address);
    }
  });
  if (influxctl_config && invocation.globals.dry_run == cli::GlobalOptions::DryRun::off) {
    std::cerr << "set mgmt_token of profile \"" << profile << "\" in " << *influxctl_config << std::endl;
    for (const auto& note : notes) std::cerr << "influxctl config: " << note << std::endl;
  }
  return code;
}

ExitCode run_list(const cli::Invocation& invocation) {
  const auto format = cli::output_format_from(invocation.options);
  const std::string sort = invocation.options["sort"].as<std::string>();
  static const std::vector<std::string> sorts = {"created", "id", "description", "prefix", "expires", "revoked"};
  if (std::find(sorts.begin(), sorts.end(), sort) == sorts.end()) {
    throw UsageError("--sort must be one of created, id, description, prefix, expires, revoked; not \"" + sort + "\"");
  }
  auto client = connect(invocation.globals);
  auto records =
      read_registry(*client, client->config().namespace_, registry_secret_name(invocation), TokenKind::management)
          .records;
  // Absent times sort last: a token that never expires or was never revoked.
  auto time_key = [](const std::optional<util::TimePoint>& t) { return t ? *t : util::TimePoint::max(); };
  std::stable_sort(records.begin(), records.end(), [&](const formats::TokenRecord& a, const formats::TokenRecord& b) {
    if (sort == "id") return a.id < b.id;
    if (sort == "description") return a.description < b.description;
    if (sort == "prefix") return a.prefix < b.prefix;
    if (sort == "expires") return time_key(a.expires_at) < time_key(b.expires_at);
    if (sort == "revoked") return time_key(a.revoked_at) < time_key(b.revoked_at);
    return a.created_at < b.created_at;
  });
  const util::TimePoint now = util::Clock::now();
  if (format == cli::OutputFormat::json) {
    std::cout << formats::token_list_json(TokenKind::management, records, now).dump(2) << std::endl;
  } else {
    std::cout << formats::management_list_table(records) << std::flush;
  }
  report_stats(invocation.globals, *client);
  return ExitCode::success;
}

ExitCode run_renew(const cli::Invocation& invocation) {
  const StepKind& kind = *find_step_kind("management renew");
  frame::Plan plan;
  plan.command = kind.name;
  plan.job = metrics::job_name_for_command(kind.name);
  plan.steps.push_back(kind.bind(invocation.options));
  auto client = connect(invocation.globals);
  const PlanResult result = execute_plan_here(invocation, plan, *client);
  if (invocation.globals.dry_run == cli::GlobalOptions::DryRun::on) return ExitCode::success;
  const auto& step = dynamic_cast<const steps::RenewalStep&>(*plan.steps.front());
  std::cout << step.summary(result.seen, result.changes) << std::endl;
  report_stats(invocation.globals, *client);
  return ExitCode::success;
}

}  // namespace

cli::CommandSpec management_create_command() {
  return {
      .name = "management create",
      .synopsis =
          "management create --description TEXT [--expires-at RFC3339] [-o table|json] "
          "[--influxctl-config PATH [--profile NAME]]",
      .summary = "create a management token (shown once)",
      .details =
          "Creates a management token (M.V1.<64 base64 characters>, 384 random bits) and records its\n"
          "SHA-512 hash, never the token, in the management-tokens Secret. The token is\n"
          "printed once. With --influxctl-config it is also written as mgmt_token\n"
          "directly under the [[profile]] in influxctl's config.toml (where influxctl reads it)\n"
          "(other settings, profiles and comments are kept byte for byte; mode 0600).",
      .examples =
          "  rotator management create --description \"CI pipeline\" --expires-at 2026-12-31T00:00:00Z\n"
          "  rotator management create --description ops -o json\n"
          "  rotator management create --description laptop --influxctl-config ~/.config/influxctl/config.toml "
          "--profile prod",
      .add_options =
          [](cli::po::options_description& options) {
            cli::add_output_format_option(options);
            options.add_options()("description", cli::po::value<std::string>()->value_name("TEXT"),
                                  "what the token is for (required)")(
                "expires-at", cli::po::value<std::string>()->value_name("RFC3339"), "expiry time (default: never)")(
                "influxctl-config", cli::po::value<std::string>()->value_name("PATH"),
                "also write the token into this influxctl config.toml")(
                "profile", cli::po::value<std::string>()->default_value("default")->value_name("NAME"),
                "influxctl profile to write (a new one needs --influxctl-host and --influxctl-port)");
            add_influxctl_address_options(options);
            add_registry_option(options, TokenKind::management);
          },
      .max_positionals = 0,
      .run = create_management_token,
  };
}

cli::CommandSpec management_list_command() {
  return {
      .name = "management list",
      .synopsis = "management list [-o table|json] [--sort created|id|description|prefix|expires|revoked]",
      .summary = "list management tokens, revoked ones included",
      .details = "Reads only. Never shows a token string: only its display prefix.",
      .examples = "  rotator management list\n  rotator management list --format json --sort expires",
      .add_options =
          [](cli::po::options_description& options) {
            cli::add_output_format_option(options);
            options.add_options()("sort", cli::po::value<std::string>()->default_value("created")->value_name("FIELD"),
                                  "created, id, description, prefix, expires or revoked");
            add_registry_option(options, TokenKind::management);
          },
      .max_positionals = 0,
      .run = run_list,
  };
}

cli::CommandSpec management_revoke_command() {
  return {
      .name = "management revoke",
      .synopsis = "management revoke [--force] ID [ID...]",
      .summary = "revoke management tokens (permanent)",
      .details =
          "Asks for confirmation on a terminal; without a terminal it needs --force (else exit 2).\n"
          "Goes on with the other IDs when one fails; exit 1 if any ID was not found.\n"
          "Revoking a revoked token again is not an error.",
      .examples = "  rotator management revoke 3f0c...\n  rotator management revoke --force ID1 ID2",
      .add_options = [](cli::po::options_description& options) { add_revoke_options(options, TokenKind::management); },
      .max_positionals = -1,
      .run = [](const cli::Invocation& invocation) { return run_revoke(invocation, TokenKind::management); },
  };
}

cli::CommandSpec management_renew_command() {
  const StepKind& kind = *find_step_kind("management renew");
  return {
      .name = kind.name,
      .synopsis = kind.synopsis,
      .summary = kind.summary,
      .details = kind.details,
      .examples = kind.examples,
      .add_options = kind.add_options,
      .max_positionals = 0,
      .run = run_renew,
  };
}

}  // namespace rotator::commands
