#pragma once
// Who owns the client end of a loopback TCP connection. The kernel records the uid that created
// every socket, so a server on loopback can tell its local callers apart without trusting
// anything they send. Linux asks the socket diagnostics interface (one exact netlink query per
// connection) and reads /proc/self/net/tcp{,6} where netlink is refused.
#include "common/error.hpp"

#include <cstdint>
#include <memory>
#include <optional>

#include <boost/asio/ip/tcp.hpp>

namespace azcm::platform {

class SocketOwnerLookup {
public:
    enum class Method {
        kAuto,    // netlink; the /proc table when netlink cannot be used
        kNetlink, // netlink only
        kProcNet, // the /proc table only (slower: it reads every socket of the host)
    };

    explicit SocketOwnerLookup(Method method = Method::kAuto);
    ~SocketOwnerLookup();
    SocketOwnerLookup(const SocketOwnerLookup&) = delete;
    SocketOwnerLookup& operator=(const SocketOwnerLookup&) = delete;
    SocketOwnerLookup(SocketOwnerLookup&&) = delete;
    SocketOwnerLookup& operator=(SocketOwnerLookup&&) = delete;

    // The uid owning the socket at `peer` that is connected to our end `local`. nullopt when the
    // kernel holds no live socket for that pair (the client has closed it already); an error when
    // the kernel cannot be asked. Thread-safe.
    Result<std::optional<std::uint32_t>> peerUid(const boost::asio::ip::tcp::endpoint& local,
                                                 const boost::asio::ip::tcp::endpoint& peer);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace azcm::platform
