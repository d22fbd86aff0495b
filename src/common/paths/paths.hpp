#pragma once
// The one place that names a path (docs/install.md). Every path is the platform's default
// (platform/install_layout.hpp; the comments below give the Linux ones) under an optional root
// prefix taken from AZCM_ROOT, so a sandbox never touches the host.
#include <filesystem>
#include <optional>
#include <string_view>

namespace azcm {

class Paths {
public:
    explicit Paths(const std::filesystem::path& root = "/");
    // Root from AZCM_ROOT (default "/"). The root is made absolute.
    static Paths fromEnvironment();

    const std::filesystem::path& root() const { return root_; }
    bool isSandbox() const { return root_ != "/"; }

    std::filesystem::path agentDataDir() const; // /var/opt/azcmagent
    std::filesystem::path agentConfig() const;  // .../agentconfig.json
    std::filesystem::path localConfig() const;  // .../localconfig.json
    std::filesystem::path certsDir() const;     // .../certs
    std::filesystem::path tokensDir() const;    // .../tokens
    // No root process creates a name in a directory another account can write. So socks/ and
    // log/ belong to root, and each daemon that runs under an account of its own (himds,
    // arcproxy: serviceAccount) has a directory of its own in each, which only it can write.
    std::filesystem::path socketsDir() const; // .../socks (root)
    // .../socks/<daemon> for a daemon with an account of its own, .../socks for the others.
    std::filesystem::path socketDirFor(std::string_view daemon) const;
    std::filesystem::path socketFor(std::string_view daemon) const; // <socketDirFor>/<daemon>.sock
    std::filesystem::path logDir() const;                           // .../log (root)
    // .../log/<name> for a daemon with an account of its own, .../log for the others.
    std::filesystem::path logDirFor(std::string_view name) const;
    // .../log/<name>.log: the documented name. For a daemon with an account of its own it is a
    // symbolic link (made by root) to ownLogFile(name).
    std::filesystem::path logFile(std::string_view name) const;
    // The file process `name` writes: <logDirFor(name)>/<name>.log.
    std::filesystem::path ownLogFile(std::string_view name) const;
    std::filesystem::path binDir() const;         // /opt/azcmagent/bin
    std::filesystem::path versionFile() const;    // /opt/azcmagent/VERSION
    std::filesystem::path guestConfigDir() const; // /var/lib/GuestConfig
    std::filesystem::path extensionsDir() const;  // /var/lib/waagent
    std::filesystem::path downloadsDir() const;   // /opt/GC_Ext/downloads
    // Under guestConfigDir(): what the extension manager and gcservice keep and log.
    std::filesystem::path extensionLogsDir() const;    // .../extension_logs (per handler)
    std::filesystem::path extensionManagerLog() const; // .../ext_mgr_logs/gc_ext.log
    std::filesystem::path extensionStateDir() const;   // .../ext_mgr_state (root 0700)
    std::filesystem::path guestConfigAgentLog() const; // .../arc_policy_logs/gc_agent.log
    std::filesystem::path guestConfigStateDir() const; // .../gc_state (assignments, packages)
    // Under agentDataDir(): what extensions need through arcproxy (extservice writes it).
    std::filesystem::path extensionDestinations() const; // .../extensiondestinations.json
    // Beside localConfig(): its secrets (proxy.url with credentials), root:azcmproxy 0640.
    std::filesystem::path localConfigSecret() const; // .../localconfig.secret.json
    // The secret file of the localconfig.json at `local_config`, in the same directory.
    static std::filesystem::path localConfigSecretFor(const std::filesystem::path& local_config);

    // The account an installed daemon runs as when it is not root: "himds" for himds, "arcproxy"
    // for arcproxy, nullopt for root's daemons (extservice, gcservice) and the CLI.
    static std::optional<std::string_view> serviceAccount(std::string_view daemon);

private:
    std::filesystem::path under(const std::filesystem::path& absolute) const;
    std::filesystem::path root_;
};

} // namespace azcm
