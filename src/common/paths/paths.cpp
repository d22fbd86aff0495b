#include "common/paths/paths.hpp"

#include "common/platform/child_environment.hpp"
#include "common/platform/install_layout.hpp"

#include <string>

namespace azcm {

namespace fs = std::filesystem;

Paths::Paths(const fs::path& root) : root_("/") {
    // "/" is no sandbox on every platform; on Windows it is not an absolute path of its own.
    if (root.empty() || root == "/") {
        return;
    }
    root_ = fs::absolute(root).lexically_normal();
    if (root_.has_filename() == false && root_ != root_.root_path()) {
        root_ = root_.parent_path();
    }
}

Paths Paths::fromEnvironment() {
    const auto root = platform::environmentVariable("AZCM_ROOT");
    return Paths(root && !root->empty() ? fs::path(*root) : fs::path("/"));
}

fs::path Paths::under(const fs::path& absolute) const {
    // A sandbox keeps the layout below its root, without the drive on Windows. Windows paths
    // shown to users (logs, the challenge's realm) use backslashes throughout; a no-op on POSIX.
    auto path = isSandbox() ? root_ / absolute.relative_path() : absolute;
    path.make_preferred();
    return path;
}

fs::path Paths::agentDataDir() const {
    return under(platform::installLayout().agent_data);
}
fs::path Paths::agentConfig() const {
    return under(platform::installLayout().config_dir) / "agentconfig.json";
}
fs::path Paths::localConfig() const {
    return under(platform::installLayout().config_dir) / "localconfig.json";
}
fs::path Paths::extensionDestinations() const {
    return agentDataDir() / "extensiondestinations.json";
}
fs::path Paths::localConfigSecret() const {
    return localConfigSecretFor(localConfig());
}
fs::path Paths::localConfigSecretFor(const fs::path& local_config) {
    return local_config.parent_path() / "localconfig.secret.json";
}
fs::path Paths::certsDir() const {
    return under(platform::installLayout().certs_dir);
}
fs::path Paths::tokensDir() const {
    return under(platform::installLayout().tokens_dir);
}
fs::path Paths::socketsDir() const {
    return under(platform::installLayout().sockets_dir);
}
fs::path Paths::socketDirFor(std::string_view daemon) const {
    return serviceAccount(daemon) ? socketsDir() / std::string(daemon) : socketsDir();
}
fs::path Paths::socketFor(std::string_view daemon) const {
    return socketDirFor(daemon) / (std::string(daemon) + ".sock");
}
fs::path Paths::logDir() const {
    return under(platform::installLayout().logs_dir);
}
fs::path Paths::logDirFor(std::string_view name) const {
    return serviceAccount(name) ? logDir() / std::string(name) : logDir();
}
fs::path Paths::logFile(std::string_view name) const {
    return logDir() / (std::string(name) + ".log");
}
fs::path Paths::ownLogFile(std::string_view name) const {
    return logDirFor(name) / (std::string(name) + ".log");
}
fs::path Paths::binDir() const {
    return under(platform::installLayout().bin_dir);
}
fs::path Paths::versionFile() const {
    return under(platform::installLayout().version_file);
}
fs::path Paths::guestConfigDir() const {
    return under(platform::installLayout().guest_config);
}
fs::path Paths::extensionsDir() const {
    return under(platform::installLayout().extensions);
}
fs::path Paths::extensionLogsDir() const {
    return guestConfigDir() / "extension_logs";
}

fs::path Paths::extensionManagerLog() const {
    return guestConfigDir() / "ext_mgr_logs" / "gc_ext.log";
}

fs::path Paths::extensionStateDir() const {
    return guestConfigDir() / "ext_mgr_state";
}

fs::path Paths::guestConfigAgentLog() const {
    return guestConfigDir() / "arc_policy_logs" / "gc_agent.log";
}

fs::path Paths::guestConfigStateDir() const {
    return guestConfigDir() / "gc_state";
}

fs::path Paths::downloadsDir() const {
    return under(platform::installLayout().downloads);
}

std::optional<std::string_view> Paths::serviceAccount(std::string_view daemon) {
    if (daemon == "himds") {
        return "himds";
    }
    if (daemon == "arcproxy") {
        return "arcproxy";
    }
    return std::nullopt;
}

} // namespace azcm
