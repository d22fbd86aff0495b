#include "log/log.hpp"

#include "fs/atomic_file.hpp"

#include <cstdio>
#include <memory>
#include <vector>

#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

namespace azcm::log {

bool init(const LogOptions& options) {
    std::vector<spdlog::sink_ptr> sinks;
    bool file_ok = true;
    if (!options.file.empty()) {
        try {
            (void)fs::ensureDirectory(options.file.parent_path(), {0755, {}});
            sinks.push_back(std::make_shared<spdlog::sinks::rotating_file_sink_mt>(
                options.file.string(), options.max_file_bytes, options.max_rotated_files));
        } catch (const spdlog::spdlog_ex& e) {
            std::fprintf(stderr, "cannot open log file %s: %s\n", options.file.c_str(), e.what());
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

std::string sanitize(std::string_view text) {
    std::string out;
    out.reserve(text.size());
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
    return out;
}

} // namespace azcm::log
