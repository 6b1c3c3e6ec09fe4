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
    std::map<std::string, std::string> written;
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
    CHECK(unchanged_under_lock(seen, {"2026-12-01T10:00:00.000001Z", c.written}) == c.unchanged);
  }

  seen.remember({{"revoke-and-rotate/rotation", "r1"}});
  seen.forget_all_except({ObjectRef::secret("rsa-keys")});
  CHECK(seen.has(ObjectRef::secret("rsa-keys")));
  CHECK_FALSE(seen.has(ObjectRef::secret("admin-token")));
  CHECK_FALSE(seen.has(ObjectRef::pods("app=token-management")));
  CHECK_FALSE(seen.remembered("revoke-and-rotate/rotation"));  // decisions are made again under the lock
}

TEST_CASE("write record: the annotation round-trips, and anything else is no record") {
  const WriteRecord record = {"2026-12-01T10:24:52.660838Z", {{"admin-token", "7"}, {"rsa-keys", "10"}}};
  CHECK(parse_write_record(write_record_text(record)) == record);
  CHECK(parse_write_record(R"({"releasedAt": "2026-12-01T10:24:52Z", "secrets": {}})") ==
        WriteRecord{"2026-12-01T10:24:52Z", {}});
  for (const char* bad : {"", "not json", "[]", "{}", R"({"releasedAt": "2026-12-01T10:24:52Z"})", R"({"secrets": {}})",
                          R"({"releasedAt": 5, "secrets": {}})", R"({"releasedAt": "t", "secrets": {"rsa-keys": 10}})",
                          R"({"releasedAt": "t", "secrets": {"rsa-keys": ""}})",
                          // The record of an earlier version of rotator (a bare map).
                          R"({"rsa-keys": "10"})"}) {
    INFO(bad);
    CHECK_FALSE(parse_write_record(bad));
  }
  std::string too_long = R"({"releasedAt": "t", "secrets": {)";
  for (std::size_t i = 0; i <= max_write_record_entries; ++i) {
    too_long += (i ? "," : "") + std::string("\"s") + std::to_string(i) + "\": \"1\"";
  }
  CHECK_FALSE(parse_write_record(too_long + "}}"));
}

TEST_CASE("write record: only the release that wrote it vouches for it") {
  const WriteRecord record = {"2026-12-01T10:24:52.660838Z", {{"rsa-keys", "10"}}};
  const auto at = [](const char* text) { return util::parse_rfc3339(text); };
  CHECK(record_of_release(record, at("2026-12-01T10:24:52.660838Z")) == record);
  // The same moment written another way by the API server.
  CHECK(record_of_release(record, at("2026-12-01T10:24:52.660838000Z")) == record);
  // renewTime moved on: a rotator that keeps no record took or released the Lease since.
  CHECK_FALSE(record_of_release(record, at("2026-12-01T10:24:52.660839Z")));
  CHECK_FALSE(record_of_release(record, std::nullopt));
  CHECK_FALSE(record_of_release(std::nullopt, at("2026-12-01T10:24:52.660838Z")));
  CHECK_FALSE(record_of_release(WriteRecord{"not a time", {}}, at("2026-12-01T10:24:52.660838Z")));
}
