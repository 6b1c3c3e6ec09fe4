#include "frame/simulate.h"

namespace rotator::frame {

void simulate(const Change& change, Snapshot& snapshot) {
  if (const auto* write = std::get_if<WriteSecret>(&change.operation)) {
    kube::Secret planned = write->secret;
    planned.metadata.namespace_ = snapshot.namespace_name();
    // A planned object exists from now on: later writes replace it.
    planned.metadata.resource_version =
        planned.metadata.resource_version.empty() ? "planned" : planned.metadata.resource_version + "+1";
    snapshot.put(ObjectRef::secret(planned.metadata.name), std::optional<kube::Secret>(planned));
  } else if (const auto* patch = std::get_if<PatchPodTemplate>(&change.operation)) {
    const ObjectRef ref = ObjectRef::workload(patch->target);
    if (!snapshot.has(ref) || !snapshot.workload(patch->target)) return;
    kube::Json workload = *snapshot.workload(patch->target);
    for (const auto& [key, value] : patch->annotations) {
      workload["spec"]["template"]["metadata"]["annotations"][key] = value;
    }
    // A changed spec is a new generation, which the controller has yet to observe.
    const auto& generation = workload["metadata"]["generation"];
    workload["metadata"]["generation"] = (generation.is_number_integer() ? generation.get<long>() : 1) + 1;
    snapshot.put(ref, std::optional<kube::Json>(workload));
  } else {
    snapshot.remove_pod(std::get<DeletePod>(change.operation).pod.metadata.uid);
  }
}

}  // namespace rotator::frame
