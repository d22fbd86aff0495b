// Package checks before opening (size, SHA-256, CMS signature and the package it names) and safe
// extraction: hostile archives are refused and leave nothing behind.
#include "common/crypto/cms.hpp"
#include "common/crypto/encoding.hpp"
#include "common/crypto/keys.hpp"
#include "common/crypto/package_signature.hpp"
#include "common/crypto/x509.hpp"
#include "common/fs/atomic_file.hpp"
#include "extservice/handler/handler_codes.hpp"
#include "extservice/handler/package_extract.hpp"
#include "extservice/handler/package_verify.hpp"
#include "temp_dir.hpp"
#include "test_packages.hpp"
#include "test_pki.hpp"

#include <filesystem>

#include <gtest/gtest.h>

namespace azcm::extservice {
namespace {

namespace stdfs = std::filesystem;
using test::ZipEntry;

const std::string kManifest =
    R"([{"name":"x","version":1.0,"handlerManifest":{"installCommand":"i.sh","enableCommand":"e.sh"}}])";

class ExtractTest : public ::testing::Test {
protected:
    stdfs::path zip() const { return dir.path() / "pkg.zip"; }
    stdfs::path target() const { return dir.path() / "lib" / "Pub.Type-1.0"; }
    // Nothing but the (empty) parent is left: no target, no temp dir.
    void expectNothingExtracted() const {
        EXPECT_FALSE(stdfs::exists(target()));
        if (stdfs::exists(dir.path() / "lib")) {
            EXPECT_TRUE(stdfs::is_empty(dir.path() / "lib"));
        }
    }
    azcm::test::TempDir dir;
};

TEST_F(ExtractTest, ExtractsWithExecuteBitAndNestedManifestWithoutBom) {
    test::writeZip(zip(), {{"sub/dir/HandlerManifest.json", "\xEF\xBB\xBF" + kManifest},
                           {"run.sh", "#!/bin/sh\n", ZipEntry::Kind::kFile, 0644},
                           {"sub/dir/data.txt", "data", ZipEntry::Kind::kFile, 0600}});
    auto r = extractPackage(zip(), target());
    ASSERT_TRUE(r) << r.error().message;
    const auto perms = stdfs::status(target() / "run.sh").permissions();
    EXPECT_NE(perms & stdfs::perms::owner_exec, stdfs::perms::none);
    EXPECT_NE(stdfs::status(target() / "sub/dir/data.txt").permissions() & stdfs::perms::owner_exec,
              stdfs::perms::none);
    const auto manifest = fs::readFile(target() / "HandlerManifest.json").value();
    EXPECT_EQ(manifest, kManifest); // copied to base, BOM removed
    EXPECT_EQ(fs::readFile(target() / "sub/dir/data.txt").value(), "data");
    for (const auto& e : stdfs::directory_iterator(dir.path() / "lib")) {
        EXPECT_FALSE(isExtractionTempDir(e.path())) << e.path();
    }
}

// Every hostile archive is refused by archive::extractZip
// (tests/unit/common/zip_extractor_test.cpp); here, that a refusal is error 1005 and leaves neither
// the target nor a temp directory behind.
TEST_F(ExtractTest, HostileArchiveIsExtractionErrorAndLeavesNothing) {
    test::writeZip(zip(), {{"HandlerManifest.json", kManifest}, {"../../evil.sh", "x"}});
    auto r = extractPackage(zip(), target());
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, 1005);
    EXPECT_NE(r.error().message.find("escapes"), std::string::npos);
    EXPECT_FALSE(stdfs::exists(dir.path() / "evil.sh"));
    expectNothingExtracted();

    test::writeZip(zip(), {{"HandlerManifest.json", kManifest},
                           {"link", "/etc/passwd", ZipEntry::Kind::kSymlink}});
    auto link = extractPackage(zip(), target());
    ASSERT_FALSE(link);
    EXPECT_EQ(link.error().code, 1005);
    expectNothingExtracted();
}

TEST_F(ExtractTest, LimitsReachTheExtractor) {
    ExtractLimits count_limit;
    count_limit.max_entries = 3;
    test::writeZip(zip(),
                   {{"HandlerManifest.json", kManifest}, {"1", "1"}, {"2", "2"}, {"3", "3"}});
    auto many = extractPackage(zip(), target(), count_limit);
    ASSERT_FALSE(many);
    EXPECT_NE(many.error().message.find("more than 3 entries"), std::string::npos);
    expectNothingExtracted();
}

TEST_F(ExtractTest, MissingOrBrokenManifest) {
    test::writeZip(zip(), {{"run.sh", "x"}});
    auto missing = extractPackage(zip(), target());
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, 1002);
    expectNothingExtracted();
    test::writeZip(zip(), {{"HandlerManifest.json", "[{"}});
    auto broken = extractPackage(zip(), target());
    ASSERT_FALSE(broken);
    EXPECT_EQ(broken.error().code, 1003);
    expectNothingExtracted();
}

TEST_F(ExtractTest, NotAZip) {
    ASSERT_TRUE(fs::writeFileAtomic(zip(), "this is not a zip"));
    auto r = extractPackage(zip(), target());
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, 1005);
    expectNothingExtracted();
}

// ---- verifyPackage ----------------------------------------------------------------------------

class VerifyTest : public ::testing::Test {
protected:
    void SetUp() override {
        test::writeZip(zip(), {{"HandlerManifest.json", kManifest}});
        content = fs::readFile(zip()).value();
        expected.size = content.size();
        expected.sha256_hex = crypto::hexEncode(crypto::sha256(content));
        expected.signature_der = sign({"Contoso.A", "Trace", "1.0.4"});
        expected.trusted_root_pem = azcm::test::testPki().ca_cert_pem;
        // What the goal state asks for: Contoso.A/Trace, typeHandlerVersion 1.0, URL .../1.0.4.
        expected.publisher = "Contoso.A";
        expected.type = "Trace";
        expected.type_handler_version = "1.0";
        expected.install_version = "1.0.4";
    }

    struct Signed {
        std::string publisher;
        std::string type;
        std::string version;
    };
    // The content signed as the extension package `as`, by a publisher certificate of the test
    // PKI (its client certificate is chained to its CA).
    std::string sign(const Signed& as) const {
        const auto& pki = azcm::test::testPki();
        auto signature = crypto::signPackage(
            content,
            {std::string(crypto::kPackageKindExtension), as.publisher, as.type, as.version},
            pki.client_key_pem, pki.client_cert_pem);
        EXPECT_TRUE(signature) << signature.error().message;
        return signature ? signature.value() : std::string();
    }

    // Refused with 1004 and a message holding `why`.
    void expectRefused(const std::string& why) const {
        auto r = verifyPackage(zip(), expected);
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error().code, 1004);
        EXPECT_NE(r.error().message.find(why), std::string::npos) << r.error().message;
    }

    stdfs::path zip() const { return dir.path() / "pkg.zip"; }
    azcm::test::TempDir dir;
    std::string content;
    PackageExpectation expected;
};

TEST_F(VerifyTest, GoodPackagePasses) {
    auto r = verifyPackage(zip(), expected);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r.value().identity.publisher, "Contoso.A");
    EXPECT_EQ(r.value().identity.version, "1.0.4");
}

// The signature binds the bytes to one publisher, type and version: the same signed package
// offered under another name is refused here, before anything opens the zip.
TEST_F(VerifyTest, PackageSignedForAnotherPublisherIsRefused) {
    expected.publisher = "Contoso.B";
    expectRefused("package refused: the package is signed for publisher 'Contoso.A'; the goal "
                  "state asks for 'Contoso.B'");
}

TEST_F(VerifyTest, PackageSignedForAnotherTypeIsRefused) {
    expected.type = "Other";
    expectRefused("signed for type 'Trace'");
}

TEST_F(VerifyTest, PackageSignedForAnotherVersionIsRefused) {
    expected.install_version = "1.0.9"; // the goal state says 1.0.9, the bytes are 1.0.4
    expectRefused("signed for version '1.0.4'");
    expected.install_version = "2.0.0";
    expected.type_handler_version = "2.0"; // a line the signed version is not on
    expectRefused("signed for version '1.0.4'");
}

TEST_F(VerifyTest, ALaterMinorVersionOnlyWithArmsUpgradeFlags) {
    expected.signature_der = sign({"Contoso.A", "Trace", "1.2.0"});
    expected.install_version = "1.2.0";
    expectRefused("asks for version 1.0");
    expected.newer_minor_allowed = true;
    auto r = verifyPackage(zip(), expected);
    EXPECT_TRUE(r) << r.error().message;
}

TEST_F(VerifyTest, OlderVersionIsRefusedUnlessArmAsksForIt) {
    expected.signature_der = sign({"Contoso.A", "Trace", "1.0.2"});
    expected.install_version = "1.0.2";
    expected.installed_version = "1.0.4"; // 1.0.4 is installed and still satisfies "1.0"
    expectRefused("refusing to downgrade from 1.0.4 to 1.0.2");
    expected.type_handler_version = "1.0.2"; // ARM names the older version
    auto r = verifyPackage(zip(), expected);
    EXPECT_TRUE(r) << r.error().message;
}

TEST_F(VerifyTest, ASignatureOverTheBytesAloneIsRefused) {
    const auto& pki = azcm::test::testPki();
    expected.signature_der =
        crypto::signDetachedCms(content, pki.client_key_pem, pki.client_cert_pem).value();
    expectRefused("does not name the package");
}

TEST_F(VerifyTest, WrongSizeIsRefused) {
    expected.size += 1;
    auto r = verifyPackage(zip(), expected);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, 1004);
    EXPECT_NE(r.error().message.find("size mismatch"), std::string::npos);
}

TEST_F(VerifyTest, TamperedContentIsRefusedByHash) {
    std::string tampered = content;
    tampered[tampered.size() / 2] ^= 0x01;
    ASSERT_TRUE(fs::writeFileAtomic(zip(), tampered));
    auto r = verifyPackage(zip(), expected);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("SHA-256 mismatch"), std::string::npos);
}

TEST_F(VerifyTest, TamperedContentWithMatchingHashIsRefusedBySignature) {
    std::string tampered = content;
    tampered[tampered.size() / 2] ^= 0x01;
    ASSERT_TRUE(fs::writeFileAtomic(zip(), tampered));
    expected.sha256_hex = crypto::hexEncode(crypto::sha256(tampered));
    auto r = verifyPackage(zip(), expected);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("signature invalid"), std::string::npos);
}

TEST_F(VerifyTest, SignatureFromAnotherRootIsRefused) {
    // A self-signed signer that does not chain to the trusted root.
    auto key = crypto::generateRsaPrivateKeyPem(2048);
    ASSERT_TRUE(key);
    auto cert =
        crypto::createSelfSignedCaPem(key.value(), "rogue publisher", std::chrono::hours(1));
    ASSERT_TRUE(cert);
    auto rogue = crypto::signPackage(
        content, {std::string(crypto::kPackageKindExtension), "Contoso.A", "Trace", "1.0.4"},
        key.value(), cert.value());
    ASSERT_TRUE(rogue);
    expected.signature_der = rogue.value();
    auto r = verifyPackage(zip(), expected);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, 1004);
    expected.signature_der.clear();
    EXPECT_FALSE(verifyPackage(zip(), expected));
}

} // namespace
} // namespace azcm::extservice
