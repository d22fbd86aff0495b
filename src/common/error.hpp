#pragma once
// Errors as values for library code (docs/architecture.md): Result<T> carries either a value or
// an Error whose code is an exit code / AZCM code (docs/cli.md).
#include <string>
#include <utility>

#include <boost/outcome.hpp>

namespace azcm {

// Exit codes of the real agent that the suite uses by name.
namespace exitcode {
inline constexpr int kSuccess = 0;
inline constexpr int kGeneric = 1;
inline constexpr int kInternal = 2;
inline constexpr int kUnsupported = 3;
inline constexpr int kInitFailed = 6;
inline constexpr int kInterrupted = 11;
inline constexpr int kInvalidAccessToken = 12;
inline constexpr int kMissingParameter = 16;
inline constexpr int kNotElevated = 18;
inline constexpr int kConfigFileNotFound = 19;
inline constexpr int kInvalidArgument = 23;
inline constexpr int kNetwork = 26;
inline constexpr int kConfigConflict = 27;
inline constexpr int kTokenFailed = 41;
inline constexpr int kCreateResourceFailed = 42;
inline constexpr int kDeleteResourceFailed = 43;
inline constexpr int kResourceExists = 44;
inline constexpr int kHimdsCommunication = 61;
inline constexpr int kConnectFailed = 62;
inline constexpr int kDisconnectFailed = 63;
inline constexpr int kHimdsUnreachable = 64;
inline constexpr int kAgentStatus = 66;
inline constexpr int kAlreadyConnected = 67;
inline constexpr int kSubscriptionLookup = 68;
inline constexpr int kLocalConfigUpdate = 69;
inline constexpr int kLocalConfigRead = 70;
inline constexpr int kCloudConfig = 75;
inline constexpr int kCertificateDownload = 81;
inline constexpr int kResourceName = 102;
inline constexpr int kRsaKey = 103;
inline constexpr int kAzureVm = 141;
} // namespace exitcode

struct Error {
    int code = exitcode::kGeneric;
    std::string message;
};

template <class T>
using Result = boost::outcome_v2::result<T, Error, boost::outcome_v2::policy::terminate>;

// Assigns the value of a Result expression to an existing lvalue, or returns its error.
// (Boost 1.74's BOOST_OUTCOME_TRY can only declare a new variable.)
#define AZCM_ASSIGN_OR_RETURN(lhs, expr)                                                           \
    do {                                                                                           \
        auto azcm_try_result = (expr);                                                             \
        if (!azcm_try_result) {                                                                    \
            return std::move(azcm_try_result).error();                                             \
        }                                                                                          \
        (lhs) = std::move(azcm_try_result).value();                                                \
    } while (false)

inline Error makeError(int code, std::string message) {
    return Error{code, std::move(message)};
}

inline auto ok() {
    return boost::outcome_v2::success();
}

} // namespace azcm
