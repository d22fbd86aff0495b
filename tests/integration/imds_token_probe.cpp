// imds_token_probe: the IMDS token handshake as another local user runs it. Started as root, it
// becomes USER with the primary and supplementary groups a login would give (initgroups), then
// asks himds on 127.0.0.1:PORT for a token and prints what happened as one JSON line:
//   {"challenge":401,"keyPath":"...","readable":false,"readError":"EACCES","answer":401,
//    "token":false}
// Usage: imds_token_probe USER PORT RESOURCE
#include "common/http/url.hpp"
#include "http_test_client.hpp"

#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <exception>
#include <iostream>
#include <optional>
#include <string>

#include <fcntl.h>
#include <grp.h>
#include <nlohmann/json.hpp>
#include <pwd.h>
#include <unistd.h>

namespace {

using azcm::test::HttpTestConnection;
using nlohmann::json;
namespace http = azcm::http;

bool becomeUser(const std::string& name) {
    const passwd* entry = ::getpwnam(name.c_str()); // NOLINT(concurrency-mt-unsafe)
    if (entry == nullptr) {
        std::cerr << "imds_token_probe: no user " << name << "\n";
        return false;
    }
    const uid_t uid = entry->pw_uid;
    const gid_t gid = entry->pw_gid;
    if (::initgroups(name.c_str(), gid) != 0 || ::setgid(gid) != 0 || ::setuid(uid) != 0) {
        std::cerr << "imds_token_probe: cannot become " << name << ": " << std::strerror(errno)
                  << "\n";
        return false;
    }
    // Dropped for good: a way back to root would make every later result meaningless.
    return ::getuid() == uid && ::geteuid() == uid && (uid == 0 || ::setuid(0) != 0);
}

struct KeyRead {
    std::optional<std::string> content;
    int error = 0;
};

// As the SDKs read it: the whole file, at most 4096 bytes.
KeyRead readKey(const std::string& path) {
    KeyRead read;
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        read.error = errno;
        return read;
    }
    std::array<char, 4097> buffer{};
    const ssize_t size = ::read(fd, buffer.data(), buffer.size());
    read.error = size < 0 ? errno : 0;
    ::close(fd);
    if (size >= 0) {
        read.content = std::string(buffer.data(), static_cast<std::size_t>(size));
    }
    return read;
}

json exchange(std::uint16_t port, const std::string& resource) {
    HttpTestConnection connection("127.0.0.1", port);
    const std::string target = "/metadata/identity/oauth2/token?api-version=2019-11-01&resource=" +
                               http::urlEncode(resource);
    http::Request first{http::Verb::get, target, 11};
    first.set("Metadata", "true");
    const auto challenge = connection.send(first);
    json report = {{"challenge", challenge.result_int()}};
    const auto header = challenge.find(http::Field::www_authenticate);
    if (header == challenge.end()) {
        report["body"] = challenge.body();
        return report;
    }
    const std::string value(header->value());
    const auto equals = value.find('=');
    const std::string key_path = equals == std::string::npos ? "" : value.substr(equals + 1);
    const auto key = readKey(key_path);
    report["keyPath"] = key_path;
    report["readable"] = key.content.has_value();
    report["readError"] = key.error == 0 ? "" : ::strerrorname_np(key.error);
    // A user who could not read the key has nothing to present but an empty secret.
    http::Request second{http::Verb::get, target, 11};
    second.set("Metadata", "true");
    second.set(http::Field::authorization, "Basic " + key.content.value_or(""));
    const auto answer = connection.send(second);
    report["answer"] = answer.result_int();
    const auto body = json::parse(answer.body(), nullptr, false);
    report["token"] = answer.result() == http::Status::ok && body.is_object() &&
                      !body.value("access_token", "").empty();
    return report;
}

} // namespace

int main(int argc, char** argv) {
    if (argc != 4) {
        std::cerr << "usage: imds_token_probe USER PORT RESOURCE\n";
        return 2;
    }
    const std::string user = argv[1];
    const std::string port_text = argv[2];
    std::uint16_t port = 0;
    const auto parsed =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (parsed.ec != std::errc{} || parsed.ptr != port_text.data() + port_text.size()) {
        std::cerr << "imds_token_probe: bad port " << port_text << "\n";
        return 2;
    }
    if (!becomeUser(user)) {
        return 3;
    }
    try {
        std::cout << exchange(port, argv[3]).dump() << "\n";
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "imds_token_probe: " << e.what() << "\n";
        return 1;
    }
}
