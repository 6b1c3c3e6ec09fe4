#include "frame/change.h"

namespace rotator::frame {

std::string Change::verb() const {
  if (const auto* write = std::get_if<WriteSecret>(&operation)) {
    return write->secret.metadata.resource_version.empty() ? "create" : "replace";
  }
  if (std::holds_alternative<PatchPodTemplate>(operation)) return "patch";
  return "delete";
}

ObjectRef Change::object() const {
  if (const auto* write = std::get_if<WriteSecret>(&operation)) return ObjectRef::secret(write->secret.metadata.name);
  if (const auto* patch = std::get_if<PatchPodTemplate>(&operation)) return ObjectRef::workload(patch->target);
  return {ObjectRef::Kind::pods, std::get<DeletePod>(operation).pod.metadata.name, {}};
}

std::string Change::target(const std::string& ns) const {
  if (const auto* remove = std::get_if<DeletePod>(&operation)) return "Pod " + ns + "/" + remove->pod.metadata.name;
  return describe(object(), ns);
}

}  // namespace rotator::frame
