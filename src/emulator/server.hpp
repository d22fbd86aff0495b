#pragma once
// `arc-emulator` serving: state and key material from the data directory, one HTTPS listener,
// cloud.json for clients, then the daemon loop until SIGTERM/SIGINT.
#include "common/error.hpp"
#include "emulator/pki.hpp"
#include "emulator/service_context.hpp"
#include "emulator/store.hpp"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include <boost/asio/ssl/context.hpp>

#include <nlohmann/json.hpp>

namespace azcm::emulator {

struct ListenAddress {
    std::string host; // without brackets
    std::uint16_t port = 0;
};
// "127.0.0.1:0", "[::1]:8443", "localhost:443".
Result<ListenAddress> parseListenAddress(const std::string& text);
// "https://127.0.0.1:PORT" ("https://[::1]:PORT" for IPv6 literals; wildcard addresses map to
// loopback).
std::string baseUrlFor(const std::string& listen_host, std::uint16_t port);

struct ServeOptions {
    std::filesystem::path data_dir;
    ListenAddress listen{"127.0.0.1", 0};
    EmulatorOptions emulator;
};

// TLS >= 1.2, the server chain, and client certificates verified against the CA when presented.
Result<std::shared_ptr<boost::asio::ssl::context>> makeTlsContext(const EmulatorPki& pki);

nlohmann::json
cloudJson(const Settings& settings, const EmulatorPki& pki, const std::string& base_url);

// Runs the server; returns the process exit code.
int serve(const ServeOptions& options);

} // namespace azcm::emulator
