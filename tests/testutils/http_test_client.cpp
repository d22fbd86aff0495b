#include "http_test_client.hpp"

#include "common/fs/atomic_file.hpp"
#include "common/http/url.hpp"

#include <stdexcept>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

namespace azcm::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

struct HttpTestConnection::Impl {
    asio::io_context io;
    beast::tcp_stream stream{io};
    beast::flat_buffer buffer;
    std::string host;

    http::Response read() {
        http::Response response;
        beast::http::response_parser<beast::http::string_body> parser;
        parser.body_limit(64 * 1024 * 1024);
        stream.expires_after(std::chrono::seconds(30));
        beast::http::read(stream, buffer, parser);
        return parser.release();
    }
};

HttpTestConnection::HttpTestConnection(const std::string& address, std::uint16_t port)
    : impl_(std::make_unique<Impl>()) {
    boost::system::error_code ec;
    const auto ip = asio::ip::make_address(address, ec);
    if (ec) {
        throw std::runtime_error("bad address " + address);
    }
    impl_->stream.expires_after(std::chrono::seconds(10));
    impl_->stream.connect(tcp::endpoint(ip, port), ec);
    if (ec) {
        throw std::runtime_error("cannot connect to " + address + ":" + std::to_string(port) +
                                 ": " + ec.message());
    }
    impl_->host = (ip.is_v6() ? "[" + address + "]" : address) + ":" + std::to_string(port);
}

HttpTestConnection::~HttpTestConnection() = default;

http::Response HttpTestConnection::send(http::Request request) {
    if (request.find(http::Field::host) == request.end()) {
        request.set(http::Field::host, impl_->host);
    }
    request.prepare_payload();
    impl_->stream.expires_after(std::chrono::seconds(10));
    beast::http::write(impl_->stream, request);
    return impl_->read();
}

http::Response HttpTestConnection::sendRaw(const std::string& bytes) {
    impl_->stream.expires_after(std::chrono::seconds(10));
    asio::write(impl_->stream.socket(), asio::buffer(bytes));
    return impl_->read();
}

bool HttpTestConnection::closedByPeer(std::chrono::milliseconds wait) {
    impl_->stream.expires_after(wait);
    char byte = 0;
    boost::system::error_code ec;
    impl_->stream.read_some(asio::buffer(&byte, 1), ec);
    return ec == beast::http::error::end_of_stream || ec == asio::error::eof ||
           ec == asio::error::connection_reset;
}

http::Response httpGet(std::uint16_t port,
                       const std::string& target,
                       const Headers& headers,
                       const std::string& address) {
    HttpTestConnection connection(address, port);
    http::Request request{http::Verb::get, target, 11};
    for (const auto& [name, value] : headers) {
        request.insert(name, value);
    }
    return connection.send(std::move(request));
}

TokenExchange imdsTokenExchange(std::uint16_t port,
                                const std::string& resource,
                                const std::string& api_version,
                                const std::string& extra_query) {
    TokenExchange exchange;
    HttpTestConnection connection("127.0.0.1", port);
    const std::string target = "/metadata/identity/oauth2/token?api-version=" + api_version +
                               "&resource=" + http::urlEncode(resource) + extra_query;
    http::Request first{http::Verb::get, target, 11};
    first.set("Metadata", "true");
    exchange.challenge = connection.send(first);
    const auto header = exchange.challenge.find(http::Field::www_authenticate);
    if (exchange.challenge.result() != http::Status::unauthorized ||
        header == exchange.challenge.end()) {
        exchange.answer = exchange.challenge;
        return exchange;
    }
    const std::string value(header->value());
    const auto equals = value.find('=');
    exchange.key_path = equals == std::string::npos ? std::string() : value.substr(equals + 1);
    auto secret = fs::readFile(exchange.key_path, 4096);
    http::Request second{http::Verb::get, target, 11};
    second.set("Metadata", "true");
    second.set(http::Field::authorization,
               "Basic " + (secret ? secret.value() : std::string("unreadable")));
    exchange.answer = connection.send(second);
    return exchange;
}

} // namespace azcm::test
