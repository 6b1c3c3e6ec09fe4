// Issue 16, finding 5: text from outside (a token's unverified kid and jti) is
// shown escaped by `rotator verify`.

#include <catch2/catch.hpp>

#include "cluster_fixture.h"
#include "util/base64.h"

using namespace rotator;
using namespace rotator::testing;

TEST_CASE("hardening: verify shows an unverified token's kid and jti escaped", "[hardening]") {
  TestNamespace ns("hard-verify");
  REQUIRE(run_rotator({"run", std::string(ROTATOR_SOURCE_DIR) + "/jobs/bootstrap.yaml", "-n", ns.name()}).exit_code ==
          0);
  const std::string header = R"({"alg":"RS256","typ":"JWT","kid":"\u001b]0;owned\u0007\u001b[2Jkid"})";
  const std::string claims = R"({"iss":"x","sub":"y","iat":1700000000,"jti":"\u001b[31mjti\u202e"})";
  const std::string jwt = util::base64url_encode(header) + "." + util::base64url_encode(claims) + "." +
                          util::base64url_encode(std::string(256, '\x01'));
  // A table (the default) is for a terminal: nothing in it may drive one.
  const auto table = run_rotator({"verify", jwt, "-n", ns.name()});
  CHECK(table.exit_code == 1);
  for (const char* raw : {"\x1b", "\x07", "\xe2\x80\xae"}) {
    INFO("raw bytes " << util::base64url_encode(raw));
    CHECK(table.out.find(raw) == std::string::npos);
    CHECK(table.err.find(raw) == std::string::npos);
  }
  CHECK_THAT(table.out, Catch::Contains("\\e]0;owned\\x07\\e[2Jkid") && Catch::Contains("\\e[31mjti\\u202E"));
  // JSON is for programs: the exact value, in JSON's own escapes.
  const auto json = run_rotator({"verify", jwt, "-n", ns.name(), "-o", "json"});
  CHECK(json.exit_code == 1);
  CHECK(json.out.find('\x1b') == std::string::npos);
  CHECK(nlohmann::json::parse(json.out)["kid"] == "\x1b]0;owned\x07\x1b[2Jkid");
}
