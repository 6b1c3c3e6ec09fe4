#pragma once

#include <optional>
#include <string>

#include "steps/key_ring.h"

namespace rotator::steps {

/// The verdict on an admin JWT, against the signing-key Secret.
struct TokenVerdict {
  bool valid = false;
  std::string kind = "admin token";
  std::string id;       ///< jti
  std::string kid;
  std::string reason;   ///< why not valid; or "valid"
  std::optional<util::TimePoint> issued_at;
  std::optional<util::TimePoint> expires_at;
};

/// Pure: checks `token` against the ring. Valid only when signed by the current
/// key and not expired; a token of the staged or retired key, or of a key no
/// longer published, is named as such.
TokenVerdict verify_admin_token(const std::string& token, const KeyRing& ring, util::TimePoint now);

/// Reads a token argument or file: a bare token, or a token file's access_token.
std::string extract_token(const std::string& text);

}  // namespace rotator::steps
