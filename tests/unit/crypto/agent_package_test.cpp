#include "common/crypto/agent_package.hpp"
#include "common/crypto/package_signature.hpp"
#include "test_pki.hpp"

#include <string>

#include <gtest/gtest.h>

namespace azcm::crypto {
namespace {

using test::testPki;

// The start of a .deb as dpkg-deb writes it: the ar magic, then the member debian-binary.
std::string debStart(const std::string& first_member_name) {
    std::string name = first_member_name;
    name.resize(16, ' ');
    return "!<arch>\n" + name + "1700000000  0     0     100644  4         `\n2.0\n";
}

// A compound file of 512-byte sectors whose directory starts at sector `directory_sector` and
// whose root entry has `class_id` (16 bytes as stored).
std::string compoundFile(const std::string& class_id, unsigned directory_sector = 0) {
    std::string bytes(512 * (directory_sector + 2), '\0');
    const std::string magic = "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";
    bytes.replace(0, magic.size(), magic);
    bytes[0x1E] = 9; // sector shift: 512 bytes
    bytes[0x30] = static_cast<char>(directory_sector);
    bytes.replace(512 * (directory_sector + 1) + 0x50, class_id.size(), class_id);
    return bytes;
}

const std::string kMsiClassId("\x84\x10\x0C\x00\x00\x00\x00\x00\xC0\x00\x00\x00\x00\x00\x00\x46",
                              16);
// A Word 97 document's root storage class id, {00020906-0000-0000-C000-000000000046}.
const std::string kWordClassId("\x06\x09\x02\x00\x00\x00\x00\x00\xC0\x00\x00\x00\x00\x00\x00\x46",
                               16);

TEST(AgentPackage, PlatformsAreToldApartByContent) {
    EXPECT_EQ(detectAgentPlatform(debStart("debian-binary")), AgentPlatform::kDeb);
    EXPECT_EQ(detectAgentPlatform(debStart("debian-binary/")), AgentPlatform::kDeb) << "GNU ar";
    EXPECT_EQ(detectAgentPlatform(std::string("\xED\xAB\xEE\xDB\x03\x00", 6)), AgentPlatform::kRpm);
    EXPECT_EQ(detectAgentPlatform(compoundFile(kMsiClassId)), AgentPlatform::kMsi);
    EXPECT_EQ(detectAgentPlatform(compoundFile(kMsiClassId, 3)), AgentPlatform::kMsi)
        << "the directory need not be the first sector";
}

TEST(AgentPackage, LookalikesAreNoPackage) {
    EXPECT_FALSE(detectAgentPlatform(""));
    EXPECT_FALSE(detectAgentPlatform("PK\x03\x04 a zip"));
    EXPECT_FALSE(detectAgentPlatform(debStart("control.tar.gz"))) << "an ar archive, not a deb";
    EXPECT_FALSE(detectAgentPlatform(debStart("debian-binaryX")));
    EXPECT_FALSE(detectAgentPlatform("!<arch>\ndebian")) << "cut short";
    EXPECT_FALSE(detectAgentPlatform(compoundFile(kWordClassId))) << "a Word document";
    EXPECT_FALSE(detectAgentPlatform(compoundFile(kMsiClassId).substr(0, 600))) << "cut short";
    auto huge_directory = compoundFile(kMsiClassId);
    huge_directory[0x33] = '\x7F'; // directory sector far past the end
    EXPECT_FALSE(detectAgentPlatform(huge_directory));
}

TEST(AgentPackage, PlatformNamesRoundTrip) {
    for (const auto platform : {AgentPlatform::kDeb, AgentPlatform::kRpm, AgentPlatform::kMsi}) {
        EXPECT_EQ(parseAgentPlatform(agentPlatformName(platform)), platform);
    }
    EXPECT_FALSE(parseAgentPlatform("DEB"));
    EXPECT_FALSE(parseAgentPlatform("exe"));
}

TEST(AgentPackage, TheSignatureBindsPlatformAndVersion) {
    const auto& pki = testPki();
    const auto identity = agentPackageIdentity(AgentPlatform::kDeb, "1.0.30000.0");
    auto signature = signPackage("deb bytes", identity, pki.client_key_pem, pki.client_cert_pem);
    ASSERT_TRUE(signature) << signature.error().message;
    auto verified = verifyPackageSignature("deb bytes", signature.value(), pki.ca_cert_pem);
    ASSERT_TRUE(verified) << verified.error().message;
    EXPECT_EQ(verified.value().identity.kind, "agent");
    EXPECT_EQ(verified.value().identity.name, "deb");
    EXPECT_EQ(verified.value().identity.version, "1.0.30000.0");
}

TEST(AgentPackage, OnlyAValidAgentIdentityIsSigned) {
    const auto& pki = testPki();
    auto sign = [&pki](PackageIdentity identity) {
        return signPackage("bytes", identity, pki.client_key_pem, pki.client_cert_pem);
    };
    auto with_publisher = agentPackageIdentity(AgentPlatform::kMsi, "1.0.1.0");
    with_publisher.publisher = "Contoso";
    EXPECT_FALSE(sign(with_publisher));
    auto other_platform = agentPackageIdentity(AgentPlatform::kMsi, "1.0.1.0");
    other_platform.name = "exe";
    EXPECT_FALSE(sign(other_platform));
    EXPECT_FALSE(sign(agentPackageIdentity(AgentPlatform::kRpm, "1.0.1"))) << "three fields";
    EXPECT_FALSE(sign(agentPackageIdentity(AgentPlatform::kRpm, "1.0.70000.0"))) << "above 65535";
    EXPECT_TRUE(sign(agentPackageIdentity(AgentPlatform::kRpm, "1.0.65535.0")));
}

} // namespace
} // namespace azcm::crypto
