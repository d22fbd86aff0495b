#pragma once
// Shared HTTP vocabulary: Beast string-body messages, the peer a request came from, and the
// handler signature every server (IMDS, IPC, emulator) uses.
#include "common/platform/local_peer.hpp"
#include "common/platform/os_types.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

namespace azcm::http {

namespace beast_http = boost::beast::http;
using Request = beast_http::request<beast_http::string_body>;
using Response = beast_http::response<beast_http::string_body>;
using Status = beast_http::status;
using Verb = beast_http::verb;
using Field = beast_http::field;

struct PeerInfo {
    // The key the connection limits count this peer under (platform::connectionKeyOf: the uid on
    // Linux). Local peers: always; loopback TCP peers of a listener with a per-uid connection
    // limit: the owner of the client's socket, as the kernel reports it.
    std::optional<platform::UserId> uid;
    // Local control channel peers: who they are, as the operating system says (never the
    // request).
    std::optional<platform::LocalPeer> local;
    // TCP peers: "ip:port".
    std::string remote_address;
    // TLS peers that presented a certificate the server's CA verified: the leaf in DER.
    std::optional<std::string> client_certificate_der;
};

using Respond = std::function<void(Response&&)>;
// A handler answers exactly once through `respond`, now or later (on the server's executor).
using Handler = std::function<void(Request&&, const PeerInfo&, Respond)>;

// Limits every listener enforces, so no peer can hold unbounded memory or connections.
struct ServerLimits {
    std::uint32_t max_header_bytes = 8 * 1024;
    std::uint64_t max_body_bytes = std::uint64_t{1024} * 1024;
    std::chrono::seconds request_timeout{10}; // from first byte to complete request
    std::chrono::seconds idle_timeout{30};    // keep-alive idle
    std::uint32_t max_connections = 512;
    // Connections one peer uid may hold (0: no per-uid bound); loopback TCP peers are then
    // identified by the kernel, Unix socket peers by their kernel credentials.
    std::uint32_t max_connections_per_uid = 0;
    // Told to a client refused for want of a free connection slot (503).
    std::chrono::seconds retry_after{1};
};

// Convenience: a JSON response with the given status and keep-alive mirrored from the request.
Response makeJsonResponse(const Request& request, Status status, std::string body);
Response makeTextResponse(const Request& request, Status status, std::string body);

// An HTTP Date value (RFC 9110 IMF-fixdate): "Sun, 06 Nov 1994 08:49:37 GMT".
std::string httpDate(std::chrono::system_clock::time_point time);

} // namespace azcm::http
