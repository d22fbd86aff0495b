#pragma once
// The NT file-system pieces the Windows file code shares: an owned HANDLE, NtCreateFile of a name
// relative to an open directory (a symbolic link or junction is opened itself, never followed),
// and the private DACL that stands for a POSIX mode without group and other bits. Windows-only.
#include "common/error.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <windows.h>
// after windows.h, whose types it uses
#include <winternl.h>

namespace azcm::platform::windows {

inline constexpr ULONG kShareAll = FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE;
inline constexpr NTSTATUS kStatusObjectNameNotFound = static_cast<NTSTATUS>(0xC0000034L);
inline constexpr NTSTATUS kStatusObjectPathNotFound = static_cast<NTSTATUS>(0xC000003AL);

// A kernel handle, closed when it goes. Null and INVALID_HANDLE_VALUE both mean "none".
class OwnedHandle {
public:
    OwnedHandle() = default;
    explicit OwnedHandle(HANDLE handle) : handle_(handle) {}
    OwnedHandle(const OwnedHandle&) = delete;
    OwnedHandle& operator=(const OwnedHandle&) = delete;
    OwnedHandle(OwnedHandle&& other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}
    OwnedHandle& operator=(OwnedHandle&& other) noexcept {
        std::swap(handle_, other.handle_);
        return *this;
    }
    ~OwnedHandle() {
        if (isOpen()) {
            ::CloseHandle(handle_);
        }
    }
    bool isOpen() const { return handle_ != nullptr && handle_ != INVALID_HANDLE_VALUE; }
    HANDLE get() const { return handle_; }
    HANDLE release() { return std::exchange(handle_, nullptr); }
    // For the calls that return a handle through a pointer (OpenProcessToken); only while empty.
    HANDLE* out() { return &handle_; }

private:
    HANDLE handle_ = nullptr;
};

struct LocalFreeDeleter {
    void operator()(void* memory) const { ::LocalFree(memory); }
};
using LocalMemory = std::unique_ptr<void, LocalFreeDeleter>;

// The name or a directory on the way to it does not exist.
bool isNotFound(NTSTATUS status);

// An Error reading "<what>: <the Win32 text of the NT status>".
Error ntStatusError(std::string what, NTSTATUS status);

// NtCreateFile of `name` relative to the open directory `dir`. A symbolic link or junction is
// opened itself (FILE_OPEN_REPARSE_POINT), never followed. Others may read, write and delete the
// entry meanwhile unless `share` says otherwise, as on POSIX.
NTSTATUS openRelative(HANDLE dir,
                      const std::wstring& name,
                      ACCESS_MASK access,
                      ULONG disposition,
                      ULONG options,
                      void* security,
                      OwnedHandle& out,
                      ULONG share = kShareAll);

// Deletes the open entry (it needs DELETE access); the name goes when the last handle closes.
bool markForDeletion(HANDLE handle);

// Calls `visit` with the name of every entry of the open directory ("." and ".." included), read
// through its handle. Returns the Win32 error that ended the listing: ERROR_NO_MORE_FILES when
// the whole directory was read.
DWORD listDirectory(HANDLE dir, const std::function<void(std::wstring_view)>& visit);

// A SID of the process token (TokenUser or TokenOwner), copied out; empty when unreadable.
std::vector<std::uint64_t> tokenSid(TOKEN_INFORMATION_CLASS which);

// Whether `sid` is this process's account: its user, or the default owner of the files it makes
// (Administrators for an elevated administrator).
bool isThisAccount(PSID sid);

// The string form of this process's user SID ("S-1-5-18" for LocalSystem).
Result<std::wstring> currentUserSid();

// Whether the private DACL's entries also pass to what is made inside a directory (so that a
// private directory's contents stay private), or apply to the entry alone.
enum class Inheritance { kEntryOnly, kToChildren };

// Full access for this account, LocalSystem and Administrators (who can take any file anyway),
// nobody else, nothing inherited from above ("P").
Result<LocalMemory> privateSecurityDescriptor(Inheritance inheritance);

// The security descriptor of a new entry of POSIX mode `mode`: the private one when the mode
// gives group and others nothing, none (the parent's inheritable entries) otherwise.
Result<LocalMemory> securityForMode(std::uint32_t mode, Inheritance inheritance);

// The DACL, in SDDL, of a file shared with one group as a POSIX mode with group bits and no other
// bits (0640) shares it: the private entries for `owner_sid`, and the group's bits for
// `group_sid` (r: FR, w: FW, x: FX). An error for a mode with other bits or no group bits.
Result<std::wstring> groupSharedFileSddl(const std::wstring& owner_sid,
                                         const std::wstring& group_sid,
                                         std::uint32_t mode);

// The security descriptor of a new file of mode `mode` shared with local group `group_sid`.
Result<LocalMemory> securityForGroupShare(std::uint32_t mode, const std::wstring& group_sid);

} // namespace azcm::platform::windows
