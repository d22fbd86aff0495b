// daemon::BlockingLoop: the one way a daemon runs a loop that blocks for long stretches.
#include "common/daemon/blocking_loop.hpp"

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

namespace azcm::daemon {
namespace {

using namespace std::chrono_literals;

// A body that blocks until released, as a held long-poll does until it is cancelled.
struct Gate {
    std::mutex mutex;
    std::condition_variable changed;
    bool open = false;
    void release() {
        const std::lock_guard lock(mutex);
        open = true;
        changed.notify_all();
    }
    void wait() {
        std::unique_lock lock(mutex);
        changed.wait(lock, [this] { return open; });
    }
};

TEST(BlockingLoop, RunsItsBodyOnAThreadOfItsOwnAndJoinsOnceItReturns) {
    BlockingLoop loop;
    EXPECT_FALSE(loop.started());
    auto gate = std::make_shared<Gate>();
    std::atomic<bool> on_other_thread{false};
    const auto caller = std::this_thread::get_id();
    loop.start([gate, &on_other_thread, caller] {
        on_other_thread = std::this_thread::get_id() != caller;
        gate->wait();
    });
    EXPECT_TRUE(loop.started());
    gate->release(); // what a daemon's stop does: make the body return
    EXPECT_TRUE(loop.stop(5s));
    EXPECT_TRUE(on_other_thread);
    EXPECT_FALSE(loop.started());
}

TEST(BlockingLoop, AStopThatOutlastsItsGraceLeavesTheBlockedBodyAndSaysSo) {
    auto gate = std::make_shared<Gate>();
    auto finished = std::make_shared<std::atomic<bool>>(false);
    {
        BlockingLoop loop;
        loop.start([gate, finished] {
            gate->wait();
            *finished = true;
        });
        EXPECT_FALSE(loop.stop(50ms));
        EXPECT_FALSE(loop.started()) << "left to the process's exit, not joined";
    } // destroying the loop does not wait either
    EXPECT_FALSE(*finished);
    gate->release(); // the detached body ends on its own
    for (int i = 0; i < 500 && !*finished; ++i) {
        std::this_thread::sleep_for(10ms);
    }
    EXPECT_TRUE(*finished);
}

TEST(BlockingLoop, StoppingOrJoiningALoopThatNeverStartedIsAtOnceDone) {
    BlockingLoop loop;
    EXPECT_TRUE(loop.stop(0ms));
    loop.join();
    EXPECT_FALSE(loop.started());
}

TEST(BlockingLoop, JoinWaitsForTheBodyWithoutALimit) {
    BlockingLoop loop;
    std::atomic<bool> finished{false};
    loop.start([&finished] {
        std::this_thread::sleep_for(100ms);
        finished = true;
    });
    loop.join();
    EXPECT_TRUE(finished);
}

TEST(BlockingLoop, StartsOnlyOnce) {
    BlockingLoop loop;
    loop.start([] {});
    EXPECT_THROW(loop.start([] {}), std::logic_error);
    EXPECT_TRUE(loop.stop(5s));
}

} // namespace
} // namespace azcm::daemon
