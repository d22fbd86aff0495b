#include "common/platform/windows/machine_registry.hpp"

#include "common/platform/windows/wide_text.hpp"
#include "common/platform/windows/win32_error.hpp"

#include <algorithm>
#include <cwctype>
#include <vector>

#include <windows.h>

namespace azcm::platform::windows {

namespace {

constexpr const char* kEnvironmentKey =
    "SYSTEM\\CurrentControlSet\\Control\\Session Manager\\Environment";

class Key {
public:
    explicit Key(HKEY key) : key_(key) {}
    ~Key() { ::RegCloseKey(key_); }
    Key(const Key&) = delete;
    Key& operator=(const Key&) = delete;
    Key(Key&&) = delete;
    Key& operator=(Key&&) = delete;
    HKEY get() const { return key_; }

private:
    HKEY key_;
};

Result<std::unique_ptr<Key>> openKey(const std::string& path, REGSAM access, bool create) {
    BOOST_OUTCOME_TRY(wide_path, toWide(path));
    HKEY key = nullptr;
    const LSTATUS status =
        create ? ::RegCreateKeyExW(HKEY_LOCAL_MACHINE, wide_path.c_str(), 0, nullptr, 0,
                                   access | KEY_WOW64_64KEY, nullptr, &key, nullptr)
               : ::RegOpenKeyExW(HKEY_LOCAL_MACHINE, wide_path.c_str(), 0, access | KEY_WOW64_64KEY,
                                 &key);
    if (status != ERROR_SUCCESS) {
        return win32Error("cannot open HKLM\\" + path, static_cast<unsigned long>(status));
    }
    return std::make_unique<Key>(key);
}

Result<void> setString(HKEY key, const std::string& name, const std::string& value, DWORD type) {
    BOOST_OUTCOME_TRY(wide_name, toWide(name));
    BOOST_OUTCOME_TRY(wide_value, toWide(value));
    const auto bytes = static_cast<DWORD>((wide_value.size() + 1) * sizeof(wchar_t));
    const LSTATUS status = ::RegSetValueExW(
        key, wide_name.c_str(), 0, type, reinterpret_cast<const BYTE*>(wide_value.c_str()), bytes);
    if (status != ERROR_SUCCESS) {
        return win32Error("cannot set registry value " + name, static_cast<unsigned long>(status));
    }
    return ok();
}

Result<std::optional<std::wstring>> readString(HKEY key, const std::wstring& name, DWORD* type) {
    DWORD bytes = 0;
    LSTATUS status = ::RegQueryValueExW(key, name.c_str(), nullptr, type, nullptr, &bytes);
    if (status == ERROR_FILE_NOT_FOUND) {
        return std::optional<std::wstring>();
    }
    std::vector<wchar_t> buffer(bytes / sizeof(wchar_t) + 1, L'\0');
    if (status == ERROR_SUCCESS) {
        status = ::RegQueryValueExW(key, name.c_str(), nullptr, type,
                                    reinterpret_cast<BYTE*>(buffer.data()), &bytes);
    }
    if (status != ERROR_SUCCESS) {
        return win32Error("cannot read registry value", static_cast<unsigned long>(status));
    }
    if (*type != REG_SZ && *type != REG_EXPAND_SZ) {
        return makeError(exitcode::kGeneric, "a registry value that should be text is not");
    }
    return std::optional<std::wstring>(std::wstring(buffer.data()));
}

std::wstring comparable(std::wstring entry) {
    while (!entry.empty() && (entry.back() == L'\\' || entry.back() == L' ')) {
        entry.pop_back();
    }
    std::transform(entry.begin(), entry.end(), entry.begin(),
                   [](wchar_t c) { return static_cast<wchar_t>(std::towlower(c)); });
    return entry;
}

std::vector<std::wstring> splitPath(const std::wstring& path) {
    std::vector<std::wstring> entries;
    std::size_t start = 0;
    while (start <= path.size()) {
        const auto end = std::min(path.find(L';', start), path.size());
        if (end > start) {
            entries.push_back(path.substr(start, end - start));
        }
        start = end + 1;
    }
    return entries;
}

// Rewrites the machine's Path through `edit`, keeping its registry type (REG_EXPAND_SZ: entries
// such as %SystemRoot%\system32 must stay unexpanded).
template <typename Edit> Result<void> editMachinePath(Edit edit) {
    BOOST_OUTCOME_TRY(key, openKey(kEnvironmentKey, KEY_QUERY_VALUE | KEY_SET_VALUE, true));
    DWORD type = REG_EXPAND_SZ;
    BOOST_OUTCOME_TRY(current, readString(key->get(), L"Path", &type));
    auto entries = splitPath(current.value_or(L""));
    if (!edit(entries)) {
        return ok();
    }
    std::wstring joined;
    for (const auto& entry : entries) {
        joined += (joined.empty() ? L"" : L";") + entry;
    }
    BOOST_OUTCOME_TRY(text, toUtf8(joined));
    return setString(key->get(), "Path", text, type == REG_SZ ? REG_SZ : REG_EXPAND_SZ);
}

} // namespace

Result<void> writeRegistryKey(const RegistryKeyValues& values) {
    BOOST_OUTCOME_TRY(key, openKey(values.key, KEY_SET_VALUE, true));
    for (const auto& value : values.values) {
        if (value.kind == RegistryValue::Kind::dword) {
            BOOST_OUTCOME_TRY(wide_name, toWide(value.name));
            const DWORD data = std::get<std::uint32_t>(value.data);
            const LSTATUS status =
                ::RegSetValueExW(key->get(), wide_name.c_str(), 0, REG_DWORD,
                                 reinterpret_cast<const BYTE*>(&data), sizeof(data));
            if (status != ERROR_SUCCESS) {
                return win32Error("cannot set registry value " + value.name,
                                  static_cast<unsigned long>(status));
            }
        } else {
            BOOST_OUTCOME_TRY(setString(key->get(), value.name, std::get<std::string>(value.data),
                                        REG_EXPAND_SZ));
        }
    }
    return ok();
}

Result<void> deleteRegistryKey(const std::string& key) {
    BOOST_OUTCOME_TRY(wide_key, toWide(key));
    const LSTATUS status =
        ::RegDeleteKeyExW(HKEY_LOCAL_MACHINE, wide_key.c_str(), KEY_WOW64_64KEY, 0);
    if (status != ERROR_SUCCESS && status != ERROR_FILE_NOT_FOUND) {
        return win32Error("cannot delete HKLM\\" + key, static_cast<unsigned long>(status));
    }
    return ok();
}

Result<void> setMachineVariable(const std::string& name, const std::string& value) {
    BOOST_OUTCOME_TRY(key, openKey(kEnvironmentKey, KEY_SET_VALUE, true));
    return setString(key->get(), name, value, REG_SZ);
}

Result<void> removeMachineVariable(const std::string& name) {
    BOOST_OUTCOME_TRY(key, openKey(kEnvironmentKey, KEY_SET_VALUE, true));
    BOOST_OUTCOME_TRY(wide_name, toWide(name));
    const LSTATUS status = ::RegDeleteValueW(key->get(), wide_name.c_str());
    if (status != ERROR_SUCCESS && status != ERROR_FILE_NOT_FOUND) {
        return win32Error("cannot remove machine variable " + name,
                          static_cast<unsigned long>(status));
    }
    return ok();
}

Result<std::optional<std::string>> machineVariable(const std::string& name) {
    BOOST_OUTCOME_TRY(key, openKey(kEnvironmentKey, KEY_QUERY_VALUE, true));
    BOOST_OUTCOME_TRY(wide_name, toWide(name));
    DWORD type = REG_SZ;
    BOOST_OUTCOME_TRY(value, readString(key->get(), wide_name, &type));
    if (!value) {
        return std::optional<std::string>();
    }
    BOOST_OUTCOME_TRY(text, toUtf8(*value));
    return std::optional<std::string>(std::move(text));
}

Result<void> addToMachinePath(const std::filesystem::path& directory) {
    const auto wanted = comparable(directory.wstring());
    return editMachinePath([&](std::vector<std::wstring>& entries) {
        if (std::any_of(entries.begin(), entries.end(),
                        [&](const auto& entry) { return comparable(entry) == wanted; })) {
            return false;
        }
        entries.push_back(directory.wstring());
        return true;
    });
}

Result<void> removeFromMachinePath(const std::filesystem::path& directory) {
    const auto unwanted = comparable(directory.wstring());
    return editMachinePath([&](std::vector<std::wstring>& entries) {
        const auto before = entries.size();
        entries.erase(
            std::remove_if(entries.begin(), entries.end(),
                           [&](const auto& entry) { return comparable(entry) == unwanted; }),
            entries.end());
        return entries.size() != before;
    });
}

void announceEnvironmentChange() {
    DWORD_PTR result = 0;
    // Best effort: a program that does not answer within the timeout reads it at its next start.
    ::SendMessageTimeoutW(HWND_BROADCAST, WM_SETTINGCHANGE, 0,
                          reinterpret_cast<LPARAM>(L"Environment"), SMTO_ABORTIFHUNG, 2000,
                          &result);
}

} // namespace azcm::platform::windows
