#include "crypto/jwt.h"

#include <variant>

#include "crypto/crypto_error.h"
#include "crypto/jwk.h"
#include "crypto/jws_signature.h"
#include "crypto/keys.h"
#include "util/base64.h"

namespace rotator::crypto {

namespace {

using nlohmann::json;

/// A compact JWS split into its parts, JSON already parsed.
struct ParsedJwt {
  DecodedJwt decoded;
  std::string_view signing_input;
  std::string signature;
};

/// Why a token could not be parsed; fixed texts only, never token content.
using ParseProblem = std::string_view;

std::optional<std::string> decode_part(std::string_view part) {
  // Compact serialisation forbids padding; util's decoder would accept it.
  if (part.find('=') != std::string_view::npos) return std::nullopt;
  return util::base64url_decode(part);
}

std::optional<json> decode_json_object(std::string_view part) {
  const std::optional<std::string> text = decode_part(part);
  if (!text) return std::nullopt;
  constexpr bool allow_exceptions = false;
  json value = json::parse(*text, nullptr, allow_exceptions);
  if (value.is_discarded() || !value.is_object()) return std::nullopt;
  return value;
}

std::variant<ParsedJwt, ParseProblem> parse_compact(std::string_view token) {
  const std::size_t first_dot = token.find('.');
  const std::size_t second_dot = first_dot == std::string_view::npos ? first_dot : token.find('.', first_dot + 1);
  if (second_dot == std::string_view::npos || token.find('.', second_dot + 1) != std::string_view::npos) {
    return ParseProblem("a compact JWT has exactly three dot-separated parts");
  }
  std::optional<json> header = decode_json_object(token.substr(0, first_dot));
  if (!header) return ParseProblem("the header is not a base64url JSON object");
  std::optional<json> claims = decode_json_object(token.substr(first_dot + 1, second_dot - first_dot - 1));
  if (!claims) return ParseProblem("the payload is not a base64url JSON object");
  std::optional<std::string> signature = decode_part(token.substr(second_dot + 1));
  if (!signature) return ParseProblem("the signature is not base64url");
  return ParsedJwt{DecodedJwt{*std::move(header), *std::move(claims)}, token.substr(0, second_dot),
                   *std::move(signature)};
}

std::string serialise(const json& value, std::string_view what) {
  try {
    return value.dump();
  } catch (const json::exception&) {
    throw CryptoError("cannot serialise the JWT " + std::string(what) + " (invalid UTF-8?)");
  }
}

double seconds_since_epoch(std::chrono::system_clock::time_point time) {
  return std::chrono::duration<double>(time.time_since_epoch()).count();
}

/// Checks exp/nbf; nullopt when they hold or are absent.
std::optional<JwtFailure> check_time_claims(const json& claims, std::chrono::system_clock::time_point now,
                                            std::chrono::seconds leeway) {
  const double now_seconds = seconds_since_epoch(now);
  const auto leeway_seconds = static_cast<double>(leeway.count());
  if (const auto exp = claims.find("exp"); exp != claims.end()) {
    if (!exp->is_number()) return JwtFailure::malformed;
    // RFC 7519 4.1.4: valid only while the current time is before exp.
    if (now_seconds >= exp->get<double>() + leeway_seconds) return JwtFailure::expired;
  }
  if (const auto nbf = claims.find("nbf"); nbf != claims.end()) {
    if (!nbf->is_number()) return JwtFailure::malformed;
    if (now_seconds + leeway_seconds < nbf->get<double>()) return JwtFailure::not_yet_valid;
  }
  return std::nullopt;
}

std::optional<JwtFailure> check_header(const json& header, Algorithm key_algorithm, const JwtVerifyOptions& options) {
  const auto alg = header.find("alg");
  if (alg == header.end() || !alg->is_string()) return JwtFailure::malformed;
  const std::optional<Algorithm> algorithm = algorithm_from_jose_name(alg->get_ref<const std::string&>());
  if (!algorithm) return JwtFailure::unsupported_algorithm;
  // RFC 7515 4.1.11: extensions listed in "crit" must be understood; we
  // implement none, so any "crit" means the token is not for us.
  if (header.contains("crit")) return JwtFailure::unsupported_header;
  if (*algorithm != key_algorithm) return JwtFailure::algorithm_mismatch;
  if (options.expected_kid) {
    const auto kid = header.find("kid");
    if (kid == header.end() || !kid->is_string() || kid->get_ref<const std::string&>() != *options.expected_kid) {
      return JwtFailure::kid_mismatch;
    }
  }
  return std::nullopt;
}

}  // namespace

std::string_view to_string(JwtFailure failure) {
  switch (failure) {
    case JwtFailure::malformed: return "malformed";
    case JwtFailure::unsupported_algorithm: return "unsupported_algorithm";
    case JwtFailure::unsupported_header: return "unsupported_header";
    case JwtFailure::algorithm_mismatch: return "algorithm_mismatch";
    case JwtFailure::kid_mismatch: return "kid_mismatch";
    case JwtFailure::bad_signature: return "bad_signature";
    case JwtFailure::expired: return "expired";
    case JwtFailure::not_yet_valid: return "not_yet_valid";
  }
  return "unknown";
}

std::string sign_jwt(const json& header_extra, const json& claims, const EVP_PKEY& private_key, Algorithm algorithm) {
  if (!claims.is_object()) throw CryptoError("JWT claims must be a JSON object");
  if (!header_extra.is_null() && !header_extra.is_object()) {
    throw CryptoError("extra JWT header members must be a JSON object");
  }
  json header = header_extra.is_null() ? json::object() : header_extra;
  const std::string alg(jose_name(algorithm));
  if (header.contains("alg") && header["alg"] != alg) {
    throw CryptoError("extra JWT header sets \"alg\" to something other than " + alg);
  }
  if (header.contains("crit")) throw CryptoError("\"crit\" JWT headers are not supported");
  if (header.contains("kid") && !header["kid"].is_string()) {
    throw CryptoError("JWT header \"kid\" must be a string");
  }
  header["alg"] = alg;
  if (!header.contains("typ")) header["typ"] = "JWT";
  if (!header.contains("kid")) header["kid"] = key_thumbprint(private_key);

  const std::string signing_input =
      util::base64url_encode(serialise(header, "header")) + "." + util::base64url_encode(serialise(claims, "claims"));
  return signing_input + "." + util::base64url_encode(jws_sign(private_key, algorithm, signing_input));
}

JwtVerification verify_jwt(std::string_view token, const EVP_PKEY& public_key,
                           std::chrono::system_clock::time_point now, const JwtVerifyOptions& options) {
  const Algorithm key_algorithm = describe_key(public_key).algorithm;
  auto parsed = parse_compact(token);
  if (std::holds_alternative<ParseProblem>(parsed)) return {JwtFailure::malformed, {}, {}};
  ParsedJwt& jwt = std::get<ParsedJwt>(parsed);

  JwtVerification result{std::nullopt, std::move(jwt.decoded.header), std::move(jwt.decoded.claims)};
  result.failure = check_header(result.header, key_algorithm, options);
  if (result.failure) return result;
  if (!jws_verify(public_key, key_algorithm, jwt.signing_input, jwt.signature)) {
    result.failure = JwtFailure::bad_signature;
    return result;
  }
  result.failure = check_time_claims(result.claims, now, options.leeway);
  return result;
}

DecodedJwt decode_jwt_unverified(std::string_view token) {
  auto parsed = parse_compact(token);
  if (const auto* problem = std::get_if<ParseProblem>(&parsed)) {
    throw CryptoError("malformed JWT: " + std::string(*problem));
  }
  return std::move(std::get<ParsedJwt>(parsed).decoded);
}

}  // namespace rotator::crypto
