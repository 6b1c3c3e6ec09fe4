#include "health/observe.h"

#include "kube/cluster.h"
#include "kube/errors.h"

namespace rotator::health {
namespace {

template <typename T, typename Get>
Read<T> read(Get get) {
  Read<T> result;
  try {
    auto value = get();
    if (value) {
      result.state = ReadState::ok;
      result.value = std::move(*value);
    }
  } catch (const kube::ApiError& e) {
    if (e.reason() == kube::Reason::unauthorized) throw;
    result.state = e.reason() == kube::Reason::forbidden ? ReadState::forbidden : ReadState::error;
    result.message = e.what();
  }
  return result;
}

}  // namespace

Observed observe(kube::Client& client, const std::string& ns, const Options& options, util::TimePoint now) {
  Observed seen;
  seen.namespace_ = ns;
  try {
    seen.namespace_missing = !kube::NamespaceApi(client).exists(ns);
  } catch (const kube::ApiError& e) {
    // Namespaced rights only (the shipped Role): its existence shows in the reads.
    if (e.reason() == kube::Reason::unauthorized) throw;
  }
  if (seen.namespace_missing) return seen;
  kube::SecretApi secrets(client);
  seen.keys = read<kube::Secret>([&] { return secrets.get(ns, options.keys_secret); });
  seen.admin_token = read<kube::Secret>([&] { return secrets.get(ns, options.admin_token_secret); });
  seen.workload = read<kube::Json>([&] { return kube::WorkloadApi(client).get(ns, options.target); });
  seen.pods = read<std::vector<kube::Pod>>(
      [&] { return std::optional<std::vector<kube::Pod>>(kube::PodApi(client).list(ns, options.selector)); });
  seen.lock = read<frame::LockState>(
      [&] { return std::optional<frame::LockState>(frame::read_lock(client, ns, options.lock_name, now)); });
  seen.management_registry = read<kube::Secret>([&] { return secrets.get(ns, options.management_registry); });
  seen.database_registry = read<kube::Secret>([&] { return secrets.get(ns, options.database_registry); });
  return seen;
}

}  // namespace rotator::health
