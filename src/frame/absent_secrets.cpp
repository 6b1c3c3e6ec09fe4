#include "frame/absent_secrets.h"

namespace rotator::frame {

std::string absent_secrets_message(const std::string& ns, const std::vector<std::string>& names) {
  std::string objects;
  std::string commands;
  for (const auto& name : names) {
    objects += (objects.empty() ? "" : ", ") + ns + "/" + name;
    commands += (commands.empty() ? "" : "; ") + std::string("kubectl create secret generic ") + name + " -n " + ns;
  }
  const bool one = names.size() == 1;
  return std::string(one ? "Secret " : "Secrets ") + objects + (one ? " does" : " do") +
         " not exist and rotator may not create " + (one ? "it" : "them") + ": apply manifests/ (it ships " +
         (one ? "the Secret" : "them") + " empty) or " + commands + "; nothing was written";
}

}  // namespace rotator::frame
