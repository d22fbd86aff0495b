// The pure parts of gcservice beside its state: options from the environment, the local controls
// that stop evaluation, the report bodies, and package verification before anything opens a zip.
#include "common/crypto/cms.hpp"
#include "common/crypto/encoding.hpp"
#include "common/crypto/keys.hpp"
#include "common/crypto/package_signature.hpp"
#include "common/crypto/x509.hpp"
#include "common/fs/atomic_file.hpp"
#include "gcservice/gc_options.hpp"
#include "gcservice/gc_report.hpp"
#include "gcservice/local_controls.hpp"
#include "gcservice/package_cache.hpp"
#include "temp_dir.hpp"

#include <gtest/gtest.h>

namespace azcm::gcservice {
namespace {

using nlohmann::json;

TEST(GcOptions, DefaultsAreTheRealAgentsAndTheEnvironmentShortensThem) {
    auto defaults =
        parseGcOptions(daemon::EnvironmentOptions(std::map<std::string, std::string>{}));
    ASSERT_TRUE(defaults);
    EXPECT_EQ(defaults.value().poll_interval, std::chrono::seconds(300));
    EXPECT_EQ(defaults.value().evaluation_interval, std::chrono::seconds(900));
    EXPECT_EQ(defaults.value().retention, std::chrono::hours(24 * 14));
    auto shortened = parseGcOptions(daemon::EnvironmentOptions(std::map<std::string, std::string>{
        {"AZCM_GC_POLL_SECONDS", "1"}, {"AZCM_GC_EVALUATION_SECONDS", "2"}}));
    ASSERT_TRUE(shortened);
    EXPECT_EQ(shortened.value().poll_interval, std::chrono::seconds(1));
    EXPECT_EQ(shortened.value().evaluation_interval, std::chrono::seconds(2));
    for (const char* bad : {"0", "-1", "1s", "x"}) {
        auto refused = parseGcOptions(daemon::EnvironmentOptions(
            std::map<std::string, std::string>{{"AZCM_GC_POLL_SECONDS", bad}}));
        ASSERT_FALSE(refused) << bad;
        EXPECT_NE(refused.error().message.find("AZCM_GC_POLL_SECONDS"), std::string::npos);
    }
}

TEST(GcOptions, LongPollWaitsUnderTheIdleTimeoutOfMiddleboxesAndAtMostFiveMinutes) {
    using Variables = std::map<std::string, std::string>;
    auto defaults = parseGcOptions(daemon::EnvironmentOptions(Variables{}));
    ASSERT_TRUE(defaults);
    EXPECT_EQ(defaults.value().long_poll_wait, std::chrono::seconds(230));
    for (const auto& [value, accepted] :
         std::map<std::string, bool>{{"0", true}, {"300", true}, {"301", false}}) {
        auto parsed = parseGcOptions(
            daemon::EnvironmentOptions(Variables{{"AZCM_GC_LONGPOLL_SECONDS", value}}));
        EXPECT_EQ(static_cast<bool>(parsed), accepted) << value;
    }
}

TEST(LocalControls, DisabledAndMonitorModeStopEvaluationNamingTheSetting) {
    config::LocalConfig local;
    EXPECT_TRUE(evaluationPermission(local).allowed);
    local.guest_configuration_enabled = false;
    auto disabled = evaluationPermission(local);
    EXPECT_FALSE(disabled.allowed);
    EXPECT_EQ(disabled.code, "GuestConfigurationDisabled");
    EXPECT_NE(disabled.reason.find("guestconfiguration.enabled"), std::string::npos);
    local.guest_configuration_enabled = true;
    local.config_mode = "monitor";
    auto monitor = evaluationPermission(local);
    EXPECT_FALSE(monitor.allowed);
    EXPECT_EQ(monitor.code, "MonitorMode");
    EXPECT_NE(monitor.reason.find("config.mode"), std::string::npos);
}

TEST(GcReport, BodiesCarryTheAssignmentVersionAndResults) {
    AssignmentState assignment;
    assignment.name = "baseline";
    assignment.sequence_number = 3;
    EvaluationResult result;
    result.complianceStatus = "NonCompliant";
    result.resources.push_back({"key", "file", false, "mode is 0644, expected 0600", false, ""});
    const auto report = evaluatedReport(assignment, result, true, 0, 60);
    EXPECT_EQ(report["name"], "baseline");
    EXPECT_EQ(report["sequenceNumber"], 3);
    EXPECT_EQ(report["evaluated"], true);
    EXPECT_EQ(report["complianceStatus"], "NonCompliant");
    EXPECT_EQ(report["operationType"], "Initial");
    EXPECT_EQ(report["startTime"], "1970-01-01T00:00:00Z");
    EXPECT_EQ(report["endTime"], "1970-01-01T00:01:00Z");
    EXPECT_EQ(report["resources"][0]["reason"], "mode is 0644, expected 0600");
    EXPECT_EQ(report["resources"][0]["compliant"], false);
    const auto skipped = notEvaluatedReport(assignment, "MonitorMode", "monitor mode", 0);
    EXPECT_EQ(skipped["evaluated"], false);
    EXPECT_EQ(skipped["reasonCode"], "MonitorMode");
    EXPECT_FALSE(skipped.contains("complianceStatus"));
}

class PackageVerification : public ::testing::Test {
protected:
    void SetUp() override {
        root_key_ = crypto::generateRsaPrivateKeyPem(2048).value();
        root_pem_ =
            crypto::createSelfSignedCaPem(root_key_, "test root", std::chrono::hours(24)).value();
        bytes_ = "PK\x03\x04 pretend zip bytes";
        signature_ = crypto::signPackage(bytes_,
                                         {std::string(crypto::kPackageKindGuestConfiguration), "",
                                          "Baseline", "1.0.0"},
                                         root_key_, root_pem_)
                         .value();
        request_.kind = std::string(crypto::kPackageKindGuestConfiguration);
        request_.name = "Baseline";
        request_.requested_version = "1.0.0";
        zip_ = dir_.path() / "p.zip";
        ASSERT_TRUE(fs::writeFileAtomic(zip_, bytes_));
        expected_ =
            PackageRef{"https://x/p", bytes_.size(), crypto::hexEncode(crypto::sha256(bytes_)),
                       crypto::base64Encode(signature_)};
    }

    test::TempDir dir_;
    std::string root_key_;
    std::string root_pem_;
    std::string bytes_;
    std::string signature_;
    std::filesystem::path zip_;
    PackageRef expected_;
    crypto::PackageRequest request_;
};

TEST_F(PackageVerification, AcceptsTheSignedPackage) {
    auto verified = verifyPackageFile(zip_, expected_, request_, root_pem_);
    ASSERT_TRUE(verified) << verified.error().message;
    EXPECT_EQ(verified.value().name, "Baseline");
    EXPECT_EQ(verified.value().version, "1.0.0");
}

TEST_F(PackageVerification, RefusesAPackageSignedForAnotherNameOrVersion) {
    auto other_name = request_;
    other_name.name = "Other";
    auto refused = verifyPackageFile(zip_, expected_, other_name, root_pem_);
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().message.find("the package is signed for name 'Baseline'"),
              std::string::npos)
        << refused.error().message;
    auto other_version = request_;
    other_version.requested_version = "1.0.1";
    EXPECT_FALSE(verifyPackageFile(zip_, expected_, other_version, root_pem_));
    // Signed for the bytes alone: identifies nothing, refused.
    auto bytes_only = expected_;
    bytes_only.signature_base64 =
        crypto::base64Encode(crypto::signDetachedCms(bytes_, root_key_, root_pem_).value());
    EXPECT_FALSE(verifyPackageFile(zip_, bytes_only, request_, root_pem_));
}

TEST(PackageRequest, AnAssignmentAsksForItsConfigurationAndVersion) {
    AssignmentState assignment;
    assignment.configuration_name = "Baseline";
    assignment.version = "1.0";
    assignment.package_version = "1.0.4";
    const auto request = packageRequestFor(assignment);
    EXPECT_EQ(request.kind, crypto::kPackageKindGuestConfiguration);
    EXPECT_EQ(request.publisher, "");
    EXPECT_EQ(request.name, "Baseline");
    EXPECT_EQ(request.requested_version, "1.0");
    EXPECT_EQ(request.installed_version, "1.0.4");
    EXPECT_FALSE(request.newer_minor_allowed);
}

TEST_F(PackageVerification, RefusesSizeHashSignatureAndMissingRoot) {
    auto wrong_size = expected_;
    wrong_size.size += 1;
    EXPECT_NE(verifyPackageFile(zip_, wrong_size, request_, root_pem_).error().message.find("size"),
              std::string::npos);
    auto wrong_hash = expected_;
    wrong_hash.sha256 = std::string(64, '0');
    EXPECT_NE(
        verifyPackageFile(zip_, wrong_hash, request_, root_pem_).error().message.find("sha256"),
        std::string::npos);
    // Tampered bytes with a recomputed size and hash: only the signature catches it.
    std::string tampered = bytes_;
    tampered.back() ^= 1;
    ASSERT_TRUE(fs::writeFileAtomic(zip_, tampered));
    auto recomputed = expected_;
    recomputed.sha256 = crypto::hexEncode(crypto::sha256(tampered));
    EXPECT_NE(
        verifyPackageFile(zip_, recomputed, request_, root_pem_).error().message.find("signature"),
        std::string::npos);
    ASSERT_TRUE(fs::writeFileAtomic(zip_, bytes_));
    // Signed, but by a key that does not chain to the trusted root.
    const auto other_key = crypto::generateRsaPrivateKeyPem(2048).value();
    const auto other_root =
        crypto::createSelfSignedCaPem(other_key, "other", std::chrono::hours(24)).value();
    EXPECT_FALSE(verifyPackageFile(zip_, expected_, request_, other_root));
    EXPECT_FALSE(verifyPackageFile(zip_, expected_, request_, ""));
}

} // namespace
} // namespace azcm::gcservice
