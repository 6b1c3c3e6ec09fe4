#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cli/command_table.h"
#include "frame/step.h"
#include "steps/key_source.h"

namespace rotator::commands {

/// A kind of step: a writing command that a job file may list too. One table
/// serves the command line and `rotator run`, so a job file accepts exactly the
/// flags the command does, and both bind them the same way.
struct StepKind {
  std::string name;
  std::string synopsis;
  std::string summary;
  std::string details;
  std::string examples;
  std::function<void(cli::po::options_description&)> add_options;
  /// Builds the step from parsed flags, checking every value (UsageError, exit 2),
  /// before anything connects.
  std::function<std::shared_ptr<const frame::Step>(const cli::po::variables_map&)> bind;
  /// The rotation id a bound step works on, for the lock holder (may be empty).
  std::function<std::string(const frame::Step&)> rotation_id = {};
  /// Whether it is also a command of its own (management renew is, under its group).
  bool own_command = true;
};

/// One generator of keys for the whole process: a decision made twice gets the
/// same key, and a fleet's namespaces share it.
std::shared_ptr<steps::KeySource> key_source();

const std::vector<StepKind>& step_table();
const StepKind* find_step_kind(const std::string& name);

/// The command-table entry that runs one step as a plan.
cli::CommandSpec command_for_step(const StepKind& kind);

}  // namespace rotator::commands
