// The agent version: this build's is well formed, and parsing accepts exactly four fields of
// 0-65535 and orders versions field by field.
#include "common/agent_version.hpp"

#include <gtest/gtest.h>

namespace azcm {
namespace {

TEST(AgentVersion, ThisBuildsVersionIsFourFieldsStartingAtOneZero) {
    const auto parsed = parseAgentVersion(agentVersion());
    ASSERT_TRUE(parsed) << agentVersion();
    EXPECT_EQ(parsed->text(), agentVersion());
    EXPECT_GE(*parsed, (AgentVersion{1, 0, 0, 0}));
}

TEST(AgentVersion, ParsesFourFieldsOfAtMost65535) {
    const auto parsed = parseAgentVersion("1.2.65535.0");
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->major, 1);
    EXPECT_EQ(parsed->minor, 2);
    EXPECT_EQ(parsed->build, 65535);
    EXPECT_EQ(parsed->revision, 0);
    for (const char* bad : {"", "1", "1.0", "1.0.1", "1.0.1.0.0", "1.0.65536.0", "1.0.00001.0",
                            "01.0.1.0", "1.0.-1.0", "1.0.+1.0", "1.0.1.0 ", " 1.0.1.0", "1..1.0",
                            "1.0.1.", "a.0.1.0", "1.0.100000.0"}) {
        EXPECT_FALSE(parseAgentVersion(bad)) << '"' << bad << '"';
    }
}

TEST(AgentVersion, OrdersFieldByField) {
    const auto older = *parseAgentVersion("1.0.9999.65535");
    const auto newer = *parseAgentVersion("1.0.10000.0");
    EXPECT_LT(older, newer);
    EXPECT_LT(*parseAgentVersion("1.9.0.0"), *parseAgentVersion("1.10.0.0"));
    EXPECT_EQ(*parseAgentVersion("1.0.5.1"), (AgentVersion{1, 0, 5, 1}));
}

} // namespace
} // namespace azcm
