#include "loop_pump.hpp"

#include <boost/asio/executor_work_guard.hpp>

namespace azcm::test {

bool pumpUntil(boost::asio::io_context& io,
               const std::function<bool()>& done,
               std::chrono::milliseconds budget) {
    const auto deadline = std::chrono::steady_clock::now() + budget;
    // Without outstanding work, run_one_for() would return at once instead of waiting.
    auto guard = boost::asio::make_work_guard(io);
    if (io.stopped()) {
        io.restart();
    }
    while (!done()) {
        if (std::chrono::steady_clock::now() >= deadline) {
            return false;
        }
        io.run_one_for(std::chrono::milliseconds(10));
        if (io.stopped()) {
            io.restart();
        }
    }
    return true;
}

std::size_t pumpReady(boost::asio::io_context& io) {
    if (io.stopped()) {
        io.restart();
    }
    return io.poll();
}

} // namespace azcm::test
