// imds_slot_holder: a local user holding IMDS connection slots. Started as root, it becomes USER
// (initgroups, setgid, setuid, for good), opens COUNT keep-alive connections to 127.0.0.1:PORT
// with one GET /metadata/versions each, and prints one JSON line:
//   {"phase":"ready","attempted":600,"answered":..,"refused":..,"unanswered":..,"held":..}
// Then, for SECONDS, it either floods requests over the connections it holds (MODE "flood") or
// refreshes each with one request every 29 s (MODE "hold"), and prints
//   {"phase":"done","held":..,"statuses":{"200":..,"429":..}}
// Usage: imds_slot_holder USER PORT COUNT SECONDS hold|flood
#include "slot_holder.hpp"

#include <cerrno>
#include <cstring>
#include <iostream>
#include <string>
#include <thread>

#include <grp.h>
#include <nlohmann/json.hpp>
#include <pwd.h>
#include <unistd.h>

namespace {

using nlohmann::json;

bool becomeUser(const std::string& name) {
    const passwd* entry = ::getpwnam(name.c_str()); // NOLINT(concurrency-mt-unsafe)
    if (entry == nullptr) {
        std::cerr << "imds_slot_holder: no user " << name << "\n";
        return false;
    }
    const uid_t uid = entry->pw_uid;
    const gid_t gid = entry->pw_gid;
    if (::initgroups(name.c_str(), gid) != 0 || ::setgid(gid) != 0 || ::setuid(uid) != 0) {
        std::cerr << "imds_slot_holder: cannot become " << name << ": " << std::strerror(errno)
                  << "\n";
        return false;
    }
    return ::getuid() == uid && ::geteuid() == uid && (uid == 0 || ::setuid(0) != 0);
}

json statusCounts(const std::map<int, int>& statuses) {
    json out = json::object();
    for (const auto& [status, count] : statuses) {
        out[std::to_string(status)] = count;
    }
    return out;
}

} // namespace

int main(int argc, char** argv) {
    if (argc != 6) {
        std::cerr << "usage: imds_slot_holder USER PORT COUNT SECONDS hold|flood\n";
        return 2;
    }
    const std::string mode = argv[5];
    if (!becomeUser(argv[1]) || (mode != "hold" && mode != "flood")) {
        return 2;
    }
    const auto port = static_cast<std::uint16_t>(std::stoul(argv[2]));
    const int count = std::stoi(argv[3]);
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(std::stoi(argv[4]));

    azcm::test::SlotHolder holder(port, "/metadata/versions");
    const auto opened = holder.open(count);
    std::cout << json{{"phase", "ready"},
                      {"attempted", opened.attempted},
                      {"answered", opened.answered},
                      {"refused", opened.refused},
                      {"unanswered", opened.unanswered},
                      {"held", holder.dropClosed()}}
                     .dump()
              << std::endl;

    std::map<int, int> statuses;
    while (std::chrono::steady_clock::now() < until && holder.held() > 0) {
        if (mode == "flood") {
            for (const auto& [status, n] : holder.flood(std::chrono::milliseconds(200))) {
                statuses[status] += n;
            }
            continue;
        }
        const auto next =
            std::min(until, std::chrono::steady_clock::now() + std::chrono::seconds(29));
        std::this_thread::sleep_until(next);
        if (std::chrono::steady_clock::now() < until) {
            for (const auto& [status, n] : holder.refresh()) {
                statuses[status] += n;
            }
        }
    }
    std::cout << json{{"phase", "done"},
                      {"held", holder.dropClosed()},
                      {"statuses", statusCounts(statuses)}}
                     .dump()
              << std::endl;
    return 0;
}
