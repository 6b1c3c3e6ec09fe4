#include "cli/global_options.h"

#include <set>

#include "util/errors.h"
#include "util/time.h"

namespace rotator::cli {

po::options_description global_options_description() {
  po::options_description options("Global flags");
  options.add_options()("kubeconfig", po::value<std::string>()->value_name("FILE"),
                        "kubeconfig file to use (default: $KUBECONFIG, ~/.kube/config, or in-cluster)")(
      "context", po::value<std::string>()->value_name("NAME"), "kubeconfig context to use")(
      "namespace,n", po::value<std::string>()->value_name("NS"),
      "namespace to act in (default: the context's namespace)")("dry-run", po::bool_switch(),
                                                                "print the plan, write nothing")(
      "log-format", po::value<std::string>()->default_value("text")->value_name("text|json"),
      "log line format on stderr")("log-level", po::value<std::string>()->default_value("info")->value_name("LEVEL"),
                                   "debug, info, warn or error")(
      "timeout", po::value<std::string>()->default_value("10m")->value_name("DURATION"),
      "give up on the whole run after this long")(
      "stats", po::bool_switch(), "print API request counts and key generation CPU time on stderr when done")(
      "lock-wait", po::value<std::string>()->value_name("DURATION"),
      "wait this long for another run's lock before exiting 3 (default 0; 30s for token commands)")(
      "lock-duration", po::value<std::string>()->default_value("30s")->value_name("DURATION"),
      "how long the lock outlives a run that died holding it")(
      "pushgateway", po::value<std::string>()->value_name("URL"),
      "push the run's outcome (status: the status) to this Prometheus Pushgateway (default: "
      "$ROTATOR_PUSHGATEWAY; off when empty)")("help,h", "show help");
  return options;
}

bool global_flag_takes_value(const std::string& flag) {
  static const std::set<std::string> with_value = {"--kubeconfig",    "--context",    "--namespace", "-n",
                                                   "--log-format",    "--log-level",  "--timeout",   "--lock-wait",
                                                   "--lock-duration", "--pushgateway"};
  return with_value.contains(flag);
}

GlobalOptions global_options_from(const po::variables_map& vm) {
  GlobalOptions g;
  if (vm.count("kubeconfig")) g.connection.kubeconfig = vm["kubeconfig"].as<std::string>();
  if (vm.count("context")) g.connection.context = vm["context"].as<std::string>();
  if (vm.count("namespace")) {
    const std::string ns = vm["namespace"].as<std::string>();
    if (ns.empty()) throw UsageError("--namespace must not be empty");
    g.connection.namespace_ = ns;
  }
  if (vm.count("dry-run") && vm["dry-run"].as<bool>()) g.dry_run = GlobalOptions::DryRun::on;
  if (vm.count("stats") && vm["stats"].as<bool>()) g.stats = GlobalOptions::Stats::on;
  g.log_format = log::parse_format(vm["log-format"].as<std::string>());
  g.log_level = log::parse_level(vm["log-level"].as<std::string>());
  const std::string timeout = vm["timeout"].as<std::string>();
  const auto parsed = util::parse_duration(timeout);
  if (!parsed || parsed->count() == 0) {
    throw UsageError("--timeout must be a positive duration such as 90s or 10m, not \"" + timeout + "\"");
  }
  g.timeout = *parsed;
  if (vm.count("lock-wait")) {
    const std::string lock_wait = vm["lock-wait"].as<std::string>();
    const auto wait = util::parse_duration(lock_wait);
    if (!wait) throw UsageError("--lock-wait must be a duration such as 0 or 2m, not \"" + lock_wait + "\"");
    g.lock_wait = *wait;
  }
  const std::string lock_duration = vm["lock-duration"].as<std::string>();
  const auto duration = util::parse_duration(lock_duration);
  if (!duration || *duration < std::chrono::seconds(3)) {
    throw UsageError("--lock-duration must be a duration of at least 3s, not \"" + lock_duration + "\"");
  }
  g.lock_duration = std::chrono::duration_cast<std::chrono::seconds>(*duration);
  if (vm.count("pushgateway")) g.pushgateway = vm["pushgateway"].as<std::string>();
  return g;
}

const char* output_format_name(OutputFormat format) {
  switch (format) {
    case OutputFormat::table: return "table";
    case OutputFormat::json: return "json";
    case OutputFormat::yaml: return "yaml";
    case OutputFormat::prometheus: return "prometheus";
  }
  return "table";
}

namespace {

std::string format_names(std::initializer_list<OutputFormat> allowed) {
  std::string names;
  for (const auto format : allowed) names += (names.empty() ? "" : "|") + std::string(output_format_name(format));
  return names;
}

}  // namespace

void add_output_format_option(po::options_description& options, std::initializer_list<OutputFormat> allowed) {
  const std::string names = format_names(allowed);
  options.add_options()(
      "output,o", po::value<std::string>()->default_value(output_format_name(*allowed.begin()))->value_name(names),
      "output format")("format", po::value<std::string>()->value_name(names), "same as --output (influxctl's name)");
}

OutputFormat output_format_from(const po::variables_map& vm, std::initializer_list<OutputFormat> allowed) {
  std::string value = vm["output"].as<std::string>();
  if (vm.count("format")) value = vm["format"].as<std::string>();
  if (value.starts_with("=")) value.erase(0, 1);  // -o=json: a short flag keeps the '=' in its value
  for (const auto format : allowed) {
    if (value == output_format_name(format)) return format;
  }
  std::string choices;
  for (const auto format : allowed) choices += (choices.empty() ? "" : ", ") + std::string(output_format_name(format));
  throw UsageError("--output must be one of " + choices + ", not \"" + value + "\"");
}

}  // namespace rotator::cli
