#include "temp_dir.hpp"

#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>

namespace azcm::test {

namespace {

// /tmp where it exists (short, so Unix socket paths stay under 108 bytes); the system's
// temporary directory elsewhere (Windows).
std::filesystem::path temporaryBase() {
    std::error_code ec;
    if (std::filesystem::is_directory("/tmp", ec)) {
        return "/tmp";
    }
    return std::filesystem::temp_directory_path();
}

} // namespace

TempDir::TempDir() {
    const auto base = temporaryBase();
    std::random_device entropy;
    std::uniform_int_distribution<int> letter(0, 35);
    constexpr std::string_view kAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
    for (int attempt = 0; attempt < 100; ++attempt) {
        std::string name = "azcm-";
        for (int i = 0; i < 6; ++i) {
            name += kAlphabet[static_cast<std::size_t>(letter(entropy))];
        }
        std::error_code ec;
        // Fails when the name exists: never shares a directory another test made.
        if (std::filesystem::create_directory(base / name, ec)) {
            std::filesystem::permissions(base / name, std::filesystem::perms::owner_all,
                                         std::filesystem::perm_options::replace, ec);
            path_ = base / name;
            return;
        }
    }
    throw std::runtime_error("cannot create a temporary directory under " + base.string());
}

TempDir::~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
}

} // namespace azcm::test
