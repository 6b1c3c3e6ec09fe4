#include "commands/multi_namespace.h"

#include <unistd.h>

#include <iostream>

#include "commands/step_commands.h"
#include "runner/fleet.h"
#include "util/errors.h"
#include "util/log.h"
#include "util/output_capture.h"

namespace rotator::commands {
namespace {

constexpr std::size_t max_concurrency = 64;

std::string progress_text(std::size_t done, std::size_t total, std::size_t failed, const std::string& last) {
  return "[" + std::to_string(done) + "/" + std::to_string(total) + "] " + std::to_string(failed) + " failed; last: " + last;
}

}  // namespace

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
    selection.names = runner::split_namespace_list(vm["namespaces"].as<std::string>());
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
  std::string path = "/api/v1/namespaces";
  if (!selection.selector.empty()) path += "?labelSelector=" + kube::url_encode(selection.selector);
  const auto list = client.get(path);
  std::vector<std::string> names;
  for (const auto& item : list.value("items", kube::Json::array())) {
    names.push_back(item.at("metadata").at("name").get<std::string>());
  }
  return names;
}

ExitCode run_in_namespaces(kube::Client& client, const cli::GlobalOptions& globals, const NamespaceSelection& selection,
                           const std::function<void(steps::StepContext&)>& work) {
  const auto namespaces = resolve_namespaces(client, selection);
  if (namespaces.empty()) {
    log::warn("no namespace matched: nothing to do", {{"selector", selection.selector}});
    return ExitCode::success;
  }
  const bool terminal = ::isatty(STDERR_FILENO) && log::current_format() == log::Format::text;
  log::info("multi-namespace run", {{"namespaces", std::to_string(namespaces.size())},
                                    {"concurrency", std::to_string(selection.concurrency)}});
  util::ThreadOutputRouter router(std::cout);  // each worker's stdout goes to its own buffer
  std::size_t failed = 0;

  runner::FleetObserver observer;
  observer.finished = [&](const runner::NamespaceResult& result, std::size_t done, std::size_t total) {
    if (result.outcome == runner::NamespaceOutcome::failed) ++failed;
    if (!result.output.empty()) log::print_above_status(stdout, runner::prefix_lines(result.output, result.namespace_));
    if (result.outcome == runner::NamespaceOutcome::failed) {
      log::NamespaceScope scope(result.namespace_);
      log::error(result.message, {{"exit", std::to_string(static_cast<int>(result.exit_code))}});
    }
    if (terminal) {
      log::set_status_line(progress_text(done, total, failed, result.namespace_));
    } else {
      log::info("namespace done", {{"namespace", result.namespace_},
                                   {"result", runner::outcome_name(result.outcome)},
                                   {"progress", std::to_string(done) + "/" + std::to_string(total)},
                                   {"ms", std::to_string(result.took.count())}});
    }
  };

  const auto results = runner::run_fleet(
      namespaces, selection.concurrency,
      [&](const std::string& ns, std::string& output) {
        util::CaptureScope capture;
        log::NamespaceScope scope(ns);
        steps::ChangeCounter changes;
        auto context = make_step_context(client, globals);
        context.namespace_ = ns;
        try {
          work(context);
        } catch (...) {
          output = capture.text();
          throw;
        }
        output = capture.text();
        return changes.count() > 0;
      },
      observer);
  if (terminal) log::set_status_line("");
  log::print_above_status(stdout, runner::render_summary(results));
  return runner::aggregate_exit_code(results);
}

}  // namespace rotator::commands
