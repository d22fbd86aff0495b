// file_lock.hpp with LockFileEx on the whole lock file. Windows releases a handle's byte-range
// locks when the handle closes, also when the process is killed.
#include "common/platform/file_lock.hpp"
#include "common/platform/windows/win32_error.hpp"

#include <memory>
#include <string>
#include <utility>

#include <windows.h>
// after windows.h, whose types it uses
#include <sddl.h>

namespace azcm::platform {

namespace {

struct LocalFreeDeleter {
    void operator()(void* memory) const { ::LocalFree(memory); }
};
using LocalMemory = std::unique_ptr<void, LocalFreeDeleter>;

class KernelHandle {
public:
    explicit KernelHandle(HANDLE handle) : handle_(handle) {}
    KernelHandle(const KernelHandle&) = delete;
    KernelHandle& operator=(const KernelHandle&) = delete;
    ~KernelHandle() {
        if (handle_ != nullptr && handle_ != INVALID_HANDLE_VALUE) {
            ::CloseHandle(handle_);
        }
    }
    HANDLE get() const { return handle_; }

private:
    HANDLE handle_;
};

// The path in UTF-8 for messages (path::string() would use the ANSI code page, and throw for a
// character outside it).
std::string shown(const std::filesystem::path& path) {
    const std::wstring& wide = path.native();
    const int length = ::WideCharToMultiByte(CP_UTF8, 0, wide.data(), static_cast<int>(wide.size()),
                                             nullptr, 0, nullptr, nullptr);
    std::string out(static_cast<std::size_t>(length > 0 ? length : 0), '\0');
    ::WideCharToMultiByte(CP_UTF8, 0, wide.data(), static_cast<int>(wide.size()), out.data(),
                          length, nullptr, nullptr);
    return out;
}

// The string form of this process's user SID ("S-1-5-18" for LocalSystem).
Result<std::wstring> currentUserSid() {
    HANDLE raw_token = nullptr;
    if (::OpenProcessToken(::GetCurrentProcess(), TOKEN_QUERY, &raw_token) == FALSE) {
        return win32Error("cannot open the process token", ::GetLastError());
    }
    const KernelHandle token(raw_token);
    DWORD size = 0;
    ::GetTokenInformation(token.get(), TokenUser, nullptr, 0, &size);
    std::string buffer(size, '\0');
    if (size == 0 ||
        ::GetTokenInformation(token.get(), TokenUser, buffer.data(), size, &size) == FALSE) {
        return win32Error("cannot read the process token's user", ::GetLastError());
    }
    const auto* user = reinterpret_cast<const TOKEN_USER*>(buffer.data());
    wchar_t* raw_text = nullptr;
    if (::ConvertSidToStringSidW(user->User.Sid, &raw_text) == FALSE) {
        return win32Error("cannot format the process token's user", ::GetLastError());
    }
    const LocalMemory text(raw_text);
    return std::wstring(raw_text);
}

// The DACL of a new lock file, the counterpart of mode 0600: full access for this account,
// LocalSystem and Administrators (who can take any file anyway), nobody else, nothing inherited.
Result<LocalMemory> privateSecurityDescriptor() {
    BOOST_OUTCOME_TRY(user, currentUserSid());
    const std::wstring sddl = L"D:P(A;;FA;;;SY)(A;;FA;;;BA)(A;;FA;;;" + user + L")";
    PSECURITY_DESCRIPTOR descriptor = nullptr;
    if (::ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl.c_str(), SDDL_REVISION_1,
                                                               &descriptor, nullptr) == FALSE) {
        return win32Error("cannot build a private security descriptor", ::GetLastError());
    }
    return LocalMemory(descriptor);
}

Result<HANDLE> openLockFile(const std::filesystem::path& lock_file) {
    BOOST_OUTCOME_TRY(descriptor, privateSecurityDescriptor());
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
