#pragma once
// The allow-list in force (docs/arcproxy.md): the agent's endpoints from the cloud of
// agentconfig.json (the public cloud before `azcmagent connect`), and the destinations extservice
// publishes for extensions. Each file's change stamp is looked at whenever the list is asked for,
// so a connect or a new goal state counts from the next request on without a reload; a file that
// cannot be read keeps the last good list from it and is reported.
#include "arcproxy/allow_list.hpp"
#include "common/paths/paths.hpp"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

namespace azcm::arcproxy {

class AllowListSource {
public:
    explicit AllowListSource(Paths paths);

    // The list for the next request.
    std::shared_ptr<const AllowList> current();
    // What is wrong with either file, "" when nothing.
    std::string lastError() const;

private:
    struct Stamp {
        bool exists = false;
        std::filesystem::file_time_type modified{};
        std::uintmax_t size = 0;
        bool operator==(const Stamp&) const = default;
    };
    static Stamp stampOf(const std::filesystem::path& path);
    void loadAgentEndpoints();
    void loadExtensionDestinations();

    Paths paths_;
    std::optional<Stamp> agent_stamp_;
    std::optional<Stamp> extensions_stamp_;
    AllowList agent_endpoints_;        // last good
    AllowList extension_destinations_; // last good
    std::shared_ptr<const AllowList> current_;
    std::string agent_error_;
    std::string extensions_error_;
};

} // namespace azcm::arcproxy
