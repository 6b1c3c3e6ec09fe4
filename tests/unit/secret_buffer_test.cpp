#include <catch2/catch.hpp>

#include "util/secret_buffer.h"

using rotator::util::SecretBuffer;

namespace {
bool all_zero(const char* data, std::size_t size) {
  for (std::size_t i = 0; i < size; ++i) {
    if (data[i] != '\0') return false;
  }
  return true;
}
}  // namespace

TEST_CASE("secret buffer: holds, appends, compares") {
  SecretBuffer b("Bearer ");
  b.append(std::string_view("abc"));
  b.push_back('!');
  CHECK(b.view() == "Bearer abc!");
  CHECK(b == "Bearer abc!");
  CHECK(std::string(b.c_str()) == "Bearer abc!");
  const SecretBuffer copy = b;
  CHECK(copy == b);
  SecretBuffer moved = std::move(b);
  CHECK(moved == "Bearer abc!");
  CHECK(b.empty());  // NOLINT: checking the moved-from state on purpose
}

TEST_CASE("secret buffer: clear() zeroes the storage it keeps, short and long contents alike") {
  for (const std::size_t size : {std::size_t{5}, std::size_t{4000}}) {
    INFO(size);
    SecretBuffer b(std::string(size, 'k'));
    const char* storage = b.data();
    b.clear();
    CHECK(b.empty());
    // clear() keeps the allocation (or the small-string storage): what is left
    // in it must be zeros, not the key.
    CHECK(b.data() == storage);
    CHECK(all_zero(storage, size));
  }
}

TEST_CASE("secret buffer: a moved-from short buffer keeps no copy") {
  SecretBuffer source(std::string("tok3n"));
  const char* storage = source.data();
  SecretBuffer target(std::move(source));
  CHECK(target == "tok3n");
  if (source.data() == storage) CHECK(all_zero(storage, 5));  // NOLINT: small-string storage stays put
}

TEST_CASE("secret buffer: wipe(std::string&) zeroes the whole capacity") {
  std::string plain(100, 'x');
  plain.resize(10);  // bytes past size() still hold 'x'
  const char* storage = plain.data();
  const std::size_t capacity = plain.capacity();
  rotator::util::wipe(plain);
  CHECK(plain.empty());
  CHECK(plain.data() == storage);
  CHECK(all_zero(storage, capacity));
}
