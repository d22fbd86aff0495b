#pragma once
// A blocking plain-HTTP/1.1 client for tests of TCP listeners (the IMDS API): one connection that
// can carry several requests (keep-alive), with the raw request under the test's control.
#include "common/http/http_types.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace azcm::test {

class HttpTestConnection {
public:
    // Connects to address:port ("127.0.0.1" or "::1"); throws std::runtime_error on failure.
    HttpTestConnection(const std::string& address, std::uint16_t port);
    ~HttpTestConnection();
    HttpTestConnection(const HttpTestConnection&) = delete;
    HttpTestConnection& operator=(const HttpTestConnection&) = delete;
    HttpTestConnection(HttpTestConnection&&) = delete;
    HttpTestConnection& operator=(HttpTestConnection&&) = delete;

    // Sends `request` (Host and Content-Length are filled in) and reads one answer.
    http::Response send(http::Request request);
    // Sends raw bytes and reads one answer (for malformed requests).
    http::Response sendRaw(const std::string& bytes);
    // True once the server closed the connection (a read returns end of stream).
    bool closedByPeer(std::chrono::milliseconds wait);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

using Headers = std::vector<std::pair<std::string, std::string>>;

// GET `target` with `headers` (Metadata: true is NOT added) on a fresh connection.
http::Response httpGet(std::uint16_t port,
                       const std::string& target,
                       const Headers& headers,
                       const std::string& address = "127.0.0.1");

// The IMDS handshake as the SDKs do it: a GET without Authorization, the key file named by the
// 401's realm read, the GET repeated with `Authorization: Basic <content>`. Returns the second
// answer (or the first when it is not a 401 with a realm).
struct TokenExchange {
    http::Response challenge;
    std::string key_path;
    http::Response answer;
};
TokenExchange imdsTokenExchange(std::uint16_t port,
                                const std::string& resource,
                                const std::string& api_version = "2019-11-01",
                                const std::string& extra_query = {});

} // namespace azcm::test
