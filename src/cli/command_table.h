#pragma once

#include <functional>
#include <string>
#include <vector>

#include "cli/global_options.h"
#include "util/exit_code.h"

namespace rotator::cli {

/// What a command handler gets: the global flags, its own flags, its positionals,
/// and the words it was invoked with (for messages that say how to run it again).
struct Invocation {
  GlobalOptions globals;
  po::variables_map options;
  std::vector<std::string> positionals;
  std::string program = "rotator";  ///< "rotator", or "kubectl rotator" as a plugin
  std::vector<std::string> args;    ///< every word after the program name, as typed
};

/// One entry of the command table: it drives dispatch, `--help`, and typo hints.
struct CommandSpec {
  std::string name;
  std::string synopsis;  ///< usage line after "rotator "
  std::string summary;   ///< one line for the command list
  std::string details;   ///< what it does, for `rotator CMD --help`
  std::string examples;
  std::function<void(po::options_description&)> add_options;  ///< may be empty
  int max_positionals = 0;                                    ///< -1: any number
  std::function<ExitCode(const Invocation&)> run;
};

/// Parses argv, runs the command of `table` it names, and turns every error into
/// one line on stderr and its exit code. The only place rotator catches errors.
int run_command_line(int argc, char** argv, const std::vector<CommandSpec>& table);

/// The closest command names to a typo, for "did you mean".
std::vector<std::string> suggest_commands(const std::string& typo, const std::vector<CommandSpec>& table);

/// The (at most two) candidates closest to a typo, best first.
std::vector<std::string> closest(const std::string& typo, const std::vector<std::string>& candidates);

}  // namespace rotator::cli
