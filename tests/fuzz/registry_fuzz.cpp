// The management-tokens and database-tokens registries (tokens.json in their
// Secrets). A registry that parses must serialise into one that parses again
// with the same records: rotator rewrites it on every create and revoke.
#include "fuzz_support.h"
#include "formats/registry.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rotator;
  for (auto kind : {formats::TokenKind::management, formats::TokenKind::database}) {
    std::optional<formats::Registry> registry;
    fuzz::rejects_only_with_rotator_errors([&] { registry = formats::parse_registry(fuzz::as_text(data, size), kind); });
    if (!registry) continue;
    const auto again = formats::parse_registry(formats::serialize_registry(*registry), kind);
    if (again.records.size() != registry->records.size()) __builtin_trap();
    for (const auto& record : registry->records) formats::state_at(record, util::TimePoint{});
  }
  return 0;
}
