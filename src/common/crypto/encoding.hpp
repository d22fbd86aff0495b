#pragma once
#include "common/error.hpp"

#include <string>
#include <string_view>

namespace azcm::crypto {

std::string base64Encode(std::string_view bytes);
Result<std::string> base64Decode(std::string_view text);
std::string base64UrlEncode(std::string_view bytes); // no padding
Result<std::string> base64UrlDecode(std::string_view text);
std::string hexEncode(std::string_view bytes); // lower case

// Cryptographically secure random bytes (OpenSSL RAND_bytes); aborts if the CSPRNG fails.
std::string randomBytes(std::size_t count);
// A random RFC 4122 version-4 GUID, lower case.
std::string randomGuid();
// A URL-safe random secret with at least `bits` bits of entropy.
std::string randomUrlSafeSecret(std::size_t bits = 256);

std::string sha256(std::string_view bytes); // raw digest
std::string sha1(std::string_view bytes);   // raw digest

} // namespace azcm::crypto
