#pragma once

#include <memory>

#include "cli/global_options.h"
#include "kube/client.h"

namespace rotator::commands {

/// A connected client for one run, honouring --kubeconfig, --context, -n and --timeout.
std::unique_ptr<kube::Client> connect(const cli::GlobalOptions& globals);

/// Prints the API request counts on stderr when --stats was given.
void report_stats(const cli::GlobalOptions& globals, const kube::Client& client);

}  // namespace rotator::commands
