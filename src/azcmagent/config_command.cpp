#include "azcmagent/config_command.hpp"

#include "azcmagent/credentials.hpp"
#include "azcmagent/responses.hpp"
#include "common/config/config_keys.hpp"
#include "common/config/config_values.hpp"
#include "common/config/local_config.hpp"
#include "common/fs/atomic_file.hpp"
#include "common/ipc/ipc_client.hpp"
#include "common/log/log.hpp"
#include "common/platform/file_lock.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

namespace azcm::azcmagent {

using config::ConfigKey;
using config::configKeys;
using config::formatConfigValue;
using config::publicValue;
using nlohmann::json;

namespace {

constexpr auto kReloadTimeout = std::chrono::seconds(10);

struct DaemonName {
    const char* daemon;  // socks/<daemon>.sock
    const char* display; // as `azcmagent show` lists the services
};

constexpr DaemonName kDaemonNames[] = {{"himds", "Agent Service (himds)"},
                                       {"gcservice", "GC Service (gcservice)"},
                                       {"extservice", "Extension Service (extservice)"},
                                       {"arcproxy", "Azure Arc Proxy (arcproxy)"}};

std::string displayName(const std::string& daemon) {
    for (const auto& name : kDaemonNames) {
        if (daemon == name.daemon) {
            return name.display;
        }
    }
    return daemon;
}

Result<const ConfigKey*> lookUpKey(const std::string& name) {
    const auto* key = config::findConfigKey(name);
    if (key == nullptr) {
        return makeError(exitcode::kInvalidArgument,
                         "unknown config property '" + name +
                             "' (see 'azcmagent config info' for the properties)");
    }
    return key;
}

// `list` and `get` show proxy.url redacted, so they read no secret and work for any user.
Result<config::LocalConfig> readLocalConfig(const Environment& env,
                                            config::ProxyCredentials credentials) {
    auto loaded = config::loadLocalConfig(env.paths.localConfig(), credentials);
    if (!loaded) {
        return makeError(exitcode::kLocalConfigRead, "cannot read " +
                                                         env.paths.localConfig().string() + ": " +
                                                         loaded.error().message);
    }
    return loaded;
}

// Under the lock: read, change, write with a backup. Nothing is written when `change` fails.
template <class Change>
Result<config::LocalConfig> updateLocalConfig(const Environment& env, Change&& change) {
    const auto path = env.paths.localConfig();
    if (auto made = fs::ensureDirectory(path.parent_path(), {0755, {}}); !made) {
        return makeError(exitcode::kLocalConfigUpdate, "cannot create " +
                                                           path.parent_path().string() + ": " +
                                                           made.error().message);
    }
    // Held across read-modify-write, so concurrent `config set` calls never lose each other's
    // change; until this function returns.
    auto lock = platform::FileLock::acquire(path.string() + ".lock");
    if (!lock) {
        return makeError(exitcode::kLocalConfigUpdate, lock.error().message);
    }
    BOOST_OUTCOME_TRY(config, readLocalConfig(env, config::ProxyCredentials::kInclude));
    BOOST_OUTCOME_TRY(change(config));
    if (auto saved = config::saveLocalConfig(path, config); !saved) {
        return makeError(exitcode::kLocalConfigUpdate,
                         "cannot write " + path.string() +
                             ", the previous settings are kept: " + saved.error().message);
    }
    return config;
}

struct ReloadOutcome {
    std::string daemon;
    std::string status; // updated, notRunning, failed
    std::string message;
};

Result<http::Response> postReload(const Environment& env, const std::string& daemon) {
    if (daemon == "himds") {
        return env.himds(http::Verb::post, "/reload", "{}", kReloadTimeout);
    }
    return ipc::call(env.paths.socketFor(daemon), http::Verb::post, "/reload", "{}",
                     kReloadTimeout);
}

// Asks each daemon that applies `key` to re-read the file. The file is written already, so a
// failure here is a warning: the daemon picks the change up when it (re)starts.
std::vector<ReloadOutcome> reloadDaemons(const Environment& env, const ConfigKey& key) {
    std::vector<ReloadOutcome> outcomes;
    for (const auto& daemon : key.applied_by) {
        auto response = postReload(env, daemon);
        if (!response) {
            if (response.error().code == exitcode::kHimdsUnreachable) {
                outcomes.push_back({daemon, "notRunning", ""});
            } else {
                outcomes.push_back({daemon, "failed", response.error().message});
            }
        } else if (response.value().result_int() != 200) {
            std::string detail = "HTTP " + std::to_string(response.value().result_int());
            if (const auto error = parseServiceError(response.value().body());
                !error.message.empty()) {
                // The daemon's text, cut and escaped: it goes to the console and to root's log.
                detail += " " + log::untrusted(error.message);
            }
            outcomes.push_back({daemon, "failed", detail});
        } else {
            outcomes.push_back({daemon, "updated", ""});
        }
        spdlog::info("CFG_RELOAD_REQUESTED daemon={} status={} {}", daemon, outcomes.back().status,
                     log::sanitize(outcomes.back().message));
    }
    return outcomes;
}

json outcomesJson(const std::vector<ReloadOutcome>& outcomes) {
    auto out = json::array();
    for (const auto& outcome : outcomes) {
        json entry = {{"name", outcome.daemon},
                      {"displayName", displayName(outcome.daemon)},
                      {"status", outcome.status}};
        if (!outcome.message.empty()) {
            entry["message"] = outcome.message;
        }
        out.push_back(std::move(entry));
    }
    return out;
}

void printOutcomes(const Console& console, const std::vector<ReloadOutcome>& outcomes) {
    for (const auto& outcome : outcomes) {
        const auto name = displayName(outcome.daemon);
        if (outcome.status == "updated") {
            console.line("INFO Updated service configuration: " + name);
        } else if (outcome.status == "notRunning") {
            console.line("INFO " + name +
                         " is not running; it will apply the change when it "
                         "starts");
        } else {
            console.warning(name + " did not reload (" + outcome.message +
                            "); the change is saved and applies when the service restarts");
        }
    }
}

std::string paddedKey(const std::string& name) {
    std::size_t width = 0;
    for (const auto& key : configKeys()) {
        width = std::max(width, key.name.size());
    }
    return name + std::string(width - name.size(), ' ');
}

Result<void> runList(const Environment& env, const Console& console) {
    BOOST_OUTCOME_TRY(config, readLocalConfig(env, config::ProxyCredentials::kRedacted));
    if (console.jsonMode()) {
        json out = json::object();
        for (const auto& key : configKeys()) {
            out[key.name] = publicValue(config, key);
        }
        console.printJson(out);
        return ok();
    }
    console.line("Local Configuration Settings");
    for (const auto& key : configKeys()) {
        console.line("  " + paddedKey(key.name) + " : " +
                     formatConfigValue(publicValue(config, key)));
    }
    return ok();
}

Result<void> runGet(const ConfigOptions& options, const Environment& env, const Console& console) {
    BOOST_OUTCOME_TRY(key, lookUpKey(options.key));
    BOOST_OUTCOME_TRY(config, readLocalConfig(env, config::ProxyCredentials::kRedacted));
    const auto value = publicValue(config, *key);
    if (console.jsonMode()) {
        console.printJson(value);
    } else {
        console.line(formatConfigValue(value));
    }
    return ok();
}

json infoJson(const ConfigKey& key) {
    static const char* const kTypeNames[] = {"boolean", "integer", "choice", "url", "list"};
    return {{"name", key.name},
            {"type", kTypeNames[static_cast<int>(key.type)]},
            {"default", config::defaultText(key)},
            {"allowed", key.allowed},
            {"description", key.effect},
            {"services", key.applied_by}};
}

Result<void> runInfo(const ConfigOptions& options, const Console& console) {
    std::vector<const ConfigKey*> keys;
    if (options.key.empty()) {
        for (const auto& key : configKeys()) {
            keys.push_back(&key);
        }
    } else {
        BOOST_OUTCOME_TRY(key, lookUpKey(options.key));
        keys.push_back(key);
    }
    if (console.jsonMode()) {
        auto out = json::array();
        for (const auto* key : keys) {
            out.push_back(infoJson(*key));
        }
        console.printJson(options.key.empty() ? out : out.at(0));
        return ok();
    }
    for (const auto* key : keys) {
        std::string services;
        for (const auto& daemon : key->applied_by) {
            services += (services.empty() ? "" : ", ") + daemon;
        }
        console.line(key->name);
        console.line("  " + key->effect);
        console.line("  Allowed: " + key->allowed);
        const auto default_text = config::defaultText(*key);
        console.line("  Default: " + (default_text.empty() ? "(empty)" : default_text));
        console.line("  Applied by: " + services + " (live, on reload)");
    }
    return ok();
}

config::ListEdit listEdit(const ConfigOptions& options) {
    if (options.add) {
        return config::ListEdit::kAdd;
    }
    return options.remove ? config::ListEdit::kRemove : config::ListEdit::kReplace;
}

Result<void> requireRoot(const Environment& env, const std::string& action) {
    if (!env.is_elevated()) {
        return makeError(exitcode::kNotElevated, "azcmagent config " + action +
                                                     " requires elevated privileges: run it as "
                                                     "root (sudo)");
    }
    return ok();
}

Result<void>
runChange(const ConfigOptions& options, const Environment& env, const Console& console) {
    BOOST_OUTCOME_TRY(key, lookUpKey(options.key));
    const bool set = options.action == "set";
    const auto edit = listEdit(options);
    std::string given = options.value;
    if (set && key->type == config::ValueType::kProxyUrl && given == kFromStandardInput) {
        // Credentials in the URL stay out of the process list.
        AZCM_ASSIGN_OR_RETURN(given, readSecretLine(env.in, key->name));
    }
    auto change = [&](config::LocalConfig& config) {
        return set ? config::setFromText(config, *key, given, edit)
                   : config::clearToDefault(config, *key);
    };
    // The value's syntax is checked before privileges, as every flag is (docs/cli.md).
    config::LocalConfig scratch;
    BOOST_OUTCOME_TRY(change(scratch));
    BOOST_OUTCOME_TRY(requireRoot(env, options.action));

    BOOST_OUTCOME_TRY(config, updateLocalConfig(env, change));
    const auto value = publicValue(config, *key);
    spdlog::info("CFG_CHANGED {}={}", key->name, log::sanitize(formatConfigValue(value)));
    const auto outcomes = reloadDaemons(env, *key);
    if (console.jsonMode()) {
        console.printJson(
            {{"property", key->name}, {"value", value}, {"services", outcomesJson(outcomes)}});
        return ok();
    }
    if (set) {
        console.line("Config property " + key->name + " set to value " + formatConfigValue(value));
    } else {
        console.line("Config property " + key->name + " cleared; value " +
                     formatConfigValue(value));
    }
    printOutcomes(console, outcomes);
    return ok();
}

} // namespace

CLI::App* defineConfigCommand(CLI::App& app, ConfigOptions& options) {
    auto* config = app.add_subcommand("config", "Manage the local configuration");
    config->require_subcommand(1);
    auto action = [&options](const char* name) {
        return [&options, name] { options.action = name; };
    };

    config->add_subcommand("list", "List every property and its value")->callback(action("list"));
    auto* get = config->add_subcommand("get", "Print the value of a property");
    get->add_option("property", options.key, "Property name")->required();
    get->callback(action("get"));

    auto* set = config->add_subcommand("set", "Set a property");
    set->add_option("property", options.key, "Property name")->required();
    set->add_option(
           "value", options.value,
           "Value; lists are comma separated; for proxy.url, '-' reads it from standard input")
        ->required();
    auto* add = set->add_flag("-a,--add", options.add, "Add the entries to a list property");
    auto* remove =
        set->add_flag("-r,--remove", options.remove, "Remove the entries from a list property");
    add->excludes(remove);
    set->callback(action("set"));

    auto* clear = config->add_subcommand("clear", "Reset a property to its default");
    clear->add_option("property", options.key, "Property name")->required();
    clear->callback(action("clear"));

    auto* info = config->add_subcommand("info", "Describe the properties and their values");
    info->add_option("property", options.key, "Only this property");
    info->callback(action("info"));
    return config;
}

Result<void>
runConfig(const ConfigOptions& options, const Environment& env, const Console& console) {
    if (options.action == "list") {
        return runList(env, console);
    }
    if (options.action == "get") {
        return runGet(options, env, console);
    }
    if (options.action == "info") {
        return runInfo(options, console);
    }
    if (options.action == "set" || options.action == "clear") {
        return runChange(options, env, console);
    }
    return makeError(exitcode::kInvalidArgument,
                     "azcmagent config needs one of: list, get, set, clear, info");
}

} // namespace azcm::azcmagent
