// "agent_support": this agent is within Microsoft's support window, versions released in the last
// 12 months (docs/guest-configuration.md). The release dates come from the control plane's agent
// feed (EngineContext::agent_releases), which knows the releases; the build date would call a
// release supported for a year after it was built, however late it was released. Only an upgrade
// fixes it, which the engine does not do: never remediable.
#include "gcservice/engine/properties.hpp"
#include "gcservice/engine/resource_type.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <optional>

namespace azcm::gcservice {

namespace {

using namespace std::chrono;

struct SupportProperties {
    int window_months = 12;
};

Result<SupportProperties> parse(const nlohmann::json& properties) {
    PropertyReader reader(properties);
    SupportProperties out;
    BOOST_OUTCOME_TRY(months, reader.optionalInteger("window_months", 1, 120));
    BOOST_OUTCOME_TRY(reader.rejectUnknown());
    out.window_months = static_cast<int>(months.value_or(12));
    return out;
}

std::string formatDate(const year_month_day& date) {
    char buffer[16];
    std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02u", static_cast<int>(date.year()),
                  static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()));
    return buffer;
}

// date + months, clamped to the month's last day (2025-08-31 + 6 months = 2026-02-28).
year_month_day addMonths(const year_month_day& date, int months) {
    year_month_day shifted = date.year() / date.month() / date.day() + std::chrono::months(months);
    if (!shifted.ok()) {
        shifted = year_month_day_last(shifted.year(), month_day_last(shifted.month()));
    }
    return shifted;
}

// One release against the window: the last day it is supported, and whether today is past it.
struct Window {
    year_month_day until;
    bool expired = false;
};

Window windowOf(const AgentRelease& release, int months, system_clock::time_point now) {
    Window window;
    window.until = addMonths(year_month_day{floor<days>(release.released)}, months);
    window.expired = floor<days>(now) > sys_days(window.until);
    return window;
}

std::string describe(const AgentRelease& release) {
    return release.version.text() + " (released " +
           formatDate(year_month_day{floor<days>(release.released)}) + ")";
}

const AgentRelease* newestOf(const std::vector<AgentRelease>& releases) {
    const auto newest = std::max_element(
        releases.begin(), releases.end(),
        [](const AgentRelease& a, const AgentRelease& b) { return a.version < b.version; });
    return newest == releases.end() ? nullptr : &*newest;
}

const AgentRelease* find(const std::vector<AgentRelease>& releases, const AgentVersion& version) {
    const auto found =
        std::find_if(releases.begin(), releases.end(),
                     [&](const AgentRelease& release) { return release.version == version; });
    return found == releases.end() ? nullptr : &*found;
}

// The newest release that is newer than `installed` and has itself left the window: its
// existence proves `installed`, released before it, is out of the window too.
const AgentRelease* newestExpiredAbove(const std::vector<AgentRelease>& releases,
                                       const AgentVersion& installed,
                                       int months,
                                       system_clock::time_point now) {
    const AgentRelease* best = nullptr;
    for (const auto& release : releases) {
        if (release.version > installed && windowOf(release, months, now).expired &&
            (best == nullptr || best->version < release.version)) {
            best = &release;
        }
    }
    return best;
}

std::string upgradeAdvice(const AgentReleases& feed, const AgentVersion& installed) {
    const auto* newest = newestOf(feed.releases);
    if (newest == nullptr || !(installed < newest->version)) {
        return "; no newer release is published";
    }
    return "; the newest release is " + describe(*newest) + ": upgrade the agent";
}

TestOutcome judgePublished(const AgentRelease& installed,
                           const AgentReleases& feed,
                           const std::string& window_name,
                           int months,
                           system_clock::time_point now) {
    const auto window = windowOf(installed, months, now);
    const std::string agent = "agent " + describe(installed);
    if (!window.expired) {
        return TestOutcome{true, agent + " is within the " + window_name + " until " +
                                     formatDate(window.until)};
    }
    return TestOutcome{false, agent + " left the " + window_name + " on " +
                                  formatDate(window.until) +
                                  upgradeAdvice(feed, installed.version)};
}

// A version the feed does not list (a private build, or one withdrawn): its own release date is
// unknown, so it is judged by the releases around it.
TestOutcome judgeUnpublished(const AgentVersion& installed,
                             const AgentReleases& feed,
                             const std::string& window_name,
                             int months,
                             system_clock::time_point now) {
    const std::string agent =
        "agent " + installed.text() + " is not a published " + feed.platform + " release";
    if (const auto* expired = newestExpiredAbove(feed.releases, installed, months, now)) {
        return TestOutcome{
            false, agent + "; the newer release " + describe(*expired) + " already left the " +
                       window_name + " on " + formatDate(windowOf(*expired, months, now).until) +
                       ", so this older one did too" + upgradeAdvice(feed, installed)};
    }
    return TestOutcome{true, agent +
                                 "; it is considered supported because no newer published "
                                 "release has left the " +
                                 window_name};
}

class AgentSupportResource final : public ResourceType {
public:
    std::string_view name() const override { return "agent_support"; }

    Result<void> validate(const nlohmann::json& properties) const override {
        BOOST_OUTCOME_TRY(parse(properties));
        return ok();
    }

    Result<TestOutcome> test(const nlohmann::json& properties,
                             Backend& /*backend*/,
                             const EngineContext& context) const override {
        BOOST_OUTCOME_TRY(props, parse(properties));
        const auto& feed = context.agent_releases;
        // An error, not a verdict: the report shows the check could not be made, instead of a
        // silent Compliant for a machine that merely cannot reach the control plane.
        if (!feed.unavailable.empty()) {
            return makeError(exitcode::kNetwork,
                             "cannot verify the support window: " + feed.unavailable);
        }
        const auto installed = parseAgentVersion(context.agent_version);
        if (!installed) {
            return makeError(exitcode::kGeneric, "cannot verify the support window: agent "
                                                 "version '" +
                                                     context.agent_version +
                                                     "' is not MAJOR.MINOR.BUILD.REVISION");
        }
        const std::string window = std::to_string(props.window_months) + "-month support window";
        if (const auto* published = find(feed.releases, *installed)) {
            return judgePublished(*published, feed, window, props.window_months, context.now);
        }
        return judgeUnpublished(*installed, feed, window, props.window_months, context.now);
    }

    Result<void> set(const nlohmann::json& /*properties*/,
                     Backend& /*backend*/,
                     const EngineContext& /*context*/,
                     SetEffects& /*effects*/) const override {
        return makeError(exitcode::kUnsupported,
                         "only an agent upgrade fixes this (azcmagent upgrade or the package "
                         "manager)");
    }
};

} // namespace

std::unique_ptr<ResourceType> makeAgentSupportResource() {
    return std::make_unique<AgentSupportResource>();
}

} // namespace azcm::gcservice
