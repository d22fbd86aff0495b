#include "extservice/goal_state.hpp"

#include "common/json/json_fields.hpp"

#include <algorithm>
#include <cctype>
#include <climits>
#include <cstdint>

namespace azcm::extservice {

namespace {

using nlohmann::json;

constexpr const char* kExtensionSource = "extension";
constexpr const char* kPackageSource = "package";

// An optional string member, empty when absent; another type is an error naming the field.
Result<std::string> stringOf(const json& object, const char* key, const char* source) {
    BOOST_OUTCOME_TRY(value, jsondoc::withCode(jsondoc::getOptionalString(object, key, source),
                                               exitcode::kInvalidArgument));
    return value.value_or(std::string());
}

bool hexDigest(const std::string& text) {
    return text.size() == 64 && std::all_of(text.begin(), text.end(),
                                            [](unsigned char c) { return std::isxdigit(c) != 0; });
}

Result<PackageRef> parsePackage(const json& package) {
    if (!package.is_object()) {
        return makeError(exitcode::kInvalidArgument, "package is not an object");
    }
    PackageRef ref;
    AZCM_ASSIGN_OR_RETURN(ref.url, stringOf(package, "url", kPackageSource));
    AZCM_ASSIGN_OR_RETURN(ref.sha256, stringOf(package, "sha256", kPackageSource));
    AZCM_ASSIGN_OR_RETURN(ref.signature_base64, stringOf(package, "signature", kPackageSource));
    AZCM_ASSIGN_OR_RETURN(ref.version, stringOf(package, "version", kPackageSource));
    if (ref.version.empty()) {
        // The download URL names the exact published version (.../{publisher}/{type}/{version}),
        // which may be more precise than a major.minor typeHandlerVersion.
        const auto path = ref.url.substr(0, ref.url.find('?'));
        const auto last = path.substr(path.rfind('/') + 1);
        if (!last.empty() && std::all_of(last.begin(), last.end(), [](unsigned char c) {
                return std::isdigit(c) != 0 || c == '.';
            })) {
            ref.version = last;
        }
    }
    if (!ref.version.empty() && !safeName(ref.version)) {
        return makeError(exitcode::kInvalidArgument, "package.version is not a safe name");
    }
    std::transform(ref.sha256.begin(), ref.sha256.end(), ref.sha256.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    AZCM_ASSIGN_OR_RETURN(
        ref.size, jsondoc::withCode(jsondoc::getInteger<std::uint64_t>(package, "size", 0,
                                                                       UINT64_MAX, kPackageSource),
                                    exitcode::kInvalidArgument));
    if (ref.url.rfind("https://", 0) != 0) {
        return makeError(exitcode::kInvalidArgument, "package.url must be an https URL");
    }
    if (!hexDigest(ref.sha256)) {
        return makeError(exitcode::kInvalidArgument, "package.sha256 must be 64 hex digits");
    }
    if (ref.signature_base64.empty()) {
        return makeError(exitcode::kInvalidArgument, "package.signature is missing");
    }
    return ref;
}

Result<GoalExtension> parseExtension(const json& entry) {
    if (!entry.is_object()) {
        return makeError(exitcode::kInvalidArgument, "entry is not an object");
    }
    GoalExtension extension;
    AZCM_ASSIGN_OR_RETURN(extension.name, stringOf(entry, "name", kExtensionSource));
    AZCM_ASSIGN_OR_RETURN(extension.state, stringOf(entry, "state", kExtensionSource));
    AZCM_ASSIGN_OR_RETURN(extension.provisioning_state,
                          stringOf(entry, "provisioningState", kExtensionSource));
    AZCM_ASSIGN_OR_RETURN(extension.publisher, stringOf(entry, "publisher", kExtensionSource));
    AZCM_ASSIGN_OR_RETURN(extension.type, stringOf(entry, "type", kExtensionSource));
    AZCM_ASSIGN_OR_RETURN(extension.version,
                          stringOf(entry, "typeHandlerVersion", kExtensionSource));
    if (!safeName(extension.name) || !safeName(extension.publisher) || !safeName(extension.type)) {
        return makeError(exitcode::kInvalidArgument, "name, publisher or type is not a safe name");
    }
    if (extension.state != "enabled" && extension.state != "uninstall") {
        return makeError(exitcode::kInvalidArgument, "state must be enabled or uninstall");
    }
    if (!extension.version.empty() && !safeName(extension.version)) {
        return makeError(exitcode::kInvalidArgument, "typeHandlerVersion is not a safe name");
    }
    // Anything but a JSON true keeps the stricter reading (the exact minor version).
    const auto flag = [&entry](const char* key) {
        const auto value = entry.find(key);
        return value != entry.end() && value->is_boolean() && value->get<bool>();
    };
    extension.auto_upgrade_minor_version = flag("autoUpgradeMinorVersion");
    extension.enable_automatic_upgrade = flag("enableAutomaticUpgrade");
    // It names config/<n>.settings and is an int there: range-checked before narrowing.
    BOOST_OUTCOME_TRY(sequence,
                      jsondoc::withCode(jsondoc::getOptionalInteger<int>(entry, "sequenceNumber", 0,
                                                                         INT_MAX, kExtensionSource),
                                        exitcode::kInvalidArgument));
    extension.sequence_number = sequence.value_or(0);
    BOOST_OUTCOME_TRY(
        settings, jsondoc::withCode(jsondoc::getOptionalObject(entry, "settings", kExtensionSource),
                                    exitcode::kInvalidArgument));
    if (settings != nullptr) {
        extension.settings = *settings;
    }
    BOOST_OUTCOME_TRY(secret, jsondoc::withCode(jsondoc::getOptionalString(
                                                    entry, "protectedSettings", kExtensionSource),
                                                exitcode::kInvalidArgument));
    if (secret) {
        extension.protected_settings = std::move(*secret);
        AZCM_ASSIGN_OR_RETURN(extension.protected_settings_thumbprint,
                              stringOf(entry, "protectedSettingsCertThumbprint", kExtensionSource));
    }
    BOOST_OUTCOME_TRY(pending,
                      jsondoc::withCode(jsondoc::getOptionalBool(entry, "protectedSettingsPending",
                                                                 kExtensionSource),
                                        exitcode::kInvalidArgument));
    extension.protected_settings_pending = pending.value_or(false);
    if (const auto package = entry.find("package"); package != entry.end() && !package->is_null()) {
        auto parsed = parsePackage(*package);
        if (!parsed) {
            return parsed.error();
        }
        extension.package = std::move(parsed).value();
    }
    return extension;
}

} // namespace

bool GoalExtension::awaitsReport() const {
    return provisioning_state == "Creating" || provisioning_state == "Updating" ||
           provisioning_state == "Deleting";
}

bool safeName(std::string_view name) {
    if (name.empty() || name.size() > 128 || name == "." || name == "..") {
        return false;
    }
    return std::all_of(name.begin(), name.end(), [](unsigned char c) {
        return std::isalnum(c) != 0 || c == '.' || c == '_' || c == '-';
    });
}

Result<ParsedGoalState> parseGoalState(const json& document, std::string etag) {
    if (!document.is_object() || !document.contains("extensions") ||
        !document["extensions"].is_array()) {
        return makeError(exitcode::kInvalidArgument,
                         "goal state is not an object with an extensions array");
    }
    ParsedGoalState parsed;
    parsed.goal.etag = std::move(etag);
    for (const auto& entry : document["extensions"]) {
        auto extension = parseExtension(entry);
        if (!extension) {
            const auto name = entry.is_object() ? stringOf(entry, "name", kExtensionSource)
                                                : Result<std::string>(std::string());
            const bool named = name && !name.value().empty();
            parsed.rejected.push_back((named ? name.value() : std::string("(unnamed)")) + ": " +
                                      extension.error().message);
            continue;
        }
        parsed.goal.extensions.push_back(std::move(extension).value());
    }
    return parsed;
}

} // namespace azcm::extservice
