#include "azcmagent/cli_error.hpp"

#include <gtest/gtest.h>

namespace azcm::azcmagent {
namespace {

TEST(CliError, TextIsAzcmFourDigits) {
    EXPECT_EQ(formatErrorText(makeError(exitcode::kAlreadyConnected, "already")),
              "AZCM0067: already");
    EXPECT_EQ(formatErrorText(makeError(exitcode::kAzureVm, "vm")), "AZCM0141: vm");
    EXPECT_EQ(azcmCode(exitcode::kNotElevated), "AZCM0018");
}

TEST(CliError, InvalidCodesBecomeGeneric) {
    EXPECT_EQ(exitStatusOf(makeError(0, "x")), exitcode::kGeneric);
    EXPECT_EQ(exitStatusOf(makeError(300, "x")), exitcode::kGeneric);
    EXPECT_EQ(exitStatusOf(makeError(exitcode::kNetwork, "x")), 26);
}

TEST(CliError, JsonShape) {
    const auto document = formatErrorJson(makeError(exitcode::kTokenFailed, "bad secret"));
    EXPECT_EQ(document.at("error").at("code"), "AZCM0041");
    EXPECT_EQ(document.at("error").at("exitCode"), 41);
    EXPECT_EQ(document.at("error").at("message"), "bad secret");
}

} // namespace
} // namespace azcm::azcmagent
