#include "azcmagent/tags.hpp"

#include <gtest/gtest.h>

namespace azcm::azcmagent {
namespace {

TEST(Tags, EmptyTextIsNoTags) {
    auto tags = parseTags("  ");
    ASSERT_TRUE(tags);
    EXPECT_TRUE(tags.value().empty());
}

TEST(Tags, PlainAndQuotedValues) {
    auto tags = parseTags("Name=Value,Name2='Value with space', Env=\"prod, eu\"");
    ASSERT_TRUE(tags) << tags.error().message;
    EXPECT_EQ(tags.value().size(), 3u);
    EXPECT_EQ(tags.value().at("Name"), "Value");
    EXPECT_EQ(tags.value().at("Name2"), "Value with space");
    EXPECT_EQ(tags.value().at("Env"), "prod, eu");
}

TEST(Tags, BackslashEscapes) {
    auto tags = parseTags(R"(a=x\,y,b='it\'s',c=ends\ )");
    ASSERT_TRUE(tags) << tags.error().message;
    EXPECT_EQ(tags.value().at("a"), "x,y");
    EXPECT_EQ(tags.value().at("b"), "it's");
    EXPECT_EQ(tags.value().at("c"), "ends ");
}

TEST(Tags, EmptyValueAndEqualsInValue) {
    auto tags = parseTags("a=,b=x=y");
    ASSERT_TRUE(tags) << tags.error().message;
    EXPECT_EQ(tags.value().at("a"), "");
    EXPECT_EQ(tags.value().at("b"), "x=y");
}

TEST(Tags, MalformedInputIsInvalidArgument) {
    for (const char* text : {"novalue", "a=1,", "=1", "a='open", "a=1,b", "a='x'y", "a=1,a=2",
                             "a=trailing\\", "a/b=1"}) {
        auto tags = parseTags(text);
        ASSERT_FALSE(tags) << text;
        EXPECT_EQ(tags.error().code, exitcode::kInvalidArgument) << text;
        EXPECT_NE(tags.error().message.find("--tags"), std::string::npos) << text;
    }
}

} // namespace
} // namespace azcm::azcmagent
