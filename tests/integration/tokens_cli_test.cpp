// Management and database tokens end to end: the rotator binary against the real
// local API server, kubectl as the independent reader.

#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "cluster_fixture.h"
#include "crypto/random.h"
#include "formats/registry.h"
#include "formats/token_verdict.h"
#include "kube/resources.h"
#include "util/base64.h"

using namespace rotator;
using namespace rotator::testing;
using Json = nlohmann::json;

namespace {

/// Runs `create ... -o json` and returns the parsed object (it holds the token).
Json create_json(const std::vector<std::string>& args) {
  auto all = args;
  all.insert(all.end(), {"-o", "json"});
  const auto run = run_rotator(all);
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  CHECK_THAT(run.err, Catch::Contains("only time the token is shown"));
  return Json::parse(run.out);
}

formats::TokenVerification verify(const std::string& ns, const std::string& token) {
  auto client = TestCluster::get().client();
  const auto result = registry_verdict(*client, ns, token);
  REQUIRE(result.has_value());
  return *result;
}

std::string secret_json(const std::string& ns, const std::string& name) {
  const auto got = kubectl({"-n", ns, "get", "secret", name, "-o", "json"});
  REQUIRE(got.exit_code == 0);
  return got.out;
}

std::string registry_text(const std::string& ns, const std::string& name) {
  const auto data = Json::parse(secret_json(ns, name))["data"]["tokens.json"].get<std::string>();
  return *util::base64_decode(data);
}

std::string resource_version(const std::string& ns, const std::string& name) {
  return kubectl({"-n", ns, "get", "secret", name, "-o", "jsonpath={.metadata.resourceVersion}"}).out;
}

/// No trace of the token in the stored Secret: not as text, not as base64, not its secret part.
void check_secret_holds_no_token(const std::string& ns, const std::string& name, const std::string& token) {
  const std::string raw = secret_json(ns, name);
  const std::string decoded = registry_text(ns, name);
  const std::string body = token.substr(token.find_first_of("._") == 1 ? 5 : 6);
  for (const std::string& where : {raw, decoded}) {
    CHECK(where.find(token) == std::string::npos);
    CHECK(where.find(body) == std::string::npos);
    CHECK(where.find(util::base64_encode(token)) == std::string::npos);
    CHECK(where.find(util::base64_encode(token).substr(0, 40)) == std::string::npos);
  }
  CHECK_THAT(decoded, Catch::Contains(formats::token_hash(token)));
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace

TEST_CASE("tokens cli: management create, list (table and JSON), revoke, verify, the token only at creation") {
  TestNamespace ns("tok");
  const auto created = create_json({"management", "create", "-n", ns.name(), "--description", "CI pipeline",
                                    "--expires-at", "2099-01-01T00:00:00Z"});
  const std::string token = created["token"];
  const std::string id = created["id"];
  CHECK(created["description"] == "CI pipeline");
  // Times as influxctl prints them: protobuf timestamps (formats/influxctl_output.h).
  CHECK(created["expires_at"] == Json{{"seconds", 4070908800}});
  CHECK(created["created_at"]["seconds"].is_number_integer());
  CHECK(created["token_prefix"] == token.substr(0, 9));
  CHECK(formats::classify_token(token) == formats::TokenKind::management);
  const auto never = create_json({"management", "create", "-n", ns.name(), "--description", "no expiry"});
  CHECK_FALSE(never.contains("expires_at"));  // unset fields are left out, as influxctl does

  // Table output of create as influxctl 2.11 prints it: the record's table, two
  // warn lines, then the token as the last line.
  const auto table_create = run_rotator({"management", "create", "-n", ns.name(), "--description", "table form"});
  REQUIRE(table_create.exit_code == 0);
  CHECK_THAT(table_create.out, Catch::StartsWith("+-") && Catch::Contains("|          id | ") &&
                                   Catch::Contains("| description | table form") &&
                                   Catch::Contains("warn\tplease copy the token and store in a safe place\n"
                                                   "warn\tthis is the *only time* you will see the token\n"));
  const std::string printed = table_create.out.substr(table_create.out.rfind('\n', table_create.out.size() - 2) + 1);
  CHECK(formats::classify_token(printed.substr(0, printed.size() - 1)) == formats::TokenKind::management);

  check_secret_holds_no_token(ns.name(), "management-tokens", token);
  const auto list = run_rotator({"management", "list", "-n", ns.name()});
  REQUIRE(list.exit_code == 0);
  CHECK_THAT(list.out, Catch::StartsWith("+-") && Catch::Contains("| ID ") && Catch::Contains("| DESCRIPTION ") &&
                           Catch::Contains("| PREFIX ") && Catch::Contains("| CREATED AT ") &&
                           Catch::Contains("| EXPIRES AT ") && Catch::Contains("| REVOKED AT "));
  CHECK_THAT(list.out, Catch::Contains("| 2099-01-01T00:00:00Z |") && Catch::Contains("| 1970-01-01T00:00:00Z |"));
  CHECK_THAT(list.out, Catch::Contains(id) && Catch::Contains("CI pipeline") && Catch::Contains(token.substr(0, 9)));
  CHECK(list.out.find(token) == std::string::npos);

  auto v = verify(ns.name(), token);
  CHECK(v.valid());
  CHECK(v.id == id);
  CHECK(v.kind == formats::TokenKind::management);

  const auto revoke = run_rotator({"management", "revoke", "--force", "-n", ns.name(), id});
  INFO(revoke.err);
  REQUIRE(revoke.exit_code == 0);
  CHECK_THAT(revoke.out, Catch::Contains("revoked " + id));
  v = verify(ns.name(), token);
  CHECK(v.status == formats::TokenVerification::Status::revoked);
  CHECK(v.id == id);
  // Twice is not an error.
  const auto again = run_rotator({"management", "revoke", "--force", "-n", ns.name(), id});
  CHECK(again.exit_code == 0);
  CHECK_THAT(again.out, Catch::Contains("already revoked"));

  // Revoked tokens stay listed; JSON sorted by description.
  const auto json = run_rotator({"management", "list", "-n", ns.name(), "--format", "json", "--sort", "description"});
  REQUIRE(json.exit_code == 0);
  const auto rows = Json::parse(json.out);
  REQUIRE(rows.size() == 3);
  CHECK(rows[0]["description"] == "CI pipeline");
  CHECK(rows[0]["revoked_at"]["seconds"].is_number_integer());
  CHECK_FALSE(rows[1].contains("revoked_at"));
  CHECK(rows[0]["status"] == "revoked");
  CHECK(rows[1]["description"] == "no expiry");
  CHECK(json.out.find(token) == std::string::npos);
  CHECK(json.out.find("sha512") == std::string::npos);

  // Events on the registry Secret, without token material.
  const auto events = kubectl(
      {"-n", ns.name(), "get", "events", "--field-selector", "involvedObject.name=management-tokens", "-o", "json"});
  REQUIRE(events.exit_code == 0);
  std::multiset<std::string> reasons;
  const Json event_list = Json::parse(events.out);
  for (const auto& e : event_list["items"]) reasons.insert(e["reason"].get<std::string>());
  CHECK(reasons.count("TokenCreated") == 3);
  CHECK(reasons.count("TokenRevoked") == 1);
  CHECK(events.out.find(token.substr(5)) == std::string::npos);
}

TEST_CASE("tokens cli: database tokens: create with permissions, list, get, revoke, verify") {
  TestNamespace ns("tok");
  const auto created = create_json({"token", "create", "grafana", "-n", ns.name(), "--read-database", "telemetry",
                                    "--write-database", "*", "--read-database", "logs"});
  const std::string token = created["token"];
  const std::string id = created["id"];
  CHECK(formats::classify_token(token) == formats::TokenKind::database);
  REQUIRE(created["permissions"].size() == 3);
  // Permissions as the Management API names them.
  CHECK(created["permissions"][0] == Json({{"action", "read"}, {"resource", "logs"}}));
  CHECK(created["permissions"][2] == Json({{"action", "write"}, {"resource", "*"}}));
  // Stored as schemaVersion 2 with the same names.
  CHECK_THAT(registry_text(ns.name(), "database-tokens"),
             Catch::Contains(R"("schemaVersion":2)") && Catch::Contains(R"({"action":"read","resource":"logs"})"));
  const auto other = create_json({"token", "create", "ingest", "-n", ns.name(), "--write-database", "telemetry"});
  check_secret_holds_no_token(ns.name(), "database-tokens", token);

  const auto get = run_rotator({"token", "get", "-n", ns.name(), id, "-o", "json"});
  REQUIRE(get.exit_code == 0);
  CHECK(Json::parse(get.out)["description"] == "grafana");
  CHECK(get.out.find(token) == std::string::npos);
  const auto get_table = run_rotator({"token", "get", "-n", ns.name(), id});
  CHECK_THAT(get_table.out, Catch::Contains("read:logs,read:telemetry,write:*"));
  CHECK(verify(ns.name(), token).valid());

  const auto revoke = run_rotator({"token", "revoke", "--force", "-n", ns.name(), id});
  REQUIRE(revoke.exit_code == 0);
  CHECK(verify(ns.name(), token).status == formats::TokenVerification::Status::revoked);
  CHECK(verify(ns.name(), other["token"]).valid());

  const auto list = run_rotator({"token", "list", "-n", ns.name(), "-o", "json"});
  REQUIRE(Json::parse(list.out).size() == 1);
  const auto with_revoked =
      run_rotator({"token", "list", "-n", ns.name(), "--include-revoked", "--sort", "description"});
  CHECK_THAT(with_revoked.out, Catch::Contains("grafana") && Catch::Contains("ingest"));
  CHECK(with_revoked.out.find("grafana") < with_revoked.out.find("ingest"));
  const auto revoked_get = run_rotator({"token", "get", "-n", ns.name(), id});
  CHECK(revoked_get.exit_code == 1);
  CHECK_THAT(revoked_get.err, Catch::Contains("revoked"));
  CHECK(run_rotator({"token", "get", "-n", ns.name(), "--include-revoked", id}).exit_code == 0);
  CHECK(run_rotator({"token", "get", "-n", ns.name(), crypto::uuid_v4()}).exit_code == 1);

  // Usage errors: no permission, empty description, expiry in the past.
  CHECK(run_rotator({"token", "create", "x", "-n", ns.name()}).exit_code == 2);
  CHECK(run_rotator({"token", "create", "", "-n", ns.name(), "--read-database", "a"}).exit_code == 2);
  CHECK(run_rotator(
            {"token", "create", "x", "-n", ns.name(), "--read-database", "a", "--expires-at", "2001-01-01T00:00:00Z"})
            .exit_code == 2);
  CHECK(run_rotator({"token", "list", "-n", ns.name(), "--sort", "created"}).exit_code == 2);
}

TEST_CASE("tokens cli: expired and unknown tokens fail verification with the right reason") {
  TestNamespace ns("tok");
  const auto expiry = util::format_rfc3339(util::Clock::now() + std::chrono::seconds(2));
  const auto created =
      create_json({"token", "create", "short", "-n", ns.name(), "--read-database", "db", "--expires-at", expiry});
  const auto management =
      create_json({"management", "create", "-n", ns.name(), "--description", "short", "--expires-at", expiry});
  CHECK(verify(ns.name(), created["token"]).valid());
  std::this_thread::sleep_for(std::chrono::milliseconds(3100));
  auto v = verify(ns.name(), created["token"]);
  CHECK(v.status == formats::TokenVerification::Status::expired);
  CHECK(v.id == created["id"]);
  CHECK_THAT(v.reason(), Catch::StartsWith("expired at " + expiry));
  CHECK(verify(ns.name(), management["token"]).status == formats::TokenVerification::Status::expired);

  const std::string unknown(formats::generate_token(formats::TokenKind::database).token.view());
  v = verify(ns.name(), unknown);
  CHECK(v.status == formats::TokenVerification::Status::unknown);
  CHECK(v.id.empty());
  // No registry at all: unknown, not an error.
  const std::string stranger(formats::generate_token(formats::TokenKind::management).token.view());
  TestNamespace empty("tok");
  CHECK(verify(empty.name(), stranger).status == formats::TokenVerification::Status::unknown);
}

TEST_CASE("tokens cli: revoke needs a terminal or --force, and goes on past an unknown id") {
  TestNamespace ns("tok");
  const auto a = create_json({"management", "create", "-n", ns.name(), "--description", "a"});
  const auto b = create_json({"management", "create", "-n", ns.name(), "--description", "b"});
  const std::string rv = resource_version(ns.name(), "management-tokens");

  const auto refused = run_rotator({"management", "revoke", "-n", ns.name(), a["id"]});
  CHECK(refused.exit_code == 2);
  CHECK_THAT(refused.err, Catch::Contains("not a terminal") && Catch::Contains("--force"));
  CHECK(resource_version(ns.name(), "management-tokens") == rv);
  CHECK(verify(ns.name(), a["token"]).valid());

  const std::string missing = crypto::uuid_v4();
  const auto partial = run_rotator({"management", "revoke", "--force", "-n", ns.name(), a["id"], missing, b["id"]});
  CHECK(partial.exit_code == 1);
  CHECK_THAT(partial.err,
             Catch::Contains("no management token with id \"" + missing + "\"") && Catch::Contains("1 of 3"));
  CHECK_THAT(partial.out, Catch::Contains("revoked " + a["id"].get<std::string>()) &&
                              Catch::Contains("revoked " + b["id"].get<std::string>()));
  CHECK(verify(ns.name(), a["token"]).status == formats::TokenVerification::Status::revoked);
  CHECK(verify(ns.name(), b["token"]).status == formats::TokenVerification::Status::revoked);

  // Database tokens behave the same.
  const auto d = create_json({"token", "create", "d", "-n", ns.name(), "--read-database", "x"});
  CHECK(run_rotator({"token", "revoke", "-n", ns.name(), d["id"]}).exit_code == 2);
  CHECK(run_rotator({"token", "revoke", "--force", "-n", ns.name(), d["id"], missing}).exit_code == 1);
  CHECK(verify(ns.name(), d["token"]).status == formats::TokenVerification::Status::revoked);
}

TEST_CASE("tokens cli: token update changes description and permissions, and get, revoke and delete take a short id") {
  TestNamespace ns("tok");
  const auto a = create_json({"token", "create", "grafana", "-n", ns.name(), "--read-database", "telemetry"});
  const std::string id = a["id"];
  const std::string short_id = id.substr(0, 8);

  const auto updated = run_rotator({"token", "update", short_id, "-n", ns.name(), "--description", "grafana (ro)",
                                    "--read-database", "telemetry", "--read-database", "logs", "-o", "json"});
  INFO(updated.err);
  REQUIRE(updated.exit_code == 0);
  const auto shown = Json::parse(updated.out);
  CHECK(shown["id"] == id);
  CHECK(shown["description"] == "grafana (ro)");
  CHECK(shown["permissions"] ==
        Json::parse(R"([{"action":"read","resource":"logs"},{"action":"read","resource":"telemetry"}])"));
  CHECK(verify(ns.name(), a["token"]).valid());  // the token itself is unchanged
  CHECK_THAT(kubectl({"-n", ns.name(), "get", "events", "--field-selector", "reason=TokenUpdated", "-o",
                      "jsonpath={.items[*].message}"})
                 .out,
             Catch::Contains("updated: description \"grafana\" -> \"grafana (ro)\""));
  // The same again writes nothing.
  const std::string rv = resource_version(ns.name(), "database-tokens");
  CHECK(run_rotator({"token", "update", id, "-n", ns.name(), "--description", "grafana (ro)"}).exit_code == 0);
  CHECK(resource_version(ns.name(), "database-tokens") == rv);
  // Nothing asked, too short an id, an unknown id: refused, nothing written.
  CHECK(run_rotator({"token", "update", id, "-n", ns.name()}).exit_code == 2);
  const auto too_short = run_rotator({"token", "get", id.substr(0, 3), "-n", ns.name()});
  CHECK(too_short.exit_code == 1);
  CHECK_THAT(too_short.err, Catch::Contains("at least 4 characters"));
  CHECK(Json::parse(run_rotator({"token", "get", short_id, "-n", ns.name(), "-o", "json"}).out)["id"] == id);

  // `token delete` is influxctl's older name for revoke.
  const auto deleted = run_rotator({"token", "delete", "--force", short_id, "-n", ns.name()});
  CHECK(deleted.exit_code == 0);
  CHECK_THAT(deleted.out, Catch::Contains("revoked " + id));
  CHECK(verify(ns.name(), a["token"]).status == formats::TokenVerification::Status::revoked);
  const auto after_revoke = run_rotator({"token", "update", id, "-n", ns.name(), "--description", "again"});
  CHECK(after_revoke.exit_code == 1);
  CHECK_THAT(after_revoke.err, Catch::Contains("cannot be updated"));
}

TEST_CASE("tokens cli: concurrent creates and revokes never lose a record (409 retries)") {
  TestNamespace ns("tok");
  const auto first = create_json({"token", "create", "seed", "-n", ns.name(), "--read-database", "x"});
  constexpr int writers = 6;
  std::vector<CommandResult> results(writers);
  std::vector<std::thread> threads;
  const std::string first_id = first["id"];
  for (int i = 0; i < writers; ++i) {
    // run(), not run_rotator(): Catch's assertion macros are not thread-safe (the
    // ASan pass caught a double free in its message stack); checked below instead.
    threads.emplace_back([&, i] {
      if (i == 0) {
        results[i] = run({ROTATOR_BINARY, "token", "revoke", "--force", "-n", ns.name(), first_id});
      } else {
        results[i] = run({ROTATOR_BINARY, "token", "create", "parallel " + std::to_string(i), "-n", ns.name(),
                          "--write-database", "x"});
      }
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& r : results) {
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK_FALSE(has_sanitizer_report(r.err));
  }
  const auto registry =
      formats::parse_registry(registry_text(ns.name(), "database-tokens"), formats::TokenKind::database);
  CHECK(registry.records.size() == writers);
  const auto* seed = formats::find_by_id(registry, first["id"].get<std::string>());
  REQUIRE(seed != nullptr);
  CHECK(seed->revoked_at.has_value());
}

TEST_CASE("tokens cli: dry-run writes nothing, a corrupt registry is refused with exit 5") {
  TestNamespace ns("tok");
  const auto dry = run_rotator({"management", "create", "-n", ns.name(), "--description", "x", "--dry-run"});
  REQUIRE(dry.exit_code == 0);
  CHECK_THAT(dry.out, Catch::Contains("would create"));
  CHECK(dry.out.find("M.V1.") == std::string::npos);
  CHECK(kubectl({"-n", ns.name(), "get", "secret", "management-tokens"}).exit_code != 0);

  const auto created = create_json({"management", "create", "-n", ns.name(), "--description", "x"});
  const std::string rv = resource_version(ns.name(), "management-tokens");
  const auto dry_revoke = run_rotator({"management", "revoke", "-n", ns.name(), "--dry-run", created["id"]});
  CHECK(dry_revoke.exit_code == 0);
  CHECK_THAT(dry_revoke.out, Catch::Contains("would revoke"));
  CHECK(resource_version(ns.name(), "management-tokens") == rv);

  auto client = TestCluster::get().client();
  kube::SecretApi secrets(*client);
  kube::Secret corrupt;
  corrupt.metadata.name = "database-tokens";
  corrupt.metadata.namespace_ = ns.name();
  corrupt.data = {{"tokens.json", "{\"schemaVersion\":1,\"kind\":\"database\",\"tokens\":[{\"id\":3}]}"}};
  const auto stored = secrets.create(corrupt);
  const auto refused = run_rotator({"token", "create", "x", "-n", ns.name(), "--read-database", "db"});
  CHECK(refused.exit_code == 5);
  CHECK_THAT(refused.err, Catch::Contains("cannot be read"));
  CHECK(run_rotator({"token", "list", "-n", ns.name()}).exit_code == 5);
  CHECK(resource_version(ns.name(), "database-tokens") == stored.metadata.resource_version);
}

TEST_CASE("tokens cli: a full registry Secret is a clear error and nothing is lost") {
  TestNamespace ns("tok");
  // Fill the registry as close to 1 MiB as whole records allow.
  formats::Registry registry{formats::TokenKind::database, {}};
  formats::TokenRecord record;
  record.description = "filler";
  record.permissions = {{"read", "db"}};
  record.created_at = formats::to_seconds(util::Clock::now());
  record.prefix = "apiv1_AAAA";
  record.sha512 = std::string(128, 'a');
  record.created_by = "context admin, bearer token of user \"admin\"";
  // Every record has the same size (a UUID is always 36 characters): the next one
  // must not fit, so stop within one record of the limit.
  record.id = crypto::uuid_v4();
  const std::size_t empty = formats::serialize_registry(registry).size();
  const std::size_t per_record =
      formats::serialize_registry({formats::TokenKind::database, {record}}).size() - empty + 1;
  const std::size_t fits = (formats::max_secret_data_bytes - empty + 1) / per_record;
  for (std::size_t i = 0; i < fits; ++i) {
    record.id = crypto::uuid_v4();
    record.sha512 = formats::token_hash(record.id);  // one record per hash, as a registry must have
    registry.records.push_back(record);
  }
  REQUIRE(formats::serialize_registry(registry).size() <= formats::max_secret_data_bytes);
  const std::size_t count = registry.records.size();
  kube::Secret secret;
  secret.metadata.name = "database-tokens";
  secret.metadata.namespace_ = ns.name();
  secret.data = {{"tokens.json", formats::serialize_registry(registry)}};
  kube::SecretApi(*TestCluster::get().client()).create(secret);  // the API server takes it
  const std::string rv = resource_version(ns.name(), "database-tokens");

  const auto full = run_rotator({"token", "create", "one too many", "-n", ns.name(), "--read-database", "db"});
  CHECK(full.exit_code == 1);
  CHECK_THAT(full.err, Catch::Contains("is full") && Catch::Contains(std::to_string(count + 1) + " records"));
  CHECK(full.out.find("apiv1_") == std::string::npos);  // no token handed out that is not stored
  CHECK(resource_version(ns.name(), "database-tokens") == rv);
  WARN("a full database-tokens Secret held " << count << " records of this size");
}

TEST_CASE("tokens cli: management create writes mgmt_token into an influxctl profile, other profiles untouched") {
  TestNamespace ns("tok");
  TempDir dir;
  const std::string original =
      "# influxctl profiles\n\n[[profile]]\n  name = \"default\"  # keep me\n  product = \"clustered\"\n"
      "  host = \"a.example.com\"\n  [profile.auth.oauth2]\n    client_id = \"x\"\n\n"
      "# second one\n[[profile]]\n  name = \"prod\"\n  host = \"b.example.com\"\n"
      "  [profile.auth.token]\n    token_file = \"/etc/token.json\"  # admin\n\n"
      "[[profile]]\n  name = \"lab\"\n  host = \"c.example.com\"\n";
  const auto path = dir.write("config.toml", original);
  const auto created = create_json({"management", "create", "-n", ns.name(), "--description", "prod automation",
                                    "--influxctl-config", path.string(), "--profile", "prod"});
  const std::string token = created["token"];
  // mgmt_token directly under [[profile]], where influxctl reads it (after the profile's own keys).
  const std::string expected_text = [&] {
    std::string t = original;
    const std::string anchor = "  host = \"b.example.com\"\n";
    t.insert(t.find(anchor) + anchor.size(), "  mgmt_token = \"" + token + "\"\n");
    return t;
  }();
  CHECK(read_file(path) == expected_text);
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(verify(ns.name(), token).valid());

  // A file rotator cannot edit safely is refused, with the reason, before any token
  // is created: here a misplaced mgmt_token inside an inline table.
  const std::string bad_text = "[[profile]]\nname = \"p\"\nauth = { token = { mgmt_token = \"M.V1.old\" } }\n";
  const auto bad = dir.write("bad.toml", bad_text);
  const auto refused = run_rotator({"management", "create", "-n", ns.name(), "--description", "y", "--influxctl-config",
                                    bad.string(), "--profile", "p"});
  CHECK(refused.exit_code == 5);
  CHECK_THAT(refused.err, Catch::Contains("inline table (line 3)") && !Catch::Contains("not valid TOML"));
  CHECK(read_file(bad) == bad_text);
  // A profile that does not exist needs the cluster's address; nothing is created without it.
  const auto missing = run_rotator({"management", "create", "-n", ns.name(), "--description", "z", "--influxctl-config",
                                    path.string(), "--profile", "nowhere"});
  CHECK(missing.exit_code == 2);
  CHECK_THAT(missing.err, Catch::Contains("--influxctl-host") && Catch::Contains("--influxctl-port"));
  CHECK(read_file(path) == expected_text);
  const auto list = Json::parse(run_rotator({"management", "list", "-n", ns.name(), "-o", "json"}).out);
  CHECK(list.size() == 1);
}

TEST_CASE("tokens cli: on a terminal, revoke asks and only 'y' revokes") {
  if (testing::run({"sh", "-c", "command -v script"}).exit_code != 0) {
    WARN("script(1) is not installed: terminal prompt not tested");
    return;
  }
  TestNamespace ns("tok");
  const auto created = create_json({"management", "create", "-n", ns.name(), "--description", "prompted"});
  const std::string id = created["id"];
  // script(1) gives rotator a pseudo-terminal as stdin and forwards what we pipe in.
  const auto on_terminal = [&](const std::string& answer) {
    return testing::run({"sh", "-c",
                         "printf '" + answer + "\\n' | script -qec \"$0 management revoke -n $1 $2\" /dev/null",
                         ROTATOR_BINARY, ns.name(), id});
  };
  // Answering no is a choice, not a usage error.
  const auto declined = on_terminal("n");
  CHECK(declined.exit_code == 0);
  CHECK_THAT(declined.out, Catch::Contains("Revoke? [y/N]") && Catch::Contains("Nothing revoked"));
  CHECK(verify(ns.name(), created["token"]).valid());
  // An unknown id is reported before the question and not asked about; the known one
  // (given as a short prefix) is revoked; the unknown one makes it exit 1.
  const std::string unknown = "0000ffff-0000-4000-8000-000000000000";
  const auto accepted =
      testing::run({"sh", "-c", "printf 'y\\n' | script -qec \"$0 management revoke -n $1 $2 $3\" /dev/null",
                    ROTATOR_BINARY, ns.name(), unknown, id.substr(0, 8)});
  INFO(accepted.out);
  CHECK(accepted.exit_code == 1);
  const auto error_at = accepted.out.find("no management token with id \"" + unknown + "\"");
  const auto question_at = accepted.out.find("Revoke? [y/N]");
  REQUIRE(error_at != std::string::npos);
  REQUIRE(question_at != std::string::npos);
  CHECK(error_at < question_at);
  CHECK_THAT(accepted.out, Catch::Contains("About to revoke 1 management token(s)") &&
                               Catch::Contains("revoked " + id) && Catch::Contains("1 of 2"));
  CHECK(verify(ns.name(), created["token"]).status == formats::TokenVerification::Status::revoked);
}

TEST_CASE(
    "tokens cli: a schemaVersion 1 registry with a token of the earlier shape is read, migrated on the next "
    "write, and a planted duplicate is refused") {
  TestNamespace ns("tok");
  // As rotator wrote it before: 43-character token, permissions named "database".
  const std::string legacy = "apiv1_" + util::base64url_encode(std::string(crypto::random_bytes(32).view()));
  REQUIRE(formats::classify_token(legacy) == formats::TokenKind::database);
  const std::string id = crypto::uuid_v4();
  const std::string record = R"({"id":")" + id +
                             R"(","description":"from v1","permissions":[{"action":"read","database":"telemetry"}],)"
                             R"("created_at":"2026-01-01T00:00:00Z","expires_at":null,"revoked_at":null,)"
                             R"("created_by":"someone","prefix":")" +
                             legacy.substr(0, 10) + R"(","sha512":")" + formats::token_hash(legacy) + R"("})";
  kube::Secret secret;
  secret.metadata.name = "database-tokens";
  secret.metadata.namespace_ = ns.name();
  secret.data = {{"tokens.json", R"({"kind":"database","schemaVersion":1,"tokens":[)" + record + "]}"}};
  auto client = TestCluster::get().client();
  kube::SecretApi secrets(*client);
  secrets.create(secret);

  const auto list = run_rotator({"token", "list", "-n", ns.name(), "-o", "json"});
  REQUIRE(list.exit_code == 0);
  CHECK(Json::parse(list.out)[0]["permissions"] == Json::parse(R"([{"action":"read","resource":"telemetry"}])"));
  CHECK(verify(ns.name(), legacy).valid());
  CHECK_THAT(registry_text(ns.name(), "database-tokens"),
             Catch::Contains(R"("schemaVersion":1)"));  // reading wrote nothing

  // The next write migrates the whole registry; the old token keeps working and can be revoked.
  const auto created = create_json({"token", "create", "new", "-n", ns.name(), "--write-database", "logs"});
  const std::string migrated = registry_text(ns.name(), "database-tokens");
  CHECK_THAT(migrated,
             Catch::Contains(R"("schemaVersion":2)") && Catch::Contains(R"({"action":"read","resource":"telemetry"})"));
  CHECK(migrated.find(R"("database":)") == std::string::npos);
  CHECK(verify(ns.name(), legacy).valid());
  REQUIRE(run_rotator({"token", "revoke", "--force", "-n", ns.name(), id}).exit_code == 0);
  CHECK(verify(ns.name(), legacy).status == formats::TokenVerification::Status::revoked);

  // A planted copy of the revoked record, not revoked: refused, never "valid".
  auto stored = *secrets.get(ns.name(), "database-tokens");
  auto registry = formats::parse_registry(stored.data.at("tokens.json"), formats::TokenKind::database);
  auto planted = *formats::find_by_id(registry, id);
  planted.id = crypto::uuid_v4();
  planted.revoked_at.reset();
  registry.records.push_back(planted);
  stored.data["tokens.json"] = formats::serialize_registry(registry);
  secrets.replace(stored);
  const auto refused = run_rotator({"verify", "-n", ns.name(), legacy});
  CHECK(refused.exit_code == 5);
  CHECK_THAT(refused.err, Catch::Contains("same sha512"));
  CHECK(refused.out.find("valid") == std::string::npos);
  CHECK(refused.err.find(legacy.substr(6)) == std::string::npos);
  CHECK(run_rotator({"token", "list", "-n", ns.name()}).exit_code == 5);
}
