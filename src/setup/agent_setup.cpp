#include "setup/agent_setup.hpp"

#include "common/config/local_config.hpp"
#include "common/platform/service_manager.hpp"
#include "common/platform/windows/account_sid.hpp"
#include "common/platform/windows/directory_acl.hpp"
#include "common/platform/windows/event_log.hpp"
#include "common/platform/windows/local_group.hpp"
#include "common/platform/windows/machine_registry.hpp"
#include "common/platform/windows/service_recovery.hpp"
#include "setup/autoupgrade_task.hpp"

#include <array>
#include <iostream>

namespace azcm::setup {

namespace fs = std::filesystem;
namespace win = platform::windows;

namespace {

// The service SID of NT SERVICE\himds: S-1-5-80- and the SHA-1 of "HIMDS" in UTF-16LE as five
// little-endian numbers. Fixed, so the DACLs can name it before the service exists.
constexpr const char* kHimdsSid = "S-1-5-80-4215458991-2034252225-2287069555-1155419622-2701885083";

// SDDL access masks: FA full; 0x1200a9 read and execute (list, read, traverse).
std::string allow(const std::string& sid, const char* rights = "FA") {
    return std::string("(A;OICI;") + rights + ";;;" + sid + ")";
}
// SYSTEM and Administrators full, nothing inherited from above.
std::string adminsOnly() {
    return "D:P" + allow("SY") + allow("BA");
}
// As a root-owned 0755 directory: everyone reads.
std::string readableByUsers() {
    return adminsOnly() + allow("BU", "0x1200a9");
}

// NetworkService, arcproxy's account.
constexpr const char* kArcproxyAccountSid = "S-1-5-20";

// The group whose members read the proxy credentials (localconfig.secret.json), as group
// azcmproxy does on Linux: himds' and arcproxy's accounts (the other services run as SYSTEM).
Result<void> ensureProxySecretGroup() {
    BOOST_OUTCOME_TRY(win::ensureLocalGroup(
        config::kProxySecretGroup,
        "Members may read the proxy credentials of the Azure Connected Machine Agent"));
    BOOST_OUTCOME_TRY(group_sid, win::localGroupSid(config::kProxySecretGroup));
    if (!group_sid) {
        // Fail closed: the secret file is then private to its writer, SYSTEM and Administrators.
        std::cerr << "azcm_setup: warning: the local group '" << config::kProxySecretGroup
                  << "' cannot be found after its creation; arcproxy will not read proxy "
                     "credentials\n";
        return ok();
    }
    BOOST_OUTCOME_TRY(win::addLocalGroupMember(config::kProxySecretGroup, kHimdsSid));
    return win::addLocalGroupMember(config::kProxySecretGroup, kArcproxyAccountSid);
}

struct AgentService {
    const char* daemon;
    const char* executable; // relative to the install directory
    bool virtual_account;
};
constexpr std::array<AgentService, 4> kServices{{
    {"himds", "himds.exe", true},
    {"gcservice", "GCArcService2\\GC\\gc_arc_service.exe", false},
    {"extservice", "ExtensionService2\\GC\\gc_extension_service.exe", false},
    {"arcproxy", "arcproxy.exe", false},
}};

} // namespace

std::vector<DirectoryRule> directoryRules(const Paths& paths, const std::string& reader_group_sid) {
    const std::string himds = allow(kHimdsSid);
    // NetworkService: arcproxy's account.
    const std::string arcproxy = allow("NS");
    return {
        {paths.agentDataDir(), readableByUsers()},
        {paths.agentConfig().parent_path(), readableByUsers()},
        {paths.certsDir(), adminsOnly() + himds},
        // Readers list and read challenge files but never create one.
        {paths.tokensDir(),
         adminsOnly() + himds +
             (reader_group_sid.empty() ? std::string() : allow(reader_group_sid, "0x1200a9"))},
        {paths.socketsDir(), readableByUsers()},
        {paths.socketDirFor("himds"), readableByUsers() + himds},
        {paths.socketDirFor("arcproxy"), readableByUsers() + arcproxy},
        {paths.logDir(), readableByUsers()},
        {paths.logDirFor("himds"), readableByUsers() + himds},
        {paths.logDirFor("arcproxy"), readableByUsers() + arcproxy},
        {paths.guestConfigDir(), readableByUsers()},
        {paths.guestConfigAgentLog().parent_path(), readableByUsers()},
        {paths.extensionManagerLog().parent_path(), readableByUsers()},
        {paths.extensionLogsDir(), readableByUsers()},
        {paths.extensionStateDir(), adminsOnly()},
        {paths.guestConfigStateDir(), adminsOnly()},
        {paths.extensionsDir().parent_path(), readableByUsers()},
        {paths.extensionsDir(), adminsOnly()},
        {paths.downloadsDir().parent_path(), readableByUsers()},
        {paths.downloadsDir(), adminsOnly()},
    };
}

std::vector<std::pair<std::string, std::string>> machineVariables() {
    return {{"IDENTITY_ENDPOINT", "http://localhost:40342/metadata/identity/oauth2/token"},
            {"IMDS_ENDPOINT", "http://localhost:40342"}};
}

Result<void> install(const Paths& paths, const fs::path& install_dir) {
    BOOST_OUTCOME_TRY(win::ensureLocalGroup(
        win::kReaderGroupName,
        "Members may request managed-identity tokens from the Azure Connected Machine Agent"));
    BOOST_OUTCOME_TRY(group_sid, win::accountSid(win::kReaderGroupName));
    if (!group_sid) {
        // Fail closed: Tokens is then readable by SYSTEM, Administrators and himds only. (wine's
        // NetLocalGroupAdd reports success and creates nothing.)
        std::cerr << "azcm_setup: warning: the local group '" << win::kReaderGroupName
                  << "' cannot be found after its creation; its members will not read tokens\n";
    }
    BOOST_OUTCOME_TRY(ensureProxySecretGroup());
    for (const auto& rule : directoryRules(paths, group_sid.value_or(""))) {
        BOOST_OUTCOME_TRY(win::ensureDirectoryWithDacl(rule.path, rule.sddl));
    }
    for (const auto& [name, value] : machineVariables()) {
        BOOST_OUTCOME_TRY(win::setMachineVariable(name, value));
    }
    BOOST_OUTCOME_TRY(win::addToMachinePath(install_dir));
    win::announceEnvironmentChange();
    for (const auto& service : kServices) {
        const auto name = platform::installedServiceName(service.daemon);
        BOOST_OUTCOME_TRY(win::writeRegistryKey(
            win::eventSourceRegistration(name, (install_dir / service.executable).string())));
        BOOST_OUTCOME_TRY(recovery, win::restartOnFailure(name));
        if (recovery == win::ServiceSetting::unsupported) {
            std::cerr << "azcm_setup: warning: the service manager cannot restart " << name
                      << " on failure (it does not support recovery actions)\n";
        }
        if (service.virtual_account) {
            BOOST_OUTCOME_TRY(sid_type, win::useUnrestrictedServiceSid(name));
            if (sid_type == win::ServiceSetting::unsupported) {
                std::cerr << "azcm_setup: warning: the service manager cannot give " << name
                          << " an unrestricted service SID\n";
            }
        }
    }
    return registerAutoUpgradeTask(install_dir);
}

Result<void> uninstall(const fs::path& install_dir) {
    // A task an administrator removed already is no reason to keep the agent installed.
    if (auto removed = removeAutoUpgradeTask(); !removed) {
        std::cerr << "azcm_setup: warning: " << removed.error().message << "\n";
    }
    for (const auto& [name, value] : machineVariables()) {
        BOOST_OUTCOME_TRY(win::removeMachineVariable(name));
    }
    BOOST_OUTCOME_TRY(win::removeFromMachinePath(install_dir));
    win::announceEnvironmentChange();
    for (const auto& service : kServices) {
        BOOST_OUTCOME_TRY(win::deleteRegistryKey(
            win::eventSourceRegistration(platform::installedServiceName(service.daemon), "").key));
    }
    BOOST_OUTCOME_TRY(win::deleteLocalGroup(config::kProxySecretGroup));
    return win::deleteLocalGroup(win::kReaderGroupName);
}

} // namespace azcm::setup
