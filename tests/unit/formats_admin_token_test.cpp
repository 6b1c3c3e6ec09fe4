#include <catch2/catch.hpp>

#include "crypto/jwk.h"
#include "crypto/jwt.h"
#include "formats/admin_token.h"
#include "formats/token_file.h"
#include "steps/admin_token.h"
#include "test_support.h"
#include "util/base64.h"
#include "util/errors.h"

using namespace rotator;
using namespace rotator::formats;
using rotator::testing::fresh_ring;
using rotator::testing::t0;
using std::chrono::hours;

TEST_CASE("admin token file: the JSON influxctl reads, other members kept") {
  TokenFile file;
  file.access_token = "a.b.c";
  file.expiry = t0;
  const auto text = serialize_token_file(file);
  CHECK(text == R"({"access_token":"a.b.c","expiry":"2026-01-01T00:00:00Z","token_type":"Bearer"})");
  const auto back = parse_token_file(text);
  CHECK(back.access_token == "a.b.c");
  CHECK(back.expiry == t0);
  CHECK(extract_token(text) == "a.b.c");
  CHECK(extract_token("  a.b.c\n") == "a.b.c");

  auto extended =
      parse_token_file(R"({"access_token":"x.y.z","token_type":"Bearer","refresh_token":"r","extra":{"k":1}})");
  extended.access_token = "new.token.here";
  const auto rewritten = nlohmann::json::parse(serialize_token_file(extended));
  CHECK(rewritten["refresh_token"] == "r");
  CHECK(rewritten["extra"]["k"] == 1);
  CHECK(rewritten["access_token"] == "new.token.here");

  for (const char* garbage :
       {"not json", "{}", "{\"access_token\": 5}", "[1]", R"({"access_token":"a","expiry":"soon"})"}) {
    INFO(garbage);
    CHECK_THROWS_AS(parse_token_file(garbage), InvalidDataError);
  }
}

TEST_CASE("verify: valid only under the current key, otherwise the key is named for what it is") {
  KeyRing ring = fresh_ring();
  steps::AdminTokenOptions options;
  options.ttl = hours(1);
  const auto current = steps::mint_admin_token(ring, options, t0).access_token;

  KeyRing staged_signer;
  staged_signer.current = std::move(*ring.next);
  const auto by_staged = steps::mint_admin_token(staged_signer, options, t0).access_token;
  ring.next = std::move(staged_signer.current);

  KeyRing retired_signer = fresh_ring();
  const auto by_retired = steps::mint_admin_token(retired_signer, options, t0).access_token;
  ring.retired.push_back({crypto::public_jwk(*retired_signer.current.private_key, retired_signer.current.kid),
                          retired_signer.current.kid, t0 + hours(1)});

  KeyRing former_signer = fresh_ring();
  const auto by_former = steps::mint_admin_token(former_signer, options, t0).access_token;
  ring.former_kids.push_back(former_signer.current.kid);

  const auto stranger = steps::mint_admin_token(fresh_ring(), options, t0).access_token;
  auto tampered = current;
  const auto dot = tampered.find('.');
  tampered[dot + 5] = tampered[dot + 5] == 'A' ? 'B' : 'A';

  struct Case {
    const char* name;
    std::string token;
    util::TimePoint at;
    bool valid;
    const char* reason;
  };
  const Case cases[] = {
      {"current key", current, t0, true, "valid"},
      {"expired", current, t0 + hours(2), false, "expired"},
      {"staged key", by_staged, t0, false, "staged key"},
      {"retired, still trusted", by_retired, t0, false, "trusted by key-set verifiers only until"},
      {"retired here, no longer published", by_former, t0, false, "no longer published"},
      {"never a key of this Secret", stranger, t0, false, "another namespace or cluster"},
      {"altered payload", tampered, t0, false, ""},
      {"not a token", "garbage", t0, false, "not a JWT"},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    const auto verdict = verify_admin_token(c.token, ring, c.at);
    CHECK(verdict.valid == c.valid);
    CHECK_THAT(verdict.reason, Catch::Contains(c.reason));
  }
}

TEST_CASE("verify: claims of the wrong type or out of range are reported, never an internal error") {
  // `rotator verify` decodes any token it is given before checking the signature.
  const KeyRing ring = fresh_ring();
  for (const nlohmann::json& claims :
       {nlohmann::json{{"jti", 7}, {"iat", 1e30}, {"exp", -1e30}}, nlohmann::json{{"jti", {1, 2}}, {"exp", 9.3e9}}}) {
    INFO(claims.dump());
    const auto token = crypto::sign_jwt({{"kid", ring.current.kid}}, claims, *ring.current.private_key,
                                        ring.current.description.algorithm);
    TokenVerdict verdict;
    CHECK_NOTHROW(verdict = verify_admin_token(token, ring, t0));
    CHECK(verdict.id.empty());
    CHECK_FALSE(verdict.expires_at.has_value());
  }
  // No signer writes a numeric kid; a forged token may.
  const auto numeric_kid =
      util::base64url_encode(R"({"alg":"RS256","kid":42})") + "." + util::base64url_encode(R"({"jti":"x"})") + ".AAAA";
  TokenVerdict verdict;
  CHECK_NOTHROW(verdict = verify_admin_token(numeric_kid, ring, t0));
  CHECK_FALSE(verdict.valid);
}
