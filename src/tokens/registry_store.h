#pragma once

#include <functional>
#include <optional>
#include <string>

#include "kube/client.h"
#include "kube/objects.h"
#include "tokens/format_names.h"

namespace rotator::tokens {

/// Which registry Secret, in which namespace.
struct RegistryLocation {
  std::string namespace_;
  std::string secret_name;
  TokenKind kind = TokenKind::management;
};

/// Whether a registry that cannot be parsed may be replaced by an empty one.
enum class ForceOverwrite { no, yes };

/// What was read: the registry (empty when the Secret does not exist) and the
/// Secret itself, whose resourceVersion the next write is preconditioned on.
struct ObservedRegistry {
  Registry registry;
  std::optional<kube::Secret> secret;
};

/// Whether a mutation changed anything worth writing.
enum class Change { none, changed };

/// The result of a read-modify-write.
struct UpdateResult {
  Change change = Change::none;
  Registry registry;    ///< as written (or as read, when nothing changed)
  kube::Secret secret;  ///< as the server returned it (empty metadata when absent and unchanged)
  int attempts = 0;     ///< 1 unless 409s made it retry
};

/// Serialised size check: throws rotator::Error (exit 1) naming the count and
/// the bytes when the registry would not fit in one Secret.
void check_capacity(const Registry& registry, const RegistryLocation& where);

/// Reads and writes one registry Secret. Every write carries the resourceVersion
/// it was computed from; a 409 (someone else wrote in between) re-reads and applies
/// the mutation again, at most `max_attempts` times, so concurrent creates and
/// revokes never lose a record.
class RegistryStore {
 public:
  RegistryStore(kube::Client& client, RegistryLocation where,
                ForceOverwrite force = ForceOverwrite::no);

  /// Throws InvalidDataError when the Secret exists but its registry cannot be read
  /// (unless forced, which yields an empty registry).
  ObservedRegistry read();

  /// Reads, applies `mutate` to the registry, and writes it back when it returns
  /// Change::changed. `mutate` must be a pure function of the registry it is given:
  /// it runs again after a conflict.
  UpdateResult update(const std::function<Change(Registry&)>& mutate);

  const RegistryLocation& where() const { return where_; }
  static constexpr int max_attempts = 8;

 private:
  kube::Client& client_;
  RegistryLocation where_;
  ForceOverwrite force_;
};

}  // namespace rotator::tokens
