#include <catch2/catch.hpp>

#include "frame/absent_secrets.h"

using rotator::frame::absent_secrets_message;

TEST_CASE("absent secrets: one line naming each Secret and both fixes") {
  const auto one = absent_secrets_message("ns", {"database-tokens"});
  CHECK(one ==
        "Secret ns/database-tokens does not exist and rotator may not create it: apply manifests/ (it ships the "
        "Secret empty) or kubectl create secret generic database-tokens -n ns; nothing was written");
  const auto two = absent_secrets_message("ns", {"rsa-keys", "admin-token"});
  CHECK_THAT(two,
             Catch::StartsWith("Secrets ns/rsa-keys, ns/admin-token do not exist and rotator may not create them"));
  CHECK_THAT(two, Catch::Contains("kubectl create secret generic rsa-keys -n ns; kubectl create secret generic "
                                  "admin-token -n ns"));
  CHECK(two.find('\n') == std::string::npos);
}
