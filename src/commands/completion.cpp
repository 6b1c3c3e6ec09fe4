#include <iostream>

#include "cli/completion.h"
#include "commands/commands.h"
#include "kube/connection_config.h"
#include "util/errors.h"

namespace rotator::commands {

cli::CommandSpec completion_command() {
  return {
      .name = "completion",
      .synopsis = "completion bash|zsh|contexts",
      .summary = "print a shell completion script for rotator and kubectl-rotator",
      .details =
          "Completes commands, subcommands, flags, and the values of flags that take one of\n"
          "a fixed set (--restart, -o, --log-format, ...). Generated from the command\n"
          "table, so it always matches this binary. Needs no cluster.\n"
          "\n"
          "--context and --contexts complete with the kubeconfig's context names (the last\n"
          "--kubeconfig on the line, else $KUBECONFIG or ~/.kube/config), which the script\n"
          "asks for with `rotator completion contexts`: one name per line, read from the\n"
          "kubeconfig only, no request to any cluster. Names are matched as plain text.",
      .examples =
          "  source <(rotator completion bash)                 # this shell\n"
          "  rotator completion bash > /etc/bash_completion.d/rotator\n"
          "  source <(rotator completion zsh)                  # zsh, after compinit\n"
          "  rotator completion contexts --kubeconfig ~/.kube/fleet   # what --context completes with",
      .add_options = {},
      .max_positionals = 1,
      .run =
          [](const cli::Invocation& invocation) {
            if (invocation.positionals.empty()) throw UsageError("completion needs a shell: bash or zsh");
            const std::string& what = invocation.positionals.front();
            if (what == "contexts") {
              for (const auto& name : kube::kubeconfig_context_names(invocation.globals.connection)) {
                std::cout << name << '\n';
              }
              return ExitCode::success;
            }
            if (what != "bash" && what != "zsh") {
              throw UsageError("completion takes bash, zsh or contexts, not \"" + what + "\"");
            }
            const cli::Shell chosen = what == "bash" ? cli::Shell::bash : cli::Shell::zsh;
            std::cout << cli::completion_script(chosen, command_table(), cli::global_options_description());
            return ExitCode::success;
          },
  };
}

}  // namespace rotator::commands
