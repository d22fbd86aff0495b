#include "common/platform/process_group.hpp"

#include <algorithm>
#include <cctype>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

namespace azcm::platform {

namespace {

namespace stdfs = std::filesystem;

// The fields of /proc/<pid>/stat after the command name (which may hold spaces and parentheses),
// starting with field 3, the state.
std::istringstream statFieldsAfterName(const stdfs::path& stat_file) {
    std::ifstream stat(stat_file);
    std::string line;
    if (!std::getline(stat, line)) {
        return std::istringstream();
    }
    const auto close = line.rfind(')');
    if (close == std::string::npos || close + 2 > line.size()) {
        return std::istringstream();
    }
    return std::istringstream(line.substr(close + 2));
}

// Is any member of the group alive and not a zombie? A /proc scan, because kill(-group, 0) also
// counts zombies, which an init that does not reap would keep forever.
bool groupHasLiveMembers(ProcessId group) {
    std::error_code ec;
    for (const auto& entry : stdfs::directory_iterator("/proc", ec)) {
        const std::string name = entry.path().filename().string();
        if (name.empty() || !std::all_of(name.begin(), name.end(),
                                         [](unsigned char c) { return std::isdigit(c); })) {
            continue;
        }
        auto fields = statFieldsAfterName(entry.path() / "stat");
        char state = 0;
        long parent = 0;
        long member_of = 0;
        if ((fields >> state >> parent >> member_of) && member_of == group && state != 'Z' &&
            state != 'X') {
            return true;
        }
    }
    return false;
}

} // namespace

unsigned long long processStartTime(ProcessId pid) {
    auto fields = statFieldsAfterName("/proc/" + std::to_string(pid) + "/stat");
    std::string field;
    // The state is field 3; the start time is field 22.
    for (int i = 3; i < 22 && (fields >> field); ++i) {
    }
    unsigned long long start = 0;
    fields >> start;
    return start;
}

bool processGroupAlive(ProcessId group, unsigned long long leader_start) {
    if (group <= 1) {
        return false;
    }
    const unsigned long long now_start = processStartTime(group);
    if (now_start != 0 && leader_start != 0 && now_start != leader_start) {
        return false; // the pid was reused by an unrelated process: never kill it
    }
    // A pid that still names a process group is not reused by the kernel, so a live group with
    // this id is ours even when its leader has exited.
    return groupHasLiveMembers(group);
}

void killProcessGroup(ProcessId group, std::chrono::milliseconds wait) {
    if (group <= 1) {
        return;
    }
    ::kill(-group, SIGKILL);
    const auto deadline = std::chrono::steady_clock::now() + wait;
    while (groupHasLiveMembers(group) && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

} // namespace azcm::platform
