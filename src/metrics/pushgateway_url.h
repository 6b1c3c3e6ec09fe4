#pragma once

// Where pushes go: the Pushgateway's base URL (from --pushgateway or the
// ROTATOR_PUSHGATEWAY environment variable) and a group's path under it.

#include <optional>
#include <string>
#include <string_view>

namespace rotator::metrics {

/// The environment variable read when --pushgateway is not given (the CronJobs
/// set it from an optional ConfigMap key). Unset or empty: pushing is off.
inline constexpr const char* pushgateway_env_var = "ROTATOR_PUSHGATEWAY";

/// One group on one Pushgateway: metrics pushed there replace the group's
/// metrics of the same names (POST) or the whole group (PUT).
struct PushTarget {
  std::string base_url;    ///< http(s)://host[:port][/prefix], as parse_pushgateway_url returns it
  std::string job;         ///< grouping label `job`, e.g. "rotate" or "management-renew"
  std::string namespace_;  ///< grouping label `namespace`
  /// grouping label `cluster` (the kubeconfig context) in a multi-cluster run,
  /// so equally named namespaces of two clusters keep their own series; empty:
  /// no such label.
  std::string cluster = {};
};

/// Checks a Pushgateway URL: http or https, a host, no query or fragment (a path
/// prefix is kept, for a Pushgateway behind a --web.route-prefix). Returns it
/// without a trailing slash. Throws UsageError naming `source` (the flag or the
/// variable) when it is not such a URL.
std::string parse_pushgateway_url(std::string_view url, std::string_view source);

/// The Pushgateway to push to: `flag` (--pushgateway) when given, else
/// $ROTATOR_PUSHGATEWAY; nullopt when neither is set or the one used is empty
/// (an explicit `--pushgateway ""` turns a configured one off). Validated as
/// parse_pushgateway_url does, so a bad URL is a usage error before any work.
std::optional<std::string> pushgateway_url(const std::optional<std::string>& flag);

/// "/metrics/job/JOB/namespace/NS", each value escaped as the Pushgateway reads
/// it: as is when it holds only [A-Za-z0-9._~-], else base64url after
/// "LABEL@base64/" (and "=" for an empty value). Throws std::invalid_argument for
/// an empty job, which the Pushgateway refuses.
std::string grouping_path(const PushTarget& target);

/// The URL with any user:password@ removed, for logs and errors.
std::string redacted_url(std::string_view url);

/// The Pushgateway job name of a command: its words joined by "-"
/// ("revoke-and-rotate", "management renew" -> "management-renew"); for
/// `run JOBFILE`, pass the job file's metadata.name instead ("rotate").
std::string job_name_for_command(std::string_view command);

}  // namespace rotator::metrics
