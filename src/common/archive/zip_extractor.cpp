#include "common/archive/zip_extractor.hpp"

#include "common/platform/archive_file.hpp"
#include "common/platform/extraction_tree.hpp"

#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include <archive.h>
#include <archive_entry.h>

namespace azcm::archive {

namespace {

namespace stdfs = std::filesystem;

Error refused(std::string message) {
    return makeError(exitcode::kGeneric, std::move(message));
}

std::string quoted(const std::string& name) {
    return "zip entry \"" + name + "\"";
}

// libarchive's last error on `a`. Some failures (a truncated zip header) leave no message, and a
// null one must not reach a std::string.
std::string archiveError(::archive* a) {
    const char* message = archive_error_string(a);
    return message != nullptr ? message : "unknown archive error";
}

struct ReaderDeleter {
    void operator()(::archive* a) const { archive_read_free(a); }
};

// The components of an entry name, checked before anything is created: relative, no "..", no
// backslash (a Windows separator would make "a\..\..\x" mean different things to different
// tools). "." and empty components are dropped, so "./a//b/" is {"a", "b"}; "./" alone is {}.
Result<std::vector<std::string>> safeComponents(const char* raw) {
    if (raw == nullptr || *raw == '\0') {
        return refused("zip has an entry without a name");
    }
    const std::string name(raw);
    if (name.front() == '/') {
        return refused(quoted(name) + " has an absolute path");
    }
    if (name.find('\\') != std::string::npos) {
        return refused(quoted(name) + " contains a backslash");
    }
    std::vector<std::string> components;
    std::size_t start = 0;
    while (start <= name.size()) {
        std::size_t slash = name.find('/', start);
        if (slash == std::string::npos) {
            slash = name.size();
        }
        std::string part = name.substr(start, slash - start);
        if (part == "..") {
            return refused(quoted(name) + " escapes the extraction directory");
        }
        if (!part.empty() && part != ".") {
            components.push_back(std::move(part));
        }
        start = slash + 1;
    }
    return components;
}

std::uint32_t fileMode(ExtractedModes modes, std::uint32_t zip_perm) {
    return modes == ExtractedModes::kExecutablePackage ? ((zip_perm & 0755) | 0700) : 0600;
}

std::uint32_t directoryMode(ExtractedModes modes) {
    return modes == ExtractedModes::kExecutablePackage ? 0755 : 0700;
}

class Extraction {
public:
    Extraction(::archive* reader, const platform::ExtractionTree& tree, ZipExtraction options)
        : reader_(reader), tree_(tree), options_(options) {}

    Result<void> run() {
        archive_entry* entry = nullptr;
        std::uint64_t entries = 0;
        for (;;) {
            const int status = archive_read_next_header(reader_, &entry);
            if (status == ARCHIVE_EOF) {
                return ok();
            }
            if (status != ARCHIVE_OK) {
                return refused("corrupt zip: " + archiveError(reader_));
            }
            if (++entries > options_.limits.max_entries) {
                return refused("zip has more than " + std::to_string(options_.limits.max_entries) +
                               " entries");
            }
            if (auto done = extractEntry(entry); !done) {
                return done;
            }
        }
    }

private:
    Result<void> extractEntry(archive_entry* entry) {
        auto components = safeComponents(archive_entry_pathname(entry));
        if (!components) {
            return components.error();
        }
        const std::string name = archive_entry_pathname(entry);
        const auto type = archive_entry_filetype(entry);
        if (archive_entry_hardlink(entry) != nullptr || archive_entry_symlink(entry) != nullptr ||
            type == AE_IFLNK) {
            return refused(quoted(name) + " is a link");
        }
        if (type != AE_IFREG && type != AE_IFDIR) {
            return refused(quoted(name) + " is not a regular file or directory");
        }
        if (components.value().empty()) {
            return ok(); // "./" itself
        }
        if (type == AE_IFDIR) {
            if (auto made = tree_.makeDirectory(components.value()); !made) {
                return refused(quoted(name) + ": " + made.error().message);
            }
            return ok();
        }
        if (archive_entry_size_is_set(entry) != 0 &&
            static_cast<std::uint64_t>(archive_entry_size(entry)) >
                options_.limits.max_entry_bytes) {
            return tooLarge(name);
        }
        auto file = tree_.createFile(components.value(),
                                     fileMode(options_.modes, archive_entry_perm(entry)));
        if (!file) {
            return refused(quoted(name) + ": " + file.error().message);
        }
        return copyData(name, file.value());
    }

    Error tooLarge(const std::string& name) const {
        return refused(quoted(name) + " is larger than " +
                       std::to_string(options_.limits.max_entry_bytes) + " bytes");
    }

    Result<void> copyData(const std::string& name, platform::ExtractedFile& file) {
        std::uint64_t entry_bytes = 0;
        for (;;) {
            const void* buffer = nullptr;
            size_t size = 0;
            la_int64_t offset = 0;
            const int status = archive_read_data_block(reader_, &buffer, &size, &offset);
            if (status == ARCHIVE_EOF) {
                return ok();
            }
            if (status != ARCHIVE_OK) {
                return refused("cannot read " + quoted(name) + ": " + archiveError(reader_));
            }
            // Zip data is never sparse: a block that does not follow the previous one is a
            // forgery, and writing it sequentially would put bytes where they were not meant.
            if (offset < 0 || static_cast<std::uint64_t>(offset) != entry_bytes) {
                return refused(quoted(name) + " has data out of order");
            }
            // Counted while streaming: the sizes in the zip's directory may lie.
            entry_bytes += size;
            total_bytes_ += size;
            if (entry_bytes > options_.limits.max_entry_bytes) {
                return tooLarge(name);
            }
            if (total_bytes_ > options_.limits.max_total_bytes) {
                return refused("zip content is larger than " +
                               std::to_string(options_.limits.max_total_bytes) + " bytes");
            }
            if (auto written = file.write({static_cast<const char*>(buffer), size}); !written) {
                return refused(quoted(name) + ": " + written.error().message);
            }
        }
    }

    ::archive* reader_;
    const platform::ExtractionTree& tree_;
    ZipExtraction options_;
    std::uint64_t total_bytes_ = 0;
};

} // namespace

Result<void>
extractZip(const stdfs::path& zip, const stdfs::path& dir, const ZipExtraction& options) {
    std::unique_ptr<::archive, ReaderDeleter> reader(archive_read_new());
    archive_read_support_format_zip(reader.get());
    if (platform::openArchiveFile(reader.get(), zip, std::size_t{64} * 1024) != ARCHIVE_OK) {
        return refused("cannot open the package as a zip: " + archiveError(reader.get()));
    }
    auto tree = platform::ExtractionTree::create(dir, directoryMode(options.modes));
    if (!tree) {
        return tree.error();
    }
    auto result = Extraction(reader.get(), tree.value(), options).run();
    if (!result) {
        // Nothing of a refused zip is left; remove_all removes links, it never follows them.
        std::error_code ec;
        stdfs::remove_all(dir, ec);
    }
    return result;
}

} // namespace azcm::archive
