#include "commands/commands.h"

#include "commands/step_table.h"

namespace rotator::commands {

const std::vector<cli::CommandSpec>& command_table() {
  static const std::vector<cli::CommandSpec> table = [] {
    std::vector<cli::CommandSpec> commands;
    for (const auto& step : step_table()) {
      if (step.own_command) commands.push_back(command_for_step(step));
    }
    commands.push_back(run_command());
    commands.push_back(status_command());
    commands.push_back(verify_command());
    commands.push_back(export_admin_token_command());
    commands.push_back(unlock_command());
    commands.push_back(management_create_command());
    commands.push_back(management_list_command());
    commands.push_back(management_revoke_command());
    commands.push_back(management_renew_command());
    commands.push_back(token_create_command());
    commands.push_back(token_list_command());
    commands.push_back(token_get_command());
    commands.push_back(token_update_command());
    commands.push_back(token_revoke_command("token revoke"));
    commands.push_back(token_revoke_command("token delete"));
    commands.push_back(version_command());
    commands.push_back(completion_command());
    return commands;
  }();
  return table;
}

}  // namespace rotator::commands
