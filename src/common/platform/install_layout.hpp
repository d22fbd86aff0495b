#pragma once
// Where an installed agent keeps each of its things on this operating system, as absolute paths
// (docs/install.md, docs/windows.md). `Paths` puts a sandbox's root in front of them.
#include <filesystem>

namespace azcm::platform {

struct InstallLayout {
    std::filesystem::path
        agent_data; // /var/opt/azcmagent | %ProgramData%\AzureConnectedMachineAgent
    std::filesystem::path
        config_dir;                  // agent_data | ...\Config (agentconfig.json, localconfig.json)
    std::filesystem::path certs_dir; // .../certs | ...\Certs
    std::filesystem::path tokens_dir;  // .../tokens | ...\Tokens
    std::filesystem::path logs_dir;    // .../log | ...\Log
    std::filesystem::path sockets_dir; // .../socks | ...\Sockets (Windows: names its pipes)
    std::filesystem::path bin_dir; // /opt/azcmagent/bin | %ProgramFiles%\AzureConnectedMachineAgent
    // The version of the installed package, one line (docs/upgrade.md): /opt/azcmagent/VERSION |
    // ...\AzureConnectedMachineAgent\VERSION
    std::filesystem::path version_file;
    std::filesystem::path guest_config; // /var/lib/GuestConfig | %ProgramData%\GuestConfig
    std::filesystem::path extensions;   // /var/lib/waagent | %SystemDrive%\Packages\Plugins
    std::filesystem::path downloads;    // /opt/GC_Ext/downloads | ...\ExtensionService\downloads
};

// This machine's layout. On Windows the known folders are asked once, at first use.
const InstallLayout& installLayout();

// How the agent is installed here: by the Windows Installer (the MSI) on Windows, by the Linux
// package manager (dpkg or rpm, whichever knows the package) elsewhere.
bool installsWithWindowsInstaller();

} // namespace azcm::platform
