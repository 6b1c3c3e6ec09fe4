#include "commands/token_common.h"

#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "commands/session.h"
#include "formats/display_text.h"
#include "formats/influxctl_output.h"
#include "tokens/events.h"
#include "util/errors.h"

namespace rotator::commands {

using tokens::TokenKind;

void add_registry_option(cli::po::options_description& options, TokenKind kind) {
  options.add_options()("registry-secret",
                        cli::po::value<std::string>()
                            ->default_value(std::string(tokens::default_registry_secret(kind)))
                            ->value_name("NAME"),
                        "Secret holding the token registry");
}

tokens::RegistryLocation registry_location(const cli::Invocation& invocation, const kube::Client& client,
                                           TokenKind kind) {
  const std::string name = invocation.options["registry-secret"].as<std::string>();
  if (name.empty()) throw UsageError("--registry-secret must not be empty");
  return {client.config().namespace_, name, kind};
}

std::optional<util::TimePoint> expires_at_from(const cli::po::variables_map& options, util::TimePoint now) {
  if (!options.count("expires-at")) return std::nullopt;
  const std::string text = options["expires-at"].as<std::string>();
  const auto parsed = util::parse_rfc3339(text);
  if (!parsed) throw UsageError("--expires-at must be an RFC 3339 time such as 2026-05-07T00:00:00Z (years up to " +
                                    std::to_string(util::latest_year) + "), not \"" + text + "\"");
  if (*parsed <= now) throw UsageError("--expires-at " + text + " is in the past");
  return tokens::to_seconds(*parsed);
}

std::string time_or(const std::optional<util::TimePoint>& t, const std::string& absent) {
  return t ? util::format_rfc3339(*t) : absent;
}

void print_created(TokenKind kind, const tokens::TokenRecord& record, std::string_view token,
                   cli::OutputFormat format, util::TimePoint now) {
  if (format == cli::OutputFormat::json) {
    std::cout << formats::created_token_json_text(kind, record, token, now).view() << std::flush;
    std::cerr << "warning: this is the only time the token is shown; rotator keeps only its hash. "
                 "Store it safely now."
              << std::endl;
  } else {
    std::cout << formats::created_token_text(record, token).view() << std::flush;
  }
}

void store_new_record(kube::Client& client, const tokens::RegistryLocation& where, const tokens::TokenRecord& record) {
  tokens::RegistryStore store(client, where);
  const auto result = store.update([&](tokens::Registry& registry) {
    if (tokens::find_by_id(registry, record.id) != nullptr) throw Error("token id " + record.id + " already exists");
    registry.records.push_back(record);
    return tokens::Change::changed;
  });
  tokens::emit_token_event(client, result.secret.metadata, "TokenCreated",
                           std::string(tokens::kind_name(where.kind)) + " token " + record.id + " (\"" +
                               formats::display_text(record.description) + "\") created by " +
                               (record.created_by.empty() ? "unknown" : record.created_by));
}

void add_revoke_options(cli::po::options_description& options, TokenKind kind) {
  options.add_options()("force", cli::po::bool_switch(), "do not ask for confirmation");
  add_registry_option(options, kind);
}

namespace {

bool confirm(const std::vector<std::string>& ids, const tokens::Registry& registry, TokenKind kind) {
  std::cerr << "About to revoke " << ids.size() << " " << tokens::kind_name(kind)
            << " token(s). Revoking is immediate and cannot be undone:\n";
  for (const auto& id : ids) {
    const auto* record = tokens::find_by_id(registry, id);
    std::cerr << "  " << id << (record ? "  \"" + formats::display_text(record->description) + "\"" : "  (not found)") << "\n";
  }
  std::cerr << "Revoke? [y/N] " << std::flush;
  std::string answer;
  if (!std::getline(std::cin, answer)) return false;
  return answer == "y" || answer == "Y" || answer == "yes" || answer == "YES" || answer == "Yes";
}

}  // namespace

ExitCode run_revoke(const cli::Invocation& invocation, TokenKind kind) {
  const std::vector<std::string>& ids = invocation.positionals;
  if (ids.empty()) throw UsageError("give at least one token ID to revoke");
  const bool force = invocation.options["force"].as<bool>();
  const bool dry_run = invocation.globals.dry_run == cli::GlobalOptions::DryRun::on;
  if (!force && !dry_run && !::isatty(STDIN_FILENO)) {
    throw UsageError("refusing to revoke without confirmation: standard input is not a terminal (pass --force)");
  }
  auto client = connect(invocation.globals);
  const auto where = registry_location(invocation, *client, kind);
  tokens::RegistryStore store(*client, where);
  const std::string kind_text(tokens::kind_name(kind));

  if (!force && !dry_run) {
    if (!confirm(ids, store.read().registry, kind)) {
      std::cerr << "Nothing revoked." << std::endl;
      return ExitCode::usage;
    }
  }
  std::vector<tokens::RevokeResult> results;
  const util::TimePoint now = util::Clock::now();
  if (dry_run) {
    tokens::Registry registry = store.read().registry;
    results = tokens::revoke_ids(registry, ids, now);
  } else {
    const auto written = store.update([&](tokens::Registry& registry) {
      results = tokens::revoke_ids(registry, ids, now);
      return tokens::any_revoked(results) ? tokens::Change::changed : tokens::Change::none;
    });
    for (const auto& r : results) {
      if (r.outcome != tokens::RevokeOutcome::revoked) continue;
      tokens::emit_token_event(*client, written.secret.metadata, "TokenRevoked",
                               kind_text + " token " + r.id + " (\"" + formats::display_text(r.description) + "\") revoked");
    }
  }
  int failed = 0;
  for (const auto& r : results) {
    switch (r.outcome) {
      case tokens::RevokeOutcome::revoked:
        std::cout << (dry_run ? "would revoke " : "revoked ") << r.id << std::endl;
        break;
      case tokens::RevokeOutcome::already_revoked:
        std::cout << r.id << " was already revoked at " << time_or(r.revoked_at, "?") << std::endl;
        break;
      case tokens::RevokeOutcome::not_found:
        ++failed;
        std::cerr << "rotator: error: no " << kind_text << " token with id " << r.id << std::endl;
        break;
    }
  }
  report_stats(invocation.globals, *client);
  if (failed > 0) {
    std::cerr << "rotator: error: " << failed << " of " << ids.size() << " " << kind_text
              << " token(s) could not be revoked" << std::endl;
    return ExitCode::failure;
  }
  return ExitCode::success;
}

}  // namespace rotator::commands
