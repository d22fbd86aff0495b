#pragma once
// `azcmagent disconnect` (docs/cli.md): delete the ARM resource, then the local identity.
#include "azcmagent/console.hpp"
#include "azcmagent/credentials.hpp"
#include "azcmagent/environment.hpp"
#include "common/error.hpp"

#include <nlohmann/json.hpp>

namespace azcm::azcmagent {

struct DisconnectOptions {
    CredentialOptions credential;
    bool force_local_only = false;
};

// Local cleanup: himds drops the identity (or, when himds does not answer, the key and
// certificate files are removed here), then agentconfig.json moves to agentconfig.json.bak.
Result<void> cleanUpLocalIdentity(const Environment& env);

Result<nlohmann::json>
runDisconnect(const DisconnectOptions& options, const Environment& env, const Console& console);

} // namespace azcm::azcmagent
