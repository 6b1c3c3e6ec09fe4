#include "cli/command_table.h"
#include "commands/commands.h"

int main(int argc, char** argv) {
  return rotator::cli::run_command_line(argc, argv, rotator::commands::command_table());
}
