#include "package_extract.hpp"

#include "crypto/encoding.hpp"
#include "fs/atomic_file.hpp"
#include "handler_codes.hpp"
#include "handler_manifest.hpp"

#include <memory>
#include <optional>
#include <string>
#include <system_error>

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <unistd.h>

namespace azcm::ext {

namespace {

namespace stdfs = std::filesystem;

constexpr std::string_view kTempPrefix = ".extract-";
constexpr std::string_view kManifestName = "HandlerManifest.json";
constexpr std::string_view kBom = "\xEF\xBB\xBF";

Error extractionError(std::string message) {
    return makeError(code::kExtraction, std::move(message));
}

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

// Our own check of an entry name, BEFORE libarchive sees it: relative, no "..", no backslash
// (a Windows separator would make "a\..\..\x" mean different things to different tools).
Result<std::string> safeRelativeName(const char* raw) {
    if (raw == nullptr || *raw == '\0') {
        return extractionError("package has an entry without a name");
    }
    std::string name(raw);
    if (name.front() == '/') {
        return extractionError("package entry has an absolute path: " + name);
    }
    if (name.find('\\') != std::string::npos) {
        return extractionError("package entry contains a backslash: " + name);
    }
    std::size_t start = 0;
    while (start <= name.size()) {
        const std::size_t slash = name.find('/', start);
        const std::string part =
            name.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
        if (part == "..") {
            return extractionError("package entry escapes its directory: " + name);
        }
        if (slash == std::string::npos) {
            break;
        }
        start = slash + 1;
    }
    while (name.rfind("./", 0) == 0) {
        name.erase(0, 2);
    }
    while (!name.empty() && name.back() == '/') {
        name.pop_back();
    }
    if (name.empty() || name == ".") {
        return std::string();
    }
    return name;
}

Result<void> copyData(archive* reader,
                      archive* writer,
                      const std::string& name,
                      const ExtractLimits& limits,
                      std::uint64_t& total) {
    std::uint64_t entry_bytes = 0;
    for (;;) {
        const void* buffer = nullptr;
        size_t size = 0;
        la_int64_t offset = 0;
        const int r = archive_read_data_block(reader, &buffer, &size, &offset);
        if (r == ARCHIVE_EOF) {
            return ok();
        }
        if (r != ARCHIVE_OK) {
            return extractionError("cannot read " + name + ": " + archiveError(reader));
        }
        // Counted while streaming: the sizes in the zip's directory may lie.
        entry_bytes += size;
        total += size;
        if (entry_bytes > limits.max_entry_bytes) {
            return extractionError("package entry " + name + " is larger than " +
                                   std::to_string(limits.max_entry_bytes) + " bytes");
        }
        if (total > limits.max_total_bytes) {
            return extractionError("package content is larger than " +
                                   std::to_string(limits.max_total_bytes) + " bytes");
        }
        if (archive_write_data_block(writer, buffer, size, offset) != ARCHIVE_OK) {
            return extractionError("cannot write " + name + ": " + archiveError(writer));
        }
    }
}

Result<void>
extractInto(const stdfs::path& zip, const stdfs::path& dir, const ExtractLimits& limits) {
    std::unique_ptr<archive, ReaderDeleter> reader(archive_read_new());
    std::unique_ptr<archive, WriterDeleter> writer(archive_write_disk_new());
    archive_read_support_format_zip(reader.get());
    // The secure flags are libarchive's second line of defence behind safeRelativeName. Every
    // entry is written under the absolute `dir` because libarchive resolves names against the
    // process's working directory, and chdir in a multi-threaded daemon would move every thread:
    // so NOABSOLUTEPATHS cannot be set, and our own check refuses absolute names instead.
    archive_write_disk_set_options(writer.get(), ARCHIVE_EXTRACT_SECURE_SYMLINKS |
                                                     ARCHIVE_EXTRACT_SECURE_NODOTDOT |
                                                     ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME);
    if (archive_read_open_filename(reader.get(), zip.c_str(), 64 * 1024) != ARCHIVE_OK) {
        return extractionError("cannot open package as a zip: " + archiveError(reader.get()));
    }
    std::uint64_t entries = 0;
    std::uint64_t total = 0;
    archive_entry* entry = nullptr;
    for (;;) {
        const int r = archive_read_next_header(reader.get(), &entry);
        if (r == ARCHIVE_EOF) {
            break;
        }
        if (r != ARCHIVE_OK) {
            return extractionError("corrupt package: " + archiveError(reader.get()));
        }
        if (++entries > limits.max_entries) {
            return extractionError("package has more than " + std::to_string(limits.max_entries) +
                                   " entries");
        }
        auto name = safeRelativeName(archive_entry_pathname(entry));
        if (!name) {
            return name.error();
        }
        const mode_t type = archive_entry_filetype(entry);
        if (archive_entry_hardlink(entry) != nullptr || archive_entry_symlink(entry) != nullptr ||
            type == AE_IFLNK) {
            return extractionError("package entry is a link: " + name.value());
        }
        if (type != AE_IFREG && type != AE_IFDIR) {
            return extractionError("package entry is not a file or directory: " + name.value());
        }
        if (name.value().empty()) {
            continue; // "./" itself
        }
        if (archive_entry_size_is_set(entry) != 0 &&
            static_cast<std::uint64_t>(archive_entry_size(entry)) > limits.max_entry_bytes) {
            return extractionError("package entry " + name.value() + " is larger than " +
                                   std::to_string(limits.max_entry_bytes) + " bytes");
        }
        const stdfs::path out = dir / name.value();
        archive_entry_set_pathname(entry, out.c_str());
        // C.1: every file gets u+x; nothing is group/world writable; owners are never restored.
        const mode_t perm = archive_entry_perm(entry);
        archive_entry_set_perm(entry, type == AE_IFDIR ? 0755 : ((perm & 0755) | 0700));
        if (archive_write_header(writer.get(), entry) != ARCHIVE_OK) {
            return extractionError("cannot extract " + name.value() + ": " +
                                   archiveError(writer.get()));
        }
        if (type == AE_IFREG) {
            if (auto copied = copyData(reader.get(), writer.get(), name.value(), limits, total);
                !copied) {
                return copied;
            }
        }
        if (archive_write_finish_entry(writer.get()) != ARCHIVE_OK) {
            return extractionError("cannot finish " + name.value() + ": " +
                                   archiveError(writer.get()));
        }
    }
    if (archive_write_close(writer.get()) != ARCHIVE_OK) {
        return extractionError("cannot finish extraction: " + archiveError(writer.get()));
    }
    return ok();
}

// C.1: the manifest may sit anywhere in the tree; the shallowest one wins and is copied to the
// base directory without its BOM. It must parse, or the package is refused as a whole.
Result<void> placeManifest(const stdfs::path& dir) {
    std::optional<stdfs::path> found;
    std::error_code ec;
    for (auto it = stdfs::recursive_directory_iterator(dir, ec);
         !ec && it != stdfs::recursive_directory_iterator(); it.increment(ec)) {
        if (it->path().filename() == kManifestName && it->is_regular_file(ec) &&
            (!found || it->path().string().size() < found->string().size())) {
            found = it->path();
        }
    }
    if (!found) {
        return makeError(code::kManifestNotFound, "HandlerManifest.json not found in package");
    }
    auto text = fs::readFile(*found, 1 << 20);
    if (!text) {
        return makeError(code::kManifestParse,
                         "cannot read HandlerManifest.json: " + text.error().message);
    }
    std::string content = std::move(text).value();
    if (content.rfind(kBom, 0) == 0) {
        content.erase(0, kBom.size());
    }
    if (auto parsed = parseHandlerManifest(content); !parsed) {
        return parsed.error();
    }
    return fs::writeFileAtomic(dir / kManifestName, content, {0744, {}});
}

void syncDirectory(const stdfs::path& dir) {
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        ::fsync(fd);
        ::close(fd);
    }
}

} // namespace

bool isExtractionTempDir(const stdfs::path& path) {
    return path.filename().string().rfind(kTempPrefix, 0) == 0;
}

Result<void>
extractPackage(const stdfs::path& zip, const stdfs::path& target_dir, const ExtractLimits& limits) {
    std::error_code ec;
    // Resolve the parent once so no symlink in it can trip SECURE_SYMLINKS (or redirect us).
    const stdfs::path parent = stdfs::weakly_canonical(target_dir.parent_path(), ec);
    if (ec) {
        return extractionError("cannot resolve " + target_dir.parent_path().string());
    }
    const stdfs::path target = parent / target_dir.filename();
    if (stdfs::exists(target, ec)) {
        return extractionError(target.filename().string() + " already exists");
    }
    const stdfs::path temp = parent / (std::string(kTempPrefix) + target.filename().string() + "-" +
                                       crypto::hexEncode(crypto::randomBytes(4)));
    if (auto made = fs::ensureDirectory(parent, {0755, {}}); !made) {
        return extractionError("cannot create " + parent.string() + ": " + made.error().message);
    }
    if (!stdfs::create_directory(temp, ec) || ec) {
        return extractionError("cannot create " + temp.string() + ": " + ec.message());
    }
    stdfs::permissions(temp, stdfs::perms(0700), ec);
    auto result = extractInto(zip, temp, limits);
    if (result) {
        result = placeManifest(temp);
    }
    if (result) {
        stdfs::permissions(temp, stdfs::perms(0755), ec);
        syncDirectory(temp);
        stdfs::rename(temp, target, ec);
        if (ec) {
            result =
                extractionError("cannot move the extracted package into place: " + ec.message());
        } else {
            syncDirectory(parent);
        }
    }
    if (!result) {
        stdfs::remove_all(temp, ec);
    }
    return result;
}

} // namespace azcm::ext
