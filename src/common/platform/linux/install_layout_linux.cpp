#include "common/platform/install_layout.hpp"

namespace azcm::platform {

const InstallLayout& installLayout() {
    static const InstallLayout kLayout = [] {
        InstallLayout paths;
        paths.agent_data = "/var/opt/azcmagent";
        paths.config_dir = paths.agent_data;
        paths.certs_dir = paths.agent_data / "certs";
        paths.tokens_dir = paths.agent_data / "tokens";
        paths.logs_dir = paths.agent_data / "log";
        paths.sockets_dir = paths.agent_data / "socks";
        paths.bin_dir = "/opt/azcmagent/bin";
        paths.version_file = "/opt/azcmagent/VERSION";
        paths.guest_config = "/var/lib/GuestConfig";
        paths.extensions = "/var/lib/waagent";
        paths.downloads = "/opt/GC_Ext/downloads";
        return paths;
    }();
    return kLayout;
}

bool installsWithWindowsInstaller() {
    return false;
}

} // namespace azcm::platform
