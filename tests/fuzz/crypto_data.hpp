#pragma once
// The fixed test PKI of the crypto fuzz targets (tests/fuzz/data, made by make-fuzz-pki.sh): a
// root CA and a signer certificate with its key, so seeds can hold valid signatures, chains,
// enveloped data and tokens for the fuzzer to mutate from.
#include "fuzz_support.hpp"

#include <fstream>
#include <sstream>
#include <string>

namespace azcm::fuzz {

inline std::string readDataFile(const char* name) {
    std::ifstream in(std::string(AZCM_FUZZ_DATA_DIR) + "/" + name, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    AZCM_FUZZ_CHECK(in.good() || in.eof());
    AZCM_FUZZ_CHECK(!text.str().empty());
    return text.str();
}

struct FuzzPki {
    std::string root_pem = readDataFile("root.pem");
    std::string signer_pem = readDataFile("signer.pem");
    std::string signer_key_pem = readDataFile("signer.key");
    // What the seed signatures of cms_fuzz sign (detached).
    std::string signed_content = readDataFile("signed-content.txt");
};

inline const FuzzPki& fuzzPki() {
    static const FuzzPki pki;
    return pki;
}

} // namespace azcm::fuzz
