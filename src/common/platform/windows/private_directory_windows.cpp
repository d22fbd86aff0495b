// PrivateDirectory on Windows (FileHandle's members are in file_handle_windows.cpp). The directory
// is reached with SafeDirectory (one component at a time, relative to the previous handle, no
// symbolic link or junction followed); every name in it is then opened with NtCreateFile relative
// to the directory's handle and FILE_OPEN_REPARSE_POINT, so a reparse point planted under a name is
// the entry itself, never its target. Handles are kept as C runtime descriptors
// (_open_osfhandle), the form FileHandle holds.
//
// "Belongs to this account and writable by nobody else": the directory's owner is this account,
// LocalSystem or Administrators, and its DACL lets no other account add, delete or rename entries
// or change its DACL or owner. Files: a mode without group and other bits is a protected DACL of
// this account, LocalSystem and Administrators; any other mode inherits the directory's entries.
#include "common/platform/private_directory.hpp"
#include "common/platform/safe_path.hpp"
#include "common/platform/windows/nt_files.hpp"
#include "common/platform/windows/wide_text.hpp"
#include "common/platform/windows/win32_error.hpp"

#include <cstring>
#include <memory>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <io.h>
#include <windows.h>
// after windows.h, whose types they use
#include <aclapi.h>
#include <sddl.h>
#include <winternl.h>

namespace azcm::platform {

namespace {

using windows::isNotFound;
using windows::LocalMemory;
using windows::markForDeletion;
using windows::openRelative;
using windows::OwnedHandle;

constexpr auto kRename = static_cast<FILE_INFORMATION_CLASS>(10); // FileRenameInformation
constexpr DWORD kReparseTagAfUnix = 0x80000023L;                  // IO_REPARSE_TAG_AF_UNIX

HANDLE win32HandleOf(const FileHandle& file) {
    return reinterpret_cast<HANDLE>(::_get_osfhandle(file.native())); // NOLINT
}

// A name inside the directory: one component, not "." or "..", no separator, no ':' (which
// would name an alternate data stream).
bool isPlainName(std::string_view name) {
    return !name.empty() && name != "." && name != ".." &&
           name.find_first_of("/\\:") == std::string_view::npos;
}

Result<std::wstring> plainName(std::string_view name) {
    if (!isPlainName(name)) {
        return makeError(exitcode::kInvalidArgument, "not a file name: " + std::string(name));
    }
    return windows::toWide(name);
}

// Whether the open file belongs to this account: its user, or the default owner of the files it
// makes (Administrators for an elevated administrator).
bool isOurs(HANDLE file) {
    PSID owner = nullptr;
    PSECURITY_DESCRIPTOR raw = nullptr;
    if (::GetSecurityInfo(file, SE_FILE_OBJECT, OWNER_SECURITY_INFORMATION, &owner, nullptr,
                          nullptr, nullptr, &raw) != ERROR_SUCCESS) {
        return false;
    }
    const LocalMemory descriptor(raw);
    return windows::isThisAccount(owner);
}

struct Kind {
    DWORD attributes = 0;
    DWORD reparse_tag = 0;
};

bool kindOf(HANDLE handle, Kind& kind) {
    FILE_ATTRIBUTE_TAG_INFO tag{};
    if (::GetFileInformationByHandleEx(handle, FileAttributeTagInfo, &tag, sizeof tag) == FALSE) {
        return false;
    }
    kind.attributes = tag.FileAttributes;
    kind.reparse_tag =
        (tag.FileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) != 0 ? tag.ReparseTag : 0;
    return true;
}

bool isLink(const Kind& kind) {
    return kind.reparse_tag != 0 && IsReparseTagNameSurrogate(kind.reparse_tag);
}

bool isPlainFile(HANDLE handle) {
    Kind kind;
    return kindOf(handle, kind) && !isLink(kind) && kind.reparse_tag != kReparseTagAfUnix &&
           (kind.attributes & FILE_ATTRIBUTE_DIRECTORY) == 0 &&
           ::GetFileType(handle) == FILE_TYPE_DISK;
}

// The open handle as a C runtime descriptor, which then owns it.
Result<FileHandle> asFileHandle(OwnedHandle handle, int flags, const std::string& shown) {
    const int descriptor = ::_open_osfhandle(reinterpret_cast<intptr_t>(handle.get()), flags);
    if (descriptor < 0) {
        return makeError(exitcode::kGeneric, "cannot use " + shown + ": no C runtime descriptor");
    }
    handle.release();
    return FileHandle(descriptor);
}

// Renames the open entry to `name` in `dir`, replacing what is there.
NTSTATUS renameTo(HANDLE entry, HANDLE dir, const std::wstring& name) {
    const std::size_t size =
        offsetof(FILE_RENAME_INFORMATION, FileName) + (name.size() + 1) * sizeof(wchar_t);
    std::vector<std::uint64_t> storage((size + sizeof(std::uint64_t) - 1) / sizeof(std::uint64_t));
    auto* info = reinterpret_cast<FILE_RENAME_INFORMATION*>(storage.data());
    info->ReplaceIfExists = TRUE;
    info->RootDirectory = dir;
    info->FileNameLength = static_cast<ULONG>(name.size() * sizeof(wchar_t));
    std::memcpy(info->FileName, name.data(), name.size() * sizeof(wchar_t));
    IO_STATUS_BLOCK io{};
    return ::NtSetInformationFile(entry, &io, info, static_cast<ULONG>(size), kRename);
}

} // namespace

Result<PrivateDirectory> PrivateDirectory::open(const std::filesystem::path& path) {
    const std::filesystem::path absolute = std::filesystem::absolute(path).lexically_normal();
    BOOST_OUTCOME_TRY(shown, windows::toUtf8(absolute.native()));
    BOOST_OUTCOME_TRY(found, SafeDirectory::open(absolute.root_path(), absolute.relative_path()));
    if (!found) {
        return makeError(exitcode::kGeneric, "directory " + shown + " does not exist");
    }
    if (found->writableByOthers()) {
        return makeError(exitcode::kGeneric,
                         "directory " + shown +
                             " does not belong to this account (or LocalSystem or Administrators) "
                             "or another account may change its entries or permissions");
    }
    HANDLE duplicate = nullptr;
    if (::DuplicateHandle(::GetCurrentProcess(), found->nativeHandle(), ::GetCurrentProcess(),
                          &duplicate, 0, FALSE, DUPLICATE_SAME_ACCESS) == FALSE) {
        return win32Error("cannot open directory " + shown, ::GetLastError());
    }
    BOOST_OUTCOME_TRY(handle, asFileHandle(OwnedHandle(duplicate), _O_RDONLY, shown));
    return PrivateDirectory(std::move(handle), absolute);
}

std::string PrivateDirectory::describe(std::string_view name) const {
    auto shown = windows::toUtf8((path_ / std::filesystem::path(std::string(name))).native());
    return shown ? shown.value() : std::string(name);
}

Result<FileHandle> PrivateDirectory::createNew(std::string_view name, std::uint32_t mode) const {
    BOOST_OUTCOME_TRY(wide, plainName(name));
    BOOST_OUTCOME_TRY(security, windows::securityForMode(mode, windows::Inheritance::kEntryOnly));
    OwnedHandle file;
    // Appending only (FILE_APPEND_DATA without FILE_WRITE_DATA), as O_APPEND.
    const NTSTATUS status =
        openRelative(win32HandleOf(handle_), wide, FILE_APPEND_DATA | FILE_READ_ATTRIBUTES,
                     FILE_CREATE, FILE_NON_DIRECTORY_FILE, security.get(), file);
    if (!NT_SUCCESS(status)) {
        return windows::ntStatusError("cannot create " + describe(name), status);
    }
    return asFileHandle(std::move(file), _O_APPEND, describe(name));
}

Result<FileHandle> PrivateDirectory::openForAppend(std::string_view name,
                                                   std::uint32_t mode) const {
    BOOST_OUTCOME_TRY(wide, plainName(name));
    OwnedHandle file;
    const NTSTATUS status = openRelative(win32HandleOf(handle_), wide,
                                         FILE_APPEND_DATA | FILE_READ_ATTRIBUTES | READ_CONTROL,
                                         FILE_OPEN, 0, nullptr, file);
    if (isNotFound(status)) {
        return createNew(name, mode);
    }
    if (!NT_SUCCESS(status)) {
        return windows::ntStatusError("cannot open " + describe(name), status);
    }
    Kind kind;
    if (kindOf(file.get(), kind) && isLink(kind)) {
        return makeError(exitcode::kGeneric,
                         describe(name) + " is a symbolic link or junction; it is not followed");
    }
    if (!isPlainFile(file.get())) {
        return makeError(exitcode::kGeneric, describe(name) + " is not a regular file");
    }
    if (!isOurs(file.get())) {
        return makeError(exitcode::kGeneric,
                         describe(name) + " belongs to another account than this process's");
    }
    return asFileHandle(std::move(file), _O_APPEND, describe(name));
}

Result<FileHandle> PrivateDirectory::lockExclusive(std::string_view name) const {
    BOOST_OUTCOME_TRY(wide, plainName(name));
    BOOST_OUTCOME_TRY(security,
                      windows::privateSecurityDescriptor(windows::Inheritance::kEntryOnly));
    OwnedHandle file;
    const NTSTATUS status =
        openRelative(win32HandleOf(handle_), wide, GENERIC_READ | GENERIC_WRITE | READ_CONTROL,
                     FILE_OPEN_IF, 0, security.get(), file);
    if (!NT_SUCCESS(status)) {
        return windows::ntStatusError("cannot open lock file " + describe(name), status);
    }
    Kind kind;
    if (kindOf(file.get(), kind) && isLink(kind)) {
        return makeError(exitcode::kGeneric,
                         "lock file " + describe(name) + " is a symbolic link or junction");
    }
    if (!isPlainFile(file.get())) {
        return makeError(exitcode::kGeneric,
                         "lock file " + describe(name) + " is not a regular file");
    }
    if (!isOurs(file.get())) {
        return makeError(exitcode::kGeneric,
                         "lock file " + describe(name) +
                             " belongs to another account than this process's; a lock someone "
                             "else made is not honoured: remove it");
    }
    OVERLAPPED from_start{};
    if (::LockFileEx(file.get(), LOCKFILE_EXCLUSIVE_LOCK | LOCKFILE_FAIL_IMMEDIATELY, 0, MAXDWORD,
                     MAXDWORD, &from_start) == FALSE) {
        const DWORD error = ::GetLastError();
        if (error == ERROR_LOCK_VIOLATION || error == ERROR_IO_PENDING) {
            return makeError(exitcode::kGeneric,
                             "another instance is running (" + describe(name) + " is locked)");
        }
        return win32Error("cannot lock " + describe(name), error);
    }
    return asFileHandle(std::move(file), 0, describe(name));
}

EntryType PrivateDirectory::entryType(std::string_view name) const {
    auto wide = plainName(name);
    OwnedHandle entry;
    Kind kind;
    if (!wide ||
        !NT_SUCCESS(openRelative(win32HandleOf(handle_), wide.value(), FILE_READ_ATTRIBUTES,
                                 FILE_OPEN, 0, nullptr, entry)) ||
        !kindOf(entry.get(), kind)) {
        return EntryType::kMissing;
    }
    // AF_UNIX sockets exist on Windows 10 and later as reparse points of their own tag.
    if (kind.reparse_tag == kReparseTagAfUnix) {
        return EntryType::kSocket;
    }
    if (isLink(kind)) {
        return EntryType::kSymlink;
    }
    if ((kind.attributes & FILE_ATTRIBUTE_DIRECTORY) != 0) {
        return EntryType::kDirectory;
    }
    return ::GetFileType(entry.get()) == FILE_TYPE_DISK ? EntryType::kFile : EntryType::kOther;
}

Result<void> PrivateDirectory::rename(std::string_view from, std::string_view to) const {
    if (!isPlainName(from) || !isPlainName(to)) {
        return makeError(exitcode::kInvalidArgument, "not a file name");
    }
    BOOST_OUTCOME_TRY(wide_from, windows::toWide(from));
    BOOST_OUTCOME_TRY(wide_to, windows::toWide(to));
    const HANDLE dir = win32HandleOf(handle_);
    OwnedHandle entry;
    NTSTATUS status = openRelative(dir, wide_from, DELETE, FILE_OPEN, 0, nullptr, entry);
    if (NT_SUCCESS(status)) {
        status = renameTo(entry.get(), dir, wide_to);
    }
    if (!NT_SUCCESS(status)) {
        return windows::ntStatusError("cannot rename " + describe(from) + " to " + std::string(to),
                                      status);
    }
    return ok();
}

Result<void> PrivateDirectory::remove(std::string_view name) const {
    BOOST_OUTCOME_TRY(wide, plainName(name));
    OwnedHandle entry;
    const NTSTATUS status = openRelative(
        win32HandleOf(handle_), wide, DELETE | FILE_READ_ATTRIBUTES, FILE_OPEN, 0, nullptr, entry);
    if (isNotFound(status)) {
        return ok();
    }
    if (!NT_SUCCESS(status)) {
        return windows::ntStatusError("cannot remove " + describe(name), status);
    }
    Kind kind;
    if (kindOf(entry.get(), kind) && !isLink(kind) &&
        (kind.attributes & FILE_ATTRIBUTE_DIRECTORY) != 0) {
        return makeError(exitcode::kGeneric, "cannot remove " + describe(name) + ": a directory");
    }
    if (!markForDeletion(entry.get())) {
        return win32Error("cannot remove " + describe(name), ::GetLastError());
    }
    return ok();
}

Result<void> PrivateDirectory::symlink(const std::string& target, std::string_view name) const {
    // Creating a symbolic link needs SeCreateSymbolicLinkPrivilege (or Developer Mode); a service
    // must not depend on either.
    return makeError(exitcode::kUnsupported, "cannot create the link " + describe(name) + " -> " +
                                                 target +
                                                 ": symbolic links are not made on Windows");
}

std::string PrivateDirectory::linkTarget(std::string_view /*name*/) const {
    // symlink() makes no links on Windows, so no name here is a link of ours to read back.
    return {};
}

} // namespace azcm::platform
