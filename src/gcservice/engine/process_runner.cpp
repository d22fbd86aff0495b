#include "process_runner.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

namespace azcm::gc {

namespace {

constexpr std::size_t kMaxOutput = 8 * 1024;

} // namespace

Result<CommandOutcome> runProcess(const std::vector<std::string>& argv,
                                  std::chrono::milliseconds timeout,
                                  const platform::EnvironmentMap& extra_env) {
    if (argv.empty()) {
        return makeError(exitcode::kInvalidArgument, "empty command");
    }
    // Resolved and built in the parent: between fork and exec only async-signal-safe calls are
    // allowed. A program that cannot be found is reported as the shell would (127).
    auto resolved = platform::resolveProgram(argv.front());
    if (!resolved) {
        CommandOutcome missing;
        missing.exit_code = 127;
        missing.output = resolved.error().message + "\n";
        return missing;
    }
    const std::string program = resolved.value().string();
    std::vector<char*> args;
    for (const auto& arg : argv) {
        args.push_back(const_cast<char*>(arg.c_str()));
    }
    args.push_back(nullptr);
    platform::EnvironmentBlock environment(
        platform::childEnvironment(platform::processEnvironment(), extra_env));

    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
        return makeError(exitcode::kGeneric, std::string("pipe: ") + std::strerror(errno));
    }
    int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    pid_t pid = ::fork();
    if (pid < 0) {
        ::close(pipe_fds[0]);
        ::close(pipe_fds[1]);
        if (null_fd >= 0) {
            ::close(null_fd);
        }
        return makeError(exitcode::kGeneric, std::string("fork: ") + std::strerror(errno));
    }
    if (pid == 0) {
        // Scripts start with default signal handling, whatever the daemon blocks or ignores.
        sigset_t none;
        ::sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        ::signal(SIGPIPE, SIG_DFL);
        ::setpgid(0, 0);
        if (null_fd >= 0) {
            ::dup2(null_fd, STDIN_FILENO);
        }
        ::dup2(pipe_fds[1], STDOUT_FILENO);
        ::dup2(pipe_fds[1], STDERR_FILENO);
        ::execve(program.c_str(), args.data(), environment.envp());
        static const char kMessage[] = "cannot execute the program\n";
        [[maybe_unused]] auto written = ::write(STDERR_FILENO, kMessage, sizeof kMessage - 1);
        ::_exit(127);
    }
    ::close(pipe_fds[1]);
    if (null_fd >= 0) {
        ::close(null_fd);
    }

    CommandOutcome outcome;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    char buffer[4096];
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            outcome.timed_out = true;
            break;
        }
        pollfd pfd{pipe_fds[0], POLLIN, 0};
        int ready = ::poll(&pfd, 1, static_cast<int>(left.count()));
        if (ready < 0 && errno == EINTR) {
            continue;
        }
        if (ready <= 0) {
            outcome.timed_out = ready == 0;
            break;
        }
        ssize_t n = ::read(pipe_fds[0], buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break; // EOF: every writer, including grandchildren, closed the pipe
        }
        std::size_t room = kMaxOutput - std::min(kMaxOutput, outcome.output.size());
        outcome.output.append(buffer, std::min(room, static_cast<std::size_t>(n)));
    }
    ::close(pipe_fds[0]);
    int status = 0;
    // The child may close its output and keep running: the deadline still holds.
    while (!outcome.timed_out) {
        pid_t done = ::waitpid(pid, &status, WNOHANG);
        if (done == pid || (done < 0 && errno != EINTR)) {
            break;
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            outcome.timed_out = true;
            break;
        }
        ::usleep(5000);
    }
    if (outcome.timed_out) {
        ::kill(-pid, SIGKILL);
        while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
    }
    outcome.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return outcome;
}

} // namespace azcm::gc
