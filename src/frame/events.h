#pragma once

#include <string>

#include "frame/reporter.h"
#include "kube/client.h"
#include "kube/objects.h"

namespace rotator::frame {

/// The object an Event is about.
struct EventSubject {
  std::string kind;         ///< "Secret", "Deployment", "Pod", "Lease"
  std::string api_version;  ///< "v1", "apps/v1", "coordination.k8s.io/v1"
  kube::ObjectMeta metadata;
};

/// Records a Normal Event about a changed object: the audit trail. Best effort:
/// the change is already made, so a failed Event is a warning, never a failure.
void record_event(kube::Client& client, const EventSubject& subject, const std::string& reason,
                  const std::string& message, Reporter& reporter);

}  // namespace rotator::frame
