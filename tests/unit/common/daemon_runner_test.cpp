#include "common/daemon/daemon_runner.hpp"
#include "fake_service_manager.hpp"

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

TEST(DaemonRunnerTest, TheServiceManagerHearsReadyOnceAndStoppingOnce) {
    test::FakeServiceManager manager;
    DaemonRunner runner("unit-manager", manager);
    boost::asio::post(runner.context(), [&runner, &manager] {
        EXPECT_TRUE(manager.ready.empty()); // nothing before the daemon says it is bound
        runner.notifyReady("port=1");
        runner.requestShutdown();
        runner.requestShutdown();
    });
    EXPECT_EQ(runner.run(), 0);
    EXPECT_EQ(manager.ready, std::vector<std::string>{"port=1"});
    EXPECT_EQ(manager.stopping, 1);
    EXPECT_EQ(manager.pings, 0); // no WatchdogSec: no pings
}

TEST(DaemonRunnerTest, WatchdogPingsRepeatUntilTheShutdown) {
    test::FakeServiceManager manager;
    manager.watchdog = std::chrono::milliseconds(2);
    DaemonRunner runner("unit-watchdog", manager);
    // The loop stops itself at the third ping; if pings did not repeat, run() would not return
    // and the test would time out.
    manager.on_ping = [&runner, &manager] {
        if (manager.pings == 3) {
            runner.requestShutdown();
        }
    };
    boost::asio::post(runner.context(), [&runner] { runner.notifyReady("unit"); });
    EXPECT_EQ(runner.run(), 0); // returns: the ping timer does not outlive the shutdown
    EXPECT_EQ(manager.pings, 3);
}

} // namespace
} // namespace azcm::daemon
