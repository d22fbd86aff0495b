#include "common/http/connection_slots.hpp"

#include "common/platform/socket_owner.hpp"

#include <utility>

#include <spdlog/spdlog.h>

namespace azcm::http {

namespace {

constexpr std::chrono::seconds kRefusalLogInterval{10};

std::string uidText(std::optional<std::uint32_t> uid) {
    return uid ? std::to_string(*uid) : std::string("unknown");
}

} // namespace

ConnectionSlots::Slot::Slot(std::shared_ptr<ConnectionSlots> owner, std::uint64_t id)
    : owner_(std::move(owner)), id_(id) {}

ConnectionSlots::Slot::~Slot() {
    owner_->release(id_);
}

void ConnectionSlots::Slot::setIdle(bool idle) {
    owner_->setIdle(id_, idle);
}

ConnectionSlots::Refusal::Refusal(std::shared_ptr<ConnectionSlots> owner)
    : owner_(std::move(owner)) {}

ConnectionSlots::Refusal::~Refusal() {
    owner_->endRefusal();
}

std::shared_ptr<ConnectionSlots>
ConnectionSlots::create(std::string name, ConnectionLimits limits, PeerUidLookup lookup) {
    return std::shared_ptr<ConnectionSlots>(
        new ConnectionSlots(std::move(name), limits, std::move(lookup)));
}

ConnectionSlots::ConnectionSlots(std::string name, ConnectionLimits limits, PeerUidLookup lookup)
    : name_(std::move(name)), limits_(limits), lookup_(std::move(lookup)) {
    if (!lookup_ && limits_.max_per_uid > 0) {
        kernel_lookup_ = std::make_unique<platform::SocketOwnerLookup>();
        lookup_ = [kernel = kernel_lookup_.get()](const boost::asio::ip::tcp::endpoint& local,
                                                  const boost::asio::ip::tcp::endpoint& peer) {
            return kernel->peerUid(local, peer);
        };
    }
}

ConnectionSlots::~ConnectionSlots() = default;

ConnectionSlots::Peer ConnectionSlots::identifyTcpPeer(const boost::asio::ip::tcp::endpoint& local,
                                                       const boost::asio::ip::tcp::endpoint& peer) {
    if (limits_.max_per_uid == 0 || !lookup_ || !peer.address().is_loopback()) {
        return {};
    }
    auto owner = lookup_(local, peer);
    if (!owner) {
        // Without the kernel's answer every peer is counted in the total only; said once, loudly,
        // because the per-uid bound is then off.
        bool first = false;
        {
            const std::lock_guard lock(mutex_);
            first = !lookup_failure_logged_;
            lookup_failure_logged_ = true;
        }
        if (first) {
            spdlog::error("HTTP_PEER_UID_UNAVAILABLE listener={} per-uid connection limits are "
                          "off: {}",
                          name_, owner.error().message);
        }
        return {};
    }
    if (!owner.value()) {
        return Peer{true, std::nullopt};
    }
    return Peer{false, owner.value()};
}

ConnectionSlots::Admission ConnectionSlots::admit(std::optional<std::uint32_t> uid,
                                                  std::function<void()> evict) {
    Admission admission;
    std::function<void()> victim;
    std::string refused_because;
    {
        const std::lock_guard lock(mutex_);
        std::uint64_t victim_id = 0;
        if (uid && limits_.max_per_uid > 0 && per_uid_[*uid] >= limits_.max_per_uid) {
            // A uid at its bound makes room only among its own connections.
            victim_id = oldestIdleLocked(uid);
            if (victim_id == 0) {
                refused_because = "per_uid_limit(" + std::to_string(limits_.max_per_uid) + ")";
            }
        } else if (entries_.size() >= limits_.max_total) {
            victim_id = oldestIdleLocked(std::nullopt);
            if (victim_id == 0) {
                refused_because = "max_connections(" + std::to_string(limits_.max_total) + ")";
            }
        }
        if (victim_id != 0) {
            victim = takeLocked(victim_id);
        }
        if (refused_because.empty()) {
            const auto id = next_id_++;
            entries_.emplace(id, Entry{uid, 0, std::move(evict)});
            if (uid) {
                ++per_uid_[*uid];
            }
            admission.slot = std::unique_ptr<Slot>(new Slot(shared_from_this(), id));
        } else {
            if (uid && per_uid_[*uid] == 0) {
                per_uid_.erase(*uid);
            }
            admission.retry_after = limits_.retry_after;
            if (answering_refusals_ < kMaxAnsweredRefusals) {
                ++answering_refusals_;
                admission.refusal = std::unique_ptr<Refusal>(new Refusal(shared_from_this()));
            }
        }
    }
    if (victim) {
        spdlog::debug("HTTP_CONN_EVICTED listener={} for uid={}", name_, uidText(uid));
        victim();
    }
    if (!refused_because.empty()) {
        logRefusal(uid, refused_because);
    }
    return admission;
}

std::uint64_t ConnectionSlots::oldestIdleLocked(std::optional<std::uint32_t> uid) const {
    std::uint64_t oldest_id = 0;
    std::uint64_t oldest_since = 0;
    for (const auto& [id, entry] : entries_) {
        if (entry.idle_since == 0 || (uid && entry.uid != uid)) {
            continue;
        }
        if (oldest_id == 0 || entry.idle_since < oldest_since) {
            oldest_id = id;
            oldest_since = entry.idle_since;
        }
    }
    return oldest_id;
}

std::function<void()> ConnectionSlots::takeLocked(std::uint64_t id) {
    auto found = entries_.find(id);
    auto evict = std::move(found->second.evict);
    if (found->second.uid) {
        if (--per_uid_[*found->second.uid] == 0) {
            per_uid_.erase(*found->second.uid);
        }
    }
    entries_.erase(found);
    ++evicted_;
    return evict;
}

void ConnectionSlots::release(std::uint64_t id) {
    std::function<void()> evict; // destroyed outside the lock: it may own the connection
    const std::lock_guard lock(mutex_);
    auto found = entries_.find(id);
    if (found == entries_.end()) {
        return; // evicted: its slot was handed on already
    }
    evict = std::move(found->second.evict);
    if (found->second.uid) {
        if (--per_uid_[*found->second.uid] == 0) {
            per_uid_.erase(*found->second.uid);
        }
    }
    entries_.erase(found);
}

void ConnectionSlots::setIdle(std::uint64_t id, bool idle) {
    const std::lock_guard lock(mutex_);
    auto found = entries_.find(id);
    if (found != entries_.end()) {
        found->second.idle_since = idle ? ++idle_order_ : 0;
    }
}

void ConnectionSlots::endRefusal() {
    const std::lock_guard lock(mutex_);
    --answering_refusals_;
}

void ConnectionSlots::logRefusal(std::optional<std::uint32_t> uid, const std::string& reason) {
    const auto now = std::chrono::steady_clock::now();
    std::uint64_t left_out = 0;
    {
        const std::lock_guard lock(mutex_);
        if (refusal_logged_ != std::chrono::steady_clock::time_point{} &&
            now - refusal_logged_ < kRefusalLogInterval) {
            ++refusals_not_logged_;
            return;
        }
        refusal_logged_ = now;
        left_out = refusals_not_logged_;
        refusals_not_logged_ = 0;
    }
    spdlog::warn("HTTP_CONN_REFUSED listener={} uid={} reason={} notLogged={}", name_, uidText(uid),
                 reason, left_out);
}

std::uint32_t ConnectionSlots::open() const {
    const std::lock_guard lock(mutex_);
    return static_cast<std::uint32_t>(entries_.size());
}

std::uint32_t ConnectionSlots::openFor(std::uint32_t uid) const {
    const std::lock_guard lock(mutex_);
    const auto found = per_uid_.find(uid);
    return found == per_uid_.end() ? 0 : found->second;
}

std::uint64_t ConnectionSlots::evicted() const {
    const std::lock_guard lock(mutex_);
    return evicted_;
}

} // namespace azcm::http
