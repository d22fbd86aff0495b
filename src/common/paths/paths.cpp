#include "common/paths/paths.hpp"

#include "common/platform/child_environment.hpp"

#include <string>

namespace azcm {

namespace fs = std::filesystem;

Paths::Paths(const fs::path& root) : root_(fs::absolute(root.empty() ? fs::path("/") : root)) {
    root_ = root_.lexically_normal();
    if (root_.has_filename() == false && root_ != root_.root_path()) {
        root_ = root_.parent_path();
    }
}

Paths Paths::fromEnvironment() {
    const auto root = platform::environmentVariable("AZCM_ROOT");
    return Paths(root && !root->empty() ? fs::path(*root) : fs::path("/"));
}

fs::path Paths::under(std::string_view absolute) const {
    // The layout is spelled with '/'; Windows paths shown to users (logs, the challenge's realm)
    // use backslashes throughout. A no-op on POSIX.
    auto path = root_ / fs::path(absolute).relative_path();
    path.make_preferred();
    return path;
}

fs::path Paths::agentDataDir() const {
    return under("/var/opt/azcmagent");
}
fs::path Paths::agentConfig() const {
    return agentDataDir() / "agentconfig.json";
}
fs::path Paths::localConfig() const {
    return agentDataDir() / "localconfig.json";
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
    return agentDataDir() / "certs";
}
fs::path Paths::tokensDir() const {
    return agentDataDir() / "tokens";
}
fs::path Paths::socketsDir() const {
    return agentDataDir() / "socks";
}
fs::path Paths::socketDirFor(std::string_view daemon) const {
    return serviceAccount(daemon) ? socketsDir() / std::string(daemon) : socketsDir();
}
fs::path Paths::socketFor(std::string_view daemon) const {
    return socketDirFor(daemon) / (std::string(daemon) + ".sock");
}
fs::path Paths::logDir() const {
    return agentDataDir() / "log";
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
    return under("/opt/azcmagent/bin");
}
fs::path Paths::guestConfigDir() const {
    return under("/var/lib/GuestConfig");
}
fs::path Paths::extensionsDir() const {
    return under("/var/lib/waagent");
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
    return under("/opt/GC_Ext/downloads");
}

fs::path Paths::systemTrustBundle() {
    return "/etc/ssl/certs/ca-certificates.crt";
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
