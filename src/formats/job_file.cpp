#include "formats/job_file.h"

#include <yaml-cpp/yaml.h>

#include "util/errors.h"

namespace rotator::formats {

JobFile parse_job_file(std::string_view yaml_text, const std::string& source) {
  auto fail = [&](const std::string& what) { return UsageError("job file " + source + ": " + what); };
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml_text));
  } catch (const YAML::Exception& e) {
    throw fail("not valid YAML (line " + std::to_string(e.mark.line + 1) + ": " + e.msg + ")");
  }
  if (!root.IsMap()) throw fail("the document must be a mapping with apiVersion, kind and steps");
  auto scalar = [&](const YAML::Node& node, const std::string& where) -> std::string {
    if (!node || !node.IsScalar()) throw fail(where + " must be a string");
    return node.Scalar();
  };
  if (scalar(root["apiVersion"], "apiVersion") != "rotator.io/v1") throw fail("apiVersion must be rotator.io/v1");
  if (scalar(root["kind"], "kind") != "JobFile") throw fail("kind must be JobFile");
  for (const auto& entry : root) {
    const std::string key = entry.first.IsScalar() ? entry.first.Scalar() : "";
    if (key != "apiVersion" && key != "kind" && key != "metadata" && key != "steps") {
      throw fail("unknown field \"" + key + "\"");
    }
  }

  JobFile job;
  job.name = source;
  if (const YAML::Node metadata = root["metadata"]; metadata && metadata.IsMap() && metadata["name"]) {
    job.name = scalar(metadata["name"], "metadata.name");
  }
  const YAML::Node steps = root["steps"];
  if (!steps || !steps.IsSequence() || steps.size() == 0) throw fail("steps must be a non-empty list");
  std::size_t index = 0;
  for (const auto& entry : steps) {
    const std::string where = "steps[" + std::to_string(index++) + "]";
    if (!entry.IsMap()) throw fail(where + " must be a mapping with step and with");
    JobStep step;
    step.step = scalar(entry["step"], where + ".step");
    for (const auto& field : entry) {
      const std::string key = field.first.IsScalar() ? field.first.Scalar() : "";
      if (key != "step" && key != "with") throw fail(where + " has unknown field \"" + key + "\"");
    }
    if (const YAML::Node with = entry["with"]; with && !with.IsNull()) {
      if (!with.IsMap()) throw fail(where + ".with must be a mapping of flag names to values");
      for (const auto& flag : with) {
        const std::string name = flag.first.IsScalar() ? flag.first.Scalar() : "";
        if (name.empty() || name.starts_with("-")) throw fail(where + ".with has a bad flag name \"" + name + "\"");
        const YAML::Node& value = flag.second;
        if (value.IsSequence()) {
          for (const auto& item : value)
            step.arguments.push_back("--" + name + "=" + scalar(item, where + ".with." + name + "[]"));
        } else if (value.IsScalar() && value.Scalar() == "true" && value.Tag() != "!") {
          step.arguments.push_back("--" + name);
        } else if (value.IsScalar() && value.Scalar() == "false" && value.Tag() != "!") {
          continue;  // a switch left off
        } else {
          step.arguments.push_back("--" + name + "=" + scalar(value, where + ".with." + name));
        }
      }
    }
    job.steps.push_back(std::move(step));
  }
  return job;
}

}  // namespace rotator::formats
