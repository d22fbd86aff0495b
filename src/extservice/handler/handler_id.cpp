#include "extservice/handler/handler_id.hpp"

#include "extservice/handler/handler_codes.hpp"

#include <algorithm>
#include <charconv>
#include <vector>

namespace azcm::extservice {

namespace {

bool isSafeChar(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
}

bool isSafeComponent(std::string_view text) {
    return !text.empty() && text.size() <= 128 && text != "." && text != ".." &&
           std::all_of(text.begin(), text.end(), isSafeChar);
}

// "1.2.3" -> {1, 2, 3}; nullopt-like empty vector on anything that is not dotted numbers.
std::vector<unsigned long> versionParts(std::string_view version) {
    std::vector<unsigned long> parts;
    std::size_t start = 0;
    while (start <= version.size()) {
        const std::size_t dot = version.find('.', start);
        const std::string_view part = version.substr(
            start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
        unsigned long value = 0;
        const auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), value);
        if (part.empty() || ec != std::errc() || end != part.data() + part.size()) {
            return {};
        }
        parts.push_back(value);
        if (dot == std::string_view::npos) {
            break;
        }
        start = dot + 1;
    }
    return parts;
}

} // namespace

std::string HandlerId::name() const {
    return publisher + "." + type;
}

std::string HandlerId::dirName() const {
    return name() + "-" + version;
}

bool isValidVersion(std::string_view version) {
    return version.size() <= 64 && !versionParts(version).empty();
}

Result<void> validateHandlerId(const HandlerId& id) {
    // Each part ends up in a path (directory, cgroup, log folder): keep them one safe component.
    if (!isSafeComponent(id.publisher) || id.publisher.front() == '.' ||
        id.publisher.back() == '.') {
        return makeError(code::kGeneric, "invalid extension publisher '" + id.publisher + "'");
    }
    if (!isSafeComponent(id.type) || id.type.find('.') != std::string::npos) {
        return makeError(code::kGeneric, "invalid extension type '" + id.type + "'");
    }
    if (!isValidVersion(id.version)) {
        return makeError(code::kGeneric, "invalid extension version '" + id.version + "'");
    }
    return ok();
}

Result<HandlerId> parseHandlerDirName(std::string_view dir_name) {
    const std::size_t dash = dir_name.rfind('-');
    if (dash == std::string_view::npos) {
        return makeError(code::kGeneric, "not a handler directory name");
    }
    const std::string_view name = dir_name.substr(0, dash);
    const std::size_t dot = name.rfind('.');
    if (dot == std::string_view::npos) {
        return makeError(code::kGeneric, "not a handler directory name");
    }
    HandlerId id{std::string(name.substr(0, dot)), std::string(name.substr(dot + 1)),
                 std::string(dir_name.substr(dash + 1))};
    if (auto valid = validateHandlerId(id); !valid) {
        return valid.error();
    }
    return id;
}

int compareVersions(std::string_view a, std::string_view b) {
    const auto pa = versionParts(a);
    const auto pb = versionParts(b);
    const std::size_t n = std::max(pa.size(), pb.size());
    for (std::size_t i = 0; i < n; ++i) {
        const unsigned long x = i < pa.size() ? pa[i] : 0;
        const unsigned long y = i < pb.size() ? pb[i] : 0;
        if (x != y) {
            return x < y ? -1 : 1;
        }
    }
    return 0;
}

} // namespace azcm::extservice
