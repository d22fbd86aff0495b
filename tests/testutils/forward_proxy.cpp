#include "forward_proxy.hpp"

#include <array>
#include <cstring>
#include <stdexcept>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace azcm::test {

namespace {

constexpr std::size_t kMaxHead = 16 * 1024;

bool sendAll(int fd, const char* data, std::size_t size) {
    while (size > 0) {
        const ssize_t sent = ::send(fd, data, size, MSG_NOSIGNAL);
        if (sent <= 0) {
            return false;
        }
        data += sent;
        size -= static_cast<std::size_t>(sent);
    }
    return true;
}

bool sendText(int fd, const std::string& text) {
    return sendAll(fd, text.data(), text.size());
}

std::string headerValue(const std::string& head, const std::string& name) {
    std::size_t line = head.find("\r\n");
    while (line != std::string::npos && line + 2 < head.size()) {
        const std::size_t start = line + 2;
        const std::size_t end = head.find("\r\n", start);
        const std::string text = head.substr(start, end - start);
        const auto colon = text.find(':');
        if (colon != std::string::npos && strncasecmp(text.c_str(), name.c_str(), colon) == 0 &&
            colon == name.size()) {
            auto value = text.substr(colon + 1);
            while (!value.empty() && value.front() == ' ') {
                value.erase(0, 1);
            }
            return value;
        }
        line = end;
    }
    return {};
}

std::size_t contentLength(const std::string& head) {
    const auto value = headerValue(head, "Content-Length");
    return value.empty() ? 0 : std::stoul(value);
}

int connectTo(const std::string& authority) {
    const auto colon = authority.rfind(':');
    if (colon == std::string::npos) {
        return -1;
    }
    std::string host = authority.substr(0, colon);
    if (host.size() > 2 && host.front() == '[') {
        host = host.substr(1, host.size() - 2);
    }
    const std::string port = authority.substr(colon + 1);
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (::getaddrinfo(host.c_str(), port.c_str(), &hints, &found) != 0) {
        return -1;
    }
    int fd = -1;
    for (auto* entry = found; entry != nullptr && fd < 0; entry = entry->ai_next) {
        fd = ::socket(entry->ai_family, entry->ai_socktype | SOCK_CLOEXEC, entry->ai_protocol);
        if (fd >= 0 && ::connect(fd, entry->ai_addr, entry->ai_addrlen) != 0) {
            ::close(fd);
            fd = -1;
        }
    }
    ::freeaddrinfo(found);
    return fd;
}

// Copies bytes both ways until either side closes.
void splice(int a, int b) {
    std::array<pollfd, 2> fds{{{a, POLLIN, 0}, {b, POLLIN, 0}}};
    std::array<char, 16384> buffer{};
    for (;;) {
        if (::poll(fds.data(), fds.size(), 30000) <= 0) {
            return;
        }
        for (std::size_t i = 0; i < 2; ++i) {
            if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) {
                continue;
            }
            const ssize_t n = ::recv(fds[i].fd, buffer.data(), buffer.size(), 0);
            if (n <= 0 || !sendAll(fds[1 - i].fd, buffer.data(), static_cast<std::size_t>(n))) {
                return;
            }
        }
    }
}

} // namespace

ForwardProxy::ForwardProxy(Options options) : options_(std::move(options)) {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    if (listener_ < 0 || ::bind(listener_, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
        ::listen(listener_, 64) != 0 ||
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
        throw std::runtime_error("forward proxy: cannot listen");
    }
    port_ = ntohs(address.sin_port);
    acceptor_ = std::thread([this] { acceptLoop(); });
}

ForwardProxy::~ForwardProxy() {
    stopping_ = true;
    ::shutdown(listener_, SHUT_RDWR);
    acceptor_.join();
    {
        const std::lock_guard lock(mutex_);
        for (const int fd : open_sockets_) {
            ::shutdown(fd, SHUT_RDWR);
        }
    }
    for (auto& worker : workers_) {
        worker.join();
    }
    for (const int fd : open_sockets_) {
        ::close(fd);
    }
    ::close(listener_);
}

std::vector<std::string> ForwardProxy::heads() const {
    const std::lock_guard lock(mutex_);
    return heads_;
}

void ForwardProxy::route(const std::string& authority, const std::string& to) {
    const std::lock_guard lock(mutex_);
    routes_[authority] = to;
}

void ForwardProxy::acceptLoop() {
    while (!stopping_) {
        const int client = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
        if (client < 0) {
            if (stopping_) {
                return;
            }
            continue;
        }
        const std::lock_guard lock(mutex_);
        open_sockets_.push_back(client);
        workers_.emplace_back([this, client] { serve(client); });
    }
}

void ForwardProxy::serve(int client) {
    std::string head;
    std::array<char, 1024> buffer{};
    while (head.find("\r\n\r\n") == std::string::npos && head.size() < kMaxHead) {
        const ssize_t n = ::recv(client, buffer.data(), buffer.size(), 0);
        if (n <= 0) {
            return;
        }
        head.append(buffer.data(), static_cast<std::size_t>(n));
    }
    if (head.rfind("CONNECT ", 0) != 0) {
        answerPlainRequests(client, std::move(head));
        return;
    }
    const auto head_end = head.find("\r\n\r\n");
    if (head_end == std::string::npos) {
        return;
    }
    head.resize(head_end + 4); // a tunnel's first bytes are not part of the head
    {
        const std::lock_guard lock(mutex_);
        heads_.push_back(head);
    }
    ++connects_;
    if (options_.required_authorization &&
        headerValue(head, "Proxy-Authorization") != *options_.required_authorization) {
        sendText(client, "HTTP/1.1 407 Proxy Authentication Required\r\n"
                         "Proxy-Authenticate: Basic realm=\"test\"\r\nContent-Length: 0\r\n\r\n");
        return;
    }
    if (options_.refuse_status != 0) {
        sendText(client, "HTTP/1.1 " + std::to_string(options_.refuse_status) +
                             " Refused\r\nContent-Length: 0\r\n\r\n");
        return;
    }
    std::string authority = head.substr(8, head.find(' ', 8) - 8);
    {
        const std::lock_guard lock(mutex_);
        if (const auto routed = routes_.find(authority); routed != routes_.end()) {
            authority = routed->second;
        }
    }
    const int upstream = connectTo(authority);
    if (upstream < 0) {
        sendText(client, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
        return;
    }
    {
        const std::lock_guard lock(mutex_);
        open_sockets_.push_back(upstream);
    }
    if (sendText(client, "HTTP/1.1 200 Connection Established\r\n\r\n")) {
        splice(client, upstream);
    }
    ::shutdown(upstream, SHUT_RDWR);
    ::shutdown(client, SHUT_RDWR);
}

void ForwardProxy::answerPlainRequests(int client, std::string received) {
    std::array<char, 4096> buffer{};
    for (;;) {
        // One head, and the body its Content-Length announces.
        std::size_t head_size = 0;
        std::size_t body_size = 0;
        for (;;) {
            const auto end = received.find("\r\n\r\n");
            if (end != std::string::npos) {
                head_size = end + 4;
                body_size = contentLength(received.substr(0, end + 2));
                if (received.size() >= head_size + body_size) {
                    break;
                }
            }
            const ssize_t n = ::recv(client, buffer.data(), buffer.size(), 0);
            if (n <= 0 || received.size() > kMaxHead * 64) {
                ::shutdown(client, SHUT_RDWR);
                return;
            }
            received.append(buffer.data(), static_cast<std::size_t>(n));
        }
        const std::string head = received.substr(0, head_size);
        received.erase(0, head_size + body_size);
        {
            const std::lock_guard lock(mutex_);
            heads_.push_back(head);
        }
        const auto target_start = head.find(' ') + 1;
        const std::string body =
            "upstream saw " +
            head.substr(target_start, head.find(' ', target_start) - target_start);
        if (!sendText(client, "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) +
                                  "\r\n\r\n" + body)) {
            return;
        }
    }
}

} // namespace azcm::test
