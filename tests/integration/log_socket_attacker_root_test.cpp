// A second local user (a compromised himds or arcproxy account, which shared group azcmdaemons and
// the `log/` and `socks/` directories with root before) attacks what root does with names in
// those directories: the log rotation of the root CLI, and the control sockets and their locks.
// Root only (label integration-root): it creates the user azcmtest-logsock.
#include "common/http/http_server.hpp"
#include "common/ipc/ipc_client.hpp"
#include "common/log/log.hpp"
#include "system_accounts.hpp"
#include "temp_dir.hpp"

#include <atomic>
#include <chrono>
#include <cstring>
#include <functional>
#include <optional>
#include <string>

#include <boost/asio/io_context.hpp>

#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <pwd.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

namespace azcm::test {
namespace {

namespace stdfs = std::filesystem;

constexpr const char* kAttacker = "azcmtest-logsock";

std::string readAll(const stdfs::path& path) {
    std::string text;
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return "<unreadable>";
    }
    char buffer[4096];
    ssize_t got = 0;
    while ((got = ::read(fd, buffer, sizeof(buffer))) > 0) {
        text.append(buffer, static_cast<std::size_t>(got));
    }
    ::close(fd);
    return text;
}

// A child process running `body` as the attacker; its exit status is body's result.
class AttackerProcess {
public:
    AttackerProcess(uid_t uid,
                    gid_t gid,
                    const std::function<int(int stop_fd, int report_fd)>& body) {
        int stop[2];
        int report[2];
        if (::pipe2(stop, O_CLOEXEC) != 0 || ::pipe2(report, O_CLOEXEC) != 0) {
            throw std::runtime_error("pipe failed");
        }
        pid_ = ::fork();
        if (pid_ < 0) {
            throw std::runtime_error("fork failed");
        }
        if (pid_ == 0) {
            ::close(stop[1]);
            ::close(report[0]);
            if (::setgroups(0, nullptr) != 0 || ::setgid(gid) != 0 || ::setuid(uid) != 0 ||
                ::getuid() != uid || ::setuid(0) == 0) {
                ::_exit(100);
            }
            ::_exit(body(stop[0], report[1]));
        }
        ::close(stop[0]);
        ::close(report[1]);
        stop_fd_ = stop[1];
        report_fd_ = report[0];
    }
    ~AttackerProcess() {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            finish();
        }
    }
    AttackerProcess(const AttackerProcess&) = delete;
    AttackerProcess& operator=(const AttackerProcess&) = delete;
    AttackerProcess(AttackerProcess&&) = delete;
    AttackerProcess& operator=(AttackerProcess&&) = delete;

    // One line the attacker reported ("ready", a count), waiting up to 30 s.
    std::string report() {
        std::string line;
        char c = 0;
        pollfd ready{report_fd_, POLLIN, 0};
        while (::poll(&ready, 1, 30000) == 1 && ::read(report_fd_, &c, 1) == 1 && c != '\n') {
            line += c;
        }
        return line;
    }
    // Tells the attacker to stop (it may still report).
    void requestStop() {
        if (stop_fd_ >= 0) {
            ::close(stop_fd_);
            stop_fd_ = -1;
        }
    }
    // Tells the attacker to stop and returns its exit status.
    int finish() {
        requestStop();
        int status = 0;
        if (pid_ > 0 && ::waitpid(pid_, &status, 0) == pid_) {
            pid_ = -1;
            ::close(report_fd_);
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        }
        return -1;
    }

private:
    pid_t pid_ = -1;
    int stop_fd_ = -1;
    int report_fd_ = -1;
};

bool stopRequested(int stop_fd) {
    pollfd stop{stop_fd, POLLIN, 0};
    return ::poll(&stop, 1, 0) == 1;
}

void say(int report_fd, const std::string& line) {
    const std::string text = line + "\n";
    (void)!::write(report_fd, text.data(), text.size());
}

class LogSocketAttackerTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (::geteuid() != 0) {
            FAIL() << "needs root: it creates the local user " << kAttacker;
        }
        attacker_uid_ = accounts_.ensureUser(kAttacker, {});
        const passwd* entry = ::getpwuid(attacker_uid_); // NOLINT(concurrency-mt-unsafe)
        ASSERT_NE(entry, nullptr);
        attacker_gid_ = entry->pw_gid;
        // The attacker may enter the test's directory, as it may enter /var/opt/azcmagent.
        ASSERT_EQ(::chmod(dir_.path().c_str(), 0755), 0);
        victim_ = dir_.path() / "victim";
        ASSERT_TRUE(writeVictim());
    }

    void TearDown() override {
        spdlog::set_default_logger(spdlog::stderr_color_mt("restored-" + std::to_string(++n_)));
    }

    bool writeVictim() const {
        const int fd = ::open(victim_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        const bool written = fd >= 0 && ::write(fd, "precious\n", 9) == 9;
        ::close(fd);
        return written;
    }

    // The directory as the packages of old made log/ and socks/: root, the daemons' group,
    // 1775. Here the group is the attacker's own.
    stdfs::path sharedDirectory(const std::string& name) const {
        const auto path = dir_.path() / name;
        stdfs::create_directory(path);
        EXPECT_EQ(::chown(path.c_str(), 0, attacker_gid_), 0);
        EXPECT_EQ(::chmod(path.c_str(), 01775), 0);
        return path;
    }

    // The attacker plants `name` -> the victim as fast as it can until told to stop; the name is
    // free only in the moment after a rotation renamed the file away.
    AttackerProcess plantLinks(const stdfs::path& name) const {
        return AttackerProcess(attacker_uid_, attacker_gid_, [&](int stop_fd, int report_fd) {
            say(report_fd, "ready");
            int planted = 0;
            const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
            for (unsigned i = 0;; ++i) {
                if (::symlink(victim_.c_str(), name.c_str()) == 0) {
                    ++planted;
                }
                if ((i % 256) == 0 &&
                    (stopRequested(stop_fd) || std::chrono::steady_clock::now() > deadline)) {
                    break;
                }
            }
            say(report_fd, std::to_string(planted));
            return 0;
        });
    }

    static inline int n_ = 0;
    SystemAccounts accounts_;
    TempDir dir_;
    uid_t attacker_uid_ = 0;
    gid_t attacker_gid_ = 0;
    stdfs::path victim_;
};

// About 1500 rotations of root's log in a directory the attacker may write to, while the attacker
// plants a link to the victim under the log's name. spdlog reopened the name with O_TRUNC after
// each rename and followed such a link: root truncated and wrote the victim. Now the directory is
// refused before any name is opened in it.
TEST_F(LogSocketAttackerTest, RootLogNeverWritesThroughALinkPlantedDuringRotation) {
    const auto log_dir = sharedDirectory("log");
    const auto log_file = log_dir / "azcmagent.log";
    // The file exists (root's): the sticky bit keeps the attacker from removing it, so the name
    // is free only while a rotation has renamed it away.
    const int existing = ::open(log_file.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    ASSERT_GE(existing, 0);
    ::close(existing);

    auto attacker = plantLinks(log_file);
    ASSERT_EQ(attacker.report(), "ready");
    log::LogOptions options{"azcmagent", log_file, false, spdlog::level::info};
    options.max_file_bytes = 2048;
    options.max_rotated_files = 2;
    const bool file_ok = log::init(options);
    const std::string filler(150, 'r');
    for (int i = 0; i < 20000; ++i) {
        spdlog::info("ROTATION_LINE {} {}", i, filler);
    }
    spdlog::default_logger()->flush();
    attacker.requestStop();
    const auto planted = attacker.report();
    EXPECT_EQ(attacker.finish(), 0);

    EXPECT_EQ(readAll(victim_), "precious\n")
        << "root wrote through the attacker's link (planted " << planted << " times)";
    EXPECT_FALSE(file_ok) << "root logged into a directory another account can write";
}

// The layout the packages make now: log/ is root's alone (himds and arcproxy write in log/himds/
// and log/arcproxy/). The attacker cannot plant a name; root's log rotates within its budget.
TEST_F(LogSocketAttackerTest, RootOnlyLogDirectoryRotatesAndTheAttackerCannotPlant) {
    const auto log_dir = dir_.path() / "log";
    stdfs::create_directory(log_dir);
    ASSERT_EQ(::chmod(log_dir.c_str(), 0755), 0);
    const auto log_file = log_dir / "azcmagent.log";
    auto attacker = plantLinks(log_file);
    ASSERT_EQ(attacker.report(), "ready");
    log::LogOptions options{"azcmagent", log_file, false, spdlog::level::info};
    options.max_file_bytes = 2048;
    options.max_rotated_files = 2;
    ASSERT_TRUE(log::init(options));
    for (int i = 0; i < 2000; ++i) {
        spdlog::info("ROTATION_LINE {} {}", i, std::string(150, 'r'));
    }
    attacker.requestStop();
    EXPECT_EQ(attacker.report(), "0") << "the attacker planted a name in root's log directory";
    EXPECT_EQ(attacker.finish(), 0);
    EXPECT_EQ(readAll(victim_), "precious\n");
    for (const char* name : {"azcmagent.log", "azcmagent.1.log", "azcmagent.2.log"}) {
        struct stat info {};
        ASSERT_EQ(::lstat((log_dir / name).c_str(), &info), 0) << name;
        EXPECT_TRUE(S_ISREG(info.st_mode)) << name;
        EXPECT_EQ(info.st_uid, 0U) << name;
        EXPECT_LE(static_cast<std::size_t>(info.st_size), options.max_file_bytes) << name;
    }
}

// Before himds first starts, the attacker binds the name of himds's socket in the shared socks/.
// The client (root's CLI, extservice, gcservice) sent it the request (an identity certificate,
// key material, settings) and believed its answer; now it checks who serves the socket first.
TEST_F(LogSocketAttackerTest, SquattedSocketIsRefusedAndGetsNoRequest) {
    const auto socks = sharedDirectory("socks");
    const auto socket_path = socks / "himds.sock";
    AttackerProcess attacker(attacker_uid_, attacker_gid_, [&](int stop_fd, int report_fd) {
        const int listener = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        std::strncpy(address.sun_path, socket_path.c_str(), sizeof(address.sun_path) - 1);
        if (listener < 0 ||
            ::bind(listener, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0 ||
            ::chmod(socket_path.c_str(), 0666) != 0 || ::listen(listener, 4) != 0) {
            say(report_fd, std::string("bind failed: ") + std::strerror(errno));
            return 1;
        }
        say(report_fd, "ready");
        pollfd incoming{listener, POLLIN, 0};
        if (::poll(&incoming, 1, 30000) != 1) {
            say(report_fd, "no connection");
            return 2;
        }
        const int connection = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
        std::size_t received = 0;
        char buffer[65536];
        pollfd data{connection, POLLIN, 0};
        while (::poll(&data, 1, 2000) == 1) {
            const ssize_t got = ::read(connection, buffer, sizeof(buffer));
            if (got <= 0) {
                break;
            }
            received += static_cast<std::size_t>(got);
            if (std::string_view(buffer, static_cast<std::size_t>(got)).find("\r\n\r\n") !=
                std::string_view::npos) {
                break;
            }
        }
        const std::string body = R"({"publicKey":"attacker","csr":"attacker"})";
        const std::string answer = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                   "Connection: close\r\nContent-Length: " +
                                   std::to_string(body.size()) + "\r\n\r\n" + body;
        (void)!::send(connection, answer.data(), answer.size(), MSG_NOSIGNAL);
        ::close(connection);
        say(report_fd, std::to_string(received));
        while (!stopRequested(stop_fd)) {
            ::usleep(10000);
        }
        return 0;
    });
    ASSERT_EQ(attacker.report(), "ready");

    const auto response = ipc::call(socket_path, http::Verb::post, "/identity/keys",
                                    R"({"commonName":"web01"})", std::chrono::seconds(10));
    const auto received = attacker.report();
    EXPECT_EQ(attacker.finish(), 0);
    ASSERT_FALSE(response) << "the client took the attacker's answer: " << response.value().body();
    EXPECT_EQ(response.error().code, exitcode::kHimdsCommunication);
    EXPECT_NE(response.error().message.find(kAttacker), std::string::npos)
        << response.error().message;
    EXPECT_EQ(received, "0") << "the attacker received the request";
}

// A lock file left in the socket directory by another account (it could create one there while
// socks/ was shared) is refused and its owner named, whether or not the attacker holds the lock:
// it neither keeps the daemon from starting unexplained nor is it taken over silently.
TEST_F(LogSocketAttackerTest, ForeignLockFileIsRefusedAndItsOwnerNamed) {
    const auto socks = dir_.path() / "socks";
    stdfs::create_directory(socks);
    ASSERT_EQ(::chmod(socks.c_str(), 0755), 0);
    const auto lock = socks / "himds.sock.lock";
    const int fd = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    ASSERT_GE(fd, 0);
    ::close(fd);
    ASSERT_EQ(::chown(lock.c_str(), attacker_uid_, attacker_gid_), 0);

    for (const bool attacker_holds_it : {false, true}) {
        std::optional<AttackerProcess> holder;
        if (attacker_holds_it) {
            holder.emplace(attacker_uid_, attacker_gid_, [&](int stop_fd, int report_fd) {
                const int held = ::open(lock.c_str(), O_RDONLY | O_CLOEXEC);
                if (held < 0 || ::flock(held, LOCK_EX) != 0) {
                    say(report_fd, "cannot lock");
                    return 1;
                }
                say(report_fd, "ready");
                while (!stopRequested(stop_fd)) {
                    ::usleep(10000);
                }
                return 0;
            });
            ASSERT_EQ(holder->report(), "ready");
        }
        boost::asio::io_context io;
        http::HttpServer server(
            io.get_executor(), [](http::Request&&, const http::PeerInfo&, const http::Respond&) {});
        auto listening = server.listenLocal(socks / "himds.sock", 0666);
        ASSERT_FALSE(listening) << "a lock file of " << kAttacker << " was honoured";
        EXPECT_NE(listening.error().message.find(kAttacker), std::string::npos)
            << listening.error().message;
        EXPECT_NE(listening.error().message.find("not honoured"), std::string::npos)
            << listening.error().message;
        EXPECT_FALSE(stdfs::exists(stdfs::symlink_status(socks / "himds.sock")));
        if (holder) {
            EXPECT_EQ(holder->finish(), 0);
        }
    }
}

} // namespace
} // namespace azcm::test
