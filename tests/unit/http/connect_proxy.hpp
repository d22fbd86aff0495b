#pragma once
// A minimal HTTP CONNECT proxy for tests: serves one connection on its own thread. It records the
// CONNECT request, then either refuses with `refuse_status` or opens the tunnel to the requested
// host:port and copies bytes both ways until both sides are done.
#include <atomic>
#include <string>
#include <thread>
#include <utility>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>

#include <sys/socket.h>

namespace azcm::http::test {

class ConnectProxy {
public:
    explicit ConnectProxy(unsigned refuse_status = 0)
        : refuse_status_(refuse_status),
          acceptor_(io_, {boost::asio::ip::make_address("127.0.0.1"), 0}),
          thread_([this] { serveOne(); }) {}

    ~ConnectProxy() {
        // Wakes a blocking accept() if no client ever came.
        ::shutdown(acceptor_.native_handle(), SHUT_RDWR);
        thread_.join();
    }
    ConnectProxy(const ConnectProxy&) = delete;
    ConnectProxy& operator=(const ConnectProxy&) = delete;
    ConnectProxy(ConnectProxy&&) = delete;
    ConnectProxy& operator=(ConnectProxy&&) = delete;

    std::string url() const {
        return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port());
    }

    // The request head the client sent (valid once the exchange is over).
    std::string requestHead() {
        thread_.join();
        thread_ = std::thread([] {});
        return head_;
    }

private:
    using tcp = boost::asio::ip::tcp;

    void serveOne() {
        boost::system::error_code ec;
        tcp::socket client(io_);
        acceptor_.accept(client, ec);
        if (ec) {
            return;
        }
        boost::asio::streambuf buffer;
        const auto length = boost::asio::read_until(client, buffer, "\r\n\r\n", ec);
        if (ec) {
            return;
        }
        head_.assign(boost::asio::buffers_begin(buffer.data()),
                     boost::asio::buffers_begin(buffer.data()) + static_cast<long>(length));
        buffer.consume(length);
        if (refuse_status_ != 0) {
            const std::string answer = "HTTP/1.1 " + std::to_string(refuse_status_) +
                                       " Refused\r\nContent-Length: 0\r\n\r\n";
            boost::asio::write(client, boost::asio::buffer(answer), ec);
            return;
        }
        // "CONNECT host:port HTTP/1.1"
        const auto first_space = head_.find(' ');
        const auto second_space = head_.find(' ', first_space + 1);
        const std::string authority = head_.substr(first_space + 1, second_space - first_space - 1);
        const auto colon = authority.rfind(':');
        std::string host = authority.substr(0, colon);
        if (!host.empty() && host.front() == '[') {
            host = host.substr(1, host.size() - 2);
        }
        tcp::resolver resolver(io_);
        tcp::socket upstream(io_);
        boost::asio::connect(upstream, resolver.resolve(host, authority.substr(colon + 1)), ec);
        if (ec) {
            boost::asio::write(client, boost::asio::buffer("HTTP/1.1 502 Bad Gateway\r\n\r\n"), ec);
            return;
        }
        boost::asio::write(
            client, boost::asio::buffer(std::string("HTTP/1.1 200 Connection established\r\n\r\n")),
            ec);
        std::thread upward([&] { splice(client, upstream); });
        splice(upstream, client);
        upward.join();
    }

    static void splice(tcp::socket& from, tcp::socket& to) {
        std::array<char, 4096> chunk{};
        boost::system::error_code ec;
        for (;;) {
            const auto n = from.read_some(boost::asio::buffer(chunk), ec);
            if (ec) {
                break;
            }
            boost::asio::write(to, boost::asio::buffer(chunk.data(), n), ec);
            if (ec) {
                break;
            }
        }
        to.shutdown(tcp::socket::shutdown_send, ec);
    }

    unsigned refuse_status_;
    boost::asio::io_context io_;
    tcp::acceptor acceptor_;
    std::string head_;
    std::thread thread_;
};

} // namespace azcm::http::test
