#include <catch2/catch.hpp>

#include "frame/snapshot.h"
#include "frame/write_record.h"
#include "test_support.h"

using namespace rotator;
using namespace rotator::frame;

namespace {

kube::Secret secret_at(const std::string& name, const std::string& version) {
  kube::Secret secret;
  secret.metadata.name = name;
  secret.metadata.resource_version = version;
  return secret;
}

}  // namespace

TEST_CASE("write record: Secrets read at the version the holders left stay, the rest are read again") {
  Snapshot seen("influxdb");
  seen.put(ObjectRef::secret("rsa-keys"), std::optional<kube::Secret>(secret_at("rsa-keys", "10")));
  seen.put(ObjectRef::secret("admin-token"), std::optional<kube::Secret>(secret_at("admin-token", "7")));
  seen.put(ObjectRef::secret("never-written"), std::optional<kube::Secret>(secret_at("never-written", "3")));
  seen.put(ObjectRef::secret("absent"), std::optional<kube::Secret>());
  seen.put(ObjectRef::workload({kube::WorkloadKind::deployment, "token-management"}),
           std::optional<kube::Json>(kube::Json{{"metadata", {{"resourceVersion", "12"}}}}));
  seen.put(ObjectRef::pods("app=token-management"), std::vector<kube::Pod>{});

  struct Case {
    const char* what;
    WriteRecord record;
    std::set<ObjectRef> unchanged;
  };
  const std::vector<Case> cases = {
      {"an empty record keeps nothing", {}, {}},
      {"both as left",
       {{"rsa-keys", "10"}, {"admin-token", "7"}},
       {ObjectRef::secret("rsa-keys"), ObjectRef::secret("admin-token")}},
      // A holder wrote admin-token after it was read here: only rsa-keys stays.
      {"one written since", {{"rsa-keys", "10"}, {"admin-token", "8"}}, {ObjectRef::secret("rsa-keys")}},
      // Versions are compared for equality only: an older recorded one is no match either.
      {"an older version", {{"rsa-keys", "9"}}, {}},
      // Read as absent, recorded as written: a holder created it since.
      {"created since", {{"absent", "4"}}, {}},
      // Workloads and pods change by themselves: never kept, whatever the record says.
      {"workloads are not Secrets", {{"token-management", "12"}}, {}},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    CHECK(unchanged_under_lock(seen, c.record) == c.unchanged);
  }

  seen.remember({{"revoke-and-rotate/rotation", "r1"}});
  seen.forget_all_except({ObjectRef::secret("rsa-keys")});
  CHECK(seen.has(ObjectRef::secret("rsa-keys")));
  CHECK_FALSE(seen.has(ObjectRef::secret("admin-token")));
  CHECK_FALSE(seen.has(ObjectRef::pods("app=token-management")));
  CHECK_FALSE(seen.remembered("revoke-and-rotate/rotation"));  // decisions are made again under the lock
}

TEST_CASE("write record: the annotation round-trips, and anything else is no record") {
  const WriteRecord record = {{"admin-token", "7"}, {"rsa-keys", "10"}};
  CHECK(parse_write_record(write_record_text(record)) == record);
  CHECK(parse_write_record("{}") == WriteRecord{});
  CHECK_FALSE(parse_write_record(""));
  CHECK_FALSE(parse_write_record("not json"));
  CHECK_FALSE(parse_write_record("[\"rsa-keys\"]"));
  CHECK_FALSE(parse_write_record(R"({"rsa-keys": 10})"));
  CHECK_FALSE(parse_write_record(R"({"rsa-keys": ""})"));
  std::string too_long = "{";
  for (std::size_t i = 0; i <= max_write_record_entries; ++i) {
    too_long += (i ? "," : "") + std::string("\"s") + std::to_string(i) + "\": \"1\"";
  }
  CHECK_FALSE(parse_write_record(too_long + "}"));
}
