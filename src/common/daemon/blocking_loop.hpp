#pragma once
// A daemon's loop that blocks for long stretches: a long-poll the control plane holds open, a
// handler command that runs for minutes. It gets a thread of its own, started and stopped only
// here, so that it never holds a worker of the pool; everything else a daemon does runs on its
// io_context or, when it blocks briefly, on the worker pool with the result posted back.
//
//     loop_.start([this] { while (!stopping_) { longPollOnce(); } });
//     ...
//     stopping_ = true; cancel->cancel();          // make the body return
//     if (!loop_.stop(std::chrono::seconds(5))) {  // still blocked: leave it to the exit
//         spdlog::warn("DAEMON_STOP_TIMEOUT ...");
//     }
#include <chrono>
#include <functional>
#include <future>
#include <thread>

namespace azcm::daemon {

class BlockingLoop {
public:
    BlockingLoop() = default;
    // A loop still running (stop() was not called, or reported it blocked) is left to the
    // process's exit, never joined here: its body may wait for minutes.
    ~BlockingLoop();
    BlockingLoop(const BlockingLoop&) = delete;
    BlockingLoop& operator=(const BlockingLoop&) = delete;
    BlockingLoop(BlockingLoop&&) = delete;
    BlockingLoop& operator=(BlockingLoop&&) = delete;

    // Runs `body` on the loop's thread. At most once.
    void start(std::function<void()> body);
    bool started() const { return thread_.joinable(); }

    // After the caller has made the body return (a flag, a cancelled request): waits up to `grace`
    // for it. True when it returned (or never started) and the thread is joined; false when it is
    // still blocked, and the thread is then left to the process's exit.
    bool stop(std::chrono::milliseconds grace);
    // The same without a limit, for a body that uses its owner (which must outlive it) and whose
    // wait the caller has just cancelled.
    void join();

private:
    std::thread thread_;
    std::future<void> done_;
};

} // namespace azcm::daemon
