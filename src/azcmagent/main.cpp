// azcmagent: the administrator's command line (docs/cli.md). All logic is in azcmagent_core.
#include "azcmagent/app.hpp"
#include "azcmagent/environment.hpp"
#include "common/error.hpp"

#include <exception>
#include <iostream>
#include <string>
#include <vector>

int main(int argc, char** argv) {
    try {
        std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
        return azcm::azcmagent::runCli(args, azcm::azcmagent::systemEnvironment());
    } catch (const std::exception& e) {
        std::cerr << "AZCM0002: internal error: " << e.what() << '\n';
        return azcm::exitcode::kInternal;
    }
}
