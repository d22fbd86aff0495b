#include "azcmagent/environment.hpp"

#include "common/ipc/ipc_client.hpp"
#include "common/platform/child_environment.hpp"
#include "common/platform/machine_facts.hpp"
#include "common/platform/process_identity.hpp"
#include "common/platform/process_setup.hpp"

#include <iostream>

namespace azcm::azcmagent {

namespace {

std::string systemHostName() {
    std::string name = platform::hostName();
    // The resource name is the short host name, like the real agent.
    if (auto dot = name.find('.'); dot != std::string::npos) {
        name.resize(dot);
    }
    return name;
}

} // namespace

Environment systemEnvironment() {
    Environment env;
    env.paths = Paths::fromEnvironment();
    env.is_elevated = [] { return platform::isElevated(); };
    // The DMI files are read under AZCM_ROOT, so a sandbox on an Azure-hosted CI runner is not
    // taken for an Azure VM.
    env.is_azure_vm = [root = env.paths.root()] { return platform::isAzureVirtualMachine(root); };
    env.host_name = systemHostName;
    env.get_env = &platform::environmentVariable;
    env.machine_facts = [] { return platform::collectMachineFacts("/"); };
    env.himds = [socket = env.paths.socketFor("himds")](
                    http::Verb method, const std::string& target, const std::string& body,
                    std::chrono::milliseconds timeout) {
        return ipc::call(socket, method, target, body, timeout);
    };
    env.https = [](const http::SimpleRequest& request, const http::ClientOptions& options) {
        return http::HttpsClient(options).send(request);
    };
    env.now = wallClock();
    env.in = &std::cin;
    env.out = &std::cout;
    env.err = &std::cerr;
    env.interactive = platform::standardOutputIsTerminal();
    return env;
}

} // namespace azcm::azcmagent
