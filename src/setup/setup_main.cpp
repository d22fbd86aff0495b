// azcm_setup.exe: the Windows installer's helper (docs/windows.md, "The MSI"). The MSI runs it as
// deferred custom actions with the machine's rights:
//
//   azcm_setup install   --install-dir DIR   after the files and services are installed
//   azcm_setup uninstall --install-dir DIR   before they are removed (not on an upgrade)
//
// Exit code 0 on success; otherwise 1 with the reason on stderr, which the MSI log keeps, and
// the installation rolls back.
#include "setup/agent_setup.hpp"

#include <iostream>

#include <CLI/CLI.hpp>

namespace {

int run(int argc, char** argv) {
    CLI::App app{"Machine settings of the Azure Connected Machine Agent's Windows installer"};
    app.require_subcommand(1);
    std::string install_dir;
    auto* install = app.add_subcommand("install", "create the group, directories, variables");
    install->add_option("--install-dir", install_dir, "the agent's program directory")->required();
    auto* uninstall = app.add_subcommand("uninstall", "remove what install added but the data");
    uninstall->add_option("--install-dir", install_dir, "the agent's program directory")
        ->required();
    CLI11_PARSE(app, argc, argv);

    // The MSI passes "[INSTALLDIR]." (so the folder's trailing backslash cannot escape the
    // closing quote): normalized, and without a trailing separator, it is the folder's name.
    auto directory = std::filesystem::path(install_dir).lexically_normal();
    if (!directory.has_filename() && directory.has_relative_path()) {
        directory = directory.parent_path();
    }
    const auto done = install->parsed()
                          ? azcm::setup::install(azcm::Paths::fromEnvironment(), directory)
                          : azcm::setup::uninstall(directory);
    if (!done) {
        std::cerr << "azcm_setup: " << done.error().message << '\n';
        return 1;
    }
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const std::exception& failure) {
        // The MSI log keeps it; the installation rolls back.
        std::cerr << "azcm_setup: " << failure.what() << '\n';
        return 1;
    }
}
