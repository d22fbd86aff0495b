// The writer that the kill tests of fs::writeFileAtomic kill: writes JSON documents with a backup.
// Linked with --wrap for every call that opens, changes or syncs a file (CMakeLists.txt), so that
// with <kill-at> N it kills itself with SIGKILL just before its N-th such call: every step of a
// write can be made the last one, deterministically.
//
//   atomic_write_victim <file> <kill-at> <writes>
//     kill-at 0: never; writes < 0: until killed. After the first complete write it prints one
//     byte to stdout, so a test killing it at a random moment knows that it is writing.
#include "common/fs/atomic_file.hpp"

#include <csignal>
#include <cstdlib>
#include <string>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

// NOLINTBEGIN(bugprone-reserved-identifier,readability-identifier-naming): the linker's names
extern "C" {
int __real_open(const char* path, int flags, mode_t mode);
int __real_openat(int dir_fd, const char* path, int flags, mode_t mode);
ssize_t __real_write(int fd, const void* data, size_t size);
int __real_fsync(int fd);
int __real_fchmod(int fd, mode_t mode);
int __real_flock(int fd, int operation);
int __real_close(int fd);
int __real_link(const char* from, const char* to);
int __real_linkat(int from_dir, const char* from, int to_dir, const char* to, int flags);
int __real_rename(const char* from, const char* to);
int __real_renameat(int from_dir, const char* from, int to_dir, const char* to);
int __real_unlink(const char* path);
int __real_unlinkat(int dir_fd, const char* path, int flags);
}

namespace {

long kill_at = 0;
long calls = 0;

void step() {
    if (kill_at > 0 && ++calls == kill_at) {
        ::raise(SIGKILL);
    }
}

} // namespace

extern "C" {
int __wrap_open(const char* path, int flags, mode_t mode) {
    step();
    return __real_open(path, flags, mode);
}
int __wrap_openat(int dir_fd, const char* path, int flags, mode_t mode) {
    step();
    return __real_openat(dir_fd, path, flags, mode);
}
ssize_t __wrap_write(int fd, const void* data, size_t size) {
    step();
    return __real_write(fd, data, size);
}
int __wrap_fsync(int fd) {
    step();
    return __real_fsync(fd);
}
int __wrap_fchmod(int fd, mode_t mode) {
    step();
    return __real_fchmod(fd, mode);
}
int __wrap_flock(int fd, int operation) {
    step();
    return __real_flock(fd, operation);
}
int __wrap_close(int fd) {
    step();
    return __real_close(fd);
}
int __wrap_link(const char* from, const char* to) {
    step();
    return __real_link(from, to);
}
int __wrap_linkat(int from_dir, const char* from, int to_dir, const char* to, int flags) {
    step();
    return __real_linkat(from_dir, from, to_dir, to, flags);
}
int __wrap_rename(const char* from, const char* to) {
    step();
    return __real_rename(from, to);
}
int __wrap_renameat(int from_dir, const char* from, int to_dir, const char* to) {
    step();
    return __real_renameat(from_dir, from, to_dir, to);
}
int __wrap_unlink(const char* path) {
    step();
    return __real_unlink(path);
}
int __wrap_unlinkat(int dir_fd, const char* path, int flags) {
    step();
    return __real_unlinkat(dir_fd, path, flags);
}
}
// NOLINTEND(bugprone-reserved-identifier,readability-identifier-naming)

int main(int argc, char** argv) {
    if (argc != 4) {
        return 64;
    }
    const std::string path = argv[1];
    kill_at = std::atol(argv[2]);           // NOLINT(cert-err34-c): test helper, fixed arguments
    const long writes = std::atol(argv[3]); // NOLINT(cert-err34-c)
    for (long i = 0; writes < 0 || i < writes; ++i) {
        // Sizes vary so that an old and a new file differ in length, as real documents do.
        const std::string document =
            R"({"seq": )" + std::to_string(i) + R"(, "pad": ")" +
            std::string(static_cast<std::size_t>(1000 + (i % 7) * 700), 'x') + "\"}\n";
        if (!azcm::fs::writeFileAtomic(path, document, {0644, {}}, true)) {
            return 2;
        }
        if (i == 0) {
            const char written = 'w';
            if (__real_write(STDOUT_FILENO, &written, 1) != 1) {
                return 3;
            }
        }
    }
    return 0;
}
