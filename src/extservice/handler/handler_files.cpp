#include "extservice/handler/handler_files.hpp"

#include "common/fs/atomic_file.hpp"
#include "common/json/json_document.hpp"
#include "common/json/json_fields.hpp"

#include <climits>
#include <cstddef>
#include <system_error>

#include <nlohmann/json.hpp>

namespace azcm::extservice {

namespace {

using nlohmann::json;
namespace stdfs = std::filesystem;

constexpr const char* kStateFile = "HandlerState";
constexpr const char* kHealthFile = "HandlerStatus";

// mkdir, then force the mode even if the directory already existed (a package may ship one).
Result<void> privateDir(const stdfs::path& dir) {
    if (auto made = fs::ensureDirectory(dir, {0700, {}}); !made) {
        return made;
    }
    std::error_code ec;
    stdfs::permissions(dir, stdfs::perms(0700), ec);
    if (ec) {
        return makeError(1000, "cannot set mode of " + dir.string() + ": " + ec.message());
    }
    return ok();
}

} // namespace

std::string handlerEnvironmentJson(const stdfs::path& base,
                                   const HandlerId& id,
                                   const stdfs::path& log_folder) {
    // No eventsFolder: the Extension Telemetry Pipeline is not supported (and not advertised in
    // AZURE_GUEST_AGENT_EXTENSION_SUPPORTED_FEATURES), so the protocol leaves those keys out.
    const json doc = json::array({{{"name", id.name()},
                                   {"version", 1.0},
                                   {"handlerEnvironment",
                                    {{"logFolder", log_folder.string()},
                                     {"configFolder", (base / "config").string()},
                                     {"statusFolder", (base / "status").string()},
                                     {"heartbeatFile", (base / "heartbeat.log").string()}}}}});
    return doc.dump(4);
}

Result<void>
initializeHandlerDir(const stdfs::path& base, const HandlerId& id, const stdfs::path& log_folder) {
    for (const auto& dir : {base / "config", base / "status", log_folder}) {
        if (auto made = privateDir(dir); !made) {
            return made;
        }
    }
    if (auto env = fs::writeFileAtomic(base / "HandlerEnvironment.json",
                                       handlerEnvironmentJson(base, id, log_folder), {0644, {}});
        !env) {
        return env;
    }
    std::error_code ec;
    if (!stdfs::exists(base / "config" / kStateFile, ec)) {
        return writeHandlerState(base, HandlerState::kNotInstalled);
    }
    return ok();
}

std::string settingsFileContent(const HandlerSettings& settings) {
    const bool no_public =
        settings.public_settings.is_null() ||
        (settings.public_settings.is_object() && settings.public_settings.empty());
    if (no_public && settings.protected_settings.empty()) {
        return std::string(); // a handler with no settings gets an empty file
    }
    json handler = {{"publicSettings", settings.public_settings.is_null()
                                           ? json::object()
                                           : settings.public_settings}};
    if (!settings.protected_settings.empty()) {
        handler["protectedSettings"] = settings.protected_settings;
        handler["protectedSettingsCertThumbprint"] = settings.thumbprint;
    }
    return json{{"runtimeSettings", json::array({{{"handlerSettings", handler}}})}}.dump();
}

Result<void> writeSettingsFile(const stdfs::path& base, const HandlerSettings& settings) {
    const auto path = base / "config" / (std::to_string(settings.sequence_number) + ".settings");
    if (auto written = fs::writeFileAtomic(path, settingsFileContent(settings), {0600, {}});
        !written) {
        return written;
    }
    // Remember which one is current: sequence numbers need not increase.
    json doc = json::object();
    if (auto text = fs::readFile(base / "config" / kHealthFile, std::size_t{64} * 1024); text) {
        if (auto parsed = jsondoc::parse(text.value(), kHealthFile);
            parsed && parsed.value().is_object()) {
            doc = std::move(parsed).value();
        }
    }
    doc["sequenceNumber"] = settings.sequence_number;
    return fs::writeFileAtomic(base / "config" / kHealthFile, doc.dump(), {0600, {}});
}

std::optional<int> lastSequenceNumber(const stdfs::path& base) {
    if (auto text = fs::readFile(base / "config" / kHealthFile, std::size_t{64} * 1024); text) {
        // A value that is missing, of another type or out of range falls back to the files.
        if (auto doc = jsondoc::parse(text.value(), kHealthFile); doc) {
            if (auto sequence = jsondoc::getOptionalInteger<int>(doc.value(), "sequenceNumber", 0,
                                                                 INT_MAX, kHealthFile);
                sequence && sequence.value()) {
                return sequence.value();
            }
        }
    }
    std::optional<int> best;
    stdfs::file_time_type best_time{};
    std::error_code ec;
    for (const auto& entry : stdfs::directory_iterator(base / "config", ec)) {
        const auto name = entry.path().filename().string();
        const auto dot = name.find(".settings");
        if (dot == std::string::npos || dot + 9 != name.size()) {
            continue;
        }
        try {
            std::size_t used = 0;
            const int seq = std::stoi(name.substr(0, dot), &used);
            if (used != dot) {
                continue;
            }
            const auto time = entry.last_write_time(ec);
            if (!best || time > best_time) {
                best = seq;
                best_time = time;
            }
        } catch (const std::exception&) {
            continue;
        }
    }
    return best;
}

HandlerState readHandlerState(const stdfs::path& base) {
    auto text = fs::readFile(base / "config" / kStateFile, 1024);
    if (!text) {
        return HandlerState::kNotInstalled;
    }
    const std::string& value = text.value();
    if (value == "Installed") {
        return HandlerState::kInstalled;
    }
    if (value == "Enabled") {
        return HandlerState::kEnabled;
    }
    if (value == "FailedUpgrade") {
        return HandlerState::kFailedUpgrade;
    }
    return HandlerState::kNotInstalled;
}

Result<void> writeHandlerState(const stdfs::path& base, HandlerState state) {
    return fs::writeFileAtomic(base / "config" / kStateFile, toString(state), {0600, {}});
}

Result<void> writeHandlerHealth(const stdfs::path& base,
                                const HandlerId& id,
                                const HandlerHealth& health,
                                std::optional<int> sequence_number) {
    json doc = {{"name", id.name()},
                {"version", id.version},
                {"status", health.status},
                {"code", health.code},
                {"message", health.message}};
    if (!sequence_number) {
        sequence_number = lastSequenceNumber(base);
    }
    if (sequence_number) {
        doc["sequenceNumber"] = *sequence_number;
    }
    return fs::writeFileAtomic(base / "config" / kHealthFile, doc.dump(), {0600, {}});
}

std::optional<HandlerHealth> readHandlerHealth(const stdfs::path& base) {
    auto text = fs::readFile(base / "config" / kHealthFile, std::size_t{64} * 1024);
    if (!text) {
        return std::nullopt;
    }
    const auto doc = jsondoc::parse(text.value(), kHealthFile);
    if (!doc) {
        return std::nullopt;
    }
    auto status = jsondoc::getString(doc.value(), "status", kHealthFile);
    auto code =
        jsondoc::getOptionalInteger<int>(doc.value(), "code", INT_MIN, INT_MAX, kHealthFile);
    auto message = jsondoc::getOptionalString(doc.value(), "message", kHealthFile);
    if (!status || !code || !message) {
        return std::nullopt;
    }
    return HandlerHealth{std::move(status).value(), code.value().value_or(0),
                         message.value().value_or(std::string())};
}

} // namespace azcm::extservice
