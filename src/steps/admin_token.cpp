#include "steps/admin_token.h"

#include <nlohmann/json.hpp>

#include "crypto/jwt.h"
#include "crypto/keys.h"
#include "crypto/random.h"
#include "kube/errors.h"
#include "kube/resources.h"
#include "util/errors.h"
#include "util/json_fields.h"
#include "util/log.h"

namespace rotator::steps {
namespace {

constexpr int max_write_attempts = 5;

std::string describe_failure(crypto::JwtFailure failure) {
  switch (failure) {
    case crypto::JwtFailure::expired: return "the token has expired";
    case crypto::JwtFailure::bad_signature: return "the signature does not verify under the current key";
    case crypto::JwtFailure::kid_mismatch: return "the token was signed by another key";
    case crypto::JwtFailure::malformed: return "the token is not a well-formed JWT";
    default: return "the token does not verify (" + std::string(crypto::to_string(failure)) + ")";
  }
}

}  // namespace

TokenFile parse_token_file(std::string_view text) {
  const auto json = nlohmann::json::parse(text, nullptr, false);
  if (json.is_discarded() || !json.is_object()) throw InvalidDataError("the token file is not a JSON object");
  const auto access = json.find("access_token");
  if (access == json.end() || !access->is_string() || access->get_ref<const std::string&>().empty()) {
    throw InvalidDataError("the token file has no access_token");
  }
  TokenFile file;
  file.access_token = access->get<std::string>();
  if (const auto type = json.find("token_type"); type != json.end() && type->is_string()) {
    file.token_type = type->get<std::string>();
  }
  if (const auto expiry = json.find("expiry"); expiry != json.end() && expiry->is_string()) {
    file.expiry = util::parse_rfc3339(expiry->get<std::string>());
    if (!file.expiry) throw InvalidDataError("the token file's expiry is not an RFC 3339 time");
  }
  return file;
}

std::string serialize_token_file(const TokenFile& file) {
  nlohmann::json json = {{"access_token", file.access_token}, {"token_type", file.token_type}};
  if (file.expiry) json["expiry"] = util::format_rfc3339(*file.expiry);
  return json.dump();
}

AdminTokenDecision decide_admin_token(const KeyRing& ring, const std::optional<kube::Secret>& observed,
                                      const AdminTokenOptions& options, util::TimePoint now) {
  if (!observed) return {AdminTokenDecision::Action::create, "no admin token yet"};
  const std::string where = "Secret " + observed->metadata.name;
  TokenFile file;
  try {
    const auto data = observed->data.find(admin_token_key);
    if (data == observed->data.end()) throw InvalidDataError("it has no \"token\" key");
    file = parse_token_file(data->second);
  } catch (const InvalidDataError& e) {
    if (options.force == AdminTokenOptions::Force::yes) {
      return {AdminTokenDecision::Action::replace, "--force: replacing unreadable token data"};
    }
    throw InvalidDataError(where + " is invalid: " + e.what() +
                           "; rotator will not overwrite it (use --force)");
  }
  crypto::JwtVerifyOptions verify_options;
  verify_options.expected_kid = ring.current.kid;
  const auto verification = crypto::verify_jwt(file.access_token, *ring.current.private_key, now, verify_options);
  if (!verification.ok()) {
    return {AdminTokenDecision::Action::replace, describe_failure(*verification.failure)};
  }
  std::optional<util::TimePoint> expires;
  if (const auto exp = verification.claims.find("exp"); exp != verification.claims.end() && exp->is_number()) {
    expires = util::from_unix_seconds(exp->get<double>());
  }
  if (expires && now + options.renew_before >= *expires) {
    return {AdminTokenDecision::Action::replace,
            "the token expires at " + util::format_rfc3339(*expires) + ", within --renew-before"};
  }
  return {AdminTokenDecision::Action::nothing,
          "token jti=" + util::string_member(verification.claims, "jti") + " verifies under kid=" + ring.current.kid};
}

TokenFile mint_admin_token(const KeyRing& ring, const AdminTokenOptions& options, util::TimePoint now) {
  const auto issued = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  nlohmann::json claims = {{"iss", options.issuer}, {"sub", options.subject}, {"iat", issued},
                           {"jti", crypto::uuid_v4()}};
  TokenFile file;
  if (options.ttl.count() > 0) {
    const auto expires = std::chrono::time_point_cast<std::chrono::seconds>(now + options.ttl);
    claims["exp"] = expires.time_since_epoch().count();
    file.expiry = expires;
  }
  file.access_token = crypto::sign_jwt({{"kid", ring.current.kid}}, claims, *ring.current.private_key,
                                       ring.current.description.algorithm);
  return file;
}

KeyRing load_key_ring(StepContext& context, const std::string& keys_secret_name) {
  // An earlier step of this run (key-gen) may have just read or written the keys.
  const auto known = context.observed_secrets.find(keys_secret_name);
  const auto secret = known != context.observed_secrets.end()
                          ? std::optional<kube::Secret>(known->second)
                          : kube::SecretApi(context.client).get(context.namespace_, keys_secret_name);
  if (!secret) {
    throw Error("Secret " + context.namespace_ + "/" + keys_secret_name +
                " does not exist: run `rotator key-gen` first");
  }
  return std::move(read_key_ring(*secret, context.now(), WantStaged::no).ring);
}

void ensure_admin_token(StepContext& context, const AdminTokenOptions& options, const KeyRing& ring,
                        const std::string& step) {
  kube::SecretApi secrets(context.client);
  const std::string object = describe_object("Secret", context.namespace_, options.secret_name);
  // Read under a lock the run already holds (revoke-and-rotate), the observation is
  // fresh: no second read before the first write attempt.
  const bool observed_under_lock = context.held_lock != nullptr;
  auto observed = secrets.get(context.namespace_, options.secret_name);
  auto decision = decide_admin_token(ring, observed, options, context.now());
  if (decision.action == AdminTokenDecision::Action::nothing) {
    report_unchanged(step, object + " (" + decision.reason + ")");
    return;
  }
  const char* verb = decision.action == AdminTokenDecision::Action::create ? "create" : "replace";
  if (context.mode == RunMode::dry_run) {
    report_change(step, {verb, object, decision.reason + "; a new token signed by kid=" + ring.current.kid}, context.mode);
    return;
  }
  StepLock lock(context);
  for (int attempt = 1;; ++attempt) {
    if (attempt > 1 || !observed_under_lock) {
      observed = secrets.get(context.namespace_, options.secret_name);
      decision = decide_admin_token(ring, observed, options, context.now());
      if (decision.action == AdminTokenDecision::Action::nothing) {
        report_unchanged(step, object + " (" + decision.reason + ")");
        return;
      }
    }
    lock.ensure_held();
    const TokenFile file = mint_admin_token(ring, options, context.now());
    const auto claims = crypto::decode_jwt_unverified(file.access_token).claims;
    kube::Secret secret;
    if (observed) secret = *observed;  // resourceVersion precondition
    secret.metadata.name = options.secret_name;
    secret.metadata.namespace_ = context.namespace_;
    secret.metadata.labels["app.kubernetes.io/managed-by"] = "rotator";
    secret.metadata.annotations["rotator.io/kid"] = ring.current.kid;
    secret.metadata.annotations["rotator.io/jti"] = claims.value("jti", "");
    secret.type = "Opaque";
    secret.data = {{admin_token_key, serialize_token_file(file)}};
    try {
      const auto written = observed ? secrets.replace(secret) : secrets.create(secret);
      const std::string summary = decision.reason + "; new token jti=" + claims.value("jti", "") +
                                  " signed by kid=" + ring.current.kid +
                                  (file.expiry ? ", expires " + util::format_rfc3339(*file.expiry) : ", no expiry");
      report_change(step, {observed ? "replace" : "create", object, summary}, context.mode);
      record_event(context, "Secret", "v1", written.metadata, "AdminTokenCreated", summary);
      return;
    } catch (const kube::ApiError& e) {
      const bool raced = e.reason() == kube::Reason::already_exists || e.reason() == kube::Reason::conflict;
      if (!raced || attempt >= max_write_attempts) throw;
      log::info("the Secret changed while writing; reading it again", {{"object", object}});
    }
  }
}

void run_create_admin_token(StepContext& context, const AdminTokenOptions& options) {
  if (context.mode == RunMode::dry_run && context.planned_secrets.contains(options.keys_secret_name)) {
    report_change("create-admin-token",
                  {"create", describe_object("Secret", context.namespace_, options.secret_name),
                   "a token signed by the key key-gen would create"},
                  context.mode);
    return;
  }
  const KeyRing ring = load_key_ring(context, options.keys_secret_name);
  ensure_admin_token(context, options, ring, "create-admin-token");
}

}  // namespace rotator::steps
