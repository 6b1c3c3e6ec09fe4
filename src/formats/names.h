#pragma once

// The names rotator writes into Kubernetes objects (contract, see README): data
// keys and annotations of its Secrets, and its label. One place, so a reader
// (status, verify) and a writer (the steps) can never disagree.

#include <cstddef>

namespace rotator::formats {

/// The label every object rotator writes carries.
inline constexpr const char* managed_by_label = "app.kubernetes.io/managed-by";
inline constexpr const char* managed_by_value = "rotator";

/// The signing-key Secret (default name rsa-keys).
namespace key_secret {
inline constexpr const char* default_name = "rsa-keys";
inline constexpr const char* private_pem = "private.pem";
inline constexpr const char* public_pem = "public.pem";
inline constexpr const char* kid = "kid";
inline constexpr const char* jwks = "jwks.json";
inline constexpr const char* next_pem = "next.pem";
inline constexpr const char* created_at_annotation = "rotator.io/key-created-at";
inline constexpr const char* rotated_at_annotation = "rotator.io/rotated-at";
inline constexpr const char* rotation_history_annotation = "rotator.io/rotation-history";
/// The rotation that replaced the key and has not finished yet (JSON).
inline constexpr const char* rotation_in_progress_annotation = "rotator.io/rotation-in-progress";
/// Retired keys still published in jwks.json, each with its promised end (JSON list).
inline constexpr const char* retired_keys_annotation = "rotator.io/retired-keys";
/// Kids of keys that were retired and are no longer published (most recent last),
/// so `verify` can tell "retired here" from "another namespace or cluster".
inline constexpr const char* former_kids_annotation = "rotator.io/former-kids";
/// Written by rotator before retired-keys existed: one retired key. Still read.
inline constexpr const char* legacy_previous_kid_annotation = "rotator.io/previous-kid";
inline constexpr const char* legacy_previous_until_annotation = "rotator.io/previous-trusted-until";
/// The kid for which `--restart delete-pods` deleted the old pods.
inline constexpr const char* pods_restarted_annotation = "rotator.io/pods-restarted-for-kid";
inline constexpr std::size_t rotation_history_limit = 20;
inline constexpr std::size_t former_kids_limit = 20;
}  // namespace key_secret

/// The admin-token Secret (default name admin-token).
namespace admin_secret {
inline constexpr const char* default_name = "admin-token";
inline constexpr const char* token = "token";
inline constexpr const char* kid_annotation = "rotator.io/kid";
inline constexpr const char* jti_annotation = "rotator.io/jti";
}  // namespace admin_secret

/// The pod template annotation that ties a rollout to a key, so a rerun never
/// restarts twice for the same key.
inline constexpr const char* restart_kid_annotation = "rotator.io/kid";
inline constexpr const char* restarted_at_annotation = "rotator.io/restarted-at";

}  // namespace rotator::formats
