#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rotator::formats {

/// One entry of a job file: a step name and its flags, as written.
struct JobStep {
  std::string step;
  /// Flags as command-line words ("--ttl=0", "--force"), in file order.
  std::vector<std::string> arguments;
};

/// A job file: steps run in order by `rotator run`.
///
///   apiVersion: rotator.io/v1
///   kind: JobFile
///   steps:
///     - step: key-gen
///     - step: create-admin-token
///       with: {ttl: "0"}
///
/// `with` maps flag names (without dashes) to a scalar, `true` for a switch, or a
/// list for a repeatable flag.
struct JobFile {
  std::string name;  ///< metadata.name, or the file name
  std::vector<JobStep> steps;
};

/// Parses the document. Throws UsageError naming `source` and the entry for
/// anything malformed (exit 2). Whether each step and flag exists is checked by
/// the caller against the step table.
JobFile parse_job_file(std::string_view yaml_text, const std::string& source);

}  // namespace rotator::formats
