// Encoding, hashing and randomness helpers of the crypto module.
#include "common/crypto/encoding.hpp"

#include <set>

#include <gtest/gtest.h>

namespace azcm::crypto {
namespace {

struct Vector {
    std::string plain;
    std::string encoded;
};

// RFC 4648 section 10.
const std::vector<Vector> kRfc4648 = {
    {"", ""},
    {"f", "Zg=="},
    {"fo", "Zm8="},
    {"foo", "Zm9v"},
    {"foob", "Zm9vYg=="},
    {"fooba", "Zm9vYmE="},
    {"foobar", "Zm9vYmFy"},
};

TEST(Base64, EncodesRfc4648Vectors) {
    for (const auto& vector : kRfc4648) {
        EXPECT_EQ(base64Encode(vector.plain), vector.encoded) << vector.plain;
    }
}

TEST(Base64, DecodesRfc4648Vectors) {
    for (const auto& vector : kRfc4648) {
        auto decoded = base64Decode(vector.encoded);
        ASSERT_TRUE(decoded) << vector.encoded;
        EXPECT_EQ(decoded.value(), vector.plain);
    }
}

TEST(Base64, UrlVariantUsesUrlAlphabetWithoutPadding) {
    const std::string bytes("\xfb\xff\xfe", 3);
    EXPECT_EQ(base64Encode(bytes), "+//+");
    EXPECT_EQ(base64UrlEncode(bytes), "-__-");
    EXPECT_EQ(base64UrlEncode("f"), "Zg");
    EXPECT_EQ(base64UrlEncode("fo"), "Zm8");
    for (const auto& vector : kRfc4648) {
        const std::string unpadded = vector.encoded.substr(0, vector.encoded.find('='));
        EXPECT_EQ(base64UrlEncode(vector.plain), unpadded);
        auto decoded = base64UrlDecode(unpadded);
        ASSERT_TRUE(decoded) << unpadded;
        EXPECT_EQ(decoded.value(), vector.plain);
    }
}

TEST(Base64, UrlDecodeAcceptsPaddingWhenCorrect) {
    auto decoded = base64UrlDecode("Zg==");
    ASSERT_TRUE(decoded);
    EXPECT_EQ(decoded.value(), "f");
    EXPECT_FALSE(base64UrlDecode("Zg="));
}

TEST(Base64, RejectsMalformedInput) {
    EXPECT_FALSE(base64Decode("Zm9v!"));    // not in the alphabet
    EXPECT_FALSE(base64Decode("Zg="));      // short padding
    EXPECT_FALSE(base64Decode("Zg"));       // standard base64 needs padding
    EXPECT_FALSE(base64Decode("Z"));        // impossible length
    EXPECT_FALSE(base64Decode("Zh=="));     // non-zero unused bits
    EXPECT_FALSE(base64Decode("Zg==Zg==")); // data after padding
    EXPECT_FALSE(base64Decode("Zm9v===="));
    EXPECT_FALSE(base64UrlDecode("+/8")); // standard alphabet in url variant
    EXPECT_FALSE(base64Decode("-_8="));   // url alphabet in standard variant
}

TEST(Base64, StandardDecodeToleratesLineBreaks) {
    auto decoded = base64Decode("Zm9v\r\nYmFy\n");
    ASSERT_TRUE(decoded);
    EXPECT_EQ(decoded.value(), "foobar");
    EXPECT_FALSE(base64UrlDecode("Zm9v\nYmFy"));
}

TEST(Base64, RoundTripsAllByteValues) {
    std::string bytes;
    for (int i = 0; i < 256; ++i) {
        bytes += static_cast<char>(i);
    }
    for (std::size_t length = 0; length <= bytes.size(); length += 37) {
        const std::string part = bytes.substr(0, length);
        EXPECT_EQ(base64Decode(base64Encode(part)).value(), part);
        EXPECT_EQ(base64UrlDecode(base64UrlEncode(part)).value(), part);
    }
}

TEST(Hex, EncodesLowerCase) {
    EXPECT_EQ(hexEncode(std::string("\x00\xff\x10\xab", 4)), "00ff10ab");
    EXPECT_EQ(hexEncode(""), "");
}

TEST(Digest, MatchesKnownVectors) {
    // FIPS 180-2 examples for "abc".
    EXPECT_EQ(hexEncode(sha256("abc")),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(hexEncode(sha1("abc")), "a9993e364706816aba3e25717850c26c9cd0d89d");
    EXPECT_EQ(sha256("").size(), 32U);
}

TEST(Random, BytesHaveRequestedLengthAndDiffer) {
    EXPECT_EQ(randomBytes(0).size(), 0U);
    const std::string a = randomBytes(32);
    const std::string b = randomBytes(32);
    EXPECT_EQ(a.size(), 32U);
    EXPECT_NE(a, b);
}

// 8-4-4-4-12 lower-case hex, version nibble 4, RFC 4122 variant (8, 9, a or b). Checked by hand:
// std::regex trips GCC 12's -Wmaybe-uninitialized under the sanitizers.
bool isV4Guid(const std::string& guid) {
    if (guid.size() != 36) {
        return false;
    }
    for (std::size_t i = 0; i < guid.size(); ++i) {
        const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash != (guid[i] == '-')) {
            return false;
        }
        if (!dash && std::string_view("0123456789abcdef").find(guid[i]) == std::string_view::npos) {
            return false;
        }
    }
    return guid[14] == '4' && std::string_view("89ab").find(guid[19]) != std::string_view::npos;
}

TEST(Random, GuidIsLowerCaseVersion4) {
    EXPECT_FALSE(isV4Guid("0123456789abcdef0123456789abcdef0123")); // the checker itself
    EXPECT_FALSE(isV4Guid("01234567-89ab-3def-8123-456789abcdef"));
    EXPECT_TRUE(isV4Guid("01234567-89ab-4def-8123-456789abcdef"));
    std::set<std::string> seen;
    for (int i = 0; i < 64; ++i) {
        const std::string guid = randomGuid();
        EXPECT_TRUE(isV4Guid(guid)) << guid;
        seen.insert(guid);
    }
    EXPECT_EQ(seen.size(), 64U);
}

TEST(Random, UrlSafeSecretCarriesRequestedEntropy) {
    const std::string secret = randomUrlSafeSecret();
    EXPECT_EQ(base64UrlDecode(secret).value().size(), 32U);
    EXPECT_EQ(secret.find_first_not_of(
                  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
              std::string::npos);
    EXPECT_EQ(base64UrlDecode(randomUrlSafeSecret(100)).value().size(), 13U); // ceil(100 / 8)
    EXPECT_NE(randomUrlSafeSecret(), randomUrlSafeSecret());
}

} // namespace
} // namespace azcm::crypto
