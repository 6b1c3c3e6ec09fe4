#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "frame/plan.h"
#include "kube/client.h"
#include "util/exit_code.h"

namespace rotator::frame {

/// How one namespace of a multi-namespace run ended.
enum class NamespaceOutcome {
  ok,         ///< the work was done and changed something
  unchanged,  ///< already converged: nothing written
  failed,     ///< an error; the other namespaces went on
};

const char* outcome_name(NamespaceOutcome outcome);

/// The result of the work in one namespace.
struct NamespaceResult {
  std::string cluster;  ///< the kubeconfig context of a multi-cluster run; empty otherwise
  std::string namespace_;
  NamespaceOutcome outcome = NamespaceOutcome::unchanged;
  ExitCode exit_code = ExitCode::success;
  std::string message;  ///< the error, or a short note; never key or token material
  std::string output;   ///< what the work printed, buffered so namespaces never interleave
  std::chrono::milliseconds took{0};
};

/// The work for one namespace: returns whether it changed anything, and puts what
/// it printed in `output` (kept even when it throws). Throwing marks the namespace
/// failed with the exception's exit code (rotator::Error) or 1; the others go on.
using NamespaceTask = std::function<bool(const std::string& namespace_, std::string& output)>;

/// Called (serialized, from worker threads) when a namespace finishes, for
/// progress display.
using FleetObserver = std::function<void(const NamespaceResult& result, std::size_t done, std::size_t total)>;

/// Runs `task` once per namespace on at most `concurrency` threads. Results come
/// back in the order of `namespaces`, whatever order they finished in.
std::vector<NamespaceResult> run_fleet(const std::vector<std::string>& namespaces, std::size_t concurrency,
                                       const NamespaceTask& task, const FleetObserver& observer = {});

/// The severity rank of an exit code: a multi-namespace run exits with the most
/// severe code of its namespaces. From least to most severe:
/// 0 success < 3 lock held (retry later) < 6 degraded (status: works, needs
/// attention) < 1 failure (status: a cluster whose namespaces could not be
/// listed) < 7 broken (status) < 5 invalid data (needs a human) < 4 not
/// authorized (affects every namespace) < 2 usage < 143, 130 stopped by a signal
/// (the run as a whole did not finish). No two codes share a rank.
int exit_code_severity(ExitCode code);

/// The more severe of two exit codes, in exit_code_severity's order.
ExitCode more_severe(ExitCode a, ExitCode b);

/// The most severe exit code among the results (0 when there are none).
ExitCode aggregate_exit_code(const std::vector<NamespaceResult>& results);

/// The summary table: NAMESPACE RESULT EXIT MESSAGE, one line per namespace,
/// columns aligned, then a totals line. When any result names a cluster, a
/// CLUSTER column comes first and the totals count the clusters.
std::string render_summary(const std::vector<NamespaceResult>& results);

/// Prefixes every line of `text` with "NAMESPACE: ".
std::string prefix_lines(const std::string& text, const std::string& namespace_);

/// One place a fleet run works in: a namespace of one cluster.
struct Target {
  kube::Client* client = nullptr;  ///< the cluster's client, shared by its namespaces
  std::string cluster;             ///< the kubeconfig context; empty in a one-cluster run
  std::string namespace_;
  const RunSettings* settings = nullptr;  ///< the cluster's (who runs it differs per cluster)
};

/// Runs the plan in each target, `concurrency` at a time. Each target's results
/// are printed as one block, every line prefixed with its name, when it is
/// done; log lines name their namespace (and cluster); a terminal shows one
/// updating progress line; a summary table ends the run, listing `failed_before`
/// (e.g. a cluster whose namespaces could not be listed) with the targets. A
/// target that fails does not stop the others; a SIGINT/SIGTERM lets the running
/// ones stop at their next safe point and starts no new one. Returns every
/// result, `failed_before` first (aggregate_exit_code() gives the run's exit code).
std::vector<NamespaceResult> run_plan_in_targets(const std::vector<Target>& targets, const Plan& plan,
                                                 std::size_t concurrency,
                                                 std::vector<NamespaceResult> failed_before = {});

/// run_plan_in_targets() in the namespaces of one cluster, sharing one client.
std::vector<NamespaceResult> run_plan_in_namespaces(kube::Client& client, const Plan& plan,
                                                    const std::vector<std::string>& namespaces, std::size_t concurrency,
                                                    const RunSettings& settings);

/// The name of a target in output and progress: "NS", or "CLUSTER/NS".
std::string target_label(const std::string& cluster, const std::string& namespace_);

/// Splits "a,b,c" into names, dropping blanks and duplicates, keeping order.
std::vector<std::string> split_namespace_list(const std::string& text);

}  // namespace rotator::frame
