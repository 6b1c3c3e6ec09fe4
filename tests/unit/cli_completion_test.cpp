// The completion script generated from the real command table, loaded into a
// real bash, asked what it completes for typed words (COMP_WORDS/COMP_CWORD set
// as bash sets them, then the completion function called directly).

#include <filesystem>
#include <fstream>
#include <sstream>

#include <catch2/catch.hpp>

#include "cli/command_table.h"
#include "cli/completion.h"
#include "commands/commands.h"
#include "test_support.h"
#include "util/subprocess.h"

using namespace rotator;

namespace {

class ScriptFile {
 public:
  explicit ScriptFile(const std::string& text) {
    dir_.write("completion-script.bash", text);
    // A file for file-name completion to find.
    dir_.write("rotate-job.yaml", "steps: []\n");
  }
  std::filesystem::path script() const { return dir_.path() / "completion-script.bash"; }
  std::filesystem::path dir() const { return dir_.path(); }

 private:
  testing::ScratchDir dir_;
};

const ScriptFile& bash_script() {
  static const ScriptFile file(
      cli::completion_script(cli::Shell::bash, commands::command_table(), cli::global_options_description()));
  return file;
}

// What completing the last of `words` offers, one candidate per element; `words`
// are COMP_WORDS as bash splits them (its COMP_WORDBREAKS split "--a=b" into
// "--a", "=", "b").
std::vector<std::string> complete(const std::vector<std::string>& words) {
  std::vector<std::string> argv = {
      "bash",
      "--norc",
      "--noprofile",
      "-c",
      "cd \"$2\" && source \"$1\" && shift 2 && COMP_WORDS=(\"$@\") && COMP_CWORD=$(($# - 1)) && "
      "__rotator_complete && printf '%s\\n' \"${COMPREPLY[@]}\"",
      "bash",
      bash_script().script().string(),
      bash_script().dir().string()};
  argv.insert(argv.end(), words.begin(), words.end());
  const auto result =
      util::run_process(argv, {}, std::chrono::seconds(30), util::ChildStdin::null, util::ChildStderr::inherit);
  REQUIRE(result.exit_code == 0);
  std::vector<std::string> lines;
  std::istringstream out(result.stdout_text);
  for (std::string line; std::getline(out, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

bool has(const std::vector<std::string>& candidates, const std::string& word) {
  return std::find(candidates.begin(), candidates.end(), word) != candidates.end();
}

}  // namespace

TEST_CASE("completion: command words complete from a prefix", "[completion]") {
  CHECK(complete({"rotator", "rev"}) == std::vector<std::string>{"revoke-and-rotate"});
  const auto all = complete({"rotator", ""});
  for (const char* command : {"key-gen", "create-admin-token", "revoke-and-rotate", "run", "status", "verify",
                              "export-admin-token", "management", "token", "version", "completion", "help"}) {
    INFO(command);
    CHECK(has(all, command));
  }
  CHECK_FALSE(has(all, "management create"));  // groups complete one word at a time
  CHECK(complete({"kubectl-rotator", "sta"}) == std::vector<std::string>{"status"});
}

TEST_CASE("completion: subcommands of a group", "[completion]") {
  const auto subs = complete({"rotator", "management", ""});
  CHECK(subs == std::vector<std::string>{"create", "list", "revoke", "renew"});
  CHECK(complete({"rotator", "token", "g"}) == std::vector<std::string>{"get"});
  // Global flags before the command, with their values, do not confuse it.
  CHECK(complete({"rotator", "-n", "influxdb", "--context", "prod", "management", "re"}) ==
        std::vector<std::string>{"revoke", "renew"});
}

TEST_CASE("completion: a command's own flags and the global flags", "[completion]") {
  const auto flags = complete({"rotator", "revoke-and-rotate", "--"});
  for (const char* flag : {"--restart", "--rotation-id", "--grace", "--fresh", "--if-older-than", "--namespace",
                           "--kubeconfig", "--dry-run", "--log-format"}) {
    INFO(flag);
    CHECK(has(flags, flag));
  }
  CHECK_FALSE(has(flags, "--rsa-bits"));  // key-gen's, not this command's
  CHECK(complete({"rotator", "key-gen", "--rsa"}) == std::vector<std::string>{"--rsa-bits"});
  CHECK(has(complete({"rotator", "management", "create", "--exp"}), "--expires-at"));
  CHECK(complete({"rotator", "--dry"}) == std::vector<std::string>{"--dry-run"});
}

TEST_CASE("completion: values of flags with a fixed set, in every spelling", "[completion]") {
  CHECK(complete({"rotator", "revoke-and-rotate", "--restart", ""}) ==
        std::vector<std::string>{"rollout", "delete-pods", "none"});
  CHECK(complete({"rotator", "revoke-and-rotate", "--restart", "de"}) == std::vector<std::string>{"delete-pods"});
  CHECK(complete({"rotator", "status", "-o", ""}) == std::vector<std::string>{"table", "json", "yaml", "prometheus"});
  CHECK(complete({"rotator", "status", "--output", "=", "j"}) == std::vector<std::string>{"json"});
  CHECK(complete({"rotator", "status", "--output", "="}) ==
        std::vector<std::string>{"table", "json", "yaml", "prometheus"});
  CHECK(complete({"rotator", "--log-format", "j"}) == std::vector<std::string>{"json"});
  CHECK(complete({"rotator", "key-gen", "--algorithm", ""}) == std::vector<std::string>{"RS256", "ES256", "EdDSA"});
  // A free value (a name, a duration) completes to nothing rather than to flags.
  CHECK(complete({"rotator", "revoke-and-rotate", "--grace", ""}).empty());
  // After a flag's value, flags again.
  CHECK(has(complete({"rotator", "revoke-and-rotate", "--restart", "none", "--"}), "--grace"));
}

TEST_CASE("completion: positionals: file names for run, shells for completion", "[completion]") {
  CHECK(complete({"rotator", "run", "rot"}) == std::vector<std::string>{"rotate-job.yaml"});
  CHECK(complete({"rotator", "--kubeconfig", "rot"}) == std::vector<std::string>{"rotate-job.yaml"});
  CHECK(complete({"rotator", "completion", ""}) == std::vector<std::string>{"bash", "zsh", "contexts"});
  CHECK(complete({"rotator", "help", "ver"}) == std::vector<std::string>{"verify", "version"});
}

TEST_CASE("completion: --context takes one kubeconfig context name, --contexts a comma-separated list",
          "[completion]") {
  const auto kind = [](const std::string& command, const std::string& flag) {
    const auto result =
        util::run_process({"bash", "--norc", "--noprofile", "-c", "source \"$1\" && __rotator_value_kind \"$2\" \"$3\"",
                           "bash", bash_script().script().string(), command, flag},
                          {}, std::chrono::seconds(30), util::ChildStdin::null, util::ChildStderr::inherit);
    REQUIRE(result.exit_code == 0);
    return result.stdout_text;
  };
  CHECK(kind("", "--context") == "contexts");
  CHECK(kind("status", "--context") == "contexts");
  CHECK(kind("revoke-and-rotate", "--contexts") == "context-list");
  CHECK(kind("status", "--contexts") == "context-list");
  CHECK(kind("status", "--all-contexts") == "none");
  CHECK(kind("status", "--namespace") == "any");
}

TEST_CASE("completion: the script loads in bash and registers both program names", "[completion]") {
  const auto result = util::run_process(
      {"bash", "--norc", "--noprofile", "-c", "source \"$1\" 2>&1 && complete -p rotator kubectl-rotator", "bash",
       bash_script().script().string()},
      {}, std::chrono::seconds(30), util::ChildStdin::null, util::ChildStderr::inherit);
  CHECK(result.exit_code == 0);
  CHECK(result.stdout_text ==
        "complete -F __rotator_complete rotator\ncomplete -F __rotator_complete kubectl-rotator\n");
}
