#include "common/fs/state_file.hpp"

#include <utility>

namespace azcm::fs {

StateFile::StateFile(std::filesystem::path path, FileMode mode)
    : path_(std::move(path)), mode_(mode) {}

Result<bool> StateFile::write(std::string content) {
    if (!written_) {
        // After a restart the file usually holds what the loaded state serialises to again.
        auto on_disk = readFile(path_, content.size() + 1);
        if (on_disk) {
            written_ = std::move(on_disk).value();
        }
    }
    if (written_ && *written_ == content) {
        return false;
    }
    // Forgotten until the write succeeds: a failed write is tried again next time.
    written_.reset();
    BOOST_OUTCOME_TRY(writeFileAtomic(path_, content, mode_));
    written_ = std::move(content);
    return true;
}

} // namespace azcm::fs
