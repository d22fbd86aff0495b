#pragma once
// Answers of the daemons' control sockets: a JSON body, or the error shape every one of them uses,
// {"error": {"code": "<Code>", "message": "<text>"}} (docs/protocol.md).
#include "common/http/http_types.hpp"

#include <string_view>

#include <nlohmann/json.hpp>

namespace azcm::daemon {

// What an answer needs from its request, kept for answers that come after the request is gone
// (work done on a worker thread).
struct ReplyShape {
    unsigned version = 11;
    bool keep_alive = true;

    ReplyShape() = default;
    explicit ReplyShape(const http::Request& request)
        : version(request.version()), keep_alive(request.keep_alive()) {}

    http::Response json(http::Status status, const nlohmann::json& body) const;
    http::Response
    error(http::Status status, std::string_view code, std::string_view message) const;
};

nlohmann::json errorBody(std::string_view code, std::string_view message);

} // namespace azcm::daemon
