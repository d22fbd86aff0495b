#pragma once
// A local attacker's side of connection-slot exhaustion, for tests and benchmarks: keep-alive
// connections to a loopback HTTP listener, each with one request answered, held open and
// refreshed with one request each now and then (the pattern that defeats a 30 s idle timeout),
// and optionally a flood of requests over them. Blocking sockets, one thread.
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace azcm::test {

// One HTTP exchange on a loopback connection: the status, 0 when no answer came (closed, reset
// or the 5 s receive timeout).
int loopbackGet(int fd, const std::string& target);
// A new connection to 127.0.0.1:port (receive timeout 5 s); -1 when connect fails.
int connectLoopback(std::uint16_t port);

class SlotHolder {
public:
    struct Counts {
        int attempted = 0;
        int answered = 0;   // 200: held afterwards
        int refused = 0;    // 503
        int unanswered = 0; // closed without an answer
        int other = 0;      // any other status (also held)
    };

    SlotHolder(std::uint16_t port, std::string target);
    ~SlotHolder();
    SlotHolder(const SlotHolder&) = delete;
    SlotHolder& operator=(const SlotHolder&) = delete;
    SlotHolder(SlotHolder&&) = delete;
    SlotHolder& operator=(SlotHolder&&) = delete;

    // Opens `count` connections one after another, one request each; keeps the answered ones.
    Counts open(int count);
    // Lets go of connections the server has closed since (evicted); how many are still held.
    int dropClosed();
    // One request on every held connection; answers by status (0: none).
    std::map<int, int> refresh();
    // Requests back to back over the held connections for `duration`; answers by status.
    std::map<int, int> flood(std::chrono::milliseconds duration);
    int held() const { return static_cast<int>(fds_.size()); }

private:
    std::uint16_t port_;
    std::string target_;
    std::vector<int> fds_;
};

} // namespace azcm::test
