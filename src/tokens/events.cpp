#include "tokens/events.h"

#include "kube/resources.h"
#include "util/log.h"

namespace rotator::tokens {

void emit_token_event(kube::Client& client, const kube::ObjectMeta& secret, const std::string& reason,
                      const std::string& message) {
  kube::EventSpec event;
  event.namespace_ = secret.namespace_;
  event.involved_kind = "Secret";
  event.involved_api_version = "v1";
  event.involved_name = secret.name;
  event.involved_uid = secret.uid;
  event.reason = reason;
  event.message = message;
  try {
    kube::EventApi(client).create(event, util::Clock::now());
  } catch (const std::exception& e) {
    log::warn("could not record an Event", {{"reason", reason}, {"secret", secret.name}, {"error", e.what()}});
  }
}

}  // namespace rotator::tokens
