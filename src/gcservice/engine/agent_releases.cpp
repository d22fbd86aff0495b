// The agent releases of the control plane's package feed, read for agent_support. The feed is
// the only source of release dates, so an entry the check cannot read refuses the whole list
// instead of being skipped: a skipped entry could turn an outdated agent into an "unpublished"
// one that the oldest-supported rule lets pass.
#include "gcservice/engine/engine.hpp"

#include <charconv>
#include <optional>

namespace azcm::gcservice {

namespace {

using nlohmann::json;

std::optional<int> digitsAt(std::string_view text, std::size_t offset, std::size_t count) {
    int value = 0;
    const char* first = text.data() + offset;
    const char* last = first + count;
    const auto [end, error] = std::from_chars(first, last, value);
    if (error != std::errc() || end != last || *first == '+' || *first == '-') {
        return std::nullopt;
    }
    return value;
}

// "2026-03-01T12:00:00Z", the only form docs/protocol.md uses for times: whole seconds, UTC.
std::optional<std::chrono::system_clock::time_point> parseUtcSeconds(std::string_view text) {
    constexpr std::string_view kShape = "0000-00-00T00:00:00Z";
    if (text.size() != kShape.size()) {
        return std::nullopt;
    }
    for (std::size_t i = 0; i < kShape.size(); ++i) {
        if (kShape[i] != '0' && text[i] != kShape[i]) {
            return std::nullopt;
        }
    }
    const auto year = digitsAt(text, 0, 4);
    const auto month = digitsAt(text, 5, 2);
    const auto day = digitsAt(text, 8, 2);
    const auto hour = digitsAt(text, 11, 2);
    const auto minute = digitsAt(text, 14, 2);
    const auto second = digitsAt(text, 17, 2);
    if (!year || !month || !day || !hour || !minute || !second || *hour > 23 || *minute > 59 ||
        *second > 59) {
        return std::nullopt;
    }
    const std::chrono::year_month_day date{std::chrono::year(*year),
                                           std::chrono::month(static_cast<unsigned>(*month)),
                                           std::chrono::day(static_cast<unsigned>(*day))};
    if (!date.ok()) {
        return std::nullopt;
    }
    return std::chrono::sys_days(date) + std::chrono::hours(*hour) + std::chrono::minutes(*minute) +
           std::chrono::seconds(*second);
}

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
                              ? parseUtcSeconds(released_text->get<std::string>())
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
