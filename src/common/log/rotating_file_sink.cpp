#include "common/log/rotating_file_sink.hpp"

#include <cstdio>
#include <utility>

namespace azcm::log {

Result<std::shared_ptr<RotatingFileSink>> RotatingFileSink::open(const std::filesystem::path& file,
                                                                 RotationBudget budget,
                                                                 std::uint32_t mode) {
    if (!file.has_filename()) {
        return makeError(exitcode::kInvalidArgument, "not a log file name: " + file.string());
    }
    auto directory = platform::PrivateDirectory::open(
        file.parent_path().empty() ? std::filesystem::path(".") : file.parent_path());
    if (!directory) {
        return makeError(directory.error().code,
                         "refusing log directory: " + directory.error().message);
    }
    BOOST_OUTCOME_TRY(handle, directory.value().openForAppend(file.filename().string(), mode));
    BOOST_OUTCOME_TRY(size, handle.size());
    return std::make_shared<RotatingFileSink>(std::move(directory).value(), std::move(handle), file,
                                              budget, mode, size);
}

std::string RotatingFileSink::rotatedName(const std::filesystem::path& file, std::size_t index) {
    if (index == 0) {
        return file.filename().string();
    }
    return file.stem().string() + "." + std::to_string(index) + file.extension().string();
}

RotatingFileSink::RotatingFileSink(platform::PrivateDirectory directory,
                                   platform::FileHandle file,
                                   std::filesystem::path path,
                                   RotationBudget budget,
                                   std::uint32_t mode,
                                   std::uint64_t size)
    : directory_(std::move(directory)), file_(std::move(file)), path_(std::move(path)),
      budget_(budget), mode_(mode), size_(size) {}

void RotatingFileSink::sink_it_(const spdlog::details::log_msg& message) {
    spdlog::memory_buf_t line;
    formatter_->format(message, line);
    if (file_.isOpen() && size_ > 0 && size_ + line.size() > budget_.max_file_bytes) {
        if (auto rotated = rotate(); !rotated) {
            reportOnce(rotated.error().message);
        }
    }
    if (!file_.isOpen()) {
        return;
    }
    if (auto written = file_.writeAll(std::string_view(line.data(), line.size())); !written) {
        reportOnce(written.error().message);
        return;
    }
    size_ += line.size();
}

Result<void> RotatingFileSink::rotate() {
    file_.close();
    const auto& budget = budget_;
    if (budget.max_rotated_files == 0) {
        BOOST_OUTCOME_TRYV(directory_.remove(rotatedName(path_, 0)));
    }
    // Oldest first, so each rename replaces a name whose content already moved on. renameat
    // moves whatever has the name (a link stays a link); nothing is opened on the way.
    for (std::size_t index = budget.max_rotated_files; index > 0; --index) {
        const auto from = rotatedName(path_, index - 1);
        if (directory_.entryType(from) != platform::EntryType::kMissing) {
            BOOST_OUTCOME_TRYV(directory_.rename(from, rotatedName(path_, index)));
        }
    }
    BOOST_OUTCOME_TRY(created, directory_.createNew(rotatedName(path_, 0), mode_));
    file_ = std::move(created);
    size_ = 0;
    return ok();
}

void RotatingFileSink::reportOnce(const std::string& why) {
    if (reported_) {
        return;
    }
    reported_ = true;
    std::fprintf(stderr, "LOG_FILE_FAILED %s: %s\n", path_.string().c_str(), why.c_str());
}

} // namespace azcm::log
