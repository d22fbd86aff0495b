// The agent package feed: `arc-emulator agent publish` signs a deb, rpm or msi for its platform
// and version; connected machines list the versions of their platform, with their release times,
// and download them.
#include "common/crypto/encoding.hpp"
#include "common/crypto/package_signature.hpp"
#include "common/crypto/x509.hpp"
#include "common/fs/atomic_file.hpp"
#include "common/utc_time.hpp"
#include "emulator/http_util.hpp"
#include "emulator/package_publish_command.hpp"
#include "emulator/package_store.hpp"
#include "emulator_fixture.hpp"
#include "process.hpp"

#include <gtest/gtest.h>

namespace azcm::emulator::test {
namespace {

using nlohmann::json;

// The start of a .deb as dpkg-deb writes it, then `tag` so each package differs.
std::string debBytes(const std::string& tag) {
    return "!<arch>\ndebian-binary   1700000000  0     0     100644  4         `\n2.0\n" + tag;
}

class AgentFeedTest : public EmulatorFixture {
protected:
    void SetUp() override {
        createGroup("rg1");
        EXPECT_EQ(putMachine("rg1", "web01", machineKeyPem()).result_int(), 201);
        const json body{{"resourceId", machinePath("rg1", "web01")},
                        {"csr", crypto::createCsrPem(machineKeyPem(), "web01").value()}};
        auto issued =
            call(http::Verb::post, "/his/machines/certificate", body.dump(), ownerToken());
        EXPECT_EQ(issued.result_int(), 200) << issued.body();
        machine_.client_certificate_der =
            crypto::parseCertificatePem(parse(issued)["certificate"].get<std::string>())
                .value()
                .der;
    }

    // `arc-emulator agent publish` with a file holding `bytes` (and `--released`, when given).
    Result<json> publish(const std::string& bytes,
                         const std::string& version,
                         const std::string& released = {}) {
        const auto file = dir_.path() / ("package-" + version);
        EXPECT_TRUE(fs::writeFileAtomic(file, bytes));
        PublishOptions options;
        options.kind = "agent";
        options.file_option = "--package";
        options.data_dir = dir_.path(); // the database the running emulator reads
        options.zip = file;
        options.version = version;
        options.released = released;
        return publishPackageCommand(options);
    }

    http::Response get(const std::string& path, bool as_machine = true) {
        return call(http::Verb::get, path, {}, {}, as_machine ? machine_ : http::PeerInfo{});
    }

    http::PeerInfo machine_;
    std::string root_path_;
};

TEST_F(AgentFeedTest, PublishedVersionsAreListedNewestFirstAndDownloadAsSigned) {
    for (const char* version : {"1.0.1000.0", "1.0.30000.0", "1.0.2000.0"}) {
        auto published = publish(debBytes(version), version);
        ASSERT_TRUE(published) << published.error().message;
        root_path_ = published.value()["packageSigningRootPath"].get<std::string>();
        EXPECT_EQ(published.value()["type"], "deb") << "the platform comes from the content";
        EXPECT_EQ(published.value()["file"].get<std::string>().substr(
                      published.value()["file"].get<std::string>().size() - 4),
                  ".deb");
    }
    auto listed = get("/his/machines/packages/agent/deb");
    ASSERT_EQ(listed.result_int(), 200) << listed.body();
    const auto versions = parse(listed)["versions"];
    ASSERT_EQ(versions.size(), 3u) << versions.dump();
    EXPECT_EQ(versions[0]["version"], "1.0.30000.0");
    EXPECT_EQ(versions[1]["version"], "1.0.2000.0");
    EXPECT_EQ(versions[2]["version"], "1.0.1000.0");

    const auto& newest = versions[0];
    const std::string url = newest["url"];
    ASSERT_EQ(url.rfind(kBaseUrl, 0), 0u) << url;
    auto download = get(url.substr(std::string(kBaseUrl).size()));
    ASSERT_EQ(download.result_int(), 200) << download.body();
    EXPECT_EQ(download[http::Field::content_type], "application/vnd.debian.binary-package");
    EXPECT_EQ(download.body(), debBytes("1.0.30000.0"));
    EXPECT_EQ(crypto::hexEncode(crypto::sha256(download.body())), newest["sha256"]);
    EXPECT_EQ(newest["size"], download.body().size());
    // The signature binds the bytes to the platform and the version, under the root the
    // command names (cloud.json's packageSigningRootPath for this data directory).
    const auto root = fs::readFile(root_path_).value();
    auto signer = crypto::verifyPackageSignature(
        download.body(), crypto::base64Decode(newest["signature"].get<std::string>()).value(),
        root);
    ASSERT_TRUE(signer) << signer.error().message;
    EXPECT_EQ(signer.value().identity,
              (crypto::PackageIdentity{"agent", "", "deb", "1.0.30000.0"}));

    // "1.0" names the newest build of that minor, as `azcmagent upgrade --version 1.0` asks.
    auto line = findPackage(*store_, kPackageKindAgent, "", "deb", "1.0").value();
    ASSERT_TRUE(line);
    EXPECT_EQ(line->version, "1.0.30000.0");
}

// A package as dpkg-deb builds it, not only the bytes the detection looks at.
TEST_F(AgentFeedTest, ADebBuiltByDpkgDebIsPublishedAsADeb) {
    const auto root = dir_.path() / "deb-root";
    std::filesystem::create_directories(root / "DEBIAN");
    ASSERT_TRUE(fs::writeFileAtomic(root / "DEBIAN" / "control",
                                    "Package: azcm-feed-test\nVersion: 1.0.2.0\nArchitecture: all\n"
                                    "Maintainer: Test <test@example.org>\nDescription: test\n",
                                    {0644, {}}));
    const auto deb = dir_.path() / "azcm-feed-test.deb";
    const auto built = azcm::test::runCommand(
        {"/usr/bin/dpkg-deb", "--root-owner-group", "--build", root.string(), deb.string()});
    ASSERT_EQ(built.exit_code, 0) << built.err;
    auto published = publish(fs::readFile(deb).value(), "1.0.2.0");
    ASSERT_TRUE(published) << published.error().message;
    EXPECT_EQ(published.value()["type"], "deb");
}

TEST_F(AgentFeedTest, OtherPlatformsListNothingAndTheFeedNeedsAMachine) {
    ASSERT_TRUE(publish(debBytes("a"), "1.0.1000.0"));
    auto rpm = get("/his/machines/packages/agent/rpm");
    ASSERT_EQ(rpm.result_int(), 200) << rpm.body();
    EXPECT_TRUE(parse(rpm)["versions"].empty());
    EXPECT_EQ(get("/his/machines/packages/agent/exe").result_int(), 404);
    EXPECT_EQ(get("/his/machines/packages/agent/deb/1.0.9999.0").result_int(), 404);
    EXPECT_EQ(get("/his/machines/packages/agent/deb", false).result_int(), 401);
    EXPECT_EQ(get("/his/machines/packages/agent/deb/1.0.1000.0", false).result_int(), 401);
}

// The list tells machines when each release came out: agent_support measures the support window
// from it. --released sets it (normalised to UTC, whole seconds); by default it is the publish
// time.
TEST_F(AgentFeedTest, EachVersionIsListedWithItsReleaseTime) {
    auto old = publish(debBytes("old"), "1.0.1000.0", "2025-01-31T10:20:30.75+02:00");
    ASSERT_TRUE(old) << old.error().message;
    EXPECT_EQ(old.value()["released"], "2025-01-31T08:20:30Z");
    const auto before = std::chrono::system_clock::now() - std::chrono::seconds(1);
    auto fresh = publish(debBytes("new"), "1.0.2000.0");
    ASSERT_TRUE(fresh) << fresh.error().message;

    auto listed = get("/his/machines/packages/agent/deb");
    ASSERT_EQ(listed.result_int(), 200) << listed.body();
    const auto versions = parse(listed)["versions"];
    ASSERT_EQ(versions.size(), 2u) << versions.dump();
    EXPECT_EQ(versions[1]["version"], "1.0.1000.0");
    EXPECT_EQ(versions[1]["released"], "2025-01-31T08:20:30Z");
    const auto released = parseRfc3339(versions[0]["released"].get<std::string>());
    ASSERT_TRUE(released) << versions[0].dump();
    EXPECT_GE(*released, before);
    EXPECT_LE(*released, std::chrono::system_clock::now());
    EXPECT_EQ(versions[0]["released"], fresh.value()["released"]);

    // Published again without --released: a new release time, the publish time.
    ASSERT_TRUE(publish(debBytes("old again"), "1.0.1000.0"));
    const auto republished = parse(get("/his/machines/packages/agent/deb"))["versions"];
    EXPECT_NE(republished[1]["released"], "2025-01-31T08:20:30Z");
}

TEST_F(AgentFeedTest, ReleaseTimeMustBeAnRfc3339TimeNotInTheFuture) {
    for (const char* bad :
         {"2025-01-31", "yesterday", "2025-02-30T00:00:00Z", "2025-01-31T00:00:00",
          "2200-01-01T00:00:00Z", "2999-01-01T00:00:00Z"}) {
        auto refused = publish(debBytes("a"), "1.0.1000.0", bad);
        ASSERT_FALSE(refused) << bad;
        EXPECT_EQ(refused.error().code, exitcode::kInvalidArgument) << bad;
        EXPECT_NE(refused.error().message.find("--released"), std::string::npos)
            << refused.error().message;
    }
    EXPECT_EQ(publish(debBytes("a"), "1.0.1000.0", "yesterday").error().message,
              "--released 'yesterday' is not an RFC 3339 time such as 2025-01-31T00:00:00Z");
    EXPECT_EQ(publish(debBytes("a"), "1.0.1000.0", "2200-01-01T00:00:00Z")
                  .error()
                  .message.rfind("--released 2200-01-01T00:00:00Z is in the future (now ", 0),
              0u);
    EXPECT_TRUE(parse(get("/his/machines/packages/agent/deb"))["versions"].empty())
        << "nothing refused was stored";
}

// A database written before release times were kept has packages without one: they are listed
// as released when they were published.
TEST_F(AgentFeedTest, PackagesWithoutAReleaseRowAreReleasedWhenPublished) {
    ASSERT_TRUE(publish(debBytes("a"), "1.0.1000.0", "2025-01-31T00:00:00Z"));
    ASSERT_TRUE(store_->database().exec("DROP TABLE package_releases"));
    auto reopened = Store::open(DataDir(dir_.path()).database());
    ASSERT_TRUE(reopened) << reopened.error().message;
    auto packages = listAgentPackages(*reopened.value(), "deb");
    ASSERT_TRUE(packages) << packages.error().message;
    ASSERT_EQ(packages.value().size(), 1u);
    EXPECT_EQ(packages.value()[0].released_at, packages.value()[0].published_at);
    EXPECT_NE(packages.value()[0].released_at,
              toUnixSeconds(parseRfc3339("2025-01-31T00:00:00Z").value()));
}

TEST_F(AgentFeedTest, PublishRefusesWhatIsNoAgentPackageOfItsPlatformAndVersion) {
    const auto refused = [](const Result<json>& answer) {
        return !answer && answer.error().code == exitcode::kInvalidArgument;
    };
    EXPECT_TRUE(refused(publish(std::string("PK\x03\x04 a zip", 11), "1.0.1000.0")));
    EXPECT_TRUE(refused(publish(debBytes("a"), "1.0.1000")));
    EXPECT_TRUE(refused(publish(debBytes("a"), "1.0.70000.0")));
    EXPECT_TRUE(refused(publish(debBytes("a"), "01.0.1000.0")));
    // Published as another platform than its bytes are.
    auto mislabelled =
        publishPackage(*store_, DataDir(dir_.path()), sharedPki().package_signer, kPackageKindAgent,
                       "", "rpm", "1.0.1000.0", debBytes("a"), clock_.wallNow());
    ASSERT_FALSE(mislabelled);
    EXPECT_NE(mislabelled.error().message.find("a deb package, not the rpm"), std::string::npos)
        << mislabelled.error().message;
    auto listed = get("/his/machines/packages/agent/deb");
    EXPECT_TRUE(parse(listed)["versions"].empty()) << "nothing refused was stored";
}

} // namespace
} // namespace azcm::emulator::test
