#include "raw_zip.hpp"

#include <fstream>
#include <stdexcept>

namespace azcm::test {

namespace {

std::uint32_t crc32(const std::string& data) {
    std::uint32_t crc = 0xFFFFFFFFU;
    for (const unsigned char byte : data) {
        crc ^= byte;
        for (int bit = 0; bit < 8; ++bit) {
            crc = (crc >> 1) ^ (0xEDB88320U & (0U - (crc & 1U)));
        }
    }
    return ~crc;
}

void put16(std::string& out, std::uint32_t value) {
    out.push_back(static_cast<char>(value & 0xFF));
    out.push_back(static_cast<char>((value >> 8) & 0xFF));
}

void put32(std::string& out, std::uint32_t value) {
    put16(out, value & 0xFFFF);
    put16(out, value >> 16);
}

// The fields local and central headers share, from "version needed" to the name length.
void putCommon(std::string& out, const RawZipEntry& entry) {
    put16(out, 20);   // version needed: 2.0
    put16(out, 0);    // flags
    put16(out, 0);    // stored
    put16(out, 0);    // time
    put16(out, 0x21); // date: 1980-01-01
    put32(out, crc32(entry.content));
    put32(out, static_cast<std::uint32_t>(entry.content.size()));
    put32(out, static_cast<std::uint32_t>(entry.content.size()));
    put16(out, static_cast<std::uint32_t>(entry.name.size()));
    put16(out, 0); // extra field length
}

} // namespace

void writeRawZip(const std::filesystem::path& zip, const std::vector<RawZipEntry>& entries) {
    std::string body;
    std::string directory;
    for (const auto& entry : entries) {
        const auto offset = static_cast<std::uint32_t>(body.size());
        put32(body, 0x04034b50);
        putCommon(body, entry);
        body += entry.name;
        body += entry.content;

        put32(directory, 0x02014b50);
        put16(directory, (3U << 8) | 20U); // made by Unix, so the mode below counts
        putCommon(directory, entry);
        put16(directory, 0); // comment length
        put16(directory, 0); // disk
        put16(directory, 0); // internal attributes
        put32(directory, entry.mode << 16);
        put32(directory, offset);
        directory += entry.name;
    }
    std::string end;
    put32(end, 0x06054b50);
    put16(end, 0);
    put16(end, 0);
    put16(end, static_cast<std::uint32_t>(entries.size()));
    put16(end, static_cast<std::uint32_t>(entries.size()));
    put32(end, static_cast<std::uint32_t>(directory.size()));
    put32(end, static_cast<std::uint32_t>(body.size()));
    put16(end, 0);
    std::ofstream out(zip, std::ios::binary | std::ios::trunc);
    out << body << directory << end;
    if (!out) {
        throw std::runtime_error("cannot write " + zip.string());
    }
}

} // namespace azcm::test
