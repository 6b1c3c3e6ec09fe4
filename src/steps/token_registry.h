#pragma once

// A token registry Secret as steps see it: read from the snapshot, written back
// as a change. The registry's format itself is a contract format.

#include <string>

#include "formats/registry.h"
#include "frame/change.h"
#include "frame/snapshot.h"
#include "steps/key_gen.h"

namespace rotator::steps {

/// Which registry Secret a token step works on.
struct RegistryRef {
  std::string secret_name;
  formats::TokenKind kind = formats::TokenKind::management;
  /// Whether a registry that cannot be read may be replaced by an empty one.
  Force force = Force::no;
};

/// The registry the snapshot holds: empty when the Secret is absent or empty.
/// Throws InvalidDataError (exit 5) when it cannot be read, unless forced.
formats::Registry registry_in(const frame::Snapshot& seen, const RegistryRef& ref);

/// The change that writes `registry` to its Secret (created when absent),
/// preconditioned on the version read. Throws Error (exit 1) when it would not fit
/// in one Secret.
frame::Change registry_change(const frame::Snapshot& seen, const RegistryRef& ref, const formats::Registry& registry);

}  // namespace rotator::steps
