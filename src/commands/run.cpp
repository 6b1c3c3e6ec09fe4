#include <fstream>
#include <sstream>

#include "commands/commands.h"
#include "commands/multi_namespace.h"
#include "commands/session.h"
#include "commands/step_commands.h"
#include "runner/job_file.h"
#include "util/errors.h"
#include "util/log.h"

namespace rotator::commands {
namespace {

// Writing commands outside the step table that a job file may list too: they are
// idempotent and crash-safe like the steps, and run as their command runs.
const char* const job_commands[] = {"management renew"};

const cli::CommandSpec* find_job_command(const std::string& name) {
  for (const char* allowed : job_commands) {
    if (name != allowed) continue;
    for (const auto& command : cli::command_table()) {
      if (command.name == name) return &command;
    }
  }
  return nullptr;
}

struct ValidatedStep {
  const StepSpec* spec = nullptr;             ///< a step, sharing the run's client
  const cli::CommandSpec* command = nullptr;  ///< or a job command, run as on the command line
  po::variables_map options;
  std::string label;
};

std::vector<ValidatedStep> validate(const runner::JobFile& job, const std::string& source) {
  std::vector<ValidatedStep> validated;
  for (std::size_t i = 0; i < job.steps.size(); ++i) {
    const auto& entry = job.steps[i];
    const std::string label = "steps[" + std::to_string(i) + "] (" + entry.step + ")";
    const StepSpec* spec = find_step(entry.step);
    const cli::CommandSpec* command = spec ? nullptr : find_job_command(entry.step);
    if (spec == nullptr && command == nullptr) {
      std::string known;
      for (const auto& step : step_table()) known += (known.empty() ? "" : ", ") + step.name;
      for (const char* name : job_commands) known += std::string(", ") + name;
      throw UsageError("job file " + source + ": " + label + ": unknown step; steps are " + known);
    }
    po::options_description description;
    (spec ? spec->add_options : command->add_options)(description);
    ValidatedStep step{spec, command, {}, label};
    try {
      po::store(po::command_line_parser(entry.arguments).options(description).run(), step.options);
      po::notify(step.options);
      if (spec) spec->validate(step.options);
    } catch (const po::error& e) {
      throw UsageError("job file " + source + ": " + label + ": " + e.what());
    } catch (const UsageError& e) {
      throw UsageError("job file " + source + ": " + label + ": " + e.what());
    }
    validated.push_back(std::move(step));
  }
  return validated;
}

ExitCode run_job(const cli::Invocation& invocation) {
  if (invocation.positionals.size() != 1) throw UsageError("run needs exactly one JOBFILE (see 'rotator run --help')");
  const std::string& path = invocation.positionals[0];
  std::ifstream in(path);
  if (!in) throw UsageError("cannot read job file " + path);
  std::stringstream text;
  text << in.rdbuf();
  const auto job = runner::parse_job_file(text.str(), path);
  const auto steps = validate(job, path);  // the whole file, before anything runs
  const auto selection = namespace_selection_from(invocation.options, invocation.globals);

  auto client = connect(invocation.globals);
  auto run_steps = [&](steps::StepContext& context) {
    log::info("running job file", {{"job", job.name}, {"steps", std::to_string(steps.size())},
                                    {"namespace", context.namespace_}});
    for (const auto& step : steps) {
      log::debug("step", {{"step", step.label}});
      if (step.spec) {
        execute_step(*step.spec, context, step.options);
      } else {
        cli::GlobalOptions globals = invocation.globals;
        globals.connection.namespace_ = context.namespace_;
        const ExitCode code = step.command->run({globals, step.options, {}});
        if (code != ExitCode::success) {
          throw Error("job file " + path + ": " + step.label + " failed", code);
        }
      }
    }
  };
  ExitCode code = ExitCode::success;
  if (selection) {
    code = run_in_namespaces(*client, invocation.globals, *selection, run_steps);
  } else {
    auto context = make_step_context(*client, invocation.globals);
    run_steps(context);
  }
  report_stats(invocation.globals, *client);
  return code;
}

}  // namespace

cli::CommandSpec run_command() {
  return {
      .name = "run",
      .synopsis = "run JOBFILE",
      .summary = "run the steps of a job file, in order (jobs/bootstrap.yaml, rotate.yaml, ...)",
      .details = "The whole file is checked first: an unknown step or flag, or a bad value, is a\n"
                 "usage error (exit 2) before anything runs. Steps share the run's global flags\n"
                 "(-n, --dry-run, ...); each takes the lock only when it writes.\n\n"
                 "Job file format:\n"
                 "  apiVersion: rotator.io/v1\n  kind: JobFile\n  metadata: {name: bootstrap}\n  steps:\n"
                 "    - step: key-gen\n    - step: create-admin-token\n      with: {ttl: \"0\"}",
      .examples = "  rotator run jobs/bootstrap.yaml -n influxdb\n"
                  "  rotator run jobs/bootstrap.yaml --namespaces team-a,team-b --concurrency 4\n  rotator run /etc/rotator/jobs/rotate.yaml --dry-run",
      .add_options = add_namespace_selection_options,
      .max_positionals = 1,
      .run = run_job,
  };
}

}  // namespace rotator::commands
