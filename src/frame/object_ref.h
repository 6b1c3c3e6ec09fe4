#pragma once

#include <compare>
#include <string>

#include "kube/resources.h"

namespace rotator::frame {

/// An object (or, for pods, a set of objects) a step decides on, in the run's
/// namespace.
struct ObjectRef {
  enum class Kind { secret, workload, pods };
  Kind kind = Kind::secret;
  /// The Secret's or workload's name; for pods, the label selector.
  std::string name;
  kube::WorkloadKind workload_kind = kube::WorkloadKind::deployment;

  static ObjectRef secret(std::string name) { return {Kind::secret, std::move(name), {}}; }
  static ObjectRef workload(const kube::WorkloadRef& ref) { return {Kind::workload, ref.name, ref.kind}; }
  static ObjectRef pods(std::string selector) { return {Kind::pods, std::move(selector), {}}; }

  /// Objects controllers change on their own (workload status, pods): read again
  /// after every wait, never trusted from before one.
  bool changes_by_itself() const { return kind != Kind::secret; }
  kube::WorkloadRef workload_ref() const { return {workload_kind, name}; }

  auto operator<=>(const ObjectRef&) const = default;
};

/// "Secret NS/NAME", "deployment/NAME", "pods app=x".
std::string describe(const ObjectRef& ref, const std::string& ns);

}  // namespace rotator::frame
