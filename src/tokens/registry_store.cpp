#include "tokens/registry_store.h"

#include <chrono>
#include <thread>

#include "kube/errors.h"
#include "kube/resources.h"
#include "util/errors.h"
#include "util/log.h"

namespace rotator::tokens {
namespace {

std::string describe(const RegistryLocation& where) {
  return "Secret " + where.namespace_ + "/" + where.secret_name;
}

kube::Secret new_registry_secret(const RegistryLocation& where) {
  kube::Secret secret;
  secret.metadata.name = where.secret_name;
  secret.metadata.namespace_ = where.namespace_;
  secret.metadata.labels = {{"app.kubernetes.io/managed-by", "rotator"},
                            {"rotator.io/token-registry", std::string(kind_name(where.kind))}};
  return secret;
}

}  // namespace

void check_capacity(const Registry& registry, const RegistryLocation& where) {
  const std::size_t bytes = serialize_registry(registry).size();
  if (bytes > max_secret_data_bytes) {
    throw Error("the " + std::string(kind_name(where.kind)) + " token registry (" + describe(where) +
                ") is full: " + std::to_string(registry.records.size()) + " records would take " +
                std::to_string(bytes) + " bytes, more than the " +
                std::to_string(max_secret_data_bytes) +
                " bytes a Secret may hold; nothing was written (see docs/tokens.md, \"Capacity\")");
  }
}

RegistryStore::RegistryStore(kube::Client& client, RegistryLocation where, ForceOverwrite force)
    : client_(client), where_(std::move(where)), force_(force) {}

ObservedRegistry RegistryStore::read() {
  ObservedRegistry observed;
  observed.registry.kind = where_.kind;
  observed.secret = kube::SecretApi(client_).get(where_.namespace_, where_.secret_name);
  if (!observed.secret) return observed;
  const auto data = observed.secret->data.find(std::string(registry_data_key));
  if (data == observed.secret->data.end()) {
    if (force_ == ForceOverwrite::yes) return observed;
    throw InvalidDataError(describe(where_) + " exists but has no \"" + std::string(registry_data_key) +
                           "\" key; rotator will not overwrite it (--force starts an empty registry)");
  }
  try {
    observed.registry = parse_registry(data->second, where_.kind);
  } catch (const InvalidDataError& e) {
    if (force_ == ForceOverwrite::no) throw InvalidDataError(describe(where_) + ": " + e.what());
    log::warn("replacing an unreadable token registry (--force)", {{"secret", where_.secret_name}});
  }
  return observed;
}

UpdateResult RegistryStore::update(const std::function<Change(Registry&)>& mutate) {
  kube::SecretApi secrets(client_);
  for (int attempt = 1;; ++attempt) {
    ObservedRegistry observed = read();
    UpdateResult result;
    result.attempts = attempt;
    result.change = mutate(observed.registry);
    result.registry = observed.registry;
    if (result.change == Change::none) {
      if (observed.secret) result.secret = *observed.secret;
      return result;
    }
    check_capacity(observed.registry, where_);
    kube::Secret secret = observed.secret ? *observed.secret : new_registry_secret(where_);
    secret.data[std::string(registry_data_key)] = serialize_registry(observed.registry);
    try {
      result.secret = observed.secret ? secrets.replace(secret) : secrets.create(secret);
      return result;
    } catch (const kube::ApiError& e) {
      const bool lost_race =
          e.reason() == kube::Reason::conflict || e.reason() == kube::Reason::already_exists;
      if (!lost_race || attempt >= max_attempts) throw;
      log::debug("registry changed underneath, retrying",
                 {{"secret", where_.secret_name}, {"attempt", std::to_string(attempt)}});
      // A little spread so racing writers do not collide again in lockstep.
      std::this_thread::sleep_for(std::chrono::milliseconds(10 * attempt * attempt));
    }
  }
}

}  // namespace rotator::tokens
