#include "formats/influxctl_output.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <chrono>

#include "util/terminal_text.h"

namespace rotator::formats {
namespace {

/// Moves `text` into a SecretString and wipes the original.
crypto::SecretString into_secret(std::string& text) {
  crypto::SecretString secret(text.data(), text.size());
  OPENSSL_cleanse(text.data(), text.size());
  text.clear();
  return secret;
}

void add_time(OrderedJson& out, const char* key, const std::optional<util::TimePoint>& t) {
  if (t) out[key] = protobuf_timestamp(*t);
}

std::string time_or(const std::optional<util::TimePoint>& t, std::string_view absent) {
  return t ? util::format_rfc3339(*t) : std::string(absent);
}

std::string border_line(const std::vector<std::size_t>& widths) {
  std::string line = "+";
  for (std::size_t w : widths) line += std::string(w + 2, '-') + "+";
  return line + "\n";
}

enum class Align { left, right };

std::string row_line(const std::vector<std::string>& cells, const std::vector<std::size_t>& widths,
                     const std::vector<Align>& aligns) {
  std::string line = "|";
  for (std::size_t c = 0; c < widths.size(); ++c) {
    const std::string cell = c < cells.size() ? cells[c] : std::string();
    const std::string padding(widths[c] - std::min(widths[c], util::display_width(cell)), ' ');
    line += " " + (aligns[c] == Align::right ? padding + cell : cell + padding) + " |";
  }
  return line + "\n";
}

std::vector<std::size_t> column_widths(const std::vector<std::string>& header,
                                       const std::vector<std::vector<std::string>>& rows, std::size_t columns) {
  std::vector<std::size_t> widths(columns, 0);
  for (std::size_t c = 0; c < header.size() && c < columns; ++c) widths[c] = util::display_width(header[c]);
  for (const auto& row : rows) {
    for (std::size_t c = 0; c < row.size() && c < columns; ++c)
      widths[c] = std::max(widths[c], util::display_width(row[c]));
  }
  return widths;
}

}  // namespace

OrderedJson protobuf_timestamp(util::TimePoint t) {
  using namespace std::chrono;
  // Protobuf: seconds since the epoch (floor) and a non-negative nanosecond part.
  const auto since_epoch = duration_cast<nanoseconds>(t.time_since_epoch());
  auto seconds = duration_cast<std::chrono::seconds>(since_epoch);
  if (seconds > since_epoch) seconds -= std::chrono::seconds(1);
  const auto nanos = (since_epoch - seconds).count();
  OrderedJson out = {{"seconds", static_cast<long long>(seconds.count())}};
  if (nanos != 0) out["nanos"] = static_cast<long long>(nanos);
  return out;
}

OrderedJson management_token_json(const TokenRecord& r, util::TimePoint now) {
  OrderedJson out = OrderedJson::object();
  out["id"] = r.id;
  out["token_prefix"] = r.prefix;
  add_time(out, "expires_at", r.expires_at);
  add_time(out, "revoked_at", r.revoked_at);
  out["created_at"] = protobuf_timestamp(r.created_at);
  out["description"] = r.description;
  if (!r.created_by.empty()) out["created_by"] = r.created_by;
  out["prefix"] = r.prefix;
  out["status"] = std::string(state_name(state_at(r, now)));
  if (!r.renewal_secret.empty()) out["renewal_secret"] = r.renewal_secret;
  return out;
}

OrderedJson database_token_json(const TokenRecord& r, util::TimePoint now) {
  OrderedJson out = OrderedJson::object();
  out["id"] = r.id;
  out["description"] = r.description;
  OrderedJson permissions = OrderedJson::array();
  for (const auto& p : r.permissions) permissions.push_back({{"action", p.action}, {"resource", p.resource}});
  out["permissions"] = permissions;
  out["created_at"] = protobuf_timestamp(r.created_at);
  add_time(out, "expires_at", r.expires_at);
  add_time(out, "revoked_at", r.revoked_at);
  out["token_prefix"] = r.prefix;
  out["prefix"] = r.prefix;
  if (!r.created_by.empty()) out["created_by"] = r.created_by;
  out["status"] = std::string(state_name(state_at(r, now)));
  return out;
}

OrderedJson token_json(TokenKind kind, const TokenRecord& record, util::TimePoint now) {
  return kind == TokenKind::management ? management_token_json(record, now) : database_token_json(record, now);
}

OrderedJson token_list_json(TokenKind kind, const std::vector<TokenRecord>& records, util::TimePoint now) {
  OrderedJson out = OrderedJson::array();
  for (const auto& r : records) out.push_back(token_json(kind, r, now));
  return out;
}

crypto::SecretString created_token_json_text(TokenKind kind, const TokenRecord& record, std::string_view token,
                                             util::TimePoint now) {
  // The record is dumped without the token, and the token spliced in at the end
  // of a buffer sized once: no reallocation leaves an unwiped copy behind.
  std::string head = token_json(kind, record, now).dump(2);
  head.erase(head.rfind('}'));  // "{\n  ...,\n  \"status\": \"active\"\n"
  while (!head.empty() && head.back() == '\n') head.pop_back();
  const bool plain =
      std::all_of(token.begin(), token.end(), [](char c) { return c >= 0x20 && c < 0x7f && c != '"' && c != '\\'; });
  std::string escaped = plain ? std::string() : OrderedJson(std::string(token)).dump();
  const std::string_view quoted_token = plain ? token : std::string_view(escaped);
  const std::string_view opening = ",\n  \"token\": ";
  const std::string_view closing = "\n}\n";
  std::string text;
  text.reserve(head.size() + opening.size() + quoted_token.size() + 2 + closing.size());
  text += head;
  text += opening;
  if (plain) text += '"';
  text += quoted_token;
  if (plain) text += '"';
  text += closing;
  OPENSSL_cleanse(escaped.data(), escaped.size());
  return into_secret(text);
}

std::string permissions_text(const std::vector<Permission>& permissions) {
  std::string out;
  for (const auto& p : permissions) out += (out.empty() ? "" : ",") + p.action + ":" + p.resource;
  return out;
}

std::string bordered_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows) {
  const auto widths = column_widths(header, rows, header.size());
  const std::vector<Align> aligns(header.size(), Align::left);
  const std::string border = border_line(widths);
  std::string out = border + row_line(header, widths, aligns) + border;
  for (const auto& row : rows) out += row_line(row, widths, aligns);
  if (!rows.empty()) out += border;
  return out;
}

std::string management_list_table(const std::vector<TokenRecord>& records) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& r : records) {
    rows.push_back({util::escape_for_terminal(r.id), util::escape_for_terminal(r.description),
                    util::escape_for_terminal(r.prefix), util::format_rfc3339(r.created_at),
                    time_or(r.expires_at, unset_time_in_list), time_or(r.revoked_at, unset_time_in_list)});
  }
  return bordered_table({"ID", "DESCRIPTION", "PREFIX", "CREATED AT", "EXPIRES AT", "REVOKED AT"}, rows);
}

std::string database_list_table(const std::vector<TokenRecord>& records) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& r : records) {
    rows.push_back({util::escape_for_terminal(r.id), util::escape_for_terminal(r.description),
                    util::escape_for_terminal(r.prefix), util::escape_for_terminal(permissions_text(r.permissions)),
                    util::format_rfc3339(r.created_at), time_or(r.expires_at, "-"), time_or(r.revoked_at, "-")});
  }
  return bordered_table({"ID", "DESCRIPTION", "PREFIX", "PERMISSIONS", "CREATED AT", "EXPIRES AT", "REVOKED AT"}, rows);
}

crypto::SecretString created_token_text(const TokenRecord& record, std::string_view token) {
  const std::vector<std::vector<std::string>> rows = {
      {"id", util::escape_for_terminal(record.id)},
      {"description", util::escape_for_terminal(record.description)},
      {"expires at", time_or(record.expires_at, "")},
      {"revoked at", time_or(record.revoked_at, "")},
  };
  const auto widths = column_widths({}, rows, 2);
  const std::vector<Align> aligns = {Align::right, Align::left};
  const std::string border = border_line(widths);
  std::string preamble = border;
  for (const auto& row : rows) preamble += row_line(row, widths, aligns);
  preamble += border;
  preamble += std::string(copy_token_warning) + "\n" + std::string(only_time_warning) + "\n";
  // Sized once, so appending the token never reallocates (an unwiped copy).
  std::string text;
  text.reserve(preamble.size() + token.size() + 1);
  text += preamble;
  text += token;
  text += '\n';
  return into_secret(text);
}

}  // namespace rotator::formats
