#include "util/log.h"

#include <mutex>

#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "util/errors.h"
#include "util/time.h"

namespace rotator::log {
namespace {

Format current_format_ = Format::text;
std::mutex stderr_mutex;
std::string status_line;  // guarded by stderr_mutex

// Writes under stderr_mutex, clearing the status line first and drawing it again after.
void write_locked(std::FILE* stream, const std::string& text) {
  if (!status_line.empty()) std::fputs("\r\033[K", stderr);
  if (stream != stderr) std::fflush(stderr);
  std::fwrite(text.data(), 1, text.size(), stream);
  std::fflush(stream);
  if (!status_line.empty()) {
    std::fputs(status_line.c_str(), stderr);
    std::fflush(stderr);
  }
}

spdlog::level::level_enum spd_level(Level level) {
  switch (level) {
    case Level::debug: return spdlog::level::debug;
    case Level::info: return spdlog::level::info;
    case Level::warn: return spdlog::level::warn;
    case Level::error: return spdlog::level::err;
  }
  return spdlog::level::info;
}

const char* level_name(Level level) {
  switch (level) {
    case Level::debug: return "debug";
    case Level::info: return "info";
    case Level::warn: return "warn";
    case Level::error: return "error";
  }
  return "info";
}

bool needs_quotes(std::string_view value) {
  return value.empty() || value.find_first_of(" \t\"=") != std::string_view::npos;
}

const char* text_tag(Level level) {
  switch (level) {
    case Level::debug: return "debug: ";
    case Level::warn: return "warning: ";
    case Level::error: return "error: ";
    case Level::info: return "";
  }
  return "";
}

// One whole line: "SCOPE: warning: message key=value" on a terminal, a JSON
// object for Jobs.
std::string render(Level level, std::string_view message, const Fields& fields, std::string_view scope) {
  if (current_format_ == Format::json) {
    nlohmann::json line = {
        {"ts", util::format_rfc3339(util::Clock::now())}, {"level", level_name(level)}, {"msg", message}};
    if (!scope.empty()) line["namespace"] = scope;
    for (const auto& [key, value] : fields) {
      std::visit([&, &k = key](const auto& v) { line[k] = v; }, value.value());
    }
    return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  std::string line = scope.empty() ? std::string() : std::string(scope) + ": ";
  line += text_tag(level);
  line += message;
  for (const auto& [key, value] : fields) {
    const std::string text = value.text();
    line += " " + key + "=";
    line += needs_quotes(text) ? nlohmann::json(text).dump() : text;
  }
  return line;
}

void emit(Level level, std::string_view message, const Fields& fields, std::string_view scope) {
  if (!spdlog::default_logger_raw()->should_log(spd_level(level))) return;
  const std::string line = render(level, message, fields, scope) + "\n";
  std::lock_guard lock(stderr_mutex);
  write_locked(stderr, line);
}

Level level_of(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:
    case spdlog::level::debug: return Level::debug;
    case spdlog::level::warn: return Level::warn;
    case spdlog::level::err:
    case spdlog::level::critical: return Level::error;
    default: return Level::info;
  }
}

// The Kubernetes client logs through spdlog directly; its lines take the same
// shape as rotator's own.
class JsonWrappingSink : public spdlog::sinks::base_sink<std::mutex> {
 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    const std::string_view payload(msg.payload.data(), msg.payload.size());
    const std::string line = render(level_of(msg.level), payload, {}, {}) + "\n";
    std::lock_guard lock(stderr_mutex);
    write_locked(stderr, line);
  }
  void flush_() override { std::fflush(stderr); }
};

}  // namespace

std::string FieldValue::text() const {
  return std::visit(
      [](const auto& v) -> std::string {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string>) {
          return v;
        } else if constexpr (std::is_same_v<T, bool>) {
          return v ? "true" : "false";
        } else if constexpr (std::is_same_v<T, double>) {
          return nlohmann::json(v).dump();
        } else {
          return std::to_string(v);
        }
      },
      value_);
}

void configure(Format format, Level level) {
  current_format_ = format;
  auto logger = std::make_shared<spdlog::logger>("rotator", std::make_shared<JsonWrappingSink>());
  logger->set_level(spd_level(level));
  logger->flush_on(spdlog::level::debug);
  spdlog::set_default_logger(logger);
}

void set_status_line(const std::string& text) {
  std::lock_guard lock(stderr_mutex);
  std::fputs("\r\033[K", stderr);
  status_line = text;
  std::fputs(status_line.c_str(), stderr);
  std::fflush(stderr);
}

void print_above_status(std::FILE* stream, const std::string& text) {
  std::lock_guard lock(stderr_mutex);
  write_locked(stream, text);
}

Format current_format() {
  return log::current_format_;
}

void debug(std::string_view message, const Fields& fields) {
  emit(Level::debug, message, fields, {});
}
void info(std::string_view message, const Fields& fields) {
  emit(Level::info, message, fields, {});
}
void warn(std::string_view message, const Fields& fields) {
  emit(Level::warn, message, fields, {});
}
void error(std::string_view message, const Fields& fields) {
  emit(Level::error, message, fields, {});
}
void write(Level level, std::string_view message, const Fields& fields, std::string_view scope) {
  emit(level, message, fields, scope);
}

Format parse_format(const std::string& text) {
  if (text == "text") return Format::text;
  if (text == "json") return Format::json;
  throw UsageError("--log-format must be text or json, not \"" + text + "\"");
}

Level parse_level(const std::string& text) {
  if (text == "debug") return Level::debug;
  if (text == "info") return Level::info;
  if (text == "warn" || text == "warning") return Level::warn;
  if (text == "error") return Level::error;
  throw UsageError("--log-level must be debug, info, warn or error, not \"" + text + "\"");
}

}  // namespace rotator::log
