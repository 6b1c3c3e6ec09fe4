#pragma once

#include <chrono>
#include <initializer_list>
#include <optional>
#include <string>

#include <boost/program_options.hpp>

#include "kube/connection_config.h"
#include "util/log.h"

namespace rotator::cli {

namespace po = boost::program_options;

/// Output of read commands (-o/--format).
enum class OutputFormat { table, json, yaml, prometheus };
const char* output_format_name(OutputFormat format);

/// Flags every command accepts, as kubectl's global flags.
struct GlobalOptions {
  kube::ConnectionOptions connection;
  enum class DryRun { off, on } dry_run = DryRun::off;
  log::Format log_format = log::Format::text;
  log::Level log_level = log::Level::info;
  std::chrono::milliseconds timeout{std::chrono::minutes(10)};
  enum class Stats { off, on } stats = Stats::off;
  /// --lock-wait; unset: the command's default (0 for steps: exit 3 at once; a
  /// short wait for token commands, which hold the lock for a moment only).
  std::optional<std::chrono::milliseconds> lock_wait;
  std::chrono::seconds lock_duration{30};
  /// --pushgateway URL (else $ROTATOR_PUSHGATEWAY): where a run pushes its outcome.
  std::optional<std::string> pushgateway;
};

/// The option descriptions of the global flags.
po::options_description global_options_description();

/// Global flags whose value is the next word (so the command word is not mistaken for it).
bool global_flag_takes_value(const std::string& flag);

/// Reads the global flags out of parsed options. Throws UsageError on bad values.
GlobalOptions global_options_from(const po::variables_map& vm);

/// -o/--format for read commands, offering `allowed` (the first is the default).
void add_output_format_option(po::options_description& options,
                              std::initializer_list<OutputFormat> allowed = {OutputFormat::table, OutputFormat::json,
                                                                             OutputFormat::yaml});
/// The format asked for; "-o=json" (kubectl's spelling) is read as json. Throws
/// UsageError for one the command does not offer.
OutputFormat output_format_from(const po::variables_map& vm,
                                std::initializer_list<OutputFormat> allowed = {OutputFormat::table, OutputFormat::json,
                                                                               OutputFormat::yaml});

}  // namespace rotator::cli
