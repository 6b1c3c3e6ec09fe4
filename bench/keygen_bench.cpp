// Key generation cost per algorithm and size, for scripts/bench: the same
// path key-gen and revoke-and-rotate take (steps::KeySource: generate, describe,
// thumbprint; then the PEM text formats::store_key_ring writes). Prints one JSON
// array.
//
//   keygen_bench [--seconds-per-case S]

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>
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
                   {"min_ms", ms.front()},
                   {"max_ms", ms.back()}});
  }
  std::cout << out.dump(2) << std::endl;
  return 0;
}
