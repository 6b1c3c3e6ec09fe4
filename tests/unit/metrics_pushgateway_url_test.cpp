#include <stdexcept>

#include <catch2/catch.hpp>

#include "metrics/pushgateway_url.h"
#include "util/errors.h"

#include <cstdlib>

using namespace rotator;
using namespace rotator::metrics;

namespace {

// Sets or unsets ROTATOR_PUSHGATEWAY for one test and puts back what was there.
class PushgatewayEnv {
 public:
  explicit PushgatewayEnv(const char* value) {
    if (const char* old = std::getenv(pushgateway_env_var)) saved_ = old;
    if (value)
      ::setenv(pushgateway_env_var, value, 1);
    else
      ::unsetenv(pushgateway_env_var);
  }
  ~PushgatewayEnv() {
    if (saved_)
      ::setenv(pushgateway_env_var, saved_->c_str(), 1);
    else
      ::unsetenv(pushgateway_env_var);
  }

 private:
  std::optional<std::string> saved_;
};

}  // namespace

TEST_CASE("metrics pushgateway URL: http and https with host, port and path prefix, trailing slash dropped",
          "[metrics]") {
  CHECK(parse_pushgateway_url("http://pushgateway:9091", "--pushgateway") == "http://pushgateway:9091");
  CHECK(parse_pushgateway_url("http://pushgateway:9091/", "--pushgateway") == "http://pushgateway:9091");
  CHECK(parse_pushgateway_url("https://pgw.example.org/prefix/", "--pushgateway") == "https://pgw.example.org/prefix");
  CHECK(parse_pushgateway_url("http://127.0.0.1:9091", "--pushgateway") == "http://127.0.0.1:9091");
}

TEST_CASE("metrics pushgateway URL: anything else is a usage error that names its source and no password",
          "[metrics]") {
  for (const char* bad : {"pushgateway:9091", "ftp://pgw:21", "http://", "http://pgw:9091/?x=1",
                          "http://pgw:9091/#frag", "not a url", ""}) {
    INFO(bad);
    CHECK_THROWS_AS(parse_pushgateway_url(bad, "--pushgateway"), UsageError);
  }
  try {
    parse_pushgateway_url("ftp://user:s3cret-pw@pgw:21", "$ROTATOR_PUSHGATEWAY");
    FAIL("accepted ftp");
  } catch (const UsageError& e) {
    const std::string message = e.what();
    CHECK(message.find("$ROTATOR_PUSHGATEWAY") != std::string::npos);
    CHECK(message.find("s3cret-pw") == std::string::npos);
  }
}

TEST_CASE("metrics pushgateway URL: the flag wins over the environment, empty means off", "[metrics]") {
  SECTION("neither: off") {
    PushgatewayEnv env(nullptr);
    CHECK_FALSE(pushgateway_url(std::nullopt).has_value());
  }
  SECTION("environment only") {
    PushgatewayEnv env("http://from-env:9091");
    CHECK(pushgateway_url(std::nullopt) == "http://from-env:9091");
  }
  SECTION("empty environment (an empty ConfigMap value): off") {
    PushgatewayEnv env("");
    CHECK_FALSE(pushgateway_url(std::nullopt).has_value());
  }
  SECTION("flag over environment") {
    PushgatewayEnv env("http://from-env:9091");
    CHECK(pushgateway_url(std::string("http://from-flag:9091")) == "http://from-flag:9091");
    CHECK_FALSE(pushgateway_url(std::string("")).has_value());
  }
  SECTION("a bad environment value is a usage error") {
    PushgatewayEnv env("pushgateway:9091");
    CHECK_THROWS_AS(pushgateway_url(std::nullopt), UsageError);
  }
}

TEST_CASE("metrics pushgateway grouping path: plain values as is, others base64url as the Pushgateway reads them",
          "[metrics]") {
  CHECK(grouping_path({"http://p", "rotate", "influxdb"}) == "/metrics/job/rotate/namespace/influxdb");
  CHECK(grouping_path({"http://p", "management-renew", "team_a.1~x"}) ==
        "/metrics/job/management-renew/namespace/team_a.1~x");
  // "a/b" and "a b" cannot be a path segment as is.
  CHECK(grouping_path({"http://p", "a/b", "a b"}) == "/metrics/job@base64/YS9i/namespace@base64/YSBi");
  CHECK(grouping_path({"http://p", "rotate", ""}) == "/metrics/job/rotate/namespace@base64/=");
  CHECK_THROWS_AS(grouping_path({"http://p", "", "ns"}), std::invalid_argument);
  // A multi-cluster run groups by cluster too; a context name may hold '/' or '@'.
  CHECK(grouping_path({"http://p", "rotate", "influxdb", "prod-eu"}) ==
        "/metrics/job/rotate/namespace/influxdb/cluster/prod-eu");
  CHECK(grouping_path({"http://p", "rotate", "influxdb", "admin@prod/eu"}) ==
        "/metrics/job/rotate/namespace/influxdb/cluster@base64/YWRtaW5AcHJvZC9ldQ");
}

TEST_CASE("metrics pushgateway URL: credentials are removed for logs", "[metrics]") {
  CHECK(redacted_url("https://user:s3cret@pgw:9091/x") == "https://pgw:9091/x");
  CHECK(redacted_url("http://pgw:9091") == "http://pgw:9091/");
  CHECK(redacted_url("garbage user:s3cret@host").find("s3cret") == std::string::npos);
}

TEST_CASE("metrics pushgateway job name: command words joined by dashes", "[metrics]") {
  CHECK(job_name_for_command("revoke-and-rotate") == "revoke-and-rotate");
  CHECK(job_name_for_command("management renew") == "management-renew");
}
