// The process environment and the program lookup of child_environment.hpp on Windows.
#include "common/platform/child_environment.hpp"
#include "common/platform/windows/wide_text.hpp"

#include <cwctype>
#include <memory>

#include <windows.h>

namespace azcm::platform {

namespace {

namespace stdfs = std::filesystem;

struct EnvironmentStringsDeleter {
    void operator()(wchar_t* strings) const { ::FreeEnvironmentStringsW(strings); }
};

// The directories a bare program name is looked up in: the system directory and the Windows
// directory, as the system reports them (not %SystemRoot% or PATH, which whoever started the
// daemon could have set).
std::vector<stdfs::path> programDirectories() {
    std::vector<stdfs::path> directories;
    wchar_t buffer[MAX_PATH + 1] = {};
    if (const UINT size = ::GetSystemDirectoryW(buffer, MAX_PATH); size > 0 && size < MAX_PATH) {
        directories.emplace_back(std::wstring(buffer, size));
    }
    if (const UINT size = ::GetSystemWindowsDirectoryW(buffer, MAX_PATH);
        size > 0 && size < MAX_PATH) {
        directories.emplace_back(std::wstring(buffer, size));
    }
    return directories;
}

std::string describeDirectories(const std::vector<stdfs::path>& directories) {
    std::string text;
    for (const auto& directory : directories) {
        text += (text.empty() ? "" : ";") + windows::toUtf8Lossy(directory.native());
    }
    return text;
}

// CreateProcessW runs images only: the one exception, a .bat or .cmd file it hands to cmd.exe
// with the command line re-read by cmd's rules, is exactly the shell this interface never
// starts unasked. So a program is an .exe file.
bool hasExeExtension(const stdfs::path& path) {
    std::wstring extension = path.extension().native();
    for (auto& c : extension) {
        c = static_cast<wchar_t>(std::towlower(c));
    }
    return extension == L".exe";
}

bool isRegularFile(const stdfs::path& path) {
    const DWORD attributes = ::GetFileAttributesW(path.c_str());
    return attributes != INVALID_FILE_ATTRIBUTES &&
           (attributes & (FILE_ATTRIBUTE_DIRECTORY | FILE_ATTRIBUTE_DEVICE)) == 0;
}

} // namespace

EnvironmentMap processEnvironment() {
    EnvironmentMap environment;
    const std::unique_ptr<wchar_t, EnvironmentStringsDeleter> block(::GetEnvironmentStringsW());
    if (!block) {
        return environment;
    }
    // NAME=value entries, each NUL-terminated, an empty one last. Entries whose name starts with
    // '=' ("=C:=C:\dir", the current directory of each drive) are the shell's, not variables.
    for (const wchar_t* entry = block.get(); *entry != L'\0';) {
        const std::wstring_view text(entry);
        const auto equals = text.find(L'=', 1);
        if (text.front() != L'=' && equals != std::wstring_view::npos) {
            environment.emplace(windows::toUtf8Lossy(text.substr(0, equals)),
                                windows::toUtf8Lossy(text.substr(equals + 1)));
        }
        entry += text.size() + 1;
    }
    return environment;
}

std::optional<std::string> environmentVariable(const std::string& name) {
    const auto wide_name = windows::toWide(name);
    if (!wide_name) {
        return std::nullopt; // no variable has a name that is not UTF-8
    }
    std::wstring value(256, L'\0');
    for (;;) {
        ::SetLastError(ERROR_SUCCESS);
        const DWORD size = ::GetEnvironmentVariableW(wide_name.value().c_str(), value.data(),
                                                     static_cast<DWORD>(value.size()));
        if (size == 0) {
            if (::GetLastError() == ERROR_ENVVAR_NOT_FOUND) {
                return std::nullopt;
            }
            return std::string(); // set, and empty
        }
        if (size < value.size()) {
            value.resize(size);
            return windows::toUtf8Lossy(value);
        }
        value.resize(size); // too small: `size` is what it needs, the NUL included
    }
}

Result<stdfs::path> resolveProgram(std::string_view program) {
    BOOST_OUTCOME_TRY(wide_program, windows::toWide(program));
    const stdfs::path given(wide_program);
    if (program.empty()) {
        return makeError(exitcode::kGeneric, "cannot run a program without a name");
    }
    if (given.is_absolute()) {
        if (!hasExeExtension(given) || !isRegularFile(given)) {
            return makeError(exitcode::kGeneric,
                             "cannot run " + std::string(program) + ": not an .exe file");
        }
        return given;
    }
    const auto directories = programDirectories();
    // A bare name only: "dir\tool.exe" or "C:tool.exe" would be found relative to the current
    // directory, which is never searched.
    if (program.find_first_of("\\/:") != std::string_view::npos) {
        return makeError(exitcode::kGeneric,
                         "cannot run " + std::string(program) +
                             ": a program is an absolute path or a bare name looked up in " +
                             describeDirectories(directories));
    }
    stdfs::path name = given;
    if (!name.has_extension()) {
        name += L".exe";
    }
    if (!hasExeExtension(name)) {
        return makeError(exitcode::kGeneric,
                         "cannot run " + std::string(program) + ": not an .exe file");
    }
    for (const auto& directory : directories) {
        auto candidate = directory / name;
        if (isRegularFile(candidate)) {
            return candidate;
        }
    }
    return makeError(exitcode::kGeneric, "cannot run " + std::string(program) + ": not found in " +
                                             describeDirectories(directories));
}

} // namespace azcm::platform
