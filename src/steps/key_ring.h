#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "crypto/keys.h"
#include "kube/objects.h"
#include "util/time.h"

namespace rotator::steps {

/// Data keys and annotations of the signing-key Secret (contract, see README).
namespace key_secret {
inline constexpr const char* private_pem = "private.pem";
inline constexpr const char* public_pem = "public.pem";
inline constexpr const char* kid = "kid";
inline constexpr const char* jwks = "jwks.json";
inline constexpr const char* next_pem = "next.pem";
inline constexpr const char* created_at_annotation = "rotator.io/key-created-at";
inline constexpr const char* rotated_at_annotation = "rotator.io/rotated-at";
inline constexpr const char* rotation_history_annotation = "rotator.io/rotation-history";
inline constexpr const char* previous_kid_annotation = "rotator.io/previous-kid";
inline constexpr const char* previous_until_annotation = "rotator.io/previous-trusted-until";
inline constexpr const char* pods_restarted_annotation = "rotator.io/pods-restarted-for-kid";
inline constexpr std::size_t rotation_history_limit = 20;
}  // namespace key_secret

/// A private key with the names verifiers know it by.
struct SigningKey {
  crypto::PkeyHandle private_key;
  std::string kid;  ///< RFC 7638 thumbprint of the public key
  crypto::KeyDescription description{crypto::Algorithm::rs256, 0};
};

/// A key that no longer signs, kept in jwks.json until `trusted_until` so tokens
/// issued just before a scheduled rotation keep working for a grace period.
struct RetiredKey {
  nlohmann::json jwk;
  std::string kid;
  util::TimePoint trusted_until;
};

/// Everything the signing-key Secret holds, parsed and checked.
struct KeyRing {
  SigningKey current;
  std::optional<SigningKey> next;  ///< staged: published in jwks.json, never signs until promoted
  std::optional<RetiredKey> previous;
  std::optional<util::TimePoint> created_at;  ///< when `current` started signing
  std::optional<util::TimePoint> rotated_at;
  std::vector<std::string> rotation_history;  ///< rotation ids applied, oldest first
  /// The kid for which `--restart delete-pods` last finished: pod creation times
  /// have one-second resolution, too coarse to tell the pods it replaced from the
  /// new ones, so a rerun needs this record to stay idempotent.
  std::string pods_restarted_for_kid;
};

/// A Secret read into a KeyRing, with what is missing or outdated but can be
/// completed without touching the current key (no jwks.json yet, an expired
/// retired key, no staged key...).
struct ReadKeyRing {
  KeyRing ring;
  std::vector<std::string> gaps;  ///< human-readable, empty when complete and current
};

/// Parses and checks the Secret. Throws InvalidDataError, naming the Secret and the
/// problem but never the data, when the current key cannot be trusted: bad or
/// encrypted PEM, public key not matching private, wrong kid, unreadable jwks.json
/// or one that publishes the current key differently. `now` decides whether the
/// retired key's grace has ended. `want_staged` adds a missing staged key to gaps.
enum class WantStaged { yes, no };
ReadKeyRing read_key_ring(const kube::Secret& secret, util::TimePoint now, WantStaged want_staged);

/// The jwks.json a verifier should trust for this ring: current, staged, retired.
nlohmann::json key_set_of(const KeyRing& ring);

/// Writes the ring into `secret` (data and rotator.io annotations), keeping the
/// Secret's other metadata (resourceVersion for the precondition, labels).
void store_key_ring(const KeyRing& ring, kube::Secret& secret);

/// A fresh signing key.
SigningKey generate_signing_key(crypto::Algorithm algorithm, std::optional<int> rsa_bits);

/// A fresh key of the same algorithm and size as `model` (the next staged key).
SigningKey generate_key_like(const SigningKey& model);

/// Whether `id` is a usable rotation id (it goes into an annotation list).
bool valid_rotation_id(const std::string& id);

}  // namespace rotator::steps
