#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/command_table.h"
#include "formats/registry.h"
#include "kube/client.h"
#include "kube/objects.h"

namespace rotator::commands {

// What `management` and `token` commands share: flags, reading a registry,
// output of records, and the create and revoke commands' runs.

/// --registry-secret NAME (default: the kind's fixed name).
void add_registry_option(cli::po::options_description& options, formats::TokenKind kind);
std::string registry_secret_name(const cli::Invocation& invocation);

/// Reads a registry for a command that only reads: empty when the Secret is
/// absent or empty; InvalidDataError when it cannot be read.
formats::Registry read_registry(kube::Client& client, const std::string& ns, const std::string& secret,
                                formats::TokenKind kind);
/// The same, for a Secret already read.
formats::Registry registry_of(const std::optional<kube::Secret>& secret, formats::TokenKind kind);

/// Parses --expires-at: RFC 3339, in the future. nullopt when not given. Throws UsageError.
std::optional<util::TimePoint> expires_at_from(const cli::po::variables_map& options, util::TimePoint now);

/// "2026-01-01T00:00:00Z", or `absent` for nullopt.
std::string time_or(const std::optional<util::TimePoint>& t, const std::string& absent);

/// `management create` and `token create`: one new token, recorded by the frame
/// (lock, dry run, Event), then shown once on stdout with a warning on stderr.
ExitCode run_create(const cli::Invocation& invocation, formats::TokenKind kind, const std::string& description,
                    const std::vector<formats::Permission>& permissions,
                    const std::function<void(const std::string& token)>& after_created = {});

/// The full id `given` names (the id, or an unambiguous prefix of at least
/// formats::min_id_prefix characters); an Error saying why not otherwise.
std::string resolve_token_id(const formats::Registry& registry, const std::string& given);

/// `management revoke` and `token revoke`/`delete`: the ids are resolved first (an
/// unknown or ambiguous one is reported, never asked about), then confirmation (a
/// terminal, or --force), one registry write for all of them, a line per id, an
/// Event. Exit 1 when any id was not resolved, 2 when confirmation was impossible
/// (no terminal, no --force); answering no revokes nothing and exits 0.
ExitCode run_revoke(const cli::Invocation& invocation, formats::TokenKind kind);

/// Flags of the revoke commands.
void add_revoke_options(cli::po::options_description& options, formats::TokenKind kind);

}  // namespace rotator::commands
