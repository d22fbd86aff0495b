// The floor an idle daemon is compared with (scripts/bench-footprint.sh): a process with the same
// libraries as the agent's daemons (Asio, Beast, OpenSSL), an SSL context with the system's trust
// store and one listening socket, doing nothing. Whatever a daemon uses above this is its own.
//
//   idle_baseline            listens on 127.0.0.1 (a port the kernel picks) until SIGTERM/SIGINT
#include <csignal>
#include <iostream>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

int main() {
    boost::asio::io_context io(1);
    boost::asio::ssl::context tls(boost::asio::ssl::context::tls_client);
    tls.set_default_verify_paths();
    // One Beast message type instantiated, so the binary carries what the daemons' do.
    boost::beast::http::request<boost::beast::http::string_body> unused;
    unused.version(11);
    boost::asio::ip::tcp::acceptor listener(
        io, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
    listener.async_accept([](const boost::system::error_code&, boost::asio::ip::tcp::socket) {});
    boost::asio::signal_set signals(io, SIGTERM, SIGINT);
    signals.async_wait([&io](const boost::system::error_code&, int) { io.stop(); });
    std::cout << "idle_baseline listening on port " << listener.local_endpoint().port()
              << std::endl;
    io.run();
    return 0;
}
