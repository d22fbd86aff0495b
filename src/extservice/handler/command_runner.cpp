#include "command_runner.hpp"

#include "fs/atomic_file.hpp"
#include "log/log.hpp"
#include "platform/child_environment.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

namespace azcm::ext {

namespace {

namespace stdfs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kMessageTailChars = 3200; // C.6: what telemetry keeps of the output

// Keeps the last `limit` bytes of a stream without unbounded growth.
class TailBuffer {
public:
    explicit TailBuffer(std::size_t limit) : limit_(limit) {}
    void append(const char* data, std::size_t size) {
        total_ += size;
        text_.append(data, size);
        if (text_.size() > 2 * limit_ + 4096) {
            text_.erase(0, text_.size() - limit_);
        }
    }
    std::string tail() const {
        return text_.size() > limit_ ? text_.substr(text_.size() - limit_) : text_;
    }
    std::size_t total() const { return total_; }

private:
    std::size_t limit_;
    std::size_t total_ = 0;
    std::string text_;
};

std::string utcStamp() {
    const auto now = std::chrono::system_clock::now();
    const std::time_t t = std::chrono::system_clock::to_time_t(now);
    std::tm tm{};
    gmtime_r(&t, &tm);
    std::array<char, 32> buf{};
    std::strftime(buf.data(), buf.size(), "%Y%m%dT%H%M%S", &tm);
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()) % 1000;
    std::array<char, 8> msbuf{};
    std::snprintf(msbuf.data(), msbuf.size(), "%03d", static_cast<int>(ms.count()));
    return std::string(buf.data()) + msbuf.data() + "Z";
}

// Deletes the oldest capture files until the directory fits its budget.
void enforceBudget(const stdfs::path& dir, std::size_t budget) {
    std::error_code ec;
    std::vector<std::pair<stdfs::path, std::uintmax_t>> files;
    for (const auto& entry : stdfs::directory_iterator(dir, ec)) {
        if (entry.is_regular_file(ec)) {
            files.emplace_back(entry.path(), entry.file_size(ec));
        }
    }
    std::sort(files.begin(), files.end()); // names start with a UTC time stamp: oldest first
    std::uintmax_t total = 0;
    for (const auto& f : files) {
        total += f.second;
    }
    // The newest file (the command just run) always stays, even when it alone is over budget.
    for (std::size_t i = 0; i + 1 < files.size() && total > budget; ++i) {
        if (stdfs::remove(files[i].first, ec)) {
            total -= files[i].second;
        }
    }
}

void setNonBlocking(int fd) {
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
}

// Reads what is available; false at EOF or on error.
bool drain(int fd, TailBuffer& buffer) {
    std::array<char, 16384> chunk{};
    for (;;) {
        const ssize_t n = ::read(fd, chunk.data(), chunk.size());
        if (n > 0) {
            buffer.append(chunk.data(), static_cast<std::size_t>(n));
            continue;
        }
        if (n < 0 && errno == EINTR) {
            continue;
        }
        return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
    }
}

// Is any member of the group alive and not a zombie? (/proc scan: kill(-pgid, 0) also counts
// zombies that an init which does not reap would keep forever.)
bool groupHasLiveMembers(pid_t pgid) {
    std::error_code ec;
    for (const auto& entry : stdfs::directory_iterator("/proc", ec)) {
        const std::string name = entry.path().filename().string();
        if (name.empty() || !std::all_of(name.begin(), name.end(), ::isdigit)) {
            continue;
        }
        std::ifstream stat(entry.path() / "stat");
        std::string line;
        if (!std::getline(stat, line)) {
            continue;
        }
        const auto close = line.rfind(')');
        if (close == std::string::npos) {
            continue;
        }
        std::istringstream rest(line.substr(close + 2));
        char state = 0;
        long ppid = 0;
        long group = 0;
        rest >> state >> ppid >> group;
        if (group == pgid && state != 'Z' && state != 'X') {
            return true;
        }
    }
    return false;
}

} // namespace

Result<std::string> resolveCommandLine(const stdfs::path& base, const std::string& command) {
    std::string cmd = command;
    while (!cmd.empty() && (cmd.front() == '/' || cmd.front() == ' ')) {
        cmd.erase(0, 1); // C.2: commands are relative to base; a leading '/' is stripped
    }
    if (cmd.empty()) {
        return makeError(1000, "empty command");
    }
    const std::string program = cmd.substr(0, cmd.find(' '));
    std::size_t start = 0;
    while (start <= program.size()) {
        const std::size_t slash = program.find('/', start);
        if (program.substr(start, slash == std::string::npos ? std::string::npos : slash - start) ==
            "..") {
            return makeError(1000, "command path leaves the handler directory: " + program);
        }
        if (slash == std::string::npos) {
            break;
        }
        start = slash + 1;
    }
    return (base / cmd).string();
}

unsigned long long processStartTime(pid_t pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(stat, line)) {
        return 0;
    }
    const auto close = line.rfind(')');
    if (close == std::string::npos) {
        return 0;
    }
    std::istringstream rest(line.substr(close + 2));
    std::string field;
    // Fields after the command: state is field 3; starttime is field 22.
    for (int i = 3; i < 22 && (rest >> field); ++i) {
    }
    unsigned long long start = 0;
    rest >> start;
    return start;
}

bool processGroupAlive(pid_t pgid, unsigned long long leader_start) {
    if (pgid <= 1) {
        return false;
    }
    const unsigned long long now_start = processStartTime(pgid);
    if (now_start != 0 && leader_start != 0 && now_start != leader_start) {
        return false; // the pid was reused by an unrelated process: never kill it
    }
    // A pid that still names a process group is not reused by the kernel, so a live group with
    // this id is ours even when its leader has exited.
    return groupHasLiveMembers(pgid);
}

void killProcessGroup(pid_t pgid, std::chrono::milliseconds wait) {
    if (pgid <= 1) {
        return;
    }
    ::kill(-pgid, SIGKILL);
    const auto deadline = Clock::now() + wait;
    while (groupHasLiveMembers(pgid) && Clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

Result<CommandOutcome> runCommand(const CommandSpec& spec) {
    auto command_line = resolveCommandLine(spec.base, spec.command);
    if (!command_line) {
        return command_line.error();
    }
    // Everything the child needs is built before fork: after fork in a threaded process only
    // async-signal-safe calls are allowed. The environment: the protocol's variables over the
    // allow-listed part of the daemon's, with the fixed safe PATH; nothing else of the daemon's
    // (LD_*, its PATH) reaches a handler.
    platform::EnvironmentBlock environment(
        platform::childEnvironment(platform::processEnvironment(), spec.env));
    std::string shell = "/bin/sh";
    std::string dash_c = "-c";
    std::string line = command_line.value();
    std::array<char*, 4> argv{shell.data(), dash_c.data(), line.data(), nullptr};
    const std::string cwd = spec.base.string();

    int out_pipe[2];
    int err_pipe[2];
    int go_pipe[2];
    if (::pipe2(out_pipe, O_CLOEXEC) != 0) {
        return makeError(1000, std::string("pipe: ") + std::strerror(errno));
    }
    if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
        ::close(out_pipe[0]);
        ::close(out_pipe[1]);
        return makeError(1000, std::string("pipe: ") + std::strerror(errno));
    }
    if (::pipe2(go_pipe, O_CLOEXEC) != 0) {
        for (int fd : {out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]}) {
            ::close(fd);
        }
        return makeError(1000, std::string("pipe: ") + std::strerror(errno));
    }
    const int dev_null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);

    const pid_t pid = ::fork();
    if (pid < 0) {
        for (int fd : {out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1], go_pipe[0], go_pipe[1],
                       dev_null}) {
            ::close(fd);
        }
        return makeError(1000, std::string("fork: ") + std::strerror(errno));
    }
    if (pid == 0) {
        ::setsid(); // own session and process group: the timeout kills the whole group
        ::dup2(dev_null, 0);
        ::dup2(out_pipe[1], 1);
        ::dup2(err_pipe[1], 2);
        ::close(go_pipe[1]);
        // Wait until the parent has put us into the cgroup and recorded us in the journal.
        char go = 0;
        ssize_t n = 0;
        do {
            n = ::read(go_pipe[0], &go, 1);
        } while (n < 0 && errno == EINTR);
        if (n != 1 || go != 'g') {
            ::_exit(127);
        }
        // A descriptor some other daemon thread opened without O_CLOEXEC must not reach the
        // handler (sockets, key files): close everything above stderr. Failure (old kernel) is
        // harmless: then only CLOEXEC protects.
        ::close_range(3, ~0U, 0);
        if (::chdir(cwd.c_str()) != 0) {
            ::_exit(127);
        }
        ::execve(argv[0], argv.data(), environment.envp());
        ::_exit(127);
    }
    for (int fd : {out_pipe[1], err_pipe[1], go_pipe[0], dev_null}) {
        ::close(fd);
    }
    // The child makes its own session (setpgid from here would make it a group leader first and
    // its setsid would then fail); wait until it has, so the group we record and kill exists.
    for (int i = 0; i < 5000 && ::getpgid(pid) != pid; ++i) {
        std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    if (spec.cpu_group != nullptr && spec.cpu_group->enforcement().enforced) {
        if (auto attached = spec.cpu_group->attach(pid); !attached) {
            spdlog::warn("EXT_CGROUP_ATTACH_FAILED command={} error={}", spec.label,
                         log::sanitize(attached.error().message));
        }
    }
    if (spec.on_started) {
        spec.on_started(pid);
    }
    const char go = 'g';
    (void)!::write(go_pipe[1], &go, 1);
    ::close(go_pipe[1]);

    setNonBlocking(out_pipe[0]);
    setNonBlocking(err_pipe[0]);
    TailBuffer out(spec.output_limit);
    TailBuffer err(spec.output_limit);
    CommandOutcome outcome;
    const auto deadline = Clock::now() + spec.timeout;
    bool out_open = true;
    bool err_open = true;
    int status = 0;
    for (;;) {
        const pid_t done = ::waitpid(pid, &status, WNOHANG);
        if (done == pid) {
            break;
        }
        if (Clock::now() >= deadline) {
            outcome.timed_out = true;
            killProcessGroup(pid);
            ::waitpid(pid, &status, 0);
            break;
        }
        std::array<pollfd, 2> fds{pollfd{out_open ? out_pipe[0] : -1, POLLIN, 0},
                                  pollfd{err_open ? err_pipe[0] : -1, POLLIN, 0}};
        ::poll(fds.data(), fds.size(), 50);
        if (out_open) {
            out_open = drain(out_pipe[0], out);
        }
        if (err_open) {
            err_open = drain(err_pipe[0], err);
        }
    }
    // A background process the command started may hold the pipes open: read what is there now
    // and stop, never wait for EOF.
    drain(out_pipe[0], out);
    drain(err_pipe[0], err);
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    if (!outcome.timed_out) {
        if (WIFEXITED(status)) {
            outcome.exit_code = WEXITSTATUS(status);
        } else if (WIFSIGNALED(status)) {
            outcome.term_signal = WTERMSIG(status);
        }
    }

    const std::string out_tail = out.tail();
    const std::string err_tail = err.tail();
    std::string combined = out_tail + (err_tail.empty() ? "" : "\n[stderr]\n" + err_tail);
    outcome.output_tail = combined.size() > kMessageTailChars
                              ? combined.substr(combined.size() - kMessageTailChars)
                              : combined;
    if (!spec.output_dir.empty()) {
        std::ostringstream file;
        file << "command: " << spec.command << "\n";
        if (outcome.timed_out) {
            file << "result: killed at the timeout of " << spec.timeout.count() << " ms\n";
        } else if (outcome.term_signal != 0) {
            file << "result: signal " << outcome.term_signal << "\n";
        } else {
            file << "result: exit code " << outcome.exit_code << "\n";
        }
        file << "--- stdout (" << out.total() << " bytes"
             << (out.total() > spec.output_limit ? ", tail kept" : "") << ") ---\n"
             << out_tail << "\n--- stderr (" << err.total() << " bytes"
             << (err.total() > spec.output_limit ? ", tail kept" : "") << ") ---\n"
             << err_tail << "\n";
        if (fs::ensureDirectory(spec.output_dir, {0700, {}})) {
            outcome.output_file = spec.output_dir / (utcStamp() + "-" + spec.label + ".log");
            if (!fs::writeFileAtomic(outcome.output_file, file.str(), {0600, {}})) {
                outcome.output_file.clear();
            }
            enforceBudget(spec.output_dir, spec.output_dir_budget);
        }
    }
    return outcome;
}

} // namespace azcm::ext
