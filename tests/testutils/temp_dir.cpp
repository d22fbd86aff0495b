#include "temp_dir.hpp"

#include <cstdlib>
#include <stdexcept>
#include <string>

namespace azcm::test {

TempDir::TempDir() {
    std::string pattern = "/tmp/azcm-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) {
        throw std::runtime_error("mkdtemp failed");
    }
    path_ = pattern;
}

TempDir::~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
}

} // namespace azcm::test
