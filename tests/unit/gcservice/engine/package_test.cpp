// configuration.json validation, assignment types and zip extraction.
#include "gcservice/engine/engine.hpp"
#include "temp_dir.hpp"

#include <fstream>

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

namespace azcm::gcservice {
namespace {

using nlohmann::json;

json withResource(json resource) {
    return {{"name", "P"}, {"version", "1.0.0"}, {"resources", json::array({resource})}};
}

std::string errorOf(const json& document) {
    auto package = parseConfiguration(document);
    EXPECT_FALSE(package);
    return package ? "" : package.error().message;
}

TEST(PackageTest, ParsesAValidPackage) {
    auto package = parseConfigurationText(R"({
      "name": "Hardening", "version": "2.1.0",
      "resources": [
        {"id": "motd", "type": "file", "properties": {"path": "/etc/motd", "content": "hi"}},
        {"id": "ssh", "type": "sshd_setting",
         "properties": {"key": "PermitRootLogin", "value": "no"}}
      ]})");
    ASSERT_TRUE(package) << package.error().message;
    EXPECT_EQ(package.value().name, "Hardening");
    EXPECT_EQ(package.value().version, "2.1.0");
    ASSERT_EQ(package.value().resources.size(), 2U);
    EXPECT_EQ(package.value().resources[1].type, "sshd_setting");
}

TEST(PackageTest, UnknownTypeNamesTheResource) {
    auto message = errorOf(withResource({{"id", "x1"}, {"type", "registry"}}));
    EXPECT_NE(message.find("resource 'x1': unknown type \"registry\""), std::string::npos)
        << message;
    EXPECT_NE(message.find("sshd_setting"), std::string::npos); // lists the known ones
}

TEST(PackageTest, MissingPropertyNamesResourceAndProperty) {
    auto message =
        errorOf(withResource({{"id", "motd"}, {"type", "file"}, {"properties", json::object()}}));
    EXPECT_EQ(message, "configuration.json: resource 'motd': (type file) property 'path' is "
                       "required");
}

TEST(PackageTest, IllTypedPropertyIsRefused) {
    auto message = errorOf(withResource(
        {{"id", "m"}, {"type", "file"}, {"properties", {{"path", "/etc/x"}, {"mode", 600}}}}));
    EXPECT_NE(message.find("property 'mode' must be an octal string"), std::string::npos)
        << message;
    message = errorOf(withResource(
        {{"id", "m"}, {"type", "file"}, {"properties", {{"path", "/etc/x"}, {"mode", "0999"}}}}));
    EXPECT_NE(message.find("is not an octal mode"), std::string::npos) << message;
    message = errorOf(withResource({{"id", "s"},
                                    {"type", "systemd_service"},
                                    {"properties", {{"name", "sshd"}, {"enabled", "yes"}}}}));
    EXPECT_NE(message.find("property 'enabled' must be true or false"), std::string::npos);
}

// local_user and local_group share their validation (account_resource.cpp), each in its words.
TEST(PackageTest, AccountListsApplyOnlyToPresentAccountsAndNamesMustBeSafe) {
    auto message = errorOf(withResource(
        {{"id", "u"},
         {"type", "local_user"},
         {"properties", {{"name", "guest"}, {"ensure", "absent"}, {"groups", {"sudo"}}}}}));
    EXPECT_NE(message.find("groups only applies to ensure \"present\""), std::string::npos)
        << message;
    message = errorOf(withResource(
        {{"id", "g"},
         {"type", "local_group"},
         {"properties", {{"name", "himds"}, {"ensure", "absent"}, {"members", {"alice"}}}}}));
    EXPECT_NE(message.find("members only applies to ensure \"present\""), std::string::npos)
        << message;
    message = errorOf(withResource({{"id", "g"},
                                    {"type", "local_group"},
                                    {"properties", {{"name", "himds"}, {"members", {"../x"}}}}}));
    EXPECT_NE(message.find("user"), std::string::npos) << message;
    message = errorOf(
        withResource({{"id", "u"}, {"type", "local_user"}, {"properties", {{"name", "a b"}}}}));
    EXPECT_NE(message.find("user"), std::string::npos) << message;
}

TEST(PackageTest, MisspeltPropertyIsRefused) {
    auto message = errorOf(withResource(
        {{"id", "m"}, {"type", "file"}, {"properties", {{"path", "/etc/x"}, {"mdoe", "0600"}}}}));
    EXPECT_NE(message.find("unknown property 'mdoe'"), std::string::npos) << message;
}

TEST(PackageTest, PathsMustBeAbsoluteAndNormal) {
    EXPECT_NE(
        errorOf(withResource({{"id", "m"}, {"type", "file"}, {"properties", {{"path", "etc/x"}}}}))
            .find("must be absolute"),
        std::string::npos);
    EXPECT_NE(errorOf(withResource({{"id", "m"},
                                    {"type", "directory"},
                                    {"properties", {{"path", "/etc/../root"}}}}))
                  .find("must not contain . or .."),
              std::string::npos);
}

TEST(PackageTest, OptionLikeNamesAreRefused) {
    auto message = errorOf(
        withResource({{"id", "p"}, {"type", "package"}, {"properties", {{"name", "--purge"}}}}));
    EXPECT_NE(message.find("is not a valid name"), std::string::npos) << message;
}

TEST(PackageTest, DuplicateIdsAndBadDocumentsAreRefused) {
    json dup = {
        {"name", "P"},
        {"version", "1"},
        {"resources",
         {{{"id", "a"}, {"type", "agent_support"}}, {{"id", "a"}, {"type", "agent_support"}}}}};
    EXPECT_NE(errorOf(dup).find("resource 'a': the id is used twice"), std::string::npos);
    EXPECT_NE(errorOf({{"version", "1"}, {"resources", json::array()}}).find("'name'"),
              std::string::npos);
    EXPECT_NE(errorOf({{"name", "P"}, {"version", "1"}}).find("'resources' must be a list"),
              std::string::npos);
    EXPECT_FALSE(parseConfigurationText("{not json"));
    EXPECT_NE(errorOf(withResource({{"id", "bad id"}, {"type", "agent_support"}})).find("id"),
              std::string::npos);
}

TEST(PackageTest, AssignmentTypesAreCaseSensitive) {
    for (auto type : {AssignmentType::kAudit, AssignmentType::kApplyAndMonitor,
                      AssignmentType::kApplyAndAutoCorrect}) {
        auto parsed = parseAssignmentType(formatAssignmentType(type));
        ASSERT_TRUE(parsed);
        EXPECT_EQ(parsed.value(), type);
    }
    EXPECT_EQ(formatAssignmentType(AssignmentType::kApplyAndMonitor), "ApplyAndMonitor");
    EXPECT_FALSE(parseAssignmentType("audit"));
    EXPECT_EQ(parseAssignmentType("AuditAndSet").error().code, exitcode::kInvalidArgument);
}

// Writes a zip with the given entries (name -> content; a content starting with "->" makes a
// symlink to the rest).
void writeZip(const std::filesystem::path& zip,
              const std::vector<std::pair<std::string, std::string>>& entries) {
    ::archive* writer = archive_write_new();
    archive_write_set_format_zip(writer);
    ASSERT_EQ(archive_write_open_filename(writer, zip.c_str()), ARCHIVE_OK);
    for (const auto& [name, content] : entries) {
        archive_entry* entry = archive_entry_new();
        archive_entry_set_pathname(entry, name.c_str());
        if (content.rfind("->", 0) == 0) {
            archive_entry_set_filetype(entry, AE_IFLNK);
            archive_entry_set_symlink(entry, content.substr(2).c_str());
            archive_entry_set_perm(entry, 0777);
            archive_write_header(writer, entry);
        } else {
            archive_entry_set_filetype(entry, AE_IFREG);
            archive_entry_set_perm(entry, 04755);
            archive_entry_set_size(entry, static_cast<la_int64_t>(content.size()));
            archive_write_header(writer, entry);
            archive_write_data(writer, content.data(), content.size());
        }
        archive_entry_free(entry);
    }
    archive_write_close(writer);
    archive_write_free(writer);
}

TEST(PackageExtractTest, ExtractsAndLoads) {
    azcm::test::TempDir dir;
    auto zip = dir.path() / "p.zip";
    writeZip(zip, {{"configuration.json", R"({"name":"Z","version":"1","resources":[]})"},
                   {"docs/readme.txt", "hello"}});
    auto extracted = extractPackage(zip, dir.path() / "out");
    ASSERT_TRUE(extracted) << extracted.error().message;
    auto package = loadPackage(dir.path() / "out");
    ASSERT_TRUE(package) << package.error().message;
    EXPECT_EQ(package.value().name, "Z");
    struct stat st {};
    ASSERT_EQ(::stat((dir.path() / "out/docs/readme.txt").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0600U); // set-id and exec bits from the zip are dropped
}

// Every hostile archive is refused by archive::extractZip
// (tests/unit/common/zip_extractor_test.cpp); here, that a refusal is exit code 23 saying "package
// extraction:", with nothing left behind.
TEST(PackageExtractTest, HostileArchiveIsAnInvalidArgumentAndLeavesNothing) {
    azcm::test::TempDir dir;
    auto zip = dir.path() / "evil.zip";
    writeZip(zip, {{"../escape.txt", "x"}});
    auto result = extractPackage(zip, dir.path() / "out");
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, exitcode::kInvalidArgument);
    EXPECT_NE(result.error().message.find("package extraction: zip entry \"../escape.txt\" "
                                          "escapes the extraction directory"),
              std::string::npos)
        << result.error().message;
    EXPECT_FALSE(std::filesystem::exists(dir.path() / "escape.txt"));
    EXPECT_FALSE(std::filesystem::exists(dir.path() / "out"));
}

TEST(PackageExtractTest, RefusesMoreThanTheSizeLimit) {
    azcm::test::TempDir dir;
    auto zip = dir.path() / "big.zip";
    writeZip(zip, {{"configuration.json", std::string(4096, 'x')}});
    auto result = extractPackage(zip, dir.path() / "out", 1024);
    ASSERT_FALSE(result);
    EXPECT_NE(result.error().message.find("larger than 1024 bytes"), std::string::npos);
}

TEST(PackageExtractTest, MissingConfigurationIsAClearError) {
    azcm::test::TempDir dir;
    auto package = loadPackage(dir.path());
    ASSERT_FALSE(package);
    EXPECT_NE(package.error().message.find("no readable configuration.json"), std::string::npos);
}

} // namespace
} // namespace azcm::gcservice
