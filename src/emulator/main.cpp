// arc-emulator: the local control plane (Entra ID, ARM, hybrid identity service) for development,
// tests and CI. Thin entry point: flags here, everything else in emulator_core.
#include "common/error.hpp"
#include "common/log/log.hpp"
#include "emulator/package_publish_command.hpp"
#include "emulator/server.hpp"
#include "emulator/sp_command.hpp"

#include <cstdint>
#include <exception>
#include <iostream>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

namespace {

constexpr int kUsage = 2;

spdlog::level::level_enum parseLevel(const std::string& text) {
    const auto level = spdlog::level::from_str(text);
    return level == spdlog::level::off && text != "off" ? spdlog::level::info : level;
}

// Everything of main but the last-resort catch.
int run(int argc, char** argv) {
    CLI::App app{"arc-emulator: a local Azure control plane for Azure Arc-enabled servers"};
    app.require_subcommand(0, 1);

    std::string data_dir;
    std::string listen = "127.0.0.1:0";
    std::int64_t heartbeat_timeout = 900;
    std::int64_t cert_lifetime = 7776000;
    std::int64_t token_lifetime = 3600;
    std::int64_t mi_token_lifetime = 86400;
    std::string log_level = "info";
    app.add_option("--data-dir", data_dir, "State directory (database, keys, cloud.json)");
    app.add_option("--listen", listen, "HOST:PORT to serve HTTPS on (port 0: any free port)")
        ->capture_default_str();
    app.add_option("--heartbeat-timeout", heartbeat_timeout,
                   "Seconds without a heartbeat before a machine shows Disconnected")
        ->capture_default_str()
        ->check(CLI::Range(std::int64_t{1}, std::int64_t{10} * 365 * 86400));
    app.add_option("--cert-lifetime", cert_lifetime, "Lifetime of machine certificates, seconds")
        ->capture_default_str()
        ->check(CLI::Range(std::int64_t{2}, std::int64_t{10} * 365 * 86400));
    app.add_option("--token-lifetime", token_lifetime, "Lifetime of access tokens, seconds")
        ->capture_default_str()
        ->check(CLI::Range(std::int64_t{60}, std::int64_t{86400}));
    app.add_option("--mi-token-lifetime", mi_token_lifetime,
                   "Lifetime of managed identity tokens (/his/machines/token), seconds")
        ->capture_default_str()
        ->check(CLI::Range(std::int64_t{60}, std::int64_t{7} * 86400));
    app.add_option("--log-level", log_level, "trace, debug, info, warn, error")
        ->capture_default_str();

    auto* sp = app.add_subcommand("sp", "Service principals");
    sp->require_subcommand(1);
    auto* create = sp->add_subcommand("create", "Create a service principal with a role");
    azcm::emulator::SpCreateOptions sp_options;
    std::string sp_data_dir;
    std::string cert_out;
    create->add_option("--data-dir", sp_data_dir, "State directory of the emulator")->required();
    create->add_option("--name", sp_options.name, "Display name")->required();
    create->add_option("--role", sp_options.role, "Built-in role name or GUID")->required();
    create->add_option("--scope", sp_options.scope, "Scope, e.g. /subscriptions/<id>")->required();
    create->add_option("--cert-out", cert_out,
                       "Also register a certificate; write its key and certificate PEM here");

    auto* extension = app.add_subcommand("extension", "Extension handler packages");
    extension->require_subcommand(1);
    auto* publish = extension->add_subcommand("publish", "Sign and publish a handler package");
    azcm::emulator::PublishOptions publish_options;
    publish->add_option("--data-dir", publish_options.data_dir, "State directory of the emulator")
        ->required();
    publish->add_option("--zip", publish_options.zip, "The handler package (zip, <= 100 MiB)")
        ->required();
    publish->add_option("--publisher", publish_options.publisher, "Extension publisher")
        ->required();
    publish->add_option("--type", publish_options.type, "Extension type")->required();
    publish->add_option("--version", publish_options.version, "Handler version, e.g. 1.2.3")
        ->required();

    // `gc publish`: a guest configuration package, through the same signed package store.
    auto* gc = app.add_subcommand("gc", "Guest configuration packages");
    gc->require_subcommand(1);
    auto* gc_publish = gc->add_subcommand("publish", "Sign and publish a configuration package");
    azcm::emulator::PublishOptions gc_options;
    gc_options.kind = "guestconfiguration";
    gc_publish->add_option("--data-dir", gc_options.data_dir, "State directory of the emulator")
        ->required();
    gc_publish->add_option("--zip", gc_options.zip, "The package (zip with configuration.json)")
        ->required();
    gc_publish->add_option("--name", gc_options.type, "Configuration name")->required();
    gc_publish->add_option("--version", gc_options.version, "Version, e.g. 1.0.0")->required();

    // `agent publish`: an agent package (deb, rpm or msi, told apart by content) for upgrades.
    auto* agent = app.add_subcommand("agent", "Agent packages (docs/upgrade.md)");
    agent->require_subcommand(1);
    auto* agent_publish = agent->add_subcommand("publish", "Sign and publish an agent package");
    azcm::emulator::PublishOptions agent_options;
    agent_options.kind = "agent";
    agent_options.file_option = "--package";
    agent_publish
        ->add_option("--data-dir", agent_options.data_dir, "State directory of the emulator")
        ->required();
    agent_publish->add_option("--package", agent_options.zip, "The package (deb, rpm or msi)")
        ->required();
    agent_publish->add_option("--version", agent_options.version, "Agent version, e.g. 1.0.30000.0")
        ->required();
    agent_publish->add_option("--released", agent_options.released,
                              "When the release came out (RFC 3339, e.g. 2025-01-31T00:00:00Z); "
                              "default: now");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& error) {
        return app.exit(error) == 0 ? 0 : kUsage;
    }

    azcm::log::init({"arc-emulator", {}, true, parseLevel(log_level)});
    if (create->parsed()) {
        sp_options.data_dir = sp_data_dir;
        if (!cert_out.empty()) {
            sp_options.cert_out = cert_out;
        }
        auto answer = azcm::emulator::createServicePrincipal(sp_options);
        if (!answer) {
            std::cerr << "arc-emulator sp create: " << answer.error().message << "\n";
            return answer.error().code != 0 ? answer.error().code : 1;
        }
        std::cout << answer.value().dump(2) << std::endl;
        return 0;
    }
    if (publish->parsed()) {
        auto answer = azcm::emulator::publishPackageCommand(publish_options);
        if (!answer) {
            std::cerr << "arc-emulator extension publish: " << answer.error().message << "\n";
            return answer.error().code != 0 ? answer.error().code : 1;
        }
        std::cout << answer.value().dump(2) << std::endl;
        return 0;
    }
    if (gc_publish->parsed()) {
        auto answer = azcm::emulator::publishPackageCommand(gc_options);
        if (!answer) {
            std::cerr << "arc-emulator gc publish: " << answer.error().message << "\n";
            return answer.error().code != 0 ? answer.error().code : 1;
        }
        std::cout << answer.value().dump(2) << std::endl;
        return 0;
    }
    if (agent_publish->parsed()) {
        auto answer = azcm::emulator::publishPackageCommand(agent_options);
        if (!answer) {
            std::cerr << "arc-emulator agent publish: " << answer.error().message << "\n";
            return answer.error().code != 0 ? answer.error().code : 1;
        }
        std::cout << answer.value().dump(2) << std::endl;
        return 0;
    }
    if (data_dir.empty()) {
        std::cerr << "arc-emulator: --data-dir is required\n" << app.help();
        return kUsage;
    }
    azcm::emulator::ServeOptions options;
    options.data_dir = data_dir;
    auto address = azcm::emulator::parseListenAddress(listen);
    if (!address) {
        std::cerr << "arc-emulator: " << address.error().message << "\n";
        return kUsage;
    }
    options.listen = address.value();
    options.emulator.heartbeat_timeout = std::chrono::seconds(heartbeat_timeout);
    options.emulator.cert_lifetime = std::chrono::seconds(cert_lifetime);
    options.emulator.token_lifetime = std::chrono::seconds(token_lifetime);
    options.emulator.mi_token_lifetime = std::chrono::seconds(mi_token_lifetime);
    return azcm::emulator::serve(options);
}

} // namespace

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const std::exception& error) {
        std::cerr << "arc-emulator: " << error.what() << "\n";
        return azcm::exitcode::kGeneric;
    }
}
