#include "azcmagent/agent_release.hpp"
#include "common/crypto/encoding.hpp"
#include "common/crypto/package_signature.hpp"
#include "test_pki.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace azcm::azcmagent {
namespace {

using crypto::AgentPlatform;
using nlohmann::json;
using test::testPki;

// The start of a .deb as dpkg-deb writes it: enough for the platform to be told by content.
std::string debBytes(const std::string& filler) {
    std::string name = "debian-binary";
    name.resize(16, ' ');
    return "!<arch>\n" + name + "1700000000  0     0     100644  4         `\n2.0\n" + filler;
}

const std::string kRpmBytes("\xED\xAB\xEE\xDB\x03\x00 an rpm", 14);

AgentVersion version(const char* text) {
    return *parseAgentVersion(text);
}

std::string signAs(const std::string& bytes, AgentPlatform platform, const std::string& version) {
    const auto& pki = testPki();
    auto signature = crypto::signPackage(bytes, crypto::agentPackageIdentity(platform, version),
                                         pki.client_key_pem, pki.client_cert_pem);
    EXPECT_TRUE(signature) << signature.error().message;
    return crypto::base64Encode(signature.value());
}

AgentRelease releaseOf(const std::string& bytes, const char* text) {
    AgentRelease release;
    release.version = version(text);
    release.url = std::string("https://127.0.0.1/machines/packages/agent/deb/") + text;
    release.size = bytes.size();
    release.sha256 = crypto::hexEncode(crypto::sha256(bytes));
    release.signature = signAs(bytes, AgentPlatform::kDeb, text);
    return release;
}

json entryWith(const char* version_text, const char* member, json value);

json entry(const char* version_text) {
    return {{"version", version_text},
            {"url", std::string("https://127.0.0.1/p/") + version_text},
            {"size", 10},
            {"sha256", std::string(64, 'a')},
            {"signature", "c2ln"}};
}

json entryWith(const char* version_text, const char* member, json value) {
    auto changed = entry(version_text);
    changed[member] = std::move(value);
    return changed;
}

TEST(AgentReleases, AreReadNewestFirst) {
    const json answer{{"platform", "deb"},
                      {"versions", {entry("1.0.9.0"), entry("1.0.10.0"), entry("1.1.0.0")}}};
    auto releases = parseAgentReleases(answer, AgentPlatform::kDeb);
    ASSERT_TRUE(releases) << releases.error().message;
    ASSERT_EQ(releases.value().size(), 3U);
    EXPECT_EQ(releases.value()[0].version.text(), "1.1.0.0");
    EXPECT_EQ(releases.value()[1].version.text(), "1.0.10.0") << "numeric, not text order";
    EXPECT_EQ(releases.value()[2].size, 10U);
}

TEST(AgentReleases, AHostileListIsRefusedAsAWhole) {
    const auto refused = [](json bad_entry) {
        const json answer{{"platform", "deb"}, {"versions", {entry("1.0.1.0"), bad_entry}}};
        return !parseAgentReleases(answer, AgentPlatform::kDeb);
    };
    EXPECT_TRUE(refused(entry("1.0.1")));
    EXPECT_TRUE(refused(entry("1.0.70000.0")));
    EXPECT_TRUE(refused(entryWith("1.0.2.0", "url", "http://127.0.0.1/p")));
    EXPECT_TRUE(refused(entryWith("1.0.2.0", "size", 0)));
    EXPECT_TRUE(refused(entryWith("1.0.2.0", "size", -5)));
    EXPECT_TRUE(refused(entryWith("1.0.2.0", "sha256", std::string(64, 'A'))));
    EXPECT_TRUE(refused(entryWith("1.0.2.0", "signature", "")));
    EXPECT_TRUE(refused("1.0.2.0"));
    EXPECT_FALSE(refused(entry("1.0.2.0"))) << "the twin of the refused entries is accepted";

    EXPECT_FALSE(parseAgentReleases(json{{"platform", "rpm"}, {"versions", json::array()}},
                                    AgentPlatform::kDeb))
        << "the list of another platform";
    EXPECT_FALSE(parseAgentReleases(json{{"platform", "deb"}}, AgentPlatform::kDeb));
    EXPECT_FALSE(parseAgentReleases(json::array(), AgentPlatform::kDeb));
}

TEST(AgentReleases, RequestsAreALineOrAnExactVersion) {
    EXPECT_TRUE(parseReleaseRequest("").value().any());
    const auto line = parseReleaseRequest("1.2").value();
    ASSERT_TRUE(line.line);
    EXPECT_EQ(line.line->first, 1);
    EXPECT_EQ(line.line->second, 2);
    EXPECT_EQ(parseReleaseRequest("1.2.3.4").value().exact, version("1.2.3.4"));
    for (const char* bad : {"1", "1.2.3", "1.x", "01.2", "1.70000", "1.2.3.4.5", " 1.2", "-1.2"}) {
        const auto refused = parseReleaseRequest(bad);
        ASSERT_FALSE(refused) << bad;
        EXPECT_EQ(refused.error().code, exitcode::kInvalidArgument) << bad;
    }
}

TEST(AgentReleases, TheNewestMatchingReleaseIsChosen) {
    std::vector<AgentRelease> releases(4);
    releases[0].version = version("1.2.5.0");
    releases[1].version = version("1.1.9.0");
    releases[2].version = version("1.1.3.0");
    releases[3].version = version("1.0.1.0");
    const auto installed = version("1.1.3.0");
    const auto choose = [&](const char* request) {
        auto chosen = chooseRelease(releases, parseReleaseRequest(request).value(), installed);
        return chosen ? chosen.value().version.text() : "error: " + chosen.error().message;
    };
    EXPECT_EQ(choose(""), "1.2.5.0");
    EXPECT_EQ(choose("1.1"), "1.1.9.0");
    EXPECT_EQ(choose("1.1.3.0"), "1.1.3.0") << "the installed one: nothing to do, no error";
    EXPECT_EQ(choose("1.0"), "1.0.1.0") << "a named line may be a downgrade";
    EXPECT_EQ(choose("1.0.1.0"), "1.0.1.0");
    EXPECT_NE(choose("1.3").find("no published agent release matches version 1.3"),
              std::string::npos)
        << choose("1.3");
    EXPECT_NE(choose("1.1.4.0").find("newest published: 1.2.5.0"), std::string::npos);

    const std::vector<AgentRelease> only_older(releases.begin() + 3, releases.end());
    auto refused = chooseRelease(only_older, ReleaseRequest{}, installed);
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().message.find("older than the installed 1.1.3.0"), std::string::npos);
    EXPECT_FALSE(chooseRelease({}, ReleaseRequest{}, installed));
}

TEST(AgentReleases, APackageIsCheckedBeforeAnyInstallerSeesIt) {
    const auto& root = testPki().ca_cert_pem;
    const auto bytes = debBytes("new agent");
    const auto release = releaseOf(bytes, "1.0.30000.0");
    ASSERT_TRUE(verifyAgentPackage(bytes, release, AgentPlatform::kDeb, root));

    const auto refusal = [&](std::string_view content, const AgentRelease& claimed,
                             AgentPlatform platform = AgentPlatform::kDeb,
                             const std::string& trusted = testPki().ca_cert_pem) {
        auto verified = verifyAgentPackage(content, claimed, platform, trusted);
        return verified ? std::string("accepted") : verified.error().message;
    };
    auto tampered = bytes;
    tampered.back() ^= 1;
    EXPECT_NE(refusal(tampered, release).find("SHA-256"), std::string::npos);
    EXPECT_NE(refusal(bytes + "x", release).find("bytes; the list says"), std::string::npos);

    auto rpm_release = releaseOf(kRpmBytes, "1.0.30000.0");
    EXPECT_NE(refusal(kRpmBytes, rpm_release).find("is a rpm package; this machine installs deb"),
              std::string::npos)
        << refusal(kRpmBytes, rpm_release);

    auto older_signature = release;
    older_signature.signature = signAs(bytes, AgentPlatform::kDeb, "1.0.20000.0");
    EXPECT_NE(refusal(bytes, older_signature).find("signed as agent 'deb' 1.0.20000.0"),
              std::string::npos)
        << "an old package relabelled as new: " << refusal(bytes, older_signature);

    auto other_platform = release;
    other_platform.signature = signAs(bytes, AgentPlatform::kRpm, "1.0.30000.0");
    EXPECT_NE(refusal(bytes, other_platform).find("signed as agent 'rpm'"), std::string::npos);

    EXPECT_NE(refusal(bytes, release, AgentPlatform::kDeb, testPki().server_cert_pem)
                  .find("does not verify"),
              std::string::npos)
        << "a root that did not sign it";
    EXPECT_NE(refusal(bytes, release, AgentPlatform::kDeb, "").find("no package-signing root"),
              std::string::npos);
}

} // namespace
} // namespace azcm::azcmagent
