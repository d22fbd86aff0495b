#include "crash_support.hpp"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>
#include <sys/mount.h>

namespace azcm::test {

namespace fsys = std::filesystem;

namespace {

bool isLitter(const fsys::path& path) {
    const auto name = path.filename().string();
    return name.find(".tmp") != std::string::npos || name.rfind(".extract-", 0) == 0 ||
           path.extension() == ".partial";
}

bool endsWith(const std::string& text, const std::string& suffix) {
    return text.size() >= suffix.size() &&
           text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

} // namespace

std::string readWholeFile(const fsys::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::vector<std::string> litterUnder(const fsys::path& dir) {
    std::vector<std::string> found;
    std::error_code ec;
    for (fsys::recursive_directory_iterator
             it(dir, fsys::directory_options::skip_permission_denied, ec),
         end;
         !ec && it != end; it.increment(ec)) {
        if (isLitter(it->path())) {
            found.push_back(it->path().string());
            if (it->is_directory()) {
                it.disable_recursion_pending();
            }
        }
    }
    std::sort(found.begin(), found.end());
    return found;
}

std::string agentFileProblem(const fsys::path& path, const std::string& content) {
    const auto name = path.filename().string();
    if (endsWith(name, ".json") || endsWith(name, ".settings") || endsWith(name, ".status") ||
        name == "HandlerStatus") {
        const auto document = nlohmann::json::parse(content, nullptr, false);
        return document.is_discarded() ? "not JSON (" + std::to_string(content.size()) + " bytes)"
                                       : "";
    }
    if (endsWith(name, ".crt") || endsWith(name, ".prv") || endsWith(name, ".pem") ||
        endsWith(name, ".key")) {
        return content.rfind("-----BEGIN ", 0) == 0 &&
                       content.find("-----END ") != std::string::npos
                   ? ""
                   : "not PEM";
    }
    return "";
}

std::vector<std::string> badFilesUnder(const fsys::path& dir, const FileCheck& check) {
    std::vector<std::string> bad;
    std::error_code ec;
    for (fsys::recursive_directory_iterator
             it(dir, fsys::directory_options::skip_permission_denied, ec),
         end;
         !ec && it != end; it.increment(ec)) {
        const auto& path = it->path();
        if (isLitter(path) || (check.skip && check.skip(path))) {
            if (it->is_directory()) {
                it.disable_recursion_pending();
            }
            continue;
        }
        if (!it->is_regular_file()) {
            continue;
        }
        std::ifstream in(path, std::ios::binary);
        if (!in) {
            bad.push_back(path.string() + ": unreadable");
            continue;
        }
        if (auto problem = check.check(path, readWholeFile(path)); !problem.empty()) {
            bad.push_back(path.string() + ": " + problem);
        }
    }
    return bad;
}

KillClock::KillClock(std::chrono::microseconds span)
    : seed_([] {
          const char* given = std::getenv("AZCM_CRASH_SEED");
          return given != nullptr ? static_cast<std::uint32_t>(std::strtoul(given, nullptr, 10))
                                  : std::random_device{}();
      }()),
      random_(seed_), delay_(0, span.count()) {}

std::chrono::microseconds KillClock::next() {
    return std::chrono::microseconds(delay_(random_));
}

int killCount(int share) {
    const char* scale = std::getenv("AZCM_CRASH_SCALE");
    const double factor = scale != nullptr ? std::strtod(scale, nullptr) : 1.0;
    return std::max(1, static_cast<int>(share * factor));
}

TmpfsMount::TmpfsMount(fsys::path where, const std::string& size) : where_(std::move(where)) {
    fsys::create_directories(where_);
    const std::string options = "size=" + size + ",mode=0755";
    mounted_ = ::mount("tmpfs", where_.c_str(), "tmpfs", 0, options.c_str()) == 0;
}

TmpfsMount::~TmpfsMount() {
    if (mounted_) {
        ::umount2(where_.c_str(), MNT_DETACH);
    }
}

fsys::path TmpfsMount::fill() const {
    const auto filler = where_ / "filler";
    std::ofstream out(filler, std::ios::binary);
    const std::string block(4096, 'x');
    while (out.write(block.data(), static_cast<std::streamsize>(block.size())) && out.flush()) {
    }
    // The last partial block, byte by byte.
    out.clear();
    for (int i = 0; i < 4096 && out.put('x') && out.flush(); ++i) {
    }
    return filler;
}

} // namespace azcm::test
