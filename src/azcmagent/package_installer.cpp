#include "azcmagent/package_installer.hpp"

#include "common/crypto/encoding.hpp"
#include "common/fs/atomic_file.hpp"
#include "common/json/json_document.hpp"
#include "common/platform/child_process.hpp"
#include "common/platform/install_layout.hpp"
#include "common/platform/package_manager_lock.hpp"

#include <nlohmann/json.hpp>

namespace azcm::azcmagent {

namespace {

using nlohmann::json;

// The name the agent's deb and rpm packages have (cmake/Packaging.cmake).
constexpr const char* kPackageName = "azcmagent";
// A package manager waits for its lock and runs maintainer scripts that restart the services.
constexpr std::chrono::minutes kInstallTimeout{15};

Result<platform::ChildProcessResult> runTool(std::vector<std::string> argv,
                                             std::chrono::milliseconds timeout,
                                             const platform::EnvironmentMap& extra = {}) {
    platform::ChildProcessSpec spec;
    spec.argv = std::move(argv);
    spec.environment = platform::childEnvironment(platform::processEnvironment(), extra);
    spec.timeout = timeout;
    spec.merge_stderr = true;
    spec.output_limit = std::size_t{16} * 1024;
    return platform::runChildProcess(spec);
}

std::string trimmed(std::string text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
        text.pop_back();
    }
    return text;
}

// dpkg, rpm and msiexec differ only in their command lines.
class PackageManagerInstaller final : public PackageInstaller {
public:
    struct Commands {
        std::string name;
        crypto::AgentPlatform platform;
        std::vector<std::string> query;   // prints the installed version; empty: this binary's
        std::vector<std::string> install; // the package path is appended
        std::vector<std::string> downgrade_flags;
        // Prints `whole_prefix` and the version for a complete install; empty: nothing to ask.
        std::vector<std::string> whole_query;
        std::string whole_prefix;
        // The lock the package manager's frontends share, held while installing, and the
        // variable that tells the package manager it is held; the package manager's own lock,
        // only waited for (a package manager an interrupted upgrade started holds just that).
        std::filesystem::path frontend_lock;
        std::string frontend_locked_variable;
        std::filesystem::path database_lock;
    };

    explicit PackageManagerInstaller(Commands commands) : commands_(std::move(commands)) {}

    crypto::AgentPlatform platform() const override { return commands_.platform; }
    std::string name() const override { return commands_.name; }
    bool replacesRunningAgent() const override { return true; }

    Result<AgentVersion> installedVersion() const override {
        if (commands_.query.empty()) {
            return *parseAgentVersion(agentVersion());
        }
        auto run = runTool(commands_.query, std::chrono::seconds(60));
        if (!run) {
            return run.error();
        }
        const auto text = trimmed(run.value().output);
        if (run.value().exit_code != 0) {
            return makeError(exitcode::kGeneric, commands_.name + " does not know the package " +
                                                     kPackageName + ": " + text);
        }
        const auto version = parseAgentVersion(text);
        if (!version) {
            return makeError(exitcode::kGeneric, "the installed package's version '" + text +
                                                     "' is not MAJOR.MINOR.BUILD.REVISION");
        }
        return *version;
    }

    Result<void> whollyInstalled(const AgentVersion& version) const override {
        if (commands_.whole_query.empty()) {
            return ok();
        }
        auto run = runTool(commands_.whole_query, std::chrono::seconds(60));
        if (!run) {
            return run.error();
        }
        const auto shown = trimmed(run.value().output);
        if (run.value().exit_code != 0 || shown != commands_.whole_prefix + version.text()) {
            return makeError(exitcode::kGeneric, commands_.name + " does not show " +
                                                     version.text() + " wholly installed: '" +
                                                     shown + "'");
        }
        return ok();
    }

    Result<void> install(const std::filesystem::path& package,
                         const AgentVersion& /*version*/,
                         bool downgrade) override {
        auto argv = commands_.install;
        if (downgrade) {
            argv.insert(argv.end(), commands_.downgrade_flags.begin(),
                        commands_.downgrade_flags.end());
        }
        argv.push_back(package.string());
        // A dpkg that an interrupted upgrade left running, or an administrator's apt-get, ends
        // first: both would make this install fail on the lock at once.
        const auto started = std::chrono::steady_clock::now();
        std::optional<platform::PackageManagerLock> frontend;
        platform::EnvironmentMap extra;
        if (!commands_.frontend_lock.empty()) {
            BOOST_OUTCOME_TRY(held, platform::PackageManagerLock::acquire(commands_.frontend_lock,
                                                                          kInstallTimeout));
            if (held) {
                frontend.emplace(std::move(*held));
                extra[commands_.frontend_locked_variable] = "1";
            }
        }
        auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::steady_clock::now() - started);
        if (!commands_.database_lock.empty()) {
            // Released at the end of this block, as apt does before it runs dpkg: dpkg takes it.
            BOOST_OUTCOME_TRY(database, platform::PackageManagerLock::acquire(
                                            commands_.database_lock, kInstallTimeout - waited));
            (void)database;
            waited = std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::steady_clock::now() - started);
        }
        auto run = runTool(argv, kInstallTimeout - waited, extra);
        if (!run) {
            return run.error();
        }
        const auto& result = run.value();
        if (result.timed_out) {
            return makeError(exitcode::kGeneric,
                             commands_.name + " did not finish within 15 minutes");
        }
        if (result.exit_code != 0) {
            return makeError(exitcode::kGeneric, commands_.name + " failed (exit " +
                                                     std::to_string(result.exit_code) +
                                                     "): " + trimmed(result.output));
        }
        return ok();
    }

private:
    Commands commands_;
};

// Records what it was given instead of installing it: a sandbox shares the host, whose packages
// are not the sandbox's to change.
class SandboxInstaller final : public PackageInstaller {
public:
    explicit SandboxInstaller(const Paths& paths)
        : record_(paths.agentDataDir() / "upgrade" / "sandbox-installed.json"),
          hook_(paths.agentDataDir() / "upgrade" / "sandbox-install-hook") {}

    crypto::AgentPlatform platform() const override {
        return platform::installsWithWindowsInstaller() ? crypto::AgentPlatform::kMsi
                                                        : crypto::AgentPlatform::kDeb;
    }
    std::string name() const override { return "sandbox"; }
    bool replacesRunningAgent() const override { return false; }
    Result<void> whollyInstalled(const AgentVersion& version) const override {
        BOOST_OUTCOME_TRY(installed, installedVersion());
        if (installed != version) {
            return makeError(exitcode::kGeneric, "the sandbox installer recorded " +
                                                     installed.text() + ", not " + version.text());
        }
        return ok();
    }

    Result<AgentVersion> installedVersion() const override {
        std::error_code missing;
        if (!std::filesystem::exists(record_, missing)) {
            return *parseAgentVersion(agentVersion());
        }
        auto text = fs::readFile(record_, 1 << 16);
        if (!text) {
            return text.error();
        }
        auto document = jsondoc::parse(text.value(), record_.string());
        if (!document) {
            return document.error();
        }
        const auto version = parseAgentVersion(document.value().value("version", std::string()));
        if (!version) {
            return makeError(exitcode::kGeneric, record_.string() + " names no valid version");
        }
        return *version;
    }

    Result<void> install(const std::filesystem::path& package,
                         const AgentVersion& version,
                         bool /*downgrade*/) override {
        auto bytes = fs::readFile(package, std::size_t{1} << 30);
        if (!bytes) {
            return bytes.error();
        }
        const json record{{"version", version.text()},
                          {"platform", crypto::agentPlatformName(platform())},
                          {"sha256", crypto::hexEncode(crypto::sha256(bytes.value()))}};
        std::error_code ignored;
        std::filesystem::create_directories(record_.parent_path(), ignored);
        BOOST_OUTCOME_TRY(fs::writeFileAtomic(record_, record.dump(2) + "\n", {0600, {}}));
        return runHook(version);
    }

private:
    Result<void> runHook(const AgentVersion& version) const {
        std::error_code missing;
        if (!std::filesystem::exists(hook_, missing)) {
            return ok();
        }
        auto run = runTool({hook_.string(), version.text()}, std::chrono::minutes(5));
        if (!run) {
            return run.error();
        }
        if (run.value().exit_code != 0) {
            return makeError(exitcode::kGeneric, "the install hook failed (exit " +
                                                     std::to_string(run.value().exit_code) +
                                                     "): " + trimmed(run.value().output));
        }
        return ok();
    }

    std::filesystem::path record_;
    std::filesystem::path hook_;
};

} // namespace

std::unique_ptr<PackageInstaller> sandboxInstaller(const Paths& paths) {
    return std::make_unique<SandboxInstaller>(paths);
}

Result<std::unique_ptr<PackageInstaller>> systemInstaller(const Paths& paths) {
    if (paths.isSandbox()) {
        return sandboxInstaller(paths);
    }
    if (platform::installsWithWindowsInstaller()) {
        return std::unique_ptr<PackageInstaller>(std::make_unique<PackageManagerInstaller>(
            PackageManagerInstaller::Commands{"msiexec",
                                              crypto::AgentPlatform::kMsi,
                                              {},
                                              {"msiexec.exe", "/qn", "/norestart", "/i"},
                                              {},
                                              {},
                                              {},
                                              {},
                                              {},
                                              {}}));
    }
    // rpm waits for its own transaction lock; dpkg refuses at once unless its frontend holds it.
    const std::vector<PackageManagerInstaller::Commands> candidates = {
        {"dpkg",
         crypto::AgentPlatform::kDeb,
         {"dpkg-query", "--show", "--showformat=${Version}", kPackageName},
         {"dpkg", "--install"},
         {},
         {"dpkg-query", "--show", "--showformat=${Status} ${Version}", kPackageName},
         "install ok installed ",
         "/var/lib/dpkg/lock-frontend",
         "DPKG_FRONTEND_LOCKED",
         "/var/lib/dpkg/lock"},
        {"rpm",
         crypto::AgentPlatform::kRpm,
         {"rpm", "--query", "--queryformat=%{VERSION}", kPackageName},
         {"rpm", "--upgrade"},
         {"--oldpackage"},
         {"rpm", "--query", "--queryformat=%{VERSION}", kPackageName},
         "",
         {},
         {},
         {}},
    };
    for (const auto& commands : candidates) {
        if (!platform::resolveProgram(commands.query.front())) {
            continue;
        }
        auto owner = runTool(commands.query, std::chrono::seconds(60));
        if (owner && owner.value().exit_code == 0) {
            return std::unique_ptr<PackageInstaller>(
                std::make_unique<PackageManagerInstaller>(commands));
        }
    }
    return makeError(exitcode::kUnsupported,
                     "no package manager (dpkg, rpm) knows the package azcmagent: an agent "
                     "installed another way cannot upgrade itself");
}

} // namespace azcm::azcmagent
