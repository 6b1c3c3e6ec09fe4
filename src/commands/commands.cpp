#include "commands/commands.h"
#include "commands/step_commands.h"

namespace rotator::cli {

const std::vector<CommandSpec>& command_table() {
  static const std::vector<CommandSpec> table = [] {
    std::vector<CommandSpec> commands;
    for (const auto& step : commands::step_table()) commands.push_back(commands::command_for_step(step));
    commands.push_back(commands::run_command());
    commands.push_back(commands::status_command());
    commands.push_back(commands::verify_command());
    commands.push_back(commands::export_admin_token_command());
    commands.push_back(commands::management_create_command());
    commands.push_back(commands::management_list_command());
    commands.push_back(commands::management_revoke_command());
    commands.push_back(commands::management_renew_command());
    commands.push_back(commands::token_create_command());
    commands.push_back(commands::token_list_command());
    commands.push_back(commands::token_get_command());
    commands.push_back(commands::token_revoke_command());
    commands.push_back(commands::version_command());
    commands.push_back(commands::completion_command());
    return commands;
  }();
  return table;
}

}  // namespace rotator::cli
