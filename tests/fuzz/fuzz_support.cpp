#include "fuzz_support.hpp"

// The agent's one parser for documents from outside the process (size and depth limits), in the
// trees that have it.
#if __has_include("json/json_document.hpp")
#include "common/json/json_document.hpp"
#define AZCM_FUZZ_HAVE_JSON_DOCUMENT 1
#endif

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <system_error>

#include <spdlog/spdlog.h>
#include <unistd.h>

namespace azcm::fuzz {

namespace {

std::filesystem::path makeScratchDir() {
    std::error_code ec;
    auto base = std::filesystem::temp_directory_path(ec);
    if (ec) {
        base = "/tmp";
    }
    // The pid keeps parallel fuzzers (fuzz-smoke.sh runs two at a time) apart.
    auto dir = base / ("azcm-fuzz-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir, ec);
    std::filesystem::create_directories(dir);
    std::filesystem::permissions(dir, std::filesystem::perms::owner_all);
    return dir;
}

} // namespace

void quietLogging() {
    spdlog::set_level(spdlog::level::off);
}

std::string_view asText(const std::uint8_t* data, std::size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

const std::filesystem::path& scratchDir() {
    static const std::filesystem::path dir = [] {
        auto made = makeScratchDir();
        std::atexit([] {
            std::error_code ec;
            std::filesystem::remove_all(scratchDir(), ec);
        });
        return made;
    }();
    return dir;
}

std::filesystem::path writeInput(std::string_view name, std::string_view content) {
    const auto path = scratchDir() / name;
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    out.close();
    AZCM_FUZZ_CHECK(out.good());
    return path;
}

std::filesystem::path freshDir(std::string_view name) {
    const auto dir = scratchDir() / name;
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
    std::filesystem::create_directories(dir);
    return dir;
}

nlohmann::json parseUntrustedJson(std::string_view text) {
#ifdef AZCM_FUZZ_HAVE_JSON_DOCUMENT
    auto parsed =
        jsondoc::parse(text, "the fuzz input", {jsondoc::kNetworkMaxBytes, jsondoc::kMaxDepth});
    return parsed ? std::move(parsed).value() : nlohmann::json(nlohmann::json::value_t::discarded);
#else
    return nlohmann::json::parse(text, nullptr, false);
#endif
}

void failInvariant(const char* expression, const char* file, int line) {
    std::fprintf(stderr, "%s:%d: invariant failed: %s\n", file, line, expression);
    std::abort();
}

} // namespace azcm::fuzz
