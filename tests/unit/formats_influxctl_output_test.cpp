#include <catch2/catch.hpp>

#include <fstream>
#include <regex>
#include <sstream>

#include "formats/influxctl_output.h"
#include "util/terminal_text.h"

using namespace rotator;
using namespace rotator::formats;
using Json = nlohmann::json;

namespace {

std::string fixture(const std::string& name) {
  std::ifstream in(std::string(ROTATOR_TEST_DATA) + "/influxctl/" + name, std::ios::binary);
  REQUIRE(in);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

util::TimePoint at(const char* text) {
  return *util::parse_rfc3339(text);
}
const util::TimePoint now = at("2026-03-01T12:00:00Z");

/// A record with every optional field set, so every documented field has a value.
TokenRecord full_record(TokenKind kind) {
  TokenRecord r;
  r.id = "0b9f0c3e-5d2a-4e8b-9b1c-2f6d7e8a9b0c";
  r.description = "Client1 token";
  if (kind == TokenKind::database) r.permissions = {{"read", "mydb1"}, {"write", "*"}};
  r.created_at = at("2024-03-12T19:58:47Z");
  r.expires_at = at("2024-06-27T12:34:56Z");
  r.revoked_at = at("2024-03-12T20:03:29Z");
  r.created_by = "system:serviceaccount:influxdb:rotator";
  r.prefix = kind == TokenKind::management ? "M.V1.+5Jk" : "apiv1_6PCo";
  r.sha512 = std::string(128, 'a');
  return r;
}

/// JSON's type of a value, as a word for messages.
std::string type_of(const Json& j) {
  return j.type_name();
}

/// Every member `documented` has and `ours` has too must have the same JSON
/// type, recursively; protobuf timestamps must be integer seconds (and nanos).
void same_types(const Json& documented, const Json& ours, const std::string& where) {
  for (const auto& [key, value] : documented.items()) {
    if (!ours.contains(key)) continue;
    CAPTURE(where + "." + key);
    REQUIRE(type_of(ours[key]) == type_of(value));
    if (value.is_object()) same_types(value, ours[key], where + "." + key);
    if (value.is_array() && !value.empty() && !ours[key].empty()) same_types(value[0], ours[key][0], where + "." + key);
  }
}

/// The cells of a bordered table's text line, trimmed.
std::vector<std::string> cells(const std::string& line) {
  std::vector<std::string> out;
  std::stringstream in(line.substr(1, line.size() - 2));
  std::string cell;
  while (std::getline(in, cell, '|')) out.push_back(std::regex_replace(cell, std::regex("^ +| +$"), ""));
  return out;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

}  // namespace

TEST_CASE("influxctl output: protobuf timestamps as influxctl prints them", "[formats][influxctl]") {
  CHECK(protobuf_timestamp(at("2024-03-12T19:58:47Z")).dump() == R"({"seconds":1710273527})");
  CHECK(protobuf_timestamp(at("2024-03-12T19:58:47.622095Z")).dump() == R"({"seconds":1710273527,"nanos":622095000})");
  CHECK(protobuf_timestamp(util::TimePoint{}).dump() == R"({"seconds":0})");
  // Before the epoch: floor seconds, non-negative nanos (the protobuf rule).
  CHECK(protobuf_timestamp(util::TimePoint{} - std::chrono::milliseconds(1500)).dump() ==
        R"({"seconds":-2,"nanos":500000000})");
}

TEST_CASE("influxctl output: management list JSON has influxctl's field names and types", "[formats][influxctl]") {
  const Json documented = Json::parse(fixture("management_list.json"));
  const auto ours =
      Json::parse(token_list_json(TokenKind::management, {full_record(TokenKind::management)}, now).dump());
  REQUIRE(ours.size() == 1);
  // Every documented field but account_id (rotator has none: left out, not faked).
  for (const auto& [key, value] : documented[2].items()) {
    CAPTURE(key);
    CHECK(ours[0].contains(key) == (key != "account_id"));
  }
  for (const auto& record : documented) same_types(record, ours[0], "management");
  CHECK(ours[0]["token_prefix"] == "M.V1.+5Jk");
  CHECK(ours[0]["created_at"] == Json{{"seconds", 1710273527}});
  CHECK(ours[0]["revoked_at"] == Json{{"seconds", 1710273809}});
  // rotator's own additions, under names influxctl does not use.
  CHECK(ours[0]["status"] == "revoked");
  CHECK(ours[0]["prefix"] == "M.V1.+5Jk");
  CHECK_FALSE(ours[0].contains("sha512"));
  // The order of influxctl's example, then rotator's fields.
  std::vector<std::string> keys;
  const auto ordered = management_token_json(full_record(TokenKind::management), now);
  for (const auto& [key, value] : ordered.items()) keys.push_back(key);
  CHECK(keys == std::vector<std::string>{"id", "token_prefix", "expires_at", "revoked_at", "created_at", "description",
                                         "created_by", "prefix", "status"});
}

TEST_CASE("influxctl output: unset fields are left out, never null", "[formats][influxctl]") {
  TokenRecord r = full_record(TokenKind::management);
  r.expires_at.reset();
  r.revoked_at.reset();
  r.created_by.clear();
  r.renewal_secret = "automation";
  const Json m = Json::parse(management_token_json(r, now).dump());
  CHECK_FALSE(m.contains("expires_at"));
  CHECK_FALSE(m.contains("revoked_at"));
  CHECK_FALSE(m.contains("created_by"));
  CHECK(m["status"] == "active");
  CHECK(m["renewal_secret"] == "automation");
  for (const auto& [key, value] : m.items()) CHECK_FALSE(value.is_null());
  r.expires_at = at("2026-01-01T00:00:00Z");
  CHECK(Json::parse(management_token_json(r, now).dump())["status"] == "expired");
}

TEST_CASE("influxctl output: database token JSON has the documented fields and the API's permissions",
          "[formats][influxctl]") {
  const Json documented = Json::parse(fixture("database_list.json"));
  const auto ours = Json::parse(token_list_json(TokenKind::database, {full_record(TokenKind::database)}, now).dump());
  for (const auto& [key, value] : documented[0].items()) {
    CAPTURE(key);
    CHECK(ours[0].contains(key) == (key != "account_id" && key != "cluster_id"));
  }
  for (const auto& record : documented) same_types(record, ours[0], "database");
  CHECK(ours[0]["permissions"] ==
        Json::parse(R"([{"action":"read","resource":"mydb1"},{"action":"write","resource":"*"}])"));
  // Times as in management lists (influxctl's convention for its token objects).
  same_types(Json::parse(fixture("management_list.json"))[2], ours[0], "database times");
  CHECK(ours[0]["expires_at"] == Json{{"seconds", 1719491696}});
  CHECK(ours[0]["token_prefix"] == "apiv1_6PCo");
  CHECK(ours[0]["status"] == "revoked");
}

TEST_CASE("influxctl output: create in table form is byte for byte influxctl 2.11's", "[formats][influxctl]") {
  TokenRecord r;
  r.id = "11111111-1111-1111-1111-111111111111";
  r.description = "Example Token";
  r.created_at = at("2025-10-17T00:00:00Z");
  r.expires_at = at("2025-10-24T00:00:00Z");
  const auto text = created_token_text(r, "<REDACTED_TOKEN_STRING>");
  CHECK(text.view() == fixture("token_create.txt"));
  // The token is the last line: `| tail -n 1` gets it, as with influxctl.
  const auto lines = lines_of(std::string(text.view()));
  CHECK(lines.back() == "<REDACTED_TOKEN_STRING>");
  // No expiry: a blank cell, as influxctl shows an unset revoked at.
  r.expires_at.reset();
  CHECK_THAT(std::string(created_token_text(r, "T").view()),
             Catch::Contains("|  expires at |                                      |"));
}

TEST_CASE("influxctl output: create JSON is the record plus the token, valid JSON", "[formats][influxctl]") {
  const TokenRecord r = full_record(TokenKind::database);
  const std::string token = "apiv1_" + std::string(64, 'x');
  const Json created = Json::parse(created_token_json_text(TokenKind::database, r, token, now).view());
  CHECK(created["token"] == token);
  Json without = created;
  without.erase("token");
  CHECK(without == Json::parse(database_token_json(r, now).dump()));
  // A token that needs JSON escaping still gives valid JSON.
  CHECK(Json::parse(created_token_json_text(TokenKind::management, r, "a\"b\\c", now).view())["token"] == "a\"b\\c");
}

TEST_CASE("influxctl output: management list table has influxctl's columns and drawing", "[formats][influxctl]") {
  const auto documented = lines_of(fixture("management_list_table.txt"));
  TokenRecord revoked = full_record(TokenKind::management);
  revoked.expires_at.reset();
  TokenRecord active = full_record(TokenKind::management);
  active.revoked_at.reset();
  active.description = "a longer description than any header";
  const auto ours = lines_of(management_list_table({revoked, active}));
  REQUIRE(ours.size() == 6);  // border, header, border, 2 rows, border
  CHECK(cells(ours[1]) == cells(documented[1]));
  // Borders: '+' at every column edge, '-' between, as in the documented table.
  const std::regex border("^\\+(-+\\+)+$");
  for (std::size_t i : {0u, 2u, 5u}) CHECK(std::regex_match(ours[i], border));
  CHECK(ours[0] == ours[2]);
  for (std::size_t i = 0; i < ours[0].size(); ++i) {
    if (ours[0][i] == '+') CHECK(ours[1][i] == '|');  // columns line up
  }
  // Rows: times as the documented rows show them; no expiry is the zero timestamp.
  const auto row = cells(ours[3]);
  const auto documented_row = cells(documented[3]);
  REQUIRE(row.size() == documented_row.size());
  CHECK(row[2] == "M.V1.+5Jk");
  CHECK(row[3] == "2024-03-12T19:58:47Z");
  CHECK(row[4] == documented_row[4]);  // 1970-01-01T00:00:00Z
  CHECK(row[5] == "2024-03-12T20:03:29Z");
  CHECK(cells(ours[4])[5] == std::string(unset_time_in_list));
}

TEST_CASE("influxctl output: database list table starts with influxctl's columns", "[formats][influxctl]") {
  const auto documented = lines_of(fixture("database_list_table.txt"));
  const auto ours = lines_of(database_list_table({full_record(TokenKind::database)}));
  const auto header = cells(ours[1]);
  const auto documented_header = cells(documented[1]);
  REQUIRE(header.size() > documented_header.size());
  CHECK(std::vector<std::string>(header.begin(), header.begin() + 2) == documented_header);
  CHECK(header == std::vector<std::string>{"ID", "DESCRIPTION", "PREFIX", "PERMISSIONS", "CREATED AT", "EXPIRES AT",
                                           "REVOKED AT"});
  CHECK(cells(ours[3])[3] == "read:mydb1,write:*");
  CHECK(ours.back() == ours.front());  // closed, as the documented table is
}

TEST_CASE("influxctl output: tables escape what a description could do to a terminal", "[formats][influxctl]") {
  TokenRecord r = full_record(TokenKind::management);
  r.description = "evil\x1b[2J\n| forged | row |\xe2\x80\xae";
  for (const std::string& table :
       {management_list_table({r}), database_list_table({r}), std::string(created_token_text(r, "T").view())}) {
    CHECK(table.find('\x1b') == std::string::npos);
    CHECK(table.find("\xe2\x80\xae") == std::string::npos);
    CHECK_THAT(table, Catch::Contains("evil\\e[2J\\n| forged | row |\\u202E"));
  }
  // Rows stay one line each.
  CHECK(lines_of(management_list_table({r})).size() == 5);
  // Multi-byte characters count as one column: borders still line up.
  r.description = "Grüße";
  const auto lines = lines_of(management_list_table({r}));
  CHECK(util::display_width(lines[1]) == util::display_width(lines[3]));
}

TEST_CASE("influxctl output: an empty list is a header and valid JSON", "[formats][influxctl]") {
  CHECK(token_list_json(TokenKind::management, {}, now).dump() == "[]");
  const auto lines = lines_of(management_list_table({}));
  REQUIRE(lines.size() == 3);
  CHECK(cells(lines[1]).front() == "ID");
}
