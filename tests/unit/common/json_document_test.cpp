// The one parser for JSON from outside the process: nesting and size limits hold before a tree
// is built, and every error names the document.
#include "common/fs/atomic_file.hpp"
#include "common/json/json_document.hpp"
#include "temp_dir.hpp"
#include "text_match.hpp"

#include <string>

#include <gtest/gtest.h>

namespace azcm::jsondoc {
namespace {

using azcm::test::mentions;

using Json = nlohmann::json;

std::string nestedArrays(std::size_t depth) {
    return std::string(depth, '[') + std::string(depth, ']');
}

std::string nestedObjects(std::size_t depth) {
    std::string text;
    for (std::size_t i = 0; i < depth; ++i) {
        text += "{\"a\":";
    }
    text += "1";
    text += std::string(depth, '}');
    return text;
}

TEST(JsonDocumentTest, ParsesDocumentsAtTheDepthLimit) {
    auto arrays = parse(nestedArrays(kMaxDepth), "test.json");
    ASSERT_TRUE(arrays) << arrays.error().message;
    EXPECT_TRUE(arrays.value().is_array());
    auto objects = parse(nestedObjects(kMaxDepth), "test.json");
    ASSERT_TRUE(objects) << objects.error().message;
    EXPECT_TRUE(objects.value().is_object());
}

TEST(JsonDocumentTest, RefusesOneLevelDeeperNamingTheSource) {
    for (const auto& text : {nestedArrays(kMaxDepth + 1), nestedObjects(kMaxDepth + 1),
                             "{\"x\": " + nestedArrays(kMaxDepth) + "}"}) {
        auto parsed = parse(text, "/etc/hostile.json");
        ASSERT_FALSE(parsed);
        EXPECT_TRUE(mentions(parsed.error(), "/etc/hostile.json")) << parsed.error().message;
        EXPECT_TRUE(mentions(parsed.error(), "nests deeper than 64 levels"))
            << parsed.error().message;
    }
}

TEST(JsonDocumentTest, RefusesAHundredThousandLevelsWithoutBuildingThem) {
    // 200 KB: the size of the document that overflowed himds's stack.
    const std::string text = "{\"deep\": " + nestedArrays(100'000) + "}";
    ASSERT_LT(text.size(), kFileMaxBytes);
    auto parsed = parse(text, "localconfig.json");
    ASSERT_FALSE(parsed);
    EXPECT_TRUE(mentions(parsed.error(), "nests deeper")) << parsed.error().message;
    // Unclosed brackets count just the same.
    EXPECT_FALSE(parse(std::string(500'000, '['), "x", {kNetworkMaxBytes}));
}

TEST(JsonDocumentTest, BracketsInsideStringsAreNotNesting) {
    const std::string brackets(1000, '[');
    auto parsed = parse(R"({"a": ")" + brackets + R"(\"[[[", "b": ["\\"]})", "test.json");
    ASSERT_TRUE(parsed) << parsed.error().message;
    EXPECT_EQ(parsed.value()["a"].get<std::string>(), brackets + "\"[[[");
    EXPECT_EQ(parsed.value()["b"][0].get<std::string>(), "\\");
}

TEST(JsonDocumentTest, RefusesDocumentsOverTheSizeLimit) {
    const std::string text = "[\"" + std::string(2000, 'x') + "\"]";
    auto parsed = parse(text, "big.json", {1000});
    ASSERT_FALSE(parsed);
    EXPECT_TRUE(mentions(parsed.error(), "big.json is larger than 1000 bytes"))
        << parsed.error().message;
    EXPECT_TRUE(parse(text, "big.json", {text.size()}));
}

TEST(JsonDocumentTest, SyntaxErrorsNameTheSourceAndThePlace) {
    auto parsed = parse("{\"a\": tru}", "cloud.json");
    ASSERT_FALSE(parsed);
    EXPECT_EQ(parsed.error().code, exitcode::kGeneric);
    EXPECT_TRUE(mentions(parsed.error(), "cloud.json is not valid JSON (error at byte"))
        << parsed.error().message;
    EXPECT_FALSE(parse("", "empty.json"));
    EXPECT_FALSE(parse("[1e999]", "huge-number.json"));
    EXPECT_FALSE(parse("{} {}", "two.json"));
    EXPECT_FALSE(parse("{\"a\": 1} /* comment */", "comment.json"));
}

TEST(JsonDocumentTest, ParseFileNamesTheFile) {
    test::TempDir dir;
    const auto path = dir.path() / "localconfig.json";
    ASSERT_TRUE(fs::writeFileAtomic(path, "{\"x\": " + nestedArrays(100) + "}"));
    auto deep = parseFile(path);
    ASSERT_FALSE(deep);
    EXPECT_TRUE(mentions(deep.error(), path.string())) << deep.error().message;

    auto missing = parseFile(dir.path() / "absent.json");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, exitcode::kConfigFileNotFound);

    ASSERT_TRUE(fs::writeFileAtomic(path, "{\"x\": [1, 2]}"));
    auto good = parseFile(path);
    ASSERT_TRUE(good) << good.error().message;
    EXPECT_EQ(good.value()["x"].size(), 2U);
}

TEST(JsonDocumentTest, SerializeReplacesInvalidUtf8InsteadOfThrowing) {
    const Json report = {{"reason", std::string("output: \xff\xfe end")}};
    EXPECT_THROW((void)report.dump(), nlohmann::json::type_error);
    const auto text = serialize(report);
    EXPECT_EQ(text, "{\"reason\":\"output: \xEF\xBF\xBD\xEF\xBF\xBD end\"}");
    auto back = parse(text, "serialized");
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(serialize(Json{{"a", 1}}, 2), "{\n  \"a\": 1\n}");
}

} // namespace
} // namespace azcm::jsondoc
