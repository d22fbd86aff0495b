#include "common/platform/child_process.hpp"
#include "common/platform/system_error_text.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <csignal>
#include <cstdint>

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

namespace azcm::platform {

namespace {

using Clock = std::chrono::steady_clock;

// What the child reports through the launch pipe when it cannot become the program.
enum class LaunchStage : int { kWorkingDirectory = 1, kExecute = 2 };
struct LaunchFailure {
    LaunchStage stage;
    int error_number;
};

Error systemError(const std::string& what, int error_number) {
    return makeError(exitcode::kGeneric, what + ": " + systemErrorText(error_number));
}

void closeQuietly(int& descriptor) {
    if (descriptor >= 0) {
        ::close(descriptor);
        descriptor = -1;
    }
}

struct Pipe {
    int read = -1;
    int write = -1;
    Pipe() = default;
    Pipe(const Pipe&) = delete;
    Pipe& operator=(const Pipe&) = delete;
    Pipe(Pipe&&) = delete;
    Pipe& operator=(Pipe&&) = delete;
    ~Pipe() {
        closeQuietly(read);
        closeQuietly(write);
    }
    Result<void> open() {
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) != 0) {
            return systemError("pipe", errno);
        }
        read = fds[0];
        write = fds[1];
        return ok();
    }
};

// A stream's capture: the first or the last `limit` bytes of it, and how many it carried.
class Capture {
public:
    Capture(
        std::string& text, std::size_t& total, std::size_t limit, KeptOutput kept, bool& truncated)
        : text_(text), total_(total), limit_(limit), kept_(kept), truncated_(truncated) {}

    bool full() const { return kept_ == KeptOutput::kFirst && text_.size() >= limit_; }
    std::size_t total() const { return total_; }

    void append(const char* bytes, std::size_t size) {
        total_ += size;
        if (kept_ == KeptOutput::kFirst) {
            const std::size_t room = limit_ - std::min(limit_, text_.size());
            text_.append(bytes, std::min(room, size));
            truncated_ = truncated_ || size > room;
            return;
        }
        text_.append(bytes, size);
        if (text_.size() > limit_) {
            text_.erase(0, text_.size() - limit_);
            truncated_ = true;
        }
    }

private:
    std::string& text_;
    std::size_t& total_;
    std::size_t limit_;
    KeptOutput kept_;
    bool& truncated_;
};

// The highest descriptor number the child may have inherited, for closing them all before exec.
int descriptorCeiling() {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) {
        return 65536;
    }
    return static_cast<int>(std::min<rlim_t>(limit.rlim_cur, 1 << 20));
}

// In the child, between fork and exec: async-signal-safe calls only.
[[noreturn]] void becomeProgram(const char* program,
                                char* const* argv,
                                char* const* envp,
                                const char* working_directory,
                                int go_read,
                                int go_write,
                                int report_write,
                                int null_fd,
                                int out_write,
                                int err_write,
                                int descriptor_ceiling,
                                bool new_session) {
    // The program starts with default signal handling, whatever the daemon blocks or ignores.
    sigset_t none;
    ::sigemptyset(&none);
    ::pthread_sigmask(SIG_SETMASK, &none, nullptr);
    ::signal(SIGPIPE, SIG_DFL);
    if (new_session) {
        ::setsid();
    } else {
        ::setpgid(0, 0);
    }
    // Our copy of the write end goes first: were the parent killed before it says go, the read
    // must see end-of-file, not wait forever while this copy of the daemon's descriptors (its
    // socket lock among them) keeps another instance from starting.
    ::close(go_write);
    char go = 0;
    while (::read(go_read, &go, 1) < 0 && errno == EINTR) {
    }
    if (go != 1) {
        ::_exit(127); // the parent refused the launch, or died before it decided
    }
    auto fail = [report_write](LaunchStage stage) {
        const LaunchFailure failure{stage, errno};
        [[maybe_unused]] auto written = ::write(report_write, &failure, sizeof failure);
        ::_exit(127);
    };
    if (working_directory != nullptr && ::chdir(working_directory) != 0) {
        fail(LaunchStage::kWorkingDirectory);
    }
    ::dup2(null_fd, STDIN_FILENO);
    ::dup2(out_write, STDOUT_FILENO);
    ::dup2(err_write, STDERR_FILENO);
    // Nothing of the daemon's (sockets, lock files, journals) reaches the program; the report
    // pipe closes itself at exec.
    bool closed = false;
#ifdef CLOSE_RANGE_CLOEXEC // glibc with close_range(2): no loop over a large descriptor limit
    const auto report = static_cast<unsigned>(report_write);
    closed =
        (report == STDERR_FILENO + 1 || ::close_range(STDERR_FILENO + 1, report - 1, 0) == 0) &&
        ::close_range(report + 1, ~0U, 0) == 0;
#endif
    for (int fd = STDERR_FILENO + 1; !closed && fd < descriptor_ceiling; ++fd) {
        if (fd != report_write) {
            ::close(fd);
        }
    }
    ::execve(program, argv, envp);
    fail(LaunchStage::kExecute);
    ::_exit(127);
}

void killAndReap(pid_t pid, int& status) {
    ::kill(-pid, SIGKILL);
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
}

// Whether the program itself has exited (and is reaped: `status` is its status).
bool reapedWithoutWaiting(pid_t pid, int& status) {
    pid_t done = 0;
    while ((done = ::waitpid(pid, &status, WNOHANG)) < 0 && errno == EINTR) {
    }
    return done == pid;
}

// A process group exists once its leader made it; a child making a session of its own must do
// that itself (the parent's setpgid would make it a group leader, and its setsid then fails).
void awaitOwnGroup(pid_t pid) {
    for (int i = 0; i < 5000 && ::getpgid(pid) != pid; ++i) {
        ::usleep(200);
    }
}

// One read from a stream that poll() reported; the stream is marked closed at its end.
bool readInto(pollfd& stream, Capture& capture) {
    std::array<char, 4096> buffer{};
    ssize_t n = 0;
    while ((n = ::read(stream.fd, buffer.data(), buffer.size())) < 0 && errno == EINTR) {
    }
    if (n <= 0) {
        stream.fd = -1; // closed by its Pipe
        return false;
    }
    capture.append(buffer.data(), static_cast<std::size_t>(n));
    return true;
}

// What is already in the pipes when the program exited; a process it left behind may write
// without end, so this stops at `budget` bytes.
void readWhatIsThere(std::array<pollfd, 2>& streams, Capture* captures, std::size_t budget) {
    for (std::size_t i = 0; i < streams.size(); ++i) {
        const std::size_t before = captures[i].total();
        while (streams[i].fd >= 0 && captures[i].total() - before < budget) {
            pollfd probe{streams[i].fd, POLLIN, 0};
            if (::poll(&probe, 1, 0) <= 0 || !readInto(streams[i], captures[i])) {
                break;
            }
        }
    }
}

} // namespace

Result<ChildProcessResult> runChildProcess(const ChildProcessSpec& spec) {
    if (spec.argv.empty()) {
        return makeError(exitcode::kInvalidArgument, "empty command");
    }
    // Resolved and built here: between fork and exec only async-signal-safe calls are allowed.
    auto resolved = resolveProgram(spec.argv.front());
    if (!resolved) {
        return resolved.error();
    }
    const std::string program = resolved.value().string();
    std::vector<char*> argv;
    for (const auto& arg : spec.argv) {
        argv.push_back(const_cast<char*>(arg.c_str()));
    }
    argv.push_back(nullptr);
    EnvironmentBlock environment(spec.environment);
    const std::string working_directory = spec.working_directory.string();
    const int descriptor_ceiling = descriptorCeiling();

    Pipe go;
    Pipe report;
    Pipe out;
    Pipe err;
    BOOST_OUTCOME_TRY(go.open());
    BOOST_OUTCOME_TRY(report.open());
    BOOST_OUTCOME_TRY(out.open());
    if (!spec.merge_stderr) {
        BOOST_OUTCOME_TRY(err.open());
    }
    int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null_fd < 0) {
        return systemError("/dev/null", errno);
    }
    const pid_t pid = ::fork();
    if (pid < 0) {
        const int error_number = errno;
        closeQuietly(null_fd);
        return systemError("fork", error_number);
    }
    if (pid == 0) {
        becomeProgram(program.c_str(), argv.data(), environment.envp(),
                      working_directory.empty() ? nullptr : working_directory.c_str(), go.read,
                      go.write, report.write, null_fd, out.write,
                      spec.merge_stderr ? out.write : err.write, descriptor_ceiling,
                      spec.new_session);
    }
    closeQuietly(null_fd);
    closeQuietly(go.read);
    closeQuietly(report.write);
    closeQuietly(out.write);
    closeQuietly(err.write);
    if (spec.new_session) {
        awaitOwnGroup(pid);
    } else {
        // Also here, so the group exists whichever of parent and child runs first.
        ::setpgid(pid, pid);
    }
    int status = 0;
    if (spec.before_exec) {
        if (auto placed = spec.before_exec(static_cast<int>(pid)); !placed) {
            killAndReap(pid, status);
            return placed.error();
        }
    }
    const char start = 1;
    [[maybe_unused]] auto started = ::write(go.write, &start, 1);
    closeQuietly(go.write);
    // The report pipe closes at a successful exec; bytes on it say why there was none.
    LaunchFailure failure{};
    ssize_t reported = 0;
    while ((reported = ::read(report.read, &failure, sizeof failure)) < 0 && errno == EINTR) {
    }
    if (reported == static_cast<ssize_t>(sizeof failure)) {
        while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        return failure.stage == LaunchStage::kWorkingDirectory
                   ? systemError("cannot enter " + working_directory, failure.error_number)
                   : systemError("cannot run " + program, failure.error_number);
    }

    ChildProcessResult result;
    Capture captures[2] = {Capture(result.output, result.output_bytes, spec.output_limit, spec.kept,
                                   result.output_truncated),
                           Capture(result.error_output, result.error_output_bytes,
                                   spec.output_limit, spec.kept, result.output_truncated)};
    std::array<pollfd, 2> streams{pollfd{out.read, POLLIN, 0}, pollfd{err.read, POLLIN, 0}};
    const auto deadline = Clock::now() + spec.timeout;
    const bool until_exit = spec.ends == RunEnds::kWhenProgramExits;
    // How often a run that ends with its program looks whether it has.
    constexpr int kExitCheckMs = 50;
    bool stopped = false; // a capture filled up (stop_when_full)
    bool exited = false;  // the program exited and was reaped (kWhenProgramExits)
    // Read until every writer, grandchildren included, closed its end (or the program exited,
    // when that ends the run), or the deadline.
    while (!stopped && !exited && (streams[0].fd >= 0 || streams[1].fd >= 0)) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0) {
            result.timed_out = true;
            break;
        }
        const int wait_ms = static_cast<int>(
            until_exit ? std::min<std::int64_t>(left.count(), kExitCheckMs) : left.count());
        const int ready = ::poll(streams.data(), streams.size(), wait_ms);
        if (ready < 0 && errno != EINTR) {
            break;
        }
        for (std::size_t i = 0; ready > 0 && i < streams.size(); ++i) {
            if (streams[i].fd >= 0 && streams[i].revents != 0 &&
                readInto(streams[i], captures[i])) {
                stopped = spec.stop_when_full && captures[i].full();
            }
        }
        if (until_exit && reapedWithoutWaiting(pid, status)) {
            exited = true;
            readWhatIsThere(streams, captures, 4 * spec.output_limit + 65536);
        }
    }
    if (stopped) {
        result.output_truncated = true;
        killAndReap(pid, status);
    }
    // The child may close its output and keep running: the deadline still holds.
    while (!result.timed_out && !stopped && !exited) {
        const pid_t done = ::waitpid(pid, &status, WNOHANG);
        if (done == pid || (done < 0 && errno != EINTR)) {
            break;
        }
        if (Clock::now() >= deadline) {
            result.timed_out = true;
            break;
        }
        ::usleep(5000);
    }
    if (result.timed_out) {
        killAndReap(pid, status);
    }
    if (WIFEXITED(status)) {
        result.exit_code = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
        result.term_signal = WTERMSIG(status);
    }
    return result;
}

} // namespace azcm::platform
