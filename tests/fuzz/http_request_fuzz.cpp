// himds's IMDS listener: request heads (and bodies) parsed by Beast with the server's limits, as
// the listener reads them from any local user, then the IMDS request hygiene on every request that
// parses, pipelined ones included, and the error answer it would send.
#include "common/http/http_types.hpp"
#include "fuzz_support.hpp"
#include "himds/imds_request.hpp"

#include <sstream>
#include <variant>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/write.hpp>

namespace {

namespace bhttp = azcm::http::beast_http;

// The parser of one request at `data`; how many bytes it used, or nullopt when the bytes end
// before the request does or are not HTTP.
std::optional<std::size_t> parseOne(std::string_view data, azcm::http::Request& request) {
    const azcm::http::ServerLimits limits;
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(limits.max_header_bytes);
    parser.body_limit(limits.max_body_bytes);
    parser.eager(true);
    std::size_t offset = 0;
    while (!parser.is_done()) {
        if (offset == data.size()) {
            return std::nullopt; // the bytes end before the request does
        }
        boost::beast::error_code ec;
        const auto used =
            parser.put(boost::asio::buffer(data.data() + offset, data.size() - offset), ec);
        offset += used;
        // need_more: every remaining byte was offered and the parser wants bytes after them.
        // Offering the same bytes again breaks Beast's contract (it keeps scan positions into
        // them and asserts), and a server would first read more; here there is no more.
        if (ec || used == 0) {
            return std::nullopt;
        }
    }
    request = parser.release();
    return offset;
}

void checkImds(const azcm::http::Request& request) {
    const auto parsed = azcm::himds::parseImdsRequest(request);
    if (const auto* failure = std::get_if<azcm::himds::ImdsFailure>(&parsed)) {
        auto response = azcm::himds::imdsErrorResponse(request, *failure);
        response.prepare_payload();
        std::ostringstream out;
        out << response;
        AZCM_FUZZ_CHECK(!out.str().empty());
        return;
    }
    const auto& call = std::get<azcm::himds::ImdsCall>(parsed);
    // A routed call is a GET with Metadata: true and a supported api-version (for all but
    // /metadata/versions), and its instance sub-path is plain.
    AZCM_FUZZ_CHECK(request.method() == bhttp::verb::get);
    AZCM_FUZZ_CHECK(call.subpath.find("..") == std::string::npos);
    AZCM_FUZZ_CHECK(call.route == azcm::himds::ImdsRoute::kVersions || !call.api_version.empty());
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
    azcm::fuzz::quietLogging();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view rest = azcm::fuzz::asText(data, size);
    // A keep-alive connection carries several requests; a few are enough to reach the state that
    // one request leaves for the next.
    for (int i = 0; i < 4 && !rest.empty(); ++i) {
        azcm::http::Request request;
        const auto used = parseOne(rest, request);
        if (!used) {
            break;
        }
        checkImds(request);
        if (!request.keep_alive() || *used == 0) {
            break;
        }
        rest.remove_prefix(*used);
    }
    return 0;
}
