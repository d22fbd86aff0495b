#include "azcmagent/imds_token_probe.hpp"

#include "common/agent_version.hpp"
#include "common/fs/atomic_file.hpp"
#include "common/http/http_types.hpp"
#include "common/http/url.hpp"
#include "common/json/json_document.hpp"

#include <optional>
#include <string>
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

namespace azcm::azcmagent {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace beast_http = boost::beast::http;
using ErrorCode = boost::system::error_code;

// A token answer is a few kilobytes; a key file holds one short secret.
constexpr std::uint64_t kMaxImdsAnswerBytes = std::uint64_t{256} * 1024;
constexpr std::size_t kMaxChallengeKeyBytes = 4096;
constexpr std::string_view kRealmPrefix = "Basic realm=";

// co_spawn needs a default-constructible value: std::optional wraps the Result.
using ImdsOutcome = std::optional<Result<http::Response>>;

Error imdsProbeError(const std::string& what) {
    return makeError(exitcode::kGeneric, "the IMDS token endpoint: " + what);
}

asio::awaitable<ImdsOutcome> imdsExchange(std::uint16_t port,
                                          const http::Request& request,
                                          std::chrono::steady_clock::time_point deadline) {
    ErrorCode ec;
    beast::tcp_stream stream(co_await asio::this_coro::executor);
    stream.expires_at(deadline);
    const asio::ip::tcp::endpoint imds(asio::ip::make_address_v4("127.0.0.1"), port);
    co_await stream.async_connect(imds, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
        co_return imdsProbeError("cannot connect to 127.0.0.1:" + std::to_string(port) + ": " +
                                 ec.message());
    }
    co_await beast_http::async_write(stream, request,
                                     asio::redirect_error(asio::use_awaitable, ec));
    beast::flat_buffer buffer;
    beast_http::response_parser<beast_http::string_body> parser;
    parser.body_limit(kMaxImdsAnswerBytes);
    if (!ec) {
        co_await beast_http::async_read_header(stream, buffer, parser,
                                               asio::redirect_error(asio::use_awaitable, ec));
    }
    // Beast 1.74 does not apply body_limit to an announced Content-Length when reading
    // asynchronously: check it between header and body.
    if (!ec && parser.content_length().value_or(0) > kMaxImdsAnswerBytes) {
        ec = beast_http::error::body_limit;
    }
    if (!ec && !parser.is_done()) {
        co_await beast_http::async_read(stream, buffer, parser,
                                        asio::redirect_error(asio::use_awaitable, ec));
    }
    if (ec) {
        co_return imdsProbeError("no valid answer: " + ec.message());
    }
    co_return parser.release();
}

Result<http::Response> imdsGet(std::uint16_t port,
                               const http::Request& request,
                               std::chrono::steady_clock::time_point deadline) {
    asio::io_context io;
    Result<http::Response> result = imdsProbeError("the request did not complete");
    asio::co_spawn(io, imdsExchange(port, request, deadline),
                   [&result](const std::exception_ptr& error, ImdsOutcome outcome) {
                       if (!error && outcome) {
                           result = std::move(*outcome);
                       }
                   });
    io.run();
    return result;
}

} // namespace

Result<std::filesystem::path> challengeKeyFile(std::string_view www_authenticate,
                                               const std::filesystem::path& tokens_dir) {
    if (!www_authenticate.starts_with(kRealmPrefix)) {
        return imdsProbeError("the challenge names no key file");
    }
    const std::filesystem::path named(www_authenticate.substr(kRealmPrefix.size()));
    // Compared as written: a key file is named by himds as <tokens dir>/<name>.key, never
    // through "..", and readFile below refuses a symbolic link in its place.
    if (named.parent_path() != tokens_dir || named.extension() != ".key" || named.stem().empty() ||
        named.filename() == ".." ||
        named.filename().string().find_first_of("/\\") != std::string::npos) {
        return imdsProbeError("the challenge names a file outside the tokens directory: " +
                              named.string());
    }
    return named;
}

Result<void> probeImdsToken(std::uint16_t port,
                            const std::filesystem::path& tokens_dir,
                            std::string_view resource,
                            std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    http::Request request{http::Verb::get,
                          "/metadata/identity/oauth2/token?api-version=2020-06-01&resource=" +
                              http::urlEncode(resource),
                          11};
    request.set(http::Field::host, "localhost");
    request.set(http::Field::user_agent, std::string("azcmagent/") + azcm::agentVersion());
    request.set("Metadata", "true");
    request.keep_alive(false);

    auto challenge = imdsGet(port, request, deadline);
    if (!challenge) {
        return challenge.error();
    }
    const auto realm = challenge.value().find(http::Field::www_authenticate);
    if (challenge.value().result() != http::Status::unauthorized ||
        realm == challenge.value().end()) {
        return imdsProbeError("answered " + std::to_string(challenge.value().result_int()) +
                              " without a challenge");
    }
    auto key_file = challengeKeyFile(std::string_view(realm->value().data(), realm->value().size()),
                                     tokens_dir);
    if (!key_file) {
        return key_file.error();
    }
    auto secret = fs::readFile(key_file.value(), kMaxChallengeKeyBytes);
    if (!secret) {
        return imdsProbeError("cannot read the challenge's key file: " + secret.error().message);
    }
    request.set(http::Field::authorization, "Basic " + secret.value());
    auto answer = imdsGet(port, request, deadline);
    if (!answer) {
        return answer.error();
    }
    if (answer.value().result() != http::Status::ok) {
        return imdsProbeError("answered " + std::to_string(answer.value().result_int()) +
                              " to the challenge's secret");
    }
    auto document =
        jsondoc::parse(answer.value().body(), "the token answer", {jsondoc::kNetworkMaxBytes});
    if (!document || !document.value().contains("access_token") ||
        !document.value()["access_token"].is_string() ||
        document.value()["access_token"].get<std::string>().empty()) {
        return imdsProbeError("answered 200 without an access token");
    }
    return ok();
}

} // namespace azcm::azcmagent
