#include "config_file.hpp"
#include "temp_dir.hpp"

#include <fstream>

#include <gtest/gtest.h>

namespace azcm::cli {
namespace {

using nlohmann::json;

struct Parsed {
    std::string secret;
    std::string location;
    std::string tenant;
    bool verbose = false;
    bool ignore = false;
};

class ConfigFileTest : public ::testing::Test {
protected:
    void SetUp() override {
        app_.fallthrough();
        app_.add_flag("-v,--verbose", parsed_.verbose);
        connect_ = app_.add_subcommand("connect");
        connect_->add_option("-p,--service-principal-secret", parsed_.secret);
        connect_->add_option("-l,--location", parsed_.location);
        connect_->add_option("-t,--tenant-id", parsed_.tenant);
        connect_->add_flag("--ignore-network-check", parsed_.ignore);
    }

    void parse(std::vector<std::string> args) {
        std::reverse(args.begin(), args.end());
        app_.parse(args);
    }

    CLI::App app_{"test", "azcmagent"};
    CLI::App* connect_ = nullptr;
    Parsed parsed_;
};

TEST_F(ConfigFileTest, FileFillsOptionsTheCommandLineLeftOut) {
    parse({"connect", "-l", "westeurope"});
    const json document{{"service-principal-secret", "from-file"},
                        {"location", "eastus"},
                        {"ignore-network-check", true},
                        {"verbose", true},
                        {"resource-name-of-another-command", "ignored"}};
    auto applied = applyConfigFile(*connect_, document);
    ASSERT_TRUE(applied) << applied.error().message;
    EXPECT_EQ(parsed_.secret, "from-file");
    EXPECT_EQ(parsed_.location, "westeurope"); // the command line wins
    EXPECT_TRUE(parsed_.ignore);
    EXPECT_TRUE(parsed_.verbose); // a global option, found through the parent
    EXPECT_TRUE(parsed_.tenant.empty());
}

TEST_F(ConfigFileTest, FalseFlagStaysFalse) {
    parse({"connect"});
    ASSERT_TRUE(applyConfigFile(*connect_, json{{"ignore-network-check", false}}));
    EXPECT_FALSE(parsed_.ignore);
}

TEST_F(ConfigFileTest, ObjectValueIsInvalidArgument) {
    parse({"connect"});
    auto applied = applyConfigFile(*connect_, json{{"location", {{"a", 1}}}});
    ASSERT_FALSE(applied);
    EXPECT_EQ(applied.error().code, exitcode::kInvalidArgument);
}

TEST(ConfigFileLoad, MissingFileIs19) {
    test::TempDir dir;
    auto document = loadConfigFile(dir.path() / "absent.json");
    ASSERT_FALSE(document);
    EXPECT_EQ(document.error().code, exitcode::kConfigFileNotFound);
}

TEST(ConfigFileLoad, BadJsonIs23) {
    test::TempDir dir;
    for (const char* content : {"{not json", "[1,2]"}) {
        std::ofstream(dir.path() / "bad.json") << content;
        auto document = loadConfigFile(dir.path() / "bad.json");
        ASSERT_FALSE(document) << content;
        EXPECT_EQ(document.error().code, exitcode::kInvalidArgument) << content;
    }
}

TEST(ConfigFileLoad, ObjectLoads) {
    test::TempDir dir;
    std::ofstream(dir.path() / "ok.json") << R"({"location": "eastus"})";
    auto document = loadConfigFile(dir.path() / "ok.json");
    ASSERT_TRUE(document);
    EXPECT_EQ(document.value().at("location"), "eastus");
}

} // namespace
} // namespace azcm::cli
