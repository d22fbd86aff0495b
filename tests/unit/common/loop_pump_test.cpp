// The loop pump tests use to drive a service's io_context on the test thread.
#include "loop_pump.hpp"

#include <atomic>
#include <thread>
#include <vector>

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>

#include <gtest/gtest.h>

namespace azcm::test {
namespace {

using namespace std::chrono_literals;

TEST(LoopPump, RunsHandlersOnTheCallingThreadInOrderUntilDone) {
    boost::asio::io_context io;
    std::vector<int> ran;
    const auto test_thread = std::this_thread::get_id();
    for (int i = 0; i < 5; ++i) {
        boost::asio::post(io, [&ran, i, test_thread] {
            EXPECT_EQ(std::this_thread::get_id(), test_thread);
            ran.push_back(i);
        });
    }
    EXPECT_TRUE(pumpUntil(io, [&] { return ran.size() == 3; }));
    EXPECT_EQ(ran, (std::vector<int>{0, 1, 2})) << "nothing runs once done() holds";
    EXPECT_EQ(pumpReady(io), 2U);
    EXPECT_EQ(ran, (std::vector<int>{0, 1, 2, 3, 4}));
}

TEST(LoopPump, SeesResultsPostedBackFromAWorkerPool) {
    boost::asio::io_context io;
    boost::asio::thread_pool workers(1);
    bool delivered = false;
    boost::asio::post(workers, [&io, &delivered] {
        std::this_thread::sleep_for(50ms); // blocking work, off the loop
        boost::asio::post(io, [&delivered] { delivered = true; });
    });
    EXPECT_TRUE(pumpUntil(io, [&] { return delivered; }));
    workers.join();
}

TEST(LoopPump, GivesUpAfterItsBudget) {
    boost::asio::io_context io;
    const auto started = std::chrono::steady_clock::now();
    EXPECT_FALSE(pumpUntil(
        io, [] { return false; }, 100ms));
    EXPECT_GE(std::chrono::steady_clock::now() - started, 100ms);
    // A stopped io_context is made ready again.
    io.stop();
    bool ran = false;
    boost::asio::post(io, [&ran] { ran = true; });
    EXPECT_TRUE(pumpUntil(
        io, [&] { return ran; }, 1s));
}

} // namespace
} // namespace azcm::test
