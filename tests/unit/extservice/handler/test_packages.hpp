#pragma once
// Builds handler packages for the tests with libarchive's zip writer: ordinary ones (small shell
// handlers that append to a trace file) and hostile ones (zip-slip, absolute paths, links).
#include <filesystem>
#include <string>
#include <vector>

namespace azcm::extservice::test {

struct ZipEntry {
    enum class Kind { kFile, kDirectory, kSymlink, kHardlink };
    std::string name;
    std::string content; // file content, or the link target
    Kind kind = Kind::kFile;
    unsigned perm = 0644;
};

void writeZip(const std::filesystem::path& zip, const std::vector<ZipEntry>& entries);

// The commands of a shell handler; each appends "<version> <command> <env...>" to `trace`.
struct ShellHandler {
    std::string version = "1.0.0";
    std::string extra_manifest; // appended inside handlerManifest, e.g. ,"updateMode":"..."
    std::string enable_body;    // extra shell run by enable (before writing status)
    std::string install_body;   // extra shell run by install
    std::string update_body;    // extra shell run by update
    std::string disable_body;
    std::string uninstall_body;
    bool nested_manifest = false; // manifest inside a subdirectory, with a BOM
};

// A zip whose commands log to `trace` and whose enable writes status/<seq>.status (success).
void writeShellHandler(const std::filesystem::path& zip,
                       const std::filesystem::path& trace,
                       const ShellHandler& handler);

} // namespace azcm::extservice::test
