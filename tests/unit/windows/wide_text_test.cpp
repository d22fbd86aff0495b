#include "common/platform/windows/wide_text.hpp"

#include <string>

#include <gtest/gtest.h>

namespace azcm::platform::windows {
namespace {

TEST(WideText, EmptyStaysEmpty) {
    ASSERT_TRUE(toWide(""));
    EXPECT_EQ(toWide("").value(), L"");
    ASSERT_TRUE(toUtf8(L""));
    EXPECT_EQ(toUtf8(L"").value(), "");
}

TEST(WideText, AsciiRoundTrips) {
    EXPECT_EQ(toWide("himds").value(), L"himds");
    EXPECT_EQ(toUtf8(L"himds").value(), "himds");
}

TEST(WideText, NonAsciiAndSurrogatePairsConvert) {
    // "Grüße " + U+1F600, which UTF-16 holds as a surrogate pair.
    const std::string utf8 = "Gr\xC3\xBC\xC3\x9F\x65 \xF0\x9F\x98\x80";
    const std::wstring utf16 = L"Gr\u00FC\u00DFe \xD83D\xDE00";
    EXPECT_EQ(toWide(utf8).value(), utf16);
    EXPECT_EQ(toUtf8(utf16).value(), utf8);
}

TEST(WideText, EmbeddedNulIsKept) {
    const std::string utf8("a\0b", 3);
    const std::wstring wide = toWide(utf8).value();
    ASSERT_EQ(wide.size(), 3u);
    EXPECT_EQ(wide[1], L'\0');
    EXPECT_EQ(toUtf8(wide).value(), utf8);
}

TEST(WideText, MalformedUtf8IsRefused) {
    const auto truncated = toWide("abc\xC3");
    ASSERT_FALSE(truncated);
    EXPECT_NE(truncated.error().message.find("UTF-8 to UTF-16"), std::string::npos);
    EXPECT_FALSE(toWide("\xFF\xFE"));
    EXPECT_FALSE(toWide("\xC0\xAF")); // an overlong "/"
}

TEST(WideText, LoneSurrogateIsRefused) {
    const std::wstring lone(1, static_cast<wchar_t>(0xD800));
    const auto converted = toUtf8(lone);
    ASSERT_FALSE(converted);
    EXPECT_NE(converted.error().message.find("UTF-16 to UTF-8"), std::string::npos);
}

} // namespace
} // namespace azcm::platform::windows
