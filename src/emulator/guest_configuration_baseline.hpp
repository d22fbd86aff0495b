#pragma once
// The built-in security baseline the emulator offers out of the box: the
// document src/gcservice/baseline/configuration.json, embedded into the binary at build time (so
// the emulator needs no file beside it), zipped and published as a guest configuration package.
#include "common/error.hpp"
#include "emulator/data_dir.hpp"
#include "emulator/emulator_clock.hpp"
#include "emulator/package_store.hpp"
#include "emulator/store.hpp"

#include <string>
#include <string_view>

namespace azcm::emulator {

inline constexpr std::string_view kBaselineName = "AzureArcSecurityBaseline";
inline constexpr std::string_view kBaselineVersion = "1.0.0";

// The embedded configuration.json (empty when the build had none).
std::string_view builtInBaselineDocument();

// A zip holding `files` (name -> content) as regular 0644 files with a fixed timestamp, so the
// same content always gives the same bytes (and the same SHA-256).
Result<std::string> makeZip(const std::vector<std::pair<std::string, std::string>>& files);

// Publishes the baseline as AzureArcSecurityBaseline 1.0.0 unless the same bytes are already
// published under that name and version. Called at every start of the server.
Result<void> publishBuiltInBaseline(Store& store,
                                    const DataDir& dir,
                                    const PackageSigner& signer,
                                    SystemTime now);

} // namespace azcm::emulator
