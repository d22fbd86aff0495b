#pragma once
// Runs an io_context on a background thread for the duration of a test, so blocking test clients
// can talk to servers living on it.
#include <future>
#include <thread>
#include <utility>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

namespace azcm::http::test {

class IoThread {
public:
    IoThread() : guard_(io_.get_executor()), thread_([this] { io_.run(); }) {}
    ~IoThread() { join(); }
    IoThread(const IoThread&) = delete;
    IoThread& operator=(const IoThread&) = delete;
    IoThread(IoThread&&) = delete;
    IoThread& operator=(IoThread&&) = delete;

    boost::asio::io_context& io() { return io_; }
    boost::asio::any_io_executor executor() { return io_.get_executor(); }

    // Runs `f` on the io thread and waits for its result.
    template <class F> auto run(F f) -> decltype(f()) {
        if (!thread_.joinable()) {
            return f(); // the loop is over: nothing else can touch the objects
        }
        std::packaged_task<decltype(f())()> task(std::move(f));
        auto future = task.get_future();
        boost::asio::post(io_, [&task] { task(); });
        return future.get();
    }

    // Lets run() return once no work is left (after servers are stopped), then waits for it.
    void join() {
        guard_.reset();
        if (thread_.joinable()) {
            thread_.join();
        }
    }

private:
    boost::asio::io_context io_;
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_;
    std::thread thread_;
};

} // namespace azcm::http::test
