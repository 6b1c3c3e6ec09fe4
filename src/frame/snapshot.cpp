#include "frame/snapshot.h"

#include <algorithm>
#include <stdexcept>

namespace rotator::frame {

std::string describe(const ObjectRef& ref, const std::string& ns) {
  switch (ref.kind) {
    case ObjectRef::Kind::secret: return "Secret " + ns + "/" + ref.name;
    case ObjectRef::Kind::workload: return kube::to_string(ref.workload_ref());
    case ObjectRef::Kind::pods: return "pods " + ref.name;
  }
  return ref.name;
}

const Snapshot::Value& Snapshot::entry(const ObjectRef& ref) const {
  const auto it = entries_.find(ref);
  if (it == entries_.end()) {
    throw std::logic_error("a step asked for " + describe(ref, namespace_) + ", which it did not declare in reads()");
  }
  return it->second;
}

const std::optional<kube::Secret>& Snapshot::secret(const std::string& name) const {
  return std::get<std::optional<kube::Secret>>(entry(ObjectRef::secret(name)));
}

const std::optional<kube::Secret>* Snapshot::find_secret(const std::string& name) const {
  const auto it = entries_.find(ObjectRef::secret(name));
  return it == entries_.end() ? nullptr : std::get_if<std::optional<kube::Secret>>(&it->second);
}

const std::optional<kube::Json>& Snapshot::workload(const kube::WorkloadRef& ref) const {
  return std::get<std::optional<kube::Json>>(entry(ObjectRef::workload(ref)));
}

const std::vector<kube::Pod>& Snapshot::pods(const std::string& selector) const {
  return std::get<std::vector<kube::Pod>>(entry(ObjectRef::pods(selector)));
}

void Snapshot::forget_what_changes_by_itself() {
  std::erase_if(entries_, [](const auto& entry) { return entry.first.changes_by_itself(); });
}

void Snapshot::remove_pod(const std::string& uid) {
  for (auto& [ref, value] : entries_) {
    if (auto* pods = std::get_if<std::vector<kube::Pod>>(&value)) {
      std::erase_if(*pods, [&](const kube::Pod& pod) { return pod.metadata.uid == uid; });
    }
  }
}

std::vector<std::string> Snapshot::secret_names() const {
  std::vector<std::string> names;
  for (const auto& [ref, value] : entries_) {
    if (ref.kind == ObjectRef::Kind::secret) names.push_back(ref.name);
  }
  return names;
}

}  // namespace rotator::frame
