#include "hostile_environment.hpp"

#include <cstdlib>
#include <fstream>

namespace azcm::test {

namespace {

namespace stdfs = std::filesystem;

constexpr const char* kPlantedNames[] = {"env",       "id",         "sh",      "true",      "echo",
                                         "systemctl", "journalctl", "apt-get", "dpkg-query"};

} // namespace

HostileEnvironment::HostileEnvironment() {
    const auto marker = dir_.path() / "planted-ran";
    for (const char* name : kPlantedNames) {
        const auto program = dir_.path() / name;
        std::ofstream(program) << "#!/bin/sh\necho planted >> '" << marker.string()
                               << "'\necho PLANTED-" << name << "\n";
        stdfs::permissions(program, stdfs::perms(0755));
    }
    const std::map<std::string, std::string> hostile = {
        {"PATH", ":" + dir_.path().string() + ":/usr/bin:/bin"},
        {"LD_PRELOAD", (dir_.path() / "libazcm-preload.so").string()},
        {"LD_LIBRARY_PATH", dir_.path().string()},
        {kPrivateName, kPrivateValue},
        {"IDENTITY_ENDPOINT", "http://localhost:40342/metadata/identity/oauth2/token"},
        {"LC_ALL", "C"},
    };
    for (const auto& [name, value] : hostile) {
        const char* old = std::getenv(name.c_str()); // NOLINT(concurrency-mt-unsafe): test code
        saved_[name] = old != nullptr ? std::optional<std::string>(old) : std::nullopt;
        ::setenv(name.c_str(), value.c_str(), 1); // NOLINT(concurrency-mt-unsafe)
    }
    old_cwd_ = stdfs::current_path();
    stdfs::current_path(dir_.path());
}

HostileEnvironment::~HostileEnvironment() {
    std::error_code ignored;
    stdfs::current_path(old_cwd_, ignored);
    for (const auto& [name, value] : saved_) {
        if (value) {
            ::setenv(name.c_str(), value->c_str(), 1); // NOLINT(concurrency-mt-unsafe)
        } else {
            ::unsetenv(name.c_str()); // NOLINT(concurrency-mt-unsafe)
        }
    }
}

bool HostileEnvironment::plantedRan() const {
    return stdfs::exists(dir_.path() / "planted-ran");
}

std::string HostileEnvironment::leaksIn(const std::string& env_output) const {
    std::string leaks;
    for (const char* needle : {"LD_PRELOAD=", "LD_LIBRARY_PATH=", kPrivateName, "PLANTED-"}) {
        if (env_output.find(needle) != std::string::npos) {
            leaks += std::string(leaks.empty() ? "" : ", ") + needle;
        }
    }
    if (env_output.find("\nPATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n") ==
            std::string::npos &&
        env_output.rfind("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n",
                         0) != 0) {
        leaks += std::string(leaks.empty() ? "" : ", ") + "PATH is not the fixed safe PATH";
    }
    if (plantedRan()) {
        leaks += std::string(leaks.empty() ? "" : ", ") + "a planted program ran";
    }
    return leaks.empty() ? "" : "the child saw: " + leaks + "\n" + env_output;
}

} // namespace azcm::test
