#pragma once
// A directory tree filled from names nobody vouches for (the entries of a downloaded archive).
// Every directory and file is reached from the tree's own open directory, one component at a
// time, never by a path string and never through a symbolic link; files are created exclusively
// (an entry cannot replace or write through anything already there) and get their final mode on
// their own descriptor, whatever the umask.
#include "common/error.hpp"

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace azcm::platform {

// A file ExtractionTree::createFile made, open for writing; closes itself. Move-only.
class ExtractedFile {
public:
    ExtractedFile(ExtractedFile&& other) noexcept;
    ExtractedFile(const ExtractedFile&) = delete;
    ExtractedFile& operator=(const ExtractedFile&) = delete;
    ExtractedFile& operator=(ExtractedFile&&) = delete;
    ~ExtractedFile();

    // Appends every byte (retrying short writes and interruptions).
    Result<void> write(std::string_view bytes);

private:
    friend class ExtractionTree;
    ExtractedFile(int descriptor, std::string shown);
    int descriptor_;
    std::string shown_;
};

class ExtractionTree {
public:
    // Creates `dir` (mode 0700), which must not exist yet; its parent must. Directories made
    // inside it get `directory_mode`.
    static Result<ExtractionTree> create(const std::filesystem::path& dir,
                                         std::uint32_t directory_mode);

    ExtractionTree(ExtractionTree&& other) noexcept;
    ExtractionTree(const ExtractionTree&) = delete;
    ExtractionTree& operator=(const ExtractionTree&) = delete;
    ExtractionTree& operator=(ExtractionTree&&) = delete;
    ~ExtractionTree();

    // Creates the directory `components` names below the tree, and any missing parent. An
    // existing directory is kept; anything else under one of the names (a file, a link) is an
    // error. Components are plain names: no "", "." or "..", no '/'.
    Result<void> makeDirectory(const std::vector<std::string>& components) const;
    // Creates the file `components` names with `mode`, its missing parents as directories. A
    // name that already exists, of whatever kind, is an error.
    Result<ExtractedFile> createFile(const std::vector<std::string>& components,
                                     std::uint32_t mode) const;

private:
    ExtractionTree(int descriptor, std::filesystem::path path, std::uint32_t directory_mode);
    // The directory reached by walking (and creating) the first `count` of `components`, as an
    // open descriptor the caller closes.
    Result<int> openDirectories(const std::vector<std::string>& components,
                                std::size_t count) const;
    int descriptor_;
    std::filesystem::path path_;
    std::uint32_t directory_mode_;
};

} // namespace azcm::platform
