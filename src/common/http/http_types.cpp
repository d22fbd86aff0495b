#include "common/http/http_types.hpp"

#include "common/utc_time.hpp"

#include <array>
#include <ctime>

namespace azcm::http {

namespace {

Response
makeResponse(const Request& request, Status status, std::string body, const char* content_type) {
    Response response{status, 11};
    response.set(Field::content_type, content_type);
    response.keep_alive(request.keep_alive());
    response.body() = std::move(body);
    response.prepare_payload();
    return response;
}

} // namespace

Response makeJsonResponse(const Request& request, Status status, std::string body) {
    return makeResponse(request, status, std::move(body), "application/json; charset=utf-8");
}

Response makeTextResponse(const Request& request, Status status, std::string body) {
    return makeResponse(request, status, std::move(body), "text/plain; charset=utf-8");
}

std::string httpDate(std::chrono::system_clock::time_point time) {
    const std::tm utc = utcCalendar(time);
    std::array<char, 64> text{};
    // The C locale's names are the ones RFC 9110 requires.
    const auto length = std::strftime(text.data(), text.size(), "%a, %d %b %Y %H:%M:%S GMT", &utc);
    return std::string(text.data(), length);
}

} // namespace azcm::http
