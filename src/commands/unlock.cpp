#include <unistd.h>

#include <iostream>

#include "commands/commands.h"
#include "commands/session.h"
#include "frame/events.h"
#include "frame/lease_lock.h"
#include "frame/reporter.h"
#include "kube/errors.h"
#include "kube/resources.h"
#include "util/errors.h"
#include "util/terminal_text.h"

namespace rotator::commands {
namespace {

std::string time_or(const std::optional<util::TimePoint>& t, const char* absent) {
  return t && *t != util::TimePoint::max() ? util::format_rfc3339(*t) : absent;
}

bool confirmed(const frame::LockState& state, const std::string& ns) {
  std::cerr << "Lease " << ns << "/rotator-lock is held by " << util::escape_for_terminal(state.holder) << " since "
            << time_or(state.since, "?") << (state.expired ? " (expired)" : ", until " + time_or(state.expires_at, "?"))
            << ".\n"
            << "Breaking it lets another run write while that one may still be working.\nUnlock? [y/N] " << std::flush;
  std::string answer;
  if (!std::getline(std::cin, answer)) return false;
  return answer == "y" || answer == "Y" || answer == "yes";
}

ExitCode run_unlock(const cli::Invocation& invocation) {
  const bool force = invocation.options["force"].as<bool>();
  if (!force && !::isatty(STDIN_FILENO)) {
    throw UsageError(
        "refusing to break the lock without confirmation: standard input is not a terminal (pass --force)");
  }
  auto client = connect(invocation.globals);
  const std::string ns = client->config().namespace_;
  const std::string name = "rotator-lock";
  const auto state = frame::read_lock(*client, ns, name, util::Clock::now());
  if (!state.held) {
    std::cout << "Lease " << ns << "/" << name << " is not held: nothing to do" << std::endl;
    return ExitCode::success;
  }
  if (!force && !confirmed(state, ns)) {
    std::cerr << "Left as it is." << std::endl;
    return ExitCode::success;
  }
  kube::LeaseApi leases(*client);
  auto lease = leases.get(ns, name);
  if (!lease || lease->holder_identity != state.holder) {
    throw LockHeldError("the lock changed hands while asking; run `rotator unlock -n " + ns +
                        "` again to see its holder");
  }
  lease->holder_identity.clear();
  lease->metadata.annotations.erase(frame::lock_holder_annotation);
  // What the broken holder wrote is in no record: the next holder reads all again.
  lease->metadata.annotations.erase(frame::write_record_annotation);
  lease->metadata.annotations.erase(frame::taken_from_annotation);
  lease->renew_time = util::Clock::now();
  kube::Lease written;
  try {
    written = leases.update(*lease);
  } catch (const kube::ApiError& e) {
    if (e.reason() != kube::Reason::conflict) throw;
    throw LockHeldError("the lock was renewed or taken while breaking it: its holder is alive; nothing was changed");
  }
  frame::Reporter reporter(ns, frame::Reporter::Output::print, frame::Reporter::NameInLogs::no);
  frame::record_event(*client, {"Lease", "coordination.k8s.io/v1", written.metadata}, "LockBroken",
                      "lock held by " + state.holder + " broken by `rotator unlock`" +
                          (client->config().user.empty() ? "" : " (" + client->config().user + ")"),
                      reporter);
  std::cout << "unlocked Lease " << ns << "/" << name << " (was held by " << util::escape_for_terminal(state.holder)
            << ")" << std::endl;
  report_stats(invocation.globals, *client);
  return ExitCode::success;
}

}  // namespace

cli::CommandSpec unlock_command() {
  return {
      .name = "unlock",
      .synopsis = "unlock [--force]",
      .summary = "break the lock of a run that is gone (asks first)",
      .details =
          "Frees the Lease rotator-lock in the namespace, with an Event on it. Use it when a\n"
          "run that held the lock is gone and you cannot wait for the lease to expire (a\n"
          "holder on this machine or in a pod that no longer exists is taken over\n"
          "automatically). Asks for confirmation on a terminal; without one it needs\n"
          "--force. Breaking the lock of a run that still works lets another run write\n"
          "beside it; the running one stops at its next renewal.",
      .examples = "  rotator unlock -n influxdb\n  rotator unlock -n influxdb --force",
      .add_options =
          [](po::options_description& options) {
            options.add_options()("force", po::bool_switch(), "do not ask for confirmation");
          },
      .max_positionals = 0,
      .run = run_unlock,
  };
}

}  // namespace rotator::commands
