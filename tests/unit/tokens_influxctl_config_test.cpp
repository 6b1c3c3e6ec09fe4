#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <toml++/toml.h>

#include "commands/influxctl_config.h"
#include "crypto/random.h"
#include "util/errors.h"

using namespace rotator;
using namespace rotator::commands;

namespace {

constexpr const char* key = "auth.token.mgmt_token";

// Three profiles, comments everywhere, odd spacing: all of it must survive.
const std::string several_profiles = R"(# influxctl configuration
# managed by hand, please keep the comments

[[profile]]
  name = "default"   # the one influxctl picks
  product = "clustered"
  host = "influxdb.example.com"
  port = "443"

  [profile.auth.oauth2]
    client_id = "abc"   # from the IdP
    scopes = [
      "openid",
      "offline",
    ]

# staging cluster below
[[profile]]
  name = "staging"
  product = "clustered"
  host = "staging.example.com"
  port = "8443"
  [profile.auth.token]
    token_file = "/etc/influxdb/staging-token.json"  # admin token file
    mgmt_token = "M.V1.old"   # rotated weekly

[[profile]]
name="lab"
host="lab.example.com"
)";

std::string replace_once(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

std::string read(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace

TEST_CASE("influxctl config: a new sub-table goes at the end of its profile, everything else is byte-identical",
          "[tokens][influxctl]") {
  const std::string edited = edit_influxctl_profile(several_profiles, "default", key, "M.V1.new");
  const std::string expected = replace_once(several_profiles,
                                            "      \"offline\",\n    ]\n",
                                            "      \"offline\",\n    ]\n  [profile.auth.token]\n    mgmt_token = \"M.V1.new\"\n");
  CHECK(edited == expected);
  const auto parsed = toml::parse(edited);
  CHECK(parsed["profile"][0]["auth"]["token"]["mgmt_token"].value<std::string>() == "M.V1.new");
  CHECK(parsed["profile"][0]["auth"]["oauth2"]["client_id"].value<std::string>() == "abc");
}

TEST_CASE("influxctl config: an existing value is replaced in place, keeping its comment", "[tokens][influxctl]") {
  const std::string edited = edit_influxctl_profile(several_profiles, "staging", key, "M.V1.new");
  CHECK(edited == replace_once(several_profiles, "mgmt_token = \"M.V1.old\"   # rotated weekly",
                               "mgmt_token = \"M.V1.new\"   # rotated weekly"));
  // token_file beside it (what export-admin-token writes) works the same way.
  const std::string with_file = edit_influxctl_profile(several_profiles, "staging", "auth.token.token_file", "/t.json");
  CHECK(with_file == replace_once(several_profiles, "\"/etc/influxdb/staging-token.json\"", "\"/t.json\""));
}

TEST_CASE("influxctl config: a key is added to an existing sub-table", "[tokens][influxctl]") {
  const std::string text = "[[profile]]\n  name = \"a\"\n  [profile.auth.token]\n    token_file = \"/x\"\n\n# end\n";
  CHECK(edit_influxctl_profile(text, "a", key, "M.V1.z") ==
        "[[profile]]\n  name = \"a\"\n  [profile.auth.token]\n    token_file = \"/x\"\n    mgmt_token = \"M.V1.z\"\n\n# end\n");
}

TEST_CASE("influxctl config: a missing profile is appended, an empty file becomes one profile", "[tokens][influxctl]") {
  const std::string edited = edit_influxctl_profile(several_profiles, "prod", key, "M.V1.p");
  CHECK(edited == several_profiles + "\n[[profile]]\n  name = \"prod\"\n  [profile.auth.token]\n    mgmt_token = \"M.V1.p\"\n");
  CHECK(edit_influxctl_profile("", "default", key, "M.V1.p") ==
        "[[profile]]\n  name = \"default\"\n  [profile.auth.token]\n    mgmt_token = \"M.V1.p\"\n");
  // The last profile written without indentation and without a final newline.
  CHECK(edit_influxctl_profile("[[profile]]\nname=\"lab\"", "lab", key, "v") ==
        "[[profile]]\nname=\"lab\"\n  [profile.auth.token]\n    mgmt_token = \"v\"\n");
}

TEST_CASE("influxctl config: values are escaped, CRLF files stay CRLF", "[tokens][influxctl]") {
  const std::string edited = edit_influxctl_profile("", "p", "auth.token.token_file", "C:\\tokens\\\"a\".json");
  CHECK(toml::parse(edited)["profile"][0]["auth"]["token"]["token_file"].value<std::string>() ==
        "C:\\tokens\\\"a\".json");
  const std::string crlf = "[[profile]]\r\n  name = \"p\"\r\n";
  CHECK(edit_influxctl_profile(crlf, "p", key, "v") ==
        "[[profile]]\r\n  name = \"p\"\r\n  [profile.auth.token]\r\n    mgmt_token = \"v\"\r\n");
}

TEST_CASE("influxctl config: what cannot be edited surgically is refused, never rewritten", "[tokens][influxctl]") {
  CHECK_THROWS_AS(edit_influxctl_profile("not = [toml", "p", key, "v"), InvalidDataError);
  CHECK_THROWS_AS(edit_influxctl_profile("profile = 3\n", "p", key, "v"), InvalidDataError);
  // An inline table cannot take a [profile.auth.token] header after it.
  CHECK_THROWS_AS(edit_influxctl_profile("[[profile]]\nname = \"p\"\nauth = { oauth2 = { client_id = \"x\" } }\n", "p",
                                         key, "v"),
                  InvalidDataError);
  CHECK_THROWS_WITH(edit_influxctl_profile("[[profile]]\nname = \"p\"\n[[profile]]\nname = \"p\"\n", "p", key, "v"),
                    Catch::Contains("two profiles"));
  CHECK_THROWS_AS(edit_influxctl_profile("profile = [{ name = \"p\" }]\n", "p", key, "v"), InvalidDataError);
}

TEST_CASE("influxctl config: the file is written 0600 and other profiles compare equal", "[tokens][influxctl]") {
  const auto dir = std::filesystem::temp_directory_path() / ("rotator-influxctl-" + crypto::uuid_v4());
  const auto path = dir / "influxctl" / "config.toml";
  std::filesystem::create_directories(path.parent_path());
  {
    std::ofstream out(path);
    out << several_profiles;
  }
  std::filesystem::permissions(path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write |
                                         std::filesystem::perms::group_read | std::filesystem::perms::others_read);
  set_influxctl_profile_value(path, "lab", key, "M.V1.lab");
  const std::string after = read(path);
  CHECK(after == several_profiles + "  [profile.auth.token]\n    mgmt_token = \"M.V1.lab\"\n");
  struct stat st{};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(std::distance(std::filesystem::directory_iterator(path.parent_path()), {}) == 1);  // no temp left

  const auto fresh = dir / "new" / "config.toml";
  set_influxctl_profile_value(fresh, "default", key, "M.V1.x");
  REQUIRE(::stat(fresh.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  std::filesystem::remove_all(dir);
}
