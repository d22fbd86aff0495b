#include "common/ipc/ipc_client.hpp"

#include "common/agent_version.hpp"
#include "common/paths/paths.hpp"
#include "common/platform/accounts.hpp"
#include "common/platform/local_socket.hpp"
#include "common/platform/process_identity.hpp"

#include <algorithm>
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/basic_stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

namespace azcm::ipc {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace beast_http = boost::beast::http;
using UnixProtocol = asio::local::stream_protocol;
using ErrorCode = boost::system::error_code;
using UnixStream = beast::basic_stream<UnixProtocol>;

// Daemon answers are small JSON documents; anything bigger is not one of ours.
constexpr std::uint64_t kMaxResponseBytes = std::uint64_t{16} * 1024 * 1024;

// co_spawn needs a default-constructible value: std::optional wraps the Result.
using Outcome = std::optional<Result<http::Response>>;

asio::awaitable<Outcome> exchange(asio::io_context& io,
                                  const std::filesystem::path& socket_path,
                                  const http::Request& request,
                                  std::chrono::milliseconds timeout) {
    ErrorCode ec;
    UnixStream stream(io);
    stream.expires_after(timeout);
    co_await stream.async_connect(UnixProtocol::endpoint(socket_path.string()),
                                  asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
        co_return makeError(exitcode::kHimdsUnreachable,
                            "cannot connect to " + socket_path.string() + ": " + ec.message() +
                                " (is the daemon running?)");
    }
    // Before a byte is sent: the request may carry a key, a certificate or a setting.
    const auto server = platform::localPeerOf(stream.socket().native_handle());
    if (!server) {
        co_return makeError(exitcode::kHimdsCommunication, "cannot tell who serves " +
                                                               socket_path.string() + ": " +
                                                               server.error().message);
    }
    if (auto checked = checkServer(socket_path, server.value().uid, expectedServerFor(socket_path));
        !checked) {
        co_return checked.error();
    }
    co_await beast_http::async_write(stream, request,
                                     asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
        co_return makeError(exitcode::kHimdsCommunication, "cannot send the request to " +
                                                               socket_path.string() + ": " +
                                                               ec.message());
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
        co_return makeError(exitcode::kHimdsCommunication,
                            "no valid answer from " + socket_path.string() + ": " + ec.message());
    }
    ErrorCode ignored;
    stream.socket().shutdown(asio::socket_base::shutdown_both, ignored);
    co_return parser.release();
}

} // namespace

ExpectedServer expectedServerFor(const std::filesystem::path& socket_path) {
    ExpectedServer expected{{0}, "root"};
    const auto daemon = socket_path.stem().string();
    if (const auto account = Paths::serviceAccount(daemon)) {
        if (const auto uid = platform::userId(std::string(*account))) {
            expected.uids.push_back(*uid);
        }
        expected.description += " or " + std::string(*account);
    }
    const auto self = platform::effectiveUserId();
    if (std::find(expected.uids.begin(), expected.uids.end(), self) == expected.uids.end()) {
        expected.uids.push_back(self);
        expected.description += " or " + platform::userName(self) + " (this user)";
    }
    return expected;
}

Result<void> checkServer(const std::filesystem::path& socket_path,
                         std::uint32_t server_uid,
                         const ExpectedServer& expected) {
    if (std::find(expected.uids.begin(), expected.uids.end(), server_uid) != expected.uids.end()) {
        return ok();
    }
    return makeError(exitcode::kHimdsCommunication,
                     "refusing " + socket_path.string() + ": it is served by " +
                         platform::userName(server_uid) + " (uid " + std::to_string(server_uid) +
                         "), not by " + expected.description +
                         "; another local user may have taken the socket's name");
}

Result<http::Response> call(const std::filesystem::path& socket_path,
                            http::Verb method,
                            const std::string& target,
                            const std::string& json_body,
                            std::chrono::milliseconds timeout) {
    if (socket_path.string().size() > platform::localSocketPathLimit()) {
        return makeError(exitcode::kHimdsUnreachable,
                         "socket path too long: " + socket_path.string());
    }
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
    Result<http::Response> result =
        makeError(exitcode::kHimdsCommunication,
                  "the request to " + socket_path.string() + " did not complete");
    asio::co_spawn(io, exchange(io, socket_path, request, timeout),
                   [&](const std::exception_ptr& error, Outcome outcome) {
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
