// The agent releases of the control plane's package feed, read for agent_support. The feed is
// the only source of release dates, so an entry the check cannot read refuses the whole list
// instead of being skipped: a skipped entry could turn an outdated agent into an "unpublished"
// one that the oldest-supported rule lets pass.
#include "common/utc_time.hpp"
#include "gcservice/engine/engine.hpp"

#include <optional>

namespace azcm::gcservice {

namespace {

using nlohmann::json;

Result<AgentRelease> parseEntry(const json& entry, std::size_t index) {
    const std::string where = "agent release list entry " + std::to_string(index + 1);
    if (!entry.is_object()) {
        return makeError(exitcode::kNetwork, where + " is not an object");
    }
    const auto version_text = entry.find("version");
    const auto version = version_text != entry.end() && version_text->is_string()
                             ? parseAgentVersion(version_text->get<std::string>())
                             : std::nullopt;
    if (!version) {
        return makeError(exitcode::kNetwork, where + " has no version MAJOR.MINOR.BUILD.REVISION");
    }
    const auto released_text = entry.find("released");
    const auto released = released_text != entry.end() && released_text->is_string()
                              ? parseRfc3339(released_text->get<std::string>())
                              : std::nullopt;
    if (!released) {
        return makeError(exitcode::kNetwork, where + " (" + version->text() +
                                                 ") has no \"released\" time such as "
                                                 "2026-03-01T12:00:00Z");
    }
    return AgentRelease{*version, *released};
}

} // namespace

Result<AgentReleases> parseAgentReleases(const json& answer, std::string_view platform) {
    const auto versions = answer.is_object() ? answer.find("versions") : answer.end();
    if (!answer.is_object() || versions == answer.end() || !versions->is_array()) {
        return makeError(exitcode::kNetwork, "the agent release list has no \"versions\" array");
    }
    AgentReleases out;
    out.platform = std::string(platform);
    out.unavailable.clear();
    for (std::size_t i = 0; i < versions->size(); ++i) {
        BOOST_OUTCOME_TRY(release, parseEntry(versions->at(i), i));
        out.releases.push_back(release);
    }
    return out;
}

bool usesResourceType(const ConfigurationPackage& package, std::string_view type) {
    for (const auto& resource : package.resources) {
        if (resource.type == type) {
            return true;
        }
    }
    return false;
}

} // namespace azcm::gcservice
