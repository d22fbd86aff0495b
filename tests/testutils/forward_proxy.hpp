#pragma once
// A small HTTP CONNECT forward proxy on 127.0.0.1 for tests of proxy settings: it counts tunnels
// per target, can insist on Proxy-Authorization, or refuse every tunnel (to prove a call did not
// go through it).
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace azcm::test {

class ForwardProxy {
public:
    struct Options {
        // Answer every CONNECT with this status instead of opening the tunnel (0: tunnel).
        unsigned refuse_status = 0;
        // When set, CONNECT must carry exactly this Proxy-Authorization value, else 407.
        std::optional<std::string> required_authorization;
    };

    explicit ForwardProxy(Options options);
    ForwardProxy() : ForwardProxy(Options{}) {}
    ~ForwardProxy();
    ForwardProxy(const ForwardProxy&) = delete;
    ForwardProxy& operator=(const ForwardProxy&) = delete;
    ForwardProxy(ForwardProxy&&) = delete;
    ForwardProxy& operator=(ForwardProxy&&) = delete;

    std::uint16_t port() const { return port_; }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
    // CONNECT requests seen (answered or not).
    int connects() const { return connects_.load(); }
    // Request heads seen, in order.
    std::vector<std::string> heads() const;

private:
    void acceptLoop();
    void serve(int client);

    Options options_;
    int listener_ = -1;
    std::uint16_t port_ = 0;
    std::atomic<bool> stopping_{false};
    std::atomic<int> connects_{0};
    mutable std::mutex mutex_;
    std::vector<std::string> heads_;
    std::vector<std::thread> workers_;
    std::vector<int> open_sockets_;
    std::thread acceptor_;
};

} // namespace azcm::test
