#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "commands/influxctl_config.h"
#include "formats/influxctl_config.h"
#include "util/errors.h"
#include "util/subprocess.h"

#include "test_support.h"

using namespace rotator;
using namespace rotator::formats;
using Json = nlohmann::json;

namespace {

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
    mgmt_token = "M.V1.old"   # rotated weekly (where rotator used to write it)

[[profile]]
name="lab"
host="lab.example.com"
)";

std::string replace_once(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

InfluxctlConfigRequest request(const std::string& profile, InfluxctlSetting setting, const std::string& value) {
  InfluxctlConfigRequest r;
  r.profile = profile;
  r.setting = setting;
  r.value = value;
  return r;
}

InfluxctlConfigRequest with_address(InfluxctlConfigRequest r, const std::string& host = "influxdb.example.com",
                                    const std::string& port = "443") {
  r.host = host;
  r.port = port;
  return r;
}

std::string edited(std::optional<std::string_view> text, const InfluxctlConfigRequest& r) {
  return edit_influxctl_config(text, r).text;
}

/// Runs tests/tools/influxctl_config_check.py on `text` in a scratch directory.
util::ProcessResult run_checker(const std::string& text, util::ChildStderr stderr_to) {
  const testing::ScratchDir dir;
  return util::run_process({"python3", std::string(ROTATOR_TEST_DATA) + "/../tools/influxctl_config_check.py",
                            dir.write("config.toml", text)},
                           {}, std::chrono::seconds(30), util::ChildStdin::null, stderr_to);
}

/// Runs tests/tools/influxctl_config_check.py (Python's tomllib: an independent
/// TOML reader) on `text`; its JSON summary of the profiles, or a failed check.
Json independent_reading(const std::string& text) {
  const auto result = run_checker(text, util::ChildStderr::inherit);
  INFO(text);
  REQUIRE(result.exit_code == 0);
  return Json::parse(result.stdout_text);
}

Json summary(const std::string& name, const Json& mgmt_token, const Json& token_file) {
  return {{"name", name}, {"mgmt_token", mgmt_token}, {"token_file", token_file}};
}

}  // namespace

TEST_CASE("influxctl config: the independent checker refuses keys in the wrong place", "[formats][influxctl]") {
  // Without this, a checker that accepts everything would make the tests below pass.
  for (const std::string& text :
       {std::string("[[profile]]\nname = \"p\"\n[profile.auth.token]\nmgmt_token = \"M.V1.x\"\n"),
        std::string("[[profile]]\nname = \"p\"\nport = 443\n"), std::string("token_file = \"/x\"\n")}) {
    CHECK(run_checker(text, util::ChildStderr::discard).exit_code == 1);
  }
}

TEST_CASE("influxctl config: a new file is one documented profile", "[formats][influxctl]") {
  const auto mgmt =
      edit_influxctl_config(std::nullopt, with_address(request("default", InfluxctlSetting::mgmt_token, "M.V1.+new/")));
  CHECK(mgmt.created_profile);
  CHECK(mgmt.text ==
        "[[profile]]\n  name = \"default\"\n  product = \"clustered\"\n  host = \"influxdb.example.com\"\n"
        "  port = \"443\"\n  mgmt_token = \"M.V1.+new/\"\n");
  CHECK(independent_reading(mgmt.text) == Json::array({summary("default", "M.V1.+new/", nullptr)}));

  const auto file =
      edited(std::nullopt, with_address(request("prod", InfluxctlSetting::token_file, "/t.json"), "h", "8443"));
  CHECK(file ==
        "[[profile]]\n  name = \"prod\"\n  product = \"clustered\"\n  host = \"h\"\n  port = \"8443\"\n"
        "  [profile.auth.token]\n    token_file = \"/t.json\"\n");
  CHECK(independent_reading(file) == Json::array({summary("prod", nullptr, "/t.json")}));
  // An empty or comment-only file is the same as none.
  CHECK(edited("", with_address(request("p", InfluxctlSetting::mgmt_token, "m"))) ==
        edited(std::nullopt, with_address(request("p", InfluxctlSetting::mgmt_token, "m"))));
  CHECK_THAT(edited("# mine\n", with_address(request("p", InfluxctlSetting::mgmt_token, "m"))),
             Catch::StartsWith("# mine\n\n[[profile]]\n"));
}

TEST_CASE("influxctl config: a new profile needs host and port, and says which flags give them",
          "[formats][influxctl]") {
  const auto r = request("prod", InfluxctlSetting::mgmt_token, "m");
  CHECK_THROWS_WITH(edited(several_profiles, r),
                    Catch::Contains("profile \"prod\" is not in the influxctl config") &&
                        Catch::Contains("--influxctl-host HOST and --influxctl-port PORT"));
  CHECK_THROWS_AS(edited(std::nullopt, r), UsageError);
  auto host_only = r;
  host_only.host = "h";
  CHECK_THROWS_WITH(edited(std::nullopt, host_only),
                    Catch::Contains("pass --influxctl-port PORT") && !Catch::Contains("--influxctl-host"));
  for (const char* port : {"", "0", "65536", "44a", "-1", "123456"}) {
    CAPTURE(port);
    CHECK_THROWS_WITH(edited(std::nullopt, with_address(r, "h", port)), Catch::Contains("--influxctl-port"));
  }
  for (const char* host : {"", "two words", "tab\there"}) {
    CAPTURE(host);
    CHECK_THROWS_WITH(edited(std::nullopt, with_address(r, host, "443")), Catch::Contains("--influxctl-host"));
  }
  // An existing profile needs neither.
  CHECK_NOTHROW(edited(several_profiles, request("lab", InfluxctlSetting::mgmt_token, "m")));
  // Appended after everything else, which stays byte for byte.
  const std::string appended = edited(several_profiles, with_address(r));
  CHECK(appended ==
        several_profiles +
            "\n[[profile]]\n  name = \"prod\"\n  product = \"clustered\"\n  host = \"influxdb.example.com\"\n"
            "  port = \"443\"\n  mgmt_token = \"m\"\n");
}

TEST_CASE("influxctl config: mgmt_token goes directly under [[profile]], everything else byte for byte",
          "[formats][influxctl]") {
  const auto result =
      edit_influxctl_config(several_profiles, request("default", InfluxctlSetting::mgmt_token, "M.V1.new"));
  CHECK(result.text ==
        replace_once(several_profiles, "  port = \"443\"\n", "  port = \"443\"\n  mgmt_token = \"M.V1.new\"\n"));
  CHECK(result.notes.empty());
  CHECK_FALSE(result.created_profile);
  // Set again: replaced in place.
  const std::string again = edited(result.text, request("default", InfluxctlSetting::mgmt_token, "M.V1.newer"));
  CHECK(again == replace_once(result.text, "\"M.V1.new\"", "\"M.V1.newer\""));
  // A profile written without indentation and without a final newline.
  // (Indented as the profile's own keys are.)
  CHECK(edited("[[profile]]\nname=\"lab\"", request("lab", InfluxctlSetting::mgmt_token, "v")) ==
        "[[profile]]\nname=\"lab\"\nmgmt_token = \"v\"\n");
  CHECK(edited("[[profile]]\nname=\"lab\"\nhost=\"h\"\n", request("lab", InfluxctlSetting::mgmt_token, "v")) ==
        "[[profile]]\nname=\"lab\"\nhost=\"h\"\nmgmt_token = \"v\"\n");
}

TEST_CASE("influxctl config: rotator's earlier mgmt_token under [profile.auth.token] is moved where influxctl reads it",
          "[formats][influxctl]") {
  SECTION("setting mgmt_token: the new one goes under [[profile]], the misplaced line goes") {
    const auto result =
        edit_influxctl_config(several_profiles, request("staging", InfluxctlSetting::mgmt_token, "M.V1.new"));
    std::string expected =
        replace_once(several_profiles, "  port = \"8443\"\n", "  port = \"8443\"\n  mgmt_token = \"M.V1.new\"\n");
    expected = replace_once(expected,
                            "    mgmt_token = \"M.V1.old\"   # rotated weekly (where rotator used to write it)\n", "");
    CHECK(result.text == expected);
    REQUIRE(result.notes.size() == 1);
    CHECK_THAT(result.notes[0],
               Catch::Contains("removed the mgmt_token under [profile.auth.token]") && Catch::Contains("line 25"));
    CHECK(independent_reading(result.text)[1] == summary("staging", "M.V1.new", "/etc/influxdb/staging-token.json"));
  }
  SECTION("a section that only held it goes too (what rotator used to create)") {
    const std::string old_write =
        "[[profile]]\n  name = \"prod\"\n  host = \"h\"\n  [profile.auth.token]\n    mgmt_token = \"M.V1.old\"\n";
    const auto result = edit_influxctl_config(old_write, request("prod", InfluxctlSetting::mgmt_token, "M.V1.new"));
    CHECK(result.text == "[[profile]]\n  name = \"prod\"\n  host = \"h\"\n  mgmt_token = \"M.V1.new\"\n");
    CHECK(independent_reading(result.text) == Json::array({summary("prod", "M.V1.new", nullptr)}));
    // The old file is what influxctl 2.0.1+ refuses: the checker agrees.
    CHECK(run_checker(old_write, util::ChildStderr::discard).exit_code == 1);
  }
  SECTION("setting token_file moves the misplaced token, with its value as written") {
    const auto result =
        edit_influxctl_config(several_profiles, request("staging", InfluxctlSetting::token_file, "/new/token.json"));
    std::string expected =
        replace_once(several_profiles, "  port = \"8443\"\n", "  port = \"8443\"\n  mgmt_token = \"M.V1.old\"\n");
    expected = replace_once(expected,
                            "    mgmt_token = \"M.V1.old\"   # rotated weekly (where rotator used to write it)\n", "");
    expected = replace_once(expected, "\"/etc/influxdb/staging-token.json\"", "\"/new/token.json\"");
    CHECK(result.text == expected);
    REQUIRE(result.notes.size() == 1);
    CHECK_THAT(result.notes[0], Catch::Contains("moved mgmt_token"));
    CHECK(independent_reading(result.text)[1] == summary("staging", "M.V1.old", "/new/token.json"));
  }
  SECTION("a profile with its own mgmt_token: the misplaced one is dropped, never preferred") {
    const std::string both =
        "[[profile]]\nname = \"p\"\nmgmt_token = \"M.V1.own\"\n[profile.auth.token]\n"
        "token_file = \"/t\"\nmgmt_token = \"M.V1.misplaced\"\n";
    const auto result = edit_influxctl_config(both, request("p", InfluxctlSetting::token_file, "/u"));
    CHECK(result.text ==
          "[[profile]]\nname = \"p\"\nmgmt_token = \"M.V1.own\"\n[profile.auth.token]\ntoken_file = \"/u\"\n");
    CHECK_THAT(result.notes.at(0), Catch::Contains("has its own mgmt_token"));
  }
  SECTION("a multi-line value is removed whole") {
    const std::string multi =
        "[[profile]]\nname = \"p\"\n[profile.auth.token]\nmgmt_token = \"\"\"\nM.V1.old\"\"\"\n"
        "token_file = \"/t\"\n";
    CHECK(edited(multi, request("p", InfluxctlSetting::mgmt_token, "v")) ==
          "[[profile]]\nname = \"p\"\nmgmt_token = \"v\"\n[profile.auth.token]\ntoken_file = \"/t\"\n");
  }
  SECTION("written as a dotted key") {
    const std::string dotted = "[[profile]]\nname = \"p\"\nauth.token.mgmt_token = \"M.V1.old\"\n";
    CHECK(edited(dotted, request("p", InfluxctlSetting::mgmt_token, "M.V1.new")) ==
          "[[profile]]\nname = \"p\"\nmgmt_token = \"M.V1.new\"\n");
  }
}

TEST_CASE("influxctl config: token_file goes under [profile.auth.token]", "[formats][influxctl]") {
  // A new section at the end of the profile, indented as its other sections,
  // before the comment that introduces the next profile.
  const std::string text = edited(several_profiles, request("default", InfluxctlSetting::token_file, "/t.json"));
  CHECK(text == replace_once(several_profiles, "      \"offline\",\n    ]\n",
                             "      \"offline\",\n    ]\n  [profile.auth.token]\n    token_file = \"/t.json\"\n"));
  // Another reader sees it in its place. (Without the staging profile's misplaced
  // mgmt_token, which rotator leaves alone when it edits another profile.)
  const std::string clean = replace_once(
      several_profiles, "    mgmt_token = \"M.V1.old\"   # rotated weekly (where rotator used to write it)\n", "");
  const Json reading = independent_reading(edited(clean, request("default", InfluxctlSetting::token_file, "/t.json")));
  CHECK(reading == Json::array({summary("default", nullptr, "/t.json"),
                                summary("staging", nullptr, "/etc/influxdb/staging-token.json"),
                                summary("lab", nullptr, nullptr)}));
  // Into an existing section.
  CHECK(edited("[[profile]]\n  name = \"a\"\n  [profile.auth.token]\n\n# end\n",
               request("a", InfluxctlSetting::token_file, "/x")) ==
        "[[profile]]\n  name = \"a\"\n  [profile.auth.token]\n    token_file = \"/x\"\n\n# end\n");
  // A token table only implied by a deeper section gets its own section.
  CHECK(edited("[[profile]]\nname = \"p\"\n[profile.auth.token.extra]\nx = 1\n",
               request("p", InfluxctlSetting::token_file, "/t")) ==
        "[[profile]]\nname = \"p\"\n[profile.auth.token.extra]\nx = 1\n[profile.auth.token]\n  token_file = \"/t\"\n");
  // Other tables around the profiles stay where they are.
  CHECK(edited("[other]\nx=1\n[[profile]]\nname = \"p\"\n[more]\ny=2\n",
               request("p", InfluxctlSetting::token_file, "/t")) ==
        "[other]\nx=1\n[[profile]]\nname = \"p\"\n  [profile.auth.token]\n    token_file = \"/t\"\n[more]\ny=2\n");
  // Values that need escaping come back as given through another TOML reader.
  const std::string odd = "C:\\tokens\\\"a\" é.json";
  CHECK(independent_reading(edited(
            std::nullopt, with_address(request("p", InfluxctlSetting::token_file, odd))))[0]["token_file"] == odd);
}

TEST_CASE("influxctl config: inline tables are edited in place or refused with the reason", "[formats][influxctl]") {
  const std::string value_inside = "[[profile]]\nname = \"p\"\nauth = { token = { token_file = \"/old\" } }\n";
  CHECK(edited(value_inside, request("p", InfluxctlSetting::token_file, "/new")) ==
        "[[profile]]\nname = \"p\"\nauth = { token = { token_file = \"/new\" } }\n");
  struct Case {
    const char* why;
    std::string text;
    InfluxctlSetting setting;
    std::vector<std::string> reason;
  };
  const std::vector<Case> refused = {
      {"a key would have to be added to an inline auth",
       "[[profile]]\nname = \"p\"\nauth = { oauth2 = { client_id = \"x\" } }\n",
       InfluxctlSetting::token_file,
       {"writes auth as an inline table (line 3)", "does not add or remove keys"}},
      {"to an inline auth.token",
       "[[profile]]\nname = \"p\"\nauth = { token = { } }\n",
       InfluxctlSetting::token_file,
       {"inline table (line 3)"}},
      {"a misplaced mgmt_token inside an inline table",
       "[[profile]]\nname = \"p\"\nauth = { token = { mgmt_token = \"M\" } }\n",
       InfluxctlSetting::mgmt_token,
       {"inline table (line 3)"}},
      {"profiles as an inline array",
       "profile = [{ name = \"p\" }]\n",
       InfluxctlSetting::mgmt_token,
       {"inline array", "[[profile]] sections"}},
      {"auth.token with dotted keys",
       "[[profile]]\nname = \"p\"\nauth.token.x = 1\n",
       InfluxctlSetting::token_file,
       {"dotted keys (line 3)"}},
      {"not TOML", "not = [toml", InfluxctlSetting::mgmt_token, {"is not valid TOML", "line 1"}},
      {"not TOML",
       "# ok\n[\x7f]]\nname = \"p\"\n",
       InfluxctlSetting::mgmt_token,
       {"is not valid TOML", "control character 0x7f (line 2)"}},
      {"not TOML", "name = \"a\x01\"\n", InfluxctlSetting::mgmt_token, {"is not valid TOML", "0x01 (line 1)"}},
      {"not TOML", "[x]\n[.auth.oauth2]\n", InfluxctlSetting::mgmt_token, {"is not valid TOML", "line 2"}},
      {"not TOML", "[[ .profile]]\n", InfluxctlSetting::mgmt_token, {"line 1"}},
      {"not TOML",
       "# caf\xc3\xa9\n[[profile]]\nname = \"\xc3\xa9\"\n\xcf\xbbo = 1\n",
       InfluxctlSetting::mgmt_token,
       {"non-ASCII text outside a string or comment (line 4)"}},
      {"not TOML", "[[\n.auth.token.x = 1\n", InfluxctlSetting::mgmt_token, {"is not valid TOML", "line 1"}},
      {"profile is not a list", "profile = 3\n", InfluxctlSetting::mgmt_token, {"not a list of [[profile]] sections"}},
      {"two profiles of one name",
       "[[profile]]\nname = \"p\"\n[[profile]]\nname = \"p\"\n",
       InfluxctlSetting::mgmt_token,
       {"two [[profile]] sections are named \"p\" (lines 1 and 3)"}},
  };
  for (const auto& c : refused) {
    CAPTURE(c.why);
    try {
      edited(c.text, request("p", c.setting, "v"));
      FAIL("edited instead of refused");
    } catch (const InvalidDataError& e) {
      const std::string message = e.what();
      for (const auto& part : c.reason) CHECK_THAT(message, Catch::Contains(part));
      CHECK_THAT(message, Catch::EndsWith("nothing was changed") || Catch::Contains("rotator will not change it"));
      // Not the old, misleading diagnosis for a well-formed file.
      if (std::string(c.why) != "not TOML") CHECK_THAT(message, !Catch::Contains("not valid TOML"));
    }
  }
}

TEST_CASE("influxctl config: text that only looks like TOML structure is left alone", "[formats][influxctl]") {
  // A multi-line string holding header-like lines: headers come from the parsed tree, not a scan.
  const std::string tricky =
      "[[profile]]\nname = \"p\"\nnote = \"\"\"\n[[profile]]\n[profile.auth.token]\n\"\"\"\n"
      "[profile.tls]\nca = \"/ca\"\n";
  CHECK(edited(tricky, request("p", InfluxctlSetting::mgmt_token, "m")) ==
        replace_once(tricky, "\"\"\"\n[profile.tls]", "\"\"\"\nmgmt_token = \"m\"\n[profile.tls]"));
  CHECK(edited(tricky, request("p", InfluxctlSetting::token_file, "/t")) ==
        tricky + "[profile.auth.token]\n  token_file = \"/t\"\n");
  // CRLF stays CRLF.
  CHECK(edited("[[profile]]\r\n  name = \"p\"\r\n", request("p", InfluxctlSetting::token_file, "/t")) ==
        "[[profile]]\r\n  name = \"p\"\r\n  [profile.auth.token]\r\n    token_file = \"/t\"\r\n");
  // Multi-byte characters before a value on its line: toml++ columns are code points.
  CHECK(edited("[[profile]]\nname = \"p\"\nauth = { oauth2 = { client_id = \"日本\" }, token = { token_file = \"/old\" "
               "} }\n",
               request("p", InfluxctlSetting::token_file, "/new")) ==
        "[[profile]]\nname = \"p\"\nauth = { oauth2 = { client_id = \"日本\" }, token = { token_file = \"/new\" } }\n");
}

TEST_CASE(
    "influxctl config: an existing file keeps its mode (with a warning when others may read it), a new one is 0600",
    "[formats][influxctl]") {
  const testing::ScratchDir scratch;
  const auto& dir = scratch.path();
  const auto path = dir / "influxctl" / "config.toml";
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path) << several_profiles;
  std::filesystem::permissions(path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write |
                                         std::filesystem::perms::group_read | std::filesystem::perms::others_read);
  const auto notes = commands::set_influxctl_profile_value(path, "lab", InfluxctlSetting::mgmt_token, "M.V1.lab");
  REQUIRE(notes.size() == 1);
  CHECK_THAT(notes[0], Catch::Contains("readable by others (mode 0644)") && Catch::Contains("chmod 600"));
  std::stringstream after;
  after << std::ifstream(path, std::ios::binary).rdbuf();
  CHECK(after.str() == several_profiles + "mgmt_token = \"M.V1.lab\"\n");
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0644);
  CHECK(std::distance(std::filesystem::directory_iterator(path.parent_path()), {}) == 1);  // no temp left

  const auto fresh = dir / "new" / "config.toml";
  CHECK_THROWS_AS(commands::check_influxctl_profile_value(fresh, "default", InfluxctlSetting::mgmt_token), UsageError);
  CHECK_FALSE(std::filesystem::exists(fresh));
  commands::set_influxctl_profile_value(fresh, "default", InfluxctlSetting::mgmt_token, "M.V1.x", {"h", "443"});
  REQUIRE(::stat(fresh.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
}
