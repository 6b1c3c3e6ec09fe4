#pragma once

#include "cli/command_table.h"

namespace rotator::commands {

namespace po = boost::program_options;

/// Every command, in the order `rotator --help` lists them.
const std::vector<cli::CommandSpec>& command_table();

/// Each command file contributes its table entry.
cli::CommandSpec version_command();
cli::CommandSpec completion_command();
cli::CommandSpec status_command();
cli::CommandSpec run_command();
cli::CommandSpec verify_command();
cli::CommandSpec export_admin_token_command();
cli::CommandSpec unlock_command();
cli::CommandSpec management_create_command();
cli::CommandSpec management_list_command();
cli::CommandSpec management_revoke_command();
cli::CommandSpec management_renew_command();
cli::CommandSpec token_create_command();
cli::CommandSpec token_list_command();
cli::CommandSpec token_get_command();
cli::CommandSpec token_update_command();
/// `token revoke`, or its alias `token delete` (influxctl's name before 2.10).
cli::CommandSpec token_revoke_command(const std::string& name);

}  // namespace rotator::commands
