// A local attacker against the IMDS listener (label integration-root: it creates the user
// azcmtest-slots and drops to it): that uid holds every connection slot it is allowed, as keep-
// alive connections, and floods requests over them, while root still gets its answers at once.
// himds runs in a sandbox on a free port, never on 40342.
#include "http_test_client.hpp"
#include "sandbox.hpp"
#include "system_accounts.hpp"

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

namespace azcm::test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* kAttacker = "azcmtest-slots";
// What himds allows one uid (docs/imds.md), and more than the whole listener has.
constexpr int kPerUidConnections = 64;
constexpr int kAttempts = 600;
const Headers kMetadata{{"Metadata", "true"}};

// The JSON lines the slot holder printed so far.
std::vector<json> holderReports(const std::filesystem::path& output) {
    std::vector<json> reports;
    std::ifstream in(output);
    std::string line;
    while (std::getline(in, line)) {
        if (!line.empty() && line.front() == '{') {
            reports.push_back(json::parse(line, nullptr, false));
        }
    }
    return reports;
}

class ImdsSlotsRootTest : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_EQ(::geteuid(), 0U)
            << "integration-root: needs root to create " << kAttacker << " and to drop to it";
        try {
            accounts_.ensureUser(kAttacker, {});
        } catch (const std::exception& e) {
            FAIL() << e.what();
        }
        sandbox_.startEmulator();
        sandbox_.startHimds();
        const auto sp = sandbox_.createServicePrincipal("onboarder", kOnboarding);
        const auto connected = sandbox_.azcmagent(sandbox_.connectArgs(sp, "slots01"));
        ASSERT_EQ(connected.exit_code, 0) << connected.out << connected.err;
        port_ = sandbox_.imdsPort();
    }

    // Starts the attacker and waits until it holds what it can.
    json startAttacker(const std::string& mode, int seconds) {
        output_ = sandbox_.root() / ("slot-holder-" + mode + ".out");
        SpawnOptions options;
        options.stdout_file = output_.string();
        holder_.start({AZCM_SLOT_HOLDER, kAttacker, std::to_string(port_),
                       std::to_string(kAttempts), std::to_string(seconds), mode},
                      options);
        const bool ready = waitUntil([&] { return !holderReports(output_).empty(); }, 120s);
        EXPECT_TRUE(ready) << "the slot holder did not report";
        return ready ? holderReports(output_).front() : json::object();
    }

    json attackerResult() {
        EXPECT_TRUE(waitUntil([&] { return holderReports(output_).size() >= 2; }, 120s));
        const auto reports = holderReports(output_);
        return reports.size() >= 2 ? reports.at(1) : json::object();
    }

    // Root's requests, each on a new connection: every one answered 200.
    void expectRootServed(int requests) {
        for (int i = 0; i < requests; ++i) {
            http::Response answer;
            try {
                answer = httpGet(port_, "/metadata/instance?api-version=2020-06-01", kMetadata);
            } catch (const std::exception& e) {
                FAIL() << "request " << i << " of root: " << e.what();
            }
            ASSERT_EQ(answer.result_int(), 200) << "request " << i << ": " << answer.body();
        }
    }

    SystemAccounts accounts_;
    Sandbox sandbox_;
    DaemonProcess holder_;
    std::filesystem::path output_;
    std::uint16_t port_ = 0;
};

TEST_F(ImdsSlotsRootTest, AUidHoldingEverySlotItMayLeavesRootServed) {
    const auto opened = startAttacker("hold", 60);
    EXPECT_EQ(opened.value("attempted", 0), kAttempts) << opened.dump();
    EXPECT_LE(opened.value("held", 0), kPerUidConnections) << opened.dump();
    EXPECT_GE(opened.value("held", 0), kPerUidConnections / 2) << opened.dump();
    // Beyond its bound, each new connection took the place of the attacker's own longest idle one
    // or was told 503; none was closed unanswered.
    EXPECT_EQ(opened.value("unanswered", -1), 0) << opened.dump();

    ASSERT_NO_FATAL_FAILURE(expectRootServed(40));
    const auto exchange = imdsTokenExchange(port_, "https://vault.azure.net");
    EXPECT_EQ(exchange.answer.result_int(), 200) << exchange.answer.body();
    holder_.stop();
}

TEST_F(ImdsSlotsRootTest, AUidFloodingOverItsSlotsSpendsOnlyItsOwnBudget) {
    const auto opened = startAttacker("flood", 10);
    EXPECT_LE(opened.value("held", 0), kPerUidConnections) << opened.dump();
    ASSERT_NO_FATAL_FAILURE(expectRootServed(40));
    const auto exchange = imdsTokenExchange(port_, "https://vault.azure.net");
    EXPECT_EQ(exchange.answer.result_int(), 200) << exchange.answer.body();
    const auto flooded = attackerResult();
    const auto statuses = flooded.value("statuses", json::object());
    EXPECT_GT(statuses.value("429", 0), 0) << "the flood was rate limited: " << flooded.dump();
    EXPECT_EQ(holder_.stop(), 0);
}

} // namespace
} // namespace azcm::test
