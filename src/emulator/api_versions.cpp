#include "emulator/api_versions.hpp"

#include <algorithm>

namespace azcm::emulator {

const std::vector<std::string>& hybridComputeApiVersions() {
    static const std::vector<std::string> kVersions = {
        "2021-05-20",         "2021-06-10-preview", "2021-12-10-preview", "2022-03-10",
        "2022-05-10-preview", "2022-08-11-preview", "2022-11-10",         "2022-12-27",
        "2022-12-27-preview", "2023-03-15-preview", "2023-06-20-preview", "2023-10-03-preview",
        "2024-03-31-preview", "2024-05-20-preview", "2024-07-10",         "2024-07-31-preview",
        "2024-09-10-preview", "2024-11-10-preview", "2025-01-13"};
    return kVersions;
}

const std::vector<std::string>& resourcesApiVersions() {
    static const std::vector<std::string> kVersions = {
        "2018-05-01", "2019-03-01", "2019-05-01", "2019-05-10", "2019-07-01", "2019-08-01",
        "2019-10-01", "2020-06-01", "2020-08-01", "2020-10-01", "2021-01-01", "2021-04-01",
        "2022-09-01", "2023-07-01", "2024-03-01", "2024-07-01", "2024-11-01"};
    return kVersions;
}

bool isSupportedApiVersion(const std::vector<std::string>& versions, std::string_view version) {
    return std::find(versions.begin(), versions.end(), version) != versions.end();
}

std::string joinApiVersions(const std::vector<std::string>& versions) {
    std::string joined;
    // Newest first, like ARM's error messages.
    for (auto it = versions.rbegin(); it != versions.rend(); ++it) {
        if (!joined.empty()) {
            joined += ", ";
        }
        joined += *it;
    }
    return joined;
}

bool apiVersionAtLeast(std::string_view version, std::string_view since) {
    // "YYYY-MM-DD[-preview]": the dates compare as text.
    constexpr std::size_t kDateLength = 10;
    return version.substr(0, kDateLength) >= since.substr(0, kDateLength);
}

} // namespace azcm::emulator
