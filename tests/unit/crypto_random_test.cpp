#include <catch2/catch.hpp>
#include <regex>
#include <set>
#include <string>

#include "crypto/hash.h"
#include "crypto/random.h"

namespace {

using namespace rotator::crypto;

}  // namespace

TEST_CASE("crypto random: random_bytes sizes and distinctness", "[crypto][random]") {
  CHECK(random_bytes(0).empty());
  CHECK(random_bytes(1).size() == 1);
  const SecretString first = random_bytes(32);
  const SecretString second = random_bytes(32);
  REQUIRE(first.size() == 32);
  CHECK(first.view() != second.view());
  CHECK(random_bytes(1 << 20).size() == std::size_t{1} << 20);
}

TEST_CASE("crypto random: random_bytes are not constant", "[crypto][random]") {
  // 4096 bytes from a working RNG hit far more than 200 distinct byte values.
  const SecretString bytes = random_bytes(4096);
  const std::set<char> distinct(bytes.view().begin(), bytes.view().end());
  CHECK(distinct.size() > 200);
}

TEST_CASE("crypto random: uuid_v4 format and uniqueness", "[crypto][random]") {
  const std::regex v4("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
  std::set<std::string> seen;
  for (int i = 0; i < 2000; ++i) {
    const std::string uuid = uuid_v4();
    CAPTURE(uuid);
    CHECK(std::regex_match(uuid, v4));
    seen.insert(uuid);
  }
  CHECK(seen.size() == 2000);
}

TEST_CASE("crypto hash: SHA-256 and SHA-512 known vectors", "[crypto][hash]") {
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  CHECK(sha512_hex("abc") ==
        "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
        "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
  CHECK(sha512_hex("") ==
        "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
        "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e");
  CHECK(sha256("abc").size() == 32);
  CHECK(sha512("abc").size() == 64);
  CHECK(to_hex(sha256("abc")) == sha256_hex("abc"));
  // Binary input with embedded NULs is hashed in full.
  CHECK(sha256_hex(std::string("a\0b", 3)) != sha256_hex("a"));
}

TEST_CASE("crypto hash: to_hex", "[crypto][hash]") {
  CHECK(to_hex("") == "");
  CHECK(to_hex(std::string("\x00\x0f\xf0\xff", 4)) == "000ff0ff");
}
