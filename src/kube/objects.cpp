#include "kube/objects.h"

#include <cstdint>
#include <limits>

#include "kube/errors.h"
#include "util/base64.h"

namespace rotator::kube {
namespace {

std::string string_at(const Json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string{};
}

std::optional<util::TimePoint> time_at(const Json& object, const char* key) {
  const std::string text = string_at(object, key);
  if (text.empty()) return std::nullopt;
  return util::parse_rfc3339(text);
}

std::map<std::string, std::string> string_map_at(const Json& object, const char* key) {
  std::map<std::string, std::string> result;
  const auto it = object.find(key);
  if (it == object.end() || !it->is_object()) return result;
  for (const auto& [k, v] : it->items()) {
    if (v.is_string()) result[k] = v.get<std::string>();
  }
  return result;
}

const Json& member_or_empty(const Json& object, const char* key) {
  static const Json empty = Json::object();
  const auto it = object.find(key);
  return it != object.end() && it->is_object() ? *it : empty;
}

}  // namespace

std::string api_time(util::TimePoint t) {
  return util::format_rfc3339(t);
}

ObjectMeta meta_from_json(const Json& object) {
  const Json& meta = member_or_empty(object, "metadata");
  ObjectMeta m;
  m.name = string_at(meta, "name");
  m.namespace_ = string_at(meta, "namespace");
  m.uid = string_at(meta, "uid");
  m.resource_version = string_at(meta, "resourceVersion");
  if (const auto it = meta.find("generation"); it != meta.end() && it->is_number_integer()) {
    m.generation = it->get<long>();
  }
  m.creation_timestamp = time_at(meta, "creationTimestamp");
  m.labels = string_map_at(meta, "labels");
  m.annotations = string_map_at(meta, "annotations");
  return m;
}

Json meta_to_json(const ObjectMeta& meta) {
  Json m = {{"name", meta.name}};
  if (!meta.namespace_.empty()) m["namespace"] = meta.namespace_;
  if (!meta.resource_version.empty()) m["resourceVersion"] = meta.resource_version;
  if (!meta.labels.empty()) m["labels"] = meta.labels;
  if (!meta.annotations.empty()) m["annotations"] = meta.annotations;
  return m;
}

Secret secret_from_json(const Json& object) {
  Secret secret;
  secret.metadata = meta_from_json(object);
  secret.type = string_at(object, "type");
  const Json& data = member_or_empty(object, "data");
  for (const auto& [key, value] : data.items()) {
    if (!value.is_string()) continue;
    auto decoded = util::base64_decode(value.get_ref<const std::string&>());
    if (!decoded) {
      throw ApiError(Reason::bad_response, 200,
                     "Secret " + secret.metadata.name + " has data key \"" + key + "\" that is not base64");
    }
    secret.data.emplace(key, std::move(*decoded));
  }
  return secret;
}

Json secret_to_json(const Secret& secret) {
  Json data = Json::object();
  for (const auto& [key, value] : secret.data) data[key] = util::base64_encode(value);
  return {{"apiVersion", "v1"},
          {"kind", "Secret"},
          {"metadata", meta_to_json(secret.metadata)},
          {"type", secret.type.empty() ? "Opaque" : secret.type},
          {"data", data}};
}

Pod pod_from_json(const Json& object) {
  Pod pod;
  pod.metadata = meta_from_json(object);
  const Json& status = member_or_empty(object, "status");
  pod.phase = string_at(status, "phase");
  pod.start_time = time_at(status, "startTime");
  if (const auto conditions = status.find("conditions"); conditions != status.end() && conditions->is_array()) {
    for (const auto& condition : *conditions) {
      if (string_at(condition, "type") == "Ready" && string_at(condition, "status") == "True") {
        pod.ready = true;
      }
    }
  }
  pod.terminating = member_or_empty(object, "metadata").contains("deletionTimestamp");
  return pod;
}

Lease lease_from_json(const Json& object) {
  Lease lease;
  lease.metadata = meta_from_json(object);
  const Json& spec = member_or_empty(object, "spec");
  lease.holder_identity = string_at(spec, "holderIdentity");
  // int32 in the API; anything else was not written by a Kubernetes client.
  if (const auto it = spec.find("leaseDurationSeconds"); it != spec.end() && it->is_number_integer() &&
                                                         it->get<long long>() >= 0 &&
                                                         it->get<long long>() <= std::numeric_limits<int32_t>::max()) {
    lease.lease_duration_seconds = it->get<long>();
  }
  lease.acquire_time = time_at(spec, "acquireTime");
  lease.renew_time = time_at(spec, "renewTime");
  if (const auto it = spec.find("leaseTransitions"); it != spec.end() && it->is_number_integer()) {
    lease.lease_transitions = it->get<long>();
  }
  return lease;
}

Json lease_to_json(const Lease& lease) {
  Json spec = {{"holderIdentity", lease.holder_identity},
               {"leaseDurationSeconds", lease.lease_duration_seconds},
               {"leaseTransitions", lease.lease_transitions}};
  // MicroTime: the API insists on the fractional form for Lease times.
  auto micro = [](util::TimePoint t) {
    std::string text = util::format_rfc3339(t);
    const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count() % 1000000;
    char fraction[16];
    std::snprintf(fraction, sizeof fraction, ".%06lldZ", static_cast<long long>(micros));
    text.pop_back();
    return text + fraction;
  };
  if (lease.acquire_time) spec["acquireTime"] = micro(*lease.acquire_time);
  if (lease.renew_time) spec["renewTime"] = micro(*lease.renew_time);
  return {{"apiVersion", "coordination.k8s.io/v1"},
          {"kind", "Lease"},
          {"metadata", meta_to_json(lease.metadata)},
          {"spec", spec}};
}

}  // namespace rotator::kube
