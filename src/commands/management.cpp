#include <algorithm>
#include <iostream>

#include "commands/commands.h"
#include "commands/influxctl_config.h"
#include "commands/session.h"
#include "commands/token_common.h"
#include "crypto/random.h"
#include "formats/influxctl_output.h"
#include "tokens/identity.h"
#include "tokens/renewal.h"
#include "tokens/format_names.h"
#include "util/errors.h"

namespace rotator::commands {
namespace {

using tokens::TokenKind;

constexpr auto influxctl_setting = formats::InfluxctlSetting::mgmt_token;

bool dry_run(const cli::Invocation& invocation) {
  return invocation.globals.dry_run == cli::GlobalOptions::DryRun::on;
}

ExitCode run_create(const cli::Invocation& invocation) {
  const auto format = cli::output_format_from(invocation.options);
  const util::TimePoint now = util::Clock::now();
  const std::string description =
      invocation.options.count("description") ? invocation.options["description"].as<std::string>() : "";
  tokens::validate_description(description);
  const auto expires_at = expires_at_from(invocation.options, now);
  std::optional<std::string> influxctl_config;
  const std::string profile = invocation.options["profile"].as<std::string>();
  if (invocation.options.count("influxctl-config")) {
    influxctl_config = invocation.options["influxctl-config"].as<std::string>();
    // Fail before creating a token when the file cannot take it.
    check_influxctl_profile_value(*influxctl_config, profile, influxctl_setting);
  }

  auto client = connect(invocation.globals);
  const auto where = registry_location(invocation, *client, TokenKind::management);
  if (dry_run(invocation)) {
    tokens::RegistryStore(*client, where).read();  // refuses an unreadable registry, as the real run would
    std::cout << "dry run: would create a management token \"" << description << "\" expiring "
              << time_or(expires_at, "never") << " in Secret " << where.namespace_ << "/" << where.secret_name;
    if (influxctl_config) std::cout << " and set it in profile \"" << profile << "\" of " << *influxctl_config;
    std::cout << std::endl;
    return ExitCode::success;
  }

  tokens::GeneratedToken generated = tokens::generate_token(TokenKind::management);
  tokens::TokenRecord record;
  record.id = crypto::uuid_v4();
  record.description = description;
  record.created_at = tokens::to_seconds(now);
  record.expires_at = expires_at;
  record.created_by = tokens::current_identity(*client);
  record.prefix = generated.prefix;
  record.sha512 = generated.sha512_hex;
  store_new_record(*client, where, record);
  std::vector<std::string> influxctl_notes;
  if (influxctl_config) {
    influxctl_notes = set_influxctl_profile_value(*influxctl_config, profile, influxctl_setting,
                                                  std::string(generated.token.view()));
  }
  print_created(TokenKind::management, record, generated.token.view(), format, now);
  if (influxctl_config) {
    std::cerr << "set mgmt_token of profile \"" << profile << "\" in " << *influxctl_config << std::endl;
    for (const auto& note : influxctl_notes) std::cerr << "influxctl config: " << note << std::endl;
  }
  report_stats(invocation.globals, *client);
  return ExitCode::success;
}

ExitCode run_list(const cli::Invocation& invocation) {
  const auto format = cli::output_format_from(invocation.options);
  const std::string sort = invocation.options["sort"].as<std::string>();
  static const std::vector<std::string> sorts = {"created", "id", "description", "prefix", "expires", "revoked"};
  if (std::find(sorts.begin(), sorts.end(), sort) == sorts.end()) {
    throw UsageError("--sort must be one of created, id, description, prefix, expires, revoked; not \"" + sort + "\"");
  }
  auto client = connect(invocation.globals);
  const auto where = registry_location(invocation, *client, TokenKind::management);
  auto records = tokens::RegistryStore(*client, where).read().registry.records;
  // Absent times sort last: a token that never expires or was never revoked.
  auto time_key = [](const std::optional<util::TimePoint>& t) { return t ? *t : util::TimePoint::max(); };
  std::stable_sort(records.begin(), records.end(), [&](const tokens::TokenRecord& a, const tokens::TokenRecord& b) {
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

std::chrono::milliseconds duration_option(const cli::Invocation& invocation, const char* name) {
  const std::string text = invocation.options[name].as<std::string>();
  const auto parsed = util::parse_duration(text);
  if (!parsed) throw UsageError(std::string("--") + name + " must be a duration such as 24h or 90m (at most 36500d), not \"" + text + "\"");
  return *parsed;
}

ExitCode run_renew(const cli::Invocation& invocation) {
  if (!invocation.options.count("secret")) throw UsageError("--secret NAME is required");
  tokens::RenewalSettings settings;
  settings.ttl = duration_option(invocation, "ttl");
  settings.renew_before = duration_option(invocation, "renew-before");
  settings.grace = duration_option(invocation, "grace");
  tokens::validate(settings);
  auto client = connect(invocation.globals);
  tokens::RenewalTarget target;
  target.namespace_ = client->config().namespace_;
  target.secret_name = invocation.options["secret"].as<std::string>();
  target.key = invocation.options["key"].as<std::string>();
  if (target.secret_name.empty() || target.key.empty()) throw UsageError("--secret and --key must not be empty");
  target.registry = registry_location(invocation, *client, TokenKind::management);
  const auto force = invocation.options["force"].as<bool>() ? tokens::ForceOverwrite::yes : tokens::ForceOverwrite::no;
  const auto report = tokens::run_renewal(*client, target, settings, force,
                                          dry_run(invocation) ? tokens::DryRun::yes : tokens::DryRun::no,
                                          [] { return util::Clock::now(); });
  const std::string secret = target.namespace_ + "/" + target.secret_name;
  if (dry_run(invocation)) {
    if (report.steps.empty()) {
      std::cout << "dry run: Secret " << secret << " needs nothing" << std::endl;
    } else {
      std::cout << "dry run: next step " << tokens::action_name(report.steps.front().action) << ": "
                << report.steps.front().reason << std::endl;
    }
    return ExitCode::success;
  }
  if (report.steps.empty()) {
    std::cout << "Secret " << secret << " key " << target.key << ": up to date";
  } else {
    std::cout << "Secret " << secret << " key " << target.key << ": " << report.steps.size() << " step(s) done";
  }
  if (report.current && report.current->state) {
    std::cout << "; token " << report.current->id << " valid until " << time_or(report.current->expires_at, "never");
  }
  if (report.previous) {
    std::cout << "; replaced token " << report.previous->id << " is revoked after "
              << time_or(report.previous_revoke_after, "the next run");
  }
  std::cout << std::endl;
  report_stats(invocation.globals, *client);
  return ExitCode::success;
}

}  // namespace

cli::CommandSpec management_create_command() {
  return {
      .name = "management create",
      .synopsis = "management create --description TEXT [--expires-at RFC3339] [-o table|json]\n"
                  "                          [--influxctl-config PATH [--profile NAME]]",
      .summary = "create a management token (shown once)",
      .details = "Creates a management token (M.V1.<64 base64 characters>, 384 random bits) and records its\n"
                 "SHA-512 hash, never the token, in the management-tokens Secret. The token is\n"
                 "printed once. With --influxctl-config it is also written as mgmt_token\n"
                 "directly under the [[profile]] in influxctl's config.toml (where influxctl reads it)\n"
                 "(other settings, profiles and comments are kept byte for byte; mode 0600).",
      .examples = "  rotator management create --description \"CI pipeline\" --expires-at 2026-12-31T00:00:00Z\n"
                  "  rotator management create --description ops -o json\n"
                  "  rotator management create --description laptop --influxctl-config ~/.config/influxctl/config.toml --profile prod",
      .add_options =
          [](cli::po::options_description& options) {
            cli::add_output_format_option(options);
            options.add_options()
                ("description", cli::po::value<std::string>()->value_name("TEXT"), "what the token is for (required)")
                ("expires-at", cli::po::value<std::string>()->value_name("RFC3339"), "expiry time (default: never)")
                ("influxctl-config", cli::po::value<std::string>()->value_name("PATH"),
                 "also write the token into this influxctl config.toml")
                ("profile", cli::po::value<std::string>()->default_value("default")->value_name("NAME"),
                 "influxctl profile to write (it must exist: a new profile needs the cluster's host and port)");
            add_registry_option(options, TokenKind::management);
          },
      .max_positionals = 0,
      .run = run_create,
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
      .details = "Asks for confirmation on a terminal; without a terminal it needs --force (else exit 2).\n"
                 "Goes on with the other IDs when one fails; exit 1 if any ID was not found.\n"
                 "Revoking a revoked token again is not an error.",
      .examples = "  rotator management revoke 3f0c...\n  rotator management revoke --force ID1 ID2",
      .add_options = [](cli::po::options_description& options) { add_revoke_options(options, TokenKind::management); },
      .max_positionals = -1,
      .run = [](const cli::Invocation& invocation) { return run_revoke(invocation, TokenKind::management); },
  };
}

cli::CommandSpec management_renew_command() {
  return {
      .name = "management renew",
      .synopsis = "management renew --secret NAME [--key mgmt_token] [--ttl 24h] [--renew-before 8h] [--grace 1h]",
      .summary = "keep a short-lived management token in a Secret for automation",
      .details = "Makes sure Secret NAME holds, under KEY, a valid management token that does not\n"
                 "expire within --renew-before. When it does (or is missing, revoked, unknown), creates\n"
                 "a token valid for --ttl, writes it into the Secret (preconditioned), and revokes the\n"
                 "replaced token once --grace has passed (on a later run, or this one with --grace 0).\n"
                 "Idempotent and crash-safe: the new token is staged in the Secret before it is\n"
                 "registered, so a killed run never leaves a live token nobody holds. Run it from a\n"
                 "CronJob more often than --renew-before.",
      .examples = "  rotator management renew --secret influxdb-automation --ttl 24h --renew-before 8h --grace 1h",
      .add_options =
          [](cli::po::options_description& options) {
            options.add_options()
                ("secret", cli::po::value<std::string>()->value_name("NAME"), "Secret the automation mounts (required)")
                ("key", cli::po::value<std::string>()->default_value("mgmt_token")->value_name("KEY"), "data key of the token")
                ("ttl", cli::po::value<std::string>()->default_value("24h")->value_name("DURATION"), "lifetime of a new token")
                ("renew-before", cli::po::value<std::string>()->default_value("8h")->value_name("DURATION"),
                 "renew when the token expires within this")
                ("grace", cli::po::value<std::string>()->default_value("1h")->value_name("DURATION"),
                 "keep the replaced token valid this long")
                ("force", cli::po::bool_switch(), "replace data under KEY that is not a management token");
            add_registry_option(options, TokenKind::management);
          },
      .max_positionals = 0,
      .run = run_renew,
  };
}

}  // namespace rotator::commands
