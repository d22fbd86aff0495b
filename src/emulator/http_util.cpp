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

namespace {

// The decimal number of text[position, position + count); nullopt unless all are digits.
std::optional<int> digitsAt(std::string_view text, std::size_t position, std::size_t count) {
    if (position + count > text.size()) {
        return std::nullopt;
    }
    int value = 0;
    for (const char c : text.substr(position, count)) {
        if (c < '0' || c > '9') {
            return std::nullopt;
        }
        value = value * 10 + (c - '0');
    }
    return value;
}

// "Z", "+HH:MM" or "-HH:MM" as seconds east of UTC; nullopt for anything else.
std::optional<int> utcOffsetSeconds(std::string_view zone) {
    if (zone == "Z" || zone == "z") {
        return 0;
    }
    if (zone.size() != 6 || (zone[0] != '+' && zone[0] != '-') || zone[3] != ':') {
        return std::nullopt;
    }
    const auto hours = digitsAt(zone, 1, 2);
    const auto minutes = digitsAt(zone, 4, 2);
    if (!hours || !minutes || *hours > 23 || *minutes > 59) {
        return std::nullopt;
    }
    const int seconds = (*hours * 60 + *minutes) * 60;
    return zone[0] == '-' ? -seconds : seconds;
}

} // namespace

std::optional<SystemTime> parseRfc3339(std::string_view text) {
    constexpr std::size_t kSecondsEnd = 19; // "YYYY-MM-DDTHH:MM:SS"
    if (text.size() <= kSecondsEnd || text[4] != '-' || text[7] != '-' ||
        (text[10] != 'T' && text[10] != 't') || text[13] != ':' || text[16] != ':') {
        return std::nullopt;
    }
    const auto year = digitsAt(text, 0, 4);
    const auto month = digitsAt(text, 5, 2);
    const auto day = digitsAt(text, 8, 2);
    const auto hour = digitsAt(text, 11, 2);
    const auto minute = digitsAt(text, 14, 2);
    const auto second = digitsAt(text, 17, 2);
    if (!year || !month || !day || !hour || !minute || !second || *hour > 23 || *minute > 59 ||
        *second > 60) {
        return std::nullopt;
    }
    const std::chrono::year_month_day date{std::chrono::year(*year),
                                           std::chrono::month(static_cast<unsigned>(*month)),
                                           std::chrono::day(static_cast<unsigned>(*day))};
    if (!date.ok()) {
        return std::nullopt;
    }
    std::size_t zone_start = kSecondsEnd;
    if (text[zone_start] == '.') {
        const auto digits_end = text.find_first_not_of("0123456789", zone_start + 1);
        if (digits_end == zone_start + 1 || digits_end == std::string_view::npos) {
            return std::nullopt;
        }
        zone_start = digits_end;
    }
    const auto offset = utcOffsetSeconds(text.substr(zone_start));
    if (!offset) {
        return std::nullopt;
    }
    std::tm fields{};
    fields.tm_year = *year - 1900;
    fields.tm_mon = *month - 1;
    fields.tm_mday = *day;
    fields.tm_hour = *hour;
    fields.tm_min = *minute;
    fields.tm_sec = *second;
    // A time the clock cannot hold (after 2262 for nanosecond ticks) would wrap around.
    constexpr auto kLimit =
        std::chrono::duration_cast<std::chrono::seconds>(SystemTime::duration::max()).count();
    const auto seconds = unixSecondsOfUtc(fields) - *offset;
    if (seconds >= kLimit || seconds <= -kLimit) {
        return std::nullopt;
    }
    return fromUnixSeconds(seconds);
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
