// file_lock.hpp with LockFileEx on the whole lock file. Windows releases a handle's byte-range
// locks when the handle closes, also when the process is killed.
#include "common/platform/file_lock.hpp"
#include "common/platform/windows/nt_files.hpp"
#include "common/platform/windows/wide_text.hpp"
#include "common/platform/windows/win32_error.hpp"

#include <memory>
#include <string>
#include <utility>

#include <windows.h>

namespace azcm::platform {

namespace {

// The path in UTF-8 for messages (path::string() would use the ANSI code page, and throw for a
// character outside it).
std::string shown(const std::filesystem::path& path) {
    return windows::toUtf8Lossy(path.native());
}

Result<HANDLE> openLockFile(const std::filesystem::path& lock_file) {
    // The counterpart of mode 0600: this account, LocalSystem and Administrators, nobody else.
    BOOST_OUTCOME_TRY(descriptor,
                      windows::privateSecurityDescriptor(windows::Inheritance::kEntryOnly));
    SECURITY_ATTRIBUTES attributes{sizeof(SECURITY_ATTRIBUTES), descriptor.get(), FALSE};
    // No FILE_SHARE_DELETE: while anyone holds the file open nobody can remove or rename it, so
    // every holder locks the same file. FILE_FLAG_OPEN_REPARSE_POINT opens a symbolic link (or
    // junction) itself, which is refused below instead of followed. The handle is not inherited.
    const HANDLE handle = ::CreateFileW(
        lock_file.c_str(), GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE,
        &attributes, OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL | FILE_FLAG_OPEN_REPARSE_POINT, nullptr);
    if (handle == INVALID_HANDLE_VALUE) {
        return win32Error("cannot open " + shown(lock_file), ::GetLastError());
    }
    BY_HANDLE_FILE_INFORMATION info{};
    if (::GetFileInformationByHandle(handle, &info) == FALSE) {
        const DWORD error = ::GetLastError();
        ::CloseHandle(handle);
        return win32Error("cannot inspect " + shown(lock_file), error);
    }
    if ((info.dwFileAttributes & (FILE_ATTRIBUTE_REPARSE_POINT | FILE_ATTRIBUTE_DIRECTORY)) != 0) {
        ::CloseHandle(handle);
        return makeError(exitcode::kGeneric,
                         "refusing lock file " + shown(lock_file) +
                             ": a symbolic link, junction or directory, not a file");
    }
    return handle;
}

// Locks every byte there can be: the lock is about the file, not a range of it.
bool lockWholeFile(HANDLE handle, DWORD flags) {
    OVERLAPPED from_start{};
    return ::LockFileEx(handle, LOCKFILE_EXCLUSIVE_LOCK | flags, 0, MAXDWORD, MAXDWORD,
                        &from_start) != FALSE;
}

} // namespace

Result<FileLock> FileLock::acquire(const std::filesystem::path& lock_file) {
    BOOST_OUTCOME_TRY(handle, openLockFile(lock_file));
    FileLock lock(reinterpret_cast<std::intptr_t>(handle)); // closes the file on every way out
    if (!lockWholeFile(handle, 0)) {
        return win32Error("cannot lock " + shown(lock_file), ::GetLastError());
    }
    return lock;
}

Result<std::optional<FileLock>> FileLock::tryAcquire(const std::filesystem::path& lock_file) {
    BOOST_OUTCOME_TRY(handle, openLockFile(lock_file));
    FileLock lock(reinterpret_cast<std::intptr_t>(handle));
    if (!lockWholeFile(handle, LOCKFILE_FAIL_IMMEDIATELY)) {
        const DWORD error = ::GetLastError();
        if (error == ERROR_LOCK_VIOLATION) {
            return std::optional<FileLock>();
        }
        return win32Error("cannot lock " + shown(lock_file), error);
    }
    return std::optional<FileLock>(std::move(lock));
}

FileLock::FileLock(FileLock&& other) noexcept : handle_(std::exchange(other.handle_, -1)) {}

FileLock::~FileLock() {
    if (handle_ != -1) {
        ::CloseHandle(reinterpret_cast<HANDLE>(handle_)); // releases the lock
    }
}

} // namespace azcm::platform
