// influxctl's config.toml as rotator edits it (formats/influxctl_config): any
// text either gets the setting, with everything else kept (the editor re-parses
// its result and refuses otherwise), or is refused with one of rotator's errors.
#include <toml++/toml.h>

#include "formats/influxctl_config.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rotator::formats;
  const auto text = rotator::fuzz::as_text(data, size);
  for (const auto setting : {InfluxctlSetting::mgmt_token, InfluxctlSetting::token_file}) {
    for (const char* profile : {"default", "p"}) {
      InfluxctlConfigRequest request;
      request.profile = profile;
      request.setting = setting;
      request.value = "M.V1.+/x\"\\";
      request.host = "h";
      request.port = "443";
      rotator::fuzz::rejects_only_with_rotator_errors([&] {
        const auto edited = edit_influxctl_config(text, request);
        // What it returns is TOML with the value in its documented place.
        const toml::table doc = toml::parse(edited.text);
        bool found = false;
        if (const auto* profiles = doc.get_as<toml::array>("profile")) {
          for (const auto& element : *profiles) {
            const auto* t = element.as_table();
            if (t == nullptr || (*t)["name"].value<std::string>() != profile) continue;
            found = setting == InfluxctlSetting::mgmt_token
                        ? (*t)["mgmt_token"].value<std::string>() == request.value
                        : (*t)["auth"]["token"]["token_file"].value<std::string>() == request.value;
          }
        }
        if (!found) __builtin_trap();
      });
    }
  }
  return 0;
}
