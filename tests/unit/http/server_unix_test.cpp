#include "common/http/http_server.hpp"
#include "common/ipc/ipc_client.hpp"
#include "common/platform/linux/local_server_check.hpp"
#include "io_thread.hpp"
#include "temp_dir.hpp"

#include <algorithm>
#include <fstream>

#include <boost/asio/local/stream_protocol.hpp>

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

namespace azcm::http {
namespace {

using test::IoThread;
namespace fs = std::filesystem;

// Answers with the peer's credentials and echoes the request.
void peerHandler(Request&& request, const PeerInfo& peer, const Respond& respond) {
    nlohmann::json body = {
        {"uid", peer.local ? static_cast<long>(peer.local->uid) : -1},
        {"gid", peer.local ? static_cast<long>(peer.local->gid) : -1},
        {"pid", peer.local ? static_cast<long>(peer.local->pid) : -1},
        {"groups", peer.local ? peer.local->groups : std::vector<platform::GroupId>()},
        {"slot_key", peer.uid ? static_cast<long>(*peer.uid) : -1},
        {"method", std::string(request.method_string())},
        {"target", std::string(request.target())},
        {"contentType", std::string(request[Field::content_type])},
        {"host", std::string(request[Field::host])},
        {"body", request.body()},
    };
    respond(makeJsonResponse(request, Status::ok, body.dump()));
}

class ServerUnixTest : public ::testing::Test {
protected:
    std::unique_ptr<HttpServer> makeServer() {
        return std::make_unique<HttpServer>(io_.executor(), peerHandler);
    }

    Result<void> listen(HttpServer& server, const fs::path& path, mode_t mode = 0666) {
        return io_.run([&] { return server.listenLocal(path, mode); });
    }

    void stop(HttpServer& server) {
        io_.run([&] { server.stop(); });
    }

    void TearDown() override {
        for (auto& server : servers_) {
            stop(*server);
        }
        io_.join();
    }

    HttpServer& add() {
        servers_.push_back(makeServer());
        return *servers_.back();
    }

    azcm::test::TempDir dir_;
    fs::path socket_ = dir_.path() / "himds.sock";
    IoThread io_;
    std::vector<std::unique_ptr<HttpServer>> servers_;
};

TEST_F(ServerUnixTest, IpcRoundTripCarriesPeerCredentialsFromTheKernel) {
    auto& server = add();
    ASSERT_TRUE(listen(server, socket_));
    auto response = ipc::call(socket_, Verb::post, "/identity/keys", R"({"commonName":"web01"})");
    ASSERT_TRUE(response) << response.error().message;
    EXPECT_EQ(response.value().result(), Status::ok);
    const auto body = nlohmann::json::parse(response.value().body());
    EXPECT_EQ(body["uid"], static_cast<long>(getuid()));
    EXPECT_EQ(body["gid"], static_cast<long>(getgid()));
    EXPECT_EQ(body["pid"], static_cast<long>(getpid()));
    // The connection limits count a local peer under its uid (platform::connectionKeyOf).
    EXPECT_EQ(body["slot_key"], static_cast<long>(getuid()));
    // Supplementary groups (SO_PEERGROUPS) are ours, as getgroups() lists them.
    std::vector<gid_t> ours(static_cast<std::size_t>(std::max(getgroups(0, nullptr), 0)));
    ours.resize(static_cast<std::size_t>(getgroups(static_cast<int>(ours.size()), ours.data())));
    auto theirs = body["groups"].get<std::vector<gid_t>>();
    std::sort(ours.begin(), ours.end());
    std::sort(theirs.begin(), theirs.end());
    EXPECT_EQ(theirs, ours);
    EXPECT_EQ(body["method"], "POST");
    EXPECT_EQ(body["target"], "/identity/keys");
    EXPECT_EQ(body["contentType"], "application/json");
    EXPECT_EQ(body["host"], "localhost");
    EXPECT_EQ(body["body"], R"({"commonName":"web01"})");
}

TEST_F(ServerUnixTest, IpcGetWithoutBodyHasNoContentType) {
    auto& server = add();
    ASSERT_TRUE(listen(server, socket_));
    auto response = ipc::call(socket_, Verb::get, "/status");
    ASSERT_TRUE(response) << response.error().message;
    const auto body = nlohmann::json::parse(response.value().body());
    EXPECT_EQ(body["contentType"], "");
    EXPECT_EQ(body["method"], "GET");
}

TEST_F(ServerUnixTest, SocketGetsTheRequestedMode) {
    auto& server = add();
    ASSERT_TRUE(listen(server, socket_, 0660));
    struct stat info {};
    ASSERT_EQ(lstat(socket_.c_str(), &info), 0);
    EXPECT_TRUE(S_ISSOCK(info.st_mode));
    EXPECT_EQ(info.st_mode & 07777, 0660U);
}

TEST_F(ServerUnixTest, SecondInstanceFailsWhileTheFirstHoldsTheLock) {
    auto& first = add();
    ASSERT_TRUE(listen(first, socket_));
    auto& second = add();
    auto result = listen(second, socket_);
    ASSERT_FALSE(result);
    EXPECT_NE(result.error().message.find("another instance is running"), std::string::npos)
        << result.error().message;
    // The first instance's socket was not unlinked by the failed attempt.
    EXPECT_TRUE(ipc::call(socket_, Verb::get, "/status"));
}

TEST_F(ServerUnixTest, StaleSocketWithoutLockHolderIsReplaced) {
    {
        // A socket file left behind by a dead process: bound, never unlinked.
        boost::asio::io_context io;
        boost::asio::local::stream_protocol::acceptor stale(io);
        stale.open();
        stale.bind(boost::asio::local::stream_protocol::endpoint(socket_.string()));
    }
    ASSERT_TRUE(fs::exists(fs::symlink_status(socket_)));
    EXPECT_FALSE(ipc::call(socket_, Verb::get, "/status"));
    auto& server = add();
    auto result = listen(server, socket_);
    ASSERT_TRUE(result) << result.error().message;
    EXPECT_TRUE(ipc::call(socket_, Verb::get, "/status"));
}

TEST_F(ServerUnixTest, RestartAfterStopWorks) {
    auto& first = add();
    ASSERT_TRUE(listen(first, socket_));
    stop(first);
    EXPECT_FALSE(fs::exists(fs::symlink_status(socket_)));
    auto& second = add();
    auto result = listen(second, socket_);
    ASSERT_TRUE(result) << result.error().message;
    EXPECT_TRUE(ipc::call(socket_, Verb::get, "/status"));
}

TEST_F(ServerUnixTest, RefusesToReplaceSomethingThatIsNotASocket) {
    std::ofstream(socket_) << "precious";
    auto& server = add();
    EXPECT_FALSE(listen(server, socket_));
    std::ifstream in(socket_);
    std::string content;
    in >> content;
    EXPECT_EQ(content, "precious");
}

TEST_F(ServerUnixTest, RefusesParentDirectoryWritableByOthers) {
    const auto open_dir = dir_.path() / "open";
    fs::create_directory(open_dir);
    ASSERT_EQ(chmod(open_dir.c_str(), 0777), 0);
    auto& server = add();
    auto result = listen(server, open_dir / "x.sock");
    ASSERT_FALSE(result);
    EXPECT_NE(result.error().message.find("writable"), std::string::npos) << result.error().message;
    EXPECT_FALSE(fs::exists(open_dir / "x.sock"));
}

TEST_F(ServerUnixTest, RefusesParentDirectoryWritableByGroup) {
    const auto group_dir = dir_.path() / "group";
    fs::create_directory(group_dir);
    ASSERT_EQ(chmod(group_dir.c_str(), 0770), 0);
    auto& server = add();
    EXPECT_FALSE(listen(server, group_dir / "x.sock"));
}

// The socks/ of old installs (root:azcmdaemons 1775) let one daemon's account create names
// beside another's socket: a socket directory must be its owner's alone.
TEST_F(ServerUnixTest, RefusesStickyGroupWritableParentDirectory) {
    const auto shared_dir = dir_.path() / "socks";
    fs::create_directory(shared_dir);
    ASSERT_EQ(chmod(shared_dir.c_str(), 01775), 0);
    auto& server = add();
    auto result = listen(server, shared_dir / "x.sock");
    ASSERT_FALSE(result);
    EXPECT_NE(result.error().message.find("writable"), std::string::npos) << result.error().message;
    EXPECT_FALSE(fs::exists(fs::symlink_status(shared_dir / "x.sock")));
    EXPECT_FALSE(fs::exists(fs::symlink_status(shared_dir / "x.sock.lock")));
}

// A sandbox has no package to make each account's socket directory: the daemon makes its own.
TEST_F(ServerUnixTest, MissingSocketDirectoryIsCreatedPrivate) {
    const auto own_dir = dir_.path() / "socks" / "himds";
    auto& server = add();
    auto result = listen(server, own_dir / "himds.sock");
    ASSERT_TRUE(result) << result.error().message;
    struct stat info {};
    ASSERT_EQ(lstat(own_dir.c_str(), &info), 0);
    EXPECT_TRUE(S_ISDIR(info.st_mode));
    EXPECT_EQ(info.st_mode & 07777, 0755U);
    EXPECT_EQ(info.st_uid, geteuid());
    EXPECT_TRUE(ipc::call(own_dir / "himds.sock", Verb::get, "/status"));
}

// A lock file under the lock's name that is a link is refused, not followed or created through.
TEST_F(ServerUnixTest, RefusesALinkedLockFile) {
    fs::create_symlink(dir_.path() / "elsewhere", dir_.path() / "himds.sock.lock");
    auto& server = add();
    auto result = listen(server, socket_);
    ASSERT_FALSE(result);
    EXPECT_NE(result.error().message.find("symbolic link"), std::string::npos)
        << result.error().message;
    EXPECT_FALSE(fs::exists(dir_.path() / "elsewhere"));
}

// Sticky or not, a directory anyone may write to (such as /tmp) is no place for a control socket.
TEST_F(ServerUnixTest, RefusesStickyWorldWritableParentDirectory) {
    const auto open_dir = dir_.path() / "sticky-open";
    fs::create_directory(open_dir);
    ASSERT_EQ(chmod(open_dir.c_str(), 01777), 0);
    auto& server = add();
    auto result = listen(server, open_dir / "x.sock");
    ASSERT_FALSE(result);
    EXPECT_NE(result.error().message.find("writable"), std::string::npos) << result.error().message;
}

TEST_F(ServerUnixTest, RefusesSymlinkedParentDirectory) {
    const auto real = dir_.path() / "real";
    fs::create_directory(real);
    ASSERT_EQ(chmod(real.c_str(), 0700), 0);
    const auto link = dir_.path() / "link";
    fs::create_directory_symlink(real, link);
    auto& server = add();
    auto result = listen(server, link / "x.sock");
    ASSERT_FALSE(result);
    EXPECT_NE(result.error().message.find("symbolic link"), std::string::npos)
        << result.error().message;
}

// The client expects root, the daemon's own account (named by the socket) and its own user.
TEST(IpcCall, ExpectedServerOfADaemonSocket) {
    const auto expected = platform::expectedServerFor(
        ipc::serviceAccountFor("/var/opt/azcmagent/socks/himds/himds.sock"));
    EXPECT_NE(std::find(expected.uids.begin(), expected.uids.end(), 0U), expected.uids.end());
    EXPECT_NE(std::find(expected.uids.begin(), expected.uids.end(), geteuid()),
              expected.uids.end());
    EXPECT_NE(expected.description.find("root or himds"), std::string::npos)
        << expected.description;
    const auto root_daemon = platform::expectedServerFor(
        ipc::serviceAccountFor("/var/opt/azcmagent/socks/gcservice.sock"));
    EXPECT_EQ(root_daemon.description.find("himds"), std::string::npos) << root_daemon.description;
}

TEST(IpcCall, ServerOfAnotherUserIsRefusedByName) {
    const platform::ExpectedServer expected{{0, 4242}, "root or test"};
    EXPECT_TRUE(platform::checkServer("/run/x/himds.sock", 4242, expected));
    EXPECT_TRUE(platform::checkServer("/run/x/himds.sock", 0, expected));
    auto refused = platform::checkServer("/run/x/himds.sock", 4343, expected);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, exitcode::kHimdsCommunication);
    EXPECT_NE(refused.error().message.find("/run/x/himds.sock"), std::string::npos);
    EXPECT_NE(refused.error().message.find("uid 4343"), std::string::npos)
        << refused.error().message;
    EXPECT_NE(refused.error().message.find("root or test"), std::string::npos);
}

TEST(IpcCall, MissingSocketIsUnreachable) {
    azcm::test::TempDir dir;
    const auto path = dir.path() / "absent.sock";
    auto response = ipc::call(path, Verb::get, "/status", {}, std::chrono::seconds(2));
    ASSERT_FALSE(response);
    EXPECT_EQ(response.error().code, exitcode::kHimdsUnreachable);
    EXPECT_NE(response.error().message.find(path.string()), std::string::npos);
}

TEST(IpcCall, SilentServerTimesOut) {
    azcm::test::TempDir dir;
    const auto path = dir.path() / "silent.sock";
    boost::asio::io_context io;
    boost::asio::local::stream_protocol::acceptor acceptor(
        io, boost::asio::local::stream_protocol::endpoint(path.string()));
    // Accepted by the kernel backlog, never answered.
    auto response = ipc::call(path, Verb::get, "/status", {}, std::chrono::milliseconds(200));
    ASSERT_FALSE(response);
    EXPECT_EQ(response.error().code, exitcode::kHimdsCommunication);
}

} // namespace
} // namespace azcm::http
