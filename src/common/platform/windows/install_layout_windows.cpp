// The real agent's Windows layout: programs under %ProgramFiles%, state under %ProgramData%,
// extensions under %SystemDrive%\Packages\Plugins. The folders come from the shell's known
// folders (a machine may move them), with the usual defaults when the shell cannot answer.
#include "common/platform/install_layout.hpp"

#include <windows.h>
// after windows.h, whose types they use
#include <knownfolders.h>
#include <shlobj.h>

namespace azcm::platform {

namespace {

std::filesystem::path knownFolder(const KNOWNFOLDERID& id, const wchar_t* fallback) {
    PWSTR folder = nullptr;
    std::filesystem::path path(fallback);
    if (SUCCEEDED(::SHGetKnownFolderPath(id, KF_FLAG_DEFAULT, nullptr, &folder)) && folder) {
        path = std::filesystem::path(folder);
    }
    ::CoTaskMemFree(folder);
    return path;
}

std::filesystem::path systemDrive() {
    wchar_t windows_dir[MAX_PATH] = {};
    const UINT length = ::GetSystemWindowsDirectoryW(windows_dir, MAX_PATH);
    if (length == 0 || length >= MAX_PATH) {
        return L"C:\\";
    }
    return std::filesystem::path(windows_dir).root_path();
}

} // namespace

const InstallLayout& installLayout() {
    static const InstallLayout kLayout = [] {
        InstallLayout paths;
        const auto program_data = knownFolder(FOLDERID_ProgramData, L"C:\\ProgramData");
        const auto program_files = knownFolder(FOLDERID_ProgramFiles, L"C:\\Program Files");
        paths.agent_data = program_data / L"AzureConnectedMachineAgent";
        paths.config_dir = paths.agent_data / L"Config";
        paths.certs_dir = paths.agent_data / L"Certs";
        paths.tokens_dir = paths.agent_data / L"Tokens";
        paths.logs_dir = paths.agent_data / L"Log";
        paths.sockets_dir = paths.agent_data / L"Sockets";
        paths.bin_dir = program_files / L"AzureConnectedMachineAgent";
        paths.version_file = paths.bin_dir / L"VERSION";
        paths.guest_config = program_data / L"GuestConfig";
        paths.extensions = systemDrive() / L"Packages" / L"Plugins";
        paths.downloads = paths.bin_dir / L"ExtensionService" / L"downloads";
        return paths;
    }();
    return kLayout;
}

bool installsWithWindowsInstaller() {
    return true;
}

} // namespace azcm::platform
