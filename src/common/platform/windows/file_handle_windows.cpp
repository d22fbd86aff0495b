// FileHandle on Windows: the descriptor is a C runtime descriptor over a Win32 handle
// (_open_osfhandle), so the interface keeps its `int`; _close closes the handle with it.
#include "common/platform/private_directory.hpp"
#include "common/platform/windows/win32_error.hpp"

#include <algorithm>
#include <utility>

#include <io.h>
#include <windows.h>

namespace azcm::platform {

namespace {

HANDLE win32HandleOf(int descriptor) {
    return reinterpret_cast<HANDLE>(
        ::_get_osfhandle(descriptor)); // NOLINT(performance-no-int-to-ptr)
}

} // namespace

FileHandle::~FileHandle() {
    close();
}

FileHandle::FileHandle(FileHandle&& other) noexcept
    : descriptor_(std::exchange(other.descriptor_, -1)) {}

FileHandle& FileHandle::operator=(FileHandle&& other) noexcept {
    if (this != &other) {
        close();
        descriptor_ = std::exchange(other.descriptor_, -1);
    }
    return *this;
}

int FileHandle::release() {
    return std::exchange(descriptor_, -1);
}

void FileHandle::close() {
    if (descriptor_ >= 0) {
        ::_close(descriptor_);
        descriptor_ = -1;
    }
}

Result<void> FileHandle::writeAll(std::string_view bytes) const {
    const HANDLE handle = win32HandleOf(descriptor_);
    while (!bytes.empty()) {
        // WriteFile takes at most a DWORD per call.
        const auto chunk = static_cast<DWORD>(std::min<std::size_t>(bytes.size(), 1U << 30U));
        DWORD written = 0;
        if (::WriteFile(handle, bytes.data(), chunk, &written, nullptr) == FALSE) {
            return win32Error("write", ::GetLastError());
        }
        bytes.remove_prefix(written);
    }
    return ok();
}

Result<std::uint64_t> FileHandle::size() const {
    LARGE_INTEGER size{};
    if (::GetFileSizeEx(win32HandleOf(descriptor_), &size) == FALSE) {
        return win32Error("GetFileSizeEx", ::GetLastError());
    }
    return static_cast<std::uint64_t>(size.QuadPart);
}

} // namespace azcm::platform
