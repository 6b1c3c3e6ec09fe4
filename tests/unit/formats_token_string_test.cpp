#include <catch2/catch.hpp>

#include <regex>
#include <set>

#include "crypto/random.h"
#include "formats/token_string.h"
#include "util/base64.h"

using namespace rotator;
using namespace rotator::formats;

namespace {

/// A token as rotator issued them before schemaVersion 2: 32 random bytes, base64url.
std::string legacy_token(TokenKind kind) {
  const auto random = crypto::random_bytes(legacy_token_random_bytes);
  return std::string(token_prefix_of(kind)) + util::base64url_encode(random.view());
}

std::string current_body_of(const std::string& token) {
  return token.substr(token.find_first_of("._") == 1 ? 5 : 6);
}

}  // namespace

TEST_CASE("formats tokens: generated strings have the documented shapes and 384 random bits", "[formats][tokens]") {
  // Management: standard base64 (influxctl shows prefixes such as M.V1.+5Jk).
  // Database: apiv1_ and at least 64 characters (the Management API's minLength 64).
  const std::regex management("^M\\.V1\\.[A-Za-z0-9+/]{64}$");
  const std::regex database("^apiv1_[A-Za-z0-9_-]{64}$");
  std::set<std::string> seen;
  bool standard_only_characters = false, url_only_characters = false;
  for (int i = 0; i < 200; ++i) {
    const auto m = generate_token(TokenKind::management);
    const auto d = generate_token(TokenKind::database);
    const std::string ms(m.token.view()), ds(d.token.view());
    CHECK(std::regex_match(ms, management));
    CHECK(std::regex_match(ds, database));
    CHECK(ds.size() - 6 >= 64);
    CHECK(util::base64_decode(ms.substr(5))->size() == 48);
    CHECK(util::base64url_decode(ds.substr(6))->size() == 48);
    CHECK(classify_token_shape(ms)->shape == TokenShape::current);
    CHECK(classify_token(ms) == TokenKind::management);
    CHECK(classify_token(ds) == TokenKind::database);
    CHECK(m.sha512_hex == token_hash(ms));
    CHECK(m.sha512_hex.size() == 128);
    CHECK(m.prefix == ms.substr(0, 9));
    CHECK(d.prefix == ds.substr(0, 10));
    standard_only_characters |= ms.find_first_of("+/") != std::string::npos;
    url_only_characters |= ds.find_first_of("-_") != std::string::npos;
    seen.insert(ms);
    seen.insert(ds);
  }
  CHECK(seen.size() == 400);
  // 12,800 characters of each: the alphabets are really the ones documented.
  CHECK(standard_only_characters);
  CHECK(url_only_characters);
}

TEST_CASE("formats tokens: tokens issued before schemaVersion 2 still classify as legacy", "[formats][tokens]") {
  for (const TokenKind kind : {TokenKind::management, TokenKind::database}) {
    const std::string legacy = legacy_token(kind);
    CAPTURE(kind_name(kind));
    REQUIRE(legacy.size() == token_prefix_of(kind).size() + legacy_token_body_characters);
    const auto found = classify_token_shape(legacy);
    REQUIRE(found);
    CHECK(found->kind == kind);
    CHECK(found->shape == TokenShape::legacy);
    CHECK(classify_token(legacy) == kind);
    CHECK(display_prefix(legacy) == legacy.substr(0, token_prefix_of(kind).size() + 4));
  }
}

TEST_CASE("formats tokens: classify_token refuses what is not a registry token", "[formats][tokens]") {
  const std::string m(generate_token(TokenKind::management).token.view());
  const std::string d(generate_token(TokenKind::database).token.view());
  const std::string legacy = legacy_token(TokenKind::management);
  const std::string m_body = current_body_of(m);
  struct Case {
    const char* why;
    std::string token;
  };
  const std::vector<Case> refused = {
      {"empty", ""},
      {"prefix only", "M.V1."},
      {"database prefix only", "apiv1_"},
      {"one character short", m.substr(0, m.size() - 1)},
      {"one character long", m + "A"},
      {"database one short", d.substr(0, d.size() - 1)},
      {"legacy one short", legacy.substr(0, legacy.size() - 1)},
      {"legacy one long", legacy + "A"},
      {"not base64 at all", "M.V1." + std::string(64, '!')},
      {"management in the url alphabet", "M.V1." + std::string(63, 'A') + "-"},
      {"database in the standard alphabet", "apiv1_" + std::string(63, 'A') + "+"},
      {"legacy in the standard alphabet", "M.V1." + std::string(42, 'A') + "+"},
      {"padded", "M.V1." + std::string(62, 'A') + "=="},
      {"padded legacy", "apiv1_" + std::string(42, 'A') + "="},
      {"an admin JWT", "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"},
      {"another version", "apiv2_" + d.substr(6)},
      {"another management version", "M.V2." + m_body},
      {"whitespace around", " " + m},
      {"a newline after", m + "\n"},
  };
  for (const auto& c : refused) {
    CAPTURE(c.why);
    CHECK_FALSE(classify_token(c.token));
    CHECK_FALSE(classify_token_shape(c.token));
  }
  // The body of one kind with the prefix of the other: only the alphabet and length decide.
  const std::string url_safe_body(64, 'Q');
  CHECK(classify_token("apiv1_" + url_safe_body) == TokenKind::database);
  CHECK(classify_token("M.V1." + url_safe_body) == TokenKind::management);
}

TEST_CASE("formats tokens: hashes compare in constant time and exactly", "[formats][tokens]") {
  const std::string h = token_hash("x");
  CHECK(hashes_equal(h, token_hash("x")));
  CHECK_FALSE(hashes_equal(h, token_hash("y")));
  CHECK_FALSE(hashes_equal(h, h.substr(1)));
  CHECK_FALSE(hashes_equal("", h));
}
