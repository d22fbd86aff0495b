#include "http/http_types.hpp"

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

} // namespace azcm::http
