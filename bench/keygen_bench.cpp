// Key generation cost per algorithm and size, for scripts/bench: the same
// path key-gen and revoke-and-rotate take (steps::KeySource: generate, describe,
// thumbprint; then the PEM text formats::store_key_ring writes). Prints one JSON
// array: per case the median, mean, min and max of one key generation on one
// core; then "RS256-2048 all cores", keys generated on every core at once, whose
// ms_per_key (wall time / keys) is what a fleet's key generation cannot beat on
// this machine. RSA key generation time is a random prime search with a long
// tail: a fleet's total is N x the mean, not N x the median.
//
//   keygen_bench [--seconds-per-case S]

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "crypto/algorithm.h"
#include "formats/key_ring.h"
#include "steps/key_source.h"

namespace {

struct Case {
  std::string name;
  rotator::crypto::Algorithm algorithm;
  std::optional<int> bits;
  int min_runs;
};

}  // namespace

int main(int argc, char** argv) {
  double budget = 2.0;  // seconds per case, after at least min_runs
  if (argc == 3 && std::string(argv[1]) == "--seconds-per-case") budget = std::atof(argv[2]);
  using rotator::crypto::Algorithm;
  const std::vector<Case> cases = {
      {"RS256-2048", Algorithm::rs256, 2048, 5},     {"RS256-3072", Algorithm::rs256, 3072, 3},
      {"RS256-4096", Algorithm::rs256, 4096, 3},     {"ES256", Algorithm::es256, std::nullopt, 20},
      {"EdDSA", Algorithm::eddsa, std::nullopt, 20},
  };
  nlohmann::json out = nlohmann::json::array();
  rotator::steps::KeySource source;
  int slot = 0;  // a new slot each time: a slot's key is generated once
  for (const auto& c : cases) {
    std::vector<double> ms;
    const auto start = std::chrono::steady_clock::now();
    while (static_cast<int>(ms.size()) < c.min_runs ||
           std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() < budget) {
      const auto t0 = std::chrono::steady_clock::now();
      const auto key = source.key("bench/" + std::to_string(slot++), c.algorithm, c.bits);
      const auto pem = rotator::formats::private_pem_of(key);
      ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
      if (key.kid.empty() || pem.empty()) return 1;
      if (ms.size() >= 2000) break;
    }
    std::sort(ms.begin(), ms.end());
    out.push_back({{"case", c.name},
                   {"runs", ms.size()},
                   {"median_ms", ms[ms.size() / 2]},
                   {"mean_ms", std::accumulate(ms.begin(), ms.end(), 0.0) / static_cast<double>(ms.size())},
                   {"min_ms", ms.front()},
                   {"max_ms", ms.back()}});
  }
  // Every core generating RSA-2048 keys at once, for twice the budget: the
  // throughput a fleet's key generation can reach at best.
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  std::atomic<long> keys{0};
  std::atomic<bool> failed{false};
  const auto start = std::chrono::steady_clock::now();
  const auto until = start + std::chrono::duration<double>(2 * budget);
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < cores; ++t) {
    pool.emplace_back([&, t] {
      rotator::steps::KeySource own;
      for (int i = 0; std::chrono::steady_clock::now() < until || i < 3; ++i) {
        const auto key = own.key("all-cores/" + std::to_string(t) + "/" + std::to_string(i),
                                 rotator::crypto::Algorithm::rs256, 2048);
        if (key.kid.empty()) failed = true;
        ++keys;
      }
    });
  }
  for (auto& thread : pool) thread.join();
  const double wall_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  if (failed) return 1;
  out.push_back({{"case", "RS256-2048 all cores"},
                 {"threads", cores},
                 {"runs", keys.load()},
                 {"ms_per_key", wall_ms / static_cast<double>(keys.load())}});
  std::cout << out.dump(2) << std::endl;
  return 0;
}
