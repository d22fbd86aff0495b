#include "process.hpp"

#include <array>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <stdexcept>
#include <thread>

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ; // NOLINT

namespace azcm::test {

namespace {

std::vector<std::string> buildEnvironment(const std::map<std::string, std::string>& extra) {
    std::map<std::string, std::string> merged;
    for (char** entry = environ; *entry != nullptr; ++entry) {
        std::string text(*entry);
        auto eq = text.find('=');
        if (eq != std::string::npos) {
            merged[text.substr(0, eq)] = text.substr(eq + 1);
        }
    }
    for (const auto& [key, value] : extra) {
        merged[key] = value;
    }
    std::vector<std::string> out;
    out.reserve(merged.size());
    for (const auto& [key, value] : merged) {
        out.push_back(key + "=" + value);
    }
    return out;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
    std::vector<char*> out;
    out.reserve(strings.size() + 1);
    for (auto& s : strings) {
        out.push_back(s.data());
    }
    out.push_back(nullptr);
    return out;
}

// In the child, between fork and exec: only async-signal-safe calls.
[[noreturn]] void execChild(std::vector<char*>& argv,
                            std::vector<char*>& envp,
                            const SpawnOptions& options,
                            gid_t gid) {
    if (options.as_uid) {
        if (::setgroups(options.supplementary_groups.size(), options.supplementary_groups.data()) !=
                0 ||
            ::setgid(gid) != 0 || ::setuid(*options.as_uid) != 0) {
            ::_exit(126);
        }
    }
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
}

gid_t groupOf(std::optional<uid_t> uid) {
    if (!uid) {
        return ::getgid();
    }
    struct passwd* pw = ::getpwuid(*uid); // NOLINT(concurrency-mt-unsafe): test code
    return pw != nullptr ? pw->pw_gid : static_cast<gid_t>(65534);
}

int decodeStatus(int status) {
    if (WIFEXITED(status)) {
        return WEXITSTATUS(status);
    }
    if (WIFSIGNALED(status)) {
        return 128 + WTERMSIG(status);
    }
    return -1;
}

} // namespace

CommandResult runCommand(const std::vector<std::string>& argv_in,
                         const SpawnOptions& options,
                         std::chrono::seconds timeout) {
    std::vector<std::string> argv_strings = argv_in;
    auto argv = pointers(argv_strings);
    auto env_strings = buildEnvironment(options.env);
    auto envp = pointers(env_strings);
    gid_t gid = groupOf(options.as_uid);

    std::array<int, 2> out_pipe{};
    std::array<int, 2> err_pipe{};
    if (::pipe2(out_pipe.data(), O_CLOEXEC) != 0 || ::pipe2(err_pipe.data(), O_CLOEXEC) != 0) {
        throw std::runtime_error("pipe failed");
    }
    pid_t pid = ::fork();
    if (pid < 0) {
        throw std::runtime_error("fork failed");
    }
    if (pid == 0) {
        ::dup2(out_pipe[1], 1);
        ::dup2(err_pipe[1], 2);
        int devnull = ::open("/dev/null", O_RDONLY);
        ::dup2(devnull, 0);
        execChild(argv, envp, options, gid);
    }
    ::close(out_pipe[1]);
    ::close(err_pipe[1]);

    CommandResult result;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    std::array<pollfd, 2> fds{pollfd{out_pipe[0], POLLIN, 0}, pollfd{err_pipe[0], POLLIN, 0}};
    int open_fds = 2;
    bool killed = false;
    while (open_fds > 0) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0 && !killed) {
            ::kill(pid, SIGKILL);
            killed = true;
        }
        int ready = ::poll(fds.data(), fds.size(), 200);
        if (ready < 0 && errno != EINTR) {
            break;
        }
        for (std::size_t i = 0; i < fds.size(); ++i) {
            if (fds.at(i).fd < 0 || (fds.at(i).revents & (POLLIN | POLLHUP | POLLERR)) == 0) {
                continue;
            }
            std::array<char, 4096> buf{};
            ssize_t n = ::read(fds.at(i).fd, buf.data(), buf.size());
            if (n <= 0) {
                ::close(fds.at(i).fd);
                fds.at(i).fd = -1;
                --open_fds;
                continue;
            }
            (i == 0 ? result.out : result.err).append(buf.data(), static_cast<std::size_t>(n));
        }
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    result.exit_code = killed ? -1 : decodeStatus(status);
    return result;
}

DaemonProcess::~DaemonProcess() {
    if (pid_ > 0 && !exit_code_) {
        ::kill(pid_, SIGKILL);
        int status = 0;
        ::waitpid(pid_, &status, 0);
    }
}

void DaemonProcess::start(const std::vector<std::string>& argv_in, const SpawnOptions& options) {
    std::vector<std::string> argv_strings = argv_in;
    auto argv = pointers(argv_strings);
    auto env_strings = buildEnvironment(options.env);
    auto envp = pointers(env_strings);
    gid_t gid = groupOf(options.as_uid);
    std::string out_file = options.stdout_file.empty() ? "/dev/null" : options.stdout_file;
    exit_code_.reset();
    pid_ = ::fork();
    if (pid_ < 0) {
        throw std::runtime_error("fork failed");
    }
    if (pid_ == 0) {
        int out = ::open(out_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        int devnull = ::open("/dev/null", O_RDONLY);
        ::dup2(devnull, 0);
        ::dup2(out, 1);
        ::dup2(out, 2);
        execChild(argv, envp, options, gid);
    }
}

bool DaemonProcess::running() {
    if (pid_ <= 0 || exit_code_) {
        return false;
    }
    int status = 0;
    pid_t done = ::waitpid(pid_, &status, WNOHANG);
    if (done == pid_) {
        exit_code_ = decodeStatus(status);
        return false;
    }
    return true;
}

int DaemonProcess::stop(std::chrono::seconds deadline) {
    if (!running()) {
        return exit_code_.value_or(-1);
    }
    ::kill(pid_, SIGTERM);
    if (waitUntil([this] { return !running(); }, deadline)) {
        return *exit_code_;
    }
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    exit_code_ = -1;
    return -1;
}

bool waitUntil(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (condition()) {
            return true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return condition();
}

std::string binDir() {
    const char* dir = std::getenv("AZCM_BIN_DIR"); // NOLINT(concurrency-mt-unsafe)
    if (dir == nullptr) {
        throw std::runtime_error("AZCM_BIN_DIR is not set (run the tests through ctest)");
    }
    return dir;
}

} // namespace azcm::test
