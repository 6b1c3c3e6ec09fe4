#include "steps/key_ring.h"

#include <algorithm>
#include <sstream>

#include "crypto/crypto_error.h"
#include "crypto/jwk.h"
#include "crypto/pem.h"
#include "util/errors.h"

namespace rotator::steps {
namespace {

SigningKey load_signing_key(const std::string& pem) {
  SigningKey key;
  key.private_key = crypto::load_private_key_pem(pem);
  key.description = crypto::describe_key(*key.private_key);
  key.kid = crypto::key_thumbprint(*key.private_key);
  return key;
}

std::vector<std::string> split_history(const std::string& text) {
  std::vector<std::string> ids;
  std::stringstream in(text);
  std::string id;
  while (std::getline(in, id, ',')) {
    if (!id.empty()) ids.push_back(id);
  }
  return ids;
}

std::string join(const std::vector<std::string>& ids) {
  std::string out;
  for (const auto& id : ids) out += (out.empty() ? "" : ",") + id;
  return out;
}

}  // namespace

bool valid_rotation_id(const std::string& id) {
  if (id.empty() || id.size() > 128) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  });
}

SigningKey generate_signing_key(crypto::Algorithm algorithm, std::optional<int> rsa_bits) {
  SigningKey key;
  key.private_key = crypto::generate_key(algorithm, rsa_bits).private_key;
  key.description = crypto::describe_key(*key.private_key);
  key.kid = crypto::key_thumbprint(*key.private_key);
  return key;
}

SigningKey generate_key_like(const SigningKey& model) {
  const auto algorithm = model.description.algorithm;
  return generate_signing_key(algorithm, algorithm == crypto::Algorithm::rs256
                                             ? std::optional<int>(model.description.bits)
                                             : std::nullopt);
}

ReadKeyRing read_key_ring(const kube::Secret& secret, util::TimePoint now, WantStaged want_staged) {
  const std::string where = "Secret " + secret.metadata.name;
  auto invalid = [&](const std::string& why) {
    return InvalidDataError(where + " is invalid: " + why +
                            "; rotator will not overwrite it (use --force to replace it with new keys)");
  };
  auto field = [&](const char* key) -> const std::string* {
    const auto it = secret.data.find(key);
    return it == secret.data.end() ? nullptr : &it->second;
  };

  ReadKeyRing result;
  KeyRing& ring = result.ring;
  const std::string* private_pem = field(key_secret::private_pem);
  if (private_pem == nullptr) throw invalid("it has no " + std::string(key_secret::private_pem));
  try {
    ring.current = load_signing_key(*private_pem);
  } catch (const crypto::CryptoError& e) {
    throw invalid(std::string(key_secret::private_pem) + ": " + e.what());
  }

  if (const std::string* public_pem = field(key_secret::public_pem)) {
    crypto::PkeyHandle public_key;
    try {
      public_key = crypto::load_public_key_pem(*public_pem);
    } catch (const crypto::CryptoError& e) {
      throw invalid(std::string(key_secret::public_pem) + ": " + e.what());
    }
    if (!crypto::public_matches_private(*public_key, *ring.current.private_key)) {
      throw invalid("public.pem is not the public half of private.pem");
    }
  } else {
    result.gaps.push_back("public.pem is missing");
  }

  if (const std::string* kid = field(key_secret::kid)) {
    if (*kid != ring.current.kid) {
      throw invalid("kid \"" + *kid + "\" is not the RFC 7638 thumbprint of the key");
    }
  } else {
    result.gaps.push_back("kid is missing");
  }

  if (const std::string* next_pem = field(key_secret::next_pem)) {
    try {
      ring.next = load_signing_key(*next_pem);
    } catch (const crypto::CryptoError& e) {
      throw invalid(std::string(key_secret::next_pem) + ": " + e.what());
    }
    if (ring.next->kid == ring.current.kid) throw invalid("next.pem is the current key");
  } else if (want_staged == WantStaged::yes) {
    result.gaps.push_back("no staged next key");
  }

  const auto& annotations = secret.metadata.annotations;
  auto annotation_time = [&](const char* name) -> std::optional<util::TimePoint> {
    const auto it = annotations.find(name);
    if (it == annotations.end()) return std::nullopt;
    auto t = util::parse_rfc3339(it->second);
    if (!t) throw invalid(std::string("annotation ") + name + " is not an RFC 3339 time");
    return t;
  };
  ring.created_at = annotation_time(key_secret::created_at_annotation);
  ring.rotated_at = annotation_time(key_secret::rotated_at_annotation);
  if (const auto it = annotations.find(key_secret::rotation_history_annotation); it != annotations.end()) {
    ring.rotation_history = split_history(it->second);
  }
  if (const auto it = annotations.find(key_secret::pods_restarted_annotation); it != annotations.end()) {
    ring.pods_restarted_for_kid = it->second;
  }

  std::vector<nlohmann::json> published;
  if (const std::string* jwks = field(key_secret::jwks)) {
    try {
      // The provider's public-key check (costly for RSA) is done below, only for
      // keys not proven by equality with a private key held here.
      published = crypto::parse_jwk_set(*jwks, crypto::KeyCheck::skip_provider_check);
      for (const auto& entry : published) {
        const std::string kid = entry.value("kid", "");
        const bool current_key = kid == ring.current.kid;
        const bool staged_key =
            ring.next && kid == ring.next->kid &&
            crypto::public_matches_private(*crypto::public_key_from_jwk(entry, crypto::KeyCheck::skip_provider_check),
                                           *ring.next->private_key);
        if (!current_key && !staged_key) static_cast<void>(crypto::public_key_from_jwk(entry));
      }
    } catch (const crypto::CryptoError& e) {
      throw invalid(std::string(key_secret::jwks) + ": " + e.what());
    }
    const nlohmann::json* current = crypto::find_jwk(published, ring.current.kid);
    if (current == nullptr) {
      result.gaps.push_back("jwks.json does not publish the current key");
    } else {
      try {
        const auto published_key = crypto::public_key_from_jwk(*current, crypto::KeyCheck::skip_provider_check);
        if (!crypto::public_matches_private(*published_key, *ring.current.private_key)) {
          throw invalid("jwks.json publishes a different key under the current kid");
        }
      } catch (const crypto::CryptoError& e) {
        throw invalid(std::string(key_secret::jwks) + ": " + e.what());
      }
    }
  } else {
    result.gaps.push_back("jwks.json is missing");
  }

  const auto previous_kid = annotations.find(key_secret::previous_kid_annotation);
  const auto previous_until = annotation_time(key_secret::previous_until_annotation);
  if (previous_kid != annotations.end() && previous_until) {
    const nlohmann::json* jwk = crypto::find_jwk(published, previous_kid->second);
    if (jwk != nullptr && now < *previous_until) {
      ring.previous = RetiredKey{*jwk, previous_kid->second, *previous_until};
    } else if (jwk != nullptr) {
      result.gaps.push_back("the retired key's grace period has ended");
    }
  }

  if (!result.gaps.empty()) return result;
  // Anything else published (a stale staged or retired key) is a gap too: the set
  // must be exactly what a verifier should trust now.
  if (key_set_of(ring)["keys"].size() != published.size()) {
    result.gaps.push_back("jwks.json publishes keys that are no longer current, staged or in grace");
  }
  return result;
}

nlohmann::json key_set_of(const KeyRing& ring) {
  std::vector<nlohmann::json> keys;
  keys.push_back(crypto::public_jwk(*ring.current.private_key, ring.current.kid));
  if (ring.next) keys.push_back(crypto::public_jwk(*ring.next->private_key, ring.next->kid));
  if (ring.previous) keys.push_back(ring.previous->jwk);
  return crypto::make_jwk_set(keys);
}

void store_key_ring(const KeyRing& ring, kube::Secret& secret) {
  secret.type = "Opaque";
  secret.data.clear();
  {
    crypto::SecretString pem = crypto::private_key_to_pem(*ring.current.private_key);
    secret.data[key_secret::private_pem] = std::string(pem.view());
  }
  secret.data[key_secret::public_pem] = crypto::public_key_to_pem(*ring.current.private_key);
  secret.data[key_secret::kid] = ring.current.kid;
  secret.data[key_secret::jwks] = key_set_of(ring).dump();
  if (ring.next) {
    crypto::SecretString pem = crypto::private_key_to_pem(*ring.next->private_key);
    secret.data[key_secret::next_pem] = std::string(pem.view());
  }

  auto& annotations = secret.metadata.annotations;
  for (const char* name : {key_secret::created_at_annotation, key_secret::rotated_at_annotation,
                           key_secret::rotation_history_annotation, key_secret::previous_kid_annotation,
                           key_secret::previous_until_annotation, key_secret::pods_restarted_annotation}) {
    annotations.erase(name);
  }
  if (ring.created_at) annotations[key_secret::created_at_annotation] = util::format_rfc3339(*ring.created_at);
  if (ring.rotated_at) annotations[key_secret::rotated_at_annotation] = util::format_rfc3339(*ring.rotated_at);
  if (!ring.rotation_history.empty()) {
    std::vector<std::string> recent = ring.rotation_history;
    if (recent.size() > key_secret::rotation_history_limit) {
      recent.erase(recent.begin(), recent.end() - key_secret::rotation_history_limit);
    }
    annotations[key_secret::rotation_history_annotation] = join(recent);
  }
  if (!ring.pods_restarted_for_kid.empty()) {
    annotations[key_secret::pods_restarted_annotation] = ring.pods_restarted_for_kid;
  }
  if (ring.previous) {
    annotations[key_secret::previous_kid_annotation] = ring.previous->kid;
    annotations[key_secret::previous_until_annotation] = util::format_rfc3339(ring.previous->trusted_until);
  }
  secret.metadata.labels["app.kubernetes.io/managed-by"] = "rotator";
}

}  // namespace rotator::steps
