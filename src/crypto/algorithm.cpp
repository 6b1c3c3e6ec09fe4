#include "crypto/algorithm.h"

namespace rotator::crypto {

std::string_view jose_name(Algorithm algorithm) {
  switch (algorithm) {
    case Algorithm::rs256: return "RS256";
    case Algorithm::es256: return "ES256";
    case Algorithm::eddsa: return "EdDSA";
  }
  return "unknown";
}

std::optional<Algorithm> algorithm_from_jose_name(std::string_view name) {
  for (Algorithm candidate : {Algorithm::rs256, Algorithm::es256, Algorithm::eddsa}) {
    if (jose_name(candidate) == name) return candidate;
  }
  return std::nullopt;
}

}  // namespace rotator::crypto
