#pragma once
// An in-process emulator for tests: a temporary data directory, a manual clock, and helpers that
// build requests and call the router directly (no sockets).
#include "emulator/emulator.hpp"
#include "emulator/emulator_clock.hpp"
#include "emulator/pki.hpp"
#include "emulator/store.hpp"
#include "temp_dir.hpp"

#include <chrono>
#include <future>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace azcm::emulator::test {

inline constexpr const char* kBaseUrl = "https://127.0.0.1:8443";
inline constexpr const char* kMachineVersion = "2024-07-10";
inline constexpr const char* kGroupVersion = "2021-04-01";

// Key material is slow to make: one set per test process, copied into each fixture's directory.
const EmulatorPki& sharedPki();

struct Credential {
    std::string app_id;
    std::string object_id;
    std::string secret;
};

class EmulatorFixture : public ::testing::Test {
protected:
    EmulatorFixture();
    // Parked requests and the emulator's timers use io_: stop the loop, then drop the emulator.
    void TearDown() override {
        stopLongPollLoop();
        emulator_.reset();
    }

    // Long-polling needs an executor: one loop thread, as the server's io thread.
    void
    startLongPollLoop(std::chrono::milliseconds probe_interval = std::chrono::milliseconds(50));
    void stopLongPollLoop();
    // GET `path_and_query` with If-None-Match `etag` as `peer` through the asynchronous route
    // (the long-poll); the future is ready when the emulator answers.
    std::future<http::Response> longPoll(const std::string& path_and_query,
                                         const std::string& etag,
                                         const http::PeerInfo& peer);

    http::Response call(http::Verb method,
                        const std::string& target,
                        const std::string& body = {},
                        const std::string& token = {},
                        const http::PeerInfo& peer = {});
    static nlohmann::json parse(const http::Response& response);

    // A service principal with a secret and one role assignment, written to the store.
    Credential addPrincipal(const std::string& role, const std::string& scope);
    // An ARM token for the credential through the token endpoint.
    std::string tokenFor(const Credential& credential);
    std::string ownerToken();

    std::string subscriptionPath() const;
    std::string groupPath(const std::string& group) const;
    std::string machinePath(const std::string& group, const std::string& name) const;
    // PUT resource group (as owner), expecting success.
    void createGroup(const std::string& group);
    // PUT machine with a clientPublicKey of `key_pem` (as owner); returns the response.
    http::Response putMachine(const std::string& group,
                              const std::string& name,
                              const std::string& key_pem,
                              const std::string& token = {});

    azcm::test::TempDir dir_;
    azcm::ManualClock clock_{std::chrono::system_clock::now()};
    std::unique_ptr<Store> store_;
    Settings settings_;
    EmulatorOptions options_;
    // Before emulator_, so the emulator (whose timers it runs) goes first.
    boost::asio::io_context io_;
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_ =
        boost::asio::make_work_guard(io_);
    std::thread loop_;
    std::unique_ptr<Emulator> emulator_;
};

// A machine key made once per process (RSA generation is slow).
const std::string& machineKeyPem();
const std::string& otherKeyPem();

} // namespace azcm::emulator::test
