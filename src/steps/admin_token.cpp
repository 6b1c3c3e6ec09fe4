#include "steps/admin_token.h"

#include <nlohmann/json.hpp>

#include "crypto/jwt.h"
#include "crypto/random.h"
#include "formats/names.h"
#include "util/errors.h"
#include "util/json_fields.h"

namespace rotator::steps {
namespace {

std::string describe_failure(crypto::JwtFailure failure) {
  switch (failure) {
    case crypto::JwtFailure::expired: return admin_token_reason::expired;
    case crypto::JwtFailure::bad_signature: return admin_token_reason::bad_signature;
    case crypto::JwtFailure::kid_mismatch: return admin_token_reason::other_key;
    case crypto::JwtFailure::malformed: return admin_token_reason::malformed;
    default: return "the token does not verify (" + std::string(crypto::to_string(failure)) + ")";
  }
}

std::optional<formats::TokenFile> readable_token_file(const std::optional<kube::Secret>& observed) {
  if (!observed) return std::nullopt;
  const auto data = observed->data.find(formats::admin_secret::token);
  if (data == observed->data.end()) return std::nullopt;
  try {
    return formats::parse_token_file(data->second);
  } catch (const InvalidDataError&) {
    return std::nullopt;
  }
}

}  // namespace

kube::Access secret_write_right(const frame::Snapshot& seen, const std::string& name) {
  if (!seen.secret(name)) return {"create", "", "secrets", ""};
  return {"update", "", "secrets", name};
}

formats::KeyRing required_key_ring(const frame::Snapshot& seen, const std::string& keys_secret, util::TimePoint now) {
  const auto& secret = seen.secret(keys_secret);
  const std::string& ns = seen.namespace_name();
  if (!secret || formats::is_placeholder(*secret)) {
    throw Error("Secret " + ns + "/" + keys_secret + (secret ? " is empty" : " does not exist") +
                ": run `rotator key-gen -n " + ns + "` first");
  }
  try {
    return std::move(formats::read_key_ring(*secret, now, formats::WantStaged::no).ring);
  } catch (const InvalidDataError& e) {
    bool repairable = false;
    try {
      repairable = !formats::inspect_key_ring(*secret, now, formats::WantStaged::no).repairable.empty();
    } catch (const InvalidDataError&) {
    }
    throw InvalidDataError(e.what() + invalid_keys_hint(ns, repairable));
  }
}

AdminTokenAssessment assess_admin_token(const formats::KeyRing& ring, const std::optional<kube::Secret>& observed,
                                        const AdminTokenOptions& options, util::TimePoint now) {
  using Action = AdminTokenAssessment::Action;
  if (!observed) return {Action::create, admin_token_reason::none_yet};
  if (formats::is_placeholder(*observed)) return {Action::replace, admin_token_reason::placeholder};
  const std::string where = formats::describe_secret(*observed);
  formats::TokenFile file;
  try {
    if (!observed->type.empty() && observed->type != "Opaque") {
      throw InvalidDataError("its type is " + observed->type + ", not Opaque");
    }
    const auto data = observed->data.find(formats::admin_secret::token);
    if (data == observed->data.end()) throw InvalidDataError("it has no \"token\" key");
    file = formats::parse_token_file(data->second);
  } catch (const InvalidDataError& e) {
    if (options.force == Force::yes) return {Action::replace, admin_token_reason::forced};
    throw InvalidDataError(where + " is invalid: " + e.what() +
                           "; rotator will not overwrite it. To replace it with a new admin token: rotator "
                           "create-admin-token -n " +
                           observed->metadata.namespace_ + " --force");
  }
  crypto::JwtVerifyOptions verify_options;
  verify_options.expected_kid = ring.current.kid;
  const auto verification = crypto::verify_jwt(file.access_token, *ring.current.private_key, now, verify_options);
  if (!verification.ok()) return {Action::replace, describe_failure(*verification.failure)};
  std::optional<util::TimePoint> expires;
  if (const auto exp = verification.claims.find("exp"); exp != verification.claims.end() && exp->is_number()) {
    expires = util::from_unix_seconds(exp->get<double>());
  }
  if (expires && now + options.renew_before >= *expires) {
    return {Action::replace, "the token expires at " + util::format_rfc3339(*expires) + ", within --renew-before"};
  }
  return {Action::nothing,
          "token jti=" + util::string_member(verification.claims, "jti") + " verifies under kid=" + ring.current.kid};
}

formats::TokenFile mint_admin_token(const formats::KeyRing& ring, const AdminTokenOptions& options,
                                    util::TimePoint now) {
  const auto issued = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  nlohmann::json claims = {
      {"iss", options.issuer}, {"sub", options.subject}, {"iat", issued}, {"jti", crypto::uuid_v4()}};
  formats::TokenFile file;
  if (options.ttl.count() > 0) {
    const auto expires = std::chrono::time_point_cast<std::chrono::seconds>(now + options.ttl);
    claims["exp"] = expires.time_since_epoch().count();
    file.expiry = expires;
  }
  file.access_token = crypto::sign_jwt({{"kid", ring.current.kid}}, claims, *ring.current.private_key,
                                       ring.current.description.algorithm);
  return file;
}

frame::Change admin_token_change(const formats::KeyRing& ring, const std::optional<kube::Secret>& observed,
                                 const AdminTokenOptions& options, const std::string& ns, util::TimePoint now,
                                 const std::string& reason) {
  formats::TokenFile file = mint_admin_token(ring, options, now);
  if (const auto existing = readable_token_file(observed)) file.other_members = existing->other_members;
  const std::string jti = util::string_member(crypto::decode_jwt_unverified(file.access_token).claims, "jti");
  kube::Secret secret;
  if (observed) secret = *observed;  // resourceVersion precondition
  secret.metadata.name = options.secret_name;
  secret.metadata.namespace_ = ns;
  secret.metadata.labels[formats::managed_by_label] = formats::managed_by_value;
  secret.metadata.annotations[formats::admin_secret::kid_annotation] = ring.current.kid;
  secret.metadata.annotations[formats::admin_secret::jti_annotation] = jti;
  secret.type = "Opaque";
  secret.data = {{formats::admin_secret::token, formats::serialize_token_file(file)}};
  frame::Change change;
  change.reason = reason;
  change.outcome = "new token jti=" + jti + " signed by kid=" + ring.current.kid +
                   (file.expiry ? ", expires " + util::format_rfc3339(*file.expiry) : ", no expiry");
  change.event = frame::EventNote{"AdminTokenCreated", reason + "; " + change.outcome, std::nullopt};
  change.operation = frame::WriteSecret{std::move(secret)};
  return change;
}

std::vector<frame::ObjectRef> AdminTokenStep::reads() const {
  return {frame::ObjectRef::secret(options_.keys_secret_name), frame::ObjectRef::secret(options_.secret_name)};
}

std::vector<kube::Access> AdminTokenStep::rights(const frame::Snapshot& seen) const {
  return {secret_write_right(seen, options_.secret_name)};
}

frame::Decision AdminTokenStep::decide(const frame::Snapshot& seen, const frame::DecisionContext& context) const {
  const formats::KeyRing ring = required_key_ring(seen, options_.keys_secret_name, context.now);
  const auto& observed = seen.secret(options_.secret_name);
  const auto assessment = assess_admin_token(ring, observed, options_, context.now);
  if (assessment.action == AdminTokenAssessment::Action::nothing) return frame::Decision::done(assessment.reason);
  return frame::Decision::apply(
      admin_token_change(ring, observed, options_, seen.namespace_name(), context.now, assessment.reason));
}

}  // namespace rotator::steps
