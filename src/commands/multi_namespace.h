#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "cli/global_options.h"
#include "kube/client.h"
#include "steps/step_context.h"
#include "util/exit_code.h"

namespace rotator::commands {

/// Which namespaces a multi-namespace run covers (--namespaces or --all-namespaces
/// with --namespace-selector), and how many at once (--concurrency).
struct NamespaceSelection {
  std::vector<std::string> names;  ///< --namespaces; empty with --all-namespaces
  bool all = false;                ///< --all-namespaces
  std::string selector;            ///< --namespace-selector, with --all-namespaces
  std::size_t concurrency = 8;
};

/// Adds --namespaces, --all-namespaces, --namespace-selector and --concurrency.
void add_namespace_selection_options(cli::po::options_description& options);

/// The selection the flags ask for, or nullopt for an ordinary one-namespace run.
/// Throws UsageError on conflicting or bad values (e.g. -n with --namespaces).
std::optional<NamespaceSelection> namespace_selection_from(const cli::po::variables_map& vm,
                                                           const cli::GlobalOptions& globals);

/// The namespaces to act in: the list as given, or the cluster's namespaces that
/// match the selector (one list request; needs a ClusterRole that may list namespaces).
std::vector<std::string> resolve_namespaces(kube::Client& client, const NamespaceSelection& selection);

/// Runs `work` once per selected namespace on a shared client, with bounded
/// concurrency; prints each namespace's output as one prefixed block, progress on
/// stderr, and the summary table on stdout. Returns the most severe exit code.
ExitCode run_in_namespaces(kube::Client& client, const cli::GlobalOptions& globals, const NamespaceSelection& selection,
                           const std::function<void(steps::StepContext&)>& work);

}  // namespace rotator::commands
