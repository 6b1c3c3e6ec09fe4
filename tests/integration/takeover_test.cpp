// Taking over an installation that exists today: an rsa-keys Secret with only
// private.pem and public.pem, as InfluxDB Clustered's own key-gen job may have
// left it, in PKCS#1 or PKCS#8. Checked with independent tools: kubectl reads
// what rotator wrote, openssl reads the keys, PyJWT verifies the admin token.
// No assertion prints key or token material: comparisons are made into bools first.

#include <fstream>
#include <sstream>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "steps_fixture.h"

using namespace rotator;
using namespace rotator::testing;
using Json = nlohmann::json;

namespace {

constexpr const char* pkcs1_header = "-----BEGIN RSA PRIVATE KEY-----";
constexpr const char* pkcs8_header = "-----BEGIN PRIVATE KEY-----";

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

bool starts_with(const std::string& text, const std::string& prefix) {
  return text.rfind(prefix, 0) == 0;
}

struct KeyFiles {
  std::string private_pem;
  std::string public_pem;
};

/// A key pair made by openssl as an operator (or InfluxDB's job) would make it.
KeyFiles openssl_key_pair(const TempDir& dir, bool pkcs1) {
  const std::string key = (dir.path() / "private.pem").string();
  const std::string pub = (dir.path() / "public.pem").string();
  const auto made =
      pkcs1 ? run({"openssl", "genrsa", "-traditional", "-out", key, "2048"})
            : run({"openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", key});
  REQUIRE(made.exit_code == 0);
  REQUIRE(run({"openssl", "pkey", "-in", key, "-pubout", "-out", pub}).exit_code == 0);
  return {read_file(key), read_file(pub)};
}

/// `kubectl create secret generic rsa-keys` with only the two keys.
void create_bare_secret(const std::string& ns, const TempDir& dir) {
  const auto created = kubectl({"-n", ns, "create", "secret", "generic", "rsa-keys",
                                "--from-file=private.pem=" + (dir.path() / "private.pem").string(),
                                "--from-file=public.pem=" + (dir.path() / "public.pem").string()});
  INFO(created.err);
  REQUIRE(created.exit_code == 0);
}

/// Whether openssl reads the PEM as a valid RSA private key.
bool openssl_reads_rsa_key(const std::string& private_pem) {
  TempDir dir;
  const auto key = dir.write("key.pem", private_pem);
  return run({"openssl", "rsa", "-in", key.string(), "-check", "-noout"}).exit_code == 0;
}

/// Verifies the admin token's JWT with PyJWT (Debian's python3-jwt) against
/// public.pem and against the jwks.json entry its kid names; prints only "ok".
bool pyjwt_verifies_admin_token(const std::string& ns) {
  const Json file = Json::parse(admin_token_file(ns));
  TempDir dir;
  const auto token = dir.write("token", file.at("access_token").get<std::string>());
  const auto pub = dir.write("public.pem", secret_value(ns, "rsa-keys", "public.pem"));
  const auto jwks = dir.write("jwks.json", secret_value(ns, "rsa-keys", "jwks.json"));
  const auto script =
      dir.write("verify.py",
                "import json, sys, jwt\n"
                "token = open(sys.argv[1]).read()\n"
                "claims = jwt.decode(token, open(sys.argv[2]).read(), algorithms=['RS256'])\n"
                "kid = jwt.get_unverified_header(token)['kid']\n"
                "keys = {k.key_id: k for k in jwt.PyJWKSet.from_dict(json.load(open(sys.argv[3]))).keys}\n"
                "jwt.decode(token, keys[kid].key, algorithms=['RS256'])\n"
                "assert claims['jti']\n"
                "print('ok')\n");
  // Debian's python3 (python3-jwt), not a python3 another tool put first on PATH.
  const auto verified = run({"/usr/bin/python3", script.string(), token.string(), pub.string(), jwks.string()});
  INFO(verified.err);
  return verified.exit_code == 0 && verified.out == "ok\n";
}

std::string resource_version(const std::string& ns) {
  return kubectl({"-n", ns, "get", "secret", "rsa-keys", "-o", "jsonpath={.metadata.resourceVersion}"}).out;
}

void run_ok(std::vector<std::string> args, const std::string& ns) {
  args.insert(args.end(), {"-n", ns});
  const auto result = run_rotator(args);
  INFO(args[0] << ": " << result.err);
  REQUIRE(result.exit_code == 0);
}

}  // namespace

TEST_CASE(
    "takeover: key-gen completes a bare rsa-keys without touching its private key, and the form is kept across a "
    "rotation") {
  for (const bool pkcs1 : {true, false}) {
    const std::string form = pkcs1 ? "PKCS#1" : "PKCS#8";
    const std::string header = pkcs1 ? pkcs1_header : pkcs8_header;
    INFO(form);
    TestNamespace ns("takeover");
    TempDir dir;
    const KeyFiles original = openssl_key_pair(dir, pkcs1);
    REQUIRE(starts_with(original.private_pem, header));
    create_bare_secret(ns.name(), dir);

    run_ok({"key-gen"}, ns.name());
    const bool private_unchanged = secret_value(ns.name(), "rsa-keys", "private.pem") == original.private_pem;
    const bool public_unchanged = secret_value(ns.name(), "rsa-keys", "public.pem") == original.public_pem;
    CHECK(private_unchanged);
    CHECK(public_unchanged);
    CHECK_FALSE(secret_value(ns.name(), "rsa-keys", "kid").empty());
    const auto jwks = Json::parse(secret_value(ns.name(), "rsa-keys", "jwks.json"));
    CHECK(jwks["keys"].size() == 2);  // the current key and the staged one
    const std::string staged = secret_value(ns.name(), "rsa-keys", "next.pem");
    CHECK(starts_with(staged, header));  // generated in the ring's form
    CHECK(openssl_reads_rsa_key(staged));
    CHECK_FALSE(kubectl({"-n", ns.name(), "get", "secret", "rsa-keys", "-o",
                         "jsonpath={.metadata.annotations.rotator\\.io/key-created-at}"})
                    .out.empty());
    CHECK(keys_valid_by_openssl(ns.name()));
    // status names the form (it exits 6 or 7 here: no token-management to restart).
    const auto status = run_rotator({"status", "-n", ns.name(), "-o", "json"});
    CHECK(Json::parse(status.out)["keys"]["keyForm"] == form);

    // Complete now: a rerun writes nothing.
    const std::string version = resource_version(ns.name());
    run_ok({"key-gen"}, ns.name());
    CHECK(resource_version(ns.name()) == version);

    run_ok({"create-admin-token"}, ns.name());
    CHECK(pyjwt_verifies_admin_token(ns.name()));

    const std::string old_kid = secret_value(ns.name(), "rsa-keys", "kid");
    run_ok({"revoke-and-rotate", "--restart", "none", "--rotation-id", "takeover-1"}, ns.name());
    CHECK(secret_value(ns.name(), "rsa-keys", "kid") != old_kid);
    const std::string current = secret_value(ns.name(), "rsa-keys", "private.pem");
    CHECK(starts_with(current, header));
    CHECK(openssl_reads_rsa_key(current));
    CHECK(starts_with(secret_value(ns.name(), "rsa-keys", "next.pem"), header));
    CHECK(keys_valid_by_openssl(ns.name()));
    CHECK(pyjwt_verifies_admin_token(ns.name()));
  }
}

TEST_CASE("takeover: --key-form pkcs1 on a fresh namespace makes PKCS#1 keys, and rotations keep them") {
  TestNamespace ns("keyform");
  run_ok({"key-gen", "--key-form", "pkcs1"}, ns.name());
  CHECK(starts_with(secret_value(ns.name(), "rsa-keys", "private.pem"), pkcs1_header));
  CHECK(starts_with(secret_value(ns.name(), "rsa-keys", "next.pem"), pkcs1_header));
  CHECK(keys_valid_by_openssl(ns.name()));
  run_ok({"create-admin-token"}, ns.name());
  CHECK(pyjwt_verifies_admin_token(ns.name()));

  // No flag: the form of the current key is kept, through a fresh (incident) key too.
  run_ok({"revoke-and-rotate", "--restart", "none", "--fresh", "--rotation-id", "kf-1"}, ns.name());
  CHECK(starts_with(secret_value(ns.name(), "rsa-keys", "private.pem"), pkcs1_header));
  CHECK(starts_with(secret_value(ns.name(), "rsa-keys", "next.pem"), pkcs1_header));
  CHECK(pyjwt_verifies_admin_token(ns.name()));

  // The flag switches the form at a rotation.
  run_ok({"revoke-and-rotate", "--restart", "none", "--rotation-id", "kf-2", "--key-form", "pkcs8"}, ns.name());
  CHECK(starts_with(secret_value(ns.name(), "rsa-keys", "private.pem"), pkcs8_header));
  CHECK(starts_with(secret_value(ns.name(), "rsa-keys", "next.pem"), pkcs8_header));
  CHECK(keys_valid_by_openssl(ns.name()));
  CHECK(pyjwt_verifies_admin_token(ns.name()));
}

TEST_CASE("takeover: a bad --key-form exits 2 before any request, on the command line and in a job file") {
  TestNamespace ns("keyform-bad");
  TempDir dir;
  const auto job = dir.write("job.yaml",
                             "apiVersion: rotator.io/v1\nkind: JobFile\nmetadata: {name: bad}\nsteps:\n"
                             "  - step: key-gen\n  - step: revoke-and-rotate\n    with: {key-form: pkcs9}\n");
  for (const auto& args :
       std::vector<std::vector<std::string>>{{"key-gen", "--key-form", "pem"},
                                             {"key-gen", "--key-form", "pkcs1", "--algorithm", "ES256"},
                                             {"revoke-and-rotate", "--key-form", "PKCS8"},
                                             {"run", job.string()}}) {
    auto full = args;
    full.insert(full.end(), {"-n", ns.name(), "--stats", "--log-format", "json"});
    const auto result = run_rotator(full);
    INFO(args[0] << " " << args[1]);
    INFO(result.err);
    CHECK(result.exit_code == 2);
    CHECK_THAT(result.err, Catch::Contains("--key-form") || Catch::Contains("key-form"));
  }
  CHECK(kubectl({"-n", ns.name(), "get", "secret", "rsa-keys", "--ignore-not-found", "-o", "name"}).out.empty());
}
