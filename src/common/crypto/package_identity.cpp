#include "common/crypto/package_identity.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace azcm::crypto {

namespace {

constexpr std::size_t kMaxVersionParts = 4;
constexpr std::size_t kMaxPartDigits = 9; // fits std::uint32_t

bool equalsIgnoreCase(std::string_view left, std::string_view right) {
    return left.size() == right.size() &&
           std::equal(left.begin(), left.end(), right.begin(), [](char a, char b) {
               return std::tolower(static_cast<unsigned char>(a)) ==
                      std::tolower(static_cast<unsigned char>(b));
           });
}

Error mismatch(const std::string& field, const std::string& signed_value, std::string asked) {
    return makeError(exitcode::kInvalidArgument, "the package is signed for " + field + " '" +
                                                     signed_value + "'; the goal state asks for " +
                                                     std::move(asked));
}

} // namespace

std::optional<std::vector<std::uint32_t>> parsePackageVersion(std::string_view version) {
    std::vector<std::uint32_t> parts;
    std::size_t start = 0;
    while (true) {
        const auto dot = version.find('.', start);
        const auto part = version.substr(start, dot == std::string_view::npos ? dot : dot - start);
        if (part.empty() || part.size() > kMaxPartDigits ||
            !std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; })) {
            return std::nullopt;
        }
        std::uint32_t value = 0;
        std::from_chars(part.data(), part.data() + part.size(), value);
        parts.push_back(value);
        if (parts.size() > kMaxVersionParts) {
            return std::nullopt;
        }
        if (dot == std::string_view::npos) {
            return parts;
        }
        start = dot + 1;
    }
}

int comparePackageVersions(std::string_view left, std::string_view right) {
    const auto a = parsePackageVersion(left).value_or(std::vector<std::uint32_t>{});
    const auto b = parsePackageVersion(right).value_or(std::vector<std::uint32_t>{});
    if (std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end())) {
        return -1;
    }
    return a == b ? 0 : 1;
}

bool versionSatisfies(std::string_view requested,
                      std::string_view actual,
                      bool newer_minor_allowed) {
    const auto want = parsePackageVersion(requested);
    const auto have = parsePackageVersion(actual);
    if (!want || !have) {
        return false;
    }
    if (want->size() != 2) {
        return *want == *have;
    }
    if (have->size() < 2 || (*have)[0] != (*want)[0]) {
        return false;
    }
    return newer_minor_allowed ? (*have)[1] >= (*want)[1] : (*have)[1] == (*want)[1];
}

Result<void> checkPackageIdentity(const PackageIdentity& identity, const PackageRequest& request) {
    if (identity.kind != request.kind) {
        return mismatch("kind", identity.kind, "'" + request.kind + "'");
    }
    if (!equalsIgnoreCase(identity.publisher, request.publisher)) {
        return mismatch("publisher", identity.publisher, "'" + request.publisher + "'");
    }
    if (!equalsIgnoreCase(identity.name, request.name)) {
        return mismatch(request.kind == kPackageKindExtension ? "type" : "name", identity.name,
                        "'" + request.name + "'");
    }
    if (!parsePackageVersion(identity.version)) {
        return makeError(exitcode::kInvalidArgument, "the package's signed version '" +
                                                         identity.version +
                                                         "' is not a dotted version");
    }
    if (request.requested_version.empty()) {
        return makeError(exitcode::kInvalidArgument, "the goal state names no version");
    }
    if (!request.package_version.empty() && identity.version != request.package_version) {
        return mismatch("version", identity.version,
                        "'" + request.package_version + "' (the package it names)");
    }
    if (!versionSatisfies(request.requested_version, identity.version,
                          request.newer_minor_allowed)) {
        return mismatch("version", identity.version,
                        "version " + request.requested_version +
                            (request.newer_minor_allowed ? " or a later minor version" : ""));
    }
    // An older version than the one in use is a downgrade: only when the request no longer
    // covers the installed version, i.e. ARM asked for the older version or line itself.
    if (!request.installed_version.empty() &&
        comparePackageVersions(identity.version, request.installed_version) < 0 &&
        versionSatisfies(request.requested_version, request.installed_version,
                         request.newer_minor_allowed)) {
        return makeError(exitcode::kInvalidArgument,
                         "refusing to downgrade from " + request.installed_version + " to " +
                             identity.version + ": the goal state asks for version " +
                             request.requested_version + ", which " + request.installed_version +
                             " already satisfies (ARM must name " + identity.version +
                             " to downgrade)");
    }
    return ok();
}

} // namespace azcm::crypto
