#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "frame/object_ref.h"
#include "kube/objects.h"

namespace rotator::frame {

/// What a run has seen of the cluster in one namespace: each object a step reads,
/// as last read or written (nullopt: it does not exist). Decisions are pure
/// functions of a Snapshot; the run keeps it current, so a later step of the same
/// plan decides on what an earlier one wrote without reading it again, and a dry
/// run plans each step on what the previous ones would have written.
class Snapshot {
 public:
  /// `cluster`: the kubeconfig context of a multi-cluster run; empty otherwise.
  explicit Snapshot(std::string ns, std::string cluster = {})
      : namespace_(std::move(ns)), place_(cluster.empty() ? namespace_ : cluster + "/" + namespace_) {}

  const std::string& namespace_name() const { return namespace_; }
  /// Where the run acts, unique across the clusters of one run: "NS", or
  /// "CLUSTER/NS". Names what a process keeps per place (the key source's slots),
  /// so two clusters' equally named namespaces never share a key.
  const std::string& place() const { return place_; }

  /// The object as seen. Asking for one that was not read is a programming error
  /// (std::logic_error): a step reads only what its reads() declares.
  const std::optional<kube::Secret>& secret(const std::string& name) const;
  const std::optional<kube::Json>& workload(const kube::WorkloadRef& ref) const;
  const std::vector<kube::Pod>& pods(const std::string& selector) const;

  /// The Secret if it was read, else null: for code that may run after a failure
  /// left the snapshot incomplete (messages about unfinished work).
  const std::optional<kube::Secret>* find_secret(const std::string& name) const;

  /// Whether a wait was taken as satisfied (a dry run plans past the waits it
  /// cannot perform).
  bool assumed(const std::string& wait_key) const { return assumed_.contains(wait_key); }

  /// What an earlier decision of this run asked to remember (Decision::remember).
  std::optional<std::string> remembered(const std::string& key) const {
    const auto it = remembered_.find(key);
    return it == remembered_.end() ? std::nullopt : std::optional<std::string>(it->second);
  }
  void remember(const std::map<std::string, std::string>& values) {
    for (const auto& [key, value] : values) remembered_[key] = value;
  }

  // For the run that keeps the snapshot current.
  using Value = std::variant<std::optional<kube::Secret>, std::optional<kube::Json>, std::vector<kube::Pod>>;
  bool has(const ObjectRef& ref) const { return entries_.contains(ref); }
  void put(const ObjectRef& ref, Value value) { entries_[ref] = std::move(value); }
  void forget(const ObjectRef& ref) { entries_.erase(ref); }
  /// Everything read, and what decisions made on it remembered: decisions made
  /// before the lock are provisional, remade on what is read under it.
  void forget_all() {
    entries_.clear();
    remembered_.clear();
  }
  /// The same, but objects known to be unchanged since they were read stay.
  void forget_all_except(const std::set<ObjectRef>& unchanged) {
    std::erase_if(entries_, [&](const auto& entry) { return !unchanged.contains(entry.first); });
    remembered_.clear();
  }
  void forget_what_changes_by_itself();
  void assume(const std::string& wait_key) { assumed_.insert(wait_key); }
  /// Drops a pod from every pod list (it was deleted).
  void remove_pod(const std::string& uid);
  /// A Secret that was read or written, wherever it came from.
  std::vector<std::string> secret_names() const;

 private:
  const Value& entry(const ObjectRef& ref) const;

  std::string namespace_;
  std::string place_;
  std::map<ObjectRef, Value> entries_;
  std::set<std::string> assumed_;
  std::map<std::string, std::string> remembered_;
};

}  // namespace rotator::frame
