// The bad input catalogue: malformed kubeconfigs, Secret contents, job files,
// command lines and API responses, each run through the real binary. Every row
// must end with its documented exit code and exactly one clear error line, never
// crash (exit code > 5, a signal or a sanitizer report), and destroy nothing: the
// resourceVersions of every Secret in the namespace stay the same.

#include <fstream>
#include <sstream>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "cluster_fixture.h"
#include "steps_fixture.h"
#include "util/base64.h"

using namespace rotator;
using namespace rotator::testing;
using Json = nlohmann::json;

namespace {

struct Row {
  std::string name;
  std::vector<std::string> args;  ///< "{NS}", "{DIR}" and "{PROXY}" are replaced
  int exit_code;
  std::string fragment;        ///< part of the one error line
  Json proxy_rules = nullptr;  ///< fault proxy rules for the row (API response rows)
  bool error_line = true;      ///< false: the answer itself is the output (verify says "invalid")
};

std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (std::size_t pos = 0; (pos = text.find(from, pos)) != std::string::npos; pos += to.size()) {
    text.replace(pos, from.size(), to);
  }
  return text;
}

/// "name=resourceVersion ..." of every Secret in the namespace.
std::string all_secret_versions(const std::string& ns) {
  const auto result = kubectl({"-n", ns, "get", "secrets", "-o",
                               "jsonpath={range .items[*]}{.metadata.name}={.metadata.resourceVersion} {end}"});
  REQUIRE(result.exit_code == 0);
  return result.out;
}

std::string openssl_key(const TempDir& dir, const std::string& name, const std::vector<std::string>& genpkey_args) {
  std::vector<std::string> argv = {"openssl", "genpkey"};
  argv.insert(argv.end(), genpkey_args.begin(), genpkey_args.end());
  argv.push_back("-out");
  argv.push_back((dir.path() / name).string());
  REQUIRE(run(argv).exit_code == 0);
  return slurp(dir.path() / name);
}

std::string public_of(const TempDir& dir, const std::string& private_pem) {
  const auto file = dir.write("pub-input.pem", private_pem);
  const auto result = run({"openssl", "pkey", "-in", file.string(), "-pubout"});
  REQUIRE(result.exit_code == 0);
  return result.out;
}

/// Creates an Opaque Secret with the given data, through kubectl.
void create_secret(const std::string& ns, const std::string& name, const std::map<std::string, std::string>& data) {
  Json secret = {{"apiVersion", "v1"},
                 {"kind", "Secret"},
                 {"type", "Opaque"},
                 {"metadata", {{"name", name}, {"namespace", ns}}},
                 {"data", Json::object()}};
  for (const auto& [key, value] : data) secret["data"][key] = util::base64_encode(value);
  TempDir dir;
  const auto file = dir.write("secret.json", secret.dump());
  const auto result = kubectl({"create", "-f", file.string()});
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
}

int count_error_lines(const std::string& err) {
  int count = 0;
  for (std::size_t pos = 0; (pos = err.find("rotator: error:", pos)) != std::string::npos; ++pos) ++count;
  return count;
}

}  // namespace

TEST_CASE("bad input: every malformed input ends with one clear line and its exit code, destroying nothing") {
  TestNamespace ns;
  REQUIRE(run_rotator({"run", std::string(ROTATOR_SOURCE_DIR) + "/jobs/bootstrap.yaml", "-n", ns.name()}).exit_code ==
          0);
  const auto& cluster = TestCluster::get();
  TempDir dir;
  FaultProxy proxy;
  const auto via_proxy = admin_kubeconfig(dir, proxy.url());

  // ---- Files: kubeconfigs, keys, job files, token files.
  const std::string good_private = secret_value(ns.name(), "rsa-keys", "private.pem");
  const std::string good_public = secret_value(ns.name(), "rsa-keys", "public.pem");
  const std::string good_jwks = secret_value(ns.name(), "rsa-keys", "jwks.json");
  const std::string good_kid = secret_value(ns.name(), "rsa-keys", "kid");
  const std::string good_next = secret_value(ns.name(), "rsa-keys", "next.pem");
  const std::string good_token_file = admin_token_file(ns.name());
  const std::string other_private =
      openssl_key(dir, "other.pem", {"-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"});
  const std::string p384 = openssl_key(dir, "p384.pem", {"-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"});
  REQUIRE(run({"openssl", "genpkey", "-genparam", "-algorithm", "DSA", "-pkeyopt", "dsa_paramgen_bits:1024", "-out",
               (dir.path() / "dsa-params.pem").string()})
              .exit_code == 0);
  const std::string dsa = openssl_key(dir, "dsa.pem", {"-paramfile", (dir.path() / "dsa-params.pem").string()});
  const std::string admin_jwt = Json::parse(good_token_file)["access_token"];
  const std::string ca_b64 = util::base64_encode(slurp(cluster.ca_file));
  const std::string token = cluster.admin_token;

  auto kubeconfig = [&](const std::string& name, const std::string& text) {
    dir.write(name, text);
    return (dir.path() / name).string();
  };
  auto config_with = [&](const std::string& cluster_body, const std::string& user_body,
                         const std::string& tail = "current-context: ctx\n") {
    return "apiVersion: v1\nkind: Config\nclusters:\n- name: local\n  cluster:\n" + cluster_body +
           "users:\n- name: u\n  user:\n" + user_body +
           "contexts:\n- name: ctx\n  context: {cluster: local, user: u}\n" + tail;
  };
  const std::string good_cluster =
      "    server: " + cluster.server + "\n    certificate-authority-data: " + ca_b64 + "\n";
  const std::string good_user = "    token: " + token + "\n";
  auto exec_user = [&](const std::string& script,
                       const std::string& api_version = "client.authentication.k8s.io/v1beta1") {
    const auto path = dir.write("plugin-" + std::to_string(std::hash<std::string>{}(script)) + ".sh",
                                "#!/bin/sh\n" + script + "\n", std::filesystem::perms::owner_all);
    return "    exec:\n      apiVersion: " + api_version + "\n      command: " + path.string() + "\n";
  };
  const std::string exec_ok_v1beta1 =
      "echo "
      "'{\"apiVersion\":\"client.authentication.k8s.io/v1beta1\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"" +
      token + "\"}}'";

  std::vector<Row> rows;
  auto status_with = [&](const std::string& name, const std::string& config_text, int code,
                         const std::string& fragment) {
    rows.push_back({"kubeconfig: " + name,
                    {"status", "-n", "{NS}", "--kubeconfig", kubeconfig(name, config_text)},
                    code,
                    fragment});
  };

  // Kubeconfigs.
  rows.push_back({"kubeconfig: missing file", {"status", "-n", "{NS}", "--kubeconfig", "{DIR}/absent"}, 1, "absent"});
  rows.push_back({"kubeconfig: a directory", {"status", "-n", "{NS}", "--kubeconfig", "{DIR}"}, 1, ""});
  rows.push_back({"kubeconfig: KUBECONFIG names a missing file", {"status", "-n", "{NS}", "--kubeconfig", ""}, 1, ""});
  status_with("empty file", "", 1, "");
  status_with("not YAML", "apiVersion: v1\nclusters: [\n  - {name: x\n", 1, "");
  status_with("a YAML list", "- a\n- b\n", 1, "");
  status_with("clusters is a string", "apiVersion: v1\nclusters: nope\ncurrent-context: ctx\n", 1, "");
  status_with("no clusters",
              "apiVersion: v1\nkind: Config\nusers: []\ncontexts:\n- name: ctx\n  context: {cluster: local, user: "
              "u}\ncurrent-context: ctx\n",
              1, "");
  status_with("unknown current-context", config_with(good_cluster, good_user, "current-context: elsewhere\n"), 1,
              "elsewhere");
  status_with("no current-context", config_with(good_cluster, good_user, ""), 1, "");
  status_with("context names an unknown cluster",
              "apiVersion: v1\nclusters: []\nusers:\n- name: u\n  user: {token: x}\ncontexts:\n- name: ctx\n  context: "
              "{cluster: gone, user: u}\ncurrent-context: ctx\n",
              1, "gone");
  status_with("context names an unknown user",
              "apiVersion: v1\nclusters:\n- name: local\n  cluster:\n" + good_cluster +
                  "users: []\ncontexts:\n- name: ctx\n  context: {cluster: local, user: ghost}\ncurrent-context: ctx\n",
              1, "ghost");
  status_with("cluster without server", config_with("    certificate-authority-data: " + ca_b64 + "\n", good_user), 1,
              "server");
  status_with("server not a URL", config_with("    server: not a url\n", good_user), 1, "");
  status_with("server is a list", config_with("    server: [a, b]\n", good_user), 1, "");
  status_with(
      "context is a string",
      "apiVersion: v1\nclusters: []\nusers: []\ncontexts:\n- name: ctx\n  context: nope\ncurrent-context: ctx\n", 1,
      "");
  status_with("certificate-authority-data not base64",
              config_with("    server: " + cluster.server + "\n    certificate-authority-data: '%%%not base64%%%'\n",
                          good_user),
              1, "");
  status_with("certificate-authority-data not a certificate",
              config_with("    server: " + cluster.server +
                              "\n    certificate-authority-data: " + util::base64_encode("hello") + "\n",
                          good_user),
              1, "");
  status_with("certificate-authority file missing",
              config_with("    server: " + cluster.server + "\n    certificate-authority: " + dir.path().string() +
                              "/no-ca.crt\n",
                          good_user),
              1, "");
  status_with("CA mismatch (another certificate as CA)",
              config_with("    server: " + cluster.server + "\n    certificate-authority: " +
                              (cluster.dir / "pki" / "cert-admin.crt").string() + "\n",
                          good_user),
              1, "");
  status_with("client-certificate-data not base64",
              config_with(good_cluster, "    client-certificate-data: '!!'\n    client-key-data: '!!'\n"), 1, "");
  status_with("client-key file missing",
              config_with(good_cluster, "    client-certificate: " + (cluster.dir / "pki" / "cert-admin.crt").string() +
                                            "\n    client-key: " + dir.path().string() + "/no.key\n"),
              1, "");
  status_with(
      "client certificate without key",
      config_with(good_cluster, "    client-certificate: " + (cluster.dir / "pki" / "cert-admin.crt").string() + "\n"),
      1, "");
  status_with("tokenFile missing", config_with(good_cluster, "    tokenFile: " + dir.path().string() + "/no-token\n"),
              1, "");
  status_with("user is a list", config_with(good_cluster, "    - a\n"), 1, "");
  status_with(
      "exec plugin not found",
      config_with(
          good_cluster,
          "    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n      command: /nonexistent/plugin\n"),
      1, "");
  status_with("exec plugin fails", config_with(good_cluster, exec_user("echo oops >&2; exit 3")), 1, "");
  status_with("exec plugin prints garbage", config_with(good_cluster, exec_user("echo '<html>hello'")), 1, "");
  status_with("exec plugin prints nothing", config_with(good_cluster, exec_user("true")), 1, "");
  status_with("exec plugin answers the wrong apiVersion",
              config_with(good_cluster, exec_user(replace_all(exec_ok_v1beta1, "v1beta1", "v1"))), 1, "");
  status_with(
      "exec plugin answers without a token",
      config_with(
          good_cluster,
          exec_user(
              "echo "
              "'{\"apiVersion\":\"client.authentication.k8s.io/v1beta1\",\"kind\":\"ExecCredential\",\"status\":{}}'")),
      1, "");
  status_with("exec with an unknown apiVersion",
              config_with(good_cluster, exec_user(exec_ok_v1beta1, "client.authentication.k8s.io/v9")), 1, "");
  status_with(
      "API server down (closed port)",
      config_with("    server: https://127.0.0.1:1\n    certificate-authority-data: " + ca_b64 + "\n", good_user), 1,
      "");
  status_with("bad token (401)", config_with(good_cluster, "    token: not-a-valid-token\n"), 4, "Unauthorized");
  rows.push_back({"kubeconfig: unknown --context", {"status", "-n", "{NS}", "--context", "nowhere"}, 1, "nowhere"});
  rows.push_back({"kubeconfig: no rights (403)", {"key-gen", "-n", "{NS}", "--context", "nobody"}, 4, "forbidden"});

  // Secret contents: each corrupt key Secret is read by key-gen, create-admin-token and revoke-and-rotate.
  std::string truncated_private = good_private.substr(0, good_private.size() / 2);
  std::string corrupt_body = good_private;
  corrupt_body[good_private.size() / 2] = '*';
  const std::vector<std::pair<std::string, std::map<std::string, std::string>>> key_secrets = {
      {"not PEM", {{"private.pem", "hello"}, {"public.pem", good_public}, {"kid", good_kid}, {"jwks.json", good_jwks}}},
      {"truncated PEM",
       {{"private.pem", truncated_private}, {"public.pem", good_public}, {"kid", good_kid}, {"jwks.json", good_jwks}}},
      {"corrupt PEM body",
       {{"private.pem", corrupt_body}, {"public.pem", good_public}, {"kid", good_kid}, {"jwks.json", good_jwks}}},
      {"mismatched pair",
       {{"private.pem", other_private}, {"public.pem", good_public}, {"kid", good_kid}, {"jwks.json", good_jwks}}},
      {"DSA private key",
       {{"private.pem", dsa}, {"public.pem", public_of(dir, dsa)}, {"kid", good_kid}, {"jwks.json", good_jwks}}},
      {"P-384 private key",
       {{"private.pem", p384}, {"public.pem", public_of(dir, p384)}, {"kid", good_kid}, {"jwks.json", good_jwks}}},
      {"public key as private.pem",
       {{"private.pem", good_public}, {"public.pem", good_public}, {"kid", good_kid}, {"jwks.json", good_jwks}}},
      {"truncated JWKS",
       {{"private.pem", good_private},
        {"public.pem", good_public},
        {"kid", good_kid},
        {"jwks.json", good_jwks.substr(0, good_jwks.size() / 2)}}},
      {"JWKS not a key set",
       {{"private.pem", good_private}, {"public.pem", good_public}, {"kid", good_kid}, {"jwks.json", "[1,2,3]"}}},
      {"wrong kid",
       {{"private.pem", good_private}, {"public.pem", good_public}, {"kid", "AAAA"}, {"jwks.json", good_jwks}}},
      {"no private.pem", {{"public.pem", good_public}, {"kid", good_kid}, {"jwks.json", good_jwks}}},
      {"corrupt next.pem",
       {{"private.pem", good_private},
        {"public.pem", good_public},
        {"kid", good_kid},
        {"jwks.json", good_jwks},
        {"next.pem", "garbage"}}},
  };
  int n = 0;
  for (const auto& [what, data] : key_secrets) {
    const std::string name = "bad-keys-" + std::to_string(++n);
    create_secret(ns.name(), name, data);
    rows.push_back({"rsa-keys: " + what + ": key-gen", {"key-gen", "-n", "{NS}", "--secret", name}, 5, name});
    rows.push_back({"rsa-keys: " + what + ": create-admin-token",
                    {"create-admin-token", "-n", "{NS}", "--keys-secret", name, "--secret", "admin-token-" + name},
                    5,
                    name});
    rows.push_back(
        {"rsa-keys: " + what + ": revoke-and-rotate",
         {"revoke-and-rotate", "-n", "{NS}", "--keys-secret", name, "--restart", "none", "--rotation-id", "r-" + name},
         5,
         name});
  }
  (void)good_next;

  // Admin token Secret contents.
  const std::vector<std::pair<std::string, std::string>> token_secrets = {
      {"token file not JSON", "not json"},
      {"token file without access_token", "{\"token_type\":\"Bearer\"}"},
      {"token file a JSON list", "[]"},
      {"expiry not a time", "{\"access_token\":\"abc\",\"token_type\":\"Bearer\",\"expiry\":\"soon\"}"},
  };
  for (const auto& [what, content] : token_secrets) {
    const std::string name = "bad-token-" + std::to_string(++n);
    create_secret(ns.name(), name, {{"token", content}});
    rows.push_back({"admin-token: " + what, {"create-admin-token", "-n", "{NS}", "--secret", name}, 5, name});
  }

  // Token registries.
  for (const auto& [what, content] :
       std::vector<std::pair<std::string, std::string>>{{"not JSON", "{{{"}, {"wrong shape", "[1,2]"}}) {
    const std::string name = "bad-registry-" + std::to_string(++n);
    create_secret(ns.name(), name, {{"tokens.json", content}, {"registry.json", content}});
    rows.push_back(
        {"registry " + what + ": token list", {"token", "list", "-n", "{NS}", "--registry-secret", name}, 5, ""});
    rows.push_back({"registry " + what + ": token create",
                    {"token", "create", "-n", "{NS}", "--registry-secret", name, "d", "--read-database", "db"},
                    5,
                    ""});
    rows.push_back({"registry " + what + ": management list",
                    {"management", "list", "-n", "{NS}", "--registry-secret", name},
                    5,
                    ""});
  }

  // Token files for verify.
  rows.push_back({"verify: token file not JSON",
                  {"verify", "-n", "{NS}", "--token-file", dir.write("t1", "nope").string()},
                  1,
                  "",
                  nullptr,
                  false});
  rows.push_back({"verify: token file missing",
                  {"verify", "-n", "{NS}", "--token-file", "{DIR}/no-such-token"},
                  2,
                  "no-such-token"});
  rows.push_back({"verify: not a token", {"verify", "-n", "{NS}", "xyz"}, 1, "", nullptr, false});
  rows.push_back({"verify: admin JWT with a bad signature",
                  {"verify", "-n", "{NS}", admin_jwt.substr(0, admin_jwt.rfind('.') + 1) + "AAAA"},
                  1,
                  "",
                  nullptr,
                  false});

  // Job files.
  auto job = [&](const std::string& name, const std::string& text, const std::string& fragment) {
    rows.push_back({"job file: " + name,
                    {"run", dir.write("job-" + std::to_string(++n) + ".yaml", text).string(), "-n", "{NS}"},
                    2,
                    fragment});
  };
  const std::string head = "apiVersion: rotator.io/v1\nkind: JobFile\nmetadata: {name: x}\n";
  job("not YAML", "steps: [\n", "not valid YAML");
  job("a list", "- step: key-gen\n", "mapping");
  job("wrong apiVersion", "apiVersion: v2\nkind: JobFile\nsteps:\n- step: key-gen\n", "apiVersion");
  job("wrong kind", "apiVersion: rotator.io/v1\nkind: Job\nsteps:\n- step: key-gen\n", "kind");
  job("no steps", head, "steps");
  job("empty steps", head + "steps: []\n", "steps");
  job("steps a string", head + "steps: key-gen\n", "steps");
  job("unknown field", head + "bogus: 1\nsteps:\n- step: key-gen\n", "bogus");
  job("unknown step", head + "steps:\n- step: destroy-everything\n", "destroy-everything");
  job("step not a mapping", head + "steps:\n- key-gen\n", "mapping");
  job("unknown flag", head + "steps:\n- step: key-gen\n  with: {colour: red}\n", "colour");
  job("bad value", head + "steps:\n- step: create-admin-token\n  with: {ttl: soon}\n", "soon");
  job("with not a mapping", head + "steps:\n- step: key-gen\n  with: [1]\n", "with");
  rows.push_back({"job file: missing", {"run", "{DIR}/no-such-job.yaml", "-n", "{NS}"}, 2, "no-such-job"});

  // Command lines.
  auto usage = [&](const std::string& name, std::vector<std::string> args, const std::string& fragment) {
    rows.push_back({"usage: " + name, std::move(args), 2, fragment});
  };
  usage("unknown command", {"rotate-everything"}, "rotate-everything");
  usage("unknown flag", {"status", "--bogus"}, "bogus");
  usage("--rsa-bits 1000", {"key-gen", "-n", "{NS}", "--rsa-bits", "1000"}, "rsa-bits");
  usage("--rsa-bits not a number", {"key-gen", "-n", "{NS}", "--rsa-bits", "many"}, "");
  usage("--rsa-bits with ES256", {"key-gen", "-n", "{NS}", "--algorithm", "ES256", "--rsa-bits", "2048"}, "rsa-bits");
  usage("--algorithm HS256", {"key-gen", "-n", "{NS}", "--algorithm", "HS256"}, "algorithm");
  usage("--timeout soon", {"status", "-n", "{NS}", "--timeout", "soon"}, "");
  usage("--log-level loud", {"status", "-n", "{NS}", "--log-level", "loud"}, "");
  usage("--log-format xml", {"status", "-n", "{NS}", "--log-format", "xml"}, "");
  usage("-o xml", {"status", "-n", "{NS}", "-o", "xml"}, "");
  usage("extra argument", {"status", "extra"}, "extra");
  usage("--ttl -1h", {"create-admin-token", "-n", "{NS}", "--ttl", "-1h"}, "");
  usage("--renew-before longer than --ttl", {"create-admin-token", "-n", "{NS}", "--ttl", "1h", "--renew-before", "2h"},
        "renew-before");
  usage("--restart sometimes", {"revoke-and-rotate", "-n", "{NS}", "--restart", "sometimes"}, "sometimes");
  usage("--grace forever", {"revoke-and-rotate", "-n", "{NS}", "--grace", "forever"}, "grace");
  usage("--lock-wait soon", {"key-gen", "-n", "{NS}", "--lock-wait", "soon"}, "");
  usage("--expires-at yesterday",
        {"token", "create", "-n", "{NS}", "d", "--read-database", "db", "--expires-at", "yesterday"}, "");
  usage("management create without --description", {"management", "create", "-n", "{NS}"}, "description");
  usage("missing flag value", {"status", "-n"}, "");

  // API responses beyond the retry budget, through the fault proxy.
  auto api = [&](const std::string& name, const Json& rules, const std::string& fragment) {
    rows.push_back({"api: " + name, {"key-gen", "-n", "{NS}", "--kubeconfig", "{PROXY}"}, 1, fragment, rules});
  };
  const Json secret_gets = {{"method", "GET"}, {"path_regex", "/secrets/"}};
  api("garbage_html on Secret GETs", Json::array({{{"match", secret_gets}, {"action", "garbage_html"}}}), "");
  api("garbage_json on Secret GETs", Json::array({{{"match", secret_gets}, {"action", "garbage_json"}}}),
      "not valid JSON");
  api("truncate on Secret GETs", Json::array({{{"match", secret_gets}, {"action", "truncate"}}}), "");
  rows.push_back({"api: garbage_json on /version",
                  {"status", "-n", "{NS}", "--kubeconfig", "{PROXY}"},
                  1,
                  "not valid JSON",
                  Json::array({{{"match", {{"path_regex", "^/version"}}}, {"action", "garbage_json"}}})});
  api("500 on every request", Json::array({{{"match", Json::object()}, {"action", "status"}, {"status", 500}}}),
      "HTTP 500");
  api("unexpected status 418 on Secret GETs",
      Json::array({{{"match", secret_gets}, {"action", "status"}, {"status", 418}}}), "");
  rows.push_back({"api: garbage_json on the key-gen GET",
                  {"key-gen", "-n", "{NS}", "--kubeconfig", "{PROXY}"},
                  1,
                  "",
                  Json::array({{{"match", secret_gets}, {"action", "garbage_json"}}})});
  rows.push_back(
      {"api: truncate on the rotation's GETs",
       {"revoke-and-rotate", "-n", "{NS}", "--kubeconfig", "{PROXY}", "--restart", "none", "--rotation-id", "never"},
       1,
       "",
       Json::array({{{"match", secret_gets}, {"action", "truncate"}}})});

  int tried = 0;
  for (const auto& row : rows) {
    std::vector<std::string> args;
    for (auto arg : row.args) {
      arg = replace_all(arg, "{NS}", ns.name());
      arg = replace_all(arg, "{DIR}", dir.path().string());
      arg = replace_all(arg, "{PROXY}", via_proxy.string());
      args.push_back(arg);
    }
    if (!row.proxy_rules.is_null()) proxy.set_rules(row.proxy_rules);
    std::vector<std::pair<std::string, std::string>> env;
    if (row.name == "kubeconfig: KUBECONFIG names a missing file") {
      args.pop_back();
      args.pop_back();
      env.emplace_back("KUBECONFIG", dir.path().string() + "/no-such-config");
    }
    const std::string versions_before = all_secret_versions(ns.name());
    const auto result = run_rotator(args, env);
    if (!row.proxy_rules.is_null()) proxy.set_rules(Json::array());
    ++tried;
    INFO(row.name << "\nexit " << result.exit_code << "\nstderr: " << result.err);
    CHECK(result.exit_code == row.exit_code);
    CHECK(result.exit_code >= 0);
    CHECK(result.exit_code <= 5);
    CHECK_FALSE(has_sanitizer_report(result.err));
    CHECK(count_error_lines(result.err) == (row.error_line ? 1 : 0));
    CHECK_THAT(result.err, Catch::Contains(row.fragment));
    CHECK(all_secret_versions(ns.name()) == versions_before);
  }
  WARN("bad inputs tried: " << tried);
  CHECK(tried >= 60);
}
