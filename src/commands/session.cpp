#include "commands/session.h"

#include <set>

#include "frame/fleet.h"
#include "frame/reporter.h"
#include "frame/run.h"
#include "frame/stop.h"
#include "kube/cluster.h"
#include "util/errors.h"
#include "util/log.h"

namespace rotator::commands {
namespace {

constexpr std::size_t max_concurrency = 64;

/// Flags that choose namespaces, with whether they take a value: a rerun in one
/// namespace leaves them out and says -n instead.
const std::set<std::string> namespace_flags_with_value = {"-n", "--namespace", "--namespaces",
                                                          "--namespace-selector", "--concurrency"};
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
  log::Fields fields = {{"requests", std::to_string(stats.requests)}, {"retries", std::to_string(stats.retries)}};
  for (const auto& [method, count] : stats.by_method) fields.emplace_back(method, std::to_string(count));
  log::info("api requests", fields);
}

void add_namespace_selection_options(cli::po::options_description& options) {
  options.add_options()
      ("namespaces", cli::po::value<std::string>()->value_name("NS,NS,..."),
       "act in each of these namespaces (instead of -n), --concurrency at a time")
      ("all-namespaces", cli::po::bool_switch(),
       "act in every namespace (narrowed by --namespace-selector); needs RBAC to list namespaces")
      ("namespace-selector", cli::po::value<std::string>()->value_name("LABELS"),
       "with --all-namespaces: only namespaces with these labels (e.g. app=influxdb)")
      ("concurrency", cli::po::value<int>()->default_value(8)->value_name("N"),
       "namespaces worked on at once in a multi-namespace run (1-64)");
}

std::optional<NamespaceSelection> namespace_selection_from(const cli::po::variables_map& vm,
                                                           const cli::GlobalOptions& globals) {
  const bool listed = vm.count("namespaces") > 0;
  const bool all = vm.count("all-namespaces") && vm["all-namespaces"].as<bool>();
  const bool selector = vm.count("namespace-selector") > 0;
  if (selector && !all) throw UsageError("--namespace-selector goes with --all-namespaces");
  if (!listed && !all) return std::nullopt;
  if (listed && all) throw UsageError("--namespaces and --all-namespaces exclude each other");
  if (globals.connection.namespace_) throw UsageError("-n/--namespace and --namespaces/--all-namespaces exclude each other");
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
  return selection;
}

std::vector<std::string> resolve_namespaces(kube::Client& client, const NamespaceSelection& selection) {
  if (!selection.all) return selection.names;
  return kube::NamespaceApi(client).list(selection.selector);
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
  auto client = connect(invocation.globals);
  const frame::RunSettings settings = run_settings(invocation.globals, *client);
  frame::stop::install_handlers();
  ExitCode code = ExitCode::success;
  if (selection) {
    code = frame::run_plan_in_namespaces(*client, plan, resolve_namespaces(*client, *selection), selection->concurrency,
                                         settings);
  } else {
    frame::Reporter reporter(client->config().namespace_, frame::Reporter::Output::print, frame::Reporter::NameInLogs::no);
    frame::run_plan(*client, plan, client->config().namespace_, settings, reporter);
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
  frame::Reporter reporter(client.config().namespace_, output, frame::Reporter::NameInLogs::no);
  frame::Snapshot seen = frame::run_plan(client, plan, client.config().namespace_, settings, reporter);
  return {std::move(seen), reporter.changes()};
}

}  // namespace rotator::commands
