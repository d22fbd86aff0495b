// proxy.url credentials and the two files of the local configuration: localconfig.json (0644, any
// user reads it) holds the URL redacted; the secret file beside it holds it in full, root only
// (or one group). Readers, writers stopped half-way, files written by older versions.
#include "common/config/local_config.hpp"
#include "common/fs/atomic_file.hpp"
#include "common/paths/paths.hpp"
#include "temp_dir.hpp"

#include <cerrno>
#include <filesystem>

#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace azcm::config {
namespace {

using nlohmann::json;
namespace stdfs = std::filesystem;

constexpr const char* kFullUrl = "http://alice:s3cret@proxy.corp:3128";
constexpr const char* kShownUrl = "http://***@proxy.corp:3128";
constexpr uid_t kNobody = 65534;

class LocalConfigSecret : public ::testing::Test {
protected:
    stdfs::path file() const { return dir_.path() / "localconfig.json"; }
    stdfs::path secret() const { return Paths::localConfigSecretFor(file()); }
    static std::string text(const stdfs::path& path) {
        auto read = fs::readFile(path);
        return read ? read.value() : std::string("<unreadable>");
    }
    static struct stat statOf(const stdfs::path& path) {
        struct stat info {};
        EXPECT_EQ(::lstat(path.c_str(), &info), 0) << path;
        return info;
    }
    void save(const std::string& proxy_url, SecretFileAccess access = {}) {
        LocalConfig config;
        config.proxy_url = proxy_url;
        auto saved = saveLocalConfig(file(), config, access);
        ASSERT_TRUE(saved) << saved.error().message;
    }
    std::string load(ProxyCredentials credentials) {
        auto loaded = loadLocalConfig(file(), credentials);
        EXPECT_TRUE(loaded) << (loaded ? "" : loaded.error().message);
        return loaded ? loaded.value().proxy_url : std::string();
    }

    test::TempDir dir_;
};

// Another uid (nobody) in a child process: 0 when it can read the public file and `config get`'s
// view of it, but neither the secret file nor the full configuration.
int probeAsAnotherUser(const stdfs::path& file, const stdfs::path& secret) {
    const pid_t child = ::fork();
    if (child == 0) {
        if (::setgroups(0, nullptr) != 0 || ::setgid(kNobody) != 0 || ::setuid(kNobody) != 0) {
            ::_exit(10);
        }
        const int public_fd = ::open(file.c_str(), O_RDONLY);
        const int secret_fd = ::open(secret.c_str(), O_RDONLY);
        const bool secret_refused = secret_fd < 0 && errno == EACCES;
        const auto shown = loadLocalConfig(file, ProxyCredentials::kRedacted);
        const auto full = loadLocalConfig(file, ProxyCredentials::kInclude);
        int status = 0;
        status |= public_fd >= 0 ? 0 : 1;
        status |= secret_refused ? 0 : 2;
        status |= shown && shown.value().proxy_url == kShownUrl ? 0 : 4;
        status |= !full && full.error().message.find(secret.string()) != std::string::npos ? 0 : 8;
        ::_exit(status);
    }
    int status = -1;
    ::waitpid(child, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 100;
}

TEST_F(LocalConfigSecret, CredentialsNeverReachTheWorldReadableFile) {
    save(kFullUrl);

    const auto public_text = text(file());
    EXPECT_EQ(public_text.find("s3cret"), std::string::npos) << public_text;
    EXPECT_EQ(public_text.find("alice"), std::string::npos) << public_text;
    EXPECT_EQ(json::parse(public_text).at("proxy.url"), kShownUrl);
    EXPECT_EQ(statOf(file()).st_mode & 07777, 0644U);

    const auto secret_info = statOf(secret());
    EXPECT_TRUE(S_ISREG(secret_info.st_mode));
    EXPECT_EQ(secret_info.st_mode & 07777, 0600U);
    EXPECT_EQ(secret_info.st_uid, ::geteuid());
    EXPECT_EQ(json::parse(text(secret())).at("proxy.url"), kFullUrl);

    EXPECT_EQ(load(ProxyCredentials::kInclude), kFullUrl);
    EXPECT_EQ(load(ProxyCredentials::kRedacted), kShownUrl);
    if (::geteuid() == 0) {
        stdfs::permissions(dir_.path(), stdfs::perms(0755));
        EXPECT_EQ(probeAsAnotherUser(file(), secret()), 0)
            << "bits: 1 public unreadable, 2 secret readable, 4 redacted view, 8 full view";
    }
}

TEST_F(LocalConfigSecret, AGroupMayBeGivenReadAccessAndNothingMore) {
    const gid_t group = ::getegid();
    save(kFullUrl, SecretFileAccess{group});
    const auto info = statOf(secret());
    EXPECT_EQ(info.st_mode & 07777, 0640U);
    EXPECT_EQ(info.st_gid, group);
    // Nothing else is left behind: no temporary file, no backup of the secret.
    for (const auto& entry : stdfs::directory_iterator(dir_.path())) {
        const auto name = entry.path().filename().string();
        EXPECT_TRUE(name == "localconfig.json" || name == "localconfig.secret.json") << name;
    }
}

TEST_F(LocalConfigSecret, ClearingTheProxyRemovesTheSecret) {
    save(kFullUrl);
    ASSERT_TRUE(stdfs::exists(secret()));
    save("");
    EXPECT_FALSE(stdfs::exists(secret()));
    EXPECT_FALSE(stdfs::exists(secret().string() + ".bak"));
    EXPECT_EQ(load(ProxyCredentials::kInclude), "");
    // A proxy without credentials needs no secret file at all.
    save("http://proxy.corp:3128");
    EXPECT_FALSE(stdfs::exists(secret()));
    EXPECT_EQ(load(ProxyCredentials::kInclude), "http://proxy.corp:3128");
}

TEST_F(LocalConfigSecret, AnOlderFileWithCredentialsIsReadThenMigratedOnTheFirstWrite) {
    const json legacy = {{"proxy.url", kFullUrl}, {"extensions.enabled", false}};
    ASSERT_TRUE(fs::writeFileAtomic(file(), legacy.dump(), {0644, {}}));
    ASSERT_TRUE(fs::writeFileAtomic(file().string() + ".bak", legacy.dump(), {0644, {}}));
    // Readers keep working before any write.
    EXPECT_EQ(load(ProxyCredentials::kInclude), kFullUrl);
    EXPECT_EQ(load(ProxyCredentials::kRedacted), kShownUrl);

    auto config = loadLocalConfig(file()).value();
    config.extensions_enabled = true;
    ASSERT_TRUE(saveLocalConfig(file(), config, {}));

    for (const auto& world_readable : {file(), stdfs::path(file().string() + ".bak")}) {
        const auto content = text(world_readable);
        EXPECT_EQ(content.find("s3cret"), std::string::npos) << world_readable << ": " << content;
        EXPECT_EQ(json::parse(content).at("proxy.url"), kShownUrl) << world_readable;
    }
    // The backup is still the previous settings, only redacted.
    EXPECT_EQ(json::parse(text(file().string() + ".bak")).at("extensions.enabled"), false);
    EXPECT_EQ(statOf(secret()).st_mode & 07777, 0600U);
    EXPECT_EQ(load(ProxyCredentials::kInclude), kFullUrl);
}

TEST_F(LocalConfigSecret, AWriterStoppedBetweenTheTwoFilesLeavesTheOldPairReadable) {
    save("http://a:one@proxy-a:3128");
    // What a writer of http://b:two@proxy-b:3128 leaves when killed after the secret file and
    // before localconfig.json: the new secret, its backup the old one, the old public file.
    ASSERT_TRUE(fs::writeFileAtomic(
        secret(), json{{"proxy.url", "http://b:two@proxy-b:3128"}}.dump(), {0600, {}}, true));
    EXPECT_EQ(load(ProxyCredentials::kInclude), "http://a:one@proxy-a:3128");
    // The next write completes either way and leaves no old credentials behind.
    save("http://b:two@proxy-b:3128");
    EXPECT_EQ(load(ProxyCredentials::kInclude), "http://b:two@proxy-b:3128");
    EXPECT_FALSE(stdfs::exists(secret().string() + ".bak"));
}

TEST_F(LocalConfigSecret, AMissingOrForeignSecretIsAnErrorNamingTheFile) {
    ASSERT_TRUE(fs::writeFileAtomic(file(), json{{"proxy.url", kShownUrl}}.dump(), {0644, {}}));
    for (int round = 0; round < 2; ++round) {
        auto loaded = loadLocalConfig(file(), ProxyCredentials::kInclude);
        ASSERT_FALSE(loaded);
        EXPECT_EQ(loaded.error().code, exitcode::kLocalConfigRead);
        EXPECT_NE(loaded.error().message.find(secret().string()), std::string::npos)
            << loaded.error().message;
        EXPECT_EQ(load(ProxyCredentials::kRedacted), kShownUrl);
        // Credentials of another proxy are not sent to this one.
        ASSERT_TRUE(fs::writeFileAtomic(
            secret(), json{{"proxy.url", "http://alice:s3cret@elsewhere:3128"}}.dump(),
            {0600, {}}));
    }
}

TEST_F(LocalConfigSecret, AConfigurationReadRedactedKeepsTheStoredCredentialsWhenSaved) {
    save(kFullUrl);
    auto shown = loadLocalConfig(file(), ProxyCredentials::kRedacted).value();
    shown.extensions_enabled = false;
    ASSERT_TRUE(saveLocalConfig(file(), shown, {}));
    EXPECT_EQ(load(ProxyCredentials::kInclude), kFullUrl);
    EXPECT_EQ(loadLocalConfig(file()).value().extensions_enabled, false);
}

TEST_F(LocalConfigSecret, ASymlinkPlantedAsTheSecretFileIsNeitherReadNorWrittenThrough) {
    save(kFullUrl);
    const auto victim = dir_.path() / "victim";
    ASSERT_TRUE(fs::writeFileAtomic(victim, "untouched", {0644, {}}));
    stdfs::remove(secret());
    stdfs::create_symlink(victim, secret());
    EXPECT_FALSE(loadLocalConfig(file(), ProxyCredentials::kInclude));
    save("http://bob:other@proxy.corp:3128");
    EXPECT_EQ(text(victim), "untouched");
    EXPECT_FALSE(stdfs::is_symlink(secret()));
    EXPECT_EQ(load(ProxyCredentials::kInclude), "http://bob:other@proxy.corp:3128");
}

} // namespace
} // namespace azcm::config
