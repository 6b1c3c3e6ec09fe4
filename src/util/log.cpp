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
thread_local const std::string* namespace_scope = nullptr;
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

std::string render(Level level, std::string_view message, const Fields& fields) {
  if (current_format_ == Format::json) {
    nlohmann::json line = {{"ts", util::format_rfc3339(util::Clock::now())},
                           {"level", level_name(level)},
                           {"msg", message}};
    if (namespace_scope) line["namespace"] = *namespace_scope;
    for (const auto& [key, value] : fields) line[key] = value;
    return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  std::string line(message);
  for (const auto& [key, value] : fields) {
    line += " " + key + "=";
    line += needs_quotes(value) ? nlohmann::json(value).dump() : value;
  }
  return line;
}

void emit(Level level, std::string_view message, const Fields& fields) {
  auto logger = spdlog::default_logger_raw();
  if (!logger->should_log(spd_level(level))) return;
  logger->log(spd_level(level), "{}", render(level, message, fields));
}

// The Kubernetes client logs through spdlog directly; in JSON mode its lines must
// be JSON too, so they pass through the same renderer.
class JsonWrappingSink : public spdlog::sinks::base_sink<std::mutex> {
 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    const std::string_view payload(msg.payload.data(), msg.payload.size());
    std::string line;
    if (current_format_ == Format::json && !payload.starts_with("{")) {
      const Level level = msg.level == spdlog::level::debug ? Level::debug
                          : msg.level == spdlog::level::warn ? Level::warn
                          : msg.level == spdlog::level::err  ? Level::error
                                                             : Level::info;
      line = render(level, payload, {});
    } else if (current_format_ == Format::text) {
      const char* tag = msg.level == spdlog::level::debug ? "debug: "
                        : msg.level == spdlog::level::warn ? "warning: "
                        : msg.level == spdlog::level::err  ? "error: "
                                                           : "";
      line = (namespace_scope ? *namespace_scope + ": " : std::string()) + tag + std::string(payload);
    } else {
      line = std::string(payload);
    }
    line += '\n';
    std::lock_guard lock(stderr_mutex);
    write_locked(stderr, line);
  }
  void flush_() override { std::fflush(stderr); }
};

}  // namespace

void configure(Format format, Level level) {
  current_format_ = format;
  auto logger = std::make_shared<spdlog::logger>("rotator", std::make_shared<JsonWrappingSink>());
  logger->set_level(spd_level(level));
  logger->flush_on(spdlog::level::debug);
  spdlog::set_default_logger(logger);
}

NamespaceScope::NamespaceScope(std::string name) : namespace_(std::move(name)), previous_(namespace_scope) {
  namespace_scope = &namespace_;
}

NamespaceScope::~NamespaceScope() { namespace_scope = previous_; }

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

Format current_format() { return log::current_format_; }

void debug(std::string_view message, const Fields& fields) { emit(Level::debug, message, fields); }
void info(std::string_view message, const Fields& fields) { emit(Level::info, message, fields); }
void warn(std::string_view message, const Fields& fields) { emit(Level::warn, message, fields); }
void error(std::string_view message, const Fields& fields) { emit(Level::error, message, fields); }

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
