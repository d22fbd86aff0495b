#pragma once
// Tests that pump the loop: the code under test posts its work to an io_context, and the test runs
// that io_context on its own thread, one handler at a time, until what it waits for has happened.
// No io thread, no sleeps: a handler runs only while the test is pumping, so the test sees every
// state between two handlers and never races the service it drives.
//
//     service.start();
//     ASSERT_TRUE(pumpUntil(io, [&] { return plane.sent().size() >= 1; }));
#include <chrono>
#include <functional>

#include <boost/asio/io_context.hpp>

namespace azcm::test {

// Runs `io`'s handlers on the calling thread until `done()` holds (checked before each handler)
// or `budget` has passed; the result is done(). Waits for a handler at most 10 ms at a time, so
// work finishing on another thread (a worker pool) is noticed. Leaves `io` ready to run again.
bool pumpUntil(boost::asio::io_context& io,
               const std::function<bool()>& done,
               std::chrono::milliseconds budget = std::chrono::seconds(15));

// Runs every handler that is ready now, and those they make ready, without waiting; the number run.
std::size_t pumpReady(boost::asio::io_context& io);

} // namespace azcm::test
