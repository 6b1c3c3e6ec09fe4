#include "frame/reporter.h"

#include <cstdio>

namespace rotator::frame {

Reporter::Reporter(std::string ns, Output output, NameInLogs name_in_logs, std::string cluster)
    : namespace_(std::move(ns)), cluster_(std::move(cluster)), output_(output), name_in_logs_(name_in_logs) {}

void Reporter::emit_result(const std::string& step, const std::string& verb, const std::string& object,
                           const std::string& why) {
  if (log::current_format() == log::Format::json || output_ == Output::log) {
    // A Job's log stays machine-readable: the result is a JSON log line.
    log(log::Level::info, step + ": " + verb, {{"object", object}, {"reason", why}});
    return;
  }
  result(step + ": " + verb + " " + object + ": " + why);
}

void Reporter::applied(const std::string& step, const Change& change) {
  ++changes_;
  const std::string why = change.reason + (change.outcome.empty() ? "" : "; " + change.outcome);
  emit_result(step, change.verb(), change.target(namespace_), why);
}

void Reporter::planned(const std::string& step, const Change& change) {
  ++changes_;
  emit_result(step, "would " + change.verb(), change.target(namespace_), change.reason);
}

void Reporter::planned_wait(const std::string& step, const Wait& wait) {
  emit_result(step, "would wait for", describe(wait.object, namespace_), wait.status);
}

void Reporter::waited(const std::string& step, const Wait& wait) {
  emit_result(step, "waited for", describe(wait.object, namespace_), wait.status);
}

void Reporter::unchanged(const std::string& step, const std::string& state) {
  if (log::current_format() == log::Format::json || output_ == Output::log) {
    log(log::Level::info, step + ": unchanged", {{"state", state}});
    return;
  }
  result(step + ": unchanged: " + state);
}

void Reporter::result(const std::string& line) {
  if (output_ == Output::log) {
    log(log::Level::info, line);
  } else if (output_ == Output::buffer) {
    buffered_ += line + "\n";
  } else {
    log::print_above_status(stdout, line + "\n");
  }
}

void Reporter::log(log::Level level, std::string_view message, const log::Fields& fields) {
  if (name_in_logs_ == NameInLogs::no) {
    log::write(level, message, fields, {});
  } else if (cluster_.empty()) {
    log::write(level, message, fields, namespace_);
  } else {
    log::Fields with_cluster = fields;
    with_cluster.emplace_back("cluster", cluster_);
    log::write(level, message, with_cluster, namespace_);
  }
}

std::string Reporter::take_output() {
  return std::exchange(buffered_, {});
}

}  // namespace rotator::frame
