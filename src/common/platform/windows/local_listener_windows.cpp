// The control channel on Windows: a named pipe per endpoint (docs/windows.md).
#include "common/platform/local_listener.hpp"
#include "common/platform/windows/account_sid.hpp"
#include "common/platform/windows/local_pipe_name.hpp"
#include "common/platform/windows/named_pipe.hpp"
#include "common/platform/windows/pipe_security.hpp"
#include "common/platform/windows/wide_text.hpp"

#include <utility>

#include <windows.h>

namespace azcm::platform {

namespace {

namespace asio = boost::asio;
using ErrorCode = boost::system::error_code;

// What POSIX mode bits grant others (o+rw) is what every authenticated user gets on the pipe.
constexpr FileMode kOthersReadWrite = 0006;

class PipeListener final : public LocalListener {
public:
    PipeListener(windows::NamedPipeListener pipe, std::string name)
        : pipe_(std::move(pipe)), name_(std::move(name)) {}

    // Instances are bound to the listener's executor: the daemons run one io_context on one
    // thread, so a session needs no strand of its own.
    void asyncAccept(const asio::any_io_executor& executor, AcceptHandler handler) override {
        pipe_.asyncAccept([executor, handler = std::move(handler)](
                              const ErrorCode& ec, windows::PipeConnection connection) mutable {
            if (ec == ErrorCode(ERROR_ACCESS_DENIED, boost::system::system_category()) &&
                !connection.error_detail.empty()) {
                // The client could not be identified and was dropped: not a failure to accept.
                handler(ErrorCode(), LocalStream(executor),
                        makeError(exitcode::kGeneric, connection.error_detail));
                return;
            }
            if (ec) {
                handler(ec, LocalStream(executor), makeError(exitcode::kGeneric, ec.message()));
                return;
            }
            handler(ec, std::move(connection.stream), std::move(connection.peer));
        });
    }

    void close() override { pipe_.close(); }

    const std::string& name() const override { return name_; }

private:
    windows::NamedPipeListener pipe_;
    std::string name_;
};

Error listenError(const std::string& what, const std::string& why) {
    return makeError(exitcode::kGeneric, "cannot listen on " + what + ": " + why);
}

} // namespace

Result<std::unique_ptr<LocalListener>> LocalListener::listen(const asio::any_io_executor& executor,
                                                             const std::filesystem::path& endpoint,
                                                             FileMode mode) {
    const std::string name = windows::localPipeName(endpoint);
    auto self = windows::currentProcessUserSid();
    if (!self) {
        return listenError(name, self.error().message);
    }
    windows::PipeAccessRules rules;
    rules.service_sid = std::move(self).value();
    rules.reader_group_sid = localAccessPolicyFromEnvironment().reader_group_sid;
    rules.authenticated_users_may_connect = (mode & kOthersReadWrite) == kOthersReadWrite;
    auto sddl = windows::pipeSecurityDescriptorSddl(rules);
    if (!sddl) {
        return listenError(name, sddl.error().message);
    }
    auto pipe = windows::NamedPipeListener::listen(executor, name, sddl.value());
    if (!pipe) {
        return listenError(name, pipe.error().message);
    }
    return std::unique_ptr<LocalListener>(
        std::make_unique<PipeListener>(std::move(pipe).value(), "\\\\.\\pipe\\" + name));
}

void shutdownLocal(LocalStream& /*stream*/, bool /*send_only*/) {
    // A pipe has no half-close; closing the handle keeps the data the client has not read yet
    // (DisconnectNamedPipe would discard it, so it is never called).
}

Result<LocalStream> connectLocal(const asio::any_io_executor& executor,
                                 const std::filesystem::path& endpoint,
                                 const std::optional<std::string>& service_account,
                                 std::chrono::milliseconds busy_timeout) {
    windows::ExpectedPipeServer expected;
    expected.user_sids.emplace_back(windows::kLocalSystemSid);
    expected.description = "LocalSystem";
    if (service_account) {
        // The services' virtual accounts: NT SERVICE\<name>.
        const std::string account = "NT SERVICE\\" + *service_account;
        if (auto sid = windows::accountSid(account); sid && sid.value()) {
            expected.user_sids.push_back(*sid.value());
        }
        expected.description += " or " + account;
    }
    if (auto self = windows::currentProcessUserSid()) {
        expected.user_sids.push_back(self.value());
        expected.description += " or " + self.value() + " (this user)";
    }
    return windows::connectToPipe(executor, windows::localPipeName(endpoint), expected,
                                  busy_timeout);
}

} // namespace azcm::platform
