#include "frame/fleet.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include <unistd.h>

#include "frame/reporter.h"
#include "frame/run.h"
#include "frame/stop.h"
#include "util/errors.h"
#include "util/log.h"
#include "util/terminal_text.h"

namespace rotator::frame {

const char* outcome_name(NamespaceOutcome outcome) {
  switch (outcome) {
    case NamespaceOutcome::ok: return "ok";
    case NamespaceOutcome::unchanged: return "unchanged";
    case NamespaceOutcome::failed: return "failed";
  }
  return "failed";
}

std::vector<NamespaceResult> run_fleet(const std::vector<std::string>& namespaces, std::size_t concurrency,
                                       const NamespaceTask& task, const FleetObserver& observer) {
  std::vector<NamespaceResult> results(namespaces.size());
  std::atomic<std::size_t> next{0};
  std::mutex observer_mutex;
  std::size_t done = 0;

  auto worker = [&] {
    for (std::size_t i = next++; i < namespaces.size(); i = next++) {
      NamespaceResult& result = results[i];
      result.namespace_ = namespaces[i];
      const auto started = std::chrono::steady_clock::now();
      try {
        // Stopped by a signal: the namespaces not begun yet are not begun.
        stop::check("before this namespace began");
        const bool changed = task(result.namespace_, result.output);
        result.outcome = changed ? NamespaceOutcome::ok : NamespaceOutcome::unchanged;
      } catch (const Error& e) {
        result.outcome = NamespaceOutcome::failed;
        result.exit_code = e.exit_code();
        result.message = e.what();
      } catch (const std::exception& e) {
        result.outcome = NamespaceOutcome::failed;
        result.exit_code = ExitCode::failure;
        result.message = std::string("internal error: ") + e.what();
      }
      result.took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
      std::lock_guard lock(observer_mutex);
      ++done;
      if (observer) observer(result, done, namespaces.size());
    }
  };

  const std::size_t threads = std::max<std::size_t>(1, std::min(concurrency, namespaces.size()));
  std::vector<std::thread> pool;
  pool.reserve(threads);
  for (std::size_t t = 0; t < threads; ++t) pool.emplace_back(worker);
  for (auto& thread : pool) thread.join();
  return results;
}

int exit_code_severity(ExitCode code) {
  // Each code its own rank, so the worst of several never depends on the order
  // the namespaces or clusters were listed in.
  switch (code) {
    case ExitCode::success: return 0;
    case ExitCode::lock_held: return 1;
    case ExitCode::degraded: return 2;
    case ExitCode::failure: return 3;
    case ExitCode::broken: return 4;
    case ExitCode::invalid_data: return 5;
    case ExitCode::not_authorized: return 6;
    case ExitCode::usage: return 7;
    case ExitCode::terminated: return 8;
    case ExitCode::interrupted: return 9;
  }
  return 3;
}

ExitCode more_severe(ExitCode a, ExitCode b) {
  return exit_code_severity(b) > exit_code_severity(a) ? b : a;
}

ExitCode aggregate_exit_code(const std::vector<NamespaceResult>& results) {
  ExitCode worst = ExitCode::success;
  for (const auto& result : results) worst = more_severe(worst, result.exit_code);
  return worst;
}

std::string render_summary(const std::vector<NamespaceResult>& results) {
  const bool clusters = std::any_of(results.begin(), results.end(), [](const auto& r) { return !r.cluster.empty(); });
  // Every column but the last (MESSAGE) is padded to its widest cell plus two spaces.
  std::vector<std::vector<std::string>> rows;
  rows.push_back({"NAMESPACE", "RESULT", "EXIT", "MESSAGE"});
  std::size_t counts[3] = {0, 0, 0};
  std::set<std::string> cluster_names;
  for (const auto& result : results) {
    ++counts[static_cast<int>(result.outcome)];
    cluster_names.insert(result.cluster);
    std::string message = result.message;
    std::replace(message.begin(), message.end(), '\n', ' ');
    rows.push_back(
        {result.namespace_, outcome_name(result.outcome), std::to_string(static_cast<int>(result.exit_code)), message});
  }
  if (clusters) {
    rows[0].insert(rows[0].begin(), "CLUSTER");
    for (std::size_t i = 0; i < results.size(); ++i) rows[i + 1].insert(rows[i + 1].begin(), results[i].cluster);
  }
  std::string out = util::align_columns(rows);
  out += std::to_string(results.size()) + " namespaces" +
         (clusters ? " in " + std::to_string(cluster_names.size()) + " clusters" : "") + ": " +
         std::to_string(counts[0]) + " ok, " + std::to_string(counts[1]) + " unchanged, " + std::to_string(counts[2]) +
         " failed; exit " + std::to_string(static_cast<int>(aggregate_exit_code(results))) + "\n";
  return out;
}

std::string target_label(const std::string& cluster, const std::string& namespace_) {
  return cluster.empty() ? namespace_ : cluster + "/" + namespace_;
}

namespace {

std::string progress_text(std::size_t done, std::size_t total, std::size_t failed, const std::string& last) {
  return "[" + std::to_string(done) + "/" + std::to_string(total) + "] " + std::to_string(failed) +
         " failed; last: " + last;
}

}  // namespace

std::vector<NamespaceResult> run_plan_in_targets(const std::vector<Target>& targets, const Plan& plan,
                                                 std::size_t concurrency, std::vector<NamespaceResult> failed_before) {
  for (const auto& failure : failed_before) {
    log::Fields fields = {{"exit", static_cast<int>(failure.exit_code)}};
    if (!failure.cluster.empty()) fields.emplace_back("cluster", failure.cluster);
    log::write(log::Level::error, failure.message, fields, failure.namespace_);
  }
  if (targets.empty() && failed_before.empty()) {
    log::warn("no namespace matched: nothing to do");
    return {};
  }
  std::vector<std::string> labels;
  labels.reserve(targets.size());
  for (const auto& target : targets) labels.push_back(target_label(target.cluster, target.namespace_));
  // run_fleet works on the labels ("CLUSTER/NS"); they are unique, as targets are.
  std::map<std::string, const Target*> by_label;
  for (std::size_t i = 0; i < targets.size(); ++i) by_label.emplace(labels[i], &targets[i]);
  const bool terminal = ::isatty(STDERR_FILENO) && log::current_format() == log::Format::text;
  log::info("multi-namespace run", {{"namespaces", targets.size()}, {"concurrency", concurrency}});
  std::size_t failed = 0;
  const auto observer = [&](const NamespaceResult& result, std::size_t done, std::size_t total) {
    const Target& target = *by_label.at(result.namespace_);
    const auto with_cluster = [&](log::Fields fields) {
      if (!target.cluster.empty()) fields.emplace_back("cluster", target.cluster);
      return fields;
    };
    if (result.outcome == NamespaceOutcome::failed) ++failed;
    if (!result.output.empty()) log::print_above_status(stdout, prefix_lines(result.output, result.namespace_));
    if (result.outcome == NamespaceOutcome::failed) {
      log::write(log::Level::error, result.message, with_cluster({{"exit", static_cast<int>(result.exit_code)}}),
                 target.namespace_);
    }
    if (terminal) {
      log::set_status_line(progress_text(done, total, failed, result.namespace_));
    } else {
      log::info("namespace done", with_cluster({{"namespace", target.namespace_},
                                                {"result", outcome_name(result.outcome)},
                                                {"progress", std::to_string(done) + "/" + std::to_string(total)},
                                                {"ms", result.took.count()}}));
    }
  };
  auto results = run_fleet(
      labels, concurrency,
      [&](const std::string& label, std::string& output) {
        const Target& target = *by_label.at(label);
        Reporter reporter(target.namespace_, Reporter::Output::buffer, Reporter::NameInLogs::yes, target.cluster);
        try {
          run_plan(*target.client, plan, target.namespace_, *target.settings, reporter);
        } catch (...) {
          output = reporter.take_output();
          throw;
        }
        output = reporter.take_output();
        return reporter.changes() > 0;
      },
      observer);
  for (std::size_t i = 0; i < targets.size(); ++i) {
    results[i].cluster = targets[i].cluster;
    results[i].namespace_ = targets[i].namespace_;
  }
  results.insert(results.begin(), std::make_move_iterator(failed_before.begin()),
                 std::make_move_iterator(failed_before.end()));
  if (terminal) log::set_status_line("");
  log::print_above_status(stdout, render_summary(results));
  return results;
}

std::vector<NamespaceResult> run_plan_in_namespaces(kube::Client& client, const Plan& plan,
                                                    const std::vector<std::string>& namespaces, std::size_t concurrency,
                                                    const RunSettings& settings) {
  std::vector<Target> targets;
  targets.reserve(namespaces.size());
  for (const auto& ns : namespaces) targets.push_back({&client, "", ns, &settings});
  return run_plan_in_targets(targets, plan, concurrency);
}

std::string prefix_lines(const std::string& text, const std::string& namespace_) {
  std::string out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out += namespace_ + ": " + line + "\n";
  return out;
}

std::vector<std::string> split_namespace_list(const std::string& text) {
  std::vector<std::string> names;
  std::istringstream in(text);
  for (std::string name; std::getline(in, name, ',');) {
    const auto first = name.find_first_not_of(" \t");
    if (first == std::string::npos) continue;
    name = name.substr(first, name.find_last_not_of(" \t") - first + 1);
    if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
  }
  return names;
}

}  // namespace rotator::frame
