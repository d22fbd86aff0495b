#include "common/crypto/cms.hpp"
#include "common/fs/atomic_file.hpp"
#include "extservice/settings_certificate.hpp"
#include "temp_dir.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

namespace azcm::extservice {
namespace {

mode_t modeOf(const std::filesystem::path& path) {
    struct stat info {};
    EXPECT_EQ(::stat(path.c_str(), &info), 0) << path;
    return info.st_mode & 0777;
}

TEST(SettingsCertificate, CreatedOnceRootOnlyAndOpensWhatIsEncryptedToIt) {
    test::TempDir root;
    const Paths paths(root.path());
    auto created = ensureSettingsCertificate(paths);
    ASSERT_TRUE(created) << created.error().message;
    const auto& certificate = created.value();
    EXPECT_EQ(certificate.certificate_file,
              paths.extensionsDir() / (certificate.thumbprint + ".crt"));
    EXPECT_EQ(certificate.key_file, paths.extensionsDir() / (certificate.thumbprint + ".prv"));
    EXPECT_EQ(modeOf(certificate.certificate_file), 0600U);
    EXPECT_EQ(modeOf(certificate.key_file), 0600U);
    EXPECT_EQ(certificate.thumbprint.size(), 40U);

    // What the control plane encrypts to the registered certificate, the key on disk opens.
    auto sealed = crypto::encryptCms(R"({"secret":"s3"})", certificate.certificate_pem);
    ASSERT_TRUE(sealed);
    auto key = fs::readFile(certificate.key_file);
    ASSERT_TRUE(key);
    auto opened = crypto::decryptCms(sealed.value(), certificate.certificate_pem, key.value());
    ASSERT_TRUE(opened) << opened.error().message;
    EXPECT_EQ(opened.value(), R"({"secret":"s3"})");

    // A restart finds the same certificate rather than making a new one.
    auto again = ensureSettingsCertificate(paths);
    ASSERT_TRUE(again);
    EXPECT_EQ(again.value().thumbprint, certificate.thumbprint);
}

TEST(SettingsCertificate, AMissingKeyMeansAFreshPair) {
    test::TempDir root;
    const Paths paths(root.path());
    auto first = ensureSettingsCertificate(paths);
    ASSERT_TRUE(first);
    std::filesystem::remove(first.value().key_file);
    auto second = ensureSettingsCertificate(paths);
    ASSERT_TRUE(second);
    EXPECT_NE(second.value().thumbprint, first.value().thumbprint);
    EXPECT_TRUE(std::filesystem::exists(second.value().key_file));
}

} // namespace
} // namespace azcm::extservice
