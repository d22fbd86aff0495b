#include "extservice/handler/handler_manifest.hpp"

#include "common/fs/atomic_file.hpp"
#include "common/json/json_document.hpp"
#include "common/json/json_fields.hpp"
#include "extservice/handler/handler_codes.hpp"

#include <algorithm>
#include <cctype>

#include <nlohmann/json.hpp>

namespace azcm::extservice {

namespace {

using nlohmann::json;

constexpr std::string_view kBom = "\xEF\xBB\xBF";

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

// A JSON bool, or the string "true" in any case; everything else is false (and a warning
// unless it is the string "false", which is a valid way to say false).
bool readBool(const json& object, const char* key, std::vector<std::string>& warnings) {
    const auto it = object.find(key);
    if (it == object.end() || it->is_null()) {
        return false;
    }
    if (it->is_boolean()) {
        return it->get<bool>();
    }
    if (it->is_string()) {
        const std::string value = lower(it->get<std::string>());
        if (value == "true") {
            return true;
        }
        if (value == "false") {
            return false;
        }
    }
    warnings.push_back(std::string(key) + " is not a boolean (" + it->dump() +
                       "); treated as false");
    return false;
}

std::string readCommand(const json& object, const char* key) {
    const auto it = object.find(key);
    return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::optional<unsigned>
readPercent(const json& object, const char* key, std::vector<std::string>& warnings) {
    const auto it = object.find(key);
    if (it == object.end() || it->is_null()) {
        return std::nullopt;
    }
    if (auto percent = jsondoc::asInteger<unsigned>(*it, 1, 100'000, key); percent) {
        return percent.value();
    }
    warnings.push_back(std::string(key) + " is not a positive integer (" + it->dump() +
                       "); ignored");
    return std::nullopt;
}

} // namespace

Result<HandlerManifest> parseHandlerManifest(std::string_view text) {
    if (text.substr(0, kBom.size()) == kBom) {
        text.remove_prefix(kBom.size());
    }
    auto parsed = jsondoc::parse(text, "HandlerManifest.json");
    if (!parsed) {
        return makeError(code::kManifestParse, parsed.error().message);
    }
    const json& doc = parsed.value();
    if (!doc.is_array() || doc.empty() || !doc[0].is_object()) {
        return makeError(code::kManifestParse, "HandlerManifest.json is not a non-empty array");
    }
    const json& entry = doc[0];
    const auto hm = entry.find("handlerManifest");
    if (hm == entry.end() || !hm->is_object()) {
        return makeError(code::kManifestParse, "HandlerManifest.json has no handlerManifest");
    }
    HandlerManifest manifest;
    if (const auto name = entry.find("name"); name != entry.end() && name->is_string()) {
        manifest.name = name->get<std::string>();
    }
    manifest.install_command = readCommand(*hm, "installCommand");
    manifest.uninstall_command = readCommand(*hm, "uninstallCommand");
    manifest.update_command = readCommand(*hm, "updateCommand");
    manifest.enable_command = readCommand(*hm, "enableCommand");
    manifest.disable_command = readCommand(*hm, "disableCommand");
    manifest.report_heartbeat = readBool(*hm, "reportHeartbeat", manifest.warnings);
    manifest.continue_on_update_failure =
        readBool(*hm, "continueOnUpdateFailure", manifest.warnings);
    manifest.supports_multiple_extensions =
        readBool(*hm, "supportsMultipleExtensions", manifest.warnings);
    if (const auto mode = hm->find("updateMode"); mode != hm->end() && mode->is_string()) {
        manifest.update_without_install = lower(mode->get<std::string>()) == "updatewithoutinstall";
    }
    if (const auto limits = entry.find("resourceLimits");
        limits != entry.end() && limits->is_object()) {
        manifest.cpu_quota_percentage =
            readPercent(*limits, "cpuQuotaPercentage", manifest.warnings);
        manifest.memory_quota_mb = readPercent(*limits, "memoryQuotaInMB", manifest.warnings);
    }
    // Without an enable command there is nothing to run at all; a missing other command fails
    // only when its step comes (as in WALinuxAgent), with a message naming it.
    if (manifest.enable_command.empty()) {
        return makeError(code::kManifestParse, "HandlerManifest.json has no enableCommand");
    }
    return manifest;
}

Result<HandlerManifest> loadHandlerManifest(const std::filesystem::path& base) {
    const auto path = base / "HandlerManifest.json";
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) {
        return makeError(code::kManifestNotFound,
                         "HandlerManifest.json not found in " + base.filename().string());
    }
    auto text = fs::readFile(path, 1 << 20);
    if (!text) {
        return makeError(code::kManifestParse,
                         "cannot read HandlerManifest.json: " + text.error().message);
    }
    return parseHandlerManifest(text.value());
}

} // namespace azcm::extservice
