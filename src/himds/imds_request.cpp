#include "himds/imds_request.hpp"

#include "common/http/url.hpp"

#include <algorithm>
#include <array>

#include <boost/algorithm/string/predicate.hpp>

#include <nlohmann/json.hpp>

namespace azcm::himds {

namespace {

constexpr std::array<std::string_view, 5> kTokenApiVersions = {
    "2018-02-01", "2019-08-01", "2019-11-01", "2020-06-01", "2021-02-01"};
constexpr std::array<std::string_view, 4> kInstanceApiVersions = {"2020-06-01", "2020-09-01",
                                                                  "2021-01-01", "2021-02-01"};

constexpr std::string_view kInstancePrefix = "/metadata/instance";
constexpr std::string_view kTokenPath = "/metadata/identity/oauth2/token";
constexpr std::string_view kVersionsPath = "/metadata/versions";

ImdsFailure badRequest(std::string description) {
    return {http::Status::bad_request, "invalid_request", std::move(description)};
}

// Splits the path into a route; an instance sub-path must be made of plain segments, so a
// traversal or an encoded character never reaches the metadata lookup.
std::variant<ImdsCall, ImdsFailure> routeOf(std::string_view path) {
    ImdsCall call;
    if (path == kTokenPath) {
        call.route = ImdsRoute::kToken;
        return call;
    }
    if (path == kVersionsPath) {
        call.route = ImdsRoute::kVersions;
        return call;
    }
    if (path.starts_with(kInstancePrefix)) {
        std::string_view rest = path.substr(kInstancePrefix.size());
        if (rest.empty() || rest == "/") {
            call.route = ImdsRoute::kInstance;
            return call;
        }
        if (rest.front() == '/') {
            rest.remove_prefix(1);
            if (rest.back() == '/') {
                rest.remove_suffix(1);
            }
            const bool plain = !rest.empty() && std::all_of(rest.begin(), rest.end(), [](char c) {
                return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '/' || c == '_' || c == '-';
            });
            if (plain && rest.find("//") == std::string_view::npos) {
                call.route = ImdsRoute::kInstance;
                call.subpath = std::string(rest);
                return call;
            }
        }
    }
    return ImdsFailure{http::Status::not_found, "not_found",
                       "The requested path does not exist on this endpoint."};
}

} // namespace

std::span<const std::string_view> supportedTokenApiVersions() {
    return kTokenApiVersions;
}

std::span<const std::string_view> supportedInstanceApiVersions() {
    return kInstanceApiVersions;
}

std::string supportedSentence(std::span<const std::string_view> versions) {
    std::string sentence = "Supported are";
    for (const auto version : versions) {
        sentence += ' ';
        sentence += version;
    }
    return sentence;
}

ImdsParse parseImdsRequest(const http::Request& request) {
    // A proxy in front of the endpoint would hand tokens to whoever reaches the proxy.
    if (request.find("X-Forwarded-For") != request.end()) {
        return badRequest("Requests with an X-Forwarded-For header are not accepted.");
    }
    const auto metadata = request.find("Metadata");
    if (metadata == request.end() || !boost::iequals(metadata->value(), "true")) {
        return badRequest("Required metadata header not specified");
    }
    // A second Metadata header could be a smuggling attempt; Beast keeps both.
    if (request.count("Metadata") != 1) {
        return badRequest("The Metadata header must appear once.");
    }
    if (request.method() != http::Verb::get) {
        return ImdsFailure{http::Status::method_not_allowed, "method_not_allowed",
                           "Only GET is supported on this endpoint."};
    }
    const auto target = request.target();
    const auto [path, query] = http::splitTarget(std::string_view(target.data(), target.size()));
    auto routed = routeOf(path);
    if (auto* failure = std::get_if<ImdsFailure>(&routed)) {
        return *failure;
    }
    ImdsCall call = std::get<ImdsCall>(std::move(routed));
    auto parsed = http::parseQuery(query);
    if (!parsed) {
        return badRequest("Invalid query string: " + parsed.error().message);
    }
    call.query = std::move(parsed).value();
    if (call.route == ImdsRoute::kVersions) {
        return call;
    }
    const auto versions = call.route == ImdsRoute::kToken ? supportedTokenApiVersions()
                                                          : supportedInstanceApiVersions();
    const auto found = call.query.find("api-version");
    if (found == call.query.end() || found->second.empty()) {
        return badRequest("Required query variable 'api-version' is missing. " +
                          supportedSentence(versions));
    }
    if (std::find(versions.begin(), versions.end(), found->second) == versions.end()) {
        return badRequest("Invalid version of api-version specified. " +
                          supportedSentence(versions));
    }
    call.api_version = found->second;
    return call;
}

http::Response imdsErrorResponse(unsigned version, bool keep_alive, const ImdsFailure& failure) {
    http::Response response{failure.status, version};
    response.set(http::Field::content_type, "application/json; charset=utf-8");
    if (failure.status == http::Status::method_not_allowed) {
        response.set(http::Field::allow, "GET");
    }
    response.keep_alive(keep_alive);
    response.body() =
        nlohmann::json{{"error", failure.error}, {"error_description", failure.description}}.dump();
    response.prepare_payload();
    return response;
}

http::Response imdsErrorResponse(const http::Request& request, const ImdsFailure& failure) {
    return imdsErrorResponse(request.version(), request.keep_alive(), failure);
}

} // namespace azcm::himds
