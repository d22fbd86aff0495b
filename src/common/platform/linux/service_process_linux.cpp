#include "common/platform/service_process.hpp"

namespace azcm::platform {

namespace {

// systemd stops a daemon with SIGTERM, which the daemon's signal set receives: nothing else
// ever asks it to stop.
class SignalsOnly final : public StopRequests {
public:
    Subscription subscribe(std::function<void()> /*on_stop*/) override { return nullptr; }
};

} // namespace

int runServiceProcess(const std::string& /*service_name*/,
                      bool /*console_forced*/,
                      const ServiceProcessBody& body) {
    SignalsOnly stops;
    return body(stops);
}

} // namespace azcm::platform
