// token-consumer: a test stand-in for InfluxDB's token-management service, the
// consumer of the keys rotator writes. Test-only; it ships in an image of its own
// (tests/e2e/build-token-consumer-image) and never in rotator's.
//
// Like the real service it reads the JWK set (jwks.json of the rsa-keys Secret,
// mounted as a Secret volume) ONCE, at start: only a restart loads new keys. It
// then answers "is this token valid?" over HTTP the way a JWKS verifier does: the
// token's header kid picks the key from the set, the signature must verify under
// it (the key's type alone decides the algorithm), and exp/nbf must hold.
//
//   token-consumer [--jwks FILE] [--port N] [--drain-seconds N]
//
//   GET  /healthz   200 while serving, 503 while draining after SIGTERM
//   GET  /keys      {"pod": ..., "kids": [...], "started_at": ...}
//   POST /verify    token in "Authorization: Bearer <JWT>"; 200 {"valid": true, ...}
//                   or 401 {"valid": false, "reason": ...}
//
// On SIGTERM it keeps answering for --drain-seconds (default 2), as a service
// behind a Service does while the endpoints controller takes it out of rotation,
// then stops. Logs are JSON lines on stdout; tokens are never logged.

#include <httplib.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "crypto/jwk.h"
#include "crypto/jwt.h"
#include "crypto/openssl_handles.h"

namespace {

using Json = nlohmann::json;
using rotator::crypto::PkeyHandle;

std::mutex log_mutex;

std::string now_rfc3339() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}

void log_line(const std::string& message, Json fields = Json::object()) {
  fields["time"] = now_rfc3339();
  fields["msg"] = message;
  std::lock_guard lock(log_mutex);
  std::cout << fields.dump() << std::endl;
}

struct KeySet {
  std::map<std::string, PkeyHandle> by_kid;
  Json kids = Json::array();
};

KeySet load_key_set(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::stringstream text;
  text << in.rdbuf();
  KeySet set;
  for (const auto& jwk : rotator::crypto::parse_jwk_set(text.str())) {
    const auto kid = jwk.value("kid", std::string());
    if (kid.empty()) throw std::runtime_error("a key in " + path + " has no kid");
    set.by_kid.emplace(kid, rotator::crypto::public_key_from_jwk(jwk));
    set.kids.push_back(kid);
  }
  if (set.by_kid.empty()) throw std::runtime_error(path + " holds no key");
  return set;
}

/// The verdict on one token: valid, or the reason it is not.
Json verify(const KeySet& keys, const std::string& token) {
  rotator::crypto::DecodedJwt decoded;
  try {
    decoded = rotator::crypto::decode_jwt_unverified(token);
  } catch (const std::exception&) {
    return {{"valid", false}, {"reason", "malformed"}};
  }
  const auto kid_member = decoded.header.find("kid");
  if (kid_member == decoded.header.end() || !kid_member->is_string()) {
    return {{"valid", false}, {"reason", "no_kid"}};
  }
  const std::string kid = kid_member->get<std::string>();
  const auto key = keys.by_kid.find(kid);
  if (key == keys.by_kid.end()) return {{"valid", false}, {"reason", "unknown_kid"}, {"kid", kid}};
  rotator::crypto::JwtVerifyOptions options;
  options.expected_kid = kid;
  const auto result = rotator::crypto::verify_jwt(token, *key->second, std::chrono::system_clock::now(), options);
  if (!result.ok()) {
    return {{"valid", false}, {"reason", std::string(rotator::crypto::to_string(*result.failure))}, {"kid", kid}};
  }
  return {{"valid", true}, {"kid", kid}};
}

int parse_int(const char* text, const char* flag) {
  char* end = nullptr;
  const long value = std::strtol(text, &end, 10);
  if (end == text || *end != '\0' || value < 0 || value > 65535) {
    std::cerr << "token-consumer: bad value for " << flag << ": " << text << "\n";
    std::exit(2);
  }
  return static_cast<int>(value);
}

}  // namespace

int main(int argc, char** argv) {
  std::string jwks_path = "/etc/rsa-keys/jwks.json";
  int port = 8080;
  int drain_seconds = 2;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << "usage: token-consumer [--jwks FILE] [--port N] [--drain-seconds N]\n";
      return 0;
    }
    if (i + 1 >= argc) {
      std::cerr << "token-consumer: " << arg << " needs a value (see --help)\n";
      return 2;
    }
    if (arg == "--jwks") {
      jwks_path = argv[++i];
    } else if (arg == "--port") {
      port = parse_int(argv[++i], "--port");
    } else if (arg == "--drain-seconds") {
      drain_seconds = parse_int(argv[++i], "--drain-seconds");
    } else {
      std::cerr << "token-consumer: unknown argument " << arg << " (see --help)\n";
      return 2;
    }
  }

  // SIGTERM and SIGINT are taken by a thread of their own (sigwait), so every
  // other thread, including the server's, runs with them blocked.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  const char* pod_env = std::getenv("POD_NAME");
  const std::string pod = pod_env ? pod_env : "";
  const std::string started_at = now_rfc3339();
  KeySet keys;
  try {
    keys = load_key_set(jwks_path);
  } catch (const std::exception& e) {
    log_line("cannot load the key set", {{"error", e.what()}, {"path", jwks_path}});
    return 1;
  }
  log_line("loaded the key set", {{"path", jwks_path}, {"kids", keys.kids}, {"pod", pod}});

  std::atomic<bool> draining{false};
  std::atomic<long> answered{0};
  httplib::Server server;
  server.Get("/healthz", [&](const httplib::Request&, httplib::Response& response) {
    response.status = draining ? 503 : 200;
    response.set_content(draining ? "draining\n" : "ok\n", "text/plain");
  });
  server.Get("/keys", [&](const httplib::Request&, httplib::Response& response) {
    const Json body = {{"pod", pod}, {"kids", keys.kids}, {"started_at", started_at}};
    response.set_content(body.dump(), "application/json");
  });
  server.Post("/verify", [&](const httplib::Request& request, httplib::Response& response) {
    Json verdict;
    const auto header = request.get_header_value("Authorization");
    if (!header.starts_with("Bearer ") || header.size() == 7) {
      verdict = {{"valid", false}, {"reason", "no_bearer_token"}};
    } else {
      verdict = verify(keys, header.substr(7));
    }
    verdict["pod"] = pod;
    ++answered;
    response.status = verdict["valid"].get<bool>() ? 200 : 401;
    response.set_content(verdict.dump(), "application/json");
  });

  std::thread signal_thread([&] {
    int received = 0;
    sigwait(&signals, &received);
    draining = true;
    log_line("draining", {{"signal", received}, {"seconds", drain_seconds}});
    std::this_thread::sleep_for(std::chrono::seconds(drain_seconds));
    server.stop();
  });
  signal_thread.detach();

  if (!server.bind_to_port("0.0.0.0", port)) {
    log_line("cannot listen", {{"port", port}});
    return 1;
  }
  log_line("listening", {{"port", port}});
  server.listen_after_bind();
  log_line("stopped", {{"answered", answered.load()}});
  return 0;
}
