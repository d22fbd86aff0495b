#include "host_agent.hpp"

#include "common/fs/atomic_file.hpp"
#include "common/ipc/ipc_client.hpp"
#include "common/paths/paths.hpp"

#include <algorithm>
#include <iostream>
#include <stdexcept>
#include <system_error>
#include <thread>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace azcm::test {

namespace stdfs = std::filesystem;
using namespace std::chrono_literals;

namespace {

// Every variable that relocates the agent or changes what the tests expect of the host's himds.
constexpr const char* kSandboxVariables[] = {"AZCM_ROOT", "AZCM_TOKEN_GROUP", "AZCM_IMDS_PORT",
                                             "AZCM_IMDS_RATE_LIMIT", "AZCM_HEARTBEAT_INTERVAL"};

const Paths& hostPaths() {
    static const Paths paths("/");
    return paths;
}

// A TCP connect, not a bind: it sees a listener whatever address family or socket options it used.
bool acceptsConnections(int family, const char* address, std::uint16_t port) {
    const int fd = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return false;
    }
    int result = -1;
    if (family == AF_INET) {
        sockaddr_in target{};
        target.sin_family = AF_INET;
        target.sin_port = htons(port);
        ::inet_pton(AF_INET, address, &target.sin_addr);
        result = ::connect(fd, reinterpret_cast<const sockaddr*>(&target), sizeof(target));
    } else {
        sockaddr_in6 target{};
        target.sin6_family = AF_INET6;
        target.sin6_port = htons(port);
        ::inet_pton(AF_INET6, address, &target.sin6_addr);
        result = ::connect(fd, reinterpret_cast<const sockaddr*>(&target), sizeof(target));
    }
    ::close(fd);
    return result == 0;
}

bool himdsAnswers(const stdfs::path& socket) {
    return ipc::call(socket, http::Verb::get, "/status", {}, 2s).has_value();
}

std::set<stdfs::path> entriesUnder(const stdfs::path& directory) {
    std::set<stdfs::path> entries;
    std::error_code ec;
    for (stdfs::recursive_directory_iterator it(directory, ec), end; !ec && it != end;
         it.increment(ec)) {
        entries.insert(it->path());
    }
    return entries;
}

} // namespace

std::vector<std::string> withoutSandboxEnvironment(const std::vector<std::string>& argv) {
    std::vector<std::string> wrapped = {"/usr/bin/env"};
    for (const char* name : kSandboxVariables) {
        wrapped.emplace_back("-u");
        wrapped.emplace_back(name);
    }
    wrapped.insert(wrapped.end(), argv.begin(), argv.end());
    return wrapped;
}

HostAgentGuard::HostAgentGuard() {
    const auto& paths = hostPaths();
    if (::geteuid() != 0) {
        throw std::runtime_error("these tests use the host's real agent paths and port " +
                                 std::to_string(kDefaultImdsPort) +
                                 ": run them as root (scripts/test.sh runs them only as root)");
    }
    if (stdfs::exists(paths.agentConfig())) {
        throw std::runtime_error(
            paths.agentConfig().string() +
            " exists: this host has an agent of its own, which the test must not touch. Run the "
            "root tests on a machine without an installed agent.");
    }
    if (himdsAnswers(paths.socketFor("himds"))) {
        throw std::runtime_error("a himds this test did not start answers on " +
                                 paths.socketFor("himds").string() + ": stop it first");
    }
    if (acceptsConnections(AF_INET, "127.0.0.1", kDefaultImdsPort) ||
        acceptsConnections(AF_INET6, "::1", kDefaultImdsPort)) {
        throw std::runtime_error("something this test did not start listens on port " +
                                 std::to_string(kDefaultImdsPort) +
                                 " (a himds?): stop it first (ss -ltnp sport = 40342)");
    }
    const auto data_dir = paths.agentDataDir();
    data_dir_parent_existed_ = stdfs::exists(data_dir.parent_path());
    data_dir_existed_ = stdfs::exists(data_dir);
    existing_entries_ = entriesUnder(data_dir);
    for (const auto& entry : existing_entries_) {
        std::error_code ec;
        if (stdfs::is_regular_file(stdfs::symlink_status(entry, ec))) {
            existing_file_sizes_[entry] = stdfs::file_size(entry, ec);
        }
    }
}

HostAgentGuard::~HostAgentGuard() {
    const auto data_dir = hostPaths().agentDataDir();
    std::error_code ignored;
    if (!data_dir_existed_) {
        stdfs::remove_all(data_dir, ignored);
        if (!data_dir_parent_existed_) {
            stdfs::remove(data_dir.parent_path(), ignored); // only if empty
        }
        return;
    }
    // Only the outermost new entries: removing them takes whatever was created inside.
    for (const auto& entry : entriesUnder(data_dir)) {
        if (!existing_entries_.contains(entry) &&
            (entry.parent_path() == data_dir || existing_entries_.contains(entry.parent_path()))) {
            stdfs::remove_all(entry, ignored);
        }
    }
    for (const auto& [file, size] : existing_file_sizes_) {
        std::error_code missing;
        if (const auto now = stdfs::file_size(file, missing); !missing && now > size) {
            stdfs::resize_file(file, size, ignored);
        }
    }
}

HostHimds::HostHimds(stdfs::path output) : output_(std::move(output)) {
    SpawnOptions options;
    options.stdout_file = output_.string();
    const auto socket = hostPaths().socketFor("himds");
    // 40342 lies in the kernel's ephemeral port range: another process's loopback connection can
    // hold it for a moment (nothing listens there: HostAgentGuard checked), and then the bind
    // fails. That is the host's doing, not himds's: wait and try again, a few times.
    constexpr int kAttempts = 5;
    for (int attempt = 1;; ++attempt) {
        process_.start(withoutSandboxEnvironment({binDir() + "/himds"}), options);
        const bool ready =
            waitUntil([&] { return !process_.running() || himdsAnswers(socket); }, 30s);
        if (ready && process_.running()) {
            return;
        }
        process_.stop();
        const bool port_taken = this->output().find("Address already in use") != std::string::npos;
        if (!port_taken || attempt == kAttempts) {
            throw std::runtime_error("himds did not start on the host's paths: " + this->output());
        }
        std::cerr << "port " << kDefaultImdsPort << " is held by another socket; retrying ("
                  << attempt << "/" << kAttempts << ")\n";
        std::this_thread::sleep_for(2s);
    }
}

HostHimds::~HostHimds() {
    process_.stop();
}

nlohmann::json HostHimds::status() const {
    auto response = ipc::call(hostPaths().socketFor("himds"), http::Verb::get, "/status", {}, 5s);
    if (!response) {
        return nlohmann::json::object();
    }
    return nlohmann::json::parse(response.value().body(), nullptr, false);
}

std::vector<std::string> HostHimds::environment() const {
    auto text = fs::readFile("/proc/" + std::to_string(pid()) + "/environ", 1024 * 1024);
    std::vector<std::string> variables;
    if (!text) {
        return variables;
    }
    std::string_view rest = text.value();
    while (!rest.empty()) {
        const auto end = std::min(rest.find('\0'), rest.size());
        variables.emplace_back(rest.substr(0, end));
        rest.remove_prefix(std::min(end + 1, rest.size()));
    }
    return variables;
}

std::string HostHimds::output() const {
    auto text = fs::readFile(output_);
    return text ? text.value() : std::string("<no himds output>");
}

int HostHimds::stop() {
    return process_.stop();
}

CommandResult hostAzcmagent(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {binDir() + "/azcmagent"};
    argv.insert(argv.end(), args.begin(), args.end());
    SpawnOptions options;
    // As the sandbox does: connect refuses an Azure VM host unless evaluating.
    options.env = {{"MSFT_ARC_TEST", "true"}};
    return runCommand(withoutSandboxEnvironment(argv), options, 180s);
}

} // namespace azcm::test
