#include "common/platform/extraction_tree.hpp"
#include "common/platform/system_error_text.hpp"

#include <cerrno>
#include <utility>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace azcm::platform {

namespace {

Error systemError(const std::string& what, int error_number) {
    return makeError(exitcode::kGeneric, what + ": " + systemErrorText(error_number));
}

bool isPlainName(const std::string& name) {
    return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos;
}

std::string joined(const std::vector<std::string>& components, std::size_t count) {
    std::string shown;
    for (std::size_t i = 0; i < count; ++i) {
        shown += (i == 0 ? "" : "/") + components[i];
    }
    return shown;
}

class Descriptor {
public:
    explicit Descriptor(int descriptor) : descriptor_(descriptor) {}
    Descriptor(const Descriptor&) = delete;
    Descriptor& operator=(const Descriptor&) = delete;
    Descriptor(Descriptor&&) = delete;
    Descriptor& operator=(Descriptor&&) = delete;
    ~Descriptor() {
        if (descriptor_ >= 0) {
            ::close(descriptor_);
        }
    }
    int get() const { return descriptor_; }
    int release() { return std::exchange(descriptor_, -1); }
    void reset(int descriptor) {
        if (descriptor_ >= 0) {
            ::close(descriptor_);
        }
        descriptor_ = descriptor;
    }

private:
    int descriptor_;
};

// Opens (creating it when missing) the directory `name` in `parent`. O_NOFOLLOW|O_DIRECTORY refuse
// a symbolic link or a file planted under the name; a directory this call made gets `mode` on its
// own descriptor, so the umask does not decide it.
Result<int> openOrMakeDirectory(int parent,
                                const std::string& name,
                                std::uint32_t mode,
                                const std::string& shown) {
    const bool made = ::mkdirat(parent, name.c_str(), 0700) == 0;
    if (!made && errno != EEXIST) {
        return systemError("cannot create directory " + shown, errno);
    }
    const int descriptor =
        ::openat(parent, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (descriptor < 0) {
        return systemError("cannot open directory " + shown, errno);
    }
    if (made && ::fchmod(descriptor, static_cast<mode_t>(mode)) != 0) {
        const int error_number = errno;
        ::close(descriptor);
        return systemError("cannot set the mode of " + shown, error_number);
    }
    return descriptor;
}

} // namespace

ExtractedFile::ExtractedFile(int descriptor, std::string shown)
    : descriptor_(descriptor), shown_(std::move(shown)) {}

ExtractedFile::ExtractedFile(ExtractedFile&& other) noexcept
    : descriptor_(std::exchange(other.descriptor_, -1)), shown_(std::move(other.shown_)) {}

ExtractedFile::~ExtractedFile() {
    if (descriptor_ >= 0) {
        ::close(descriptor_);
    }
}

Result<void> ExtractedFile::write(std::string_view bytes) {
    while (!bytes.empty()) {
        const ssize_t written = ::write(descriptor_, bytes.data(), bytes.size());
        if (written < 0) {
            if (errno == EINTR) {
                continue;
            }
            return systemError("cannot write " + shown_, errno);
        }
        bytes.remove_prefix(static_cast<std::size_t>(written));
    }
    return ok();
}

ExtractionTree::ExtractionTree(int descriptor,
                               std::filesystem::path path,
                               std::uint32_t directory_mode)
    : descriptor_(descriptor), path_(std::move(path)), directory_mode_(directory_mode) {}

ExtractionTree::ExtractionTree(ExtractionTree&& other) noexcept
    : descriptor_(std::exchange(other.descriptor_, -1)), path_(std::move(other.path_)),
      directory_mode_(other.directory_mode_) {}

ExtractionTree::~ExtractionTree() {
    if (descriptor_ >= 0) {
        ::close(descriptor_);
    }
}

Result<ExtractionTree> ExtractionTree::create(const std::filesystem::path& dir,
                                              std::uint32_t directory_mode) {
    const auto parent_path =
        dir.parent_path().empty() ? std::filesystem::path(".") : dir.parent_path();
    const std::string name = dir.filename().string();
    if (!isPlainName(name)) {
        return makeError(exitcode::kGeneric, "not a directory name: " + dir.string());
    }
    Descriptor parent(::open(parent_path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (parent.get() < 0) {
        return systemError("cannot open " + parent_path.string(), errno);
    }
    if (::mkdirat(parent.get(), name.c_str(), 0700) != 0) {
        return systemError("cannot create " + dir.string(), errno);
    }
    const int descriptor =
        ::openat(parent.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (descriptor < 0) {
        return systemError("cannot open " + dir.string(), errno);
    }
    if (::fchmod(descriptor, 0700) != 0) {
        const int error_number = errno;
        ::close(descriptor);
        return systemError("cannot set the mode of " + dir.string(), error_number);
    }
    return ExtractionTree(descriptor, dir, directory_mode);
}

Result<void> ExtractionTree::makeDirectory(const std::vector<std::string>& components) const {
    auto directory = openDirectories(components, components.size());
    if (!directory) {
        return directory.error();
    }
    ::close(directory.value());
    return ok();
}

Result<int> ExtractionTree::openDirectories(const std::vector<std::string>& components,
                                            std::size_t count) const {
    Descriptor current(::dup(descriptor_));
    if (current.get() < 0) {
        return systemError("cannot open " + path_.string(), errno);
    }
    for (std::size_t i = 0; i < count; ++i) {
        if (!isPlainName(components[i])) {
            return makeError(exitcode::kGeneric, "not a plain name: " + joined(components, i + 1));
        }
        auto next = openOrMakeDirectory(current.get(), components[i], directory_mode_,
                                        joined(components, i + 1));
        if (!next) {
            return next.error();
        }
        current.reset(next.value());
    }
    return current.release();
}

Result<ExtractedFile> ExtractionTree::createFile(const std::vector<std::string>& components,
                                                 std::uint32_t mode) const {
    if (components.empty() || !isPlainName(components.back())) {
        return makeError(exitcode::kGeneric,
                         "not a plain name: " + joined(components, components.size()));
    }
    auto directory = openDirectories(components, components.size() - 1);
    if (!directory) {
        return directory.error();
    }
    Descriptor current(directory.value());
    const std::string shown = joined(components, components.size());
    // O_EXCL|O_NOFOLLOW: never an existing file, never through a link planted under the name.
    const int descriptor = ::openat(current.get(), components.back().c_str(),
                                    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (descriptor < 0) {
        return systemError("cannot create " + shown, errno);
    }
    if (::fchmod(descriptor, static_cast<mode_t>(mode)) != 0) {
        const int error_number = errno;
        ::close(descriptor);
        return systemError("cannot set the mode of " + shown, error_number);
    }
    return ExtractedFile(descriptor, shown);
}

} // namespace azcm::platform
