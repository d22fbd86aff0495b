#pragma once
// The one place that spells a path (ARCHITECTURE section 2). Every path is the platform default
// under an optional root prefix taken from AZCM_ROOT, so a sandbox never touches the host.
#include <filesystem>
#include <string_view>

namespace azcm {

class Paths {
public:
    explicit Paths(std::filesystem::path root = "/");
    // Root from AZCM_ROOT (default "/"). The root is made absolute.
    static Paths fromEnvironment();

    const std::filesystem::path& root() const { return root_; }
    bool isSandbox() const { return root_ != "/"; }

    std::filesystem::path agentDataDir() const;                     // /var/opt/azcmagent
    std::filesystem::path agentConfig() const;                      // .../agentconfig.json
    std::filesystem::path localConfig() const;                      // .../localconfig.json
    std::filesystem::path certsDir() const;                         // .../certs
    std::filesystem::path tokensDir() const;                        // .../tokens
    std::filesystem::path socketsDir() const;                       // .../socks
    std::filesystem::path socketFor(std::string_view daemon) const; // .../socks/<daemon>.sock
    std::filesystem::path logDir() const;                           // .../log
    std::filesystem::path logFile(std::string_view name) const;     // .../log/<name>.log
    std::filesystem::path binDir() const;                           // /opt/azcmagent/bin
    std::filesystem::path guestConfigDir() const;                   // /var/lib/GuestConfig
    std::filesystem::path extensionsDir() const;                    // /var/lib/waagent
    std::filesystem::path downloadsDir() const;                     // /opt/GC_Ext/downloads
    // Under guestConfigDir(): what the extension manager and gcservice keep and log.
    std::filesystem::path extensionLogsDir() const;    // .../extension_logs (per handler)
    std::filesystem::path extensionManagerLog() const; // .../ext_mgr_logs/gc_ext.log
    std::filesystem::path extensionStateDir() const;   // .../ext_mgr_state (root 0700)
    std::filesystem::path guestConfigAgentLog() const; // .../arc_policy_logs/gc_agent.log
    std::filesystem::path guestConfigStateDir() const; // .../gc_state (assignments, packages)
    // Beside localConfig(): its secrets (proxy.url with credentials), root:azcmproxy 0640.
    std::filesystem::path localConfigSecret() const; // .../localconfig.secret.json
    // The secret file of the localconfig.json at `local_config`, in the same directory.
    static std::filesystem::path localConfigSecretFor(const std::filesystem::path& local_config);
    // The host's trust store bundle: never relocated, it is the host's, not the agent's.
    static std::filesystem::path systemTrustBundle(); // /etc/ssl/certs/ca-certificates.crt

private:
    std::filesystem::path under(std::string_view absolute) const;
    std::filesystem::path root_;
};

} // namespace azcm
