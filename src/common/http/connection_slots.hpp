#pragma once
// The connection slots of a listener that local users share (the IMDS listener, arcproxy): a
// total bound, a bound per peer uid so that one local user cannot take every slot, the idle
// keep-alive connection that waited longest evicted before a newcomer is refused, and a bounded
// number of refusals answered (503 with Retry-After) at once. Peer uids of loopback TCP clients
// come from the kernel (platform/socket_owner.hpp), never from the client. Thread-safe: the
// sessions of one listener may run on several threads.
#include "common/error.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include <boost/asio/ip/tcp.hpp>

namespace azcm::platform {
class SocketOwnerLookup;
} // namespace azcm::platform

namespace azcm::http {

struct ConnectionLimits {
    std::uint32_t max_total = 512;
    // Per peer uid; 0: no bound per uid, and TCP peers are not looked up.
    std::uint32_t max_per_uid = 0;
    // What a refused client is told to wait.
    std::chrono::seconds retry_after{1};
};

// The uid owning the client end of a TCP connection: nullopt when the kernel no longer knows the
// connection, an error when it cannot be asked. Production uses platform::SocketOwnerLookup.
using PeerUidLookup = std::function<Result<std::optional<std::uint32_t>>(
    const boost::asio::ip::tcp::endpoint& local, const boost::asio::ip::tcp::endpoint& peer)>;

class ConnectionSlots : public std::enable_shared_from_this<ConnectionSlots> {
public:
    // Refusals being answered at once; beyond that a refused connection is closed unanswered, so
    // that a flood of refused connections holds a bounded number of sockets.
    static constexpr std::uint32_t kMaxAnsweredRefusals = 64;

    // Held by an admitted connection; the destructor frees the slot.
    class Slot {
    public:
        ~Slot();
        Slot(const Slot&) = delete;
        Slot& operator=(const Slot&) = delete;
        Slot(Slot&&) = delete;
        Slot& operator=(Slot&&) = delete;

        // True while the connection is an idle keep-alive (answered, waiting for its next
        // request): then it may be evicted for a newcomer.
        void setIdle(bool idle);

    private:
        friend class ConnectionSlots;
        Slot(std::shared_ptr<ConnectionSlots> owner, std::uint64_t id);
        std::shared_ptr<ConnectionSlots> owner_;
        std::uint64_t id_;
    };

    // Held while a refused connection is answered.
    class Refusal {
    public:
        ~Refusal();
        Refusal(const Refusal&) = delete;
        Refusal& operator=(const Refusal&) = delete;
        Refusal(Refusal&&) = delete;
        Refusal& operator=(Refusal&&) = delete;

    private:
        friend class ConnectionSlots;
        explicit Refusal(std::shared_ptr<ConnectionSlots> owner);
        std::shared_ptr<ConnectionSlots> owner_;
    };

    struct Peer {
        // The client's socket is gone (it closed before we asked): nobody is left to answer.
        bool gone = false;
        // Its owner; nullopt when not known (not on loopback, or the kernel cannot be asked).
        std::optional<std::uint32_t> uid;
    };

    struct Admission {
        std::unique_ptr<Slot> slot; // null: refused
        // Refused: answer with 503 and Retry-After while this is held; null: close unanswered.
        std::unique_ptr<Refusal> refusal;
        std::chrono::seconds retry_after{0};
    };

    // `name` appears in the log. Without `lookup`, TCP peers are looked up in the kernel.
    static std::shared_ptr<ConnectionSlots>
    create(std::string name, ConnectionLimits limits, PeerUidLookup lookup = {});
    ~ConnectionSlots();
    ConnectionSlots(const ConnectionSlots&) = delete;
    ConnectionSlots& operator=(const ConnectionSlots&) = delete;
    ConnectionSlots(ConnectionSlots&&) = delete;
    ConnectionSlots& operator=(ConnectionSlots&&) = delete;

    const ConnectionLimits& limits() const { return limits_; }

    // Who is at the other end of an accepted TCP connection. Only asked of the kernel when a
    // per-uid bound is set and the peer is a loopback address.
    Peer identifyTcpPeer(const boost::asio::ip::tcp::endpoint& local,
                         const boost::asio::ip::tcp::endpoint& peer);

    // A slot for a connection of `uid` (nullopt: counted in the total only). `evict` closes the
    // connection; it is called at most once, on the admitting thread, without any lock held.
    Admission admit(std::optional<std::uint32_t> uid, std::function<void()> evict);

    std::uint32_t open() const;
    std::uint32_t openFor(std::uint32_t uid) const;
    std::uint64_t evicted() const;

private:
    struct Entry {
        std::optional<std::uint32_t> uid;
        std::uint64_t idle_since = 0; // 0: busy; otherwise the order in which it became idle
        std::function<void()> evict;
    };

    ConnectionSlots(std::string name, ConnectionLimits limits, PeerUidLookup lookup);
    // The slot of the connection idle longest (of `uid` when given); 0 when none is idle.
    std::uint64_t oldestIdleLocked(std::optional<std::uint32_t> uid) const;
    std::function<void()> takeLocked(std::uint64_t id);
    void release(std::uint64_t id);
    void setIdle(std::uint64_t id, bool idle);
    void endRefusal();
    void logRefusal(std::optional<std::uint32_t> uid, const std::string& reason);

    std::string name_;
    ConnectionLimits limits_;
    PeerUidLookup lookup_;
    std::unique_ptr<platform::SocketOwnerLookup> kernel_lookup_;

    mutable std::mutex mutex_;
    std::uint64_t next_id_ = 1;
    std::uint64_t idle_order_ = 0;
    std::unordered_map<std::uint64_t, Entry> entries_;
    std::unordered_map<std::uint32_t, std::uint32_t> per_uid_;
    std::uint32_t answering_refusals_ = 0;
    std::uint64_t evicted_ = 0;
    bool lookup_failure_logged_ = false;
    // Refusals are logged at most once per interval, with the number left out.
    std::chrono::steady_clock::time_point refusal_logged_{};
    std::uint64_t refusals_not_logged_ = 0;
};

} // namespace azcm::http
