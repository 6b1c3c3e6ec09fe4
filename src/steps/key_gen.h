#pragma once

#include <optional>
#include <string>

#include "crypto/algorithm.h"
#include "kube/objects.h"
#include "steps/key_ring.h"
#include "steps/step_context.h"

namespace rotator::steps {

enum class Force { no, yes };

struct KeyGenOptions {
  std::string secret_name = "rsa-keys";
  crypto::Algorithm algorithm = crypto::Algorithm::rs256;
  std::optional<int> rsa_bits;  ///< RS256 only; default 2048
  Force force = Force::no;
  std::string step_label = "key-gen";  ///< how reports name the step (rotation reuses it)
};

/// What key-gen should do about what it found.
struct KeyGenDecision {
  enum class Action {
    nothing,          ///< a complete, valid key ring: no write
    create,           ///< no Secret: create one with a new key and a staged next key
    complete,         ///< valid key, but gaps (staged key, jwks.json, expired retired key): fill them
    replace_invalid,  ///< invalid data and --force: replace it, in one preconditioned write
  } action = Action::nothing;
  std::string reason;
  std::optional<ReadKeyRing> existing;
};

/// Pure: decides from the observed Secret. Throws InvalidDataError (exit 5) for
/// invalid data unless options.force.
KeyGenDecision decide_key_gen(const std::optional<kube::Secret>& observed, const KeyGenOptions& options,
                              util::TimePoint now);

/// Makes sure the Secret holds a valid key ring: observe, decide, write (under the
/// lock, re-observed there), with an Event for each change.
void run_key_gen(StepContext& context, const KeyGenOptions& options);

}  // namespace rotator::steps
