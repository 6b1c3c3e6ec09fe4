#pragma once

#include <memory>
#include <optional>
#include <string>

#include "crypto/algorithm.h"
#include "crypto/pem.h"
#include "formats/key_ring.h"
#include "frame/step.h"
#include "steps/key_source.h"

namespace rotator::steps {

enum class Force { no, yes };
enum class Repair { no, yes };

struct KeyGenOptions {
  std::string secret_name = "rsa-keys";
  crypto::Algorithm algorithm = crypto::Algorithm::rs256;
  std::optional<int> rsa_bits;  ///< RS256 only; default 2048
  Force force = Force::no;      ///< replace keys that cannot be read (every token becomes invalid)
  Repair repair = Repair::no;   ///< rebuild public.pem, kid and jwks.json from a valid private.pem
  /// --key-form: the PEM form of the keys key-gen generates. Without it, a new
  /// ring is PKCS#8 and keys added to a ring take its current key's form.
  std::optional<crypto::PrivateKeyForm> key_form;
};

/// Why key-gen does what it does: the reasons its reports and Events give.
namespace key_gen_reason {
inline constexpr const char* no_keys = "no signing keys yet";
inline constexpr const char* placeholder = "the Secret is empty (created by the install)";
inline constexpr const char* forced = "--force: replacing invalid data";
inline constexpr const char* repaired = "--repair: rebuilt from private.pem";
inline constexpr const char* complete = "(current key kept)";
}  // namespace key_gen_reason

/// What key-gen should do about what it found: pure, table-tested.
struct KeyGenAssessment {
  enum class Action {
    nothing,          ///< a complete, valid key ring: no write
    create,           ///< no Secret, or an empty one: a new key and a staged next key
    complete,         ///< valid key, but gaps (staged key, jwks.json, expired retired key): fill them
    repair,           ///< --repair: rebuild what private.pem determines, keep private.pem
    replace_invalid,  ///< invalid data and --force: new keys, in one preconditioned write
  } action = Action::nothing;
  std::string reason;
  std::optional<formats::KeyRingReading> existing;  ///< for complete and repair
};

/// Throws InvalidDataError (exit 5) for data it may not touch, with the command
/// that would (key-gen --repair or --force, naming the namespace).
KeyGenAssessment assess_key_gen(const std::optional<kube::Secret>& observed, const KeyGenOptions& options,
                                util::TimePoint now);

/// The hint for invalid signing keys, as every step that reads them gives it.
std::string invalid_keys_hint(const std::string& ns, bool repairable);

/// key-gen: makes sure the Secret holds a valid key ring.
class KeyGenStep : public frame::Step {
 public:
  KeyGenStep(KeyGenOptions options, std::shared_ptr<KeySource> keys);
  std::string name() const override { return "key-gen"; }
  std::vector<frame::ObjectRef> reads() const override;
  frame::Decision decide(const frame::Snapshot& seen, const frame::DecisionContext& context) const override;
  std::vector<kube::Access> rights(const frame::Snapshot& seen) const override;

 private:
  KeyGenOptions options_;
  std::shared_ptr<KeySource> keys_;
};

}  // namespace rotator::steps
