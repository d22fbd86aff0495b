// The on-disk identity and the crash recovery of a renewal.
#include "common/crypto/keys.hpp"
#include "common/fs/atomic_file.hpp"
#include "himds/identity_files.hpp"
#include "himds_harness.hpp"
#include "temp_dir.hpp"
#include "test_pki.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

namespace {

using azcm::himds::IdentityFiles;

struct Pair {
    std::string key;
    std::string chain;
};

Pair pairFor(const std::string& key) {
    return {key, azcm::himds::test::issueFromTestCa(azcm::crypto::publicKeyDer(key).value())};
}

class IdentityFilesTest : public ::testing::Test {
protected:
    azcm::test::TempDir dir_;
    IdentityFiles files_{dir_.path()};
    Pair old_ = pairFor(azcm::test::testPki().client_key_pem);
    Pair new_ = pairFor(azcm::test::testPki().server_key_pem);

    void writeCurrent() {
        ASSERT_TRUE(azcm::fs::writeFileAtomic(files_.machineKey(), old_.key));
        ASSERT_TRUE(azcm::fs::writeFileAtomic(files_.machineCertificate(), old_.chain));
    }
    std::string read(const std::filesystem::path& path) { return azcm::fs::readFile(path).value(); }
};

TEST_F(IdentityFilesTest, LoadChecksThatKeyAndCertificateBelongTogether) {
    EXPECT_FALSE(files_.hasIdentity());
    writeCurrent();
    EXPECT_TRUE(files_.hasIdentity());
    auto loaded = files_.load();
    ASSERT_TRUE(loaded) << loaded.error().message;
    EXPECT_EQ(loaded.value().certificate_pem, old_.chain);
    ASSERT_TRUE(azcm::fs::writeFileAtomic(files_.machineKey(), new_.key));
    EXPECT_FALSE(files_.load());
}

TEST_F(IdentityFilesTest, InstallMovesThePendingKey) {
    ASSERT_TRUE(files_.writePendingKey(old_.key));
    ASSERT_TRUE(files_.install(old_.chain));
    EXPECT_FALSE(std::filesystem::exists(files_.pendingKey()));
    EXPECT_EQ(read(files_.machineKey()), old_.key);
    EXPECT_EQ(read(files_.machineCertificate()), old_.chain);
}

TEST_F(IdentityFilesTest, NothingToRecover) {
    writeCurrent();
    EXPECT_EQ(files_.recoverInterruptedRenewal(), IdentityFiles::Recovery::kNothing);
    EXPECT_EQ(read(files_.machineKey()), old_.key);
}

TEST_F(IdentityFilesTest, CrashAfterStagingCompletesTheRenewal) {
    writeCurrent();
    ASSERT_TRUE(files_.stageRenewal(new_.key, new_.chain));
    EXPECT_EQ(files_.recoverInterruptedRenewal(), IdentityFiles::Recovery::kCompleted);
    EXPECT_EQ(read(files_.machineKey()), new_.key);
    EXPECT_EQ(read(files_.machineCertificate()), new_.chain);
    EXPECT_FALSE(std::filesystem::exists(files_.stagedKey()));
    EXPECT_FALSE(std::filesystem::exists(files_.stagedCertificate()));
}

TEST_F(IdentityFilesTest, CrashBetweenTheRenamesCompletesTheRenewal) {
    writeCurrent();
    ASSERT_TRUE(files_.stageRenewal(new_.key, new_.chain));
    std::filesystem::rename(files_.stagedKey(), files_.machineKey());
    EXPECT_EQ(files_.recoverInterruptedRenewal(), IdentityFiles::Recovery::kCompleted);
    EXPECT_EQ(read(files_.machineCertificate()), new_.chain);
    EXPECT_TRUE(files_.load());
}

TEST_F(IdentityFilesTest, IncompleteStagingIsDiscarded) {
    writeCurrent();
    ASSERT_TRUE(azcm::fs::writeFileAtomic(files_.stagedKey(), new_.key));
    EXPECT_EQ(files_.recoverInterruptedRenewal(), IdentityFiles::Recovery::kDiscarded);
    EXPECT_FALSE(std::filesystem::exists(files_.stagedKey()));
    EXPECT_EQ(read(files_.machineKey()), old_.key);
    EXPECT_TRUE(files_.load());
}

TEST_F(IdentityFilesTest, StagedCertificateOfAnotherKeyIsDiscarded) {
    writeCurrent();
    ASSERT_TRUE(azcm::fs::writeFileAtomic(files_.stagedCertificate(), new_.chain));
    EXPECT_EQ(files_.recoverInterruptedRenewal(), IdentityFiles::Recovery::kDiscarded);
    EXPECT_EQ(read(files_.machineCertificate()), old_.chain);
    EXPECT_FALSE(std::filesystem::exists(files_.stagedCertificate()));
}

TEST_F(IdentityFilesTest, RemoveAllDeletesEveryIdentityFile) {
    writeCurrent();
    ASSERT_TRUE(files_.writePendingKey(new_.key));
    ASSERT_TRUE(files_.stageRenewal(new_.key, new_.chain));
    ASSERT_TRUE(files_.removeAll());
    for (const auto& path : {files_.machineKey(), files_.machineCertificate(), files_.pendingKey(),
                             files_.stagedKey(), files_.stagedCertificate()}) {
        EXPECT_FALSE(std::filesystem::exists(path)) << path;
    }
    EXPECT_TRUE(files_.removeAll()); // nothing left is not an error
}

} // namespace
