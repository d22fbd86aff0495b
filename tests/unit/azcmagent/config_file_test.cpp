#include "azcmagent/config_file.hpp"
#include "temp_dir.hpp"

#include <fstream>

#include <gtest/gtest.h>

namespace azcm::azcmagent {
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
    azcm::test::TempDir dir;
    auto document = loadConfigFile(dir.path() / "absent.json");
    ASSERT_FALSE(document);
    EXPECT_EQ(document.error().code, exitcode::kConfigFileNotFound);
}

TEST(ConfigFileLoad, BadJsonIs23) {
    azcm::test::TempDir dir;
    for (const char* content : {"{not json", "[1,2]"}) {
        std::ofstream(dir.path() / "bad.json") << content;
        auto document = loadConfigFile(dir.path() / "bad.json");
        ASSERT_FALSE(document) << content;
        EXPECT_EQ(document.error().code, exitcode::kInvalidArgument) << content;
    }
}

TEST(ConfigFileLoad, ObjectLoads) {
    azcm::test::TempDir dir;
    std::ofstream(dir.path() / "ok.json") << R"({"location": "eastus"})";
    auto document = loadConfigFile(dir.path() / "ok.json");
    ASSERT_TRUE(document);
    EXPECT_EQ(document.value().at("location"), "eastus");
}

TEST(ConfigFileLoad, YamlByExtensionResolvesScalarsAsYamlDoes) {
    azcm::test::TempDir dir;
    for (const char* name : {"flags.yaml", "flags.YML"}) {
        std::ofstream(dir.path() / name) << "# connect flags\n"
                                            "location: eastus\n"
                                            "verbose: true\n"
                                            "ignore-network-check: False\n"
                                            "port: 443\n"
                                            "ratio: 1.5\n"
                                            "tenant-id: '0042'\n"
                                            "tags: [a, 'b c']\n"
                                            "empty:\n";
        auto document = loadConfigFile(dir.path() / name);
        ASSERT_TRUE(document) << document.error().message;
        const json expected{
            {"location", "eastus"}, {"verbose", true}, {"ignore-network-check", false},
            {"port", 443},          {"ratio", 1.5},    {"tenant-id", "0042"},
            {"tags", {"a", "b c"}}, {"empty", nullptr}};
        EXPECT_EQ(document.value(), expected) << name;
    }
}

TEST(ConfigFileLoad, YamlDetectedByContentWhenNotJson) {
    azcm::test::TempDir dir;
    std::ofstream(dir.path() / "azcmagent.conf") << "service-principal-secret: \"s3cr:et\"\n";
    auto document = loadConfigFile(dir.path() / "azcmagent.conf");
    ASSERT_TRUE(document) << document.error().message;
    EXPECT_EQ(document.value().at("service-principal-secret"), "s3cr:et");
}

TEST(ConfigFileLoad, BadYamlIs23) {
    azcm::test::TempDir dir;
    for (const char* content :
         {"location: [eastus\n", "- a\n- b\n", "just a scalar\n", "a: 1\na: 2\n", ""}) {
        std::ofstream(dir.path() / "bad.yaml") << content;
        auto document = loadConfigFile(dir.path() / "bad.yaml");
        ASSERT_FALSE(document) << content;
        EXPECT_EQ(document.error().code, exitcode::kInvalidArgument) << content;
    }
}

TEST(ConfigFileLoad, YamlAliasBombIsRefused) {
    azcm::test::TempDir dir;
    std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
    for (char level = 'b'; level <= 'h'; ++level) {
        const char previous = static_cast<char>(level - 1);
        bomb += std::string(1, level) + ": &" + level + " [*" + previous + ", *" + previous +
                ", *" + previous + ", *" + previous + ", *" + previous + ", *" + previous + ", *" +
                previous + ", *" + previous + ", *" + previous + ", *" + previous + "]\n";
    }
    std::ofstream(dir.path() / "bomb.yaml") << bomb;
    auto document = loadConfigFile(dir.path() / "bomb.yaml");
    ASSERT_FALSE(document);
    EXPECT_EQ(document.error().code, exitcode::kInvalidArgument);
}

// Found by the --config fuzzer: numbers are recognised without recursion (a 1 MiB scalar is
// fine), and those beyond 64-bit integers or double's range keep their digits as a string.
TEST(ConfigFileLoad, LongAndOutOfRangeYamlNumbersStayText) {
    azcm::test::TempDir dir;
    const auto file = dir.path() / "numbers.yaml";
    const std::string digits(1000000, '7');
    for (const auto& scalar : {digits, digits + ".5", "-" + digits + "e5", std::string("1e999")}) {
        std::ofstream(file, std::ios::trunc) << "value: " << scalar << "\n";
        auto document = loadConfigFile(file);
        ASSERT_TRUE(document) << scalar.substr(0, 20) << ": " << document.error().message;
        EXPECT_EQ(document.value().at("value"), scalar) << scalar.substr(0, 20);
    }
    std::ofstream(file, std::ios::trunc) << "a: 1e3\nb: -.5\nc: +12\nd: 1e\ne: .\n";
    auto document = loadConfigFile(file);
    ASSERT_TRUE(document) << document.error().message;
    EXPECT_EQ(document.value(),
              (json{{"a", 1000.0}, {"b", -0.5}, {"c", 12}, {"d", "1e"}, {"e", "."}}));
}

TEST_F(ConfigFileTest, YamlValuesApplyLikeJson) {
    azcm::test::TempDir dir;
    std::ofstream(dir.path() / "flags.yml") << "location: westus\nignore-network-check: true\n"
                                               "verbose: yes-is-a-string-in-yaml-1.2\n";
    auto document = loadConfigFile(dir.path() / "flags.yml");
    ASSERT_TRUE(document) << document.error().message;
    EXPECT_EQ(document.value().at("verbose"), "yes-is-a-string-in-yaml-1.2");
    document.value().erase("verbose");
    parse({"connect"});
    ASSERT_TRUE(applyConfigFile(*connect_, document.value()));
    EXPECT_EQ(parsed_.location, "westus");
    EXPECT_TRUE(parsed_.ignore);
}

} // namespace
} // namespace azcm::azcmagent
