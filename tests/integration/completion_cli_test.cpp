// `rotator completion bash|zsh` as the binary prints it: the script bash loads,
// and a usage error for anything else. Needs no cluster.

#include <filesystem>

#include <catch2/catch.hpp>

#include "cli/command_table.h"
#include "cli/completion.h"
#include "cluster_fixture.h"
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

TEST_CASE("completion: --context and --contexts complete with the names of the kubeconfig typed or in KUBECONFIG",
          "[completion]") {
  const testing::TempDir dir;
  const auto kubeconfig_with = [&](const std::string& file, const std::vector<std::string>& names) {
    std::string text =
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: \"https://127.0.0.1:1\"}\n"
        "users:\n- name: u\n  user: {token: not-a-real-token}\ncontexts:\n";
    for (const auto& name : names) text += "- name: " + name + "\n  context: {cluster: c, user: u}\n";
    return dir.write(file, text).string();
  };
  const std::string fleet = kubeconfig_with("fleet", {"west", "east", "prod-eu"});
  const std::string other = kubeconfig_with("other", {"lab"});

  // What the script asks the binary for: the names, sorted, one per line; no cluster is contacted
  // (the server above does not exist).
  const auto listed = run_binary(ROTATOR_BINARY, {"completion", "contexts", "--kubeconfig", fleet});
  CHECK(listed.exit_code == 0);
  CHECK(listed.stdout_text == "east\nprod-eu\nwest\n");
  CHECK(run_binary(ROTATOR_BINARY, {"completion", "contexts", "--kubeconfig", (dir.path() / "missing").string()})
            .exit_code != 0);

  // The script, loaded from the binary, completing words as bash splits them.
  const auto complete = [&](const std::vector<std::string>& words,
                            const std::vector<std::pair<std::string, std::string>>& env = {}) {
    std::vector<std::string> argv = {
        "bash",
        "--norc",
        "--noprofile",
        "-c",
        "source <(\"$1\" completion bash) || exit 1; shift; COMP_WORDS=(\"$@\"); COMP_CWORD=$(($# - 1)); "
        "__rotator_complete; echo \"${COMPREPLY[*]}\"",
        "bash",
        ROTATOR_BINARY,
        ROTATOR_BINARY};
    argv.insert(argv.end(), words.begin(), words.end());
    const auto result =
        util::run_process(argv, env, std::chrono::seconds(30), util::ChildStdin::null, util::ChildStderr::inherit);
    REQUIRE(result.exit_code == 0);
    return result.stdout_text;
  };
  CHECK(complete({"--kubeconfig", fleet, "status", "--context", ""}) == "east prod-eu west\n");
  CHECK(complete({"--kubeconfig", "=", fleet, "status", "--context", "p"}) == "prod-eu\n");
  CHECK(complete({"status", "--context", ""}, {{"KUBECONFIG", other}}) == "lab\n");
  // The flag on the line wins over KUBECONFIG, as for kubectl.
  CHECK(complete({"--kubeconfig", fleet, "status", "--context", "e"}, {{"KUBECONFIG", other}}) == "east\n");
  // --contexts: the name after the last comma, the names before it kept and not offered again.
  CHECK(complete({"--kubeconfig", fleet, "run", "x.yaml", "--contexts", ""}) == "east prod-eu west\n");
  CHECK(complete({"--kubeconfig", fleet, "run", "x.yaml", "--contexts", "west,"}) == "west,east west,prod-eu\n");
  CHECK(complete({"--kubeconfig", fleet, "status", "--contexts", "west,east,p"}) == "west,east,prod-eu\n");
  // --kubeconfig=PATH as one word (zsh passes it so, and bash when "=" is no word break).
  CHECK(complete({"--kubeconfig=" + fleet, "status", "--context", "w"}, {{"KUBECONFIG", other}}) == "west\n");

  // Names are matched as text, never expanded: a kubeconfig handed around may hold any name.
  const std::string planted = (dir.path() / "planted").string();
  const std::string odd = kubeconfig_with(
      "odd", {"'$(touch " + planted + ")'", "'`touch " + planted + "`'",
              "'arn:aws:eks:us-east-1:123456789012:cluster/prod'", "'arn:aws:eks:us-east-1:123456789012:cluster/dev'"});
  CHECK(complete({"--kubeconfig", odd, "status", "--context", ""}) ==
        "$(touch " + planted + ") `touch " + planted +
            "` arn:aws:eks:us-east-1:123456789012:cluster/dev arn:aws:eks:us-east-1:123456789012:cluster/prod\n");
  CHECK_FALSE(std::filesystem::exists(planted));
  // bash splits words at ':' too (an EKS context is an ARN): the parts are joined back, and the
  // candidates lose what is already on the line up to the last ':'.
  CHECK(complete({"--kubeconfig", odd, "status", "--context", "arn", ":", "aws"}) ==
        "aws:eks:us-east-1:123456789012:cluster/dev aws:eks:us-east-1:123456789012:cluster/prod\n");
  CHECK(complete({"--kubeconfig", odd, "status", "--contexts", "arn", ":", "aws", ":", "eks", ":", "us-east-1", ":",
                  "123456789012", ":", "cluster/p"}) == "cluster/prod\n");
  // A split name earlier on the line is still one value: the command after it is found.
  CHECK(complete({"--kubeconfig", odd, "--context", "arn", ":", "aws", ":", "eks", ":", "us-east-1", ":",
                  "123456789012", ":", "cluster/prod", "revoke-and-rotate", "--res"}) == "--restart\n");

  // No kubeconfig: nothing offered, and nothing printed over the command line.
  CHECK(complete({"--kubeconfig", (dir.path() / "missing").string(), "status", "--context", ""}) == "\n");
}
