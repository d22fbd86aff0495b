#pragma once
// The lock the system's package manager holds for a whole install, waited for before the agent
// runs one (docs/upgrade.md). dpkg and its frontends share a record lock (fcntl) on
// /var/lib/dpkg/lock-frontend: a frontend holds it and runs dpkg with DPKG_FRONTEND_LOCKED=1, so
// that dpkg does not take it again. An upgrade killed while its dpkg ran leaves that dpkg running,
// and the next upgrade must wait for it instead of failing; so must an upgrade that meets an
// administrator's apt-get. Windows has no such file: its implementation finds none.
#include "common/error.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>

namespace azcm::platform {

class PackageManagerLock {
public:
    // Waits up to `wait` for an exclusive record lock on `lock_file`: nullopt when there is no
    // such file (no package manager uses it here), an error naming the holder when the wait runs
    // out.
    static Result<std::optional<PackageManagerLock>> acquire(const std::filesystem::path& lock_file,
                                                             std::chrono::milliseconds wait);

    PackageManagerLock(PackageManagerLock&& other) noexcept;
    PackageManagerLock& operator=(PackageManagerLock&&) = delete;
    PackageManagerLock(const PackageManagerLock&) = delete;
    PackageManagerLock& operator=(const PackageManagerLock&) = delete;
    ~PackageManagerLock();

private:
    explicit PackageManagerLock(std::intptr_t handle) : handle_(handle) {}
    std::intptr_t handle_; // the open lock file; -1 once moved from
};

} // namespace azcm::platform
