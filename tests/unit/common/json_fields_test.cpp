// Typed reads of untrusted JSON: a wrong type or an out-of-range number is an error value that
// names the source and the field, never an exception or a silently narrowed number.
#include "common/json/json_fields.hpp"
#include "common/json/service_error.hpp"
#include "text_match.hpp"

#include <climits>
#include <cstdint>

#include <gtest/gtest.h>

namespace azcm::jsondoc {
namespace {

using azcm::test::mentions;

TEST(JsonFieldsTest, IntegersAreRangeCheckedBeforeNarrowing) {
    const Json object = {{"cpulimit", 4294967297ULL}, {"small", 5}, {"negative", -1}};
    auto truncated = getInteger<int>(object, "cpulimit", 1, 100, "/x/localconfig.json");
    ASSERT_FALSE(truncated);
    EXPECT_TRUE(mentions(truncated.error(), "/x/localconfig.json: field 'cpulimit'"))
        << truncated.error().message;
    EXPECT_TRUE(mentions(truncated.error(), "4294967297")) << truncated.error().message;
    // Without a narrower range, the type's own range applies.
    EXPECT_FALSE(getInteger<int>(object, "cpulimit", INT_MIN, INT_MAX, "s"));
    EXPECT_FALSE(getInteger<unsigned>(object, "negative", 0U, UINT_MAX, "s"));
    EXPECT_EQ(getInteger<int>(object, "small", 1, 100, "s").value(), 5);
    EXPECT_EQ(getInteger<int>(object, "negative", -1, 0, "s").value(), -1);
    EXPECT_EQ(getInteger<std::int64_t>(object, "cpulimit", 0, INT64_MAX, "s").value(),
              4294967297LL);
}

TEST(JsonFieldsTest, IntegerLimitsOfEveryWidthHold) {
    const Json max_unsigned = std::numeric_limits<std::uint64_t>::max();
    EXPECT_EQ(asInteger<std::uint64_t>(max_unsigned, "v").value(), UINT64_MAX);
    EXPECT_FALSE(asInteger<std::int64_t>(max_unsigned, "v"));
    const Json min_signed = std::numeric_limits<std::int64_t>::min();
    EXPECT_EQ(asInteger<std::int64_t>(min_signed, "v").value(), INT64_MIN);
    EXPECT_FALSE(asInteger<std::uint64_t>(min_signed, "v"));
    EXPECT_FALSE(asInteger<std::uint8_t>(Json(256), "v"));
    EXPECT_EQ(asInteger<std::uint8_t>(Json(255), "v").value(), 255);
}

TEST(JsonFieldsTest, OtherTypesAreNotIntegers) {
    for (const Json& value : {Json(5.0), Json("5"), Json(true), Json::array(), Json(nullptr)}) {
        auto read = asInteger<int>(value, 0, 10, "the answer: field 'n'");
        ASSERT_FALSE(read) << value.dump();
        EXPECT_TRUE(mentions(read.error(), "field 'n': an integer expected"))
            << read.error().message;
    }
}

TEST(JsonFieldsTest, IntegersWrittenAsDigits) {
    EXPECT_EQ(asIntegerOrDigits<std::int64_t>(Json("3599"), 0, 4000, "v").value(), 3599);
    EXPECT_EQ(asIntegerOrDigits<std::int64_t>(Json(3599), 0, 4000, "v").value(), 3599);
    EXPECT_FALSE(asIntegerOrDigits<std::int64_t>(Json("3599"), 0, 100, "v"));
    EXPECT_FALSE(asIntegerOrDigits<std::int64_t>(Json("12a"), 0, 100, "v"));
    EXPECT_FALSE(asIntegerOrDigits<std::int64_t>(Json(""), 0, 100, "v"));
    EXPECT_FALSE(asIntegerOrDigits<std::int64_t>(Json("99999999999999999999"), 0, INT64_MAX, "v"));
    EXPECT_FALSE(asIntegerOrDigits<std::int64_t>(Json(true), 0, 100, "v"));
}

TEST(JsonFieldsTest, WrongTypesAreErrorsNamingTheField) {
    const Json answer = {{"code", 5}, {"message", "m"}, {"flag", "yes"}, {"list", {1}}};
    auto code = getString(answer, "code", "the goal state");
    ASSERT_FALSE(code);
    EXPECT_EQ(code.error().message,
              "the goal state: field 'code': a string expected, got a number");
    auto flag = getOptionalBool(answer, "flag", "s");
    ASSERT_FALSE(flag);
    EXPECT_TRUE(mentions(flag.error(), "field 'flag': true or false expected, got a string"));
    EXPECT_FALSE(getObject(answer, "list", "s"));
    EXPECT_FALSE(getOptionalArray(answer, "message", "s"));
    EXPECT_TRUE(getArray(answer, "list", "s"));
    EXPECT_EQ(getString(answer, "message", "s").value(), "m");
}

TEST(JsonFieldsTest, AbsentAndNullAreOptional) {
    const Json object = {{"none", nullptr}};
    EXPECT_FALSE(getOptionalString(object, "none", "s").value());
    EXPECT_FALSE(getOptionalString(object, "absent", "s").value());
    EXPECT_EQ(getOptionalObject(object, "absent", "s").value(), nullptr);
    EXPECT_FALSE((getOptionalInteger<int>(object, "none", 0, 1, "s").value()));
    auto required = getString(object, "absent", "s");
    ASSERT_FALSE(required);
    EXPECT_EQ(required.error().message, "s: field 'absent': missing");
}

TEST(JsonFieldsTest, ANonObjectHasNoFields) {
    for (const Json& value : {Json(5), Json("x"), Json::array(), Json(nullptr)}) {
        auto read = getOptionalString(value, "code", "the answer");
        ASSERT_FALSE(read) << value.dump();
        EXPECT_TRUE(mentions(read.error(), "the answer: an object expected"))
            << read.error().message;
    }
}

TEST(JsonFieldsTest, WithCodeKeepsTheMessage) {
    auto read = withCode(getString(Json::object(), "x", "s"), exitcode::kNetwork);
    ASSERT_FALSE(read);
    EXPECT_EQ(read.error().code, exitcode::kNetwork);
    EXPECT_EQ(read.error().message, "s: field 'x': missing");
    EXPECT_EQ(withCode(Result<int>(3), exitcode::kNetwork).value(), 3);
}

TEST(ServiceErrorTest, ReadsCodeAndMessage) {
    EXPECT_EQ(serviceErrorText(R"({"error": {"code": "Conflict", "message": "busy"}})"),
              "Conflict: busy");
    EXPECT_EQ(serviceErrorText(R"({"error": {"message": "busy"}})"), "busy");
    EXPECT_EQ(serviceErrorText("<html>bad gateway</html>"), "");
    EXPECT_EQ(serviceErrorText(R"({"status": "fine"})"), "");
}

TEST(ServiceErrorTest, AWrongTypeIsNamedNotThrown) {
    const auto text = serviceErrorText(R"({"error": {"code": 5, "message": ["x"]}})");
    EXPECT_NE(text.find("field 'code': a string expected, got a number"), std::string::npos)
        << text;
    EXPECT_NE(text.find("field 'message': a string expected, got an array"), std::string::npos)
        << text;
    EXPECT_NE(serviceErrorText(R"({"error": 5})").find("field 'error'"), std::string::npos);
}

TEST(ServiceErrorTest, LongMessagesAreBounded) {
    const std::string message(10'000, 'm');
    const auto text =
        serviceErrorText(R"({"error": {"code": "C", "message": ")" + message + "\"}}");
    EXPECT_LE(text.size(), 2 * kMaxServiceErrorPart + 10);
}

} // namespace
} // namespace azcm::jsondoc
