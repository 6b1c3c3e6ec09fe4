#pragma once

// Shell completion scripts generated from the command table, so a new command or
// flag completes without anyone editing a script.

#include <string>
#include <vector>

#include "cli/command_table.h"

namespace rotator::cli {

enum class Shell { bash, zsh };

/// A completion script for `rotator` and `kubectl-rotator` (the kubectl plugin's
/// name): command words, subcommands ("management create"), each command's flags
/// and the global flags, the values of flags with a fixed set (a value name such
/// as "rollout|delete-pods|none"), and file names where a flag or positional
/// names a FILE or PATH. bash: `source <(rotator completion bash)`; zsh loads the
/// same functions through its bashcompinit.
std::string completion_script(Shell shell, const std::vector<CommandSpec>& table,
                              const po::options_description& global_options);

}  // namespace rotator::cli
