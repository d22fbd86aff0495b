#pragma once
// A service manager that records what a daemon told it (no systemd in a unit test).
#include "common/platform/service_manager.hpp"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace azcm::test {

class FakeServiceManager final : public platform::ServiceManager {
public:
    void notifyReady(const std::string& status) override { ready.push_back(status); }
    void notifyStopping() override { ++stopping; }
    std::optional<std::chrono::microseconds> watchdogInterval() override { return watchdog; }
    void pingWatchdog() override {
        ++pings;
        if (on_ping) {
            on_ping();
        }
    }

    std::vector<std::string> ready;
    int stopping = 0;
    int pings = 0;
    std::optional<std::chrono::microseconds> watchdog;
    std::function<void()> on_ping;
};

} // namespace azcm::test
