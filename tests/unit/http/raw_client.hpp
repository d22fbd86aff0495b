#pragma once
// A blocking Beast client for tests: one TCP connection, requests written and answers read one by
// one, with a receive timeout as a safety net so a broken server fails the test instead of
// hanging it.
#include "common/http/http_types.hpp"

#include <string>
#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <sys/socket.h>
#include <sys/time.h>

namespace azcm::http::test {

class RawClient {
public:
    explicit RawClient(std::uint16_t port) : RawClient(port, "127.0.0.1") {}

    // From a chosen loopback source address (127.0.0.0/8 is all ours), so that tests can tell
    // clients apart by address.
    RawClient(std::uint16_t port, const std::string& source_address) : socket_(io_) {
        socket_.open(boost::asio::ip::tcp::v4());
        socket_.bind({boost::asio::ip::make_address(source_address), 0});
        socket_.connect({boost::asio::ip::make_address("127.0.0.1"), port});
        timeval timeout{10, 0};
        setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    }

    void write(Request request) {
        request.prepare_payload();
        boost::beast::http::write(socket_, request);
    }

    void writeRaw(const std::string& bytes) {
        boost::asio::write(socket_, boost::asio::buffer(bytes));
    }

    // Throws on EOF or error.
    Response read() {
        Response response;
        boost::beast::http::read(socket_, buffer_, response);
        return response;
    }

    Response roundTrip(Request request) {
        write(std::move(request));
        return read();
    }

    // True once the server has closed the connection (EOF or reset), false on a receive timeout
    // or when data arrives.
    bool waitForClose() {
        char byte = 0;
        boost::system::error_code ec;
        const auto n = socket_.read_some(boost::asio::buffer(&byte, 1), ec);
        return n == 0 &&
               (ec == boost::asio::error::eof || ec == boost::asio::error::connection_reset);
    }

private:
    boost::asio::io_context io_;
    boost::asio::ip::tcp::socket socket_;
    boost::beast::flat_buffer buffer_;
};

inline Request makeRequest(Verb method, std::string target, std::string body = {}) {
    Request request{method, target, 11};
    request.set(Field::host, "localhost");
    request.body() = std::move(body);
    return request;
}

} // namespace azcm::http::test
