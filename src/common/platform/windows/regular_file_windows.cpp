// regular_file.hpp on Windows. The open handle is kept as a C runtime descriptor
// (_open_osfhandle), the form FileHandle holds; _close on it closes the handle.
#include "common/platform/regular_file.hpp"
#include "common/platform/windows/win32_error.hpp"

#include <algorithm>
#include <array>

#include <fcntl.h>
#include <io.h>
#include <windows.h>

namespace azcm::platform {

namespace {

std::string shown(const std::filesystem::path& path) {
    const std::wstring& wide = path.native();
    const int length = ::WideCharToMultiByte(CP_UTF8, 0, wide.data(), static_cast<int>(wide.size()),
                                             nullptr, 0, nullptr, nullptr);
    std::string out(static_cast<std::size_t>(std::max(length, 0)), '\0');
    ::WideCharToMultiByte(CP_UTF8, 0, wide.data(), static_cast<int>(wide.size()), out.data(),
                          length, nullptr, nullptr);
    return out;
}

// A symbolic link or junction at the last component is opened itself
// (FILE_FLAG_OPEN_REPARSE_POINT) and then refused as not a plain file; a directory needs
// FILE_FLAG_BACKUP_SEMANTICS to be opened at all, and is refused the same way. Others may write,
// rename or delete the file while it is open, as on POSIX.
HANDLE openUnfollowed(const std::filesystem::path& path, DWORD access) {
    return ::CreateFileW(
        path.c_str(), access, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
        OPEN_EXISTING, FILE_FLAG_OPEN_REPARSE_POINT | FILE_FLAG_BACKUP_SEMANTICS, nullptr);
}

// A file on a disk (not a pipe, a console or a device), not a directory, not a reparse point.
std::optional<FileIdentity> plainFileIdentity(HANDLE handle, std::uint64_t* size) {
    BY_HANDLE_FILE_INFORMATION info{};
    if (::GetFileType(handle) != FILE_TYPE_DISK ||
        ::GetFileInformationByHandle(handle, &info) == FALSE ||
        (info.dwFileAttributes & (FILE_ATTRIBUTE_DIRECTORY | FILE_ATTRIBUTE_REPARSE_POINT)) != 0) {
        return std::nullopt;
    }
    if (size != nullptr) {
        *size = (static_cast<std::uint64_t>(info.nFileSizeHigh) << 32) | info.nFileSizeLow;
    }
    // The volume serial number and the file index name one file on the machine, whichever of
    // its hard links leads to it.
    return FileIdentity{info.dwVolumeSerialNumber,
                        (static_cast<std::uint64_t>(info.nFileIndexHigh) << 32) |
                            info.nFileIndexLow};
}

} // namespace

std::optional<FileIdentity> regularFileIdentity(const std::filesystem::path& path) {
    const HANDLE handle = openUnfollowed(path, FILE_READ_ATTRIBUTES);
    if (handle == INVALID_HANDLE_VALUE) {
        return std::nullopt;
    }
    auto identity = plainFileIdentity(handle, nullptr);
    ::CloseHandle(handle);
    return identity;
}

Result<RegularFile> RegularFile::open(const std::filesystem::path& path) {
    const HANDLE handle = openUnfollowed(path, GENERIC_READ);
    if (handle == INVALID_HANDLE_VALUE) {
        return makeError(exitcode::kConfigFileNotFound,
                         "cannot open " + shown(path) + ": " + win32ErrorText(::GetLastError()));
    }
    const int descriptor = ::_open_osfhandle(reinterpret_cast<std::intptr_t>(handle), _O_RDONLY);
    if (descriptor < 0) {
        ::CloseHandle(handle);
        return makeError(exitcode::kGeneric,
                         "cannot open " + shown(path) + ": no C runtime descriptor is free");
    }
    FileHandle file(descriptor); // closes the handle on every way out
    std::uint64_t size = 0;
    const auto identity = plainFileIdentity(handle, &size);
    if (!identity) {
        return makeError(exitcode::kConfigFileNotFound, shown(path) + " is not a regular file");
    }
    return RegularFile(std::move(file), *identity, size);
}

Result<std::string> RegularFile::readTail(std::size_t max_bytes) const {
    const auto handle = reinterpret_cast<HANDLE>(::_get_osfhandle(handle_.native()));
    const std::uint64_t start = size_ > max_bytes ? size_ - max_bytes : 0;
    std::string content;
    std::array<char, 65536> buffer{};
    std::uint64_t offset = start;
    // The file may grow while it is read (a live log): stop at max_bytes, keep the last ones.
    while (content.size() < max_bytes + buffer.size()) {
        // An OVERLAPPED offset on a synchronous handle reads at that offset, as pread does.
        OVERLAPPED at{};
        at.Offset = static_cast<DWORD>(offset & 0xFFFFFFFFU);
        at.OffsetHigh = static_cast<DWORD>(offset >> 32);
        DWORD got = 0;
        if (::ReadFile(handle, buffer.data(), static_cast<DWORD>(buffer.size()), &got, &at) ==
            FALSE) {
            const DWORD error = ::GetLastError();
            if (error == ERROR_HANDLE_EOF) {
                break;
            }
            return win32Error("cannot read", error);
        }
        if (got == 0) {
            break;
        }
        content.append(buffer.data(), got);
        offset += got;
    }
    if (content.size() > max_bytes) {
        content.erase(0, content.size() - max_bytes);
    }
    return content;
}

} // namespace azcm::platform
