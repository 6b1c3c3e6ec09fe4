#include <algorithm>
#include <iostream>

#include "commands/commands.h"
#include "commands/session.h"
#include "commands/token_common.h"
#include "crypto/random.h"
#include "formats/influxctl_output.h"
#include "formats/token_string.h"
#include "frame/plan.h"
#include "metrics/pushgateway_url.h"
#include "steps/token_commands.h"
#include "util/errors.h"

namespace rotator::commands {
namespace {

using formats::TokenKind;

std::vector<std::string> databases(const cli::Invocation& invocation, const char* option) {
  if (!invocation.options.count(option)) return {};
  auto names = invocation.options[option].as<std::vector<std::string>>();
  for (const auto& name : names) {
    if (name.empty()) throw UsageError(std::string("--") + option + " needs a database name (or '*' for all)");
  }
  return names;
}

bool permissions_given(const cli::Invocation& invocation) {
  return invocation.options.count("read-database") > 0 || invocation.options.count("write-database") > 0;
}

std::vector<formats::Permission> permissions_from(const cli::Invocation& invocation) {
  std::vector<formats::Permission> permissions;
  for (const auto& db : databases(invocation, "read-database")) permissions.push_back({"read", db});
  for (const auto& db : databases(invocation, "write-database")) permissions.push_back({"write", db});
  if (permissions.empty()) {
    throw UsageError("a database token needs at least one --read-database or --write-database ('*' means all)");
  }
  std::sort(permissions.begin(), permissions.end(), [](const auto& a, const auto& b) {
    return std::tie(a.action, a.resource) < std::tie(b.action, b.resource);
  });
  permissions.erase(std::unique(permissions.begin(), permissions.end()), permissions.end());
  return permissions;
}

ExitCode create_database_token(const cli::Invocation& invocation) {
  const std::string description = invocation.positionals.empty() ? "" : invocation.positionals.front();
  formats::validate_description(description);
  return run_create(invocation, TokenKind::database, description, permissions_from(invocation));
}

/// Prints one record as `token get` does.
void print_record(const formats::TokenRecord& record, cli::OutputFormat format) {
  if (format == cli::OutputFormat::json) {
    std::cout << formats::database_token_json(record, util::Clock::now()).dump(2) << std::endl;
  } else {
    std::cout << formats::database_list_table({record}) << std::flush;
  }
}

ExitCode run_list(const cli::Invocation& invocation) {
  const auto format = cli::output_format_from(invocation.options);
  const std::string sort = invocation.options.count("sort") ? invocation.options["sort"].as<std::string>() : "";
  if (!sort.empty() && sort != "id" && sort != "description") {
    throw UsageError("--sort must be id or description, not \"" + sort + "\"");
  }
  const bool include_revoked = invocation.options["include-revoked"].as<bool>();
  auto client = connect(invocation.globals);
  auto records =
      read_registry(*client, client->config().namespace_, registry_secret_name(invocation), TokenKind::database)
          .records;
  std::erase_if(records, [&](const formats::TokenRecord& r) { return r.revoked_at && !include_revoked; });
  std::stable_sort(records.begin(), records.end(), [&](const formats::TokenRecord& a, const formats::TokenRecord& b) {
    if (sort == "id") return a.id < b.id;
    if (sort == "description") return a.description < b.description;
    return false;  // registry order: creation order
  });
  const util::TimePoint now = util::Clock::now();
  if (format == cli::OutputFormat::json) {
    std::cout << formats::token_list_json(TokenKind::database, records, now).dump(2) << std::endl;
  } else {
    std::cout << formats::database_list_table(records) << std::flush;
  }
  report_stats(invocation.globals, *client);
  return ExitCode::success;
}

ExitCode run_get(const cli::Invocation& invocation) {
  const auto format = cli::output_format_from(invocation.options);
  if (invocation.positionals.size() != 1) throw UsageError("give one token ID");
  const std::string& id = invocation.positionals.front();
  auto client = connect(invocation.globals);
  const auto registry =
      read_registry(*client, client->config().namespace_, registry_secret_name(invocation), TokenKind::database);
  const formats::TokenRecord* record = formats::find_by_id(registry, resolve_token_id(registry, id));
  if (record->revoked_at && !invocation.options["include-revoked"].as<bool>()) {
    throw Error("database token " + record->id + " was revoked at " + util::format_rfc3339(*record->revoked_at) +
                " (--include-revoked shows it)");
  }
  print_record(*record, format);
  report_stats(invocation.globals, *client);
  return ExitCode::success;
}

ExitCode run_update(const cli::Invocation& invocation) {
  const auto format = cli::output_format_from(invocation.options);
  if (invocation.positionals.size() != 1) throw UsageError("give one token ID");
  steps::TokenUpdate update;
  if (invocation.options.count("description")) {
    update.description = invocation.options["description"].as<std::string>();
    formats::validate_description(*update.description);
  }
  if (permissions_given(invocation)) update.permissions = permissions_from(invocation);
  if (!update.description && !update.permissions) {
    throw UsageError("nothing to update: give --description and/or --read-database/--write-database");
  }
  const std::string registry = registry_secret_name(invocation);
  auto client = connect(invocation.globals);
  const std::string id = resolve_token_id(
      read_registry(*client, client->config().namespace_, registry, TokenKind::database), invocation.positionals[0]);
  const std::string command = "token update";
  frame::Plan plan;
  plan.command = command;
  plan.job = metrics::job_name_for_command(command);
  plan.steps.push_back(std::make_shared<steps::TokenUpdateStep>(
      command, steps::RegistryRef{registry, TokenKind::database, steps::Force::no}, id, update));
  const PlanResult result = execute_plan_here(invocation, plan, *client);
  if (invocation.globals.dry_run == cli::GlobalOptions::DryRun::on) return ExitCode::success;
  const auto* secret = result.seen.find_secret(registry);
  const auto after = registry_of(secret ? *secret : std::nullopt, TokenKind::database);
  if (const auto* record = formats::find_by_id(after, id)) print_record(*record, format);
  report_stats(invocation.globals, *client);
  return ExitCode::success;
}

void add_permission_options(cli::po::options_description& options) {
  options.add_options()("read-database", cli::po::value<std::vector<std::string>>()->composing()->value_name("DB"),
                        "grant read on DB ('*': all); repeatable")(
      "write-database", cli::po::value<std::vector<std::string>>()->composing()->value_name("DB"),
      "grant write on DB ('*': all); repeatable");
}

void add_include_revoked(cli::po::options_description& options) {
  options.add_options()("include-revoked", cli::po::bool_switch(), "include revoked tokens");
}

}  // namespace

cli::CommandSpec token_create_command() {
  return {
      .name = "token create",
      .synopsis =
          "token create \"DESCRIPTION\" [--read-database DB]... [--write-database DB]... "
          "[--expires-at RFC3339] [-o table|json]",
      .summary = "create a database token (shown once)",
      .details =
          "Creates a database token (apiv1_<64 base64url characters>, 384 random bits) with read and/or write\n"
          "permission on databases ('*': all databases) and records its SHA-512 hash, never\n"
          "the token, in the database-tokens Secret. The token is printed once.",
      .examples =
          "  rotator token create \"grafana\" --read-database telemetry\n"
          "  rotator token create \"ingest\" --write-database '*' --expires-at 2026-12-31T00:00:00Z -o json",
      .add_options =
          [](cli::po::options_description& options) {
            cli::add_output_format_option(options);
            add_permission_options(options);
            options.add_options()("expires-at", cli::po::value<std::string>()->value_name("RFC3339"),
                                  "expiry time (default: never)");
            add_registry_option(options, TokenKind::database);
          },
      .max_positionals = 1,
      .run = create_database_token,
  };
}

cli::CommandSpec token_list_command() {
  return {
      .name = "token list",
      .synopsis = "token list [--include-revoked] [-o table|json] [--sort id|description]",
      .summary = "list database tokens",
      .details = "Reads only. Revoked tokens only with --include-revoked. Never shows a token string.",
      .examples = "  rotator token list\n  rotator token list --include-revoked --format json",
      .add_options =
          [](cli::po::options_description& options) {
            cli::add_output_format_option(options);
            add_include_revoked(options);
            options.add_options()("sort", cli::po::value<std::string>()->value_name("id|description"),
                                  "sort order (default: creation order)");
            add_registry_option(options, TokenKind::database);
          },
      .max_positionals = 0,
      .run = run_list,
  };
}

cli::CommandSpec token_get_command() {
  return {
      .name = "token get",
      .synopsis = "token get [--include-revoked] [-o table|json] ID",
      .summary = "show one database token",
      .details = "Reads only. A revoked token is an error unless --include-revoked.",
      .examples = "  rotator token get 3f0c... -o json",
      .add_options =
          [](cli::po::options_description& options) {
            cli::add_output_format_option(options);
            add_include_revoked(options);
            add_registry_option(options, TokenKind::database);
          },
      .max_positionals = 1,
      .run = run_get,
  };
}

cli::CommandSpec token_update_command() {
  return {
      .name = "token update",
      .synopsis =
          "token update [--description TEXT] [--read-database DB]... [--write-database DB]... "
          "[-o table|json] ID",
      .summary = "change a database token's description or permissions",
      .details =
          "Changes the description and/or replaces the permissions (all of them, when any\n"
          "--read-database or --write-database is given) of a live token, in one registry\n"
          "write with an Event. The token itself stays valid and unchanged. ID may be an\n"
          "unambiguous start of the id (at least 4 characters). A revoked token cannot be\n"
          "updated.",
      .examples =
          "  rotator token update 3f0c --description \"grafana (read-only)\"\n"
          "  rotator token update 3f0c --read-database telemetry --read-database logs",
      .add_options =
          [](cli::po::options_description& options) {
            cli::add_output_format_option(options);
            options.add_options()("description", cli::po::value<std::string>()->value_name("TEXT"),
                                  "the new description");
            add_permission_options(options);
            add_registry_option(options, TokenKind::database);
          },
      .max_positionals = 1,
      .run = run_update,
  };
}

cli::CommandSpec token_revoke_command(const std::string& name) {
  const bool alias = name != "token revoke";
  return {
      .name = name,
      .synopsis = name + " [--force] ID [ID...]",
      .summary = alias ? "revoke database tokens (alias of token revoke, influxctl's name before 2.10)"
                       : "revoke database tokens (immediate, cannot be undone)",
      .details =
          "Each ID may be an unambiguous start of a token's id (at least 4 characters). Unknown\n"
          "or ambiguous IDs are reported first and never asked about. Asks for confirmation on\n"
          "a terminal (answering no revokes nothing, exit 0); without a terminal it needs --force\n"
          "(else exit 2). Exit 1 if any ID was not found.",
      .examples = "  rotator " + name + " --force 3f0c9a2e",
      .add_options = [](cli::po::options_description& options) { add_revoke_options(options, TokenKind::database); },
      .max_positionals = -1,
      .run = [](const cli::Invocation& invocation) { return run_revoke(invocation, TokenKind::database); },
  };
}

}  // namespace rotator::commands
