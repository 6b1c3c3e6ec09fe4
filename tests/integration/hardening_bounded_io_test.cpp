// Issue 16, finding 7: answers from a broken or hostile API server cannot make
// rotator grow without bound or outlive its --timeout. The binary runs against
// the real API server through the fault proxy, which serves a huge body, a huge
// Retry-After, or trickles its answer; each run must end on its own with one
// clear error line, its peak memory (the kernel's ru_maxrss) bounded.

#include <algorithm>
#include <filesystem>
#include <iostream>

#include <catch2/catch.hpp>

#include "cluster_fixture.h"
#include "util/subprocess.h"

using namespace rotator;
using namespace rotator::testing;
using Json = nlohmann::json;

namespace {

/// rotator with `args` against `kubeconfig`, with its peak memory. Bounded by a
/// generous outer limit only so a regression fails instead of hanging the suite.
util::ProcessResult run_measured(const std::filesystem::path& kubeconfig, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {ROTATOR_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.insert(argv.end(), {"--kubeconfig", kubeconfig.string()});
  return util::run_process(argv, {}, std::chrono::seconds(120), util::ChildStdin::null, util::ChildStderr::capture);
}

std::size_t lines_in(const std::string& text) {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

std::vector<Json> seen_for(FaultProxy& proxy, const std::string& fragment) {
  std::vector<Json> seen;
  for (const auto& r : proxy.requests()) {
    if (r["path"].get<std::string>().find(fragment) != std::string::npos) seen.push_back(r);
  }
  return seen;
}

// Far above what rotator needs (about 15 MiB) plus the 16 MiB body cap with its
// growth, far below the 1.2 GB a 300 MB body took before the cap and the Job's
// 128Mi limit. Under AddressSanitizer (shadow memory, quarantine) only the
// growth a body causes is bounded: the chunked body, read up to the cap, against
// the Content-Length one, refused before a byte of it is read.
constexpr long memory_bound_kib = 100 * 1024;
constexpr long body_growth_bound_kib = 48 * 1024;
#if defined(__SANITIZE_ADDRESS__)
constexpr bool sanitized = true;
#else
constexpr bool sanitized = false;
#endif

}  // namespace

TEST_CASE("hardening: a 300 MB answer is refused at 16 MiB with bounded memory") {
  TestNamespace ns("hard-huge");
  FaultProxy proxy;
  TempDir dir;
  const auto kubeconfig = admin_kubeconfig(dir, proxy.url());
  long peak_kib[2] = {0, 0};
  for (const bool chunked : {false, true}) {
    INFO((chunked ? "chunked" : "Content-Length"));
    proxy.set_rules(Json::array({{{"match", {{"path_regex", "/secrets/admin-token$"}}},
                                  {"action", "huge_body"},
                                  {"body_bytes", 300 * 1000 * 1000},
                                  {"chunked", chunked}}}));
    proxy.clear_requests();
    const auto result =
        run_measured(kubeconfig, {"export-admin-token", "--out", "-", "-n", ns.name(), "--timeout", "60s"});
    INFO(result.stderr_text);
    CHECK_FALSE(result.timed_out);
    CHECK(result.exit_code == 1);
    CHECK_THAT(result.stderr_text, Catch::StartsWith("rotator: error: ") &&
                                       Catch::Contains("is larger than 16 MiB, the most rotator reads"));
    CHECK(lines_in(result.stderr_text) == 1);
    if (!sanitized) CHECK(result.max_rss_kib < memory_bound_kib);
    peak_kib[chunked ? 1 : 0] = result.max_rss_kib;
    CHECK(seen_for(proxy, "admin-token").size() == 1);  // a body that big is not retried
    std::cout << "hardening: peak memory with a 300 MB " << (chunked ? "chunked" : "Content-Length")
              << " body: " << result.max_rss_kib / 1024 << " MiB" << std::endl;
  }
  CHECK(peak_kib[1] - peak_kib[0] < body_growth_bound_kib);
}

TEST_CASE("hardening: a Retry-After of 2^63-1 seconds is neither overflowed nor waited for") {
  TestNamespace ns("hard-retry");
  FaultProxy proxy;
  TempDir dir;
  const auto kubeconfig = admin_kubeconfig(dir, proxy.url());
  proxy.set_rules(Json::array({{{"match", {{"path_regex", "/secrets/admin-token$"}}},
                                {"action", "status"},
                                {"status", 429},
                                {"retry_after", 9223372036854775807LL}}}));
  const auto result =
      run_measured(kubeconfig, {"export-admin-token", "--out", "-", "-n", ns.name(), "--timeout", "5s"});
  INFO(result.stderr_text);
  CHECK_FALSE(result.timed_out);
  CHECK(result.exit_code == 1);
  CHECK_THAT(result.stderr_text, Catch::StartsWith("rotator: error: ") && Catch::Contains("TooManyRequests") &&
                                     Catch::Contains("asked to retry after 1d"));
  CHECK(lines_in(result.stderr_text) == 1);
  // The overflow made the delay negative: retries without any wait. Now the
  // one answer is final.
  CHECK(seen_for(proxy, "admin-token").size() == 1);
}

TEST_CASE("hardening: a server trickling its answer is cut when --timeout expires") {
  TestNamespace ns("hard-trickle");
  FaultProxy proxy;
  TempDir dir;
  const auto kubeconfig = admin_kubeconfig(dir, proxy.url());
  proxy.set_rules(Json::array(
      {{{"match", {{"path_regex", "/secrets/admin-token$"}}}, {"action", "trickle"}, {"interval_ms", 1000}}}));
  const auto result =
      run_measured(kubeconfig, {"export-admin-token", "--out", "-", "-n", ns.name(), "--timeout", "5s"});
  INFO(result.stderr_text);
  CHECK_FALSE(result.timed_out);
  CHECK(result.exit_code == 1);
  CHECK_THAT(result.stderr_text, Catch::StartsWith("rotator: error: gave up on GET ") &&
                                     Catch::Contains("--timeout expired while waiting for the answer"));
  CHECK(lines_in(result.stderr_text) == 1);
  // Cut in flight: the one trickling request was the last, no retry after it.
  CHECK(seen_for(proxy, "admin-token").size() == 1);
}
