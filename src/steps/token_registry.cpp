#include "steps/token_registry.h"

#include "formats/names.h"
#include "util/errors.h"

namespace rotator::steps {
namespace {

std::string describe(const frame::Snapshot& seen, const RegistryRef& ref) {
  return "Secret " + seen.namespace_name() + "/" + ref.secret_name;
}

}  // namespace

formats::Registry registry_in(const frame::Snapshot& seen, const RegistryRef& ref) {
  formats::Registry registry;
  registry.kind = ref.kind;
  const auto& secret = seen.secret(ref.secret_name);
  if (!secret || formats::is_placeholder(*secret)) return registry;
  const std::string force_hint = " (rotator will not overwrite it; --force starts an empty registry)";
  if (!secret->type.empty() && secret->type != "Opaque") {
    if (ref.force == Force::yes) return registry;
    throw InvalidDataError(describe(seen, ref) + " is of type " + secret->type + ", not Opaque" + force_hint);
  }
  const auto data = secret->data.find(std::string(formats::registry_data_key));
  if (data == secret->data.end()) {
    if (ref.force == Force::yes) return registry;
    throw InvalidDataError(describe(seen, ref) + " exists but has no \"" + std::string(formats::registry_data_key) +
                           "\" key" + force_hint);
  }
  try {
    return formats::parse_registry(data->second, ref.kind);
  } catch (const InvalidDataError& e) {
    if (ref.force == Force::no) throw InvalidDataError(describe(seen, ref) + ": " + e.what());
    return registry;
  }
}

frame::Change registry_change(const frame::Snapshot& seen, const RegistryRef& ref, const formats::Registry& registry) {
  const std::string text = formats::serialize_registry(registry);
  if (text.size() > formats::max_secret_data_bytes) {
    throw Error("the " + std::string(formats::kind_name(ref.kind)) + " token registry (" + describe(seen, ref) +
                ") is full: " + std::to_string(registry.records.size()) + " records would take " +
                std::to_string(text.size()) + " bytes, more than the " +
                std::to_string(formats::max_secret_data_bytes) +
                " bytes a Secret may hold; nothing was written (see docs/tokens.md, \"Capacity\")");
  }
  const auto& observed = seen.secret(ref.secret_name);
  kube::Secret secret;
  if (observed) {
    secret = *observed;
  } else {
    secret.metadata.name = ref.secret_name;
    secret.metadata.namespace_ = seen.namespace_name();
  }
  secret.type = "Opaque";
  secret.metadata.labels[formats::managed_by_label] = formats::managed_by_value;
  secret.metadata.labels["rotator.io/token-registry"] = std::string(formats::kind_name(ref.kind));
  secret.data = {{std::string(formats::registry_data_key), text}};
  frame::Change change;
  change.operation = frame::WriteSecret{std::move(secret)};
  return change;
}

}  // namespace rotator::steps
