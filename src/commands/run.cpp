#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "commands/commands.h"
#include "commands/session.h"
#include "commands/step_table.h"
#include "formats/job_file.h"
#include "util/errors.h"

namespace rotator::commands {
namespace {

std::string read_job_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw UsageError("cannot read job file " + path + ": " + std::strerror(errno));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

/// Binds every step of the file, so a bad step or flag anywhere is an error (exit
/// 2) before anything connects.
frame::Plan bind_job(const formats::JobFile& job, const std::string& source) {
  frame::Plan plan;
  plan.command = "run " + job.name;
  plan.job = job.name;
  for (std::size_t i = 0; i < job.steps.size(); ++i) {
    const auto& entry = job.steps[i];
    const std::string label = "steps[" + std::to_string(i) + "] (" + entry.step + ")";
    const StepKind* kind = find_step_kind(entry.step);
    if (kind == nullptr) {
      std::string known;
      for (const auto& step : step_table()) known += (known.empty() ? "" : ", ") + step.name;
      throw UsageError("job file " + source + ": " + label + ": unknown step; steps are " + known);
    }
    cli::po::options_description description;
    kind->add_options(description);
    cli::po::variables_map options;
    try {
      cli::po::store(cli::po::command_line_parser(entry.arguments).options(description).run(), options);
      cli::po::notify(options);
      plan.steps.push_back(kind->bind(options));
    } catch (const cli::po::error& e) {
      throw UsageError("job file " + source + ": " + label + ": " + e.what());
    } catch (const UsageError& e) {
      throw UsageError("job file " + source + ": " + label + ": " + e.what());
    }
    if (kind->rotation_id && plan.rotation_id.empty()) plan.rotation_id = kind->rotation_id(*plan.steps.back());
  }
  return plan;
}

ExitCode run_job(const cli::Invocation& invocation) {
  if (invocation.positionals.size() != 1) throw UsageError("run needs exactly one JOBFILE (see 'rotator run --help')");
  const std::string& path = invocation.positionals[0];
  const auto job = formats::parse_job_file(read_job_file(path), path);
  frame::Plan plan = bind_job(job, path);
  const auto selection = namespace_selection_from(invocation.options, invocation.globals);
  plan.resume_command = [&invocation](const std::string& cluster, const std::string& ns) {
    return rerun_command(invocation, cluster, ns);
  };
  return execute_plan(invocation, plan, selection, contexts_from(invocation.options, invocation.globals));
}

}  // namespace

cli::CommandSpec run_command() {
  return {
      .name = "run",
      .synopsis = "run JOBFILE",
      .summary = "run the steps of a job file, in order (jobs/bootstrap.yaml, rotate.yaml, ...)",
      .details =
          "The whole file is checked first: an unknown step or flag, or a bad value, is a\n"
          "usage error (exit 2) before anything connects. Steps share the run's global flags\n"
          "(-n, --dry-run, ...) and one lock per namespace, taken at the first write and\n"
          "held until the last step is done.\n\n"
          "Job file format:\n"
          "  apiVersion: rotator.io/v1\n  kind: JobFile\n  metadata: {name: bootstrap}\n  steps:\n"
          "    - step: key-gen\n    - step: create-admin-token\n      with: {ttl: \"0\"}",
      .examples =
          "  rotator run jobs/bootstrap.yaml -n influxdb\n"
          "  rotator run jobs/bootstrap.yaml --namespaces team-a,team-b --concurrency 4\n"
          "  rotator run jobs/bootstrap.yaml --contexts prod-eu,prod-us -n influxdb\n"
          "  rotator run /etc/rotator/jobs/rotate.yaml --dry-run",
      .add_options =
          [](cli::po::options_description& options) {
            add_namespace_selection_options(options);
            add_cluster_selection_options(options);
          },
      .max_positionals = 1,
      .run = run_job,
  };
}

}  // namespace rotator::commands
