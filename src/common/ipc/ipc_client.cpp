#include "common/ipc/ipc_client.hpp"

#include "common/agent_version.hpp"
#include "common/paths/paths.hpp"
#include "common/platform/local_listener.hpp"

#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

namespace azcm::ipc {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace beast_http = boost::beast::http;
using ErrorCode = boost::system::error_code;

// Daemon answers are small JSON documents; anything bigger is not one of ours.
constexpr std::uint64_t kMaxResponseBytes = std::uint64_t{16} * 1024 * 1024;
// A daemon busy with every pipe instance (Windows) frees one within this.
constexpr std::chrono::seconds kBusyChannelWait{5};

// co_spawn needs a default-constructible value: std::optional wraps the Result.
using Outcome = std::optional<Result<http::Response>>;

Error exchangeError(const std::string& what,
                    const std::filesystem::path& socket_path,
                    bool expired,
                    const ErrorCode& ec) {
    return makeError(exitcode::kHimdsCommunication,
                     what + socket_path.string() + ": " +
                         (expired ? std::string("timed out") : ec.message()));
}

asio::awaitable<Outcome> exchange(platform::LocalStream& stream,
                                  const std::filesystem::path& socket_path,
                                  const http::Request& request,
                                  const bool& expired) {
    ErrorCode ec;
    co_await beast_http::async_write(stream, request,
                                     asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
        co_return exchangeError("cannot send the request to ", socket_path, expired, ec);
    }
    beast::flat_buffer buffer;
    beast_http::response_parser<beast_http::string_body> parser;
    parser.body_limit(kMaxResponseBytes);
    // Beast 1.74 does not apply body_limit to an announced Content-Length when reading
    // asynchronously: check it between header and body.
    co_await beast_http::async_read_header(stream, buffer, parser,
                                           asio::redirect_error(asio::use_awaitable, ec));
    if (!ec && parser.content_length().value_or(0) > kMaxResponseBytes) {
        ec = beast_http::error::body_limit;
    }
    if (!ec && !parser.is_done()) {
        co_await beast_http::async_read(stream, buffer, parser,
                                        asio::redirect_error(asio::use_awaitable, ec));
    }
    if (ec) {
        co_return exchangeError("no valid answer from ", socket_path, expired, ec);
    }
    platform::shutdownLocal(stream, false);
    co_return parser.release();
}

} // namespace

std::optional<std::string> serviceAccountFor(const std::filesystem::path& endpoint) {
    if (const auto account = Paths::serviceAccount(endpoint.stem().string())) {
        return std::string(*account);
    }
    return std::nullopt;
}

Result<http::Response> call(const std::filesystem::path& socket_path,
                            http::Verb method,
                            const std::string& target,
                            const std::string& json_body,
                            std::chrono::milliseconds timeout) {
    http::Request request{method, target, 11};
    request.set(http::Field::host, "localhost");
    request.set(http::Field::user_agent, std::string("azcmagent/") + azcm::agentVersion());
    request.set(http::Field::accept, "application/json");
    if (!json_body.empty()) {
        request.set(http::Field::content_type, "application/json");
    }
    request.keep_alive(false);
    request.body() = json_body;
    request.prepare_payload();

    asio::io_context io;
    // Before a byte is sent, connectLocal checks who serves the channel: the request may carry a
    // key, a certificate or a setting.
    auto connected = platform::connectLocal(io.get_executor(), socket_path,
                                            serviceAccountFor(socket_path), kBusyChannelWait);
    if (!connected) {
        return connected.error();
    }
    platform::LocalStream stream = std::move(connected).value();
    // The whole exchange has one deadline: closing the stream ends whatever wait is pending.
    bool expired = false;
    asio::steady_timer deadline(io, timeout);
    deadline.async_wait([&](const ErrorCode& ec) {
        if (!ec) {
            expired = true;
            ErrorCode ignored;
            stream.close(ignored);
        }
    });
    Result<http::Response> result =
        makeError(exitcode::kHimdsCommunication,
                  "the request to " + socket_path.string() + " did not complete");
    asio::co_spawn(io, exchange(stream, socket_path, request, expired),
                   [&](const std::exception_ptr& error, Outcome outcome) {
                       deadline.cancel();
                       if (error) {
                           try {
                               std::rethrow_exception(error);
                           } catch (const std::exception& e) {
                               result = makeError(exitcode::kHimdsCommunication,
                                                  "request to " + socket_path.string() +
                                                      " failed: " + e.what());
                           } catch (...) {
                               // result keeps its "did not complete" error
                           }
                           return;
                       }
                       if (outcome) {
                           result = std::move(*outcome);
                       }
                   });
    io.run();
    return result;
}

} // namespace azcm::ipc
