// The one control router of every daemon: built-in routes, the access each peer credential gets,
// and the error shape. No socket: the router is called as the HTTP server calls it.
#include "common/daemon/control_router.hpp"
#include "common/json/json_document.hpp"

#include <optional>
#include <string>

#include <boost/asio/io_context.hpp>

#include <gtest/gtest.h>

namespace azcm::daemon {
namespace {

using nlohmann::json;

constexpr uid_t kDaemonUid = 1000;
constexpr gid_t kReaderGroup = 500;

http::PeerInfo
peer(std::optional<uid_t> uid, std::optional<gid_t> gid = {}, std::vector<gid_t> groups = {}) {
    http::PeerInfo info;
    info.uid = uid;
    if (uid) {
        info.local = platform::LocalPeer{*uid, gid.value_or(*uid), 4321, std::move(groups)};
    }
    return info;
}

const http::PeerInfo kRoot = peer(0, 0);
const http::PeerInfo kDaemonUser = peer(kDaemonUid, 1000);
const http::PeerInfo kReader = peer(2000, kReaderGroup);
const http::PeerInfo kSupplementaryReader = peer(2001, 100, {42, kReaderGroup});
const http::PeerInfo kStranger = peer(3000, 100, {42});
const http::PeerInfo kUnknown = peer(std::nullopt); // not a Unix socket peer

class ControlRouterTest : public ::testing::Test {
protected:
    ControlRouterOptions options(RouteAccess status_access = RouteAccess::reader) {
        ControlRouterOptions made;
        made.daemon = "unit";
        made.access = {kDaemonUid, kReaderGroup};
        made.status_access = status_access;
        made.status = [] { return json{{"daemon", "unit"}}; };
        made.reload = [this]() -> Result<json> {
            ++reloads;
            if (reload_error) {
                return makeError(exitcode::kLocalConfigRead, *reload_error);
            }
            return json{{"cpu", json::array()}};
        };
        made.request_shutdown = [this] { ++shutdowns; };
        made.executor = io.get_executor();
        return made;
    }

    http::Response call(const ControlRouter& router,
                        http::Verb verb,
                        const std::string& target,
                        const http::PeerInfo& from = kRoot) {
        http::Request request{verb, target, 11};
        std::optional<http::Response> answer;
        router.handle(std::move(request), from,
                      [&answer](http::Response&& response) { answer = std::move(response); });
        EXPECT_TRUE(answer) << target << " was not answered at once";
        return answer ? std::move(*answer) : http::Response{};
    }

    static json body(const http::Response& response) {
        auto parsed = jsondoc::parse(response.body(), "the answer");
        EXPECT_TRUE(parsed) << response.body();
        return parsed ? parsed.value() : json();
    }

    boost::asio::io_context io;
    int reloads = 0;
    int shutdowns = 0;
    std::optional<std::string> reload_error;
};

TEST(RouteAccessTest, EachLevelAdmitsExactlyItsPeers) {
    using ipc::PeerAccess;
    EXPECT_TRUE(permits(RouteAccess::anyone, PeerAccess::none));
    EXPECT_FALSE(permits(RouteAccess::reader, PeerAccess::none));
    EXPECT_TRUE(permits(RouteAccess::reader, PeerAccess::reader));
    EXPECT_TRUE(permits(RouteAccess::reader, PeerAccess::privileged));
    EXPECT_FALSE(permits(RouteAccess::privileged, PeerAccess::none));
    EXPECT_FALSE(permits(RouteAccess::privileged, PeerAccess::reader));
    EXPECT_TRUE(permits(RouteAccess::privileged, PeerAccess::privileged));
}

TEST_F(ControlRouterTest, StatusIsForRootTheDaemonUserAndTheReaderGroup) {
    const ControlRouter router(options());
    for (const auto* allowed : {&kRoot, &kDaemonUser, &kReader, &kSupplementaryReader}) {
        auto response = call(router, http::Verb::get, "/status", *allowed);
        EXPECT_EQ(response.result(), http::Status::ok) << *allowed->uid;
        EXPECT_EQ(body(response)["daemon"], "unit");
    }
    for (const auto* refused : {&kStranger, &kUnknown}) {
        auto response = call(router, http::Verb::get, "/status", *refused);
        EXPECT_EQ(response.result(), http::Status::forbidden);
        EXPECT_EQ(body(response)["error"]["code"], "Forbidden");
    }
}

TEST_F(ControlRouterTest, StatusOpenToAnyoneAnswersEvenAPeerWithoutCredentials) {
    const ControlRouter router(options(RouteAccess::anyone));
    for (const auto* from : {&kStranger, &kUnknown}) {
        EXPECT_EQ(call(router, http::Verb::get, "/status", *from).result(), http::Status::ok);
    }
}

TEST_F(ControlRouterTest, ReloadAndShutdownAreForRootAndTheDaemonUserOnly) {
    const ControlRouter router(options());
    for (const char* route : {"/reload", "/shutdown"}) {
        for (const auto* refused : {&kReader, &kSupplementaryReader, &kStranger, &kUnknown}) {
            auto response = call(router, http::Verb::post, route, *refused);
            EXPECT_EQ(response.result(), http::Status::forbidden) << route;
            EXPECT_EQ(body(response)["error"]["code"], "Forbidden");
        }
    }
    io.poll();
    EXPECT_EQ(reloads, 0);
    EXPECT_EQ(shutdowns, 0);
    EXPECT_EQ(call(router, http::Verb::post, "/reload", kDaemonUser).result(), http::Status::ok);
    EXPECT_EQ(call(router, http::Verb::post, "/reload", kRoot).result(), http::Status::ok);
    EXPECT_EQ(reloads, 2);
}

TEST_F(ControlRouterTest, ReloadAddsTheDaemonsMembersOrFailsWithReloadFailed) {
    const ControlRouter router(options());
    auto reloaded = call(router, http::Verb::post, "/reload");
    EXPECT_EQ(body(reloaded), (json{{"reloaded", true}, {"cpu", json::array()}}));

    reload_error = "localconfig.json: not JSON";
    auto failed = call(router, http::Verb::post, "/reload");
    EXPECT_EQ(failed.result(), http::Status::internal_server_error);
    EXPECT_EQ(
        body(failed),
        (json{{"error", {{"code", "ReloadFailed"}, {"message", "localconfig.json: not JSON"}}}}));
}

TEST_F(ControlRouterTest, ShutdownAnswersFirstAndAsksForTheShutdownAfterwards) {
    const ControlRouter router(options());
    auto response = call(router, http::Verb::post, "/shutdown", kDaemonUser);
    EXPECT_EQ(response.result(), http::Status::ok);
    EXPECT_EQ(body(response), (json{{"stopping", true}}));
    EXPECT_EQ(shutdowns, 0); // posted, not called from inside the answer
    io.poll();
    EXPECT_EQ(shutdowns, 1);
}

TEST_F(ControlRouterTest, UnknownRouteWrongMethodAndRefusalShareTheErrorShape) {
    const ControlRouter router(options());
    auto missing = call(router, http::Verb::get, "/nope");
    EXPECT_EQ(missing.result(), http::Status::not_found);
    EXPECT_EQ(body(missing),
              (json{{"error", {{"code", "NotFound"}, {"message", "no such route"}}}}));
    EXPECT_EQ(missing[http::Field::content_type], "application/json");

    auto wrong = call(router, http::Verb::post, "/status");
    EXPECT_EQ(wrong.result(), http::Status::method_not_allowed);
    EXPECT_EQ(wrong[http::Field::allow], "GET");
    EXPECT_EQ(body(wrong),
              (json{{"error", {{"code", "MethodNotAllowed"}, {"message", "use GET"}}}}));

    auto refused = call(router, http::Verb::post, "/reload", kStranger);
    EXPECT_EQ(body(refused)["error"]["message"],
              "this route is only for root and the daemon's own user");
    auto refused_read = call(router, http::Verb::get, "/status", kStranger);
    EXPECT_NE(body(refused_read)["error"]["message"].get<std::string>().find("reader group"),
              std::string::npos);
}

TEST_F(ControlRouterTest, MethodIsCheckedBeforeAccessSoNoWrongMethodReachesAHandler) {
    const ControlRouter router(options());
    EXPECT_EQ(call(router, http::Verb::get, "/shutdown", kStranger).result(),
              http::Status::method_not_allowed);
    io.poll();
    EXPECT_EQ(shutdowns, 0);
}

TEST_F(ControlRouterTest, DaemonRoutesGetTheirAccessAndPrefixRoutesTheRestOfThePath) {
    ControlRouter router(options());
    std::string deleted;
    router.add({http::Verb::get, "/extensions", RouteAccess::reader,
                [](const http::Request& request, std::string_view, http::Respond respond) {
                    respond(ReplyShape(request).json(http::Status::ok, json{{"extensions", 0}}));
                }});
    router.add(
        {http::Verb::delete_, "/extensions/", RouteAccess::privileged,
         [&deleted](const http::Request& request, std::string_view rest, http::Respond respond) {
             deleted = std::string(rest);
             respond(ReplyShape(request).json(http::Status::ok, json{{"removed", rest}}));
         },
         true});
    EXPECT_EQ(call(router, http::Verb::get, "/extensions?x=1", kReader).result(), http::Status::ok);
    EXPECT_EQ(call(router, http::Verb::delete_, "/extensions/a.b", kReader).result(),
              http::Status::forbidden);
    EXPECT_TRUE(deleted.empty());
    EXPECT_EQ(call(router, http::Verb::delete_, "/extensions/a.b", kRoot).result(),
              http::Status::ok);
    EXPECT_EQ(deleted, "a.b");
    // The prefix alone is not a name.
    EXPECT_EQ(call(router, http::Verb::delete_, "/extensions/", kRoot).result(),
              http::Status::not_found);
}

TEST_F(ControlRouterTest, AnswersMirrorTheRequestsVersionAndKeepAlive) {
    const ControlRouter router(options());
    http::Request request{http::Verb::get, "/status", 10};
    request.keep_alive(false);
    std::optional<http::Response> answer;
    router.handle(std::move(request), kRoot,
                  [&answer](http::Response&& response) { answer = std::move(response); });
    ASSERT_TRUE(answer);
    EXPECT_EQ(answer->version(), 10U);
    EXPECT_FALSE(answer->keep_alive());
}

} // namespace
} // namespace azcm::daemon
