// The management-tokens and database-tokens registries (tokens.json in their
// Secrets), schemaVersion 1 and 2. A registry that parses must serialise (as
// schemaVersion 2) into one that parses again with the same records: rotator
// rewrites it on every create and revoke. Its descriptions, whatever they hold,
// must display as printable UTF-8.
#include "formats/registry.h"
#include "fuzz_support.h"
#include "util/terminal_text.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rotator;
  for (auto kind : {formats::TokenKind::management, formats::TokenKind::database}) {
    std::optional<formats::Registry> registry;
    fuzz::rejects_only_with_rotator_errors(
        [&] { registry = formats::parse_registry(fuzz::as_text(data, size), kind); });
    if (!registry) continue;
    const auto again = formats::parse_registry(formats::serialize_registry(*registry), kind);
    if (again.records != registry->records || again.read_schema_version != formats::registry_schema_version) {
      __builtin_trap();
    }
    for (const auto& record : registry->records) {
      formats::state_at(record, util::TimePoint{});
      if (!util::is_valid_utf8(util::escape_for_terminal(record.description))) __builtin_trap();
      formats::find_by_hash(*registry, record.sha512);  // one match each: never throws after a parse
    }
  }
  return 0;
}
