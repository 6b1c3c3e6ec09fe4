#include <iostream>

#include "cli/completion.h"
#include "commands/commands.h"
#include "util/errors.h"

namespace rotator::commands {

cli::CommandSpec completion_command() {
  return {
      .name = "completion",
      .synopsis = "completion bash|zsh",
      .summary = "print a shell completion script for rotator and kubectl-rotator",
      .details =
          "Completes commands, subcommands, flags, and the values of flags that take one of\n"
          "a fixed set (--restart, -o, --log-format, ...). Generated from the command\n"
          "table, so it always matches this binary. Needs no cluster.",
      .examples =
          "  source <(rotator completion bash)                 # this shell\n"
          "  rotator completion bash > /etc/bash_completion.d/rotator\n"
          "  source <(rotator completion zsh)                  # zsh, after compinit",
      .add_options = {},
      .max_positionals = 1,
      .run =
          [](const cli::Invocation& invocation) {
            if (invocation.positionals.empty()) throw UsageError("completion needs a shell: bash or zsh");
            const std::string& shell = invocation.positionals.front();
            cli::Shell chosen;
            if (shell == "bash")
              chosen = cli::Shell::bash;
            else if (shell == "zsh")
              chosen = cli::Shell::zsh;
            else
              throw UsageError("completion supports bash and zsh, not \"" + shell + "\"");
            std::cout << cli::completion_script(chosen, command_table(), cli::global_options_description());
            return ExitCode::success;
          },
  };
}

}  // namespace rotator::commands
