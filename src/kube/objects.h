#pragma once

#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "util/time.h"

namespace rotator::kube {

using Json = nlohmann::json;

/// The part of metadata rotator reads and writes.
struct ObjectMeta {
  std::string name;
  std::string namespace_;
  std::string uid;
  std::string resource_version;
  long generation = 0;
  std::optional<util::TimePoint> creation_timestamp;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
};

ObjectMeta meta_from_json(const Json& object);
/// name, namespace, labels, annotations and (when set) resourceVersion: what a
/// create or a preconditioned replace sends.
Json meta_to_json(const ObjectMeta& meta);

/// A Secret with its data decoded. Values are bytes (keys, tokens): never log them.
struct Secret {
  ObjectMeta metadata;
  std::string type = "Opaque";
  std::map<std::string, std::string> data;
};

/// Throws ApiError(bad_response) if the server sent data that is not base64.
Secret secret_from_json(const Json& object);
Json secret_to_json(const Secret& secret);

/// A Pod, as far as restarts need it.
struct Pod {
  ObjectMeta metadata;
  std::string phase;
  bool ready = false;
  std::optional<util::TimePoint> start_time;
  bool terminating = false;  ///< deletionTimestamp set
};

Pod pod_from_json(const Json& object);

/// A coordination.k8s.io/v1 Lease.
struct Lease {
  ObjectMeta metadata;
  std::string holder_identity;
  long lease_duration_seconds = 0;
  std::optional<util::TimePoint> acquire_time;
  std::optional<util::TimePoint> renew_time;
  long lease_transitions = 0;
};

Lease lease_from_json(const Json& object);
Json lease_to_json(const Lease& lease);

/// A core/v1 Event about one object.
struct EventSpec {
  std::string namespace_;
  std::string involved_kind;  ///< e.g. "Secret"
  std::string involved_api_version;
  std::string involved_name;
  std::string involved_uid;
  std::string reason;   ///< CamelCase, e.g. KeyRotated
  std::string message;  ///< never key or token material
  enum class Type { normal, warning } type = Type::normal;
  std::string component = "rotator";
};

/// Serialises a MicroTime/Time for the API (RFC 3339, UTC).
std::string api_time(util::TimePoint t);

}  // namespace rotator::kube
