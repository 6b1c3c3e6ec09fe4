#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/command_table.h"
#include "frame/plan.h"
#include "frame/shard.h"
#include "frame/snapshot.h"
#include "kube/client.h"

namespace rotator::commands {

/// A connected client for one run, honouring --kubeconfig, --context, -n and --timeout.
std::unique_ptr<kube::Client> connect(const cli::GlobalOptions& globals);

/// Prints the API request counts on stderr when --stats was given; in a run over
/// several clusters, one line per cluster, named.
void report_stats(const cli::GlobalOptions& globals, const kube::Client& client, const std::string& cluster = "");
/// Prints the keys generated and their CPU time on stderr when --stats was given.
void report_key_generation(const cli::GlobalOptions& globals);

/// Which namespaces a writing command acts in besides -n: --namespaces, or
/// --all-namespaces with --namespace-selector, --concurrency at a time.
struct NamespaceSelection {
  std::vector<std::string> names;  ///< --namespaces; empty with --all-namespaces
  bool all = false;                ///< --all-namespaces
  std::string selector;            ///< --namespace-selector, with --all-namespaces
  std::size_t concurrency = 8;
  /// --shard INDEX/COUNT, or --shard-count COUNT with $JOB_COMPLETION_INDEX: only
  /// this share of the selected namespaces (frame/shard.h).
  std::optional<frame::Shard> shard;
};

/// Adds --namespaces, --all-namespaces, --namespace-selector, --concurrency,
/// --shard and --shard-count.
void add_namespace_selection_options(cli::po::options_description& options);

/// Adds --contexts and --all-contexts (the writing commands and status).
void add_cluster_selection_options(cli::po::options_description& options);

/// The selection the flags ask for, or nullopt for a one-namespace run. Throws
/// UsageError on conflicting or bad values (e.g. -n with --namespaces).
std::optional<NamespaceSelection> namespace_selection_from(const cli::po::variables_map& vm,
                                                           const cli::GlobalOptions& globals);

/// The kubeconfig contexts --contexts or --all-contexts name (sorted, as
/// `kubectl config get-contexts` lists them), read from the kubeconfig without a
/// request; empty for a run in the one cluster of --context. Throws UsageError
/// for a context the kubeconfig lacks, or with --context.
std::vector<std::string> contexts_from(const cli::po::variables_map& vm, const cli::GlobalOptions& globals);

/// One kubeconfig context of a multi-cluster run: its client, or why none could
/// be built from the kubeconfig (a certificate file missing, say).
struct ClusterConnection {
  std::string context;
  std::unique_ptr<kube::Client> client;                   ///< null when `error` says why
  std::optional<std::pair<std::string, ExitCode>> error;  ///< message and exit code
};

/// Every context's client, built from the kubeconfig alone, before the first
/// request; a context that fails keeps its place with its error.
std::vector<ClusterConnection> connect_each(const cli::GlobalOptions& globals,
                                            const std::vector<std::string>& contexts);

/// The namespaces of a selection: as listed, or the cluster's that match the
/// selector (one list request; needs a ClusterRole that may list namespaces);
/// with a shard, only that shard's (logged: "shard 1/4: 23 of 91 namespaces").
std::vector<std::string> resolve_namespaces(kube::Client& client, const NamespaceSelection& selection);

/// The command that runs `invocation` again in `ns`: a plain rerun resumes
/// whatever it left unfinished.
std::string rerun_command(const cli::Invocation& invocation, const std::string& ns);
/// As above, in the cluster of kubeconfig context `context` (none when empty).
std::string rerun_command(const cli::Invocation& invocation, const std::string& context, const std::string& ns);

/// Runs a bound plan in -n's namespace or in a selection of them, with the
/// global flags' settings, in the cluster of --context or in each of
/// `contexts`; SIGINT/SIGTERM stop it at a safe point. Returns the exit code
/// (the most severe of a fleet's, across its clusters).
ExitCode execute_plan(const cli::Invocation& invocation, const frame::Plan& plan,
                      const std::optional<NamespaceSelection>& selection,
                      const std::vector<std::string>& contexts = {});

/// What a plan run in one namespace left for its command to print.
struct PlanResult {
  frame::Snapshot seen;  ///< what it saw last
  int changes = 0;       ///< changes made (or planned, in a dry run)
};

/// Runs a bound plan in -n's namespace on `client`, for commands that print a
/// result of their own.
/// Its changes go to the log (stderr), leaving stdout to the command; a dry run
/// prints its plan on stdout.
PlanResult execute_plan_here(const cli::Invocation& invocation, const frame::Plan& plan, kube::Client& client,
                             std::chrono::milliseconds lock_wait = {});

/// The global flags as run settings, with who runs it. `lock_wait` applies when
/// --lock-wait was not given.
frame::RunSettings run_settings(const cli::GlobalOptions& globals, const kube::Client& client,
                                std::chrono::milliseconds lock_wait = {});

}  // namespace rotator::commands
