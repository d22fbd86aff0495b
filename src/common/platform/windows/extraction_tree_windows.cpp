// ExtractionTree on Windows. Every directory and file is created with NtCreateFile relative to the
// handle of the directory above it, with FILE_OPEN_REPARSE_POINT: a junction or symbolic link
// planted under a name is refused, never followed. Handles are kept as C runtime descriptors
// (_open_osfhandle), the `int` of the interface.
//
// Names come from an archive nobody vouches for and reach NtCreateFile unchanged, so every one a
// Windows tool would read differently is refused before anything is created: separators ('\' and
// '/'), ':' (an alternate data stream: "a.txt:evil" writes into a stream of "a.txt"), the other
// characters Win32 reserves (< > " | ? *) and control characters, a trailing dot or space
// (Win32 strips them, so "a." would be a different file than Win32's "a"), and the device names
// (CON, PRN, AUX, NUL, CONIN$, CONOUT$, COM0-9, LPT0-9 and their superscript-digit forms), with or
// without an extension ("nul.txt" is the device to Win32).
//
// Modes: a mode without group and other bits is a protected DACL of this account, LocalSystem
// and Administrators; any other mode inherits the entries of the directory above.
#include "common/platform/extraction_tree.hpp"
#include "common/platform/windows/nt_files.hpp"
#include "common/platform/windows/wide_text.hpp"
#include "common/platform/windows/win32_error.hpp"

#include <algorithm>
#include <array>
#include <memory>
#include <utility>

#include <fcntl.h>
#include <io.h>
#include <windows.h>
// after windows.h, whose types they use
#include <sddl.h>
#include <winternl.h>

namespace azcm::platform {

namespace {

using windows::kShareAll;
using windows::LocalMemory;
using windows::openRelative;
using windows::OwnedHandle;

constexpr ACCESS_MASK kDirectoryAccess = FILE_LIST_DIRECTORY | FILE_TRAVERSE | FILE_READ_ATTRIBUTES;

HANDLE win32HandleOf(int descriptor) {
    return reinterpret_cast<HANDLE>(::_get_osfhandle(descriptor)); // NOLINT
}

// A descriptor owning a directory handle, closed unless released.
class Descriptor {
public:
    explicit Descriptor(int descriptor) : descriptor_(descriptor) {}
    Descriptor(const Descriptor&) = delete;
    Descriptor& operator=(const Descriptor&) = delete;
    Descriptor(Descriptor&&) = delete;
    Descriptor& operator=(Descriptor&&) = delete;
    ~Descriptor() {
        if (descriptor_ >= 0) {
            ::_close(descriptor_);
        }
    }
    int get() const { return descriptor_; }
    int release() { return std::exchange(descriptor_, -1); }
    void reset(int descriptor) {
        if (descriptor_ >= 0) {
            ::_close(descriptor_);
        }
        descriptor_ = descriptor;
    }

private:
    int descriptor_;
};

std::string shownPath(const std::filesystem::path& path) {
    auto shown = windows::toUtf8(path.native());
    return shown ? shown.value() : std::string("(a path that is not Unicode)");
}

std::string joined(const std::vector<std::string>& components, std::size_t count) {
    std::string shown;
    for (std::size_t i = 0; i < count; ++i) {
        shown += (i == 0 ? "" : "/") + components[i];
    }
    return shown;
}

std::string upper(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(), [](char c) {
        return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
    });
    return out;
}

bool isDeviceName(std::string_view name) {
    // The device part is what precedes the first '.', without trailing spaces ("NUL .txt").
    std::string base = upper(name.substr(0, name.find('.')));
    while (!base.empty() && base.back() == ' ') {
        base.pop_back();
    }
    static constexpr std::array<std::string_view, 6> kDevices = {"CON", "PRN",    "AUX",
                                                                 "NUL", "CONIN$", "CONOUT$"};
    if (std::find(kDevices.begin(), kDevices.end(), base) != kDevices.end()) {
        return true;
    }
    if (base.size() < 4 || (base.compare(0, 3, "COM") != 0 && base.compare(0, 3, "LPT") != 0)) {
        return false;
    }
    const std::string_view digit = std::string_view(base).substr(3);
    // '0'-'9', and the superscripts 1, 2, 3 (U+00B9, U+00B2, U+00B3) Windows also takes.
    return (digit.size() == 1 && digit[0] >= '0' && digit[0] <= '9') || digit == "\xC2\xB9" ||
           digit == "\xC2\xB2" || digit == "\xC2\xB3";
}

// Why `name` cannot be created as it stands on Windows; empty when it can.
std::string unsafeNameReason(const std::string& name) {
    if (name.empty() || name == "." || name == "..") {
        return "not a plain name";
    }
    for (const char c : name) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte == 0x7F) {
            return "contains a control character";
        }
    }
    if (name.find(':') != std::string::npos) {
        return "contains ':' (an alternate data stream)";
    }
    if (name.find_first_of("/\\") != std::string::npos) {
        return "contains a path separator";
    }
    if (name.find_first_of("<>\"|?*") != std::string::npos) {
        return "contains a character Windows reserves";
    }
    if (name.back() == '.' || name.back() == ' ') {
        return "ends with a dot or a space";
    }
    if (isDeviceName(name)) {
        return "is a device name on Windows";
    }
    return {};
}

Result<std::wstring> checkedName(const std::vector<std::string>& components, std::size_t index) {
    if (const std::string why = unsafeNameReason(components[index]); !why.empty()) {
        return makeError(exitcode::kGeneric,
                         "not a plain name: " + joined(components, index + 1) + " " + why);
    }
    return windows::toWide(components[index]);
}

// Private for a mode without group and other bits (inheritable, so that what is made inside a
// private directory stays private), none (the parent's inheritable entries) otherwise.
Result<LocalMemory> securityFor(std::uint32_t mode) {
    return windows::securityForMode(mode, windows::Inheritance::kToChildren);
}

// A plain directory: not a symbolic link or junction (a name surrogate) in its place.
bool isPlainDirectory(HANDLE handle) {
    FILE_ATTRIBUTE_TAG_INFO tag{};
    if (::GetFileInformationByHandleEx(handle, FileAttributeTagInfo, &tag, sizeof tag) == FALSE ||
        (tag.FileAttributes & FILE_ATTRIBUTE_DIRECTORY) == 0) {
        return false;
    }
    return (tag.FileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) == 0 ||
           !IsReparseTagNameSurrogate(tag.ReparseTag);
}

Result<int> toDescriptor(OwnedHandle handle, const std::string& shown) {
    const int descriptor = ::_open_osfhandle(reinterpret_cast<intptr_t>(handle.get()), _O_RDONLY);
    if (descriptor < 0) {
        return makeError(exitcode::kGeneric, "cannot use " + shown + ": no C runtime descriptor");
    }
    handle.release();
    return descriptor;
}

// Opens (creating it when missing) the directory `name` in `parent`; a directory this call
// makes gets the security of `mode` from its creation on.
Result<int> openOrMakeDirectory(HANDLE parent,
                                const std::wstring& name,
                                std::uint32_t mode,
                                const std::string& shown) {
    BOOST_OUTCOME_TRY(security, securityFor(mode));
    OwnedHandle handle;
    const NTSTATUS status = openRelative(parent, name, kDirectoryAccess, FILE_OPEN_IF,
                                         FILE_DIRECTORY_FILE, security.get(), handle);
    if (!NT_SUCCESS(status)) {
        return windows::ntStatusError("cannot create directory " + shown, status);
    }
    if (!isPlainDirectory(handle.get())) {
        return makeError(exitcode::kGeneric, "cannot create directory " + shown +
                                                 ": a symbolic link or junction "
                                                 "is in its place");
    }
    return toDescriptor(std::move(handle), shown);
}

} // namespace

ExtractedFile::ExtractedFile(int descriptor, std::string shown)
    : descriptor_(descriptor), shown_(std::move(shown)) {}

ExtractedFile::ExtractedFile(ExtractedFile&& other) noexcept
    : descriptor_(std::exchange(other.descriptor_, -1)), shown_(std::move(other.shown_)) {}

ExtractedFile::~ExtractedFile() {
    if (descriptor_ >= 0) {
        ::_close(descriptor_);
    }
}

Result<void> ExtractedFile::write(std::string_view bytes) {
    const HANDLE file = win32HandleOf(descriptor_);
    while (!bytes.empty()) {
        const auto chunk =
            static_cast<DWORD>(std::min<std::size_t>(bytes.size(), std::size_t{1} << 30));
        DWORD written = 0;
        if (::WriteFile(file, bytes.data(), chunk, &written, nullptr) == FALSE) {
            return win32Error("cannot write " + shown_, ::GetLastError());
        }
        bytes.remove_prefix(written);
    }
    return ok();
}

ExtractionTree::ExtractionTree(int descriptor,
                               std::filesystem::path path,
                               std::uint32_t directory_mode)
    : descriptor_(descriptor), path_(std::move(path)), directory_mode_(directory_mode) {}

ExtractionTree::ExtractionTree(ExtractionTree&& other) noexcept
    : descriptor_(std::exchange(other.descriptor_, -1)), path_(std::move(other.path_)),
      directory_mode_(other.directory_mode_) {}

ExtractionTree::~ExtractionTree() {
    if (descriptor_ >= 0) {
        ::_close(descriptor_);
    }
}

Result<ExtractionTree> ExtractionTree::create(const std::filesystem::path& dir,
                                              std::uint32_t directory_mode) {
    const auto parent_path =
        dir.parent_path().empty() ? std::filesystem::path(".") : dir.parent_path();
    BOOST_OUTCOME_TRY(name, windows::toUtf8(dir.filename().native()));
    if (!unsafeNameReason(name).empty()) {
        return makeError(exitcode::kGeneric, "not a directory name: " + shownPath(dir));
    }
    // The parent is the caller's own and may be reached through links.
    OwnedHandle parent(::CreateFileW(parent_path.c_str(), kDirectoryAccess | SYNCHRONIZE, kShareAll,
                                     nullptr, OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS, nullptr));
    if (!parent.isOpen()) {
        return win32Error("cannot open " + shownPath(parent_path), ::GetLastError());
    }
    BOOST_OUTCOME_TRY(security, securityFor(0700));
    OwnedHandle tree;
    const NTSTATUS status = openRelative(parent.get(), dir.filename().native(), kDirectoryAccess,
                                         FILE_CREATE, FILE_DIRECTORY_FILE, security.get(), tree);
    if (!NT_SUCCESS(status)) {
        return windows::ntStatusError("cannot create " + shownPath(dir), status);
    }
    BOOST_OUTCOME_TRY(descriptor, toDescriptor(std::move(tree), shownPath(dir)));
    return ExtractionTree(descriptor, dir, directory_mode);
}

Result<void> ExtractionTree::makeDirectory(const std::vector<std::string>& components) const {
    BOOST_OUTCOME_TRY(directory, openDirectories(components, components.size()));
    ::_close(directory);
    return ok();
}

Result<int> ExtractionTree::openDirectories(const std::vector<std::string>& components,
                                            std::size_t count) const {
    // Every name is checked before the first directory is made: a hostile entry leaves nothing.
    for (std::size_t i = 0; i < count; ++i) {
        BOOST_OUTCOME_TRY(checkedName(components, i));
    }
    HANDLE duplicate = nullptr;
    if (::DuplicateHandle(::GetCurrentProcess(), win32HandleOf(descriptor_), ::GetCurrentProcess(),
                          &duplicate, 0, FALSE, DUPLICATE_SAME_ACCESS) == FALSE) {
        return win32Error("cannot open " + shownPath(path_), ::GetLastError());
    }
    BOOST_OUTCOME_TRY(first, toDescriptor(OwnedHandle(duplicate), shownPath(path_)));
    Descriptor current(first);
    for (std::size_t i = 0; i < count; ++i) {
        BOOST_OUTCOME_TRY(wide, checkedName(components, i));
        BOOST_OUTCOME_TRY(next, openOrMakeDirectory(win32HandleOf(current.get()), wide,
                                                    directory_mode_, joined(components, i + 1)));
        current.reset(next);
    }
    return current.release();
}

Result<ExtractedFile> ExtractionTree::createFile(const std::vector<std::string>& components,
                                                 std::uint32_t mode) const {
    if (components.empty()) {
        return makeError(exitcode::kGeneric, "not a plain name: (empty)");
    }
    BOOST_OUTCOME_TRY(wide, checkedName(components, components.size() - 1));
    BOOST_OUTCOME_TRY(directory, openDirectories(components, components.size() - 1));
    const Descriptor current(directory);
    const std::string shown = joined(components, components.size());
    BOOST_OUTCOME_TRY(security, securityFor(mode));
    // FILE_CREATE: never an existing file, never through a link planted under the name.
    OwnedHandle file;
    const NTSTATUS status =
        openRelative(win32HandleOf(current.get()), wide, FILE_WRITE_DATA | FILE_READ_ATTRIBUTES,
                     FILE_CREATE, FILE_NON_DIRECTORY_FILE, security.get(), file);
    if (!NT_SUCCESS(status)) {
        return windows::ntStatusError("cannot create " + shown, status);
    }
    BOOST_OUTCOME_TRY(descriptor, toDescriptor(std::move(file), shown));
    return ExtractedFile(descriptor, shown);
}

} // namespace azcm::platform
