// "agent_support": this agent is within Microsoft's support window, versions released in the last
// 12 months (docs/guest-configuration.md), judged from the agent's own build date. Only an upgrade
// fixes it, which the engine does not do: never remediable.
#include "gcservice/engine/properties.hpp"
#include "gcservice/engine/resource_type.hpp"

#include <chrono>
#include <cstdio>

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

// build + months, clamped to the month's last day (2025-08-31 + 6 months = 2026-02-28).
year_month_day addMonths(const year_month_day& date, int months) {
    year_month_day shifted = date.year() / date.month() / date.day() + std::chrono::months(months);
    if (!shifted.ok()) {
        shifted = year_month_day_last(shifted.year(), month_day_last(shifted.month()));
    }
    return shifted;
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
        if (context.build_date.time_since_epoch().count() == 0) {
            return makeError(exitcode::kGeneric, "the agent's build date is unknown");
        }
        year_month_day built{floor<days>(context.build_date)};
        year_month_day today{floor<days>(context.now)};
        year_month_day until = addMonths(built, props.window_months);
        std::string agent = "agent " + context.agent_version + " built " + formatDate(built);
        std::string window = std::to_string(props.window_months) + "-month support window";
        if (sys_days(today) <= sys_days(until)) {
            return TestOutcome{true,
                               agent + " is within the " + window + " until " + formatDate(until)};
        }
        return TestOutcome{false, agent + " left the " + window + " on " + formatDate(until) +
                                      "; upgrade the agent"};
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
