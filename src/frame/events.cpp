#include "frame/events.h"

#include "kube/resources.h"

namespace rotator::frame {

void record_event(kube::Client& client, const EventSubject& subject, const std::string& reason,
                  const std::string& message, Reporter& reporter) {
  kube::EventSpec event;
  event.namespace_ = subject.metadata.namespace_.empty() ? reporter.namespace_name() : subject.metadata.namespace_;
  event.involved_kind = subject.kind;
  event.involved_api_version = subject.api_version;
  event.involved_name = subject.metadata.name;
  event.involved_uid = subject.metadata.uid;
  event.reason = reason;
  event.message = message;
  try {
    kube::EventApi(client).create(event, util::Clock::now());
  } catch (const std::exception& e) {
    reporter.log(log::Level::warn, "could not record an Event",
                 {{"reason", reason}, {"object", subject.metadata.name}, {"error", e.what()}});
  }
}

}  // namespace rotator::frame
