#include "common/log/log.hpp"

#include "common/fs/atomic_file.hpp"
#include "common/log/rotating_file_sink.hpp"
#include "common/paths/paths.hpp"
#include "common/platform/private_directory.hpp"

#include <array>
#include <cstdio>
#include <memory>
#include <vector>

#include <spdlog/sinks/stdout_sinks.h>

namespace azcm::log {

namespace {

// The documented name as a relative link to the file, made only in a directory of our own.
void ensureLink(const std::filesystem::path& link, const std::filesystem::path& file) {
    auto directory = platform::PrivateDirectory::open(link.parent_path());
    if (!directory) {
        return; // not ours to make: the package made it, or nobody reads it by that name
    }
    const auto name = link.filename().string();
    const auto target = file.lexically_relative(link.parent_path()).string();
    if (directory.value().entryType(name) == platform::EntryType::kMissing) {
        (void)directory.value().symlink(target, name);
    }
}

} // namespace

bool init(const LogOptions& options) {
    std::vector<spdlog::sink_ptr> sinks;
    bool file_ok = true;
    if (!options.file.empty()) {
        (void)fs::ensureDirectory(options.file.parent_path(), {0755, {}});
        auto sink = RotatingFileSink::open(
            options.file, {options.max_file_bytes, options.max_rotated_files}, options.file_mode);
        if (sink) {
            sinks.push_back(std::move(sink).value());
            if (!options.link.empty()) {
                ensureLink(options.link, options.file);
            }
        } else {
            if (options.report_file_errors) {
                std::fprintf(stderr, "cannot open log file %s: %s\n", options.file.string().c_str(),
                             sink.error().message.c_str());
            }
            file_ok = false;
        }
    }
    if (options.to_stderr) {
        sinks.push_back(std::make_shared<spdlog::sinks::stderr_sink_mt>());
    }
    auto logger = std::make_shared<spdlog::logger>(options.name, sinks.begin(), sinks.end());
    logger->set_level(options.level);
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %l [%n] %v");
    logger->flush_on(spdlog::level::info);
    spdlog::set_default_logger(logger);
    return file_ok;
}

LogOptions daemonLogOptions(const Paths& paths, const std::string& name) {
    LogOptions options;
    options.name = name;
    options.file = paths.ownLogFile(name);
    if (paths.logFile(name) != options.file) {
        options.link = paths.logFile(name);
    }
    return options;
}

std::string sanitize(std::string_view text) {
    constexpr std::string_view kCut = "...";
    std::string out;
    const bool cut = text.size() > kSanitizedTextChars;
    if (cut) {
        text = text.substr(0, kSanitizedTextChars - kCut.size());
    }
    out.reserve(text.size() + kCut.size());
    for (char c : text) {
        if (c == '\n') {
            out += "\\n";
        } else if (c == '\r') {
            out += "\\r";
        } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
            out += '?';
        } else {
            out += c;
        }
    }
    if (cut) {
        out += kCut;
    }
    return out;
}

std::string untrusted(std::string_view text, std::size_t max_chars) {
    constexpr std::string_view kCut = "...";
    constexpr std::array<char, 16> kHex = {'0', '1', '2', '3', '4', '5', '6', '7',
                                           '8', '9', 'a', 'b', 'c', 'd', 'e', 'f'};
    std::string out;
    out.reserve(std::min(text.size(), max_chars));
    // The longest prefix (at an escape boundary) that still leaves room for the cut marker.
    std::size_t room_for_cut = 0;
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        std::string piece;
        if (byte == '\n') {
            piece = "\\n";
        } else if (byte == '\r') {
            piece = "\\r";
        } else if (byte == '\t') {
            piece = "\\t";
        } else if (byte == '\\') {
            piece = "\\\\"; // so that the text cannot forge an escape of ours
        } else if (byte >= 0x20 && byte < 0x7f) {
            piece = std::string(1, c);
        } else {
            piece = {'\\', 'x', kHex.at(byte >> 4U), kHex.at(byte & 0x0fU)};
        }
        if (out.size() + piece.size() > max_chars) {
            out.resize(room_for_cut);
            out += kCut.substr(0, std::min(kCut.size(), max_chars));
            return out;
        }
        out += piece;
        if (out.size() + kCut.size() <= max_chars) {
            room_for_cut = out.size();
        }
    }
    return out;
}

} // namespace azcm::log
