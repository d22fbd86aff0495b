// SafeDirectory on Windows: NtCreateFile relative to the previous component's handle, with
// FILE_OPEN_REPARSE_POINT, so a symbolic link or junction is opened itself and never followed.
// Policy in safe_path.hpp, with these Windows meanings:
// - A reparse point that stands for another name (symbolic link, junction: a "name surrogate")
//   is refused wherever the walk meets one. Linux follows root's own links; reading a reparse
//   target and mapping its absolute NT path back under the walk's root is not done here, so no
//   link is followed at all (fail closed).
// - "Mode": a mode without group and other bits is a protected DACL of this account, LocalSystem
//   and Administrators; any other mode leaves the entry its parent's inheritable entries. The
//   mode reported reads the DACL back: owner bits always set, the group and other bits from what
//   accounts other than the trusted ones are granted.
// - Windows has no numeric user or group ids: uid and gid read 0 and setting them is refused
//   (kUnsupported).
// - "Writable by others": the owner is not a trusted account (this one, LocalSystem,
//   Administrators, TrustedInstaller), or the DACL lets another account add, delete or rename
//   entries or change the directory's DACL or owner.
#include "common/platform/safe_path.hpp"
#include "common/platform/windows/nt_files.hpp"
#include "common/platform/windows/wide_text.hpp"
#include "common/platform/windows/win32_error.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>
#include <utility>

#include <windows.h>
// after windows.h, whose types they use
#include <aclapi.h>
#include <sddl.h>
#include <winternl.h>

namespace azcm::platform {

namespace {

using windows::isNotFound;
using windows::kShareAll;
using windows::LocalMemory;
using windows::markForDeletion;
using windows::openRelative;
using windows::OwnedHandle;

constexpr std::size_t kMaxDepth = 256; // levels removeDirectory descends (one handle each)
constexpr NTSTATUS kStatusNotADirectory = static_cast<NTSTATUS>(0xC0000103L);
constexpr ACCESS_MASK kDirectoryAccess =
    FILE_LIST_DIRECTORY | FILE_TRAVERSE | FILE_READ_ATTRIBUTES | READ_CONTROL;
// Rights that let an account change a directory's entries or take the directory over.
constexpr ACCESS_MASK kChangeRights =
    FILE_ADD_FILE | FILE_ADD_SUBDIRECTORY | FILE_DELETE_CHILD | DELETE | WRITE_DAC | WRITE_OWNER;

std::string join(const std::string& dir, std::string_view name) {
    return (dir == "/" ? dir : dir + "/") + std::string(name);
}

Error refused(const std::string& shown, const std::string& why) {
    return makeError(exitcode::kGeneric, shown + ": " + why);
}

Error ntFailure(const std::string& shown, const std::string& what, NTSTATUS status) {
    return refused(shown, what + ": " + win32ErrorText(::RtlNtStatusToDosError(status)));
}

// One component: not "." or "..", no separator, no ':' (which would name an alternate data
// stream of the entry instead of the entry).
Result<std::wstring> checkedName(const std::string& shown, const std::string& name) {
    if (name.empty() || name == "." || name == ".." ||
        name.find_first_of("/\\:") != std::string::npos) {
        return refused(join(shown, name), "not a single path component");
    }
    return windows::toWide(name);
}

// ---- accounts and DACLs -------------------------------------------------------------------------

bool isTrustedInstaller(PSID sid) {
    wchar_t* text = nullptr;
    if (::ConvertSidToStringSidW(sid, &text) == FALSE) {
        return false;
    }
    const LocalMemory owned(text);
    return std::wcscmp(text, L"S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464") ==
           0;
}

// This process's account (its user, or the default owner of its files, Administrators for an
// elevated administrator), LocalSystem, Administrators, or the TrustedInstaller service that
// owns the system's own directories.
bool isTrustedSid(PSID sid) {
    return windows::isThisAccount(sid) || ::IsWellKnownSid(sid, WinLocalSystemSid) != FALSE ||
           ::IsWellKnownSid(sid, WinBuiltinAdministratorsSid) != FALSE || isTrustedInstaller(sid);
}

struct Protection {
    bool trusted_owner = false;
    ACCESS_MASK granted_to_others = 0; // the union of what untrusted accounts are allowed
};

Result<Protection> protectionOf(HANDLE handle, const std::string& shown) {
    PSID owner = nullptr;
    PACL dacl = nullptr;
    PSECURITY_DESCRIPTOR raw = nullptr;
    const DWORD error = ::GetSecurityInfo(handle, SE_FILE_OBJECT,
                                          OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION,
                                          &owner, nullptr, &dacl, nullptr, &raw);
    if (error != ERROR_SUCCESS) {
        return refused(shown, "cannot read the security descriptor: " + win32ErrorText(error));
    }
    const LocalMemory descriptor(raw);
    Protection protection;
    protection.trusted_owner = owner != nullptr && isTrustedSid(owner);
    if (dacl == nullptr) { // no DACL: everyone may do anything
        protection.granted_to_others = FILE_ALL_ACCESS;
        return protection;
    }
    GENERIC_MAPPING mapping = {FILE_GENERIC_READ, FILE_GENERIC_WRITE, FILE_GENERIC_EXECUTE,
                               FILE_ALL_ACCESS};
    for (DWORD i = 0; i < dacl->AceCount; ++i) {
        void* raw_ace = nullptr;
        if (::GetAce(dacl, i, &raw_ace) == FALSE) {
            continue;
        }
        const auto* header = static_cast<const ACE_HEADER*>(raw_ace);
        // Deny entries only take rights away; inherit-only entries apply to children only.
        if (header->AceType != ACCESS_ALLOWED_ACE_TYPE || (header->AceFlags & INHERIT_ONLY_ACE)) {
            continue;
        }
        auto* ace = static_cast<ACCESS_ALLOWED_ACE*>(raw_ace);
        if (isTrustedSid(&ace->SidStart)) {
            continue;
        }
        ACCESS_MASK mask = ace->Mask;
        ::MapGenericMask(&mask, &mapping);
        protection.granted_to_others |= mask;
    }
    return protection;
}

bool writableByOthers(const Protection& protection) {
    return !protection.trusted_owner || (protection.granted_to_others & kChangeRights) != 0;
}

// The security descriptor of a new directory: private for a private mode, none (the parent's
// inheritable entries) otherwise. A group has no Windows meaning and is refused.
// Private directories pass their DACL on, so that what is made inside stays private.
constexpr auto kPrivateInheritance = windows::Inheritance::kToChildren;

bool isPrivateMode(std::uint32_t mode) {
    return (mode & 077U) == 0;
}

Result<LocalMemory> securityFor(const NewDirectory& mode, const std::string& shown) {
    if (mode.gid) {
        return makeError(exitcode::kUnsupported, shown + ": cannot give group " +
                                                     std::to_string(*mode.gid) +
                                                     ": numeric groups have no meaning on Windows");
    }
    return windows::securityForMode(mode.mode, kPrivateInheritance);
}

// ---- entries ------------------------------------------------------------------------------------

struct Identity {
    DWORD attributes = 0;
    DWORD reparse_tag = 0;
    std::uint64_t links = 1;
};

Result<Identity> identityOf(HANDLE handle, const std::string& shown) {
    FILE_ATTRIBUTE_TAG_INFO tag{};
    BY_HANDLE_FILE_INFORMATION info{};
    if (::GetFileInformationByHandleEx(handle, FileAttributeTagInfo, &tag, sizeof tag) == FALSE ||
        ::GetFileInformationByHandle(handle, &info) == FALSE) {
        return refused(shown, "cannot stat: " + win32ErrorText(::GetLastError()));
    }
    Identity identity;
    identity.attributes = tag.FileAttributes;
    identity.reparse_tag =
        (tag.FileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) != 0 ? tag.ReparseTag : 0;
    identity.links = info.nNumberOfLinks;
    return identity;
}

// A reparse point that stands for another name: a symbolic link or a junction. Others (cloud
// placeholders, deduplicated files) are the file or directory they look like.
bool isLink(const Identity& identity) {
    return identity.reparse_tag != 0 && IsReparseTagNameSurrogate(identity.reparse_tag);
}

bool isDirectory(const Identity& identity) {
    return !isLink(identity) && (identity.attributes & FILE_ATTRIBUTE_DIRECTORY) != 0;
}

Result<EntryStatus> statusOf(HANDLE handle, const std::string& shown) {
    BOOST_OUTCOME_TRY(identity, identityOf(handle, shown));
    EntryStatus status;
    status.kind = isLink(identity)        ? EntryKind::kSymlink
                  : isDirectory(identity) ? EntryKind::kDirectory
                                          : EntryKind::kRegular;
    status.links = identity.links;
    status.uid = 0; // Windows has no numeric ids
    status.gid = 0;
    const bool directory = status.kind == EntryKind::kDirectory;
    std::uint32_t others = 0;
    if (auto protection = protectionOf(handle, shown)) {
        const ACCESS_MASK granted = protection.value().granted_to_others;
        others |= (granted & FILE_READ_DATA) != 0 ? 04U : 0U;
        others |= (granted & (FILE_WRITE_DATA | FILE_APPEND_DATA)) != 0 ? 02U : 0U;
        others |= (granted & FILE_EXECUTE) != 0 ? 01U : 0U;
    }
    status.mode = (directory ? 0700U : 0600U) | (others << 3U) | others;
    return status;
}

// Names in a directory, read through its handle.
Result<std::vector<std::string>> listNames(HANDLE dir, const std::string& shown) {
    std::vector<std::string> names;
    std::optional<Error> unreadable;
    const DWORD error = windows::listDirectory(dir, [&](std::wstring_view name) {
        if (unreadable || name == L"." || name == L"..") {
            return;
        }
        auto utf8 = windows::toUtf8(name);
        if (!utf8) {
            unreadable = std::move(utf8).error();
            return;
        }
        names.push_back(std::move(utf8).value());
    });
    if (unreadable) {
        return *unreadable;
    }
    if (error != ERROR_NO_MORE_FILES) {
        return refused(shown, "cannot read: " + win32ErrorText(error));
    }
    return names;
}

// glob(7) of one name, as fnmatch(FNM_PERIOD): a leading '.' only matched by a '.'. Letters
// compare without regard to ASCII case, as the file system compares names.
bool globMatches(std::string_view pattern, std::string_view name, bool at_start = true) {
    auto fold = [](char c) {
        return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    };
    std::size_t p = 0;
    std::size_t n = 0;
    while (p < pattern.size()) {
        const char c = pattern[p];
        if (c == '*') {
            if (n == 0 && at_start && !name.empty() && name.front() == '.') {
                return false;
            }
            for (std::size_t rest = n; rest <= name.size(); ++rest) {
                if (globMatches(pattern.substr(p + 1), name.substr(rest), false)) {
                    return true;
                }
            }
            return false;
        }
        if (n >= name.size() || (n == 0 && at_start && name.front() == '.' && c != '.')) {
            return false;
        }
        if (c == '?') {
            ++p;
            ++n;
            continue;
        }
        if (c == '[') {
            std::size_t q = p + 1;
            const bool negate = q < pattern.size() && (pattern[q] == '!' || pattern[q] == '^');
            q += negate ? 1 : 0;
            bool matched = false;
            bool first = true;
            while (q < pattern.size() && (first || pattern[q] != ']')) {
                first = false;
                if (q + 2 < pattern.size() && pattern[q + 1] == '-' && pattern[q + 2] != ']') {
                    matched = matched || (fold(name[n]) >= fold(pattern[q]) &&
                                          fold(name[n]) <= fold(pattern[q + 2]));
                    q += 3;
                } else {
                    matched = matched || fold(name[n]) == fold(pattern[q]);
                    ++q;
                }
            }
            if (q < pattern.size()) { // a closed set
                if (matched == negate) {
                    return false;
                }
                p = q + 1;
                ++n;
                continue;
            }
            // An unclosed '[' is an ordinary character.
        }
        if (fold(c) != fold(name[n])) {
            return false;
        }
        ++p;
        ++n;
    }
    return n == name.size();
}

// ---- the walk -----------------------------------------------------------------------------------

struct Frame {
    OwnedHandle handle;
    std::string shown;
    bool writable_by_others = false;
};

struct Creation {
    NewDirectory intermediate;
    NewDirectory last;
};

Result<Frame> openRoot(const std::filesystem::path& root) {
    // The root is the operator's own and may be reached through links.
    OwnedHandle handle(::CreateFileW(root.c_str(), kDirectoryAccess | SYNCHRONIZE, kShareAll,
                                     nullptr, OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS, nullptr));
    BOOST_OUTCOME_TRY(shown_root, windows::toUtf8(root.native()));
    if (!handle.isOpen()) {
        return refused(shown_root, "cannot open: " + win32ErrorText(::GetLastError()));
    }
    BOOST_OUTCOME_TRY(protection, protectionOf(handle.get(), shown_root));
    return Frame{std::move(handle), "/", writableByOthers(protection)};
}

// The next directory of the walk; nullopt when `name` does not exist (and is not to be made).
Result<std::optional<Frame>>
openComponent(const Frame& top, const std::string& name, const NewDirectory* creation) {
    const std::string shown = join(top.shown, name);
    BOOST_OUTCOME_TRY(wide, checkedName(top.shown, name));
    OwnedHandle handle;
    NTSTATUS status =
        openRelative(top.handle.get(), wide, kDirectoryAccess, FILE_OPEN, 0, nullptr, handle);
    if (isNotFound(status) && creation != nullptr) {
        BOOST_OUTCOME_TRY(security, securityFor(*creation, shown));
        // FILE_OPEN_IF: one made meanwhile by someone else is opened and checked like any other.
        status = openRelative(top.handle.get(), wide, kDirectoryAccess, FILE_OPEN_IF,
                              FILE_DIRECTORY_FILE, security.get(), handle);
    }
    if (isNotFound(status)) {
        return std::optional<Frame>{};
    }
    if (status == kStatusNotADirectory) {
        return refused(shown, "not a directory");
    }
    if (!NT_SUCCESS(status)) {
        return ntFailure(shown, "cannot open", status);
    }
    BOOST_OUTCOME_TRY(identity, identityOf(handle.get(), shown));
    if (isLink(identity)) {
        return refused(shown, "a symbolic link or junction; not followed (the walk follows no "
                              "reparse point on Windows)");
    }
    if (!isDirectory(identity)) {
        return refused(shown, "not a directory");
    }
    BOOST_OUTCOME_TRY(protection, protectionOf(handle.get(), shown));
    return std::optional<Frame>{Frame{std::move(handle), shown, writableByOthers(protection)}};
}

Result<std::optional<Frame>> walk(const std::filesystem::path& root,
                                  const std::filesystem::path& relative,
                                  const Creation* creation) {
    std::vector<std::string> pending;
    for (const auto& part : relative.relative_path()) {
        BOOST_OUTCOME_TRY(name, windows::toUtf8(part.native()));
        if (!name.empty()) {
            pending.push_back(std::move(name));
        }
    }
    for (const auto& part : pending) {
        if (part == "." || part == "..") {
            BOOST_OUTCOME_TRY(shown, windows::toUtf8(relative.generic_wstring()));
            return refused("/" + shown, "must not contain . or ..");
        }
    }
    BOOST_OUTCOME_TRY(top, openRoot(root));
    for (std::size_t i = 0; i < pending.size(); ++i) {
        const NewDirectory* mode = nullptr;
        if (creation != nullptr) {
            mode = i + 1 == pending.size() ? &creation->last : &creation->intermediate;
        }
        BOOST_OUTCOME_TRY(next, openComponent(top, pending[i], mode));
        if (!next) {
            return std::optional<Frame>{};
        }
        top = std::move(*next);
    }
    return std::optional<Frame>{std::move(top)};
}

// Opens `name` in `dir` as itself, whatever it is, for reading its status.
NTSTATUS openForStatus(HANDLE dir, const std::wstring& name, OwnedHandle& out) {
    return openRelative(dir, name, FILE_READ_ATTRIBUTES | READ_CONTROL, FILE_OPEN, 0, nullptr, out);
}

} // namespace

// ---- SafeEntry ----------------------------------------------------------------------------------

SafeEntry::SafeEntry(NativeHandle handle, EntryStatus status, std::string shown)
    : handle_(handle), status_(status), shown_(std::move(shown)) {}

SafeEntry::SafeEntry(SafeEntry&& other) noexcept
    : handle_(std::exchange(other.handle_, nullptr)), status_(other.status_),
      shown_(std::move(other.shown_)) {}

SafeEntry::~SafeEntry() {
    if (handle_ != nullptr) {
        ::CloseHandle(handle_);
    }
}

Result<void> SafeEntry::setOwner(std::optional<std::uint32_t> uid,
                                 std::optional<std::uint32_t> gid) {
    if (!uid && !gid) {
        return ok();
    }
    return makeError(exitcode::kUnsupported,
                     shown_ + ": cannot change the owner: numeric user and group ids have no "
                              "meaning on Windows");
}

Result<void> SafeEntry::setMode(std::uint32_t mode) {
    if (isPrivateMode(mode)) {
        BOOST_OUTCOME_TRY(descriptor, windows::privateSecurityDescriptor(kPrivateInheritance));
        BOOL present = FALSE;
        BOOL defaulted = FALSE;
        PACL dacl = nullptr;
        ::GetSecurityDescriptorDacl(descriptor.get(), &present, &dacl, &defaulted);
        const DWORD error =
            ::SetSecurityInfo(handle_, SE_FILE_OBJECT,
                              DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION,
                              nullptr, nullptr, dacl, nullptr);
        if (error != ERROR_SUCCESS) {
            return refused(shown_, "cannot change the mode: " + win32ErrorText(error));
        }
        return ok();
    }
    // A shared mode: the entries inherited from the parent, nothing of its own. Through a handle
    // the parent's entries cannot be inherited afresh, so an entry that has none left (a private
    // one) is refused rather than left unreadable.
    PACL current = nullptr;
    PSECURITY_DESCRIPTOR raw = nullptr;
    if (const DWORD error = ::GetSecurityInfo(handle_, SE_FILE_OBJECT, DACL_SECURITY_INFORMATION,
                                              nullptr, nullptr, &current, nullptr, &raw);
        error != ERROR_SUCCESS) {
        return refused(shown_, "cannot read the security descriptor: " + win32ErrorText(error));
    }
    const LocalMemory owned(raw);
    std::vector<std::uint64_t> storage(8192);
    auto* dacl = reinterpret_cast<PACL>(storage.data());
    ::InitializeAcl(dacl, static_cast<DWORD>(storage.size() * 8), ACL_REVISION);
    for (DWORD i = 0; current != nullptr && i < current->AceCount; ++i) {
        void* ace = nullptr;
        if (::GetAce(current, i, &ace) != FALSE &&
            (static_cast<ACE_HEADER*>(ace)->AceFlags & INHERITED_ACE) != 0) {
            ::AddAce(dacl, ACL_REVISION, MAXDWORD, ace, static_cast<ACE_HEADER*>(ace)->AceSize);
        }
    }
    if (dacl->AceCount == 0) {
        return refused(shown_, "cannot give mode " + std::to_string(mode) +
                                   ": it has no inherited permissions to fall back to");
    }
    const DWORD error = ::SetSecurityInfo(
        handle_, SE_FILE_OBJECT, DACL_SECURITY_INFORMATION | UNPROTECTED_DACL_SECURITY_INFORMATION,
        nullptr, nullptr, dacl, nullptr);
    if (error != ERROR_SUCCESS) {
        return refused(shown_, "cannot change the mode: " + win32ErrorText(error));
    }
    return ok();
}

Result<std::string> SafeEntry::read(std::size_t max_bytes) const {
    if (status_.kind != EntryKind::kRegular) {
        return refused(shown_, "not a regular file");
    }
    std::string out;
    std::array<char, 8192> buffer{};
    for (;;) {
        DWORD got = 0;
        if (::ReadFile(handle_, buffer.data(), static_cast<DWORD>(buffer.size()), &got, nullptr) ==
            FALSE) {
            return refused(shown_, "cannot read: " + win32ErrorText(::GetLastError()));
        }
        if (got == 0) {
            return out;
        }
        out.append(buffer.data(), got);
        if (out.size() > max_bytes) {
            return refused(shown_, "larger than " + std::to_string(max_bytes) + " bytes");
        }
    }
}

// ---- SafeDirectory ------------------------------------------------------------------------------

SafeDirectory::SafeDirectory(NativeHandle handle, std::string shown, bool writable_by_others)
    : handle_(handle), shown_(std::move(shown)), writable_by_others_(writable_by_others) {}

SafeDirectory::SafeDirectory(SafeDirectory&& other) noexcept
    : handle_(std::exchange(other.handle_, nullptr)), shown_(std::move(other.shown_)),
      writable_by_others_(other.writable_by_others_) {}

SafeDirectory::~SafeDirectory() {
    if (handle_ != nullptr) {
        ::CloseHandle(handle_);
    }
}

Result<std::optional<SafeDirectory>> SafeDirectory::open(const std::filesystem::path& root,
                                                         const std::filesystem::path& relative) {
    BOOST_OUTCOME_TRY(found, walk(root, relative, nullptr));
    if (!found) {
        return std::optional<SafeDirectory>{};
    }
    return std::optional<SafeDirectory>{
        SafeDirectory(found->handle.release(), std::move(found->shown), found->writable_by_others)};
}

Result<SafeDirectory> SafeDirectory::openOrCreate(const std::filesystem::path& root,
                                                  const std::filesystem::path& relative,
                                                  NewDirectory intermediate,
                                                  NewDirectory last) {
    const Creation creation{intermediate, last};
    BOOST_OUTCOME_TRY(found, walk(root, relative, &creation));
    if (!found) { // a component vanished between its creation and its opening
        BOOST_OUTCOME_TRY(shown, windows::toUtf8(relative.generic_wstring()));
        return refused("/" + shown, "removed while being created");
    }
    return SafeDirectory(found->handle.release(), std::move(found->shown),
                         found->writable_by_others);
}

std::string SafeDirectory::shownPathOf(std::string_view name) const {
    return join(shown_, name);
}

Result<std::optional<EntryStatus>> pathStatus(const std::filesystem::path& path) {
    BOOST_OUTCOME_TRY(shown, windows::toUtf8(path.native()));
    OwnedHandle handle(::CreateFileW(
        path.c_str(), FILE_READ_ATTRIBUTES | READ_CONTROL, kShareAll, nullptr, OPEN_EXISTING,
        FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OPEN_REPARSE_POINT, nullptr));
    if (!handle.isOpen()) {
        const DWORD error = ::GetLastError();
        if (error == ERROR_FILE_NOT_FOUND || error == ERROR_PATH_NOT_FOUND) {
            return std::optional<EntryStatus>{};
        }
        return makeError(exitcode::kGeneric, "cannot stat " + shown + ": " + win32ErrorText(error));
    }
    BOOST_OUTCOME_TRY(status, statusOf(handle.get(), shown));
    return std::optional<EntryStatus>{status};
}

Result<std::optional<EntryStatus>> SafeDirectory::status(const std::string& name) const {
    BOOST_OUTCOME_TRY(wide, checkedName(shown_, name));
    OwnedHandle handle;
    const NTSTATUS status = openForStatus(handle_, wide, handle);
    if (isNotFound(status)) {
        return std::optional<EntryStatus>{};
    }
    if (!NT_SUCCESS(status)) {
        return ntFailure(shownPathOf(name), "cannot stat", status);
    }
    BOOST_OUTCOME_TRY(entry, statusOf(handle.get(), shownPathOf(name)));
    return std::optional<EntryStatus>{entry};
}

Result<SafeEntry> SafeDirectory::openEntry(const std::string& name) const {
    BOOST_OUTCOME_TRY(wide, checkedName(shown_, name));
    // MAXIMUM_ALLOWED: reading, and changing the DACL when this account may (as the owner can).
    OwnedHandle handle;
    const NTSTATUS status =
        openRelative(handle_, wide, MAXIMUM_ALLOWED, FILE_OPEN, 0, nullptr, handle);
    if (!NT_SUCCESS(status)) {
        return ntFailure(shownPathOf(name), "cannot open", status);
    }
    BOOST_OUTCOME_TRY(entry, statusOf(handle.get(), shownPathOf(name)));
    if (entry.kind == EntryKind::kSymlink) {
        return refused(shownPathOf(name), "it is a symbolic link");
    }
    return SafeEntry(handle.release(), entry, shownPathOf(name));
}

Result<void> SafeDirectory::removeFile(const std::string& name) const {
    BOOST_OUTCOME_TRY(wide, checkedName(shown_, name));
    OwnedHandle handle;
    const NTSTATUS status =
        openRelative(handle_, wide, DELETE | FILE_READ_ATTRIBUTES, FILE_OPEN, 0, nullptr, handle);
    if (isNotFound(status)) {
        return ok();
    }
    if (!NT_SUCCESS(status)) {
        return ntFailure(shownPathOf(name), "cannot remove", status);
    }
    BOOST_OUTCOME_TRY(identity, identityOf(handle.get(), shownPathOf(name)));
    if (isDirectory(identity)) {
        return refused(shownPathOf(name), "cannot remove: it is a directory");
    }
    if (!markForDeletion(handle.get())) {
        return refused(shownPathOf(name), "cannot remove: " + win32ErrorText(::GetLastError()));
    }
    return ok();
}

Result<void> SafeDirectory::removeDirectory(const std::string& name, bool recursive) const {
    BOOST_OUTCOME_TRY(wide, checkedName(shown_, name));
    // Each level through its directory's handle: a directory swapped for a junction is removed
    // (the junction itself), never entered.
    struct Remover {
        Result<void> remove(HANDLE parent,
                            const std::wstring& entry,
                            const std::string& shown,
                            bool recursive,
                            std::size_t depth) {
            OwnedHandle handle;
            const NTSTATUS status = openRelative(parent, entry, DELETE | kDirectoryAccess,
                                                 FILE_OPEN, 0, nullptr, handle);
            if (isNotFound(status)) {
                return ok();
            }
            if (!NT_SUCCESS(status)) {
                return ntFailure(shown, "cannot remove", status);
            }
            BOOST_OUTCOME_TRY(identity, identityOf(handle.get(), shown));
            if (isDirectory(identity) && recursive) {
                if (depth >= kMaxDepth) {
                    return refused(shown, "more than " + std::to_string(kMaxDepth) +
                                              " levels deep; not removed");
                }
                BOOST_OUTCOME_TRY(names, listNames(handle.get(), shown));
                for (const auto& child : names) {
                    BOOST_OUTCOME_TRY(child_wide, windows::toWide(child));
                    BOOST_OUTCOME_TRY(
                        remove(handle.get(), child_wide, join(shown, child), recursive, depth + 1));
                }
            } else if (!isDirectory(identity) && depth == 0) {
                return refused(shown, "cannot remove: not a directory");
            }
            if (!markForDeletion(handle.get())) {
                return refused(shown, "cannot remove: " + win32ErrorText(::GetLastError()));
            }
            return ok();
        }
    };
    return Remover{}.remove(handle_, wide, shownPathOf(name), recursive, 0);
}

Result<void> SafeDirectory::makeDirectory(const std::string& name, NewDirectory mode) const {
    BOOST_OUTCOME_TRY(wide, checkedName(shown_, name));
    BOOST_OUTCOME_TRY(security, securityFor(mode, shownPathOf(name)));
    OwnedHandle handle;
    const NTSTATUS status = openRelative(handle_, wide, FILE_READ_ATTRIBUTES, FILE_OPEN_IF,
                                         FILE_DIRECTORY_FILE, security.get(), handle);
    if (status == kStatusNotADirectory) {
        return refused(shownPathOf(name), "exists and is not a directory");
    }
    if (!NT_SUCCESS(status)) {
        return ntFailure(shownPathOf(name), "cannot create", status);
    }
    BOOST_OUTCOME_TRY(identity, identityOf(handle.get(), shownPathOf(name)));
    if (!isDirectory(identity)) {
        return refused(shownPathOf(name), "exists and is not a directory");
    }
    return ok();
}

Result<std::vector<std::string>> SafeDirectory::entriesMatching(std::string_view pattern) const {
    BOOST_OUTCOME_TRY(names, listNames(handle_, shown_));
    std::vector<std::string> matching;
    for (auto& name : names) {
        if (globMatches(pattern, name)) {
            matching.push_back(std::move(name));
        }
    }
    std::sort(matching.begin(), matching.end());
    return matching;
}

} // namespace azcm::platform
