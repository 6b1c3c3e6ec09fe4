#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "cli/command_table.h"
#include "formats/influxctl_config.h"

namespace rotator::commands {

/// The address a new influxctl profile gets (the --influxctl-host/--influxctl-port
/// flags the commands will offer); unset: a missing profile is a usage error.
struct NewProfileAddress {
  std::optional<std::string> host;
  std::optional<std::string> port;
};

/// Adds --influxctl-host and --influxctl-port: the address a profile rotator
/// creates in influxctl's config.toml gets.
void add_influxctl_address_options(cli::po::options_description& options);
NewProfileAddress influxctl_address_from(const cli::po::variables_map& options);

/// Sets `setting` (mgmt_token directly under [[profile]], or token_file under
/// [profile.auth.token]) in the [[profile]] named `profile` of influxctl's
/// config.toml at `path`. The edit is formats::edit_influxctl_config (every other
/// byte kept; see there for what is refused); this is the file I/O around it:
/// a missing file is created 0600 (parent directories 0700), an existing one keeps
/// its owner and mode (a note warns when others may read it), and the file is
/// replaced atomically (util::write_file_atomically).
/// Returns what else the edit did (formats::InfluxctlConfigEdit::notes), for the
/// command to report. Throws as the edit does; Error when the file cannot be read
/// or written.
std::vector<std::string> set_influxctl_profile_value(const std::filesystem::path& path, const std::string& profile,
                                                     formats::InfluxctlSetting setting, const std::string& value,
                                                     const NewProfileAddress& address = {});

/// Throws as set_influxctl_profile_value would, without writing: lets a command
/// check the file before it creates the token that goes into it.
void check_influxctl_profile_value(const std::filesystem::path& path, const std::string& profile,
                                   formats::InfluxctlSetting setting, const NewProfileAddress& address = {});

}  // namespace rotator::commands
