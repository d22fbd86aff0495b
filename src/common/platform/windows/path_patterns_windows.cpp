// path_patterns.hpp on Windows, with the pattern syntax glob(3) gives on POSIX: "*" any run of
// characters, "?" one character, "[...]" one of a set ("[a-z]" ranges, "[!...]" or "[^...]" its
// complement), in any component, and a leading "." of a name matched only by a "." in the
// pattern. Differences that Windows names impose: "\" separates components as "/" does (so there
// is no escape character), and letters match without regard to case, as the file system does.
//
// Directories are listed with FindFirstFileExW("<dir>\*") and every name is matched here, not by
// FindFirstFileExW's own wildcards: those also match the 8.3 short names ("*.htm" would find
// "page.html").
#include "common/platform/path_patterns.hpp"
#include "common/platform/windows/wide_text.hpp"

#include <algorithm>
#include <cwctype>
#include <new>
#include <optional>
#include <string_view>

#include <windows.h>

namespace azcm::platform {

namespace {

wchar_t folded(wchar_t c) {
    return static_cast<wchar_t>(std::towlower(static_cast<wint_t>(c)));
}

bool isSeparator(wchar_t c) {
    return c == L'/' || c == L'\\';
}

bool hasWildcard(std::wstring_view component) {
    return component.find_first_of(L"*?[") != std::wstring_view::npos;
}

// Matches `c` against the set starting after '[' at pattern[at]; nullopt when the set is not
// closed (the '[' is then an ordinary character, as in glob(3)). On success `at` is moved past
// the closing ']'.
std::optional<bool> matchSet(std::wstring_view pattern, std::size_t& at, wchar_t c) {
    std::size_t i = at;
    const bool negated = i < pattern.size() && (pattern[i] == L'!' || pattern[i] == L'^');
    if (negated) {
        ++i;
    }
    bool matched = false;
    bool first = true;
    while (i < pattern.size() && (first || pattern[i] != L']')) {
        first = false;
        const wchar_t low = pattern[i];
        if (i + 2 < pattern.size() && pattern[i + 1] == L'-' && pattern[i + 2] != L']') {
            const wchar_t high = pattern[i + 2];
            matched = matched || (folded(c) >= folded(low) && folded(c) <= folded(high));
            i += 3;
        } else {
            matched = matched || folded(c) == folded(low);
            ++i;
        }
    }
    if (i >= pattern.size()) {
        return std::nullopt;
    }
    at = i + 1;
    return matched != negated;
}

// One name against one component's pattern.
bool nameMatches(std::wstring_view pattern, std::wstring_view name) {
    if (!name.empty() && name.front() == L'.' && (pattern.empty() || pattern.front() != L'.')) {
        return false;
    }
    // Backtracking over the last '*' only: linear in practice, no recursion.
    std::size_t p = 0;
    std::size_t n = 0;
    std::optional<std::size_t> star_p;
    std::size_t star_n = 0;
    while (n < name.size()) {
        if (p < pattern.size() && pattern[p] == L'*') {
            star_p = ++p;
            star_n = n;
            continue;
        }
        if (p < pattern.size()) {
            std::size_t next = p + 1;
            bool ok = false;
            if (pattern[p] == L'?') {
                ok = true;
            } else if (pattern[p] == L'[') {
                const auto set = matchSet(pattern, next, name[n]);
                ok = set ? *set : folded(name[n]) == L'[';
                if (!set) {
                    next = p + 1;
                }
            } else {
                ok = folded(pattern[p]) == folded(name[n]);
            }
            if (ok) {
                p = next;
                ++n;
                continue;
            }
        }
        if (!star_p) {
            return false;
        }
        p = *star_p;
        n = ++star_n;
    }
    while (p < pattern.size() && pattern[p] == L'*') {
        ++p;
    }
    return p == pattern.size();
}

class FindHandle {
public:
    explicit FindHandle(HANDLE handle) : handle_(handle) {}
    FindHandle(const FindHandle&) = delete;
    FindHandle& operator=(const FindHandle&) = delete;
    ~FindHandle() {
        if (handle_ != INVALID_HANDLE_VALUE) {
            ::FindClose(handle_);
        }
    }
    HANDLE get() const { return handle_; }

private:
    HANDLE handle_;
};

// The names in `directory` matching `pattern`; only directories when `directories_only`. A
// directory that cannot be read contributes nothing.
std::vector<std::wstring>
matchingNames(const std::wstring& directory, std::wstring_view pattern, bool directories_only) {
    std::wstring query = directory;
    if (!query.empty() && !isSeparator(query.back()) && query.back() != L':') {
        query += L'\\';
    }
    query += L'*';
    WIN32_FIND_DATAW entry{};
    const FindHandle find(::FindFirstFileExW(query.c_str(), FindExInfoBasic, &entry,
                                             FindExSearchNameMatch, nullptr,
                                             FIND_FIRST_EX_LARGE_FETCH));
    std::vector<std::wstring> names;
    if (find.get() == INVALID_HANDLE_VALUE) {
        return names;
    }
    do {
        const std::wstring_view name(entry.cFileName);
        if (name == L"." || name == L"..") {
            continue;
        }
        if (directories_only && (entry.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) == 0) {
            continue;
        }
        if (nameMatches(pattern, name)) {
            names.emplace_back(name);
        }
    } while (::FindNextFileW(find.get(), &entry) != FALSE);
    return names;
}

bool exists(const std::wstring& path) {
    return ::GetFileAttributesW(path.c_str()) != INVALID_FILE_ATTRIBUTES;
}

// The pattern's root, kept as written ("C:\", "\\server\share\", "\", "C:", or "" for a
// relative pattern), and the components after it.
std::pair<std::wstring, std::vector<std::wstring>> split(const std::wstring& pattern) {
    const std::filesystem::path as_path(pattern);
    std::wstring root = as_path.root_path().native();
    std::vector<std::wstring> components;
    std::wstring current;
    for (std::size_t i = root.size(); i < pattern.size(); ++i) {
        if (isSeparator(pattern[i])) {
            if (!current.empty()) {
                components.push_back(std::move(current));
                current.clear();
            }
        } else {
            current.push_back(pattern[i]);
        }
    }
    if (!current.empty()) {
        components.push_back(std::move(current));
    }
    return {root, components};
}

std::wstring joined(const std::wstring& directory, const std::wstring& name) {
    if (directory.empty()) {
        return name;
    }
    if (isSeparator(directory.back()) || directory.back() == L':') {
        return directory + name;
    }
    return directory + L'\\' + name;
}

} // namespace

Result<std::vector<std::filesystem::path>> pathsMatching(const std::string& pattern) {
    try {
        BOOST_OUTCOME_TRY(wide_pattern, windows::toWide(pattern));
        const auto [root, components] = split(wide_pattern);
        std::vector<std::wstring> current{root};
        for (std::size_t i = 0; i < components.size(); ++i) {
            const bool last = i + 1 == components.size();
            std::vector<std::wstring> next;
            for (const auto& directory : current) {
                if (!hasWildcard(components[i])) {
                    next.push_back(joined(directory, components[i]));
                    continue;
                }
                const std::wstring listed = directory.empty() ? L"." : directory;
                for (const auto& name : matchingNames(listed, components[i], !last)) {
                    next.push_back(joined(directory, name));
                }
            }
            current = std::move(next);
        }
        std::vector<std::string> found;
        for (const auto& path : current) {
            if (!path.empty() && exists(path)) {
                found.push_back(windows::toUtf8Lossy(path));
            }
        }
        std::sort(found.begin(), found.end());
        std::vector<std::filesystem::path> paths;
        paths.reserve(found.size());
        for (const auto& path : found) {
            BOOST_OUTCOME_TRY(wide_path, windows::toWide(path));
            paths.emplace_back(std::move(wide_path));
        }
        return paths;
    } catch (const std::bad_alloc&) {
        return makeError(exitcode::kGeneric, "too many paths match " + pattern);
    }
}

} // namespace azcm::platform
