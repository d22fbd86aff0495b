// fs/atomic_file.hpp on Windows. Every step of a write goes through an open handle of the
// directory (NtCreateFile and the rename and link information classes take a RootDirectory), never
// through its path, so both writeFileAtomic overloads share one implementation, as on POSIX.
//
// The new content goes to a temporary file in the same directory, is flushed
// (FlushFileBuffers), and is renamed over the old file with ReplaceIfExists: NTFS performs that
// rename as one journaled operation, so a reader sees the old file or the new one, never a torn
// or missing one. ReplaceFileW is not used: it moves the old file away before it moves the new
// one in (its ERROR_UNABLE_TO_MOVE_REPLACEMENT_2 leaves no file under the name), and it would keep
// the old file's DACL where the caller asked for a mode.
//
// Modes: Windows has no permission bits. A mode that gives group and others nothing (0600, 0700)
// becomes a protected DACL for this account, LocalSystem and Administrators; with a group (a local
// group's RID), that DACL plus the mode's group bits for the group (0640: read), and other bits
// are refused; any other mode leaves the new file with the inheritable entries of its directory's
// DACL, which is how Windows shares files.
#include "common/fs/atomic_file.hpp"
#include "common/platform/windows/account_sid.hpp"
#include "common/platform/windows/nt_files.hpp"
#include "common/platform/windows/wide_text.hpp"
#include "common/platform/windows/win32_error.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>
#include <random>
#include <utility>
#include <vector>

#include <windows.h>
// after windows.h, whose types they use
#include <aclapi.h>
#include <sddl.h>
#include <winternl.h>

namespace azcm::fs {

namespace stdfs = std::filesystem;
namespace windows = platform::windows;

namespace {

using windows::kShareAll;
using windows::LocalMemory;
using windows::markForDeletion;
using windows::openRelative;
using windows::OwnedHandle;

constexpr std::size_t kTempSuffixLength = 12; // hex digits of a temp file's random suffix
constexpr NTSTATUS kStatusDeletePending = static_cast<NTSTATUS>(0xC0000056L);

std::string shown(const stdfs::path& path) {
    return windows::toUtf8Lossy(path.native());
}

Error lastError(const std::string& what, const stdfs::path& path) {
    return platform::win32Error(what + " " + shown(path), ::GetLastError());
}

Error statusError(const std::string& what, const stdfs::path& path, NTSTATUS status) {
    return windows::ntStatusError(what + " " + shown(path), status);
}

// The security descriptor a new file or directory gets: private for a private mode, none (the
// directory's inheritable entries) otherwise; with a group (the RID of a local group,
// platform/accounts.hpp), private plus the group's bits for that group. A group that cannot be
// named is refused before anything is created.
Result<LocalMemory> securityFor(const FileMode& mode, const stdfs::path& path) {
    if (!mode.group) {
        return windows::securityForMode(mode.mode, windows::Inheritance::kEntryOnly);
    }
    auto domain = windows::accountDomainSid();
    if (!domain) {
        return makeError(exitcode::kGeneric, "cannot give " + shown(path) + " local group " +
                                                 std::to_string(*mode.group) + ": " +
                                                 domain.error().message);
    }
    BOOST_OUTCOME_TRY(group_sid,
                      windows::toWide(domain.value() + "-" + std::to_string(*mode.group)));
    auto security = windows::securityForGroupShare(mode.mode, group_sid);
    if (!security) {
        return makeError(exitcode::kGeneric, "cannot give " + shown(path) +
                                                 " mode and group: " + security.error().message);
    }
    return std::move(security.value());
}

// Whether `handle` is a plain file: not a directory, not a symbolic link or junction.
bool isPlainFile(HANDLE handle, BY_HANDLE_FILE_INFORMATION& info) {
    return ::GetFileInformationByHandle(handle, &info) != FALSE &&
           (info.dwFileAttributes & (FILE_ATTRIBUTE_DIRECTORY | FILE_ATTRIBUTE_REPARSE_POINT)) == 0;
}

bool sameFile(const BY_HANDLE_FILE_INFORMATION& a, const BY_HANDLE_FILE_INFORMATION& b) {
    return a.dwVolumeSerialNumber == b.dwVolumeSerialNumber &&
           a.nFileIndexHigh == b.nFileIndexHigh && a.nFileIndexLow == b.nFileIndexLow;
}

// Whether `name` in `dir` is the file `info` describes. The handle opened to look is closed
// again at once: a classic rename cannot replace a file while any handle to it is open.
bool isSameFileAs(HANDLE dir, const std::wstring& name, const BY_HANDLE_FILE_INFORMATION& info) {
    OwnedHandle named;
    BY_HANDLE_FILE_INFORMATION named_info{};
    return NT_SUCCESS(openRelative(dir, name, FILE_READ_ATTRIBUTES, FILE_OPEN,
                                   FILE_NON_DIRECTORY_FILE, nullptr, named)) &&
           isPlainFile(named.get(), named_info) && sameFile(info, named_info);
}

// The information classes of renames and hard links, and their flags (winternl.h of MinGW has
// only the first two).
constexpr auto kRename = static_cast<FILE_INFORMATION_CLASS>(10);   // FileRenameInformation
constexpr auto kLink = static_cast<FILE_INFORMATION_CLASS>(11);     // FileLinkInformation
constexpr auto kRenameEx = static_cast<FILE_INFORMATION_CLASS>(65); // FileRenameInformationEx
constexpr ULONG kRenameReplaceIfExists = 0x1;                       // FILE_RENAME_REPLACE_IF_EXISTS
constexpr ULONG kRenamePosixSemantics = 0x2;                        // FILE_RENAME_POSIX_SEMANTICS

// Gives the open file the name `name` in `dir` (a rename, or a new hard link). The three
// information classes share one layout: a 32-bit field (ReplaceIfExists, or the Ex classes'
// Flags), the root directory, the name.
NTSTATUS setName(HANDLE file,
                 HANDLE dir,
                 const std::wstring& name,
                 FILE_INFORMATION_CLASS what,
                 ULONG replace_or_flags) {
    static_assert(sizeof(FILE_RENAME_INFORMATION) == sizeof(FILE_LINK_INFORMATION));
    const std::size_t size =
        offsetof(FILE_RENAME_INFORMATION, FileName) + (name.size() + 1) * sizeof(wchar_t);
    std::vector<std::uint64_t> storage((size + sizeof(std::uint64_t) - 1) / sizeof(std::uint64_t));
    auto* info = reinterpret_cast<FILE_RENAME_INFORMATION*>(storage.data());
    std::memcpy(info, &replace_or_flags, sizeof replace_or_flags);
    info->RootDirectory = dir;
    info->FileNameLength = static_cast<ULONG>(name.size() * sizeof(wchar_t));
    std::copy(name.begin(), name.end(), info->FileName);
    IO_STATUS_BLOCK io{};
    return ::NtSetInformationFile(file, &io, info, static_cast<ULONG>(size), what);
}

// Renames the open file over `name` in `dir` in one operation. POSIX semantics (NTFS on Windows
// 10 1709 and later) let the rename replace a file that readers hold open, as rename(2) does;
// where they are not implemented (older systems, other file systems, wine) the classic rename is
// used, which Windows refuses while another handle has the old file open (access denied): the
// old file then stays, whole.
NTSTATUS renameOver(HANDLE file, HANDLE dir, const std::wstring& name) {
    const NTSTATUS status =
        setName(file, dir, name, kRenameEx, kRenameReplaceIfExists | kRenamePosixSemantics);
    constexpr std::array<NTSTATUS, 4> kNotAvailable = {
        static_cast<NTSTATUS>(0xC0000002L),  // STATUS_NOT_IMPLEMENTED
        static_cast<NTSTATUS>(0xC0000003L),  // STATUS_INVALID_INFO_CLASS
        static_cast<NTSTATUS>(0xC000000DL),  // STATUS_INVALID_PARAMETER
        static_cast<NTSTATUS>(0xC00000BBL)}; // STATUS_NOT_SUPPORTED
    if (std::find(kNotAvailable.begin(), kNotAvailable.end(), status) == kNotAvailable.end()) {
        return status;
    }
    return setName(file, dir, name, kRename, TRUE);
}

void removeAt(HANDLE dir, const std::wstring& name) {
    OwnedHandle file;
    if (NT_SUCCESS(
            openRelative(dir, name, DELETE, FILE_OPEN, FILE_NON_DIRECTORY_FILE, nullptr, file))) {
        markForDeletion(file.get());
    }
}

Result<void> writeAll(HANDLE file, std::string_view content, const stdfs::path& path) {
    while (!content.empty()) {
        const auto chunk =
            static_cast<DWORD>(std::min<std::size_t>(content.size(), std::size_t{1} << 30));
        DWORD written = 0;
        if (::WriteFile(file, content.data(), chunk, &written, nullptr) == FALSE) {
            return lastError("cannot write", path);
        }
        content.remove_prefix(written);
    }
    return ok();
}

std::string randomSuffix() {
    static thread_local std::mt19937_64 engine{std::random_device{}()};
    static constexpr std::array<char, 16> kHex = {'0', '1', '2', '3', '4', '5', '6', '7',
                                                  '8', '9', 'a', 'b', 'c', 'd', 'e', 'f'};
    std::string out;
    auto value = engine();
    for (std::size_t i = 0; i < kTempSuffixLength; ++i) {
        out.push_back(kHex.at(value & 0xF));
        value >>= 4;
    }
    return out;
}

std::string tempPrefix(const std::string& name) {
    return "." + name + ".tmp-";
}

// Whether `entry` is a temporary file of `name` (".<name>.tmp-" and exactly the random suffix, so
// the temp files of a file called "<name>.tmp-x" never match).
bool isTempOf(std::string_view entry, const std::string& name) {
    const std::string prefix = tempPrefix(name);
    if (entry.size() != prefix.size() + kTempSuffixLength ||
        entry.substr(0, prefix.size()) != prefix) {
        return false;
    }
    return std::all_of(entry.begin() + static_cast<std::ptrdiff_t>(prefix.size()), entry.end(),
                       [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// Creates `name` in `dir` exclusively with its final DACL, then the content. On failure the new
// file is deleted through its own handle. The handle (with DELETE access) is returned so the
// caller can rename the very file it wrote.
Result<OwnedHandle> createAt(HANDLE dir,
                             const std::string& name,
                             const stdfs::path& path,
                             std::string_view content,
                             const FileMode& mode,
                             Durability durability) {
    BOOST_OUTCOME_TRY(security, securityFor(mode, path));
    BOOST_OUTCOME_TRY(wide_name, windows::toWide(name));
    OwnedHandle file;
    const NTSTATUS status = openRelative(dir, wide_name, GENERIC_WRITE | DELETE, FILE_CREATE,
                                         FILE_NON_DIRECTORY_FILE, security.get(), file, 0);
    if (!NT_SUCCESS(status)) {
        return statusError("cannot create", path, status);
    }
    auto fail = [&](Error error) {
        markForDeletion(file.get());
        return error;
    };
    if (auto written = writeAll(file.get(), content, path); !written) {
        return fail(written.error());
    }
    if (durability == Durability::kSynced && ::FlushFileBuffers(file.get()) == FALSE) {
        return fail(lastError("cannot flush", path));
    }
    return file;
}

Result<OwnedHandle> openDirectory(const stdfs::path& dir) {
    OwnedHandle handle(::CreateFileW(dir.c_str(), FILE_LIST_DIRECTORY | FILE_TRAVERSE | SYNCHRONIZE,
                                     kShareAll, nullptr, OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS,
                                     nullptr));
    if (!handle.isOpen()) {
        return lastError("cannot open directory", dir);
    }
    return handle;
}

// Whether the file belongs to this account (its user, or the default owner of its files, which
// is Administrators for an elevated administrator), LocalSystem or Administrators.
bool hasTrustedOwner(HANDLE file) {
    PSID owner = nullptr;
    PSECURITY_DESCRIPTOR descriptor = nullptr;
    if (::GetSecurityInfo(file, SE_FILE_OBJECT, OWNER_SECURITY_INFORMATION, &owner, nullptr,
                          nullptr, nullptr, &descriptor) != ERROR_SUCCESS) {
        return false;
    }
    const LocalMemory owned(descriptor);
    return windows::isThisAccount(owner) || ::IsWellKnownSid(owner, WinLocalSystemSid) != FALSE ||
           ::IsWellKnownSid(owner, WinBuiltinAdministratorsSid) != FALSE;
}

// The writers' lock of one file: an exclusive LockFileEx on ".<name>.lock" beside it, held from
// before the temp file exists until after the rename, so a temp file seen by a lock holder
// belongs to a writer that died. The holder marks the lock file for deletion when it is done (no
// lasting litter); Windows deletes it when the last waiter's handle closes too. A waiter that then
// wins the lock on the doomed file finds that the name no longer opens to it (a file marked for
// deletion cannot be opened: STATUS_DELETE_PENDING) and takes the lock afresh.
class WriterLock {
public:
    static Result<WriterLock>
    acquire(HANDLE dir, const stdfs::path& shown_dir, const std::string& file_name) {
        BOOST_OUTCOME_TRY(name, windows::toWide("." + file_name + ".lock"));
        const stdfs::path path = shown_dir / ("." + file_name + ".lock");
        BOOST_OUTCOME_TRY(security,
                          windows::privateSecurityDescriptor(windows::Inheritance::kEntryOnly));
        for (;;) {
            OwnedHandle file;
            const NTSTATUS status =
                openRelative(dir, name, GENERIC_READ | GENERIC_WRITE | DELETE, FILE_OPEN_IF,
                             FILE_NON_DIRECTORY_FILE, security.get(), file);
            if (status == kStatusDeletePending) {
                ::Sleep(1); // the previous holder's file goes with its last handle
                continue;
            }
            if (!NT_SUCCESS(status)) {
                return statusError("cannot open lock file", path, status);
            }
            BY_HANDLE_FILE_INFORMATION held{};
            if (!isPlainFile(file.get(), held)) {
                return makeError(exitcode::kGeneric,
                                 "refusing lock file " + shown(path) + ": not a plain file");
            }
            // Another account's lock file could hold every writer off: refused, never honoured.
            if (!hasTrustedOwner(file.get())) {
                return makeError(exitcode::kGeneric,
                                 "refusing lock file " + shown(path) +
                                     ": owned by another account than this one, LocalSystem or "
                                     "Administrators");
            }
            OVERLAPPED from_start{};
            if (::LockFileEx(file.get(), LOCKFILE_EXCLUSIVE_LOCK, 0, MAXDWORD, MAXDWORD,
                             &from_start) == FALSE) {
                return lastError("cannot lock", path);
            }
            if (isSameFileAs(dir, name, held)) {
                return WriterLock(std::move(file));
            }
            // The previous holder deleted the file while this one waited: try again.
        }
    }
    WriterLock(WriterLock&& other) noexcept : file_(std::move(other.file_)) {}
    WriterLock(const WriterLock&) = delete;
    WriterLock& operator=(const WriterLock&) = delete;
    WriterLock& operator=(WriterLock&&) = delete;
    ~WriterLock() {
        if (file_.isOpen()) {
            markForDeletion(file_.get()); // before the lock goes with the handle
        }
    }

private:
    explicit WriterLock(OwnedHandle file) : file_(std::move(file)) {}
    OwnedHandle file_;
};

// Under the lock: removes the temp files that writers killed before their rename left behind.
void sweepStaleTemps(HANDLE dir, const std::string& name) {
    std::vector<std::wstring> stale;
    windows::listDirectory(dir, [&](std::wstring_view entry) {
        if (isTempOf(windows::toUtf8Lossy(entry), name)) {
            stale.emplace_back(entry);
        }
    });
    for (const auto& entry : stale) {
        removeAt(dir, entry);
    }
}

// Replaces "<name>.bak" by the current file in one rename: a hard link under a temp name first,
// so there is always a backup, the old one or the new one.
Result<void> keepBackup(HANDLE dir, const std::string& name, const stdfs::path& path) {
    BOOST_OUTCOME_TRY(wide_name, windows::toWide(name));
    OwnedHandle current;
    BY_HANDLE_FILE_INFORMATION current_info{};
    if (!NT_SUCCESS(openRelative(dir, wide_name, FILE_READ_ATTRIBUTES, FILE_OPEN,
                                 FILE_NON_DIRECTORY_FILE, nullptr, current)) ||
        !isPlainFile(current.get(), current_info)) {
        return ok(); // nothing to keep
    }
    BOOST_OUTCOME_TRY(bak, windows::toWide(name + ".bak"));
    const stdfs::path shown_bak = stdfs::path(path.native() + L".bak");
    if (isSameFileAs(dir, bak, current_info)) {
        return ok(); // already the backup (a writer died after keeping it)
    }
    BOOST_OUTCOME_TRY(link_name, windows::toWide(tempPrefix(name) + randomSuffix()));
    if (const NTSTATUS linked = setName(current.get(), dir, link_name, kLink, FALSE);
        !NT_SUCCESS(linked)) {
        return statusError("cannot keep backup", shown_bak, linked);
    }
    OwnedHandle link;
    NTSTATUS status =
        openRelative(dir, link_name, DELETE, FILE_OPEN, FILE_NON_DIRECTORY_FILE, nullptr, link);
    if (NT_SUCCESS(status)) {
        status = renameOver(link.get(), dir, bak);
    }
    if (!NT_SUCCESS(status)) {
        removeAt(dir, link_name);
        return statusError("cannot keep backup", shown_bak, status);
    }
    return ok();
}

// The write itself, relative to the directory's handle; `dir_path` only names it in messages.
Result<void> writeAt(HANDLE dir,
                     const stdfs::path& dir_path,
                     const std::string& name,
                     std::string_view content,
                     const FileMode& mode,
                     bool backup) {
    BOOST_OUTCOME_TRY(wide_name, windows::toWide(name));
    const stdfs::path path = dir_path / wide_name;
    auto lock = WriterLock::acquire(dir, dir_path, name); // held until the rename is flushed
    if (!lock) {
        return lock.error();
    }
    sweepStaleTemps(dir, name);
    const std::string temp = tempPrefix(name) + randomSuffix();
    BOOST_OUTCOME_TRY(wide_temp, windows::toWide(temp));
    BOOST_OUTCOME_TRY(
        file, createAt(dir, temp, dir_path / wide_temp, content, mode, Durability::kSynced));
    if (backup) {
        if (auto kept = keepBackup(dir, name, path); !kept) {
            markForDeletion(file.get());
            return kept;
        }
    }
    if (const NTSTATUS status = renameOver(file.get(), dir, wide_name); !NT_SUCCESS(status)) {
        markForDeletion(file.get());
        return statusError("cannot replace", path, status);
    }
    // NTFS journals the rename; flushing the renamed file commits the journal up to it.
    if (::FlushFileBuffers(file.get()) == FALSE) {
        return lastError("cannot flush", path);
    }
    return ok();
}

bool isNotFound(DWORD error) {
    return error == ERROR_FILE_NOT_FOUND || error == ERROR_PATH_NOT_FOUND;
}

// Opens a plain file for reading, never through a symbolic link or junction at its last
// component. Others may go on writing, renaming or deleting it meanwhile, as on POSIX.
Result<OwnedHandle> openForReading(const stdfs::path& path, LARGE_INTEGER& size) {
    OwnedHandle file(::CreateFileW(path.c_str(), GENERIC_READ, kShareAll, nullptr, OPEN_EXISTING,
                                   FILE_FLAG_OPEN_REPARSE_POINT | FILE_FLAG_BACKUP_SEMANTICS,
                                   nullptr));
    if (!file.isOpen()) {
        const DWORD error = ::GetLastError();
        return makeError(
            isNotFound(error) ? exitcode::kConfigFileNotFound : exitcode::kGeneric,
            platform::win32ErrorText(error).insert(0, "cannot open " + shown(path) + ": "));
    }
    BY_HANDLE_FILE_INFORMATION info{};
    if (!isPlainFile(file.get(), info) || ::GetFileSizeEx(file.get(), &size) == FALSE) {
        return makeError(exitcode::kGeneric, "not a regular file: " + shown(path));
    }
    return file;
}

} // namespace

Result<void> createExclusive(const stdfs::path& path,
                             std::string_view content,
                             FileMode mode,
                             Durability durability) {
    const stdfs::path dir = path.has_parent_path() ? path.parent_path() : stdfs::path(".");
    BOOST_OUTCOME_TRY(dir_handle, openDirectory(dir));
    BOOST_OUTCOME_TRY(name, windows::toUtf8(path.filename().native()));
    auto file = createAt(dir_handle.get(), name, path, content, mode, durability);
    if (!file) {
        return file.error();
    }
    return ok();
}

Result<void>
writeFileAtomic(const stdfs::path& path, std::string_view content, FileMode mode, bool backup) {
    const stdfs::path dir = path.has_parent_path() ? path.parent_path() : stdfs::path(".");
    BOOST_OUTCOME_TRY(dir_handle, openDirectory(dir));
    BOOST_OUTCOME_TRY(name, windows::toUtf8(path.filename().native()));
    return writeAt(dir_handle.get(), dir, name, content, mode, backup);
}

Result<std::string> readFile(const stdfs::path& path, std::size_t max_bytes) {
    LARGE_INTEGER size{};
    BOOST_OUTCOME_TRY(file, openForReading(path, size));
    if (static_cast<std::uint64_t>(size.QuadPart) > max_bytes) {
        return makeError(exitcode::kGeneric, "file too large: " + shown(path));
    }
    std::string out;
    std::array<char, 8192> buffer{};
    for (;;) {
        DWORD got = 0;
        if (::ReadFile(file.get(), buffer.data(), static_cast<DWORD>(buffer.size()), &got,
                       nullptr) == FALSE) {
            return lastError("cannot read", path);
        }
        if (got == 0) {
            break;
        }
        out.append(buffer.data(), got);
        if (out.size() > max_bytes) { // it grew while it was read
            return makeError(exitcode::kGeneric, "file too large: " + shown(path));
        }
    }
    return out;
}

Result<void> ensureDirectory(const stdfs::path& path, FileMode mode) {
    std::error_code ec;
    if (stdfs::is_directory(stdfs::symlink_status(path, ec))) {
        return ok();
    }
    BOOST_OUTCOME_TRY(security, securityFor(mode, path));
    if (path.has_parent_path() && path.parent_path() != path) {
        stdfs::create_directories(path.parent_path(), ec);
        if (ec) {
            return makeError(exitcode::kGeneric,
                             "cannot create " + shown(path.parent_path()) + ": " + ec.message());
        }
    }
    SECURITY_ATTRIBUTES attributes{sizeof(SECURITY_ATTRIBUTES), security.get(), FALSE};
    if (::CreateDirectoryW(path.c_str(), &attributes) == FALSE) {
        const DWORD error = ::GetLastError();
        // Made by another writer meanwhile: kept as it is, as on POSIX only a directory this
        // call creates gets the mode.
        if (error != ERROR_ALREADY_EXISTS ||
            !stdfs::is_directory(stdfs::symlink_status(path, ec))) {
            return platform::win32Error("cannot create directory " + shown(path), error);
        }
    }
    return ok();
}

Result<void> removeFile(const stdfs::path& path) {
    if (::DeleteFileW(path.c_str()) == FALSE && !isNotFound(::GetLastError())) {
        return lastError("cannot remove", path);
    }
    return ok();
}

Result<std::string> readFileOfSize(const stdfs::path& path, std::uint64_t expected) {
    LARGE_INTEGER size{};
    BOOST_OUTCOME_TRY(file, openForReading(path, size));
    if (static_cast<std::uint64_t>(size.QuadPart) != expected) {
        return makeError(exitcode::kGeneric, "size mismatch: expected " + std::to_string(expected) +
                                                 " bytes, got " + std::to_string(size.QuadPart));
    }
    std::string content(static_cast<std::size_t>(expected), '\0');
    std::size_t done = 0;
    while (done < content.size()) {
        const auto chunk =
            static_cast<DWORD>(std::min<std::size_t>(content.size() - done, std::size_t{1} << 30));
        DWORD got = 0;
        if (::ReadFile(file.get(), content.data() + done, chunk, &got, nullptr) == FALSE ||
            got == 0) {
            return makeError(exitcode::kGeneric, "changed while it was read: " + shown(path));
        }
        done += got;
    }
    return content;
}

Result<void> syncDirectory(const stdfs::path& directory) {
    // Flushing a directory needs a handle with write access; NTFS then commits the directory's
    // entries.
    OwnedHandle dir(::CreateFileW(directory.c_str(), GENERIC_READ | GENERIC_WRITE, kShareAll,
                                  nullptr, OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS, nullptr));
    if (!dir.isOpen()) {
        return lastError("cannot open", directory);
    }
    if (::FlushFileBuffers(dir.get()) == FALSE) {
        return lastError("cannot flush", directory);
    }
    return ok();
}

Result<void> renameDurably(const stdfs::path& from, const stdfs::path& to) {
    // MOVEFILE_WRITE_THROUGH returns only once the rename is on disk.
    if (::MoveFileExW(from.c_str(), to.c_str(),
                      MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH) == FALSE) {
        return lastError("cannot rename " + shown(from) + " to", to);
    }
    return ok();
}

Result<void> writeFileAtomic(const platform::SafeDirectory& dir,
                             const std::string& name,
                             std::string_view content,
                             FileMode mode,
                             bool backup) {
    if (name.empty() || name == "." || name == ".." ||
        name.find_first_of("/\\:") != std::string::npos) {
        return makeError(exitcode::kGeneric,
                         "cannot write " + dir.shownPathOf(name) + ": not a file name");
    }
    BOOST_OUTCOME_TRY(dir_path, windows::toWide(dir.shownPath()));
    return writeAt(dir.nativeHandle(), dir_path, name, content, mode, backup);
}

} // namespace azcm::fs
