#include "commands/session.h"

#include <algorithm>
#include <cstdlib>
#include <set>

#include "commands/step_table.h"
#include "frame/fleet.h"
#include "frame/reporter.h"
#include "frame/run.h"
#include "frame/stop.h"
#include "kube/cluster.h"
#include "metrics/pushgateway.h"
#include "metrics/pushgateway_url.h"
#include "util/errors.h"
#include "util/log.h"

namespace rotator::commands {
namespace {

constexpr std::size_t max_concurrency = 64;

/// Flags that choose namespaces, with whether they take a value: a rerun in one
/// namespace leaves them out and says -n instead.
const std::set<std::string> namespace_flags_with_value = {
    "-n", "--namespace", "--namespaces", "--namespace-selector", "--concurrency", "--shard", "--shard-count"};
const std::set<std::string> namespace_switches = {"--all-namespaces", "-A"};
/// Flags that choose clusters: a rerun in one cluster says --context instead.
const std::set<std::string> cluster_flags_with_value = {"--contexts", "--context"};
const std::set<std::string> cluster_switches = {"--all-contexts"};

}  // namespace

std::unique_ptr<kube::Client> connect(const cli::GlobalOptions& globals) {
  kube::ConnectionConfig config = kube::load_connection(globals.connection);
  kube::ClientOptions options;
  options.deadline = std::chrono::steady_clock::now() + globals.timeout;
  log::debug("connecting", {{"server", config.server},
                            {"context", config.context},
                            {"namespace", config.namespace_},
                            {"credentials", config.credentials ? config.credentials->describe() : "none"}});
  return std::make_unique<kube::Client>(std::move(config), options);
}

void report_stats(const cli::GlobalOptions& globals, const kube::Client& client, const std::string& cluster) {
  if (globals.stats != cli::GlobalOptions::Stats::on) return;
  const auto stats = client.stats();
  log::Fields fields = {{"requests", stats.requests}, {"retries", stats.retries}};
  if (!cluster.empty()) fields.emplace_back("cluster", cluster);
  for (const auto& [method, count] : stats.by_method) fields.emplace_back(method, count);
  log::info("api requests", fields);
}

void report_key_generation(const cli::GlobalOptions& globals) {
  if (globals.stats != cli::GlobalOptions::Stats::on) return;
  const auto stats = key_source()->stats();
  log::info("key generation", {{"keys", stats.keys}, {"cpu_ms", stats.cpu.count() / 1000}});
}

void add_namespace_selection_options(cli::po::options_description& options) {
  options.add_options()("namespaces", cli::po::value<std::string>()->value_name("NS,NS,..."),
                        "act in each of these namespaces (instead of -n), --concurrency at a time")(
      "all-namespaces,A", cli::po::bool_switch(),
      "act in every namespace (narrowed by --namespace-selector); needs RBAC to list namespaces")(
      "namespace-selector", cli::po::value<std::string>()->value_name("LABELS"),
      "with --all-namespaces: only namespaces with these labels (e.g. app=influxdb)")(
      "concurrency", cli::po::value<int>()->default_value(8)->value_name("N"),
      "namespaces worked on at once in a multi-namespace run (1-64)")(
      "shard", cli::po::value<std::string>()->value_name("INDEX/COUNT"),
      "with --namespaces or -A: only shard INDEX (from 0) of COUNT; the shards together cover each namespace once")(
      "shard-count", cli::po::value<std::string>()->value_name("COUNT"),
      "as --shard, with INDEX from $JOB_COMPLETION_INDEX (the pods of an Indexed Job)");
}

void add_cluster_selection_options(cli::po::options_description& options) {
  options.add_options()(
      "contexts", cli::po::value<std::string>()->value_name("CTX,CTX,..."),
      "act in each of these kubeconfig contexts (clusters) instead of --context; the namespace flags apply in each")(
      "all-contexts", cli::po::bool_switch(), "act in every context of the kubeconfig (as --contexts)");
}

std::vector<ClusterConnection> connect_each(const cli::GlobalOptions& globals,
                                            const std::vector<std::string>& contexts) {
  std::vector<ClusterConnection> connections;
  for (const auto& context : contexts) {
    cli::GlobalOptions in_context = globals;
    in_context.connection.context = context;
    ClusterConnection connection{context, nullptr, std::nullopt};
    try {
      connection.client = connect(in_context);
    } catch (const Error& e) {
      connection.error = std::pair{std::string(e.what()), e.exit_code()};
    }
    connections.push_back(std::move(connection));
  }
  return connections;
}

std::vector<std::string> contexts_from(const cli::po::variables_map& vm, const cli::GlobalOptions& globals) {
  const bool listed = vm.count("contexts") > 0;
  const bool all = vm.count("all-contexts") && vm["all-contexts"].as<bool>();
  if (!listed && !all) return {};
  if (listed && all) throw UsageError("--contexts and --all-contexts exclude each other");
  if (globals.connection.context) throw UsageError("--context and --contexts/--all-contexts exclude each other");
  const auto known = kube::kubeconfig_context_names(globals.connection);
  if (all) {
    if (known.empty()) throw UsageError("--all-contexts: the kubeconfig has no contexts");
    return known;
  }
  auto names = frame::split_namespace_list(vm["contexts"].as<std::string>());
  if (names.empty()) throw UsageError("--contexts needs at least one context");
  for (const auto& name : names) {
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      throw UsageError("--contexts: no context \"" + name +
                       "\" in the kubeconfig (kubectl config get-contexts lists them)");
    }
  }
  return names;
}

std::optional<NamespaceSelection> namespace_selection_from(const cli::po::variables_map& vm,
                                                           const cli::GlobalOptions& globals) {
  const bool listed = vm.count("namespaces") > 0;
  const bool all = vm.count("all-namespaces") && vm["all-namespaces"].as<bool>();
  const bool selector = vm.count("namespace-selector") > 0;
  const bool sharded = vm.count("shard") > 0 || vm.count("shard-count") > 0;
  if (selector && !all) throw UsageError("--namespace-selector goes with --all-namespaces");
  if (vm.count("shard") && vm.count("shard-count")) throw UsageError("--shard and --shard-count exclude each other");
  if (sharded && !listed && !all) throw UsageError("--shard and --shard-count split --namespaces or --all-namespaces");
  if (!listed && !all) return std::nullopt;
  if (listed && all) throw UsageError("--namespaces and --all-namespaces exclude each other");
  if (globals.connection.namespace_)
    throw UsageError("-n/--namespace and --namespaces/--all-namespaces exclude each other");
  NamespaceSelection selection;
  selection.all = all;
  if (selector) selection.selector = vm["namespace-selector"].as<std::string>();
  if (listed) {
    selection.names = frame::split_namespace_list(vm["namespaces"].as<std::string>());
    if (selection.names.empty()) throw UsageError("--namespaces needs at least one namespace");
  }
  const int concurrency = vm.count("concurrency") ? vm["concurrency"].as<int>() : 8;
  if (concurrency < 1 || concurrency > static_cast<int>(max_concurrency)) {
    throw UsageError("--concurrency must be between 1 and " + std::to_string(max_concurrency));
  }
  selection.concurrency = static_cast<std::size_t>(concurrency);
  if (vm.count("shard")) selection.shard = frame::parse_shard(vm["shard"].as<std::string>());
  if (vm.count("shard-count")) {
    selection.shard =
        frame::shard_from_completion_index(vm["shard-count"].as<std::string>(), std::getenv("JOB_COMPLETION_INDEX"));
  }
  return selection;
}

std::vector<std::string> resolve_namespaces(kube::Client& client, const NamespaceSelection& selection) {
  std::vector<std::string> names =
      selection.all ? kube::NamespaceApi(client).list(selection.selector) : selection.names;
  if (!selection.shard) return names;
  auto chosen = frame::namespaces_of_shard(names, *selection.shard);
  log::info("shard " + std::to_string(selection.shard->index) + "/" + std::to_string(selection.shard->count) + ": " +
            std::to_string(chosen.size()) + " of " + std::to_string(names.size()) + " namespaces");
  return chosen;
}

std::string rerun_command(const cli::Invocation& invocation, const std::string& ns) {
  std::string command = invocation.program;
  for (std::size_t i = 0; i < invocation.args.size(); ++i) {
    const std::string& arg = invocation.args[i];
    const std::string flag = arg.substr(0, arg.find('='));
    if (namespace_switches.contains(arg) || cluster_switches.contains(arg)) continue;
    if (namespace_flags_with_value.contains(flag) || cluster_flags_with_value.contains(flag)) {
      if (arg.find('=') == std::string::npos) ++i;
      continue;
    }
    if (arg.starts_with("-n") && arg.size() > 2 && arg[2] != '-') continue;  // -nNAME
    command += " " + arg;
  }
  return command + " -n " + ns;
}

std::string rerun_command(const cli::Invocation& invocation, const std::string& context, const std::string& ns) {
  const std::string command = rerun_command(invocation, ns);
  if (context.empty()) return command;
  // Quoted as a shell word when the name needs it (context names often hold '@' or ':').
  const bool plain = context.find_first_not_of(
                         "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.@:/") == std::string::npos;
  return command + " --context " + (plain ? context : "'" + context + "'");
}

frame::RunSettings run_settings(const cli::GlobalOptions& globals, const kube::Client& client,
                                std::chrono::milliseconds lock_wait) {
  frame::RunSettings settings;
  settings.mode = globals.dry_run == cli::GlobalOptions::DryRun::on ? frame::RunSettings::Mode::dry_run
                                                                    : frame::RunSettings::Mode::apply;
  settings.lock.wait = globals.lock_wait.value_or(lock_wait);
  settings.lock.duration = globals.lock_duration;
  settings.deadline = frame::Deadline(std::chrono::steady_clock::now() + globals.timeout);
  settings.user = client.config().user;
  return settings;
}

namespace {

/// A failure that kept a whole cluster (or its namespace listing) from running:
/// one summary row, so the cluster is never silently missing from the results.
frame::NamespaceResult cluster_failure(const std::string& context, const std::string& ns,
                                       const std::pair<std::string, ExitCode>& error) {
  frame::NamespaceResult result;
  result.cluster = context;
  result.namespace_ = ns;
  result.outcome = frame::NamespaceOutcome::failed;
  result.exit_code = error.second;
  result.message = error.first;
  return result;
}

/// Runs the plan in the namespaces of each context. A context that cannot be
/// reached, or whose namespaces cannot be listed, gets a failed row and the
/// others go on.
std::vector<frame::NamespaceResult> run_in_clusters(const cli::Invocation& invocation, const frame::Plan& plan,
                                                    const std::optional<NamespaceSelection>& selection,
                                                    const std::vector<std::string>& contexts) {
  const auto connections = connect_each(invocation.globals, contexts);
  std::vector<frame::RunSettings> settings;  // one per connected cluster, never reallocated: targets point into it
  settings.reserve(connections.size());
  std::vector<frame::NamespaceResult> failed_before;
  std::vector<frame::Target> targets;
  for (const auto& connection : connections) {
    if (!connection.client) {
      failed_before.push_back(cluster_failure(
          connection.context, invocation.globals.connection.namespace_.value_or("*"), *connection.error));
      continue;
    }
    settings.push_back(run_settings(invocation.globals, *connection.client));
    std::vector<std::string> namespaces;
    try {
      namespaces = selection ? resolve_namespaces(*connection.client, *selection)
                             : std::vector<std::string>{connection.client->config().namespace_};
    } catch (const Error& e) {
      failed_before.push_back(cluster_failure(connection.context, "*", {e.what(), e.exit_code()}));
      continue;
    }
    for (auto& ns : namespaces) targets.push_back({connection.client.get(), connection.context, ns, &settings.back()});
  }
  const std::size_t concurrency = selection ? selection->concurrency : NamespaceSelection{}.concurrency;
  auto results = frame::run_plan_in_targets(targets, plan, concurrency, std::move(failed_before));
  for (const auto& connection : connections) {
    if (connection.client) report_stats(invocation.globals, *connection.client, connection.context);
  }
  report_key_generation(invocation.globals);
  return results;
}

}  // namespace

ExitCode execute_plan(const cli::Invocation& invocation, const frame::Plan& plan,
                      const std::optional<NamespaceSelection>& selection, const std::vector<std::string>& contexts) {
  const auto pushgateway = metrics::pushgateway_url(invocation.globals.pushgateway);
  const bool dry_run = invocation.globals.dry_run == cli::GlobalOptions::DryRun::on;
  // Each namespace's outcome goes to the Pushgateway, failures included (a
  // failure never overwrites the last success: metrics/pushgateway.h).
  const auto push = [&](const std::string& cluster, const std::string& ns, ExitCode code,
                        std::chrono::milliseconds took) {
    if (!pushgateway || dry_run) return;
    metrics::push_run_outcome({*pushgateway, plan.job, ns, cluster},
                              {static_cast<int>(code), took, util::Clock::now()});
  };
  frame::stop::install_handlers();
  if (!contexts.empty()) {
    const auto results = run_in_clusters(invocation, plan, selection, contexts);
    for (const auto& result : results) {
      if (result.namespace_ != "*") push(result.cluster, result.namespace_, result.exit_code, result.took);
    }
    return frame::aggregate_exit_code(results);
  }
  auto client = connect(invocation.globals);
  const frame::RunSettings settings = run_settings(invocation.globals, *client);
  ExitCode code = ExitCode::success;
  if (selection) {
    const auto results = frame::run_plan_in_namespaces(*client, plan, resolve_namespaces(*client, *selection),
                                                       selection->concurrency, settings);
    for (const auto& result : results) push("", result.namespace_, result.exit_code, result.took);
    code = frame::aggregate_exit_code(results);
  } else {
    const std::string& ns = client->config().namespace_;
    const auto started = std::chrono::steady_clock::now();
    const auto took = [&] {
      return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    };
    frame::Reporter reporter(ns, frame::Reporter::Output::print, frame::Reporter::NameInLogs::no);
    try {
      frame::run_plan(*client, plan, ns, settings, reporter);
    } catch (const Error& e) {
      push("", ns, e.exit_code(), took());
      throw;
    }
    push("", ns, ExitCode::success, took());
  }
  report_stats(invocation.globals, *client);
  report_key_generation(invocation.globals);
  return code;
}

PlanResult execute_plan_here(const cli::Invocation& invocation, const frame::Plan& plan, kube::Client& client,
                             std::chrono::milliseconds lock_wait) {
  const frame::RunSettings settings = run_settings(invocation.globals, client, lock_wait);
  frame::stop::install_handlers();
  // A dry run's plan is its result; a real run's changes are logged, stdout is the command's.
  const auto output = settings.mode == frame::RunSettings::Mode::dry_run ? frame::Reporter::Output::print
                                                                         : frame::Reporter::Output::log;
  const std::string& ns = client.config().namespace_;
  frame::Reporter reporter(ns, output, frame::Reporter::NameInLogs::no);
  const auto pushgateway = metrics::pushgateway_url(invocation.globals.pushgateway);
  const auto started = std::chrono::steady_clock::now();
  const auto push = [&](ExitCode code) {
    if (!pushgateway || settings.mode == frame::RunSettings::Mode::dry_run) return;
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    metrics::push_run_outcome({*pushgateway, plan.job, ns}, {static_cast<int>(code), took, util::Clock::now()});
  };
  try {
    frame::Snapshot seen = frame::run_plan(client, plan, ns, settings, reporter);
    push(ExitCode::success);
    return {std::move(seen), reporter.changes()};
  } catch (const Error& e) {
    push(e.exit_code());
    throw;
  }
}

}  // namespace rotator::commands
