// Extraction of a package zip with libarchive's secure flags. Only regular files and directories
// are accepted (a symlink or hard link in a package could point a later write outside the
// directory); set-id bits are dropped; the total size is bounded while copying, not trusted from
// the header.
#include "engine.hpp"
#include "fs/atomic_file.hpp"

#include <memory>

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>

namespace azcm::gc {

namespace {

// libarchive's last error on `a`. Some failures (a truncated zip header) leave no message, and a
// null one must not reach a std::string.
std::string archiveError(archive* a) {
    const char* message = archive_error_string(a);
    return message != nullptr ? message : "unknown archive error";
}

struct ReaderDeleter {
    void operator()(archive* a) const { archive_read_free(a); }
};
struct WriterDeleter {
    void operator()(archive* a) const { archive_write_free(a); }
};

Error extractError(const std::string& message) {
    return makeError(exitcode::kInvalidArgument, "package extraction: " + message);
}

} // namespace

Result<void> extractPackage(const std::filesystem::path& zip,
                            const std::filesystem::path& dir,
                            std::uint64_t max_bytes) {
    BOOST_OUTCOME_TRY(fs::ensureDirectory(dir, {0700, {}}));
    std::unique_ptr<archive, ReaderDeleter> reader(archive_read_new());
    std::unique_ptr<archive, WriterDeleter> writer(archive_write_disk_new());
    archive_read_support_format_zip(reader.get());
    // Entry names are checked below (relative, no ".."), then prefixed with `dir`, which is why
    // ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS cannot be used; the other two still guard the write.
    archive_write_disk_set_options(
        writer.get(), ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
                          ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_NO_OVERWRITE);
    if (archive_read_open_filename(reader.get(), zip.c_str(), 64 * 1024) != ARCHIVE_OK) {
        return extractError(std::string("cannot open the zip: ") + archiveError(reader.get()));
    }
    std::uint64_t total = 0;
    archive_entry* entry = nullptr;
    int status = ARCHIVE_OK;
    while ((status = archive_read_next_header(reader.get(), &entry)) == ARCHIVE_OK) {
        std::string name = archive_entry_pathname(entry) ? archive_entry_pathname(entry) : "";
        auto type = archive_entry_filetype(entry);
        if (type != AE_IFREG && type != AE_IFDIR) {
            return extractError("entry \"" + name + "\" is not a regular file or directory");
        }
        if (archive_entry_hardlink(entry) != nullptr) {
            return extractError("entry \"" + name + "\" is a hard link");
        }
        std::filesystem::path relative(name);
        if (name.empty() || relative.is_absolute()) {
            return extractError("entry \"" + name + "\" has an absolute or empty path");
        }
        for (const auto& part : relative) {
            if (part == "..") {
                return extractError("entry \"" + name + "\" leaves the package directory");
            }
        }
        archive_entry_set_pathname(entry, (dir / relative).c_str());
        archive_entry_set_perm(entry, type == AE_IFDIR ? 0700 : 0600);
        if (archive_write_header(writer.get(), entry) != ARCHIVE_OK) {
            return extractError("entry \"" + name + "\": " + archiveError(writer.get()));
        }
        const void* block = nullptr;
        size_t size = 0;
        la_int64_t offset = 0;
        int data_status = ARCHIVE_OK;
        while ((data_status = archive_read_data_block(reader.get(), &block, &size, &offset)) ==
               ARCHIVE_OK) {
            total += size;
            if (total > max_bytes) {
                return extractError("more than " + std::to_string(max_bytes) +
                                    " bytes uncompressed");
            }
            if (archive_write_data_block(writer.get(), block, size, offset) != ARCHIVE_OK) {
                return extractError("entry \"" + name + "\": " + archiveError(writer.get()));
            }
        }
        if (data_status != ARCHIVE_EOF) {
            return extractError("entry \"" + name + "\": " + archiveError(reader.get()));
        }
        if (archive_write_finish_entry(writer.get()) != ARCHIVE_OK) {
            return extractError("entry \"" + name + "\": " + archiveError(writer.get()));
        }
    }
    if (status != ARCHIVE_EOF) {
        return extractError(std::string("corrupt zip: ") + archiveError(reader.get()));
    }
    return ok();
}

} // namespace azcm::gc
