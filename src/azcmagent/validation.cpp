#include "azcmagent/validation.hpp"

#include <cctype>

namespace azcm::azcmagent {

namespace {

bool isAlnum(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0;
}

bool allOf(std::string_view text, std::string_view extra) {
    for (char c : text) {
        if (!isAlnum(c) && extra.find(c) == std::string_view::npos) {
            return false;
        }
    }
    return true;
}

Error invalid(std::string message) {
    return makeError(exitcode::kInvalidArgument, std::move(message));
}

} // namespace

Result<void> validateResourceName(std::string_view name) {
    constexpr std::size_t kMaxLength = 54;
    if (name.empty()) {
        return invalid("the resource name must not be empty");
    }
    if (name.size() > kMaxLength) {
        return invalid("resource name '" + std::string(name) + "' is " +
                       std::to_string(name.size()) +
                       " characters long; the limit is 54 characters (use --resource-name)");
    }
    if (!allOf(name, "-_.")) {
        return invalid(
            "resource name '" + std::string(name) +
            "' may only contain letters, digits, '-', '_' and '.' (use --resource-name)");
    }
    if (name.back() == '-' || name.back() == '_') {
        return invalid("resource name '" + std::string(name) +
                       "' must not end with '-' or '_' (use --resource-name)");
    }
    return ok();
}

Result<void> validateResourceGroup(std::string_view name) {
    constexpr std::size_t kMaxLength = 90;
    if (name.empty() || name.size() > kMaxLength || !allOf(name, "-_.()") || name.back() == '.') {
        return invalid("resource group '" + std::string(name) +
                       "' must be 1-90 letters, digits, '-', '_', '.', '(' or ')', not ending "
                       "with '.'");
    }
    return ok();
}

Result<void> validateSubscription(std::string_view subscription) {
    if (subscription.empty() || subscription.size() > 64 || !allOf(subscription, "-_.")) {
        return invalid("subscription '" + std::string(subscription) +
                       "' is not a valid subscription ID");
    }
    return ok();
}

Result<void> validateTenant(std::string_view tenant) {
    if (tenant.empty() || tenant.size() > 253 || !allOf(tenant, "-.")) {
        return invalid("tenant '" + std::string(tenant) + "' is not a valid tenant ID");
    }
    return ok();
}

Result<std::string> normalizeLocation(std::string_view location) {
    std::string out;
    for (char c : location) {
        if (std::isspace(static_cast<unsigned char>(c)) != 0) {
            continue;
        }
        out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    if (out.empty() || out.size() > 64 || !allOf(out, "")) {
        return invalid("location '" + std::string(location) +
                       "' is not an Azure region name (for example eastus)");
    }
    return out;
}

bool isGuid(std::string_view text) {
    if (text.size() != 36) {
        return false;
    }
    for (std::size_t i = 0; i < text.size(); ++i) {
        const bool dash_position = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash_position != (text[i] == '-')) {
            return false;
        }
        if (!dash_position && std::isxdigit(static_cast<unsigned char>(text[i])) == 0) {
            return false;
        }
    }
    return true;
}

} // namespace azcm::azcmagent
