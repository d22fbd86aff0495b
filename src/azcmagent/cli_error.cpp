#include "azcmagent/cli_error.hpp"

#include <cstdio>

namespace azcm::azcmagent {

int exitStatusOf(const Error& error) {
    return error.code > 0 && error.code < 256 ? error.code : exitcode::kGeneric;
}

std::string azcmCode(int code) {
    char buffer[16];
    std::snprintf(buffer, sizeof(buffer), "AZCM%04d", code > 0 && code < 256 ? code : 1);
    return buffer;
}

std::string formatErrorText(const Error& error) {
    return azcmCode(exitStatusOf(error)) + ": " + error.message;
}

nlohmann::json formatErrorJson(const Error& error) {
    const int status = exitStatusOf(error);
    return {
        {"error", {{"code", azcmCode(status)}, {"exitCode", status}, {"message", error.message}}}};
}

} // namespace azcm::azcmagent
