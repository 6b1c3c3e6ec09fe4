// `rotator completion bash|zsh` as the binary prints it: the script bash loads,
// and a usage error for anything else. Needs no cluster.

#include <filesystem>

#include <catch2/catch.hpp>

#include "cli/command_table.h"
#include "cli/completion.h"
#include "commands/commands.h"
#include "util/subprocess.h"

using namespace rotator;

namespace {

util::ProcessResult run_binary(const std::string& binary, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {binary};
  argv.insert(argv.end(), args.begin(), args.end());
  return util::run_process(argv, {}, std::chrono::seconds(30), util::ChildStdin::null, util::ChildStderr::discard);
}

}  // namespace

TEST_CASE("completion: rotator completion bash prints the script bash loads and completes with", "[completion]") {
  const auto printed = run_binary(ROTATOR_BINARY, {"completion", "bash"});
  REQUIRE(printed.exit_code == 0);
  CHECK(printed.stdout_text ==
        cli::completion_script(cli::Shell::bash, commands::command_table(), cli::global_options_description()));
  // Loaded from the process substitution the README shows, then asked.
  const auto completed = util::run_process(
      {"bash", "--norc", "--noprofile", "-c",
       "source <(\"$1\" completion bash) 2>&1 || exit 1; complete -p rotator >/dev/null || exit 1; "
       "COMP_WORDS=(rotator revoke-and-rotate --res); COMP_CWORD=2; __rotator_complete; echo \"${COMPREPLY[*]}\"",
       "bash", ROTATOR_BINARY},
      {}, std::chrono::seconds(30), util::ChildStdin::null, util::ChildStderr::inherit);
  CHECK(completed.exit_code == 0);
  CHECK(completed.stdout_text == "--restart\n");
}

TEST_CASE("completion: the kubectl plugin name prints the zsh script too, other shells are a usage error",
          "[completion]") {
  const auto plugin = std::filesystem::path(ROTATOR_BINARY).parent_path() / "kubectl-rotator";
  const auto via_plugin = run_binary(plugin.string(), {"completion", "zsh"});
  CHECK(via_plugin.exit_code == 0);
  CHECK(via_plugin.stdout_text.starts_with("#compdef rotator kubectl-rotator\n"));
  CHECK(run_binary(ROTATOR_BINARY, {"completion", "fish"}).exit_code == 2);
  CHECK(run_binary(ROTATOR_BINARY, {"completion"}).exit_code == 2);
}

TEST_CASE("completion: zsh loads the script through bashcompinit and completes with the same functions",
          "[completion]") {
  // As an interactive zsh would: compinit, then the script. zsh's compgen
  // emulation leaves filtering by the typed prefix to zsh itself, so the function
  // offers every candidate of the position and zsh narrows them.
  const auto result = util::run_process(
      {"zsh", "-f", "-c",
       "autoload -U compinit && compinit -u -D || exit 1\n"
       "source <(\"$1\" completion zsh) || exit 1\n"
       "complete -p | sort\n"
       "emulate sh -c 'COMP_WORDS=(rotator rev); COMP_CWORD=1; __rotator_complete; echo \"top: ${COMPREPLY[*]}\"'\n"
       "emulate sh -c 'COMP_WORDS=(rotator revoke-and-rotate --restart \"\"); COMP_CWORD=3; __rotator_complete; "
       "echo \"restart: ${COMPREPLY[*]}\"'\n",
       "zsh", ROTATOR_BINARY},
      {}, std::chrono::seconds(30), util::ChildStdin::null, util::ChildStderr::inherit);
  INFO(result.stdout_text);
  CHECK(result.exit_code == 0);
  CHECK(result.stdout_text.find("complete -F __rotator_complete kubectl-rotator\n"
                                "complete -F __rotator_complete rotator\n") == 0);
  CHECK(result.stdout_text.find(" revoke-and-rotate ") != std::string::npos);
  CHECK(result.stdout_text.find("restart: rollout delete-pods none\n") != std::string::npos);
}
