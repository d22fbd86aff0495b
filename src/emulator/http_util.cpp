#include "emulator/http_util.hpp"

#include "common/http/url.hpp"
#include "common/json/json_document.hpp"
#include "common/utc_time.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>

namespace azcm::emulator {

using nlohmann::json;

http::Response jsonResponse(const http::Request& request, http::Status status, const json& body) {
    http::Response response{status, request.version()};
    response.set(http::Field::content_type, "application/json; charset=utf-8");
    response.set(http::Field::cache_control, "no-store");
    response.keep_alive(request.keep_alive());
    response.body() = body.dump(-1, ' ', false, json::error_handler_t::replace);
    response.prepare_payload();
    return response;
}

http::Response emptyResponse(const http::Request& request, http::Status status) {
    http::Response response{status, request.version()};
    response.keep_alive(request.keep_alive());
    response.prepare_payload();
    return response;
}

http::Response errorResponse(const http::Request& request,
                             http::Status status,
                             std::string_view code,
                             std::string_view message) {
    return jsonResponse(
        request, status,
        json{{"error", {{"code", std::string(code)}, {"message", std::string(message)}}}});
}

namespace {

char lower(char c) {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}

std::string formatUtc(SystemTime time, char separator) {
    const std::time_t seconds = std::chrono::system_clock::to_time_t(time);
    std::tm parts{};
    gmtime_r(&seconds, &parts);
    char buffer[64];
    const auto length = std::snprintf(buffer, sizeof(buffer), "%04d-%02d-%02d%c%02d:%02d:%02dZ",
                                      parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday,
                                      separator, parts.tm_hour, parts.tm_min, parts.tm_sec);
    return std::string(buffer, length > 0 ? static_cast<std::size_t>(length) : 0);
}

} // namespace

Result<std::map<std::string, std::string>> parseForm(std::string_view text) {
    return http::parseQuery(text);
}

Result<SplitTarget> splitRequestTarget(std::string_view target) {
    SplitTarget split;
    const auto question = target.find('?');
    split.path = std::string(target.substr(0, question));
    if (question != std::string_view::npos) {
        BOOST_OUTCOME_TRY(query, parseForm(target.substr(question + 1)));
        split.query = std::move(query);
    }
    return split;
}

Result<std::vector<std::string>> pathSegments(std::string_view path) {
    std::vector<std::string> segments;
    while (!path.empty()) {
        const auto slash = path.find('/');
        const auto raw = path.substr(0, slash);
        path = slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
        if (raw.empty()) {
            continue;
        }
        BOOST_OUTCOME_TRY(segment, http::percentDecode(raw, false));
        if (segment.find('/') != std::string::npos ||
            std::any_of(segment.begin(), segment.end(),
                        [](char c) { return static_cast<unsigned char>(c) < 0x20; })) {
            return makeError(exitcode::kInvalidArgument, "invalid path segment");
        }
        segments.push_back(std::move(segment));
    }
    return segments;
}

std::string toLower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(), lower);
    return out;
}

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                              [](char x, char y) { return lower(x) == lower(y); });
}

bool startsWithIgnoreCase(std::string_view text, std::string_view prefix) {
    return text.size() >= prefix.size() && equalsIgnoreCase(text.substr(0, prefix.size()), prefix);
}

std::string rfc3339(SystemTime time) {
    return formatUtc(time, 'T');
}

std::string entraTimestamp(SystemTime time) {
    return formatUtc(time, ' ');
}

std::optional<std::string> bearerToken(const http::Request& request) {
    const auto it = request.find(http::Field::authorization);
    if (it == request.end()) {
        return std::nullopt;
    }
    const std::string_view value(it->value().data(), it->value().size());
    constexpr std::string_view kScheme = "bearer ";
    if (!startsWithIgnoreCase(value, kScheme)) {
        return std::nullopt;
    }
    std::string token(value.substr(kScheme.size()));
    while (!token.empty() && token.front() == ' ') {
        token.erase(token.begin());
    }
    while (!token.empty() && token.back() == ' ') {
        token.pop_back();
    }
    if (token.empty()) {
        return std::nullopt;
    }
    return token;
}

std::optional<json> parseJsonObject(std::string_view body) {
    if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
        return json::object();
    }
    auto value = jsondoc::parse(body, "the request body", {jsondoc::kNetworkMaxBytes});
    if (!value || !value.value().is_object()) {
        return std::nullopt;
    }
    return std::move(value).value();
}

http::Response internalError(const http::Request& request, const Error& error) {
    return errorResponse(request, http::Status::internal_server_error, "InternalServerError",
                         error.message);
}

bool isGetOfPath(const http::Request& request, std::initializer_list<std::string_view> segments) {
    if (request.method() != http::Verb::get) {
        return false;
    }
    auto target =
        splitRequestTarget(std::string_view(request.target().data(), request.target().size()));
    if (!target) {
        return false;
    }
    auto parts = pathSegments(target.value().path);
    return parts && parts.value().size() == segments.size() &&
           std::equal(segments.begin(), segments.end(), parts.value().begin(),
                      [](std::string_view want, const std::string& got) {
                          return equalsIgnoreCase(got, want);
                      });
}

} // namespace azcm::emulator
