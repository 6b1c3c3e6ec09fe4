#include "commands/token_common.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <iostream>

#include "commands/session.h"
#include "crypto/random.h"
#include "formats/influxctl_output.h"
#include "formats/key_ring.h"
#include "formats/token_string.h"
#include "frame/plan.h"
#include "kube/resources.h"
#include "metrics/pushgateway_url.h"
#include "steps/token_commands.h"
#include "util/errors.h"
#include "util/terminal_text.h"

namespace rotator::commands {

using formats::TokenKind;

namespace {

/// Prints a newly created token as influxctl 2.11 does (formats/influxctl_output.h):
/// table: the record's table, the two warn lines and the token, all on stdout;
/// json: one object, the record and "token", and the warning on stderr.
void print_created(TokenKind kind, const formats::TokenRecord& record, std::string_view token, cli::OutputFormat format,
                   util::TimePoint now) {
  if (format == cli::OutputFormat::json) {
    std::cout << formats::created_token_json_text(kind, record, token, now).view() << std::flush;
    std::cerr << "warning: this is the only time the token is shown; rotator keeps only its hash. "
                 "Store it safely now."
              << std::endl;
  } else {
    std::cout << formats::created_token_text(record, token).view() << std::flush;
  }
}

/// Token commands hold the lock for one write: wait for another holder this long
/// by default rather than failing at once.
constexpr std::chrono::seconds token_lock_wait{30};

bool confirm(const std::vector<std::string>& ids, const formats::Registry& registry, TokenKind kind) {
  std::cerr << "About to revoke " << ids.size() << " " << formats::kind_name(kind)
            << " token(s). Revoking is immediate and cannot be undone:\n";
  for (const auto& id : ids) {
    const auto* record = formats::find_by_id(registry, id);
    std::cerr << "  " << id << "  \"" << (record ? util::escape_for_terminal(record->description) : "") << "\"\n";
  }
  std::cerr << "Revoke? [y/N] " << std::flush;
  std::string answer;
  if (!std::getline(std::cin, answer)) return false;
  return answer == "y" || answer == "Y" || answer == "yes" || answer == "YES" || answer == "Yes";
}

std::string list_command(TokenKind kind) {
  return kind == TokenKind::management ? "management list" : "token list --include-revoked";
}

}  // namespace

std::string resolve_token_id(const formats::Registry& registry, const std::string& given) {
  const std::string kind(formats::kind_name(registry.kind));
  const std::string shown = util::escape_for_terminal(given);
  const auto match = formats::resolve_id(registry, given);
  switch (match.outcome) {
    case formats::IdMatch::Outcome::found: return match.id;
    case formats::IdMatch::Outcome::ambiguous:
      throw Error("\"" + shown + "\" is the start of " + std::to_string(match.candidates) + " " + kind +
                  " token ids: give more of the id (list them with rotator " + list_command(registry.kind) + ")");
    case formats::IdMatch::Outcome::too_short:
      throw Error("no " + kind + " token with id \"" + shown + "\" (a short id needs at least " +
                  std::to_string(formats::min_id_prefix) + " characters)");
    case formats::IdMatch::Outcome::unknown: break;
  }
  throw Error("no " + kind + " token with id \"" + shown + "\" (list them with rotator " + list_command(registry.kind) +
              ")");
}

void add_registry_option(cli::po::options_description& options, TokenKind kind) {
  options.add_options()("registry-secret",
                        cli::po::value<std::string>()
                            ->default_value(std::string(formats::default_registry_secret(kind)))
                            ->value_name("NAME"),
                        "Secret holding the token registry");
}

std::string registry_secret_name(const cli::Invocation& invocation) {
  const std::string name = invocation.options["registry-secret"].as<std::string>();
  if (name.empty()) throw UsageError("--registry-secret must not be empty");
  return name;
}

formats::Registry read_registry(kube::Client& client, const std::string& ns, const std::string& secret_name,
                                TokenKind kind) {
  return registry_of(kube::SecretApi(client).get(ns, secret_name), kind);
}

formats::Registry registry_of(const std::optional<kube::Secret>& secret, TokenKind kind) {
  formats::Registry registry;
  registry.kind = kind;
  if (!secret || formats::is_placeholder(*secret)) return registry;
  const std::string where = formats::describe_secret(*secret);
  const auto data = secret->data.find(std::string(formats::registry_data_key));
  if (data == secret->data.end()) {
    throw InvalidDataError(where + " exists but has no \"" + std::string(formats::registry_data_key) + "\" key");
  }
  try {
    return formats::parse_registry(data->second, kind);
  } catch (const InvalidDataError& e) {
    throw InvalidDataError(where + ": " + e.what());
  }
}

std::optional<util::TimePoint> expires_at_from(const cli::po::variables_map& options, util::TimePoint now) {
  if (!options.count("expires-at")) return std::nullopt;
  const std::string text = options["expires-at"].as<std::string>();
  const auto parsed = util::parse_rfc3339(text);
  if (!parsed)
    throw UsageError("--expires-at must be an RFC 3339 time such as 2026-05-07T00:00:00Z (years up to " +
                     std::to_string(util::latest_year) + "), not \"" + text + "\"");
  if (*parsed <= now) throw UsageError("--expires-at " + text + " is in the past");
  return formats::to_seconds(*parsed);
}

std::string time_or(const std::optional<util::TimePoint>& t, const std::string& absent) {
  return t ? util::format_rfc3339(*t) : absent;
}

ExitCode run_create(const cli::Invocation& invocation, TokenKind kind, const std::string& description,
                    const std::vector<formats::Permission>& permissions,
                    const std::function<void(const std::string& token)>& after_created) {
  const auto format = cli::output_format_from(invocation.options);
  const util::TimePoint now = util::Clock::now();
  formats::validate_description(description);
  const auto expires_at = expires_at_from(invocation.options, now);
  const std::string registry = registry_secret_name(invocation);

  formats::GeneratedToken generated = formats::generate_token(kind);
  formats::TokenRecord record;
  record.id = crypto::uuid_v4();
  record.description = description;
  record.permissions = permissions;
  record.created_at = formats::to_seconds(now);
  record.expires_at = expires_at;
  record.prefix = generated.prefix;
  record.sha512 = generated.sha512_hex;
  const std::string command = std::string(kind == TokenKind::management ? "management" : "token") + " create";
  auto step =
      std::make_shared<steps::TokenCreateStep>(command, steps::RegistryRef{registry, kind, steps::Force::no}, record);
  frame::Plan plan;
  plan.command = command;
  plan.job = metrics::job_name_for_command(command);
  plan.steps.push_back(step);

  auto client = connect(invocation.globals);
  const frame::Snapshot seen = execute_plan_here(invocation, plan, *client, token_lock_wait).seen;
  if (invocation.globals.dry_run == cli::GlobalOptions::DryRun::on) return ExitCode::success;
  if (const auto* secret = seen.find_secret(registry); secret && *secret) {
    const auto stored = registry_of(*secret, kind);
    if (const auto* found = formats::find_by_id(stored, record.id)) record = *found;
  }
  if (after_created) after_created(std::string(generated.token.view()));
  print_created(kind, record, generated.token.view(), format, now);
  report_stats(invocation.globals, *client);
  return ExitCode::success;
}

void add_revoke_options(cli::po::options_description& options, TokenKind kind) {
  options.add_options()("force", cli::po::bool_switch(), "do not ask for confirmation");
  add_registry_option(options, kind);
}

ExitCode run_revoke(const cli::Invocation& invocation, TokenKind kind) {
  const std::vector<std::string>& given = invocation.positionals;
  if (given.empty()) throw UsageError("give at least one token ID to revoke");
  const bool force = invocation.options["force"].as<bool>();
  const bool dry_run = invocation.globals.dry_run == cli::GlobalOptions::DryRun::on;
  if (!force && !dry_run && !::isatty(STDIN_FILENO)) {
    throw UsageError("refusing to revoke without confirmation: standard input is not a terminal (pass --force)");
  }
  const std::string registry = registry_secret_name(invocation);
  const std::string kind_text(formats::kind_name(kind));
  auto client = connect(invocation.globals);
  const std::string ns = client->config().namespace_;

  // Ids are resolved before anything is asked or written: an unknown one is
  // reported, not offered for confirmation.
  const formats::Registry before = read_registry(*client, ns, registry, kind);
  std::vector<std::string> ids;
  std::size_t unresolved = 0;
  for (const auto& text : given) {
    try {
      const std::string id = resolve_token_id(before, text);
      if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
    } catch (const Error& e) {
      ++unresolved;
      std::cerr << "rotator: error: " << e.what() << std::endl;
    }
  }
  const auto summary = [&] {
    std::cerr << "rotator: error: " << unresolved << " of " << given.size() << " " << kind_text
              << " token ID(s) could not be revoked" << std::endl;
    return ExitCode::failure;
  };
  if (ids.empty()) return summary();
  if (!force && !dry_run && !confirm(ids, before, kind)) {
    std::cerr << "Nothing revoked." << std::endl;
    return unresolved > 0 ? summary() : ExitCode::success;
  }

  const util::TimePoint now = util::Clock::now();
  const std::string command = std::string(kind == TokenKind::management ? "management" : "token") + " revoke";
  auto step =
      std::make_shared<steps::TokenRevokeStep>(command, steps::RegistryRef{registry, kind, steps::Force::no}, ids, now);
  frame::Plan plan;
  plan.command = command;
  plan.job = metrics::job_name_for_command(command);
  plan.steps.push_back(step);
  const PlanResult result = execute_plan_here(invocation, plan, *client, token_lock_wait);
  formats::Registry after;
  after.kind = kind;
  if (const auto* secret = result.seen.find_secret(registry); secret && *secret) after = registry_of(*secret, kind);

  for (const auto& id : ids) {
    const formats::TokenRecord* record = formats::find_by_id(after, id);
    if (record == nullptr) {
      // Records are never removed; only a registry replaced meanwhile loses one.
      ++unresolved;
      std::cerr << "rotator: error: " << kind_text << " token " << id << " is no longer in Secret " << ns << "/"
                << registry << std::endl;
    } else if (result.changes > 0 && record->revoked_at == step->revoked_at()) {
      // This run's write revoked it (all its revocations carry the same time).
      std::cout << (dry_run ? "would revoke " : "revoked ") << id << std::endl;
    } else {
      std::cout << id << " was already revoked at " << time_or(record->revoked_at, "?") << std::endl;
    }
  }
  report_stats(invocation.globals, *client);
  return unresolved > 0 ? summary() : ExitCode::success;
}

}  // namespace rotator::commands
