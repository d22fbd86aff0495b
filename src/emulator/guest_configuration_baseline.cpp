#include "emulator/guest_configuration_baseline.hpp"

#include "common/crypto/encoding.hpp"
#include "gc_baseline_document.hpp" // generated: kEmbeddedBaselineDocument

#include <memory>

#include <archive.h>
#include <archive_entry.h>
#include <spdlog/spdlog.h>

namespace azcm::emulator {

namespace {

// 2026-01-01T00:00:00Z: any fixed time; it keeps the zip's bytes reproducible.
constexpr time_t kFixedTimestamp = 1767225600;

la_ssize_t appendToString(struct archive*, void* client, const void* buffer, size_t length) {
    static_cast<std::string*>(client)->append(static_cast<const char*>(buffer), length);
    return static_cast<la_ssize_t>(length);
}

} // namespace

std::string_view builtInBaselineDocument() {
    return kEmbeddedBaselineDocument;
}

Result<std::string> makeZip(const std::vector<std::pair<std::string, std::string>>& files) {
    std::string bytes;
    std::unique_ptr<struct archive, decltype(&archive_write_free)> writer(archive_write_new(),
                                                                          &archive_write_free);
    if (!writer || archive_write_set_format_zip(writer.get()) != ARCHIVE_OK ||
        archive_write_open(writer.get(), &bytes, nullptr, &appendToString, nullptr) != ARCHIVE_OK) {
        return makeError(exitcode::kGeneric, "cannot start a zip archive");
    }
    for (const auto& [name, content] : files) {
        std::unique_ptr<struct archive_entry, decltype(&archive_entry_free)> entry(
            archive_entry_new(), &archive_entry_free);
        archive_entry_set_pathname(entry.get(), name.c_str());
        archive_entry_set_filetype(entry.get(), AE_IFREG);
        archive_entry_set_perm(entry.get(), 0644);
        archive_entry_set_size(entry.get(), static_cast<la_int64_t>(content.size()));
        archive_entry_set_mtime(entry.get(), kFixedTimestamp, 0);
        if (archive_write_header(writer.get(), entry.get()) != ARCHIVE_OK ||
            archive_write_data(writer.get(), content.data(), content.size()) !=
                static_cast<la_ssize_t>(content.size())) {
            return makeError(exitcode::kGeneric, std::string("cannot write zip entry: ") +
                                                     archive_error_string(writer.get()));
        }
    }
    if (archive_write_close(writer.get()) != ARCHIVE_OK) {
        return makeError(exitcode::kGeneric, "cannot finish the zip archive");
    }
    return bytes;
}

Result<void> publishBuiltInBaseline(Store& store,
                                    const DataDir& dir,
                                    const PackageSigner& signer,
                                    SystemTime now) {
    const auto document = builtInBaselineDocument();
    if (document.empty()) {
        return makeError(exitcode::kGeneric, "this build embeds no baseline configuration.json");
    }
    BOOST_OUTCOME_TRY(zip, makeZip({{"configuration.json", std::string(document)}}));
    BOOST_OUTCOME_TRY(existing, findPackage(store, kPackageKindGuestConfiguration, "",
                                            kBaselineName, kBaselineVersion));
    const std::string digest = crypto::hexEncode(crypto::sha256(zip));
    if (existing && existing->version == kBaselineVersion && existing->sha256 == digest) {
        return ok();
    }
    BOOST_OUTCOME_TRY(published, publishPackage(store, dir, signer, kPackageKindGuestConfiguration,
                                                "", kBaselineName, kBaselineVersion, zip, now));
    spdlog::info("EMULATOR_GC_BASELINE_PUBLISHED name={} version={} sha256={}", kBaselineName,
                 kBaselineVersion, published.sha256);
    return ok();
}

} // namespace azcm::emulator
