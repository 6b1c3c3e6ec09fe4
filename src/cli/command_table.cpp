#include "cli/command_table.h"

#include <algorithm>
#include <iostream>
#include <sstream>

#include "kube/errors.h"
#include "util/errors.h"
#include "util/log.h"

namespace rotator::cli {
namespace {

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> previous(b.size() + 1), current(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) previous[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    current[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1,
                             previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    }
    std::swap(previous, current);
  }
  return previous[b.size()];
}

void print_overview(std::ostream& out, const std::vector<CommandSpec>& table) {
  out << "rotator: keeps the signing keys and tokens of an InfluxDB Clustered-style installation\n"
         "on Kubernetes, as idempotent, crash-safe steps that are safe to rerun.\n\n"
         "Usage: rotator COMMAND [flags]\n\nCommands:\n";
  for (const auto& command : table) {
    out << "  " << command.name << std::string(std::max<std::size_t>(2, 22 - command.name.size()), ' ')
        << command.summary << "\n";
  }
  out << "\n" << global_options_description() << "\n"
      << "Exit codes: 0 success (also \"nothing to do\"), 1 failure, 2 usage error,\n"
         "3 another run holds the lock, 4 not authenticated or not authorized,\n"
         "5 refused to act on invalid existing data (--force overrides).\n\n"
         "Run 'rotator COMMAND --help' for a command's flags and examples.\n";
}

void print_command_help(std::ostream& out, const CommandSpec& command) {
  out << "Usage: rotator " << command.synopsis << "\n\n" << command.summary << "\n";
  if (!command.details.empty()) out << "\n" << command.details << "\n";
  if (command.add_options) {
    po::options_description own("Flags");
    command.add_options(own);
    out << "\n" << own;
  }
  out << "\n" << global_options_description();
  if (!command.examples.empty()) out << "\nExamples:\n" << command.examples << "\n";
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

ExitCode dispatch(const std::vector<std::string>& args, const std::vector<CommandSpec>& table) {
  const auto position = command_position(args);
  const bool wants_help = std::any_of(args.begin(), args.end(),
                                      [](const std::string& a) { return a == "--help" || a == "-h"; });
  if (position < 0) {
    if (wants_help) {
      print_overview(std::cout, table);
      return ExitCode::success;
    }
    print_overview(std::cerr, table);
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
      print_overview(std::cout, table);
      return ExitCode::success;
    }
    name = rest[std::size_t(topic)];
    if (const CommandSpec* command = find_command(name, table)) {
      print_command_help(std::cout, *command);
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
      std::cout << "Usage: rotator " << name << " SUBCOMMAND [flags]\n\nSubcommands:\n";
      for (const auto& entry : table) {
        if (entry.name.starts_with(name + " ")) std::cout << "  " << entry.synopsis << "\n      " << entry.summary << "\n";
      }
      std::cout << "\nRun 'rotator " << name << " SUBCOMMAND --help' for its flags and examples.\n";
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
    throw UsageError(message + " (see 'rotator --help')");
  }
  if (wants_help) {
    print_command_help(std::cout, *command);
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
  try {
    po::store(po::command_line_parser(rest).options(all).positional(positional).run(),
              invocation.options);
    po::notify(invocation.options);
  } catch (const po::error& e) {
    throw UsageError(std::string(e.what()) + " (see 'rotator " + command->name + " --help')");
  }
  if (invocation.options.count("positional")) {
    invocation.positionals = invocation.options["positional"].as<std::vector<std::string>>();
  }
  if (command->max_positionals >= 0 &&
      invocation.positionals.size() > std::size_t(command->max_positionals)) {
    throw UsageError("unexpected argument \"" + invocation.positionals[std::size_t(command->max_positionals)] +
                     "\" (see 'rotator " + command->name + " --help')");
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

std::vector<std::string> suggest_commands(const std::string& typo, const std::vector<CommandSpec>& table) {
  std::vector<std::pair<std::size_t, std::string>> scored;
  for (const auto& command : table) {
    const std::size_t distance = edit_distance(typo, command.name);
    const bool prefix = command.name.starts_with(typo) && typo.size() >= 3;
    if (distance <= std::max<std::size_t>(2, typo.size() / 3) || prefix) {
      scored.emplace_back(prefix ? 0 : distance, command.name);
    }
  }
  std::sort(scored.begin(), scored.end());
  std::vector<std::string> names;
  for (std::size_t i = 0; i < scored.size() && i < 2; ++i) names.push_back(scored[i].second);
  return names;
}

int run_command_line(int argc, char** argv, const std::vector<CommandSpec>& table) {
  log::configure(log::Format::text, log::Level::info);
  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    return static_cast<int>(dispatch(args, table));
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
