#include "goal_state.hpp"

#include <algorithm>
#include <cctype>

namespace azcm::extservice {

namespace {

using nlohmann::json;

std::string stringOf(const json& object, const char* key) {
    const auto it = object.find(key);
    return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
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
    ref.url = stringOf(package, "url");
    ref.sha256 = stringOf(package, "sha256");
    ref.signature_base64 = stringOf(package, "signature");
    ref.version = stringOf(package, "version");
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
    const auto size = package.find("size");
    if (size == package.end() || !size->is_number_integer() || size->get<std::int64_t>() < 0) {
        return makeError(exitcode::kInvalidArgument, "package.size must be a whole number");
    }
    ref.size = size->get<std::uint64_t>();
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
    extension.name = stringOf(entry, "name");
    extension.state = stringOf(entry, "state");
    extension.provisioning_state = stringOf(entry, "provisioningState");
    extension.publisher = stringOf(entry, "publisher");
    extension.type = stringOf(entry, "type");
    extension.version = stringOf(entry, "typeHandlerVersion");
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
    const auto sequence = entry.find("sequenceNumber");
    if (sequence != entry.end() && sequence->is_number_integer()) {
        extension.sequence_number = sequence->get<std::int64_t>();
    }
    if (const auto settings = entry.find("settings");
        settings != entry.end() && settings->is_object()) {
        extension.settings = *settings;
    }
    if (const auto secret = entry.find("protectedSettings");
        secret != entry.end() && secret->is_string()) {
        extension.protected_settings = secret->get<std::string>();
        extension.protected_settings_thumbprint =
            stringOf(entry, "protectedSettingsCertThumbprint");
    }
    if (const auto pending = entry.find("protectedSettingsPending");
        pending != entry.end() && pending->is_boolean()) {
        extension.protected_settings_pending = pending->get<bool>();
    }
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
            const std::string name = entry.is_object() ? stringOf(entry, "name") : std::string();
            parsed.rejected.push_back((name.empty() ? std::string("(unnamed)") : name) + ": " +
                                      extension.error().message);
            continue;
        }
        parsed.goal.extensions.push_back(std::move(extension).value());
    }
    return parsed;
}

} // namespace azcm::extservice
