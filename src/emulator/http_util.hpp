#pragma once
// Small request/response helpers shared by the emulator's services.
#include "common/error.hpp"
#include "common/http/http_types.hpp"
#include "emulator/emulator_clock.hpp"

#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace azcm::emulator {

http::Response
jsonResponse(const http::Request& request, http::Status status, const nlohmann::json& body);
http::Response emptyResponse(const http::Request& request, http::Status status);
// The error shape of ARM and of the agent-service APIs: {"error":{"code","message"}}.
http::Response errorResponse(const http::Request& request,
                             http::Status status,
                             std::string_view code,
                             std::string_view message);

// application/x-www-form-urlencoded or a query string; duplicate keys are refused.
Result<std::map<std::string, std::string>> parseForm(std::string_view text);

struct SplitTarget {
    std::string path;                         // undecoded
    std::map<std::string, std::string> query; // decoded
};
Result<SplitTarget> splitRequestTarget(std::string_view target);
// Path segments, percent-decoded, empty segments (doubled or trailing '/') dropped.
Result<std::vector<std::string>> pathSegments(std::string_view path);

std::string toLower(std::string_view text);
bool equalsIgnoreCase(std::string_view a, std::string_view b);
// 500 InternalServerError carrying the error's message: a store or crypto failure behind a route.
http::Response internalError(const http::Request& request, const Error& error);
// True when `request` is a GET of exactly the path `segments` (compared without case; any query).
bool isGetOfPath(const http::Request& request, std::initializer_list<std::string_view> segments);
bool startsWithIgnoreCase(std::string_view text, std::string_view prefix);

// "2026-11-28T13:45:00Z"
std::string rfc3339(SystemTime time);
// Entra's "2026-11-28 13:45:00Z"
std::string entraTimestamp(SystemTime time);

// The bearer token of the Authorization header, if any.
std::optional<std::string> bearerToken(const http::Request& request);

// Parses a JSON object body; an empty body is an empty object.
std::optional<nlohmann::json> parseJsonObject(std::string_view body);

} // namespace azcm::emulator
