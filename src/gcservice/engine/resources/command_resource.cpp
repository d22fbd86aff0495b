// "command": test and set scripts with osconfig's exit codes (docs/guest-configuration.md): the
// test exits 100 when the machine is in the desired state and 101 when it is not; the set exits 100
// on success. Any other code, a signal or the timeout is an error. A script given as a list runs
// without a shell; a string runs through /bin/sh -c (platform/command_interpreter.hpp: refused on
// Windows, which has no /bin/sh).
#include "common/platform/command_interpreter.hpp"
#include "gcservice/engine/properties.hpp"
#include "gcservice/engine/resource_type.hpp"

namespace azcm::gcservice {

namespace {

constexpr int kInDesiredState = 100;
constexpr int kNotInDesiredState = 101;
constexpr std::size_t kMaxReasonOutput = 200;

struct CommandProperties {
    std::vector<std::string> test;
    std::optional<std::vector<std::string>> set;
    std::optional<std::chrono::milliseconds> timeout;
};

Result<std::vector<std::string>> readScript(PropertyReader& reader, const std::string& key) {
    const nlohmann::json* value = reader.raw(key);
    if (value != nullptr && value->is_string() && !value->get<std::string>().empty()) {
        auto argv = platform::scriptArgv(value->get<std::string>());
        if (!argv) {
            return propertyError("property '" + key + "': " + argv.error().message);
        }
        return argv;
    }
    if (value != nullptr && value->is_array() && !value->empty()) {
        std::vector<std::string> argv;
        for (const auto& item : *value) {
            if (!item.is_string()) {
                return propertyError("property '" + key +
                                     "' must be a string or a list of strings");
            }
            argv.push_back(item.get<std::string>());
        }
        if (argv.front().empty()) {
            return propertyError("property '" + key + "' must name a program");
        }
        return argv;
    }
    return propertyError("property '" + key +
                         "' must be a shell command string or a non-empty list of strings");
}

Result<CommandProperties> parse(const nlohmann::json& properties) {
    PropertyReader reader(properties);
    CommandProperties out;
    AZCM_ASSIGN_OR_RETURN(out.test, readScript(reader, "test"));
    if (reader.raw("set") != nullptr) {
        AZCM_ASSIGN_OR_RETURN(out.set, readScript(reader, "set"));
    }
    BOOST_OUTCOME_TRY(timeout, reader.optionalInteger("timeout_seconds", 1, 3600));
    if (timeout) {
        out.timeout = std::chrono::seconds(*timeout);
    }
    BOOST_OUTCOME_TRY(reader.rejectUnknown());
    return out;
}

// The last lines a script printed, on one line, for the human reason.
std::string summary(const std::string& output) {
    std::string flat;
    for (char c : output) {
        flat += (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
    }
    while (!flat.empty() && flat.back() == ' ') {
        flat.pop_back();
    }
    if (flat.size() > kMaxReasonOutput) {
        flat = "..." + flat.substr(flat.size() - kMaxReasonOutput);
    }
    return flat.empty() ? "" : ": " + flat;
}

Result<CommandOutcome> run(Backend& backend,
                           const std::vector<std::string>& argv,
                           const CommandProperties& props,
                           const EngineContext& context,
                           const char* what) {
    auto timeout = props.timeout.value_or(context.default_command_timeout);
    BOOST_OUTCOME_TRY(outcome, backend.runCommand(argv, timeout));
    if (outcome.timed_out) {
        return makeError(exitcode::kGeneric, std::string(what) + " script timed out after " +
                                                 std::to_string(timeout.count()) + " ms" +
                                                 summary(outcome.output));
    }
    return outcome;
}

class CommandResource final : public ResourceType {
public:
    std::string_view name() const override { return "command"; }

    Result<void> validate(const nlohmann::json& properties) const override {
        BOOST_OUTCOME_TRY(parse(properties));
        return ok();
    }

    Result<TestOutcome> test(const nlohmann::json& properties,
                             Backend& backend,
                             const EngineContext& context) const override {
        BOOST_OUTCOME_TRY(props, parse(properties));
        BOOST_OUTCOME_TRY(outcome, run(backend, props.test, props, context, "test"));
        if (outcome.exit_code == kInDesiredState) {
            return TestOutcome{true, "test script exited 100 (in desired state)" +
                                         summary(outcome.output)};
        }
        if (outcome.exit_code == kNotInDesiredState) {
            return TestOutcome{false, "test script exited 101 (not in desired state)" +
                                          summary(outcome.output)};
        }
        return makeError(exitcode::kGeneric,
                         "test script exited " + std::to_string(outcome.exit_code) +
                             " (expected 100 or 101)" + summary(outcome.output));
    }

    Result<void> set(const nlohmann::json& properties,
                     Backend& backend,
                     const EngineContext& context,
                     SetEffects& /*effects*/) const override {
        BOOST_OUTCOME_TRY(props, parse(properties));
        if (!props.set) {
            return makeError(exitcode::kUnsupported, "no set script is given");
        }
        BOOST_OUTCOME_TRY(outcome, run(backend, *props.set, props, context, "set"));
        if (outcome.exit_code != kInDesiredState) {
            return makeError(exitcode::kGeneric, "set script exited " +
                                                     std::to_string(outcome.exit_code) +
                                                     " (expected 100)" + summary(outcome.output));
        }
        return ok();
    }
};

} // namespace

std::unique_ptr<ResourceType> makeCommandResource() {
    return std::make_unique<CommandResource>();
}

} // namespace azcm::gcservice
