#include "common/platform/service_process.hpp"
#include "common/platform/windows/windows_service.hpp"

#include <iostream>

namespace azcm::platform {

namespace {

// The SCM's STOP, SHUTDOWN and PRESHUTDOWN, or a console's Ctrl+C, as windows_service.hpp
// collects them.
class ServiceStopRequests final : public StopRequests {
public:
    explicit ServiceStopRequests(windows::ShutdownRequests& requests) : requests_(requests) {}

    Subscription subscribe(std::function<void()> on_stop) override {
        return std::make_shared<windows::ShutdownRequests::Subscription>(
            requests_.subscribe(std::move(on_stop)));
    }

private:
    windows::ShutdownRequests& requests_;
};

} // namespace

int runServiceProcess(const std::string& service_name,
                      bool console_forced,
                      const ServiceProcessBody& body) {
    auto code = windows::runAsServiceOrConsole(
        service_name,
        [&body](windows::ShutdownRequests& requests) {
            ServiceStopRequests stops(requests);
            return body(stops);
        },
        console_forced);
    if (!code) {
        std::cerr << service_name << ": " << code.error().message << "\n";
        return code.error().code;
    }
    return code.value();
}

} // namespace azcm::platform
