#pragma once

// The signing-key Secret (contract, see README): what it holds, read into a
// KeyRing and written back. Pure: no Kubernetes calls, no key generation.

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "crypto/keys.h"
#include "crypto/pem.h"
#include "kube/objects.h"
#include "util/time.h"

namespace rotator::formats {

/// A private key with the names verifiers know it by.
struct SigningKey {
  crypto::PkeyHandle private_key;
  std::string kid;  ///< RFC 7638 thumbprint of the public key
  crypto::KeyDescription description{crypto::Algorithm::rs256, 0};
  /// The PEM form it is written in. A key read from the Secret keeps the form it
  /// was found in (an installation taken over may need PKCS#1).
  crypto::PrivateKeyForm form = crypto::PrivateKeyForm::pkcs8;
  /// The exact text it was read from, written back byte for byte: rotator never
  /// re-encodes a key it found. Empty for a key rotator made (or re-formed).
  crypto::SecretString pem;
};

/// The key and names of a private key in PEM form, keeping the text and its form.
/// Throws CryptoError.
SigningKey signing_key_from_pem(std::string_view pem);

/// Gives `key` the form `form`; a key in another form loses its kept text and is
/// encoded anew when stored.
void set_form(SigningKey& key, crypto::PrivateKeyForm form);

/// The PEM text stored for `key`: the text it was read from, else `key` encoded in
/// its form. Throws CryptoError when the form does not hold the key's type.
crypto::SecretString private_pem_of(const SigningKey& key);

/// A key that no longer signs, kept in jwks.json until `trusted_until`, as the
/// rotation that retired it promised, so tokens issued just before a scheduled
/// rotation keep verifying for a grace period.
struct RetiredKey {
  nlohmann::json jwk;
  std::string kid;
  util::TimePoint trusted_until;
};

/// A scheduled rotation promotes the staged key and keeps the old public key
/// trusted for a grace period; an incident rotation generates a fresh key, since
/// a leaked Secret leaked the staged key too, and trusts no retired key.
enum class RotationKind { scheduled, incident };
const char* rotation_kind_name(RotationKind kind);

/// A rotation that replaced the key and has not finished its later phases (new
/// admin token, restart, new staged key). A run without --rotation-id resumes it.
struct RotationRecord {
  std::string id;
  RotationKind kind = RotationKind::scheduled;
  util::TimePoint started_at;
  std::string by;  ///< who started it: command, user, host or pod
  bool operator==(const RotationRecord&) const = default;
};

/// Everything the signing-key Secret holds, parsed and checked.
struct KeyRing {
  SigningKey current;
  std::optional<SigningKey> next;             ///< staged: published in jwks.json, never signs until promoted
  std::vector<RetiredKey> retired;            ///< published until their promised time, oldest first
  std::optional<util::TimePoint> created_at;  ///< when `current` started signing
  std::optional<util::TimePoint> rotated_at;
  std::vector<std::string> rotation_history;  ///< rotation ids that replaced the key, oldest first
  std::optional<RotationRecord> in_progress;
  std::vector<std::string> former_kids;  ///< retired and no longer published, most recent last
  /// The kid for which `--restart delete-pods` deleted the old pods: pod creation
  /// times have one-second resolution, too coarse to tell the pods it replaced
  /// from the new ones, so a rerun needs this record to stay idempotent.
  std::string pods_restarted_for_kid;

  bool rotation_recorded(const std::string& id) const;
};

/// What reading the Secret found besides the ring.
struct KeyRingReading {
  KeyRing ring;
  /// Missing or outdated parts that can be completed without touching the current
  /// key (no staged key, no jwks.json, a retired key past its promise...).
  std::vector<std::string> gaps;
  /// Parts that contradict private.pem (public.pem, kid, jwks.json) or a staged
  /// key that cannot be read: rebuilt from private.pem by `key-gen --repair`.
  std::vector<std::string> repairable;
};

/// Whether the staged next key counts as a gap when absent.
enum class WantStaged { yes, no };

/// Parses the Secret, collecting gaps and repairable problems. Throws
/// InvalidDataError ("Secret NS/NAME is invalid: WHY", never the data) when the
/// current key itself cannot be trusted: no or unreadable private.pem, a Secret of
/// another type than Opaque, or malformed rotator annotations.
KeyRingReading inspect_key_ring(const kube::Secret& secret, util::TimePoint now, WantStaged want_staged);

/// inspect_key_ring, and repairable problems are errors too.
KeyRingReading read_key_ring(const kube::Secret& secret, util::TimePoint now, WantStaged want_staged);

/// The jwks.json a verifier should trust for this ring: current, staged, retired.
nlohmann::json key_set_of(const KeyRing& ring);

/// Writes the ring into `secret` (type, data and rotator.io annotations), keeping
/// the Secret's other metadata (resourceVersion for the precondition, labels) and
/// the data keys rotator does not own (an installation taken over may have its
/// own). A public.pem already there that is the current key's is kept as it is.
void store_key_ring(const KeyRing& ring, kube::Secret& secret);

/// Whether `id` is a usable rotation id (it goes into an annotation list).
bool valid_rotation_id(const std::string& id);

/// An Opaque Secret that exists but holds nothing: created empty by the install
/// (manifests/secrets.yaml, so rotator needs no `create` right on Secrets) and
/// filled by rotator with an update.
bool is_placeholder(const kube::Secret& secret);

/// "Secret NS/NAME".
std::string describe_secret(const kube::Secret& secret);

}  // namespace rotator::formats
