#include "steps/step_context.h"

#include <iostream>

#include "kube/resources.h"
#include "util/log.h"

namespace rotator::steps {

StepLock::StepLock(StepContext& context) : lock_(context.held_lock) {
  if (lock_ == nullptr) {
    own_ = std::make_unique<runner::LeaseLock>(context.client, context.namespace_,
                                               runner::process_holder_identity(), context.lock_options);
    lock_ = own_.get();
  }
}

void StepLock::ensure_held() const { lock_->ensure_held(); }

namespace {
thread_local ChangeCounter* change_counter = nullptr;
}  // namespace

ChangeCounter::ChangeCounter() : previous_(change_counter) { change_counter = this; }

ChangeCounter::~ChangeCounter() { change_counter = previous_; }

// A terminal gets one plain line per change on stdout; a Job (JSON logs) gets one
// JSON log line instead, so its log stays machine-readable.
void report_change(const std::string& step, const PlannedChange& change, RunMode mode) {
  if (change_counter) change_counter->add();
  const std::string verb = mode == RunMode::dry_run ? "would " + change.verb : change.verb;
  if (log::current_format() == log::Format::json) {
    log::info(step + ": " + verb, {{"object", change.object}, {"reason", change.reason}});
  } else {
    std::cout << step << ": " << verb << " " << change.object << ": " << change.reason << std::endl;
  }
}

void report_unchanged(const std::string& step, const std::string& what) {
  if (log::current_format() == log::Format::json) {
    log::info(step + ": unchanged", {{"state", what}});
  } else {
    std::cout << step << ": unchanged: " << what << std::endl;
  }
}

void record_event(StepContext& context, const std::string& kind, const std::string& api_version,
                  const kube::ObjectMeta& object, const std::string& reason, const std::string& message) {
  kube::EventSpec event;
  event.namespace_ = context.namespace_;
  event.involved_kind = kind;
  event.involved_api_version = api_version;
  event.involved_name = object.name;
  event.involved_uid = object.uid;
  event.reason = reason;
  event.message = message;
  try {
    kube::EventApi(context.client).create(event, context.now());
  } catch (const std::exception& e) {
    log::warn("could not record an Event", {{"reason", reason}, {"object", object.name}, {"error", e.what()}});
  }
}

std::string describe_object(const std::string& kind, const std::string& ns, const std::string& name) {
  return kind + " " + ns + "/" + name;
}

}  // namespace rotator::steps
