// runChildProcess on Windows. The child is created suspended, with an explicit UTF-16
// environment, stdin from NUL and only its two output pipes inherited (a handle list: no other
// inheritable handle of the daemon reaches it). While it is suspended the caller's before_exec
// runs (where a CPU cap attaches), then the child joins a Job Object of its own, so every process
// it starts is in the job too and a deadline kills the whole tree with TerminateJobObject. Only
// then does its first thread run.
//
// Output is read from named pipes opened for overlapped I/O, in this one thread: anonymous pipes
// cannot be overlapped, and a thread blocked in ReadFile on one could not be stopped when the run
// ends with its program while a process it left behind keeps the pipe open.
#include "common/platform/child_process.hpp"
#include "common/platform/process_group.hpp"
#include "common/platform/windows/command_line.hpp"
#include "common/platform/windows/wide_text.hpp"
#include "common/platform/windows/win32_error.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <memory>
#include <type_traits>

#include <windows.h>

namespace azcm::platform {

namespace windows {
// process_group_windows.cpp: the name that lets killProcessGroup find the job after a restart.
std::wstring processGroupJobName(ProcessId leader, unsigned long long leader_start);
} // namespace windows

namespace {

using Clock = std::chrono::steady_clock;

// The exit code of a process this file killed (a deadline, a full capture, a refused launch).
constexpr UINT kKilledExitCode = ERROR_PROCESS_ABORTED;

struct HandleCloser {
    void operator()(HANDLE handle) const {
        if (handle != nullptr && handle != INVALID_HANDLE_VALUE) {
            ::CloseHandle(handle);
        }
    }
};
using UniqueHandle = std::unique_ptr<std::remove_pointer_t<HANDLE>, HandleCloser>;

// The environment block CreateProcessW takes with CREATE_UNICODE_ENVIRONMENT: "NAME=value\0"
// entries sorted by name without regard to case, as Windows keeps its own, and a final "\0".
// Names are case-insensitive on Windows, so two names that differ only in case are one variable:
// the first in byte order is kept, which makes the upper-case spelling win (PATH over Path).
Result<std::wstring> environmentBlock(const EnvironmentMap& environment) {
    std::vector<std::pair<std::wstring, std::wstring>> entries;
    for (const auto& [name, value] : environment) {
        if (name.empty() || name.find_first_of(std::string_view("=\0", 2)) != std::string::npos ||
            value.find('\0') != std::string::npos) {
            return makeError(exitcode::kInvalidArgument,
                             "environment variable cannot be passed on: " + name);
        }
        BOOST_OUTCOME_TRY(wide_name, windows::toWide(name));
        BOOST_OUTCOME_TRY(wide_value, windows::toWide(value));
        entries.emplace_back(std::move(wide_name), std::move(wide_value));
    }
    auto compareNames = [](const std::wstring& a, const std::wstring& b) {
        return ::CompareStringOrdinal(a.c_str(), static_cast<int>(a.size()), b.c_str(),
                                      static_cast<int>(b.size()), TRUE);
    };
    // Stable: of names equal but for case, the first in the map's byte order stays first.
    std::stable_sort(entries.begin(), entries.end(), [&](const auto& a, const auto& b) {
        return compareNames(a.first, b.first) == CSTR_LESS_THAN;
    });
    std::wstring block;
    for (std::size_t i = 0; i < entries.size(); ++i) {
        if (i > 0 && compareNames(entries[i - 1].first, entries[i].first) == CSTR_EQUAL) {
            continue;
        }
        block += entries[i].first + L"=" + entries[i].second;
        block += L'\0';
    }
    // An empty block is two NULs; otherwise the last entry's NUL and this one.
    if (block.empty()) {
        block += L'\0';
    }
    block += L'\0';
    return block;
}

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

// The read end of an output pipe: a named pipe, one instance, opened for overlapped reads, and a
// read always in flight while the pipe is open.
class OutputPipe {
public:
    OutputPipe() = default;
    OutputPipe(const OutputPipe&) = delete;
    OutputPipe& operator=(const OutputPipe&) = delete;
    OutputPipe(OutputPipe&&) = delete;
    OutputPipe& operator=(OutputPipe&&) = delete;
    ~OutputPipe() { cancel(); }

    // Creates the pipe and returns its write end, inheritable, for the child's handle list.
    Result<UniqueHandle> open() {
        static std::atomic<unsigned> counter{0};
        // A unique name; FILE_FLAG_FIRST_PIPE_INSTANCE fails if another process made it first,
        // one instance means nobody else can connect before this process does, and the default
        // security of a pipe lets nobody but its creator and the administrators write to it.
        for (int attempt = 0; attempt < 8 && !read_; ++attempt) {
            LARGE_INTEGER now{};
            ::QueryPerformanceCounter(&now);
            name_ = L"\\\\.\\pipe\\azcm-child-output-" + std::to_wstring(::GetCurrentProcessId()) +
                    L"-" + std::to_wstring(counter.fetch_add(1)) + L"-" +
                    std::to_wstring(now.QuadPart);
            read_.reset(::CreateNamedPipeW(
                name_.c_str(),
                PIPE_ACCESS_INBOUND | FILE_FLAG_OVERLAPPED | FILE_FLAG_FIRST_PIPE_INSTANCE,
                PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT | PIPE_REJECT_REMOTE_CLIENTS, 1, 0,
                kBufferSize, 0, nullptr));
            if (read_.get() == INVALID_HANDLE_VALUE) {
                read_.release();
                if (::GetLastError() != ERROR_ACCESS_DENIED &&
                    ::GetLastError() != ERROR_PIPE_BUSY) {
                    return win32Error("cannot create the output pipe", ::GetLastError());
                }
            }
        }
        if (!read_) {
            return win32Error("cannot create the output pipe", ::GetLastError());
        }
        SECURITY_ATTRIBUTES inheritable{sizeof(SECURITY_ATTRIBUTES), nullptr, TRUE};
        UniqueHandle write(::CreateFileW(name_.c_str(), GENERIC_WRITE, 0, &inheritable,
                                         OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, nullptr));
        if (write.get() == INVALID_HANDLE_VALUE) {
            write.release();
            return win32Error("cannot open the output pipe", ::GetLastError());
        }
        event_.reset(::CreateEventW(nullptr, TRUE, FALSE, nullptr));
        if (!event_) {
            return win32Error("cannot create an event", ::GetLastError());
        }
        return write;
    }

    bool isOpen() const { return read_ != nullptr && !closed_; }
    // Signalled when the read in flight completed.
    HANDLE event() const { return event_.get(); }

    // Starts a read. Its bytes are taken by completeRead once event() is signalled, which it is
    // also when the read completed at once: one read per wait, so a writer that never pauses
    // cannot keep this thread from its deadline. False when the pipe has closed.
    bool readOn() {
        if (!isOpen() || pending_) {
            return isOpen();
        }
        overlapped_ = OVERLAPPED{};
        overlapped_.hEvent = event_.get();
        if (::ReadFile(read_.get(), buffer_.data(), kBufferSize, nullptr, &overlapped_) ||
            ::GetLastError() == ERROR_IO_PENDING) {
            pending_ = true;
        } else {
            closed_ = true; // ERROR_BROKEN_PIPE: the last writer closed its end
        }
        return isOpen();
    }

    // After event() was signalled: the completed read's bytes to `capture`, and the next read
    // started. False when the pipe has closed.
    bool completeRead(Capture& capture) {
        if (!pending_) {
            return isOpen();
        }
        DWORD size = 0;
        const bool done = ::GetOverlappedResult(read_.get(), &overlapped_, &size, FALSE) != FALSE;
        if (!done && ::GetLastError() == ERROR_IO_INCOMPLETE) {
            return true;
        }
        pending_ = false;
        if (!done) {
            closed_ = true;
            return false;
        }
        capture.append(buffer_.data(), size);
        return true;
    }

    // Bytes sitting in the pipe now (a read in flight completes with them).
    bool hasData() const {
        DWORD available = 0;
        return isOpen() &&
               ::PeekNamedPipe(read_.get(), nullptr, 0, nullptr, &available, nullptr) != FALSE &&
               available > 0;
    }

    bool readPending() const { return pending_; }

    // Stops the read in flight; its buffer must outlive it.
    void cancel() {
        if (pending_) {
            ::CancelIoEx(read_.get(), &overlapped_);
            DWORD size = 0;
            ::GetOverlappedResult(read_.get(), &overlapped_, &size, TRUE);
            pending_ = false;
        }
        closed_ = true;
    }

private:
    static constexpr DWORD kBufferSize = 4096;
    std::wstring name_;
    UniqueHandle read_;
    UniqueHandle event_;
    OVERLAPPED overlapped_{};
    std::array<char, kBufferSize> buffer_{};
    bool pending_ = false;
    bool closed_ = false;
};

// What is already in the pipes when the program exited; a process it left behind may write
// without end, so this stops at `budget` bytes.
void readWhatIsThere(std::array<OutputPipe*, 2> pipes, Capture* captures, std::size_t budget) {
    for (std::size_t i = 0; i < pipes.size(); ++i) {
        const std::size_t before = captures[i].total();
        while (pipes[i]->isOpen() && captures[i].total() - before < budget) {
            const bool completed = ::WaitForSingleObject(pipes[i]->event(), 0) == WAIT_OBJECT_0;
            if (!completed && !pipes[i]->hasData()) {
                break;
            }
            // Data in the pipe completes the read in flight at once.
            if (!completed && ::WaitForSingleObject(pipes[i]->event(), 1000) != WAIT_OBJECT_0) {
                break;
            }
            if (!pipes[i]->completeRead(captures[i]) || !pipes[i]->readOn()) {
                break;
            }
        }
    }
}

// The attribute list that limits what the child inherits to `handles`.
class InheritedHandles {
public:
    InheritedHandles(const InheritedHandles&) = delete;
    InheritedHandles& operator=(const InheritedHandles&) = delete;
    InheritedHandles(InheritedHandles&&) = delete;
    InheritedHandles& operator=(InheritedHandles&&) = delete;
    explicit InheritedHandles(std::vector<HANDLE> handles) : handles_(std::move(handles)) {}
    ~InheritedHandles() {
        if (initialized_) {
            ::DeleteProcThreadAttributeList(list());
        }
    }

    Result<LPPROC_THREAD_ATTRIBUTE_LIST> build() {
        SIZE_T size = 0;
        ::InitializeProcThreadAttributeList(nullptr, 1, 0, &size);
        storage_.resize(size);
        if (!::InitializeProcThreadAttributeList(list(), 1, 0, &size)) {
            return win32Error("cannot make the child's attribute list", ::GetLastError());
        }
        initialized_ = true;
        if (!::UpdateProcThreadAttribute(list(), 0, PROC_THREAD_ATTRIBUTE_HANDLE_LIST,
                                         handles_.data(), handles_.size() * sizeof(HANDLE), nullptr,
                                         nullptr)) {
            return win32Error("cannot limit the handles the child inherits", ::GetLastError());
        }
        return list();
    }

private:
    LPPROC_THREAD_ATTRIBUTE_LIST list() {
        return reinterpret_cast<LPPROC_THREAD_ATTRIBUTE_LIST>(storage_.data());
    }
    std::vector<HANDLE> handles_;
    std::vector<unsigned char> storage_;
    bool initialized_ = false;
};

// Whether the child may leave the daemon's job: a daemon in a job (a CPU cap of its own) starts
// handlers outside it, so their CPU does not count against the daemon. A process in no job needs
// no breakaway; a job that forbids it makes CreateProcessW fail with ERROR_ACCESS_DENIED, and the
// launch is retried without (the child then stays inside the daemon's job).
bool inAJob() {
    BOOL in_job = FALSE;
    return ::IsProcessInJob(::GetCurrentProcess(), nullptr, &in_job) != FALSE && in_job != FALSE;
}

struct StartedChild {
    UniqueHandle process;
    UniqueHandle thread;
    ProcessId pid = 0;
};

Result<StartedChild> createSuspended(const std::wstring& program,
                                     std::wstring command_line,
                                     std::wstring& environment,
                                     const std::wstring& working_directory,
                                     HANDLE null_input,
                                     HANDLE output,
                                     HANDLE error_output) {
    std::vector<HANDLE> inherited = {null_input, output};
    if (error_output != output) {
        inherited.push_back(error_output);
    }
    InheritedHandles handle_list(inherited);
    BOOST_OUTCOME_TRY(attributes, handle_list.build());
    STARTUPINFOEXW startup{};
    startup.StartupInfo.cb = sizeof startup;
    startup.StartupInfo.dwFlags = STARTF_USESTDHANDLES;
    startup.StartupInfo.hStdInput = null_input;
    startup.StartupInfo.hStdOutput = output;
    startup.StartupInfo.hStdError = error_output;
    startup.lpAttributeList = attributes;
    const DWORD flags = CREATE_SUSPENDED | CREATE_NO_WINDOW | CREATE_UNICODE_ENVIRONMENT |
                        EXTENDED_STARTUPINFO_PRESENT;
    PROCESS_INFORMATION created{};
    auto create = [&](DWORD extra_flags) {
        return ::CreateProcessW(program.c_str(), command_line.data(), nullptr, nullptr, TRUE,
                                flags | extra_flags, environment.data(),
                                working_directory.empty() ? nullptr : working_directory.c_str(),
                                &startup.StartupInfo, &created) != FALSE;
    };
    bool started = inAJob() ? create(CREATE_BREAKAWAY_FROM_JOB) : create(0);
    if (!started && ::GetLastError() == ERROR_ACCESS_DENIED && inAJob()) {
        started = create(0);
    }
    if (!started) {
        const DWORD error_number = ::GetLastError();
        if (error_number == ERROR_DIRECTORY) {
            return win32Error("cannot enter " + windows::toUtf8Lossy(working_directory),
                              error_number);
        }
        return win32Error("cannot run " + windows::toUtf8Lossy(program), error_number);
    }
    StartedChild child;
    child.process.reset(created.hProcess);
    child.thread.reset(created.hThread);
    child.pid = static_cast<ProcessId>(created.dwProcessId);
    return child;
}

// The job the child and everything it starts run in. Killed with it when this process exits
// (crash included) while the run lasts; after a run that ended by itself, released
// (releaseLeftovers) so what the child left running lives on, as a process group does.
Result<UniqueHandle> makeGroupJob(ProcessId pid, HANDLE process) {
    const unsigned long long started = processStartTime(pid);
    UniqueHandle job(
        ::CreateJobObjectW(nullptr, windows::processGroupJobName(pid, started).c_str()));
    if (!job) {
        return win32Error("cannot create the child's job", ::GetLastError());
    }
    if (::GetLastError() == ERROR_ALREADY_EXISTS) {
        // Someone made a job of this name first: its owner could act on the child's tree.
        return makeError(exitcode::kGeneric, "cannot create the child's job: its name is taken");
    }
    JOBOBJECT_EXTENDED_LIMIT_INFORMATION limits{};
    limits.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
    if (!::SetInformationJobObject(job.get(), JobObjectExtendedLimitInformation, &limits,
                                   sizeof limits)) {
        return win32Error("cannot limit the child's job", ::GetLastError());
    }
    if (!::AssignProcessToJobObject(job.get(), process)) {
        return win32Error("cannot put the child into its job", ::GetLastError());
    }
    return job;
}

void releaseLeftovers(HANDLE job) {
    JOBOBJECT_EXTENDED_LIMIT_INFORMATION limits{};
    ::SetInformationJobObject(job, JobObjectExtendedLimitInformation, &limits, sizeof limits);
}

bool hasExited(HANDLE process) {
    return ::WaitForSingleObject(process, 0) == WAIT_OBJECT_0;
}

// Kills the whole tree; the program's own exit code survives if it had already exited.
void killTree(HANDLE job, HANDLE process, ChildProcessResult& result) {
    const bool exited_before = hasExited(process);
    ::TerminateJobObject(job, kKilledExitCode);
    ::WaitForSingleObject(process, 5000);
    DWORD exit_code = 0;
    if (exited_before && ::GetExitCodeProcess(process, &exit_code)) {
        result.exit_code = static_cast<int>(exit_code);
    }
}

} // namespace

Result<ChildProcessResult> runChildProcess(const ChildProcessSpec& spec) {
    if (spec.argv.empty()) {
        return makeError(exitcode::kInvalidArgument, "empty command");
    }
    BOOST_OUTCOME_TRY(resolved, resolveProgram(spec.argv.front()));
    BOOST_OUTCOME_TRY(command_line, windows::commandLine(spec.argv));
    BOOST_OUTCOME_TRY(environment, environmentBlock(spec.environment));
    const std::wstring working_directory = spec.working_directory.native();
    if (!working_directory.empty()) {
        const DWORD attributes = ::GetFileAttributesW(working_directory.c_str());
        if (attributes == INVALID_FILE_ATTRIBUTES || (attributes & FILE_ATTRIBUTE_DIRECTORY) == 0) {
            return win32Error("cannot enter " + windows::toUtf8Lossy(working_directory),
                              attributes == INVALID_FILE_ATTRIBUTES ? ::GetLastError()
                                                                    : ERROR_DIRECTORY);
        }
    }

    OutputPipe out;
    OutputPipe err;
    BOOST_OUTCOME_TRY(out_write, out.open());
    UniqueHandle err_write;
    if (!spec.merge_stderr) {
        AZCM_ASSIGN_OR_RETURN(err_write, err.open());
    }
    SECURITY_ATTRIBUTES inheritable{sizeof(SECURITY_ATTRIBUTES), nullptr, TRUE};
    UniqueHandle null_input(::CreateFileW(L"NUL", GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE,
                                          &inheritable, OPEN_EXISTING, 0, nullptr));
    if (null_input.get() == INVALID_HANDLE_VALUE) {
        null_input.release();
        return win32Error("cannot open NUL", ::GetLastError());
    }
    BOOST_OUTCOME_TRY(wide_command_line, windows::toWide(command_line));
    BOOST_OUTCOME_TRY(child,
                      createSuspended(resolved.native(), wide_command_line, environment,
                                      working_directory, null_input.get(), out_write.get(),
                                      spec.merge_stderr ? out_write.get() : err_write.get()));
    // Only the child holds the write ends now: the pipes close when its tree is done writing.
    out_write.reset();
    err_write.reset();
    null_input.reset();

    auto refuse = [&child](Error error) -> Result<ChildProcessResult> {
        ::TerminateProcess(child.process.get(), kKilledExitCode);
        ::WaitForSingleObject(child.process.get(), 5000);
        return error;
    };
    // The caller first (a CPU cap's job): a process already in our group job could join another
    // job only nested inside it, and the cap's job is shared by other handlers. Our job, empty,
    // then nests inside the cap's.
    if (spec.before_exec) {
        if (auto placed = spec.before_exec(child.pid); !placed) {
            return refuse(placed.error());
        }
    }
    auto job = makeGroupJob(child.pid, child.process.get());
    if (!job) {
        return refuse(job.error());
    }
    const HANDLE group = job.value().get();
    if (::ResumeThread(child.thread.get()) == static_cast<DWORD>(-1)) {
        return refuse(win32Error("cannot start the child", ::GetLastError()));
    }
    child.thread.reset();

    ChildProcessResult result;
    Capture captures[2] = {Capture(result.output, result.output_bytes, spec.output_limit, spec.kept,
                                   result.output_truncated),
                           Capture(result.error_output, result.error_output_bytes,
                                   spec.output_limit, spec.kept, result.output_truncated)};
    std::array<OutputPipe*, 2> pipes{&out, &err};
    const auto deadline = Clock::now() + spec.timeout;
    const bool until_exit = spec.ends == RunEnds::kWhenProgramExits;
    bool stopped = false; // a capture filled up (stop_when_full)
    bool exited = false;  // the program exited (kWhenProgramExits)
    bool killed = false;
    out.readOn();
    err.readOn();
    // Read until every writer, grandchildren included, closed its end (or the program exited,
    // when that ends the run), or the deadline.
    while (!stopped && !exited && (out.isOpen() || err.isOpen())) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0) {
            result.timed_out = true;
            break;
        }
        std::array<HANDLE, 3> waits{};
        std::array<std::size_t, 3> stream_of{};
        DWORD count = 0;
        for (std::size_t i = 0; i < pipes.size(); ++i) {
            if (pipes[i]->isOpen()) {
                stream_of[count] = i;
                waits[count++] = pipes[i]->event();
            }
        }
        const DWORD process_index = count;
        if (until_exit) {
            waits[count++] = child.process.get();
        }
        const DWORD ready =
            ::WaitForMultipleObjects(count, waits.data(), FALSE, static_cast<DWORD>(left.count()));
        if (ready == WAIT_TIMEOUT) {
            continue; // the deadline check above ends the loop
        }
        if (ready >= WAIT_OBJECT_0 + count) {
            break; // WAIT_FAILED: cannot happen with valid handles
        }
        const DWORD index = ready - WAIT_OBJECT_0;
        if (until_exit && index == process_index) {
            exited = true;
            readWhatIsThere(pipes, captures, 4 * spec.output_limit + 65536);
            break;
        }
        const std::size_t stream = stream_of[index];
        if (pipes[stream]->completeRead(captures[stream])) {
            pipes[stream]->readOn();
        }
        stopped = spec.stop_when_full && captures[stream].full();
    }
    if (stopped) {
        result.output_truncated = true;
        killTree(group, child.process.get(), result);
        killed = true;
    }
    // The child may close its output and keep running: the deadline still holds.
    if (!result.timed_out && !stopped && !exited) {
        const auto left = std::max<std::int64_t>(
            0,
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count());
        if (::WaitForSingleObject(child.process.get(), static_cast<DWORD>(left)) != WAIT_OBJECT_0) {
            result.timed_out = true;
        }
    }
    if (result.timed_out) {
        killTree(group, child.process.get(), result);
        killed = true;
    }
    out.cancel();
    err.cancel();
    if (!killed) {
        DWORD exit_code = 0;
        if (::GetExitCodeProcess(child.process.get(), &exit_code)) {
            result.exit_code = static_cast<int>(exit_code);
        }
        // What the program left running lives on, as a process group does on POSIX; it stays in
        // the job, which killProcessGroup finds by name.
        releaseLeftovers(group);
    }
    return result;
}

} // namespace azcm::platform
