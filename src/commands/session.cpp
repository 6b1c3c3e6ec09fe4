#include "commands/session.h"

#include "util/log.h"

namespace rotator::commands {

std::unique_ptr<kube::Client> connect(const cli::GlobalOptions& globals) {
  kube::ConnectionConfig config = kube::load_connection(globals.connection);
  kube::ClientOptions options;
  options.deadline = std::chrono::steady_clock::now() + globals.timeout;
  log::debug("connecting", {{"server", config.server},
                            {"context", config.context},
                            {"namespace", config.namespace_},
                            {"credentials", config.credentials ? config.credentials->describe() : "none"}});
  return std::make_unique<kube::Client>(std::move(config), options);
}

void report_stats(const cli::GlobalOptions& globals, const kube::Client& client) {
  if (globals.stats != cli::GlobalOptions::Stats::on) return;
  const auto stats = client.stats();
  log::Fields fields = {{"requests", std::to_string(stats.requests)},
                        {"retries", std::to_string(stats.retries)}};
  for (const auto& [method, count] : stats.by_method) fields.emplace_back(method, std::to_string(count));
  log::info("api requests", fields);
}

}  // namespace rotator::commands
