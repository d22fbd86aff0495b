#include "common/daemon/control_reply.hpp"

#include "common/json/json_document.hpp"

namespace azcm::daemon {

http::Response ReplyShape::json(http::Status status, const nlohmann::json& body) const {
    http::Response response{status, version};
    response.set(http::Field::content_type, "application/json");
    response.keep_alive(keep_alive);
    // serialize, not dump(): a message quoting a file name or a child's output need not be UTF-8.
    response.body() = jsondoc::serialize(body);
    response.prepare_payload();
    return response;
}

http::Response
ReplyShape::error(http::Status status, std::string_view code, std::string_view message) const {
    return json(status, errorBody(code, message));
}

nlohmann::json errorBody(std::string_view code, std::string_view message) {
    return {{"error", {{"code", std::string(code)}, {"message", std::string(message)}}}};
}

} // namespace azcm::daemon
