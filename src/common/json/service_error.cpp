#include "common/json/service_error.hpp"

#include "common/json/json_document.hpp"
#include "common/json/json_fields.hpp"

namespace azcm::jsondoc {

namespace {

constexpr const char* kSource = "the error answer";

std::string bounded(std::string text) {
    if (text.size() > kMaxServiceErrorPart) {
        text.resize(kMaxServiceErrorPart);
        text += "...";
    }
    return text;
}

// The member's text, or the reason it has none.
std::string part(const Json& error, const char* key) {
    auto value = getOptionalString(error, key, kSource);
    if (!value) {
        return "(" + value.error().message + ")";
    }
    return bounded(value.value().value_or(std::string()));
}

} // namespace

std::string serviceErrorText(std::string_view body) {
    auto document = parse(body, kSource, {kNetworkMaxBytes});
    if (!document || !document.value().is_object()) {
        return {};
    }
    const auto error = getOptionalObject(document.value(), "error", kSource);
    if (!error) {
        return "(" + error.error().message + ")";
    }
    if (error.value() == nullptr) {
        return {};
    }
    const auto code = part(*error.value(), "code");
    const auto message = part(*error.value(), "message");
    if (code.empty() || message.empty()) {
        return code + message;
    }
    return code + ": " + message;
}

} // namespace azcm::jsondoc
