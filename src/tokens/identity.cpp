#include "tokens/identity.h"

#include "kube/errors.h"

namespace rotator::tokens {

std::string current_identity(kube::Client& client) {
  try {
    const kube::Json review = client.create(
        "/apis/authentication.k8s.io/v1/selfsubjectreviews",
        {{"apiVersion", "authentication.k8s.io/v1"}, {"kind", "SelfSubjectReview"}});
    const auto& user = review.at("status").at("userInfo");
    if (user.contains("username") && user["username"].is_string()) return user["username"];
  } catch (const kube::ApiError&) {
    // Older servers have no SelfSubjectReview (404); an identity is nice to have,
    // never worth failing for. 401 will fail the real request that follows.
  } catch (const std::exception&) {
  }
  const auto& config = client.config();
  std::string who = config.context.empty() ? std::string() : "context " + config.context;
  if (config.credentials) who += (who.empty() ? "" : ", ") + config.credentials->describe();
  return who;
}

}  // namespace rotator::tokens
