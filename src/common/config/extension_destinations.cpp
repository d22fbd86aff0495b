#include "common/config/extension_destinations.hpp"

#include "common/fs/atomic_file.hpp"
#include "common/http/url.hpp"
#include "common/json/json_document.hpp"

#include <algorithm>
#include <system_error>

#include <nlohmann/json.hpp>

namespace azcm::config {

namespace {

constexpr std::size_t kMaxFileBytes = std::size_t{256} * 1024;
constexpr std::size_t kMaxDestinations = 1024;

} // namespace

std::vector<std::string> destinationsOfUrls(const std::vector<std::string>& urls) {
    std::vector<std::string> destinations;
    for (const auto& text : urls) {
        if (auto url = http::parseUrl(text)) {
            destinations.push_back(url.value().hostPort());
        }
    }
    std::sort(destinations.begin(), destinations.end());
    destinations.erase(std::unique(destinations.begin(), destinations.end()), destinations.end());
    return destinations;
}

Result<void> publishExtensionDestinations(const std::filesystem::path& path,
                                          const std::vector<std::string>& destinations) {
    if (auto current = loadExtensionDestinations(path);
        current && current.value() == destinations) {
        return ok();
    }
    const nlohmann::json document = {{"destinations", destinations}};
    return fs::writeFileAtomic(path, document.dump(2) + "\n", {0644, {}});
}

Result<std::vector<std::string>> loadExtensionDestinations(const std::filesystem::path& path) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
        return std::vector<std::string>{};
    }
    auto text = fs::readFile(path, kMaxFileBytes);
    if (!text) {
        return text.error();
    }
    const auto parsed = jsondoc::parse(text.value(), path.string(), {kMaxFileBytes});
    const auto invalid = [&path](const std::string& why) {
        return makeError(exitcode::kInvalidArgument, path.string() + ": " + why);
    };
    if (!parsed) {
        return makeError(exitcode::kInvalidArgument, parsed.error().message);
    }
    const auto& document = parsed.value();
    if (!document.is_object() || !document.contains("destinations") ||
        !document.at("destinations").is_array()) {
        return invalid("an object with a 'destinations' array expected");
    }
    const auto& list = document.at("destinations");
    if (list.size() > kMaxDestinations) {
        return invalid("more than " + std::to_string(kMaxDestinations) + " destinations");
    }
    std::vector<std::string> destinations;
    for (const auto& entry : list) {
        if (!entry.is_string()) {
            return invalid("'destinations' holds a value that is not a string");
        }
        destinations.push_back(entry.get<std::string>());
    }
    return destinations;
}

} // namespace azcm::config
