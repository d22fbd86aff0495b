#include "slot_holder.hpp"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <utility>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace azcm::test {

namespace {

bool sendAll(int fd, const std::string& data) {
    std::size_t sent = 0;
    while (sent < data.size()) {
        const auto n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) {
            return false;
        }
        sent += static_cast<std::size_t>(n);
    }
    return true;
}

// The answer's status once its head and Content-Length bytes of body are read; 0 when the
// connection ends first.
int readAnswer(int fd) {
    std::string data;
    std::array<char, 4096> buffer{};
    std::size_t head_end = std::string::npos;
    while (head_end == std::string::npos) {
        const auto n = ::recv(fd, buffer.data(), buffer.size(), 0);
        if (n <= 0) {
            return 0;
        }
        data.append(buffer.data(), static_cast<std::size_t>(n));
        head_end = data.find("\r\n\r\n");
    }
    if (data.size() < 12 || data.compare(0, 5, "HTTP/") != 0) {
        return 0;
    }
    const int status = std::atoi(data.c_str() + 9);
    std::size_t length = 0;
    const auto header = data.find("\r\nContent-Length: ");
    if (header != std::string::npos && header < head_end) {
        length = std::strtoul(data.c_str() + header + 18, nullptr, 10);
    }
    while (data.size() < head_end + 4 + length) {
        const auto n = ::recv(fd, buffer.data(), buffer.size(), 0);
        if (n <= 0) {
            return 0;
        }
        data.append(buffer.data(), static_cast<std::size_t>(n));
    }
    return status;
}

bool closedByServer(int fd) {
    pollfd entry{fd, POLLIN | POLLRDHUP, 0};
    if (::poll(&entry, 1, 0) <= 0) {
        return false;
    }
    char byte = 0;
    return ::recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) <= 0;
}

} // namespace

int connectLoopback(std::uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -1;
    }
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
        ::close(fd);
        return -1;
    }
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    timeval timeout{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    return fd;
}

int loopbackGet(int fd, const std::string& target) {
    const std::string request =
        "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nMetadata: true\r\n\r\n";
    if (!sendAll(fd, request)) {
        return 0;
    }
    return readAnswer(fd);
}

SlotHolder::SlotHolder(std::uint16_t port, std::string target)
    : port_(port), target_(std::move(target)) {}

SlotHolder::~SlotHolder() {
    for (const int fd : fds_) {
        ::close(fd);
    }
}

SlotHolder::Counts SlotHolder::open(int count) {
    Counts counts;
    for (int i = 0; i < count; ++i) {
        ++counts.attempted;
        const int fd = connectLoopback(port_);
        if (fd < 0) {
            ++counts.unanswered;
            continue;
        }
        const int status = loopbackGet(fd, target_);
        if (status == 0 || status == 503) {
            ++(status == 0 ? counts.unanswered : counts.refused);
            ::close(fd);
            continue;
        }
        ++(status == 200 ? counts.answered : counts.other);
        fds_.push_back(fd);
    }
    return counts;
}

int SlotHolder::dropClosed() {
    std::erase_if(fds_, [](int fd) {
        if (!closedByServer(fd)) {
            return false;
        }
        ::close(fd);
        return true;
    });
    return held();
}

std::map<int, int> SlotHolder::refresh() {
    std::map<int, int> statuses;
    for (const int fd : fds_) {
        ++statuses[loopbackGet(fd, target_)];
    }
    dropClosed();
    return statuses;
}

std::map<int, int> SlotHolder::flood(std::chrono::milliseconds duration) {
    std::map<int, int> statuses;
    const auto until = std::chrono::steady_clock::now() + duration;
    while (!fds_.empty() && std::chrono::steady_clock::now() < until) {
        for (const int fd : fds_) {
            ++statuses[loopbackGet(fd, target_)];
        }
        dropClosed();
    }
    return statuses;
}

} // namespace azcm::test
