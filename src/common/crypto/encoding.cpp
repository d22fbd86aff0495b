#include "common/crypto/encoding.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>

#include <openssl/evp.h>
#include <openssl/rand.h>

namespace azcm::crypto {

namespace {

constexpr std::string_view kStandardAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view kUrlAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string encodeWith(std::string_view bytes, std::string_view alphabet, bool pad) {
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 3 <= bytes.size(); i += 3) {
        const auto a = static_cast<unsigned char>(bytes[i]);
        const auto b = static_cast<unsigned char>(bytes[i + 1]);
        const auto c = static_cast<unsigned char>(bytes[i + 2]);
        out += alphabet[a >> 2];
        out += alphabet[((a & 0x03) << 4) | (b >> 4)];
        out += alphabet[((b & 0x0f) << 2) | (c >> 6)];
        out += alphabet[c & 0x3f];
    }
    const std::size_t rest = bytes.size() - i;
    if (rest == 1) {
        const auto a = static_cast<unsigned char>(bytes[i]);
        out += alphabet[a >> 2];
        out += alphabet[(a & 0x03) << 4];
        if (pad) {
            out += "==";
        }
    } else if (rest == 2) {
        const auto a = static_cast<unsigned char>(bytes[i]);
        const auto b = static_cast<unsigned char>(bytes[i + 1]);
        out += alphabet[a >> 2];
        out += alphabet[((a & 0x03) << 4) | (b >> 4)];
        out += alphabet[(b & 0x0f) << 2];
        if (pad) {
            out += '=';
        }
    }
    return out;
}

// Strict decoding: only the alphabet's characters, padding only at the end (optional when
// `padding_optional`), and zero unused bits, so that every value has exactly one encoding (a JWT
// signature must not be malleable).
Result<std::string> decodeWith(std::string_view text,
                               std::string_view alphabet,
                               bool padding_optional,
                               bool skip_whitespace) {
    std::array<int, 256> table{};
    table.fill(-1);
    for (std::size_t i = 0; i < alphabet.size(); ++i) {
        table[static_cast<unsigned char>(alphabet[i])] = static_cast<int>(i);
    }
    std::string symbols;
    symbols.reserve(text.size());
    std::size_t padding = 0;
    for (const char ch : text) {
        if (skip_whitespace && (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n')) {
            continue;
        }
        if (ch == '=') {
            ++padding;
            continue;
        }
        if (padding != 0) {
            return makeError(exitcode::kInvalidArgument, "base64: data after padding");
        }
        const int value = table[static_cast<unsigned char>(ch)];
        if (value < 0) {
            return makeError(exitcode::kInvalidArgument, "base64: invalid character");
        }
        symbols += static_cast<char>(value);
    }
    const std::size_t rest = symbols.size() % 4;
    if (rest == 1 || padding > 2) {
        return makeError(exitcode::kInvalidArgument, "base64: invalid length");
    }
    if (padding != 0 || !padding_optional) {
        if ((symbols.size() + padding) % 4 != 0 || (rest == 0 && padding != 0)) {
            return makeError(exitcode::kInvalidArgument, "base64: invalid padding");
        }
    }
    std::string out;
    out.reserve(symbols.size() / 4 * 3 + 2);
    std::size_t i = 0;
    for (; i + 4 <= symbols.size(); i += 4) {
        const unsigned value = (static_cast<unsigned>(symbols[i]) << 18) |
                               (static_cast<unsigned>(symbols[i + 1]) << 12) |
                               (static_cast<unsigned>(symbols[i + 2]) << 6) |
                               static_cast<unsigned>(symbols[i + 3]);
        out += static_cast<char>((value >> 16) & 0xff);
        out += static_cast<char>((value >> 8) & 0xff);
        out += static_cast<char>(value & 0xff);
    }
    if (rest == 2) {
        const unsigned value =
            (static_cast<unsigned>(symbols[i]) << 6) | static_cast<unsigned>(symbols[i + 1]);
        if ((value & 0x0f) != 0) {
            return makeError(exitcode::kInvalidArgument, "base64: non-zero trailing bits");
        }
        out += static_cast<char>((value >> 4) & 0xff);
    } else if (rest == 3) {
        const unsigned value = (static_cast<unsigned>(symbols[i]) << 12) |
                               (static_cast<unsigned>(symbols[i + 1]) << 6) |
                               static_cast<unsigned>(symbols[i + 2]);
        if ((value & 0x03) != 0) {
            return makeError(exitcode::kInvalidArgument, "base64: non-zero trailing bits");
        }
        out += static_cast<char>((value >> 10) & 0xff);
        out += static_cast<char>((value >> 2) & 0xff);
    }
    return out;
}

std::string digest(const EVP_MD* md, std::string_view bytes) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
    unsigned int length = 0;
    if (EVP_Digest(bytes.data(), bytes.size(), out.data(), &length, md, nullptr) != 1) {
        // Only fails on allocation failure or a broken provider: nothing sensible to continue with.
        std::fputs("azcm: OpenSSL digest failed\n", stderr);
        std::abort();
    }
    return std::string(reinterpret_cast<const char*>(out.data()), length);
}

} // namespace

std::string base64Encode(std::string_view bytes) {
    return encodeWith(bytes, kStandardAlphabet, true);
}

Result<std::string> base64Decode(std::string_view text) {
    // Line breaks are tolerated: base64 arrives wrapped from PEM bodies and some JSON producers.
    return decodeWith(text, kStandardAlphabet, false, true);
}

std::string base64UrlEncode(std::string_view bytes) {
    return encodeWith(bytes, kUrlAlphabet, false);
}

Result<std::string> base64UrlDecode(std::string_view text) {
    return decodeWith(text, kUrlAlphabet, true, false);
}

std::string hexEncode(std::string_view bytes) {
    constexpr std::string_view kDigits = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (const char ch : bytes) {
        const auto byte = static_cast<unsigned char>(ch);
        out += kDigits[byte >> 4];
        out += kDigits[byte & 0x0f];
    }
    return out;
}

std::string randomBytes(std::size_t count) {
    constexpr std::size_t kChunk = 1U << 20; // RAND_bytes takes an int length
    std::string out(count, '\0');
    for (std::size_t done = 0; done < count; done += kChunk) {
        const std::size_t length = std::min(kChunk, count - done);
        if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data() + done),
                       static_cast<int>(length)) != 1) {
            // Without a working CSPRNG no key, secret or serial can be made safely.
            std::fputs("azcm: RAND_bytes failed\n", stderr);
            std::abort();
        }
    }
    return out;
}

std::string randomGuid() {
    std::string bytes = randomBytes(16);
    bytes[6] = static_cast<char>((static_cast<unsigned char>(bytes[6]) & 0x0f) | 0x40); // version 4
    bytes[8] = static_cast<char>((static_cast<unsigned char>(bytes[8]) & 0x3f) | 0x80); // RFC 4122
    const std::string hex = hexEncode(bytes);
    return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
           hex.substr(16, 4) + "-" + hex.substr(20, 12);
}

std::string randomUrlSafeSecret(std::size_t bits) {
    return base64UrlEncode(randomBytes((bits + 7) / 8));
}

std::string sha256(std::string_view bytes) {
    return digest(EVP_sha256(), bytes);
}

std::string sha1(std::string_view bytes) {
    return digest(EVP_sha1(), bytes);
}

} // namespace azcm::crypto
