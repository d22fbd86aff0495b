#include "azcmagent/app.hpp"
#include "azcmagent/logs_command.hpp"
#include "common/agent_version.hpp"
#include "fake_environment.hpp"
#include "hostile_environment.hpp"

#include <fstream>
#include <map>
#include <regex>

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

namespace azcm::azcmagent {
namespace {

using nlohmann::json;
namespace stdfs = std::filesystem;

void write(const stdfs::path& file, const std::string& content) {
    stdfs::create_directories(file.parent_path());
    std::ofstream(file, std::ios::binary) << content;
}

// Every entry of a zip, read back with libarchive.
std::map<std::string, std::string> readZip(const stdfs::path& zip) {
    std::map<std::string, std::string> entries;
    ::archive* reader = archive_read_new();
    archive_read_support_format_zip(reader);
    EXPECT_EQ(archive_read_open_filename(reader, zip.c_str(), 65536), ARCHIVE_OK);
    archive_entry* entry = nullptr;
    while (archive_read_next_header(reader, &entry) == ARCHIVE_OK) {
        std::string content;
        std::array<char, 8192> buffer{};
        la_ssize_t got = 0;
        while ((got = archive_read_data(reader, buffer.data(), buffer.size())) > 0) {
            content.append(buffer.data(), static_cast<std::size_t>(got));
        }
        entries[archive_entry_pathname(entry)] = content;
    }
    archive_read_free(reader);
    return entries;
}

// Secrets planted in every place the zip draws from; none may appear in it.
const std::vector<std::string> kSecrets = {"PROXY-PASS-1",  "PROTECTED-2", "SAS-SIG-3",
                                           "PRIVATE-KEY-4", "CHALLENGE-5", "LINKED-6",
                                           "SP-SECRET-7"};

class LogsCommand : public ::testing::Test {
protected:
    void SetUp() override {
        const auto& paths = fake.env().paths;
        // The installed layout: himds writes in its own directory, log/himds.log links there.
        write(paths.ownLogFile("himds"), "himds current line\n");
        write(paths.logDirFor("himds") / "himds.1.log", "himds rotated line\n");
        stdfs::create_symlink("himds/himds.log", paths.logFile("himds"));
        write(paths.logFile("azcmagent"), "azcmagent line\n");
        write(paths.guestConfigAgentLog(), "gc agent line\n");
        write(paths.extensionManagerLog(), "ext manager line\n");
        write(paths.extensionLogsDir() / "Contoso.Widget-1.0" / "handler.log", "handler line\n");
        write(paths.certsDir() / "machine.prv", "PRIVATE-KEY-4");
        write(paths.tokensDir() / "0f.key", "CHALLENGE-5");
        // A symlink in a log directory must not pull a file from elsewhere into the zip.
        write(fake.root() / "elsewhere" / "shadow", "LINKED-6");
        stdfs::create_symlink(fake.root() / "elsewhere" / "shadow", paths.logDir() / "evil.log");
        stdfs::create_symlink(fake.root() / "elsewhere" / "shadow",
                              paths.logDirFor("himds") / "planted.log");
        write(paths.localConfig(), json{{"proxy.url", "http://arc:PROXY-PASS-1@proxy.local:3128"},
                                        {"extensions.enabled", true}}
                                       .dump());
        write(paths.agentConfig(), json{{"resourceName", "web01"},
                                        {"tenantId", "tenant-1"},
                                        {"servicePrincipalSecret", "SP-SECRET-7"}}
                                       .dump());
        const json settings = {
            {"runtimeSettings",
             {{{"handlerSettings",
                {{"protectedSettingsCertThumbprint", "AB12"},
                 {"protectedSettings", "PROTECTED-2"},
                 {"publicSettings",
                  {{"fileUris", {"https://store.blob/x.sh?sv=2022&sig=SAS-SIG-3&se=1"}},
                   {"commandToExecute", "sh x.sh"}}}}}}}}};
        write(paths.extensionsDir() / "Contoso.Widget-1.0" / "config" / "0.settings",
              settings.dump());
        tools.systemd_running = [] { return true; };
        tools.journald_running = [] { return true; };
        tools.run = [this](const std::vector<std::string>& argv) {
            commands.push_back(argv);
            return CapturedCommand{3, argv.front() + " output\n"};
        };
    }

    std::map<std::string, std::string> collect(bool full) {
        LogsOptions options;
        options.full = full;
        options.output = (fake.root() / (full ? "full.zip" : "default.zip")).string();
        auto written = writeLogsBundle(options, fake.env(), tools);
        EXPECT_TRUE(written) << (written ? "" : written.error().message);
        return written ? readZip(written.value()) : std::map<std::string, std::string>{};
    }

    test::FakeEnvironment fake;
    HostTools tools;
    std::vector<std::vector<std::string>> commands;
};

TEST_F(LogsCommand, ZipHoldsLogsConfigStatusAndJournalWithoutAnySecret) {
    const auto entries = collect(false);
    for (const char* expected :
         {"logs/azcmagent/himds.log", "logs/azcmagent/azcmagent.log",
          "logs/GuestConfig/arc_policy_logs/gc_agent.log",
          "logs/GuestConfig/ext_mgr_logs/gc_ext.log", "config/agentconfig.json",
          "config/localconfig.json", "config/extensions/Contoso.Widget-1.0/config/0.settings",
          "status/himds.json", "status/extservice.json", "status/gcservice.json",
          "systemd/systemctl-status.txt", "systemd/journal.txt", "manifest.json"}) {
        EXPECT_EQ(entries.count(expected), 1U) << expected;
    }
    // Default: the current file of each log only.
    EXPECT_EQ(entries.count("logs/azcmagent/himds.1.log"), 0U);
    EXPECT_EQ(entries.count("logs/GuestConfig/extension_logs/Contoso.Widget-1.0/handler.log"), 0U);
    EXPECT_EQ(entries.at("logs/azcmagent/himds.log"), "himds current line\n");

    for (const auto& [name, content] : entries) {
        EXPECT_EQ(name.find("certs"), std::string::npos) << name;
        EXPECT_EQ(name.find("tokens"), std::string::npos) << name;
        EXPECT_EQ(name.find("evil"), std::string::npos) << name;
        EXPECT_EQ(name.find("planted"), std::string::npos) << name;
        for (const auto& secret : kSecrets) {
            EXPECT_EQ(content.find(secret), std::string::npos) << secret << " in " << name;
        }
    }
    // Redacted, not dropped: the support engineer still sees the shape.
    const auto local = json::parse(entries.at("config/localconfig.json"));
    EXPECT_EQ(local.at("proxy.url"), "http://REDACTED@proxy.local:3128");
    EXPECT_EQ(local.at("extensions.enabled"), true);
    const auto settings =
        json::parse(entries.at("config/extensions/Contoso.Widget-1.0/config/0.settings"));
    const auto& handler = settings.at("runtimeSettings").at(0).at("handlerSettings");
    EXPECT_EQ(handler.at("protectedSettings"), "REDACTED");
    EXPECT_EQ(handler.at("publicSettings").at("commandToExecute"), "sh x.sh");
    EXPECT_EQ(handler.at("publicSettings").at("fileUris").at(0),
              "https://store.blob/x.sh?sv=2022&sig=REDACTED&se=1");
    EXPECT_EQ(json::parse(entries.at("config/agentconfig.json")).at("resourceName"), "web01");

    EXPECT_NE(entries.at("status/himds.json").find("Connected"), std::string::npos);
    EXPECT_NE(entries.at("status/gcservice.json").find("not answering"), std::string::npos);
    ASSERT_EQ(commands.size(), 2U);
    EXPECT_EQ(commands[0].front(), "systemctl");
    EXPECT_NE(std::find(commands[1].begin(), commands[1].end(), "-24h"), commands[1].end());
    EXPECT_NE(std::find(commands[1].begin(), commands[1].end(), "himdsd"), commands[1].end());
    EXPECT_NE(entries.at("systemd/journal.txt").find("journalctl output"), std::string::npos);
    const auto manifest = json::parse(entries.at("manifest.json"));
    EXPECT_EQ(manifest.at("agentVersion"), azcm::agentVersion());
    EXPECT_EQ(manifest.at("full"), false);
}

TEST_F(LogsCommand, FullAddsRotatedAndExtensionLogs) {
    const auto entries = collect(true);
    EXPECT_EQ(entries.at("logs/azcmagent/himds.1.log"), "himds rotated line\n");
    EXPECT_EQ(entries.at("logs/GuestConfig/extension_logs/Contoso.Widget-1.0/handler.log"),
              "handler line\n");
    for (const auto& [name, content] : entries) {
        for (const auto& secret : kSecrets) {
            EXPECT_EQ(content.find(secret), std::string::npos) << secret << " in " << name;
        }
    }
}

TEST_F(LogsCommand, WithoutSystemdNoCommandRunsAndTheManifestSaysWhy) {
    tools.systemd_running = [] { return false; };
    tools.journald_running = [] { return false; };
    const auto entries = collect(false);
    EXPECT_TRUE(commands.empty());
    EXPECT_EQ(entries.count("systemd/journal.txt"), 0U);
    EXPECT_NE(entries.at("manifest.json").find("journald is not running"), std::string::npos);
}

TEST_F(LogsCommand, NonRootIsRefusedWithExitCode18AndWritesNothing) {
    fake.elevated = false;
    const auto output = fake.root() / "refused.zip";
    const int status = runCli({"logs", "--output", output.string()}, fake.env());
    EXPECT_EQ(status, exitcode::kNotElevated);
    EXPECT_NE(fake.out().find("AZCM0018"), std::string::npos) << fake.out();
    EXPECT_FALSE(stdfs::exists(output));
}

TEST_F(LogsCommand, DefaultNameInTheCurrentDirectoryAndAbsolutePathPrinted) {
    const auto previous = stdfs::current_path();
    const auto here = fake.root() / "cwd";
    stdfs::create_directories(here);
    stdfs::current_path(here);
    const int status = runCli({"logs"}, fake.env());
    stdfs::current_path(previous);
    ASSERT_EQ(status, 0) << fake.out();
    std::smatch match;
    const std::string out = fake.out();
    ASSERT_TRUE(
        std::regex_search(out, match, std::regex(R"((/\S*/azcmagent-\d{8}T\d{6}-web01\.zip)\n)")))
        << out;
    const stdfs::path printed = match[1].str();
    EXPECT_EQ(printed.parent_path(), here);
    EXPECT_TRUE(stdfs::is_regular_file(printed));
    EXPECT_EQ(stdfs::status(printed).permissions() & stdfs::perms::all,
              stdfs::perms::owner_read | stdfs::perms::owner_write);
    EXPECT_EQ(readZip(printed).count("manifest.json"), 1U);
}

TEST_F(LogsCommand, PlantedKeysAndTheProxySecretNeverReachTheZip) {
    const auto& paths = fake.env().paths;
    const std::string pem_key =
        "-----BEGIN PRIVATE KEY-----\nKEY-IN-CERTS-11\n-----END PRIVATE KEY-----\n";
    write(paths.certsDir() / "machine.key", pem_key);
    write(paths.localConfigSecret(), R"({"proxy.url": "http://arc:PROXY-PASS-12@proxy:3128"})");
    // Hard links under the names of logs the bundle collects: the same files, not copies.
    stdfs::create_hard_link(paths.certsDir() / "machine.key", paths.logDir() / "himds.3.log");
    stdfs::create_hard_link(paths.localConfigSecret(), paths.logDir() / "arcproxy.log");
    // Copies: a handler that logged its key, one that logged the proxy URL, and the secret file
    // itself dropped into the log directory.
    write(paths.extensionLogsDir() / "Contoso.Widget-1.0" / "settings.log",
          "loading\n-----BEGIN RSA PRIVATE KEY-----\nKEY-COPY-13\n-----END RSA PRIVATE KEY-----\n");
    write(paths.extensionLogsDir() / "Contoso.Widget-1.0" / "proxy.log",
          "using proxy http://arc:PROXY-PASS-15@proxy:3128 for https://store.blob/p?sig=SIG-16\n");
    write(paths.logDir() / "localconfig.secret.json", "SECRET-NAME-14");

    const auto old_umask = ::umask(0);
    const auto entries = collect(true);
    ::umask(old_umask);
    for (const auto& [name, content] : entries) {
        for (const char* secret : {"KEY-IN-CERTS-11", "PROXY-PASS-12", "KEY-COPY-13",
                                   "SECRET-NAME-14", "PROXY-PASS-15", "SIG-16"}) {
            EXPECT_EQ(content.find(secret), std::string::npos) << secret << " in " << name;
        }
    }
    // The log that merely mentions a URL stays, redacted; the others are left out and listed.
    EXPECT_EQ(entries.at("logs/GuestConfig/extension_logs/Contoso.Widget-1.0/proxy.log"),
              "using proxy http://REDACTED@proxy:3128 for https://store.blob/p?sig=REDACTED\n");
    const auto manifest = json::parse(entries.at("manifest.json"));
    std::map<std::string, std::string> skipped;
    for (const auto& item : manifest.at("skipped")) {
        skipped[item.at("item").get<std::string>()] = item.at("reason").get<std::string>();
    }
    EXPECT_EQ(skipped["logs/azcmagent/himds.3.log"], "a key or secret file, never collected");
    EXPECT_EQ(skipped["logs/azcmagent/arcproxy.log"], "a key or secret file, never collected");
    EXPECT_EQ(skipped["logs/GuestConfig/extension_logs/Contoso.Widget-1.0/settings.log"],
              "holds a private key, never collected");
    // Created 0600 whatever the umask: the zip holds logs.
    const auto zip = fake.root() / "full.zip";
    EXPECT_EQ(stdfs::status(zip).permissions() & stdfs::perms::all,
              stdfs::perms::owner_read | stdfs::perms::owner_write);
}

TEST(LogsRedaction, UrlCredentialsAndSignaturesInAnyString) {
    EXPECT_EQ(redactString("see http://u:p@h:1/x and https://a@b"),
              "see http://REDACTED@h:1/x and https://REDACTED@b");
    EXPECT_EQ(redactString("https://h/p?sig=abc"), "https://h/p?sig=REDACTED");
    EXPECT_EQ(redactString("mail me at a@b.c"), "mail me at a@b.c");
    EXPECT_EQ(redactString("http://host/path@x"), "http://host/path@x");
    EXPECT_EQ(redactDocument(json{{"nested", {{"clientSecret", "s"}, {"keep", 1}}}}),
              (json{{"nested", {{"clientSecret", "REDACTED"}, {"keep", 1}}}}));
}

} // namespace
} // namespace azcm::azcmagent

namespace azcm::azcmagent {
namespace {

TEST(LogsHostTools, RunCapturesOutputAndExitCodeOfARealProcess) {
    const auto tools = systemHostTools(Paths("/"));
    const auto result = tools.run({"sh", "-c", "echo out; echo err >&2; exit 3"});
    EXPECT_EQ(result.exit_code, 3);
    EXPECT_EQ(result.output, "out\nerr\n");
    const auto missing = tools.run({"azcm-no-such-command"});
    EXPECT_EQ(missing.exit_code, -1);
    EXPECT_NE(missing.output.find("cannot run azcm-no-such-command"), std::string::npos);
}

// root's CLI run with a hostile PATH (an empty entry: the current directory, which holds planted
// "systemctl", "journalctl" and "env"), LD_PRELOAD and LD_LIBRARY_PATH: the tools come from the
// fixed safe PATH and see none of it.
TEST(LogsHostTools, ToolsComeFromTheSafePathAndSeeNothingOfAHostileEnvironment) {
    azcm::test::HostileEnvironment hostile;
    const auto tools = systemHostTools(Paths("/"));
    const auto result = tools.run({"env"});
    EXPECT_EQ(result.exit_code, 0) << result.output;
    EXPECT_EQ(hostile.leaksIn(result.output), "");
    EXPECT_NE(result.output.find("IDENTITY_ENDPOINT="), std::string::npos) << result.output;
    const auto relative = tools.run({"./systemctl"});
    EXPECT_EQ(relative.exit_code, -1);
    EXPECT_FALSE(hostile.plantedRan());
}

TEST(LogsHostTools, ASandboxNeverQueriesTheHostsSystemd) {
    const auto tools = systemHostTools(Paths("/tmp/some-sandbox"));
    EXPECT_FALSE(tools.systemd_running());
    EXPECT_FALSE(tools.journald_running());
}

} // namespace
} // namespace azcm::azcmagent
