#include "common/platform/socket_owner.hpp"

#include "common/platform/system_error_text.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>

#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

namespace azcm::platform {

namespace {

using tcp = boost::asio::ip::tcp;

// Netlink answers an exact query while the request is being sent, so one reply buffer of a page
// holds it (an inet_diag_msg without extensions is 72 bytes).
constexpr std::size_t kReplyBytes = 8192;
constexpr std::size_t kNetlinkAlignment = 4;

constexpr std::size_t align(std::size_t length) {
    return (length + kNetlinkAlignment - 1) & ~(kNetlinkAlignment - 1);
}

constexpr std::size_t kHeaderBytes = align(sizeof(nlmsghdr));

Error lookupError(const std::string& what, int error_number) {
    return makeError(exitcode::kGeneric, "cannot ask the kernel who owns a socket: " + what + ": " +
                                             systemErrorText(error_number));
}

// Only a socket that a process still holds (it has an inode) has an owner worth the name. What is
// left after the client closed (an orphan, or a TIME_WAIT remnant that even reports FIN_WAIT2)
// and request sockets (SYN_RECV) are reported with uid 0, which must never be read as root.
bool heldByAProcess(unsigned state, std::uint64_t inode) {
    return inode != 0 && state != TCP_TIME_WAIT && state != TCP_SYN_RECV && state != TCP_LISTEN &&
           state != TCP_CLOSE && state != 12 /* TCP_NEW_SYN_RECV, not in the libc headers */;
}

void copyAddress(const boost::asio::ip::address& address, std::uint32_t (&out)[4]) {
    std::memset(out, 0, sizeof(out));
    if (address.is_v4()) {
        const auto bytes = address.to_v4().to_bytes();
        std::memcpy(out, bytes.data(), bytes.size());
    } else {
        const auto bytes = address.to_v6().to_bytes();
        std::memcpy(out, bytes.data(), bytes.size());
    }
}

class NetlinkQuery {
public:
    NetlinkQuery() = default;
    ~NetlinkQuery() {
        if (fd_ >= 0) {
            ::close(fd_);
        }
    }
    NetlinkQuery(const NetlinkQuery&) = delete;
    NetlinkQuery& operator=(const NetlinkQuery&) = delete;
    NetlinkQuery(NetlinkQuery&&) = delete;
    NetlinkQuery& operator=(NetlinkQuery&&) = delete;

    // Opens the socket once; false (with errno) when this process may not use netlink.
    bool open() {
        if (fd_ >= 0) {
            return true;
        }
        fd_ = ::socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
        return fd_ >= 0;
    }

    Result<std::optional<std::uint32_t>> peerUid(const tcp::endpoint& local,
                                                 const tcp::endpoint& peer) {
        struct Request {
            nlmsghdr header;
            inet_diag_req_v2 query;
        };
        Request request{};
        const std::uint32_t sequence = ++sequence_;
        request.header.nlmsg_len = sizeof(request);
        request.header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
        request.header.nlmsg_flags = NLM_F_REQUEST; // no NLM_F_DUMP: one exact 4-tuple lookup
        request.header.nlmsg_seq = sequence;
        request.query.sdiag_family = peer.address().is_v4() ? AF_INET : AF_INET6;
        request.query.sdiag_protocol = IPPROTO_TCP;
        request.query.idiag_states = ~0U;
        // The socket we want is the client's: its source is the peer, its destination is us.
        request.query.id.idiag_sport = htons(peer.port());
        request.query.id.idiag_dport = htons(local.port());
        copyAddress(peer.address(), request.query.id.idiag_src);
        copyAddress(local.address(), request.query.id.idiag_dst);
        request.query.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
        request.query.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;

        sockaddr_nl kernel{};
        kernel.nl_family = AF_NETLINK;
        const auto sent = ::sendto(fd_, &request, sizeof(request), 0,
                                   reinterpret_cast<const sockaddr*>(&kernel), sizeof(kernel));
        if (sent != static_cast<ssize_t>(sizeof(request))) {
            return lookupError("netlink send", errno);
        }
        std::array<char, kReplyBytes> reply{};
        for (;;) {
            // The kernel queued its answer before sendto returned: never wait for it.
            const auto received = ::recv(fd_, reply.data(), reply.size(), MSG_DONTWAIT);
            if (received < 0) {
                return lookupError("netlink receive", errno);
            }
            const auto total = static_cast<std::size_t>(received);
            std::size_t offset = 0;
            while (offset + sizeof(nlmsghdr) <= total) {
                nlmsghdr header{};
                std::memcpy(&header, reply.data() + offset, sizeof(header));
                if (header.nlmsg_len < sizeof(nlmsghdr) || offset + header.nlmsg_len > total) {
                    return lookupError("netlink answer", EPROTO);
                }
                const char* payload = reply.data() + offset + kHeaderBytes;
                const std::size_t payload_bytes = header.nlmsg_len - kHeaderBytes;
                offset += align(header.nlmsg_len);
                if (header.nlmsg_seq != sequence) {
                    continue; // a late answer to an earlier query
                }
                if (header.nlmsg_type == NLMSG_ERROR) {
                    nlmsgerr failure{};
                    std::memcpy(&failure, payload, std::min(payload_bytes, sizeof(failure)));
                    if (failure.error == -ENOENT) {
                        return std::optional<std::uint32_t>();
                    }
                    return lookupError("netlink query", -failure.error);
                }
                if (header.nlmsg_type != SOCK_DIAG_BY_FAMILY ||
                    payload_bytes < sizeof(inet_diag_msg)) {
                    return lookupError("netlink answer", EPROTO);
                }
                inet_diag_msg found{};
                std::memcpy(&found, payload, sizeof(found));
                if (found.id.idiag_sport != request.query.id.idiag_sport ||
                    found.id.idiag_dport != request.query.id.idiag_dport ||
                    !heldByAProcess(found.idiag_state, found.idiag_inode)) {
                    return std::optional<std::uint32_t>();
                }
                return std::optional<std::uint32_t>(found.idiag_uid);
            }
        }
    }

private:
    int fd_ = -1;
    std::uint32_t sequence_ = 0;
};

// An address as /proc/net/tcp{,6} prints it: each 32-bit word as the host stores it, in hex.
std::string procAddress(const tcp::endpoint& endpoint) {
    std::uint32_t words[4];
    copyAddress(endpoint.address(), words);
    const int count = endpoint.address().is_v4() ? 1 : 4;
    std::string text;
    std::array<char, 16> word{};
    for (int i = 0; i < count; ++i) {
        std::snprintf(word.data(), word.size(), "%08" PRIX32, words[i]);
        text += word.data();
    }
    std::snprintf(word.data(), word.size(), ":%04X", static_cast<unsigned>(endpoint.port()));
    return text + word.data();
}

// The table of this process's network namespace (also visible under systemd's ProcSubset=pid).
Result<std::optional<std::uint32_t>> procNetPeerUid(const tcp::endpoint& local,
                                                    const tcp::endpoint& peer) {
    const char* table = peer.address().is_v4() ? "/proc/self/net/tcp" : "/proc/self/net/tcp6";
    std::ifstream in(table);
    if (!in) {
        return lookupError(std::string("open ") + table, errno);
    }
    const std::string want_local = procAddress(peer); // the client's socket: local is the peer
    const std::string want_remote = procAddress(local);
    std::string line;
    std::getline(in, line); // header
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        std::string slot;
        std::string local_column;
        std::string remote_column;
        std::string state;
        std::string queues;
        std::string timer;
        std::string retransmits;
        std::uint32_t uid = 0;
        std::string timeout;
        std::uint64_t inode = 0;
        if (!(fields >> slot >> local_column >> remote_column >> state >> queues >> timer >>
              retransmits >> uid >> timeout >> inode)) {
            continue;
        }
        if (local_column == want_local && remote_column == want_remote) {
            const auto state_value = std::strtoul(state.c_str(), nullptr, 16);
            if (!heldByAProcess(static_cast<unsigned>(state_value), inode)) {
                return std::optional<std::uint32_t>();
            }
            return std::optional<std::uint32_t>(uid);
        }
    }
    return std::optional<std::uint32_t>();
}

} // namespace

struct SocketOwnerLookup::Impl {
    explicit Impl(Method chosen) : method(chosen) {}

    Method method;
    std::mutex mutex;
    NetlinkQuery netlink;
    bool netlink_refused = false; // kAuto: asked once, then the /proc table for good
};

SocketOwnerLookup::SocketOwnerLookup(Method method) : impl_(std::make_unique<Impl>(method)) {}

SocketOwnerLookup::~SocketOwnerLookup() = default;

Result<std::optional<std::uint32_t>>
SocketOwnerLookup::peerUid(const boost::asio::ip::tcp::endpoint& local,
                           const boost::asio::ip::tcp::endpoint& peer) {
    if (local.address().is_v4() != peer.address().is_v4()) {
        return makeError(exitcode::kInvalidArgument,
                         "a TCP connection between an IPv4 and an IPv6 address");
    }
    const std::lock_guard lock(impl_->mutex);
    if (impl_->method != Method::kProcNet && !impl_->netlink_refused) {
        if (impl_->netlink.open()) {
            return impl_->netlink.peerUid(local, peer);
        }
        const int error_number = errno;
        // A sandbox may refuse netlink sockets (systemd's RestrictAddressFamilies).
        if (impl_->method == Method::kNetlink ||
            (error_number != EAFNOSUPPORT && error_number != EPERM && error_number != EACCES &&
             error_number != EPROTONOSUPPORT)) {
            return lookupError("netlink socket", error_number);
        }
        impl_->netlink_refused = true;
    }
    return procNetPeerUid(local, peer);
}

} // namespace azcm::platform
