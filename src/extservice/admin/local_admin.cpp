#include "extservice/admin/local_admin.hpp"

#include "common/config/local_config.hpp"
#include "common/log/log.hpp"
#include "extservice/admin/extension_cpu_caps.hpp"
#include "extservice/admin/reported_state.hpp"
#include "extservice/handler/handler_manager.hpp"

#include <set>

#include <spdlog/spdlog.h>

namespace azcm::extservice {

namespace {

using nlohmann::json;

std::unique_ptr<ReportedState> loadState(const Paths& paths) {
    auto state = std::make_unique<ReportedState>(paths.extensionStateDir() / "extensions.json");
    if (auto loaded = state->load(); !loaded) {
        spdlog::warn("EXT_STATE_UNREADABLE {}", log::sanitize(loaded.error().message));
    }
    return state;
}

} // namespace

json listLocalExtensions(const Paths& paths) {
    extservice::HandlerManagerOptions options;
    options.paths = paths;
    const extservice::HandlerManager handlers(std::move(options));
    return extensionList(handlers, loadState(paths)->all());
}

json extensionList(const extservice::HandlerManager& handlers,
                   const std::map<std::string, ExtensionRecord>& records) {
    json list = json::array();
    std::set<std::string> listed;
    for (const auto& handler : handlers.installed()) {
        json entry{{"name", handler.id.name()},
                   {"handler", handler.id.name()},
                   {"version", handler.id.version},
                   {"state", extservice::toString(handler.state)},
                   {"operationPending", handler.operation_pending}};
        if (handler.status) {
            entry["status"] = {{"status", handler.status->status},
                               {"code", handler.status->code},
                               {"message", handler.status->message}};
        }
        for (const auto& [name, record] : records) {
            if (record.handler == handler.id.name()) {
                entry["name"] = name;
                entry["lastOperation"] = toJson(record);
                listed.insert(name);
            }
        }
        list.push_back(std::move(entry));
    }
    // Extensions known only from their last report (refused, failed before installation).
    for (const auto& [name, record] : records) {
        if (listed.count(name) == 0) {
            list.push_back(json{{"name", name},
                                {"handler", record.handler},
                                {"version", record.version},
                                {"state", "NotInstalled"},
                                {"lastOperation", toJson(record)}});
        }
    }
    return list;
}

Result<std::vector<std::string>> removeLocalExtensions(const Paths& paths,
                                                       const std::string& name) {
    auto local = config::loadLocalConfig(paths.localConfig());
    const unsigned agent_cap =
        local ? static_cast<unsigned>(local.value().extensions_cpu_limit) : 5U;
    ExtensionCpuCaps caps(
        std::make_unique<platform::CpuLimiter>(platform::CpuLimiter::fromEnvironment("extd")),
        agent_cap);
    extservice::HandlerManagerOptions options;
    options.paths = paths;
    options.timeouts = extservice::CommandTimeouts::fromEnvironment();
    // Uninstall commands run capped in the handler's own group, as under extservice.
    options.cpu_group = [&caps](const extservice::HandlerId& id,
                                const extservice::HandlerManifest& manifest) {
        return caps.handlerGroup(id.name(), id.type, manifest.cpu_quota_percentage);
    };
    extservice::HandlerManager handlers(std::move(options));
    // Finish what a stopped extension manager left half done before removing anything.
    for (const auto& line : handlers.recover()) {
        spdlog::info("EXT_RECOVER {}", log::sanitize(line));
    }
    auto state = loadState(paths);
    const auto records = state->all();

    std::set<std::string> targets;
    for (const auto& handler : handlers.installed()) {
        const auto handler_name = handler.id.name();
        bool match = name.empty() || handler_name == name;
        for (const auto& [extension, record] : records) {
            match = match || (extension == name && record.handler == handler_name);
        }
        if (match) {
            targets.insert(handler_name);
        }
    }
    if (targets.empty() && !name.empty()) {
        return makeError(exitcode::kInvalidArgument, "no extension '" + name + "' is installed");
    }
    std::vector<std::string> removed;
    for (const auto& handler : targets) {
        const auto result = handlers.uninstall(handler);
        if (!result.ok) {
            return makeError(72, "removing " + handler + " failed: " + result.message);
        }
        caps.removeHandler(handler);
        for (const auto& [extension, record] : records) {
            if (record.handler == handler) {
                (void)state->erase(extension);
            }
        }
        spdlog::info("EXT_REMOVED_LOCALLY handler={}", log::sanitize(handler));
        removed.push_back(handler);
    }
    return removed;
}

} // namespace azcm::extservice
