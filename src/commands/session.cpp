#include "commands/session.h"

#include <cstdlib>
#include <set>

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

void report_stats(const cli::GlobalOptions& globals, const kube::Client& client) {
  if (globals.stats != cli::GlobalOptions::Stats::on) return;
  const auto stats = client.stats();
  log::Fields fields = {{"requests", stats.requests}, {"retries", stats.retries}};
  for (const auto& [method, count] : stats.by_method) fields.emplace_back(method, count);
  log::info("api requests", fields);
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
    if (namespace_switches.contains(arg)) continue;
    if (namespace_flags_with_value.contains(flag)) {
      if (arg.find('=') == std::string::npos) ++i;
      continue;
    }
    if (arg.starts_with("-n") && arg.size() > 2 && arg[2] != '-') continue;  // -nNAME
    command += " " + arg;
  }
  return command + " -n " + ns;
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

ExitCode execute_plan(const cli::Invocation& invocation, const frame::Plan& plan,
                      const std::optional<NamespaceSelection>& selection) {
  const auto pushgateway = metrics::pushgateway_url(invocation.globals.pushgateway);
  const bool dry_run = invocation.globals.dry_run == cli::GlobalOptions::DryRun::on;
  // Each namespace's outcome goes to the Pushgateway, failures included (a
  // failure never overwrites the last success: metrics/pushgateway.h).
  const auto push = [&](const std::string& ns, ExitCode code, std::chrono::milliseconds took) {
    if (!pushgateway || dry_run) return;
    metrics::push_run_outcome({*pushgateway, plan.job, ns}, {static_cast<int>(code), took, util::Clock::now()});
  };
  auto client = connect(invocation.globals);
  const frame::RunSettings settings = run_settings(invocation.globals, *client);
  frame::stop::install_handlers();
  ExitCode code = ExitCode::success;
  if (selection) {
    const auto results = frame::run_plan_in_namespaces(*client, plan, resolve_namespaces(*client, *selection),
                                                       selection->concurrency, settings);
    for (const auto& result : results) push(result.namespace_, result.exit_code, result.took);
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
      push(ns, e.exit_code(), took());
      throw;
    }
    push(ns, ExitCode::success, took());
  }
  report_stats(invocation.globals, *client);
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
