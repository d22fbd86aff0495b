#pragma once
// A small forward proxy on 127.0.0.1 for tests of proxy settings, recording every request head it
// is sent: CONNECT opens a tunnel (to the target, or where route() sends it), can insist on
// Proxy-Authorization, or is refused for every target (to prove a call did not go through it).
// Plain HTTP requests it answers itself, `200` with "upstream saw <target>", one after another on
// the same connection until the client closes it (even after `Connection: close`), so whatever a
// client pipelines is seen and answered, not lost.
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
    // CONNECT to `authority` ("host:port") goes to `to` instead: a name only this proxy
    // resolves.
    void route(const std::string& authority, const std::string& to);

private:
    void acceptLoop();
    void serve(int client);
    void answerPlainRequests(int client, std::string received);

    Options options_;
    int listener_ = -1;
    std::uint16_t port_ = 0;
    std::atomic<bool> stopping_{false};
    std::atomic<int> connects_{0};
    mutable std::mutex mutex_;
    std::vector<std::string> heads_;
    std::map<std::string, std::string> routes_;
    std::vector<std::thread> workers_;
    std::vector<int> open_sockets_;
    std::thread acceptor_;
};

} // namespace azcm::test
