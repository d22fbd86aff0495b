#pragma once
// Layout of the emulator's data directory (given on the command line, so not an azcm::Paths path).
#include "common/fs/atomic_file.hpp"

#include <filesystem>

namespace azcm::emulator {

// World-readable so ca.crt (the trust anchor clients are pointed at) can be read by other local
// users; every secret in it is a 0600 file.
inline constexpr fs::FileMode kDataDirMode{0755, {}};

class DataDir {
public:
    explicit DataDir(std::filesystem::path root) : root_(std::move(root)) {}

    const std::filesystem::path& root() const { return root_; }
    std::filesystem::path database() const { return root_ / "emulator.db"; }
    std::filesystem::path caKey() const { return root_ / "ca.key"; }
    std::filesystem::path caCert() const { return root_ / "ca.crt"; }
    std::filesystem::path tlsKey() const { return root_ / "tls.key"; }
    std::filesystem::path tlsCert() const { return root_ / "tls.crt"; }
    std::filesystem::path signingKey() const { return root_ / "signing.key"; }
    std::filesystem::path cloudJson() const { return root_ / "cloud.json"; }

private:
    std::filesystem::path root_;
};

} // namespace azcm::emulator
