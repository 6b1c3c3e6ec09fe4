#pragma once

#include <functional>
#include <string>
#include <vector>

#include "cli/command_table.h"
#include "commands/commands.h"
#include "steps/step_context.h"

namespace rotator::commands {

/// A step: a command that writes, and that a job file may list. One table serves
/// the command line and `rotator run`, so a job file accepts exactly the flags the
/// command does.
struct StepSpec {
  std::string name;
  std::string synopsis;
  std::string summary;
  std::string details;
  std::string examples;
  std::function<void(po::options_description&)> add_options;
  /// Builds the step's options from parsed flags, throwing UsageError on bad values,
  /// so a command or a whole job file is checked before anything runs.
  std::function<void(const po::variables_map&)> validate;
  std::function<void(steps::StepContext&, const po::variables_map&)> execute;
};

const std::vector<StepSpec>& step_table();
const StepSpec* find_step(const std::string& name);

/// The command-table entry that runs a step from the command line.
cli::CommandSpec command_for_step(const StepSpec& step);

/// Runs one step with the run's global flags, connected to the cluster.
void execute_step(const StepSpec& step, steps::StepContext& context, const po::variables_map& options);

/// The context for a run: namespace, dry run, clock.
steps::StepContext make_step_context(kube::Client& client, const cli::GlobalOptions& globals);

}  // namespace rotator::commands
