#pragma once
// The host's trusted root certificates: what a TLS client trusts when the cloud names no CA file
// of its own. Linux: OpenSSL's default paths (the distribution's bundle, /etc/ssl/certs).
// Windows: the machine's "ROOT" certificate store, which OpenSSL cannot read by itself.
#include "common/error.hpp"

#include <string>

struct ssl_ctx_st;

namespace azcm::platform {

// Adds the host's roots to the context's trust store.
Result<void> trustSystemRoots(ssl_ctx_st* context);

// The same roots as one PEM bundle (himds verifies its issued certificate against it).
Result<std::string> systemRootsPem();

} // namespace azcm::platform
