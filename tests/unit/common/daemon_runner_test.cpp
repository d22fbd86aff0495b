#include "daemon/daemon_runner.hpp"

#include <csignal>
#include <string>
#include <vector>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <gtest/gtest.h>

namespace azcm::daemon {
namespace {

TEST(DaemonRunnerTest, ShutdownRunsStopsInReverseOrderAndRunReturns) {
    DaemonRunner runner("unit");
    std::vector<std::string> order;
    // A component that keeps the io_context busy until it is stopped.
    boost::asio::steady_timer forever(runner.context(), std::chrono::hours(1));
    forever.async_wait([&order](const boost::system::error_code& ec) {
        order.push_back(ec ? "timer cancelled" : "timer fired");
    });
    runner.onShutdown([&order] { order.emplace_back("first registered"); });
    runner.onShutdown([&order, &forever] {
        order.emplace_back("second registered");
        forever.cancel();
    });
    boost::asio::post(runner.context(), [&runner] {
        runner.notifyReady("unit test");
        runner.requestShutdown();
        runner.requestShutdown(); // a second request is harmless
    });
    EXPECT_EQ(runner.run(), 0);
    EXPECT_EQ(order, (std::vector<std::string>{"second registered", "first registered",
                                               "timer cancelled"}));
}

TEST(DaemonRunnerTest, SigtermTakesTheShutdownPath) {
    DaemonRunner runner("unit-signal");
    bool stopped = false;
    boost::asio::steady_timer forever(runner.context(), std::chrono::hours(1));
    forever.async_wait([](const boost::system::error_code&) {});
    runner.onShutdown([&stopped, &forever] {
        stopped = true;
        forever.cancel();
    });
    boost::asio::post(runner.context(), [] { ::raise(SIGTERM); });
    EXPECT_EQ(runner.run(), 0);
    EXPECT_TRUE(stopped);
}

} // namespace
} // namespace azcm::daemon
