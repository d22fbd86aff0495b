#pragma once
// Pure mappings from control-plane and himds answers to results with the real agent's exit codes
// (1.13). Kept apart from the I/O so each mapping is unit-tested.
#include "common/error.hpp"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace azcm::azcmagent {

// The code and message of an error body: ARM and the identity service answer
// {"error": {"code", "message"}}, Entra {"error", "error_description"}. Empty when absent.
struct ServiceError {
    std::string code;
    std::string message;
};
ServiceError parseServiceError(std::string_view body);

// application/x-www-form-urlencoded (RFC 3986 unreserved characters kept as they are).
std::string formEncode(const std::vector<std::pair<std::string, std::string>>& fields);

// Entra token endpoint. 200 with access_token: the token. 400/401: AZCM0041 with the
// error_description. Anything else: AZCM0041 naming the status.
Result<std::string> mapTokenResponse(unsigned status, std::string_view body);

enum class MachinePutOutcome { kDone, kResourceGroupMissing };
// ARM PUT machine. 200/201: done (the body holds the machine). 404 ResourceGroupNotFound: the
// caller creates the group and retries. Anything else: AZCM0042 with ARM's code and message.
Result<MachinePutOutcome> mapMachinePutResponse(unsigned status, std::string_view body);
// ARM PUT resource group. 200/201: ok; else AZCM0042.
Result<void> mapResourceGroupPutResponse(unsigned status, std::string_view body);
// ARM DELETE machine. 200/202/204 and 404 (already gone): ok. Else AZCM0043, which tells the
// user about --force-local-only.
Result<void>
mapMachineDeleteResponse(unsigned status, std::string_view body, std::string_view resource_id);
// Identity service certificate issue (docs/protocol.md 2.1). 200 with "certificate": the PEM chain.
// Else AZCM0081.
Result<std::string> mapCertificateResponse(unsigned status, std::string_view body);

struct HimdsKeys {
    std::string public_key; // base64 DER SubjectPublicKeyInfo
    std::string csr;        // PEM
};
// himds POST /identity/keys (docs/protocol.md 1). Else AZCM0061.
Result<HimdsKeys> mapHimdsKeysResponse(unsigned status, std::string_view body);
// himds POST /identity/activate. 200: ok. Else AZCM0062 (connect failed) with himds' reason.
Result<void> mapHimdsActivateResponse(unsigned status, std::string_view body);

// https://portal.azure.com/#@<tenant>/resource<resourceId>
std::string portalPage(std::string_view tenant_id, std::string_view resource_id);

} // namespace azcm::azcmagent
