#include "common/daemon/blocking_loop.hpp"

#include <stdexcept>
#include <utility>

namespace azcm::daemon {

BlockingLoop::~BlockingLoop() {
    if (thread_.joinable()) {
        thread_.detach();
    }
}

void BlockingLoop::start(std::function<void()> body) {
    if (thread_.joinable()) {
        throw std::logic_error("BlockingLoop::start called twice");
    }
    std::promise<void> done;
    done_ = done.get_future();
    thread_ = std::thread([body = std::move(body), done = std::move(done)]() mutable {
        body();
        done.set_value();
    });
}

bool BlockingLoop::stop(std::chrono::milliseconds grace) {
    if (!thread_.joinable()) {
        return true;
    }
    if (done_.wait_for(grace) != std::future_status::ready) {
        thread_.detach();
        return false;
    }
    thread_.join();
    return true;
}

void BlockingLoop::join() {
    if (thread_.joinable()) {
        thread_.join();
    }
}

} // namespace azcm::daemon
