#include "kube/resources.h"

#include "kube/errors.h"
#include "util/errors.h"

namespace rotator::kube {
namespace {

std::string api_prefix(const std::string& group_version) {
  return group_version == "v1" ? "/api/v1" : "/apis/" + group_version;
}

Json delete_options(const Preconditions& preconditions) {
  Json pre = Json::object();
  if (!preconditions.uid.empty()) pre["uid"] = preconditions.uid;
  if (!preconditions.resource_version.empty()) pre["resourceVersion"] = preconditions.resource_version;
  Json options = {{"apiVersion", "v1"}, {"kind", "DeleteOptions"}};
  if (!pre.empty()) options["preconditions"] = pre;
  return options;
}

const char* resource_of(WorkloadKind kind) {
  switch (kind) {
    case WorkloadKind::deployment: return "deployments";
    case WorkloadKind::stateful_set: return "statefulsets";
    case WorkloadKind::daemon_set: return "daemonsets";
  }
  return "deployments";
}

}  // namespace

std::string namespaced_path(const std::string& group_version, const std::string& ns, const std::string& resource,
                            const std::string& name) {
  std::string path = api_prefix(group_version) + "/namespaces/" + url_encode(ns) + "/" + resource;
  if (!name.empty()) path += "/" + url_encode(name);
  return path;
}

std::optional<Secret> SecretApi::get(const std::string& ns, const std::string& name) {
  try {
    return secret_from_json(client_.get(namespaced_path("v1", ns, "secrets", name)));
  } catch (const ApiError& e) {
    if (e.reason() == Reason::not_found) return std::nullopt;
    throw;
  }
}

Secret SecretApi::create(const Secret& secret) {
  Secret body = secret;
  body.metadata.resource_version.clear();
  return secret_from_json(
      client_.create(namespaced_path("v1", secret.metadata.namespace_, "secrets"), secret_to_json(body)));
}

Secret SecretApi::replace(const Secret& secret) {
  if (secret.metadata.resource_version.empty()) {
    throw Error("refusing to replace Secret " + secret.metadata.name + " without a resourceVersion");
  }
  return secret_from_json(client_.replace(
      namespaced_path("v1", secret.metadata.namespace_, "secrets", secret.metadata.name), secret_to_json(secret)));
}

std::vector<Pod> PodApi::list(const std::string& ns, const std::string& label_selector,
                              const std::string& field_selector) {
  std::string path = namespaced_path("v1", ns, "pods");
  std::string query;
  if (!label_selector.empty()) query += "&labelSelector=" + url_encode(label_selector);
  if (!field_selector.empty()) query += "&fieldSelector=" + url_encode(field_selector);
  if (!query.empty()) path += "?" + query.substr(1);
  const Json list = client_.get(path);
  std::vector<Pod> pods;
  if (const auto items = list.find("items"); items != list.end() && items->is_array()) {
    for (const auto& item : *items) pods.push_back(pod_from_json(item));
  }
  return pods;
}

void PodApi::remove(const std::string& ns, const std::string& name, const Preconditions& preconditions) {
  client_.remove(namespaced_path("v1", ns, "pods", name), delete_options(preconditions));
}

WorkloadRef parse_workload_ref(const std::string& text) {
  const auto slash = text.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == text.size() ||
      text.find('/', slash + 1) != std::string::npos) {
    throw UsageError("workload \"" + text + "\" must look like deployment/NAME");
  }
  const std::string kind = text.substr(0, slash);
  WorkloadRef ref;
  ref.name = text.substr(slash + 1);
  if (kind == "deployment" || kind == "deployments" || kind == "deploy") {
    ref.kind = WorkloadKind::deployment;
  } else if (kind == "statefulset" || kind == "statefulsets" || kind == "sts") {
    ref.kind = WorkloadKind::stateful_set;
  } else if (kind == "daemonset" || kind == "daemonsets" || kind == "ds") {
    ref.kind = WorkloadKind::daemon_set;
  } else {
    throw UsageError("workload kind \"" + kind + "\" is not one of deployment, statefulset, daemonset");
  }
  return ref;
}

std::string to_string(const WorkloadRef& ref) {
  switch (ref.kind) {
    case WorkloadKind::deployment: return "deployment/" + ref.name;
    case WorkloadKind::stateful_set: return "statefulset/" + ref.name;
    case WorkloadKind::daemon_set: return "daemonset/" + ref.name;
  }
  return ref.name;
}

std::optional<Json> WorkloadApi::get(const std::string& ns, const WorkloadRef& ref) {
  try {
    return client_.get(namespaced_path("apps/v1", ns, resource_of(ref.kind), ref.name));
  } catch (const ApiError& e) {
    if (e.reason() == Reason::not_found) return std::nullopt;
    throw;
  }
}

Json WorkloadApi::patch_template_annotations(const std::string& ns, const WorkloadRef& ref,
                                             const std::map<std::string, std::string>& annotations) {
  const Json patch = {{"spec", {{"template", {{"metadata", {{"annotations", annotations}}}}}}}};
  return client_.patch(namespaced_path("apps/v1", ns, resource_of(ref.kind), ref.name), patch,
                       PatchType::strategic_merge);
}

std::optional<Lease> LeaseApi::get(const std::string& ns, const std::string& name) {
  try {
    return lease_from_json(client_.get(namespaced_path("coordination.k8s.io/v1", ns, "leases", name)));
  } catch (const ApiError& e) {
    if (e.reason() == Reason::not_found) return std::nullopt;
    throw;
  }
}

Lease LeaseApi::create(const Lease& lease) {
  Lease body = lease;
  body.metadata.resource_version.clear();
  return lease_from_json(client_.create(namespaced_path("coordination.k8s.io/v1", lease.metadata.namespace_, "leases"),
                                        lease_to_json(body)));
}

Lease LeaseApi::update(const Lease& lease) {
  return lease_from_json(client_.replace(
      namespaced_path("coordination.k8s.io/v1", lease.metadata.namespace_, "leases", lease.metadata.name),
      lease_to_json(lease)));
}

Lease LeaseApi::patch(const std::string& ns, const std::string& name, const Json& operations) {
  return lease_from_json(
      client_.patch(namespaced_path("coordination.k8s.io/v1", ns, "leases", name), operations, PatchType::json));
}

std::vector<Json> EventApi::list(const std::string& ns, const std::string& field_selector) {
  std::string path = namespaced_path("v1", ns, "events");
  if (!field_selector.empty()) path += "?fieldSelector=" + url_encode(field_selector);
  const Json list = client_.get(path);
  std::vector<Json> events;
  if (const auto items = list.find("items"); items != list.end() && items->is_array()) {
    for (const auto& item : *items) events.push_back(item);
  }
  return events;
}

void EventApi::create(const EventSpec& event, util::TimePoint now) {
  const std::string time = api_time(now);
  const Json body = {{"apiVersion", "v1"},
                     {"kind", "Event"},
                     {"metadata", {{"generateName", event.involved_name + "."}, {"namespace", event.namespace_}}},
                     {"involvedObject",
                      {{"kind", event.involved_kind},
                       {"apiVersion", event.involved_api_version},
                       {"name", event.involved_name},
                       {"namespace", event.namespace_},
                       {"uid", event.involved_uid}}},
                     {"reason", event.reason},
                     {"message", event.message},
                     {"type", event.type == EventSpec::Type::warning ? "Warning" : "Normal"},
                     {"source", {{"component", event.component}}},
                     {"reportingComponent", event.component},
                     {"firstTimestamp", time},
                     {"lastTimestamp", time},
                     {"count", 1}};
  client_.create(namespaced_path("v1", event.namespace_, "events"), body);
}

}  // namespace rotator::kube
