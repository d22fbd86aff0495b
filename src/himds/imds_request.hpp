#pragma once
// Request hygiene of the IMDS REST API (docs/imds.md), as Azure's IMDS applies it:
// a pure function from a request to either a routed call or the error to answer with.
#include "common/http/http_types.hpp"

#include <map>
#include <span>
#include <string>
#include <string_view>
#include <variant>

namespace azcm::himds {

enum class ImdsRoute {
    kInstance, // /metadata/instance[/sub/path]
    kToken,    // /metadata/identity/oauth2/token
    kVersions, // /metadata/versions (no api-version needed)
};

struct ImdsCall {
    ImdsRoute route = ImdsRoute::kInstance;
    std::string subpath; // below /metadata/instance, without leading '/': "compute/name"
    std::map<std::string, std::string> query;
    std::string api_version;
};

// The IMDS error shape: {"error": "...", "error_description": "..."}.
struct ImdsFailure {
    http::Status status = http::Status::bad_request;
    std::string error;
    std::string description;
};

using ImdsParse = std::variant<ImdsCall, ImdsFailure>;

std::span<const std::string_view> supportedTokenApiVersions();
std::span<const std::string_view> supportedInstanceApiVersions();
// "Supported are 2019-11-01 2020-06-01 ..." (space separated, as clients parse it).
std::string supportedSentence(std::span<const std::string_view> versions);

// Checks, in order: X-Forwarded-For (400), Metadata: true (400), GET (405), known path (404),
// query syntax and duplicate keys (400), api-version present and supported (400).
ImdsParse parseImdsRequest(const http::Request& request);

// Serialises a failure in the IMDS shape; 405 also gets `Allow: GET`.
http::Response imdsErrorResponse(const http::Request& request, const ImdsFailure& failure);
http::Response imdsErrorResponse(unsigned version, bool keep_alive, const ImdsFailure& failure);

} // namespace azcm::himds
