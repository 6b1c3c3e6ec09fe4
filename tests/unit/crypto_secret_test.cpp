#include <catch2/catch.hpp>
#include <string>
#include <type_traits>
#include <utility>

#include "crypto/secret.h"

namespace {

using rotator::crypto::SecretString;

}  // namespace

TEST_CASE("crypto secret: SecretString is move-only", "[crypto][secret]") {
  STATIC_REQUIRE_FALSE(std::is_copy_constructible_v<SecretString>);
  STATIC_REQUIRE_FALSE(std::is_copy_assignable_v<SecretString>);
  STATIC_REQUIRE(std::is_nothrow_move_constructible_v<SecretString>);
  STATIC_REQUIRE(std::is_nothrow_move_assignable_v<SecretString>);
}

TEST_CASE("crypto secret: contents, moves and emptiness", "[crypto][secret]") {
  SecretString empty;
  CHECK(empty.empty());
  CHECK(empty.view().empty());

  SecretString secret("pem\0text", 8);
  CHECK(secret.size() == 8);
  CHECK(secret.view() == std::string_view("pem\0text", 8));

  SecretString moved(std::move(secret));
  CHECK(moved.view() == std::string_view("pem\0text", 8));
  CHECK(secret.empty());  // NOLINT(bugprone-use-after-move): the moved-from state is specified

  SecretString assigned("old", 3);
  assigned = std::move(moved);
  CHECK(assigned.view() == std::string_view("pem\0text", 8));
  CHECK(moved.empty());  // NOLINT(bugprone-use-after-move)
}

TEST_CASE("crypto secret: adopting a std::string wipes the original", "[crypto][secret]") {
  std::string plain(100, 'k');
  const char* storage = plain.data();
  const SecretString secret(std::move(plain));
  CHECK(secret.view() == std::string(100, 'k'));
  CHECK(plain.empty());  // NOLINT(bugprone-use-after-move): the constructor clears it
  // clear() keeps the heap buffer, so the old bytes are still addressable
  // through data(); they must be zero now.
  CHECK(plain.data() == storage);
  CHECK(std::string_view(storage, 100) == std::string(100, '\0'));
}
