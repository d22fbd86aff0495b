#include "azcmagent/app.hpp"

#include "azcmagent/check_command.hpp"
#include "azcmagent/cli_error.hpp"
#include "azcmagent/config_command.hpp"
#include "azcmagent/config_file.hpp"
#include "azcmagent/connect.hpp"
#include "azcmagent/console.hpp"
#include "azcmagent/credentials.hpp"
#include "azcmagent/disconnect.hpp"
#include "azcmagent/extension_command.hpp"
#include "azcmagent/logs_command.hpp"
#include "azcmagent/redact.hpp"
#include "azcmagent/show_command.hpp"
#include "azcmagent/upgrade_command.hpp"
#include "common/agent_version.hpp"
#include "common/fs/atomic_file.hpp"
#include "common/log/log.hpp"

#include <algorithm>
#include <ostream>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

namespace azcm::azcmagent {

using nlohmann::json;

namespace {

// The global flags, seen before parsing so that even a parse error is shown as asked.
GlobalOptions prescanGlobals(const std::vector<std::string>& args) {
    GlobalOptions globals;
    for (const auto& arg : args) {
        if (arg == "--") {
            break;
        }
        globals.json = globals.json || arg == "-j" || arg == "--json";
        globals.log_stderr = globals.log_stderr || arg == "--log-stderr";
        globals.no_color = globals.no_color || arg == "--no-color";
        globals.verbose = globals.verbose || arg == "-v" || arg == "--verbose";
    }
    return globals;
}

// azcmagent.log is opened only in a log directory that belongs to this user and nobody else can
// write (log/rotating_file_sink.hpp). A non-root `show` or `config get` on an installed machine
// cannot write root's log and runs without it, silently; root is told why its log is refused.
void initLogging(const Environment& env, const GlobalOptions& globals) {
    log::LogOptions options;
    options.name = "azcmagent";
    options.file = env.paths.ownLogFile("azcmagent");
    options.to_stderr = globals.verbose;
    options.level = globals.verbose ? spdlog::level::debug : spdlog::level::info;
    options.report_file_errors = env.is_elevated();
    log::init(options);
}

void addCredentialFlags(CLI::App& command, CredentialOptions& credential) {
    command.add_option("-i,--service-principal-id", credential.service_principal_id,
                       "Application ID of the service principal used to authenticate");
    command.add_option("-p,--service-principal-secret", credential.service_principal_secret,
                       "Secret of the service principal; '-' reads it from standard input "
                       "(prefer the --config file)");
    command.add_option("--service-principal-cert", credential.service_principal_cert,
                       "PEM file with private key and certificate, or a PFX without password");
    command.add_option("--access-token", credential.access_token,
                       "Microsoft Entra ID access token for Azure Resource Manager; '-' reads it "
                       "from standard input");
    command.add_option("-t,--tenant-id", credential.tenant_id, "Tenant ID of the credential");
}

struct Commands {
    GlobalOptions globals;
    ConnectOptions connect;
    DisconnectOptions disconnect;
    ShowOptions show;
    ConfigOptions config;
    CheckOptions check;
    LogsOptions logs;
    ExtensionOptions extension;
    UpgradeOptions upgrade;
    CLI::App* extension_command = nullptr;
    std::vector<std::string> help_topic;
};

void defineCommands(CLI::App& app, Commands& commands) {
    app.fallthrough();
    app.require_subcommand(0, 1);
    app.add_option("--config", commands.globals.config_file,
                   "JSON or YAML file of flag values, keyed by long flag name");
    app.add_flag("-j,--json", commands.globals.json, "Output in JSON format");
    app.add_flag("--log-stderr", commands.globals.log_stderr,
                 "Write errors and warnings to stderr");
    app.add_flag("--no-color", commands.globals.no_color, "Disable colour output");
    app.add_flag("-v,--verbose", commands.globals.verbose, "Verbose logging");

    auto* connect = app.add_subcommand("connect", "Connect this machine to Azure Arc");
    auto& c = commands.connect;
    addCredentialFlags(*connect, c.credential);
    connect->add_option("-s,--subscription-id", c.subscription_id, "Azure subscription ID");
    connect->add_option("-g,--resource-group", c.resource_group,
                        "Resource group (created when missing)");
    connect->add_option("-l,--location", c.location, "Azure region, e.g. eastus");
    connect->add_option("-n,--resource-name", c.resource_name,
                        "Name of the Azure resource (default: host name)");
    connect->add_option("--tags", c.tags, "Tags: Name=Value,Name2='Value with space'");
    connect->add_option("--correlation-id", c.correlation_id, "Correlation GUID for telemetry");
    connect->add_option("--cloud", c.cloud,
                        "AzureCloud (default), AzureUSGovernment or AzureChinaCloud");
    connect->add_option("--cloud-config", c.cloud_config,
                        "cloud.json of a custom cloud (endpoints, CA, default tenant and "
                        "subscription)");
    connect->add_option("--private-link-scope", c.private_link_scope,
                        "Resource ID of an Azure Arc private link scope");
    connect->add_flag("--ignore-network-check", c.ignore_network_check,
                      "Continue when the network check fails");
    connect->add_flag("--enable-automatic-upgrade", c.enable_automatic_upgrade,
                      "Let Azure upgrade the agent on this machine (ARM's "
                      "agentUpgrade.enableAutomaticUpgrade)");

    auto* disconnect = app.add_subcommand("disconnect", "Delete the Azure resource and the "
                                                        "local identity");
    addCredentialFlags(*disconnect, commands.disconnect.credential);
    disconnect->add_flag("-f,--force-local-only", commands.disconnect.force_local_only,
                         "Clean up locally only, without calling Azure");

    auto* show = app.add_subcommand("show", "Show the agent's status and configuration");
    show->add_option("property", commands.show.properties,
                     "Only these properties (JSON key or display name)");
    show->add_flag("--os", commands.show.os, "Include operating system information");

    defineConfigCommand(app, commands.config);
    defineCheckCommand(app, commands.check);
    defineLogsCommand(app, commands.logs);
    commands.extension_command = defineExtensionCommand(app, commands.extension);
    defineUpgradeCommand(app, commands.upgrade);
    app.add_subcommand("version", "Print the agent version");
    auto* help = app.add_subcommand("help", "Help about any command");
    help->add_option("command", commands.help_topic, "Command to describe");
}

Result<void> printHelp(CLI::App& app, const Commands& commands, const Environment& env) {
    if (commands.help_topic.empty()) {
        *env.out << app.help();
        return ok();
    }
    auto* topic = app.get_subcommand_ptr(commands.help_topic.front()).get();
    if (topic == nullptr) {
        return makeError(exitcode::kInvalidArgument,
                         "unknown command '" + commands.help_topic.front() + "'");
    }
    *env.out << topic->help();
    return ok();
}

Result<void> dispatch(CLI::App& app, const Commands& commands, const Environment& env) {
    const Console console(env, commands.globals);
    if (app.got_subcommand("version")) {
        if (console.jsonMode()) {
            console.printJson(json{{"version", azcm::agentVersion()}});
        } else {
            console.line(std::string("azcmagent version ") + azcm::agentVersion());
        }
        return ok();
    }
    if (app.got_subcommand("show")) {
        return runShow(commands.show, env, console);
    }
    if (app.got_subcommand("config")) {
        return runConfig(commands.config, env, console);
    }
    if (app.got_subcommand("check")) {
        return runCheck(commands.check, env, console);
    }
    if (app.got_subcommand("extension")) {
        return runExtension(*commands.extension_command, commands.extension, env, console);
    }
    if (app.got_subcommand("logs")) {
        return runLogs(commands.logs, env, console);
    }
    if (app.got_subcommand("upgrade")) {
        BOOST_OUTCOME_TRY(result, runUpgrade(commands.upgrade, env, console));
        if (console.jsonMode()) {
            console.printJson(result);
        } else if (result.contains("reason")) { // --automatic without an install
            console.line(result.value("action", "") == "waiting"
                             ? "Automatic upgrade waits until " + result.value("notBefore", "") +
                                   " (" + result.value("reason", "") + ")"
                             : "No automatic upgrade: " + result.value("reason", ""));
        } else if (result.at("upgraded").get<bool>()) {
            console.line(console.success("Upgraded the agent from " +
                                         result.at("previousVersion").get<std::string>() + " to " +
                                         result.at("version").get<std::string>()));
        } else {
            console.line("The agent is already at version " +
                         result.at("version").get<std::string>());
        }
        return ok();
    }
    if (app.got_subcommand("connect")) {
        BOOST_OUTCOME_TRY(result, runConnect(commands.connect, env, console));
        if (console.jsonMode()) {
            console.printJson(result);
        } else {
            console.line(console.success("Connected machine to Azure"));
            console.line("Machine overview page: " + result.at("portalPage").get<std::string>());
        }
        return ok();
    }
    if (app.got_subcommand("disconnect")) {
        BOOST_OUTCOME_TRY(result, runDisconnect(commands.disconnect, env, console));
        if (console.jsonMode()) {
            console.printJson(result);
        } else {
            console.line(console.success(result.at("message").get<std::string>()));
        }
        return ok();
    }
    return printHelp(app, commands, env);
}

// A secret in argv is readable by every local user (/proc/<pid>/cmdline): say so, and how to
// avoid it. The command still runs as asked.
void warnAboutSecretArguments(const std::vector<std::string>& args, const Environment& env) {
    if (env.err == nullptr) {
        return;
    }
    for (const auto& secret : secretArguments(args)) {
        if (secret.url) {
            *env.err << "WARNING a URL with credentials on the command line can be read by other "
                        "users of this machine (process list); for proxy.url give '-' as the "
                        "value and the URL on standard input\n";
        } else {
            *env.err << "WARNING the value of " << secret.option
                     << " on the command line can be read by other users of this machine "
                        "(process list); put it in a --config file, or give '-' as the value and "
                        "the secret on standard input\n";
        }
    }
    *env.err << std::flush;
}

int finish(const Console& console, const Result<void>& result) {
    if (result) {
        spdlog::info("CLI_EXIT code=0");
        return exitcode::kSuccess;
    }
    const int status = exitStatusOf(result.error());
    spdlog::error("CLI_EXIT code={} {}", status, log::sanitize(result.error().message));
    console.printError(result.error());
    return status;
}

} // namespace

int runCli(const std::vector<std::string>& args, const Environment& env) {
    const auto early = prescanGlobals(args);
    initLogging(env, early);
    spdlog::info("CLI_COMMAND azcmagent {}", log::sanitize(redactedCommandLine(args)));
    warnAboutSecretArguments(args, env);

    Commands commands;
    CLI::App app("Azure Connected Machine Agent: onboard this machine to Azure Arc and manage "
                 "the agent",
                 "azcmagent");
    defineCommands(app, commands);
    try {
        std::vector<std::string> reversed(args.rbegin(), args.rend());
        app.parse(reversed);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == 0) { // --help
            *env.out << app.help();
            return exitcode::kSuccess;
        }
        return finish(Console(env, early),
                      makeError(exitcode::kInvalidArgument,
                                std::string(e.what()) + " (see 'azcmagent help')"));
    }

    if (!commands.globals.config_file.empty()) {
        auto document = loadConfigFile(commands.globals.config_file);
        if (!document) {
            return finish(Console(env, commands.globals), document.error());
        }
        auto subcommands = app.get_subcommands();
        CLI::App& target = subcommands.empty() ? app : *subcommands.front();
        if (auto applied = applyConfigFile(target, document.value()); !applied) {
            return finish(Console(env, commands.globals), applied.error());
        }
        if (commands.globals.verbose && !early.verbose) {
            initLogging(env, commands.globals);
        }
    }
    for (auto* credential : {&commands.connect.credential, &commands.disconnect.credential}) {
        if (auto read = readCredentialsFromInput(*credential, env.in); !read) {
            return finish(Console(env, commands.globals), read.error());
        }
    }
    return finish(Console(env, commands.globals), dispatch(app, commands, env));
}

} // namespace azcm::azcmagent
