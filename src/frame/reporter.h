#pragma once

#include <string>
#include <string_view>

#include "frame/change.h"
#include "util/log.h"

namespace rotator::frame {

/// Where one namespace's results and log lines go. A run in one namespace prints
/// as it goes; a fleet run gives each namespace a buffering reporter and prints
/// each namespace's results as one block when it is done, so namespaces never
/// interleave. Results go to stdout on a terminal (one line per change) or, with
/// JSON logs, into the log as JSON lines; log lines go to stderr, naming the
/// namespace in a fleet.
class Reporter {
 public:
  /// print: results on stdout as they come; buffer: kept for take_output();
  /// log: results as log lines on stderr (a command whose stdout carries a
  /// result of its own, such as a new token as JSON).
  enum class Output { print, buffer, log };
  enum class NameInLogs { no, yes };

  /// `cluster`: the kubeconfig context of a multi-cluster run, named in every
  /// log line and result target; empty otherwise.
  Reporter(std::string ns, Output output, NameInLogs name_in_logs, std::string cluster = {});

  const std::string& namespace_name() const { return namespace_; }
  /// The kubeconfig context of a multi-cluster run; empty otherwise.
  const std::string& cluster() const { return cluster_; }

  /// A change that was made.
  void applied(const std::string& step, const Change& change);
  /// A change a dry run would make.
  void planned(const std::string& step, const Change& change);
  /// A wait a dry run would do.
  void planned_wait(const std::string& step, const Wait& wait);
  /// A wait that ended with its condition met.
  void waited(const std::string& step, const Wait& wait);
  /// A step that found nothing to do, with what it found.
  void unchanged(const std::string& step, const std::string& state);
  /// A result line of a command's own (a summary, a table row).
  void result(const std::string& line);

  void log(log::Level level, std::string_view message, const log::Fields& fields = {});

  /// How many changes were made or planned: a namespace with none is "unchanged".
  int changes() const { return changes_; }
  /// What a buffering reporter has collected (and forgets it).
  std::string take_output();

 private:
  void emit_result(const std::string& step, const std::string& verb, const std::string& object, const std::string& why);

  std::string namespace_;
  std::string cluster_;
  Output output_;
  NameInLogs name_in_logs_;
  int changes_ = 0;
  std::string buffered_;
};

}  // namespace rotator::frame
