// The IMDS API of a himds on the host's real paths and port 40342, as root (label
// integration-root, run serially): the official SDK gets a managed identity token that verifies
// against the emulator's JWKS, and only members of the group himds can read a challenge's key file.
// Every test refuses to run on a host that has an agent, and leaves the host as it found it.
#include "common/paths/paths.hpp"
#include "emulator_jwks.hpp"
#include "host_agent.hpp"
#include "sandbox.hpp"
#include "system_accounts.hpp"

#include <cstdio>
#include <optional>
#include <stdexcept>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>

namespace azcm::test {
namespace {

using nlohmann::json;

constexpr const char* kArmScope = "https://management.azure.com/.default";
// The SDK asks for the scope's resource (without /.default), and the token's audience is that.
constexpr const char* kArmAudience = "https://management.azure.com";
constexpr const char* kTokenGroup = "himds";

std::string octal(mode_t mode) {
    char text[8];
    std::snprintf(text, sizeof(text), "%04o", static_cast<unsigned>(mode & 07777));
    return text;
}

class ImdsRootTest : public ::testing::Test {
protected:
    void SetUp() override {
        try {
            guard_.emplace();
        } catch (const std::exception& e) {
            FAIL() << "refusing to run: " << e.what();
        }
    }

    // The emulator (in a temporary directory, as always), himds on the host, and this machine
    // onboarded through azcmagent on the host's paths.
    void startAndConnect(const std::string& machine_name) {
        sandbox_.startEmulator();
        himds_.emplace(sandbox_.root() / "himds.out");
        for (const auto& variable : himds_->environment()) {
            ASSERT_FALSE(variable.starts_with("AZCM_ROOT=")) << "himds must run on the real paths";
        }
        ASSERT_EQ(himds_->status().at("imds").value("port", 0), kDefaultImdsPort)
            << himds_->status().dump();
        const auto onboarder = sandbox_.createServicePrincipal("onboarder", kOnboarding);
        const auto connect = hostAzcmagent(sandbox_.connectArgs(onboarder, machine_name));
        ASSERT_EQ(connect.exit_code, 0) << connect.out << connect.err << himds_->output();
        ASSERT_TRUE(std::filesystem::exists(Paths("/").agentConfig()));
    }

    // Declared in the order of need: destroyed in reverse, himds first, the guard's clean-up last.
    std::optional<HostAgentGuard> guard_;
    SystemAccounts accounts_;
    Sandbox sandbox_;
    std::optional<HostHimds> himds_;
};

json probeAs(const std::string& user) {
    const auto result =
        runCommand({AZCM_TOKEN_PROBE, user, std::to_string(kDefaultImdsPort), kArmAudience});
    if (result.exit_code != 0) {
        throw std::runtime_error("imds_token_probe as " + user + " exited " +
                                 std::to_string(result.exit_code) + ": " + result.err);
    }
    return json::parse(result.out);
}

TEST_F(ImdsRootTest, OfficialSdkGetsATokenSignedByTheEmulator) {
    const std::filesystem::path sdk_dir = AZCM_SDK_DIR;
    ASSERT_TRUE(std::filesystem::exists(sdk_dir / "node_modules" / "@azure" / "identity"))
        << "run `npm install` in tests/sdk (scripts/test.sh does)";
    ASSERT_NO_FATAL_FAILURE(startAndConnect("mi-sdk01"));

    SpawnOptions options;
    options.env = {{"IDENTITY_ENDPOINT", "http://localhost:40342/metadata/identity/oauth2/token"},
                   {"IMDS_ENDPOINT", "http://localhost:40342"}};
    const auto result =
        runCommand(withoutSandboxEnvironment(
                       {"node", (sdk_dir / "arc_managed_identity.mjs").string(), kArmScope}),
                   options);
    ASSERT_EQ(result.exit_code, 0) << result.out << result.err << himds_->output();
    const auto token = json::parse(result.out).at("token").get<std::string>();

    json claims;
    try {
        claims = verifyEmulatorToken(sandbox_.cloud(), token, kArmAudience);
    } catch (const std::exception& e) {
        FAIL() << e.what();
    }
    // The verification has teeth: one altered signature character and the token is refused.
    std::string tampered = token;
    char& altered = tampered.at(tampered.size() - 10);
    altered = altered == 'A' ? 'B' : 'A';
    EXPECT_THROW(verifyEmulatorToken(sandbox_.cloud(), tampered, kArmAudience), std::runtime_error);

    const auto machine = sandbox_.getMachine("arc-rg", "mi-sdk01");
    ASSERT_TRUE(machine.has_value());
    EXPECT_EQ(claims.value("aud", ""), kArmAudience);
    EXPECT_EQ(claims.value("oid", ""), machine->at("identity").value("principalId", "?"));
    // The managed identity's resource id spells the resource group segment in lower case.
    std::string resource_id = machine->at("id").get<std::string>();
    const std::string segment = "/resourceGroups/";
    const auto at = resource_id.find(segment);
    ASSERT_NE(at, std::string::npos) << resource_id;
    resource_id.replace(at, segment.size(), "/resourcegroups/");
    EXPECT_EQ(claims.value("xms_mirid", ""), resource_id) << claims.dump(2);
}

TEST_F(ImdsRootTest, OnlyTheHimdsGroupCanReadChallengeKeys) {
    gid_t token_group = 0;
    try {
        // Before himds starts: it looks the group up once, at start-up.
        token_group = accounts_.ensureGroup(kTokenGroup);
        accounts_.ensureUser("arcapp", {kTokenGroup});
        accounts_.ensureUser("outsider", {});
    } catch (const std::exception& e) {
        FAIL() << e.what();
    }
    ASSERT_TRUE(SystemAccounts::isMember("arcapp", token_group))
        << "the existing user arcapp is not in group himds; remove it or add it to the group";
    ASSERT_FALSE(SystemAccounts::isMember("outsider", token_group))
        << "the existing user outsider is in group himds; remove it or take it out of the group";
    ASSERT_NO_FATAL_FAILURE(startAndConnect("mi-group01"));

    const auto tokens_dir = Paths("/").tokensDir();
    struct stat dir {};
    ASSERT_EQ(::lstat(tokens_dir.c_str(), &dir), 0) << tokens_dir;
    ASSERT_TRUE(S_ISDIR(dir.st_mode)) << tokens_dir << " must be a directory, not a symlink";
    EXPECT_EQ(dir.st_mode & 07777 & ~mode_t{0750}, 0U)
        << tokens_dir << " is " << octal(dir.st_mode) << ", must be 0750 or stricter";
    EXPECT_EQ(dir.st_gid, token_group) << tokens_dir << " must belong to group himds";
    EXPECT_EQ(dir.st_uid, ::geteuid()) << tokens_dir << " must belong to himds's user";

    json member;
    json outsider;
    try {
        member = probeAs("arcapp");
        outsider = probeAs("outsider");
    } catch (const std::exception& e) {
        FAIL() << e.what() << himds_->output();
    }
    EXPECT_EQ(member.value("challenge", 0), 401) << member.dump();
    EXPECT_TRUE(member.value("readable", false)) << member.dump();
    EXPECT_EQ(member.value("answer", 0), 200) << member.dump();
    EXPECT_TRUE(member.value("token", false)) << member.dump();

    EXPECT_EQ(outsider.value("challenge", 0), 401) << outsider.dump();
    EXPECT_FALSE(outsider.value("readable", true)) << outsider.dump();
    EXPECT_EQ(outsider.value("readError", ""), "EACCES") << outsider.dump();
    EXPECT_EQ(outsider.value("answer", 0), 401) << outsider.dump();
    EXPECT_FALSE(outsider.value("token", true)) << outsider.dump();

    // The outsider's challenge is still outstanding, so its key file is there to inspect.
    const std::filesystem::path key = outsider.value("keyPath", "");
    EXPECT_EQ(key.parent_path(), tokens_dir);
    EXPECT_EQ(key.extension(), ".key");
    struct stat file {};
    ASSERT_EQ(::lstat(key.c_str(), &file), 0) << key;
    EXPECT_TRUE(S_ISREG(file.st_mode)) << key;
    EXPECT_EQ(octal(file.st_mode), "0640") << key;
    EXPECT_EQ(file.st_gid, token_group) << key << " must belong to group himds";
}

} // namespace
} // namespace azcm::test
