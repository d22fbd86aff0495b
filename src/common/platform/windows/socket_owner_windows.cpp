// Who owns the client end of a loopback TCP connection on Windows: the TCP table with owning
// process ids (GetExtendedTcpTable), then that process's token user. The answer is the 32-bit key
// the connection limits count under (connectionKeyOf: a digest of the SID), not a uid.
#include "common/platform/local_peer.hpp"
#include "common/platform/socket_owner.hpp"
#include "common/platform/windows/pipe_security.hpp"
#include "common/platform/windows/win32_error.hpp"

#include <cstring>
#include <vector>

#include <winsock2.h>
#include <ws2tcpip.h>
// After winsock2.h: the IP helper headers need its types.
#include <iphlpapi.h>
#include <windows.h>

namespace azcm::platform {

struct SocketOwnerLookup::Impl {};

namespace {

// The table of one address family, asked twice when it grew between the size query and the read.
Result<std::vector<unsigned char>> tcpTable(ULONG family) {
    std::vector<unsigned char> buffer;
    DWORD size = 0;
    for (int attempt = 0; attempt < 4; ++attempt) {
        const DWORD status =
            ::GetExtendedTcpTable(buffer.empty() ? nullptr : buffer.data(), &size, FALSE, family,
                                  TCP_TABLE_OWNER_PID_CONNECTIONS, 0);
        if (status == NO_ERROR) {
            return buffer;
        }
        if (status != ERROR_INSUFFICIENT_BUFFER) {
            return win32Error("GetExtendedTcpTable", status);
        }
        buffer.resize(size);
    }
    return makeError(exitcode::kGeneric, "GetExtendedTcpTable: the table kept growing");
}

// Ports in the table are in network byte order in the low 16 bits.
std::uint16_t tablePort(DWORD port) {
    return ntohs(static_cast<u_short>(port));
}

Result<std::optional<DWORD>> owningProcess(const boost::asio::ip::tcp::endpoint& local,
                                           const boost::asio::ip::tcp::endpoint& peer) {
    // The client's socket: its local end is `peer`, its remote end our `local`.
    if (peer.address().is_v4()) {
        BOOST_OUTCOME_TRY(buffer, tcpTable(AF_INET));
        const auto* table = reinterpret_cast<const MIB_TCPTABLE_OWNER_PID*>(buffer.data());
        const auto client = peer.address().to_v4().to_bytes();
        const auto server = local.address().to_v4().to_bytes();
        for (DWORD i = 0; i < table->dwNumEntries; ++i) {
            const auto& row = table->table[i];
            if (std::memcmp(&row.dwLocalAddr, client.data(), 4) == 0 &&
                tablePort(row.dwLocalPort) == peer.port() &&
                std::memcmp(&row.dwRemoteAddr, server.data(), 4) == 0 &&
                tablePort(row.dwRemotePort) == local.port()) {
                return std::optional<DWORD>(row.dwOwningPid);
            }
        }
        return std::optional<DWORD>();
    }
    BOOST_OUTCOME_TRY(buffer, tcpTable(AF_INET6));
    const auto* table = reinterpret_cast<const MIB_TCP6TABLE_OWNER_PID*>(buffer.data());
    const auto client = peer.address().to_v6().to_bytes();
    const auto server = local.address().to_v6().to_bytes();
    for (DWORD i = 0; i < table->dwNumEntries; ++i) {
        const auto& row = table->table[i];
        if (std::memcmp(row.ucLocalAddr, client.data(), 16) == 0 &&
            tablePort(row.dwLocalPort) == peer.port() &&
            std::memcmp(row.ucRemoteAddr, server.data(), 16) == 0 &&
            tablePort(row.dwRemotePort) == local.port()) {
            return std::optional<DWORD>(row.dwOwningPid);
        }
    }
    return std::optional<DWORD>();
}

} // namespace

SocketOwnerLookup::SocketOwnerLookup(Method /*method*/) : impl_(std::make_unique<Impl>()) {}

SocketOwnerLookup::~SocketOwnerLookup() = default;

Result<std::optional<std::uint32_t>>
SocketOwnerLookup::peerUid(const boost::asio::ip::tcp::endpoint& local,
                           const boost::asio::ip::tcp::endpoint& peer) {
    BOOST_OUTCOME_TRY(pid, owningProcess(local, peer));
    if (!pid) {
        return std::optional<std::uint32_t>();
    }
    // 0 is no process: the table could not say who owns the socket (wine's never does).
    if (*pid == 0) {
        return makeError(exitcode::kGeneric, "the TCP table names no process owning the client's "
                                             "socket");
    }
    HANDLE process = ::OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, *pid);
    if (process == nullptr) {
        return win32Error("OpenProcess of the client " + std::to_string(*pid), ::GetLastError());
    }
    HANDLE token = nullptr;
    const BOOL opened = ::OpenProcessToken(process, TOKEN_QUERY, &token);
    const DWORD open_error = ::GetLastError();
    ::CloseHandle(process);
    if (opened == FALSE) {
        return win32Error("OpenProcessToken of the client " + std::to_string(*pid), open_error);
    }
    auto owner = windows::peerFromToken(token);
    ::CloseHandle(token);
    if (!owner) {
        return owner.error();
    }
    return std::optional<std::uint32_t>(connectionKeyOf(owner.value()));
}

} // namespace azcm::platform
