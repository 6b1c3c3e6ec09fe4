#include "cli/command_table.h"

#include <algorithm>
#include <cstring>
#include <iostream>
#include <sstream>

#include "cli/help_text.h"
#include "kube/errors.h"
#include "util/errors.h"
#include "util/log.h"

namespace rotator::cli {
namespace {

/// The command table and how the binary was invoked ("rotator", or "kubectl
/// rotator" as a plugin), which help and hints use for the program's name.
struct Cli {
  const std::vector<CommandSpec>& table;
  std::string program;
};

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> previous(b.size() + 1), current(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) previous[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    current[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    }
    std::swap(previous, current);
  }
  return previous[b.size()];
}

void print_overview(std::ostream& out, const Cli& cli) {
  std::string text = cli.program +
                     ": keeps the signing keys and tokens of an InfluxDB Clustered-style "
                     "installation on Kubernetes, as idempotent, crash-safe steps that are safe to rerun.\n\n"
                     "Usage:\n  " +
                     cli.program + " COMMAND [flags]\n\nCommands:\n";
  for (const auto& command : cli.table) {
    text += wrap("  " + command.name + std::string(std::max<std::size_t>(2, 22 - command.name.size()), ' ') +
                     command.summary,
                 help_width, 22) +
            "\n";
  }
  std::ostringstream flags;
  flags << global_options_description();
  text += "\n" + flags.str() + "\n" +
          "Exit codes: 0 success (also \"nothing to do\"), 1 failure, 2 usage error, 3 another run holds the lock, "
          "4 not authenticated or not authorized, 5 refused to act on invalid existing data, 6 and 7 status found "
          "the installation degraded or broken, 130 and 143 stopped by SIGINT or SIGTERM (lock released).\n\n"
          "Run '" +
          cli.program + " COMMAND --help' for a command's flags and examples.\n";
  out << wrap(text);
}

void print_command_help(std::ostream& out, const Cli& cli, const CommandSpec& command) {
  std::string text =
      "Usage:\n  " + cli.program + " " + bind_option_groups(command.synopsis) + "\n\n" + command.summary + "\n";
  if (!command.details.empty()) text += "\n" + reflow(command.details) + "\n";
  std::ostringstream flags;
  if (command.add_options) {
    po::options_description own("Flags", help_width, help_width / 2);
    command.add_options(own);
    flags << "\n" << own;
  }
  flags << "\n" << global_options_description();
  text += flags.str();
  if (!command.examples.empty()) text += "\nExamples:\n" + name_program(command.examples, cli.program) + "\n";
  out << unbind_option_groups(wrap(text, help_width, 4));
}

/// "--flag" names a command and the global flags know, for "did you mean".
std::vector<std::string> flag_names(const po::options_description& options) {
  std::vector<std::string> names;
  for (const auto& option : options.options()) {
    const std::string name = option->long_name();
    if (!name.empty() && name != "positional") names.push_back("--" + name);
  }
  return names;
}

const CommandSpec* find_command(const std::string& name, const std::vector<CommandSpec>& table) {
  for (const auto& command : table) {
    if (command.name == name) return &command;
  }
  return nullptr;
}

bool is_command_group(const std::string& word, const std::vector<CommandSpec>& table) {
  for (const auto& command : table) {
    if (command.name.starts_with(word + " ")) return true;
  }
  return false;
}

// Finds the command word: the first argument that is neither a flag nor the value
// of a global flag written as two words ("--context prod status").
std::ptrdiff_t command_position(const std::vector<std::string>& args) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") return -1;
    if (arg.starts_with("-")) {
      if (arg.find('=') == std::string::npos && global_flag_takes_value(arg)) ++i;
      continue;
    }
    return static_cast<std::ptrdiff_t>(i);
  }
  return -1;
}

ExitCode dispatch(const std::vector<std::string>& args, const Cli& cli) {
  const auto& table = cli.table;
  if (!args.empty() && args.front() == "--version") {
    std::cout << cli.program << " " << ROTATOR_VERSION << "\n";
    return ExitCode::success;
  }
  const auto position = command_position(args);
  const bool wants_help =
      std::any_of(args.begin(), args.end(), [](const std::string& a) { return a == "--help" || a == "-h"; });
  if (position < 0) {
    if (wants_help) {
      print_overview(std::cout, cli);
      return ExitCode::success;
    }
    print_overview(std::cerr, cli);
    throw UsageError("no command given");
  }
  std::string name = args[std::size_t(position)];
  std::vector<std::string> rest(args.begin(), args.end());
  rest.erase(rest.begin() + position);
  // Command groups ("management create", "token list") are table entries whose
  // name is two words: take the second word when the pair names one.
  if (const auto sub = command_position(rest); sub >= 0 && is_command_group(name, table)) {
    const std::string pair = name + " " + rest[std::size_t(sub)];
    if (find_command(pair, table) != nullptr) {
      name = pair;
      rest.erase(rest.begin() + sub);
    }
  }

  if (name == "help") {
    const auto topic = command_position(rest);
    if (topic < 0) {
      print_overview(std::cout, cli);
      return ExitCode::success;
    }
    name = rest[std::size_t(topic)];
    if (const CommandSpec* command = find_command(name, table)) {
      print_command_help(std::cout, cli, *command);
      return ExitCode::success;
    }
  }

  const CommandSpec* command = find_command(name, table);
  if (command == nullptr && is_command_group(name, table)) {
    std::string subcommands;
    for (const auto& entry : table) {
      if (entry.name.starts_with(name + " ")) {
        subcommands += (subcommands.empty() ? "" : ", ") + entry.name.substr(name.size() + 1);
      }
    }
    if (wants_help) {
      std::cout << "Usage: " << cli.program << " " << name << " SUBCOMMAND [flags]\n\nSubcommands:\n";
      for (const auto& entry : table) {
        if (entry.name.starts_with(name + " "))
          std::cout << "  " << entry.synopsis << "\n      " << entry.summary << "\n";
      }
      std::cout << "\nRun '" << cli.program << " " << name << " SUBCOMMAND --help' for its flags and examples.\n";
      return ExitCode::success;
    }
    throw UsageError("\"" + name + "\" needs a subcommand: " + subcommands);
  }
  if (command == nullptr) {
    std::string message = "unknown command \"" + name + "\"";
    const auto suggestions = suggest_commands(name, table);
    if (!suggestions.empty()) {
      message += "; did you mean";
      for (std::size_t i = 0; i < suggestions.size(); ++i) {
        message += (i == 0 ? " " : " or ") + suggestions[i];
      }
      message += "?";
    }
    throw UsageError(message + " (see '" + cli.program + " --help')");
  }
  if (wants_help) {
    print_command_help(std::cout, cli, *command);
    return ExitCode::success;
  }

  po::options_description all;
  all.add(global_options_description());
  if (command->add_options) {
    po::options_description own;
    command->add_options(own);
    all.add(own);
  }
  po::options_description hidden;
  hidden.add_options()("positional", po::value<std::vector<std::string>>());
  all.add(hidden);
  po::positional_options_description positional;
  positional.add("positional", -1);

  Invocation invocation;
  invocation.args = args;
  invocation.program = cli.program;
  try {
    po::store(po::command_line_parser(rest).options(all).positional(positional).run(), invocation.options);
    po::notify(invocation.options);
  } catch (const po::unknown_option& e) {
    std::string message = e.what();
    const auto suggestions = closest(e.get_option_name(), flag_names(all));
    if (!suggestions.empty()) message += "; did you mean " + suggestions.front() + "?";
    throw UsageError(message + " (see '" + cli.program + " " + command->name + " --help')");
  } catch (const po::error& e) {
    throw UsageError(std::string(e.what()) + " (see '" + cli.program + " " + command->name + " --help')");
  }
  if (invocation.options.count("positional")) {
    invocation.positionals = invocation.options["positional"].as<std::vector<std::string>>();
  }
  if (command->max_positionals >= 0 && invocation.positionals.size() > std::size_t(command->max_positionals)) {
    throw UsageError("unexpected argument \"" + invocation.positionals[std::size_t(command->max_positionals)] +
                     "\" (see '" + cli.program + " " + command->name + " --help')");
  }
  invocation.globals = global_options_from(invocation.options);
  log::configure(invocation.globals.log_format, invocation.globals.log_level);
  return command->run(invocation);
}

// The one line a failed run ends with: kubectl's "error: ..." shape on a terminal,
// a JSON log line for Jobs.
void report_error(const std::string& message) {
  if (log::current_format() == log::Format::json) {
    log::error(message);
  } else {
    std::cerr << "rotator: error: " << message << std::endl;
  }
}

}  // namespace

std::vector<std::string> closest(const std::string& typo, const std::vector<std::string>& candidates) {
  std::vector<std::pair<std::size_t, std::string>> scored;
  for (const auto& name : candidates) {
    const std::size_t distance = edit_distance(typo, name);
    const bool prefix = name.starts_with(typo) && typo.size() >= 3;
    if (distance <= std::max<std::size_t>(2, typo.size() / 3) || prefix)
      scored.emplace_back(prefix ? 0 : distance, name);
  }
  std::sort(scored.begin(), scored.end());
  std::vector<std::string> names;
  for (std::size_t i = 0; i < scored.size() && i < 2; ++i) names.push_back(scored[i].second);
  return names;
}

std::vector<std::string> suggest_commands(const std::string& typo, const std::vector<CommandSpec>& table) {
  std::vector<std::string> names;
  for (const auto& command : table) names.push_back(command.name);
  return closest(typo, names);
}

int run_command_line(int argc, char** argv, const std::vector<CommandSpec>& table) {
  log::configure(log::Format::text, log::Level::info);
  std::vector<std::string> args(argv + 1, argv + argc);
  const Cli cli{table, program_name(argc > 0 ? argv[0] : nullptr)};
  try {
    return static_cast<int>(dispatch(args, cli));
  } catch (const kube::ApiError& e) {
    std::string hint;
    if (e.reason() == kube::Reason::unauthorized) {
      hint = " (the API server did not accept the credentials; check the context's token or certificate)";
    }
    report_error(std::string(e.what()) + hint);
    return static_cast<int>(e.exit_code());
  } catch (const Error& e) {
    report_error(e.what());
    return static_cast<int>(e.exit_code());
  } catch (const std::exception& e) {
    report_error(std::string("internal error: ") + e.what());
    return static_cast<int>(ExitCode::failure);
  }
}

}  // namespace rotator::cli
