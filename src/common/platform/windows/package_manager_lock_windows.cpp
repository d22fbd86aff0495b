#include "common/platform/package_manager_lock.hpp"

namespace azcm::platform {

// The Windows Installer keeps no lock file: msiexec serializes installs itself (a second one is
// refused with exit code 1618), so there is nothing to wait for here.
Result<std::optional<PackageManagerLock>>
PackageManagerLock::acquire(const std::filesystem::path& /*lock_file*/,
                            std::chrono::milliseconds /*wait*/) {
    return std::optional<PackageManagerLock>();
}

PackageManagerLock::PackageManagerLock(PackageManagerLock&& other) noexcept
    : handle_(other.handle_) {
    other.handle_ = -1;
}

PackageManagerLock::~PackageManagerLock() = default;

} // namespace azcm::platform
