#include "setup/autoupgrade_task.hpp"

#include "common/fs/atomic_file.hpp"
#include "common/platform/child_process.hpp"
#include "common/platform/windows/wide_text.hpp"

#include <vector>

namespace azcm::setup {

namespace {

// schtasks.exe registers a task in a moment; the bound only keeps a hung one from hanging the
// installer.
constexpr std::chrono::seconds kSchtasksTimeout{60};
constexpr const char* kDefinitionFile = "AutoUpgradeTask.xml";

std::string escapedXml(const std::string& text) {
    std::string escaped;
    for (const char c : text) {
        switch (c) {
        case '&':
            escaped += "&amp;";
            break;
        case '<':
            escaped += "&lt;";
            break;
        case '>':
            escaped += "&gt;";
            break;
        case '"':
            escaped += "&quot;";
            break;
        default:
            escaped += c;
        }
    }
    return escaped;
}

Result<void> runSchtasks(std::vector<std::string> arguments, const std::string& what) {
    platform::ChildProcessSpec spec;
    spec.argv = {"schtasks.exe"};
    spec.argv.insert(spec.argv.end(), arguments.begin(), arguments.end());
    spec.environment = platform::childEnvironment(platform::processEnvironment());
    spec.timeout = kSchtasksTimeout;
    spec.merge_stderr = true;
    BOOST_OUTCOME_TRY(result, platform::runChildProcess(spec));
    if (result.timed_out || result.exit_code != 0) {
        return makeError(exitcode::kGeneric,
                         "schtasks.exe cannot " + what + " the task " + kAutoUpgradeTaskName +
                             (result.timed_out
                                  ? std::string(" (timed out)")
                                  : " (exit code " + std::to_string(result.exit_code) + ")") +
                             (result.output.empty() ? std::string() : ": " + result.output));
    }
    return ok();
}

} // namespace

std::string autoUpgradeTaskXml(const std::filesystem::path& install_dir) {
    const std::string program = escapedXml((install_dir / "azcmagent.exe").string());
    // Every minute from a start in the past; a run still going when the next is due makes that
    // one skip (IgnoreNew), and a run is ended after an hour (an upgrade with its health check
    // takes minutes). S-1-5-18 is LocalSystem: msiexec needs the machine's rights.
    return std::string(R"(<?xml version="1.0" encoding="UTF-16"?>
<Task version="1.2" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">
  <RegistrationInfo>
    <Description>Azure Connected Machine Agent: installs the agent version Azure Resource Manager asks for when automatic upgrades are enabled (azcmagent upgrade --automatic).</Description>
    <URI>)") +
           escapedXml(kAutoUpgradeTaskName) +
           R"(</URI>
  </RegistrationInfo>
  <Triggers>
    <TimeTrigger>
      <Repetition>
        <Interval>PT1M</Interval>
        <StopAtDurationEnd>false</StopAtDurationEnd>
      </Repetition>
      <StartBoundary>2020-01-01T00:00:00</StartBoundary>
      <Enabled>true</Enabled>
    </TimeTrigger>
  </Triggers>
  <Principals>
    <Principal id="LocalSystem">
      <UserId>S-1-5-18</UserId>
      <RunLevel>HighestAvailable</RunLevel>
    </Principal>
  </Principals>
  <Settings>
    <MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>
    <DisallowStartIfOnBatteries>false</DisallowStartIfOnBatteries>
    <StopIfGoingOnBatteries>false</StopIfGoingOnBatteries>
    <StartWhenAvailable>true</StartWhenAvailable>
    <ExecutionTimeLimit>PT1H</ExecutionTimeLimit>
    <Enabled>true</Enabled>
  </Settings>
  <Actions Context="LocalSystem">
    <Exec>
      <Command>)" +
           program + R"(</Command>
      <Arguments>upgrade --automatic</Arguments>
    </Exec>
  </Actions>
</Task>
)";
}

Result<void> registerAutoUpgradeTask(const std::filesystem::path& install_dir) {
    // UTF-16LE with its byte order mark, as the declaration says and schtasks.exe reads it.
    BOOST_OUTCOME_TRY(wide, platform::windows::toWide(autoUpgradeTaskXml(install_dir)));
    std::string bytes = "\xff\xfe";
    for (const wchar_t unit : wide) {
        bytes += static_cast<char>(unit & 0xff);
        bytes += static_cast<char>((unit >> 8) & 0xff);
    }
    const auto definition = install_dir / kDefinitionFile;
    BOOST_OUTCOME_TRY(fs::writeFileAtomic(definition, bytes));
    auto registered = runSchtasks(
        {"/Create", "/TN", kAutoUpgradeTaskName, "/XML", definition.string(), "/F"}, "register");
    (void)fs::removeFile(definition);
    return registered;
}

Result<void> removeAutoUpgradeTask() {
    return runSchtasks({"/Delete", "/TN", kAutoUpgradeTaskName, "/F"}, "remove");
}

} // namespace azcm::setup
