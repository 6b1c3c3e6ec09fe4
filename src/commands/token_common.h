#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/command_table.h"
#include "kube/client.h"
#include "tokens/format_names.h"
#include "tokens/registry_store.h"

namespace rotator::commands {

// What `management` and `token` commands share: flags, the registry location,
// output of records, and revocation with its confirmation prompt.

/// --registry-secret NAME (default: the kind's fixed name).
void add_registry_option(cli::po::options_description& options, tokens::TokenKind kind);

/// The registry this invocation acts on, in the client's namespace.
tokens::RegistryLocation registry_location(const cli::Invocation& invocation, const kube::Client& client,
                                           tokens::TokenKind kind);

/// Parses --expires-at: RFC 3339, in the future. nullopt when not given. Throws UsageError.
std::optional<util::TimePoint> expires_at_from(const cli::po::variables_map& options, util::TimePoint now);

/// "2026-01-01T00:00:00Z", or `absent` for nullopt.
std::string time_or(const std::optional<util::TimePoint>& t, const std::string& absent);

/// Prints a newly created token as influxctl 2.11 does (formats/influxctl_output.h):
/// table: the record's table, the two warn lines and the token, all on stdout;
/// json: one object, the record and "token", and the warning on stderr.
void print_created(tokens::TokenKind kind, const tokens::TokenRecord& record, std::string_view token,
                   cli::OutputFormat format, util::TimePoint now);

/// Adds a record to the registry (read-modify-write with preconditions), emits
/// TokenCreated. Throws (and writes nothing) when the registry is unreadable or full.
void store_new_record(kube::Client& client, const tokens::RegistryLocation& where,
                      const tokens::TokenRecord& record);

/// `management revoke` and `token revoke`: confirmation (a terminal, or --force),
/// one registry write for all ids, a line per id, an Event per revoked token.
/// Exit 1 when any id was not found, 2 when confirmation was impossible or refused.
ExitCode run_revoke(const cli::Invocation& invocation, tokens::TokenKind kind);

/// Flags of the revoke commands.
void add_revoke_options(cli::po::options_description& options, tokens::TokenKind kind);

}  // namespace rotator::commands
