#pragma once
// What every service of the emulator shares: state, key material, time and the public base URL.
#include "emulator/emulator_clock.hpp"
#include "emulator/pki.hpp"
#include "emulator/store.hpp"

#include <chrono>
#include <filesystem>
#include <string>

namespace azcm::emulator {

class GoalStateWaiters; // goal_state_waiters.hpp

struct EmulatorOptions {
    std::chrono::seconds heartbeat_timeout{900};
    std::chrono::seconds cert_lifetime{7776000}; // 90 days
    std::chrono::seconds token_lifetime{3600};
    std::chrono::seconds mi_token_lifetime{86400}; // managed identity tokens (/his/machines/token)
    std::filesystem::path data_dir; // where signed packages are stored (DIR/packages)
};

struct ServiceContext {
    Store& store;
    const EmulatorPki& pki;
    WallClock clock;
    EmulatorOptions options;
    std::string base_url; // "https://127.0.0.1:PORT": the Entra authority host and the ARM base
    // Parked long-polls of the agent services, keyed by machine id; null: no long-polling.
    GoalStateWaiters* waiters = nullptr;
};

} // namespace azcm::emulator
