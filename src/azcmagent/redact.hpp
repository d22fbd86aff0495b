#pragma once
// The command line as it goes to azcmagent.log (the real agent logs the parameters of connect,
// disconnect and config) with every secret replaced by REDACTED.
#include <string>
#include <vector>

namespace azcm::azcmagent {

inline constexpr const char* kRedacted = "REDACTED";

// `args` without the program name. Secret values: --service-principal-secret / -p (connect and
// disconnect), --access-token, any long option whose name holds "secret", "password" or "token",
// in the forms `--opt v`, `--opt=v`, `-p v`, `-pv`; and the value after a positional argument
// naming a password (`config set proxy.password v`).
std::vector<std::string> redactArguments(const std::vector<std::string>& args);
// The redacted arguments joined by spaces, each quoted when it holds a space.
std::string redactedCommandLine(const std::vector<std::string>& args);

// A secret given in the command line itself, which every local user can read in the process list.
struct SecretArgument {
    std::string option; // "-p", "--access-token", ...; empty for a URL with credentials
    bool url = false;   // credentials in a URL (`config set proxy.url http://user:pw@proxy`)
};
// What redactArguments() hides, except the value "-" (read from standard input instead).
std::vector<SecretArgument> secretArguments(const std::vector<std::string>& args);

} // namespace azcm::azcmagent
