#include "azcmagent/extension_command.hpp"

#include "common/ipc/ipc_client.hpp"
#include "extservice/admin/local_admin.hpp"

namespace azcm::azcmagent {

namespace {

using nlohmann::json;

// The real agent refuses while the extension manager runs: both would change the same handlers.
Result<void> requireStoppedExtensionManager(const Environment& env) {
    auto answer = ipc::call(env.paths.socketFor("extservice"), http::Verb::get, "/status", {},
                            std::chrono::seconds(5));
    if (answer) {
        return makeError(kExtensionToolError,
                         "the extension manager (extd) is running: stop it first with "
                         "'systemctl stop extd', run this command, then 'systemctl start extd'");
    }
    return ok();
}

std::string describe(const json& entry) {
    std::string text =
        "  " + entry.value("name", std::string()) + "  (" + entry.value("handler", std::string()) +
        " " + entry.value("version", std::string()) + ")  " + entry.value("state", std::string());
    if (entry.contains("status") && entry["status"].is_object()) {
        text += ", status " + entry["status"].value("status", std::string());
        const auto message = entry["status"].value("message", std::string());
        if (!message.empty()) {
            text += ": " + message;
        }
    } else if (entry.contains("lastOperation") && entry["lastOperation"].is_object()) {
        const auto& last = entry["lastOperation"];
        text += ", last operation " + last.value("outcome", std::string());
        const auto message = last.value("message", std::string());
        if (!message.empty()) {
            text += ": " + message;
        }
    }
    return text;
}

} // namespace

CLI::App* defineExtensionCommand(CLI::App& app, ExtensionOptions& options) {
    auto* extension = app.add_subcommand(
        "extension", "Manage the extensions installed on this machine (stop extd first)");
    extension->require_subcommand(1, 1);
    extension->add_subcommand("list", "List the extensions installed on this machine");
    auto* remove = extension->add_subcommand(
        "remove", "Remove an extension locally (Azure reinstalls it if it still expects it)");
    auto* by_name =
        remove->add_option("-n,--name", options.remove_name, "Name of the extension to remove");
    auto* all = remove->add_flag("-a,--all", options.remove_all, "Remove every extension");
    by_name->excludes(all);
    return extension;
}

Result<void> runExtension(const CLI::App& command,
                          const ExtensionOptions& options,
                          const Environment& env,
                          const Console& console) {
    if (!env.is_elevated()) {
        return makeError(exitcode::kNotElevated,
                         "azcmagent extension must be run as root (sudo azcmagent extension ...)");
    }
    BOOST_OUTCOME_TRY(requireStoppedExtensionManager(env));
    if (command.got_subcommand("list")) {
        const auto list = extservice::listLocalExtensions(env.paths);
        if (console.jsonMode()) {
            console.printJson(json{{"extensions", list}});
            return ok();
        }
        if (list.empty()) {
            console.line("No extensions are installed.");
            return ok();
        }
        console.line("Installed extensions:");
        for (const auto& entry : list) {
            console.line(describe(entry));
        }
        return ok();
    }
    if (options.remove_name.empty() && !options.remove_all) {
        return makeError(exitcode::kInvalidArgument, "extension remove needs --name NAME or --all");
    }
    auto removed = extservice::removeLocalExtensions(env.paths, options.remove_name);
    if (!removed) {
        const int code = removed.error().code == exitcode::kInvalidArgument
                             ? exitcode::kInvalidArgument
                             : kExtensionToolError;
        return makeError(code, removed.error().message);
    }
    if (console.jsonMode()) {
        console.printJson(json{{"removed", removed.value()}});
        return ok();
    }
    if (removed.value().empty()) {
        console.line("No extensions are installed.");
    }
    for (const auto& handler : removed.value()) {
        console.line(console.success("Removed extension " + handler));
    }
    return ok();
}

} // namespace azcm::azcmagent
