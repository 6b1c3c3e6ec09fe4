#include "formats/key_ring.h"

#include <algorithm>
#include <sstream>

#include "crypto/crypto_error.h"
#include "crypto/jwk.h"
#include "crypto/pem.h"
#include "formats/names.h"
#include "util/errors.h"
#include "util/json_fields.h"

namespace rotator::formats {
namespace {

using Json = nlohmann::json;

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> ids;
  std::stringstream in(text);
  std::string id;
  while (std::getline(in, id, ',')) {
    if (!id.empty()) ids.push_back(id);
  }
  return ids;
}

std::string join_list(const std::vector<std::string>& ids, std::size_t keep_last) {
  const std::size_t first = ids.size() > keep_last ? ids.size() - keep_last : 0;
  std::string out;
  for (std::size_t i = first; i < ids.size(); ++i) out += (out.empty() ? "" : ",") + ids[i];
  return out;
}

std::optional<RotationKind> parse_kind(const std::string& text) {
  if (text == "scheduled") return RotationKind::scheduled;
  if (text == "incident") return RotationKind::incident;
  return std::nullopt;
}

/// Reads the Secret's data and annotations for one inspection, naming the Secret
/// (never the data) in every error.
class Reader {
 public:
  Reader(const kube::Secret& secret, util::TimePoint now) : secret_(secret), now_(now) {}

  [[noreturn]] void invalid(const std::string& why) const {
    throw InvalidDataError(describe_secret(secret_) + " is invalid: " + why);
  }

  const std::string* data(const char* key) const {
    const auto it = secret_.data.find(key);
    return it == secret_.data.end() ? nullptr : &it->second;
  }

  const std::string* annotation(const char* name) const {
    const auto it = secret_.metadata.annotations.find(name);
    return it == secret_.metadata.annotations.end() ? nullptr : &it->second;
  }

  std::optional<util::TimePoint> time_annotation(const char* name) const {
    const std::string* text = annotation(name);
    if (text == nullptr) return std::nullopt;
    auto t = util::parse_rfc3339(*text);
    if (!t) invalid(std::string("annotation ") + name + " is not an RFC 3339 time");
    return t;
  }

  Json json_annotation(const char* name) const {
    const std::string* text = annotation(name);
    if (text == nullptr) return nullptr;
    Json json = Json::parse(*text, nullptr, false);
    if (json.is_discarded()) invalid(std::string("annotation ") + name + " is not valid JSON");
    return json;
  }

  std::optional<RotationRecord> in_progress() const {
    const Json json = json_annotation(key_secret::rotation_in_progress_annotation);
    if (json.is_null()) return std::nullopt;
    const std::string where = std::string("annotation ") + key_secret::rotation_in_progress_annotation;
    RotationRecord record;
    record.id = util::string_member(json, "id");
    const auto kind = parse_kind(util::string_member(json, "kind"));
    const auto started = util::parse_rfc3339(util::string_member(json, "startedAt"));
    if (!valid_rotation_id(record.id) || !kind || !started) {
      invalid(where + " needs an id, a kind (scheduled or incident) and an RFC 3339 startedAt");
    }
    record.kind = *kind;
    record.started_at = *started;
    record.by = util::string_member(json, "by");
    return record;
  }

  /// The retired keys' promises: the JSON list, or the single legacy pair.
  std::vector<std::pair<std::string, util::TimePoint>> retired_promises() const {
    std::vector<std::pair<std::string, util::TimePoint>> promises;
    const Json list = json_annotation(key_secret::retired_keys_annotation);
    if (!list.is_null()) {
      if (!list.is_array())
        invalid(std::string("annotation ") + key_secret::retired_keys_annotation + " is not a list");
      for (const auto& entry : list) {
        const std::string kid = util::string_member(entry, "kid");
        const auto until = util::parse_rfc3339(util::string_member(entry, "trustedUntil"));
        if (kid.empty() || !until) {
          invalid(std::string("annotation ") + key_secret::retired_keys_annotation +
                  " has an entry without kid and RFC 3339 trustedUntil");
        }
        promises.emplace_back(kid, *until);
      }
      return promises;
    }
    const std::string* kid = annotation(key_secret::legacy_previous_kid_annotation);
    const auto until = time_annotation(key_secret::legacy_previous_until_annotation);
    if (kid != nullptr && until) promises.emplace_back(*kid, *until);
    return promises;
  }

  util::TimePoint now() const { return now_; }

 private:
  const kube::Secret& secret_;
  util::TimePoint now_;
};

/// Whether `secret` already holds the public half of `current` as public.pem: kept
/// byte for byte then, as the installation that wrote it left it.
bool holds_public_of(const kube::Secret& secret, const SigningKey& current) {
  const auto it = secret.data.find(key_secret::public_pem);
  if (it == secret.data.end()) return false;
  try {
    return crypto::public_matches_private(*crypto::load_public_key_pem(it->second), *current.private_key);
  } catch (const crypto::CryptoError&) {
    return false;
  }
}

}  // namespace

const char* rotation_kind_name(RotationKind kind) {
  return kind == RotationKind::incident ? "incident" : "scheduled";
}

bool KeyRing::rotation_recorded(const std::string& id) const {
  return std::find(rotation_history.begin(), rotation_history.end(), id) != rotation_history.end();
}

SigningKey signing_key_from_pem(std::string_view pem) {
  SigningKey key;
  crypto::LoadedPrivateKey loaded = crypto::load_private_key_pem_with_form(pem);
  key.private_key = std::move(loaded.key);
  key.form = loaded.form;
  key.pem = crypto::SecretString(pem.data(), pem.size());
  key.description = crypto::describe_key(*key.private_key);
  key.kid = crypto::key_thumbprint(*key.private_key);
  return key;
}

void set_form(SigningKey& key, crypto::PrivateKeyForm form) {
  if (key.form == form) return;
  key.form = form;
  key.pem = crypto::SecretString();
}

crypto::SecretString private_pem_of(const SigningKey& key) {
  if (!key.pem.empty()) return crypto::SecretString(key.pem.data(), key.pem.size());
  return crypto::private_key_to_pem(*key.private_key, key.form);
}

bool valid_rotation_id(const std::string& id) {
  if (id.empty() || id.size() > 128) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  });
}

bool is_placeholder(const kube::Secret& secret) {
  // Only an Opaque one: an empty Secret of another type is not the install's
  // placeholder, and the type checks after this refuse it (a Secret's type never
  // changes, so filling it could never make it Opaque).
  return secret.data.empty() && (secret.type.empty() || secret.type == "Opaque");
}

std::string describe_secret(const kube::Secret& secret) {
  return "Secret " + (secret.metadata.namespace_.empty() ? "" : secret.metadata.namespace_ + "/") +
         secret.metadata.name;
}

KeyRingReading inspect_key_ring(const kube::Secret& secret, util::TimePoint now, WantStaged want_staged) {
  const Reader reader(secret, now);
  if (!secret.type.empty() && secret.type != "Opaque") {
    reader.invalid("its type is " + secret.type + ", not Opaque (rotator never writes into another type)");
  }
  KeyRingReading result;
  KeyRing& ring = result.ring;
  const std::string* private_pem = reader.data(key_secret::private_pem);
  if (private_pem == nullptr) reader.invalid(std::string("it has no ") + key_secret::private_pem);
  try {
    ring.current = signing_key_from_pem(*private_pem);
  } catch (const crypto::CryptoError& e) {
    reader.invalid(std::string(key_secret::private_pem) + ": " + e.what());
  }

  if (const std::string* public_pem = reader.data(key_secret::public_pem)) {
    try {
      const auto public_key = crypto::load_public_key_pem(*public_pem);
      if (!crypto::public_matches_private(*public_key, *ring.current.private_key)) {
        result.repairable.push_back("public.pem is not the public half of private.pem");
      }
    } catch (const crypto::CryptoError& e) {
      result.repairable.push_back(std::string(key_secret::public_pem) + ": " + e.what());
    }
  } else {
    result.gaps.push_back("public.pem is missing");
  }

  if (const std::string* kid = reader.data(key_secret::kid)) {
    if (*kid != ring.current.kid) result.repairable.push_back("kid is not the RFC 7638 thumbprint of the key");
  } else {
    result.gaps.push_back("kid is missing");
  }

  if (const std::string* next_pem = reader.data(key_secret::next_pem)) {
    try {
      ring.next = signing_key_from_pem(*next_pem);
      if (ring.next->kid == ring.current.kid) {
        ring.next.reset();
        result.repairable.push_back("next.pem is the current key");
      }
    } catch (const crypto::CryptoError& e) {
      result.repairable.push_back(std::string(key_secret::next_pem) + ": " + e.what());
    }
  } else if (want_staged == WantStaged::yes) {
    result.gaps.push_back("no staged next key");
  }

  ring.created_at = reader.time_annotation(key_secret::created_at_annotation);
  ring.rotated_at = reader.time_annotation(key_secret::rotated_at_annotation);
  if (const std::string* history = reader.annotation(key_secret::rotation_history_annotation)) {
    ring.rotation_history = split_list(*history);
  }
  if (const std::string* former = reader.annotation(key_secret::former_kids_annotation)) {
    ring.former_kids = split_list(*former);
  }
  if (const std::string* pods = reader.annotation(key_secret::pods_restarted_annotation)) {
    ring.pods_restarted_for_kid = *pods;
  }
  ring.in_progress = reader.in_progress();
  const auto promises = reader.retired_promises();

  std::vector<Json> published;
  bool jwks_readable = false;
  if (const std::string* jwks = reader.data(key_secret::jwks)) {
    try {
      // The provider's public-key check (costly for RSA: a compositeness test of
      // the modulus, about a quarter of a converged run's CPU) is done in full
      // only for keys not proven otherwise. The current and staged keys are
      // proven by equality with a private key held here. A retired key this
      // Secret promises, whose members hash to its kid, is one rotator published
      // with its RFC 7638 thumbprint as kid, taken from the private key it held:
      // any accidental change to its members changes the thumbprint. Someone who
      // rewrites the key and its kid and promise on purpose still meets the
      // cheap checks (KeyCheck::quick): an odd modulus, a sane exponent.
      published = crypto::parse_jwk_set(*jwks, crypto::KeyCheck::skip_provider_check);
      for (const auto& entry : published) {
        const std::string kid = util::string_member(entry, "kid");
        const bool current_key = kid == ring.current.kid;
        const bool staged_key =
            ring.next && kid == ring.next->kid &&
            crypto::public_matches_private(*crypto::public_key_from_jwk(entry, crypto::KeyCheck::skip_provider_check),
                                           *ring.next->private_key);
        if (!current_key && !staged_key) {
          const bool promised_retired_key = std::any_of(promises.begin(), promises.end(),
                                                        [&](const auto& promise) { return promise.first == kid; }) &&
                                            crypto::jwk_thumbprint(entry) == kid;
          static_cast<void>(crypto::public_key_from_jwk(
              entry, promised_retired_key ? crypto::KeyCheck::quick : crypto::KeyCheck::full));
        }
      }
      jwks_readable = true;
    } catch (const crypto::CryptoError& e) {
      result.repairable.push_back(std::string(key_secret::jwks) + ": " + e.what());
      published.clear();
    }
    if (jwks_readable) {
      if (const Json* current = crypto::find_jwk(published, ring.current.kid)) {
        const auto published_key = crypto::public_key_from_jwk(*current, crypto::KeyCheck::skip_provider_check);
        if (!crypto::public_matches_private(*published_key, *ring.current.private_key)) {
          result.repairable.push_back("jwks.json publishes a different key under the current kid");
        }
      } else {
        result.gaps.push_back("jwks.json does not publish the current key");
      }
    }
  } else {
    result.gaps.push_back("jwks.json is missing");
  }

  for (const auto& [kid, until] : promises) {
    const Json* jwk = crypto::find_jwk(published, kid);
    if (jwk == nullptr) {
      if (now < until)
        result.gaps.push_back("retired key kid=" + kid + " is no longer published (its public key is lost)");
      ring.former_kids.push_back(kid);
    } else if (now < until) {
      ring.retired.push_back(RetiredKey{*jwk, kid, until});
    } else {
      result.gaps.push_back("the grace period of retired key kid=" + kid + " has ended");
      ring.former_kids.push_back(kid);
    }
  }

  // Anything else published (a stale staged or retired key) is a gap too: the set
  // must be exactly what a verifier should trust now.
  if (jwks_readable && result.gaps.empty() && result.repairable.empty() &&
      key_set_of(ring)["keys"].size() != published.size()) {
    result.gaps.push_back("jwks.json publishes keys that are no longer current, staged or in grace");
  }
  return result;
}

KeyRingReading read_key_ring(const kube::Secret& secret, util::TimePoint now, WantStaged want_staged) {
  KeyRingReading reading = inspect_key_ring(secret, now, want_staged);
  if (!reading.repairable.empty()) {
    std::string why;
    for (const auto& problem : reading.repairable) why += (why.empty() ? "" : "; ") + problem;
    throw InvalidDataError(describe_secret(secret) + " is invalid: " + why);
  }
  return reading;
}

nlohmann::json key_set_of(const KeyRing& ring) {
  std::vector<Json> keys;
  keys.push_back(crypto::public_jwk(*ring.current.private_key, ring.current.kid));
  if (ring.next) keys.push_back(crypto::public_jwk(*ring.next->private_key, ring.next->kid));
  for (const auto& retired : ring.retired) keys.push_back(retired.jwk);
  return crypto::make_jwk_set(keys);
}

void store_key_ring(const KeyRing& ring, kube::Secret& secret) {
  secret.type = "Opaque";
  const bool public_kept = holds_public_of(secret, ring.current);
  for (const char* key : {key_secret::private_pem, key_secret::kid, key_secret::jwks, key_secret::next_pem}) {
    secret.data.erase(key);
  }
  if (!public_kept) secret.data[key_secret::public_pem] = crypto::public_key_to_pem(*ring.current.private_key);
  {
    crypto::SecretString pem = private_pem_of(ring.current);
    secret.data[key_secret::private_pem] = std::string(pem.view());
  }
  secret.data[key_secret::kid] = ring.current.kid;
  secret.data[key_secret::jwks] = key_set_of(ring).dump();
  if (ring.next) {
    crypto::SecretString pem = private_pem_of(*ring.next);
    secret.data[key_secret::next_pem] = std::string(pem.view());
  }

  auto& annotations = secret.metadata.annotations;
  for (const char* name :
       {key_secret::created_at_annotation, key_secret::rotated_at_annotation, key_secret::rotation_history_annotation,
        key_secret::rotation_in_progress_annotation, key_secret::retired_keys_annotation,
        key_secret::former_kids_annotation, key_secret::legacy_previous_kid_annotation,
        key_secret::legacy_previous_until_annotation, key_secret::pods_restarted_annotation}) {
    annotations.erase(name);
  }
  if (ring.created_at) annotations[key_secret::created_at_annotation] = util::format_rfc3339(*ring.created_at);
  if (ring.rotated_at) annotations[key_secret::rotated_at_annotation] = util::format_rfc3339(*ring.rotated_at);
  if (!ring.rotation_history.empty()) {
    annotations[key_secret::rotation_history_annotation] =
        join_list(ring.rotation_history, key_secret::rotation_history_limit);
  }
  if (!ring.former_kids.empty()) {
    annotations[key_secret::former_kids_annotation] = join_list(ring.former_kids, key_secret::former_kids_limit);
  }
  if (!ring.pods_restarted_for_kid.empty()) {
    annotations[key_secret::pods_restarted_annotation] = ring.pods_restarted_for_kid;
  }
  if (ring.in_progress) {
    annotations[key_secret::rotation_in_progress_annotation] = Json{
        {"id", ring.in_progress->id},
        {"kind", rotation_kind_name(ring.in_progress->kind)},
        {"startedAt", util::format_rfc3339(ring.in_progress->started_at)},
        {"by", ring.in_progress->by}}.dump();
  }
  if (!ring.retired.empty()) {
    Json promises = Json::array();
    for (const auto& retired : ring.retired) {
      promises.push_back({{"kid", retired.kid}, {"trustedUntil", util::format_rfc3339(retired.trusted_until)}});
    }
    annotations[key_secret::retired_keys_annotation] = promises.dump();
  }
  secret.metadata.labels[managed_by_label] = managed_by_value;
}

}  // namespace rotator::formats
