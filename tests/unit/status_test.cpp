#include <catch2/catch.hpp>

#include "kube/errors.h"

using namespace rotator;
using namespace rotator::kube;

TEST_CASE("status: a Kubernetes Status body becomes a typed error with the server's message") {
  const auto e = error_from_response(
      409,
      R"({"kind":"Status","apiVersion":"v1","status":"Failure","message":"secrets \"rsa-keys\" already exists","reason":"AlreadyExists","code":409})");
  CHECK(e.reason() == Reason::already_exists);
  CHECK(e.http_status() == 409);
  CHECK_THAT(e.what(), Catch::StartsWith("secrets \"rsa-keys\" already exists"));
  CHECK(e.exit_code() == ExitCode::failure);
}

TEST_CASE("status: 409 Conflict and 409 AlreadyExists are told apart by reason") {
  CHECK(error_from_response(409, R"({"kind":"Status","reason":"Conflict","message":"m"})").reason() ==
        Reason::conflict);
  CHECK(error_from_response(409, R"({"kind":"Status","reason":"AlreadyExists","message":"m"})").reason() ==
        Reason::already_exists);
  CHECK(error_from_response(409, "{}").reason() == Reason::conflict);
}

TEST_CASE("status: reasons and codes map to the documented exit codes") {
  CHECK(error_from_response(401, R"({"kind":"Status","reason":"Unauthorized","message":"Unauthorized"})").exit_code() ==
        ExitCode::not_authorized);
  CHECK(error_from_response(403, R"({"kind":"Status","reason":"Forbidden","message":"no"})").exit_code() ==
        ExitCode::not_authorized);
  CHECK(error_from_response(404, R"({"kind":"Status","reason":"NotFound","message":"gone"})").reason() ==
        Reason::not_found);
  CHECK(error_from_response(422, R"({"kind":"Status","reason":"Invalid","message":"bad"})").reason() ==
        Reason::invalid);
  CHECK(error_from_response(429, R"({"kind":"Status","reason":"TooManyRequests","message":"slow"})").reason() ==
        Reason::too_many_requests);
  CHECK(error_from_response(500, R"({"kind":"Status","reason":"InternalError","message":"x"})").reason() ==
        Reason::server_error);
  CHECK(error_from_response(503, "").reason() == Reason::server_error);
  CHECK(error_from_response(504, "").reason() == Reason::timeout);
  CHECK(error_from_response(418, "").reason() == Reason::unknown);
}

TEST_CASE("status: bodies that are not a Status are described, never echoed") {
  const auto e = error_from_response(502, "<html><body>secret-looking-body</body></html>");
  CHECK(e.reason() == Reason::server_error);
  CHECK_THAT(e.what(), Catch::Contains("not a Kubernetes Status") && !Catch::Contains("secret-looking-body"));
  CHECK_FALSE(parse_status("not json").has_value());
  CHECK_FALSE(parse_status(R"({"kind":"Secret"})").has_value());
  CHECK_FALSE(parse_status(R"([1,2])").has_value());
}

TEST_CASE("status: wrongly typed fields do not crash the parser") {
  const auto status = parse_status(R"({"kind":"Status","message":7,"reason":["x"],"code":"409"})");
  REQUIRE(status.has_value());
  CHECK(status->message.empty());
  CHECK(status->reason.empty());
  CHECK(status->code == 0);
  // A kind that is not a string is not a Status (nlohmann's value() used to throw here).
  CHECK_FALSE(parse_status(R"({"kind":7,"reason":"Conflict"})").has_value());
}
