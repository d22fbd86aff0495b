#include "arcproxy/allow_list_source.hpp"

#include "common/config/agent_config.hpp"
#include "common/config/extension_destinations.hpp"
#include "common/log/log.hpp"

#include <system_error>

#include <spdlog/spdlog.h>

namespace azcm::arcproxy {

AllowListSource::AllowListSource(Paths paths)
    : paths_(std::move(paths)), agent_endpoints_(agentEndpoints(config::azurePublicCloud())) {}

AllowListSource::Stamp AllowListSource::stampOf(const std::filesystem::path& path) {
    std::error_code ec;
    Stamp stamp;
    stamp.exists = std::filesystem::is_regular_file(std::filesystem::symlink_status(path, ec));
    if (stamp.exists) {
        stamp.modified = std::filesystem::last_write_time(path, ec);
        stamp.size = std::filesystem::file_size(path, ec);
    }
    return stamp;
}

void AllowListSource::loadAgentEndpoints() {
    if (!agent_stamp_->exists) {
        agent_endpoints_ = agentEndpoints(config::azurePublicCloud()); // not connected yet
        agent_error_.clear();
        return;
    }
    auto agent = config::loadAgentConfig(paths_.agentConfig());
    if (!agent) {
        agent_error_ = agent.error().message;
        spdlog::warn("PROXY_ALLOW_LIST_UNCHANGED {}", log::sanitize(agent_error_));
        return;
    }
    agent_endpoints_ = agentEndpoints(agent.value().cloud);
    agent_error_.clear();
}

void AllowListSource::loadExtensionDestinations() {
    const auto path = paths_.extensionDestinations();
    auto loaded = config::loadExtensionDestinations(path);
    if (!loaded) {
        extensions_error_ = loaded.error().message;
        spdlog::warn("PROXY_ALLOW_LIST_UNCHANGED {}", log::sanitize(extensions_error_));
        return;
    }
    AllowList list;
    extensions_error_.clear();
    for (const auto& text : loaded.value()) {
        auto entry = parseAllowedDestination(text);
        // Extensions name hosts of their package URLs: never a wildcard.
        if (!entry || entry.value().host.rfind("*.", 0) == 0) {
            extensions_error_ = path.string() + ": '" + text.substr(0, 128) +
                                "' is not a host:port destination (left out)";
            spdlog::warn("PROXY_ALLOW_LIST_ENTRY_REFUSED {}", log::sanitize(extensions_error_));
            continue;
        }
        list.add(std::move(entry).value());
    }
    extension_destinations_ = std::move(list);
}

std::shared_ptr<const AllowList> AllowListSource::current() {
    bool changed = !current_;
    if (const auto stamp = stampOf(paths_.agentConfig()); stamp != agent_stamp_) {
        agent_stamp_ = stamp;
        loadAgentEndpoints();
        changed = true;
    }
    if (const auto stamp = stampOf(paths_.extensionDestinations()); stamp != extensions_stamp_) {
        extensions_stamp_ = stamp;
        loadExtensionDestinations();
        changed = true;
    }
    if (changed) {
        auto list = std::make_shared<AllowList>(agent_endpoints_);
        for (const auto& entry : extension_destinations_.entries()) {
            list->add(entry);
        }
        current_ = std::move(list);
        spdlog::info("PROXY_ALLOW_LIST destinations={}", current_->entries().size());
    }
    return current_;
}

std::string AllowListSource::lastError() const {
    if (!agent_error_.empty()) {
        return agent_error_;
    }
    return extensions_error_;
}

} // namespace azcm::arcproxy
