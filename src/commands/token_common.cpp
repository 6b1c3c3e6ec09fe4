#include "commands/token_common.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <iostream>

#include "commands/session.h"
#include "crypto/random.h"
#include "formats/key_ring.h"
#include "frame/plan.h"
#include "kube/resources.h"
#include "steps/token_commands.h"
#include "tokens/token_string.h"
#include "util/errors.h"

namespace rotator::commands {

using tokens::TokenKind;

namespace {

/// Token commands hold the lock for one write: wait for another holder this long
/// by default rather than failing at once.
constexpr std::chrono::seconds token_lock_wait{30};

void print_created_token(const tokens::TokenRecord& record, std::string_view token, cli::OutputFormat format,
                   util::TimePoint now) {
  if (format == cli::OutputFormat::json) {
    nlohmann::json out = record_json(record, now);
    out["token"] = std::string(token);
    std::cout << out.dump(2) << std::endl;
  } else {
    std::cout << "ID:           " << record.id << "\n"
              << "Description:  " << record.description << "\n";
    if (!record.permissions.empty()) std::cout << "Permissions:  " << permissions_text(record.permissions) << "\n";
    std::cout << "Prefix:       " << record.prefix << "\n"
              << "Created at:   " << util::format_rfc3339(record.created_at) << "\n"
              << "Expires at:   " << time_or(record.expires_at, "never") << "\n"
              << "Token:        " << token << std::endl;
  }
  std::cerr << "warning: this is the only time the token is shown; rotator keeps only its hash. "
               "Store it safely now."
            << std::endl;
}


bool confirm(const std::vector<std::string>& ids, const tokens::Registry& registry, TokenKind kind) {
  std::cerr << "About to revoke " << ids.size() << " " << tokens::kind_name(kind)
            << " token(s). Revoking is immediate and cannot be undone:\n";
  for (const auto& id : ids) {
    const auto* record = tokens::find_by_id(registry, id);
    std::cerr << "  " << id << (record ? "  \"" + record->description + "\"" : "  (not found)") << "\n";
  }
  std::cerr << "Revoke? [y/N] " << std::flush;
  std::string answer;
  if (!std::getline(std::cin, answer)) return false;
  return answer == "y" || answer == "Y" || answer == "yes" || answer == "YES" || answer == "Yes";
}


}  // namespace

void add_registry_option(cli::po::options_description& options, TokenKind kind) {
  options.add_options()("registry-secret",
                        cli::po::value<std::string>()
                            ->default_value(std::string(tokens::default_registry_secret(kind)))
                            ->value_name("NAME"),
                        "Secret holding the token registry");
}

std::string registry_secret_name(const cli::Invocation& invocation) {
  const std::string name = invocation.options["registry-secret"].as<std::string>();
  if (name.empty()) throw UsageError("--registry-secret must not be empty");
  return name;
}

tokens::Registry read_registry(kube::Client& client, const std::string& ns, const std::string& secret_name,
                               TokenKind kind) {
  return registry_of(kube::SecretApi(client).get(ns, secret_name), kind);
}

tokens::Registry registry_of(const std::optional<kube::Secret>& secret, TokenKind kind) {
  tokens::Registry registry;
  registry.kind = kind;
  if (!secret || formats::is_placeholder(*secret)) return registry;
  const std::string where = formats::describe_secret(*secret);
  const auto data = secret->data.find(std::string(tokens::registry_data_key));
  if (data == secret->data.end()) {
    throw InvalidDataError(where + " exists but has no \"" + std::string(tokens::registry_data_key) + "\" key");
  }
  try {
    return tokens::parse_registry(data->second, kind);
  } catch (const InvalidDataError& e) {
    throw InvalidDataError(where + ": " + e.what());
  }
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

std::string permissions_text(const std::vector<tokens::Permission>& permissions) {
  std::string out;
  for (const auto& p : permissions) out += (out.empty() ? "" : ",") + p.action + ":" + p.database;
  return out;
}

nlohmann::json record_json(const tokens::TokenRecord& r, util::TimePoint now) {
  auto time_json = [](const std::optional<util::TimePoint>& t) {
    return t ? nlohmann::json(util::format_rfc3339(*t)) : nlohmann::json(nullptr);
  };
  nlohmann::json out = {{"id", r.id},
                        {"description", r.description},
                        {"prefix", r.prefix},
                        {"created_at", util::format_rfc3339(r.created_at)},
                        {"expires_at", time_json(r.expires_at)},
                        {"revoked_at", time_json(r.revoked_at)},
                        {"created_by", r.created_by},
                        {"status", std::string(tokens::state_name(tokens::state_at(r, now)))}};
  if (!r.permissions.empty()) {
    nlohmann::json permissions = nlohmann::json::array();
    for (const auto& p : r.permissions) permissions.push_back({{"action", p.action}, {"database", p.database}});
    out["permissions"] = permissions;
  }
  if (!r.renewal_secret.empty()) out["renewal_secret"] = r.renewal_secret;
  return out;
}

void print_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> widths(header.size());
  for (std::size_t c = 0; c < header.size(); ++c) widths[c] = header[c].size();
  for (const auto& row : rows) {
    for (std::size_t c = 0; c < row.size() && c < widths.size(); ++c) widths[c] = std::max(widths[c], row[c].size());
  }
  auto print_row = [&](const std::vector<std::string>& row) {
    std::string line;
    for (std::size_t c = 0; c < row.size(); ++c) {
      line += row[c];
      if (c + 1 < row.size()) line += std::string(widths[c] - row[c].size() + 3, ' ');
    }
    std::cout << line << "\n";
  };
  print_row(header);
  for (const auto& row : rows) print_row(row);
  std::cout.flush();
}

ExitCode run_create(const cli::Invocation& invocation, TokenKind kind, const std::string& description,
                    const std::vector<tokens::Permission>& permissions,
                    const std::function<void(const std::string& token)>& after_created) {
  const auto format = cli::output_format_from(invocation.options);
  const util::TimePoint now = util::Clock::now();
  tokens::validate_description(description);
  const auto expires_at = expires_at_from(invocation.options, now);
  const std::string registry = registry_secret_name(invocation);

  tokens::GeneratedToken generated = tokens::generate_token(kind);
  tokens::TokenRecord record;
  record.id = crypto::uuid_v4();
  record.description = description;
  record.permissions = permissions;
  record.created_at = tokens::to_seconds(now);
  record.expires_at = expires_at;
  record.prefix = generated.prefix;
  record.sha512 = generated.sha512_hex;
  const std::string command = std::string(kind == TokenKind::management ? "management" : "token") + " create";
  auto step = std::make_shared<steps::TokenCreateStep>(command, steps::RegistryRef{registry, kind, steps::Force::no},
                                                       record);
  frame::Plan plan;
  plan.command = command;
  plan.steps.push_back(step);

  auto client = connect(invocation.globals);
  const frame::Snapshot seen = execute_plan_here(invocation, plan, *client, token_lock_wait).seen;
  if (invocation.globals.dry_run == cli::GlobalOptions::DryRun::on) return ExitCode::success;
  if (const auto* secret = seen.find_secret(registry); secret && *secret) {
    const auto stored = registry_of(*secret, kind);
    if (const auto* found = tokens::find_by_id(stored, record.id)) record = *found;
  }
  if (after_created) after_created(std::string(generated.token.view()));
  print_created_token(record, generated.token.view(), format, now);
  report_stats(invocation.globals, *client);
  return ExitCode::success;
}

void add_revoke_options(cli::po::options_description& options, TokenKind kind) {
  options.add_options()("force", cli::po::bool_switch(), "do not ask for confirmation");
  add_registry_option(options, kind);
}

ExitCode run_revoke(const cli::Invocation& invocation, TokenKind kind) {
  const std::vector<std::string>& ids = invocation.positionals;
  if (ids.empty()) throw UsageError("give at least one token ID to revoke");
  const bool force = invocation.options["force"].as<bool>();
  const bool dry_run = invocation.globals.dry_run == cli::GlobalOptions::DryRun::on;
  if (!force && !dry_run && !::isatty(STDIN_FILENO)) {
    throw UsageError("refusing to revoke without confirmation: standard input is not a terminal (pass --force)");
  }
  const std::string registry = registry_secret_name(invocation);
  const std::string kind_text(tokens::kind_name(kind));
  auto client = connect(invocation.globals);
  const std::string ns = client->config().namespace_;
  if (!force && !dry_run) {
    if (!confirm(ids, read_registry(*client, ns, registry, kind), kind)) {
      std::cerr << "Nothing revoked." << std::endl;
      return ExitCode::usage;
    }
  }
  const util::TimePoint now = util::Clock::now();
  const std::string command = std::string(kind == TokenKind::management ? "management" : "token") + " revoke";
  auto step = std::make_shared<steps::TokenRevokeStep>(command, steps::RegistryRef{registry, kind, steps::Force::no},
                                                       ids, now);
  frame::Plan plan;
  plan.command = command;
  plan.steps.push_back(step);
  const PlanResult result = execute_plan_here(invocation, plan, *client, token_lock_wait);
  tokens::Registry after;
  after.kind = kind;
  if (const auto* secret = result.seen.find_secret(registry); secret && *secret) after = registry_of(*secret, kind);

  int failed = 0;
  for (const auto& id : ids) {
    const tokens::TokenRecord* record = tokens::find_by_id(after, id);
    if (record == nullptr) {
      ++failed;
      std::cerr << "rotator: error: no " << kind_text << " token with id " << id << std::endl;
    } else if (result.changes > 0 && record->revoked_at == step->revoked_at()) {
      // This run's write revoked it (all its revocations carry the same time).
      std::cout << (dry_run ? "would revoke " : "revoked ") << id << std::endl;
    } else {
      std::cout << id << " was already revoked at " << time_or(record->revoked_at, "?") << std::endl;
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
