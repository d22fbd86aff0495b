// The small Windows platform pieces: error texts, process identity and setup, the file lock, the
// atomic file writes, regular files, path patterns, crash dumps and kernel settings. They run
// under wine in CI; where wine behaves differently from Windows, the test says so.
#include "common/fs/atomic_file.hpp"
#include "common/platform/core_dumps.hpp"
#include "common/platform/file_lock.hpp"
#include "common/platform/kernel_settings.hpp"
#include "common/platform/path_patterns.hpp"
#include "common/platform/process_identity.hpp"
#include "common/platform/process_setup.hpp"
#include "common/platform/regular_file.hpp"
#include "common/platform/system_error_text.hpp"
#include "common/platform/windows/account_sid.hpp"
#include "common/platform/windows/win32_error.hpp"
#include "under_wine.hpp"

#include <atomic>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <windows.h>
// after windows.h, whose types it uses
#include <aclapi.h>
#include <sddl.h>

namespace azcm::platform {
namespace {

namespace stdfs = std::filesystem;

class TempDirectory {
public:
    TempDirectory() {
        std::random_device random;
        path_ = stdfs::temp_directory_path() / ("azcm-files-" + std::to_string(random()));
        stdfs::create_directories(path_);
    }
    TempDirectory(const TempDirectory&) = delete;
    TempDirectory& operator=(const TempDirectory&) = delete;
    ~TempDirectory() {
        std::error_code ignored;
        stdfs::remove_all(path_, ignored);
    }
    const stdfs::path& path() const { return path_; }
    stdfs::path operator/(const std::string& name) const { return path_ / name; }

private:
    stdfs::path path_;
};

void writeText(const stdfs::path& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
}

std::string readText(const stdfs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

std::vector<std::string> namesIn(const stdfs::path& directory) {
    std::vector<std::string> names;
    for (const auto& entry : stdfs::directory_iterator(directory)) {
        names.push_back(entry.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
}

// --- error texts -------------------------------------------------------------------------------

TEST(Win32ErrorText, HoldsTheSystemMessageAndTheNumber) {
    const auto text = win32ErrorText(ERROR_ACCESS_DENIED);
    EXPECT_NE(text.find("(error 5)"), std::string::npos) << text;
    EXPECT_GT(text.size(), std::string(" (error 5)").size()) << text;
    EXPECT_EQ(text.find('\n'), std::string::npos) << text;
}

TEST(Win32ErrorText, NamesAnUnknownCodeByItsNumber) {
    const auto text = win32ErrorText(0x2FFFFFFFUL);
    EXPECT_NE(text.find("Unknown error (error 805306367)"), std::string::npos) << text;
}

TEST(Win32Error, SaysWhatFailedAndWhy) {
    const auto error = win32Error("cannot open C:\\x", ERROR_FILE_NOT_FOUND);
    EXPECT_EQ(error.code, exitcode::kGeneric);
    EXPECT_EQ(error.message.rfind("cannot open C:\\x: ", 0), 0U) << error.message;
    EXPECT_NE(error.message.find("(error 2)"), std::string::npos) << error.message;
}

TEST(SystemErrorText, IsTheCRuntimeTextOfAnErrnoValue) {
    EXPECT_EQ(systemErrorText(ENOENT), "No such file or directory");
}

TEST(SystemErrorText, NamesAnUnknownNumber) {
    EXPECT_EQ(systemErrorText(98765), "Unknown error 98765");
}

// --- process identity and setup ----------------------------------------------------------------

TEST(ProcessIdentity, ElevationIsTheTokensElevation) {
    // Cross-checked with the elevation type, a different information class of the same token:
    // a full (split) administrator token is elevated, a limited one is not. Wine gives its
    // processes an elevated token of the default type.
    HANDLE token = nullptr;
    ASSERT_TRUE(::OpenProcessToken(::GetCurrentProcess(), TOKEN_QUERY, &token));
    TOKEN_ELEVATION_TYPE type{};
    DWORD size = 0;
    ASSERT_TRUE(::GetTokenInformation(token, TokenElevationType, &type, sizeof type, &size));
    ::CloseHandle(token);
    if (type == TokenElevationTypeFull) {
        EXPECT_TRUE(isElevated());
    } else if (type == TokenElevationTypeLimited) {
        EXPECT_FALSE(isElevated());
    } else {
        // Default: no split token. Wine reports its token elevated.
        EXPECT_TRUE(isElevated());
    }
}

TEST(ProcessIdentity, EffectiveUserIdIsNoAccount) {
    EXPECT_EQ(effectiveUserId(), std::numeric_limits<UserId>::max());
}

TEST(ProcessIdentity, CurrentProcessIdIsThisProcess) {
    EXPECT_EQ(currentProcessId(), static_cast<ProcessId>(::GetCurrentProcessId()));
    EXPECT_GT(currentProcessId(), 0);
}

// Puts `handle` in place of standard output for one test.
class StandardOutputSwap {
public:
    explicit StandardOutputSwap(HANDLE handle) : saved_(::GetStdHandle(STD_OUTPUT_HANDLE)) {
        ::SetStdHandle(STD_OUTPUT_HANDLE, handle);
    }
    StandardOutputSwap(const StandardOutputSwap&) = delete;
    StandardOutputSwap& operator=(const StandardOutputSwap&) = delete;
    ~StandardOutputSwap() { ::SetStdHandle(STD_OUTPUT_HANDLE, saved_); }

private:
    HANDLE saved_;
};

TEST(ProcessSetup, AFileIsNoTerminal) {
    TempDirectory dir;
    const HANDLE file =
        ::CreateFileW((dir / "out.txt").c_str(), GENERIC_WRITE, 0, nullptr, CREATE_NEW, 0, nullptr);
    ASSERT_NE(file, INVALID_HANDLE_VALUE);
    {
        const StandardOutputSwap swap(file);
        EXPECT_FALSE(standardOutputIsTerminal());
    }
    ::CloseHandle(file);
}

TEST(ProcessSetup, NoStandardOutputIsNoTerminal) {
    const StandardOutputSwap swap(nullptr);
    EXPECT_FALSE(standardOutputIsTerminal());
}

TEST(ProcessSetup, AConsoleIsWhatTheConsoleSaysItIs) {
    // A console of our own. On Windows its output buffer answers GetConsoleMode and is a
    // terminal. Wine without a display gives the process a console whose handles answer no
    // console call (GetConsoleMode fails with ERROR_INVALID_HANDLE), so there it is no terminal:
    // either way the answer is the console's own.
    ::FreeConsole();
    ASSERT_TRUE(::AllocConsole());
    const HANDLE console =
        ::CreateFileW(L"CONOUT$", GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE,
                      nullptr, OPEN_EXISTING, 0, nullptr);
    ASSERT_NE(console, INVALID_HANDLE_VALUE);
    DWORD mode = 0;
    const bool console_answers = ::GetConsoleMode(console, &mode) != FALSE;
    {
        const StandardOutputSwap swap(console);
        EXPECT_EQ(standardOutputIsTerminal(), console_answers);
    }
    ::CloseHandle(console);
    ::FreeConsole();
}

TEST(ProcessSetup, RestrictingNewFilesChangesNothingVisible) {
    // Windows has no umask: a new file takes its directory's inheritable DACL either way.
    restrictNewFilesToOwner();
    TempDirectory dir;
    writeText(dir / "after.txt", "x");
    EXPECT_EQ(readText(dir / "after.txt"), "x");
}

// --- file lock -----------------------------------------------------------------------------------

TEST(FileLock, AHeldLockBlocksASecondHandle) {
    TempDirectory dir;
    const auto path = dir / "agent.lock";
    auto held = FileLock::acquire(path);
    ASSERT_TRUE(held) << held.error().message;
    auto second = FileLock::tryAcquire(path);
    ASSERT_TRUE(second) << second.error().message;
    EXPECT_FALSE(second.value().has_value());
}

TEST(FileLock, IsFreeAgainOnceItsHolderIsGone) {
    TempDirectory dir;
    const auto path = dir / "agent.lock";
    {
        auto held = FileLock::tryAcquire(path);
        ASSERT_TRUE(held) << held.error().message;
        ASSERT_TRUE(held.value().has_value());
    }
    auto again = FileLock::tryAcquire(path);
    ASSERT_TRUE(again) << again.error().message;
    EXPECT_TRUE(again.value().has_value());
}

TEST(FileLock, MovingTheLockKeepsItHeld) {
    TempDirectory dir;
    const auto path = dir / "agent.lock";
    auto held = FileLock::acquire(path);
    ASSERT_TRUE(held);
    std::optional<FileLock> moved(std::move(held).value());
    EXPECT_FALSE(FileLock::tryAcquire(path).value().has_value());
    moved.reset();
    EXPECT_TRUE(FileLock::tryAcquire(path).value().has_value());
}

TEST(FileLock, TheLockFileCannotBeRemovedWhileHeld) {
    TempDirectory dir;
    const auto path = dir / "agent.lock";
    auto held = FileLock::acquire(path);
    ASSERT_TRUE(held);
    EXPECT_FALSE(::DeleteFileW(path.c_str()));
    EXPECT_EQ(::GetLastError(), static_cast<DWORD>(ERROR_SHARING_VIOLATION));
    EXPECT_TRUE(stdfs::exists(path));
}

TEST(FileLock, ADirectoryIsRefused) {
    TempDirectory dir;
    stdfs::create_directory(dir / "not-a-file");
    auto lock = FileLock::tryAcquire(dir / "not-a-file");
    ASSERT_FALSE(lock);
    EXPECT_NE(lock.error().message.find("not-a-file"), std::string::npos) << lock.error().message;
}

TEST(FileLock, AMissingDirectoryIsAnErrorNamingThePath) {
    TempDirectory dir;
    auto lock = FileLock::acquire(dir / "missing" / "agent.lock");
    ASSERT_FALSE(lock);
    EXPECT_NE(lock.error().message.find("agent.lock"), std::string::npos);
    EXPECT_NE(lock.error().message.find("(error 3)"), std::string::npos) << lock.error().message;
}

// --- atomic file writes --------------------------------------------------------------------------

// The DACL of `path` in SDDL.
std::string daclOf(const stdfs::path& path) {
    PSECURITY_DESCRIPTOR descriptor = nullptr;
    PACL dacl = nullptr;
    if (::GetNamedSecurityInfoW(path.c_str(), SE_FILE_OBJECT, DACL_SECURITY_INFORMATION, nullptr,
                                nullptr, &dacl, nullptr, &descriptor) != ERROR_SUCCESS) {
        return "unreadable";
    }
    wchar_t* text = nullptr;
    ::ConvertSecurityDescriptorToStringSecurityDescriptorW(
        descriptor, SDDL_REVISION_1, DACL_SECURITY_INFORMATION, &text, nullptr);
    std::string sddl;
    for (const wchar_t* c = text; c != nullptr && *c != 0; ++c) {
        sddl.push_back(static_cast<char>(*c));
    }
    ::LocalFree(text);
    ::LocalFree(descriptor);
    return sddl;
}

// Whether the DACL lets anyone in but this account, LocalSystem and Administrators: Everyone,
// Authenticated Users, Users or anyone by SID other than this account. Windows shows the
// protected DACL the file was created with; wine keeps no security descriptor for files and
// shows one derived from the Unix mode it chose from the DACL at creation, in which a private
// file has no entry for Everyone either.
bool grantsOthers(const std::string& sddl) {
    return sddl.find(";;;WD)") != std::string::npos || sddl.find(";;;AU)") != std::string::npos ||
           sddl.find(";;;BU)") != std::string::npos;
}

TEST(AtomicFile, CreatesANewFile) {
    TempDirectory dir;
    ASSERT_TRUE(fs::writeFileAtomic(dir / "config.json", "{}"));
    EXPECT_EQ(readText(dir / "config.json"), "{}");
    // No temp file and no writers' lock file are left.
    EXPECT_EQ(namesIn(dir.path()), std::vector<std::string>{"config.json"});
}

TEST(AtomicFile, ReplacesTheContentAndKeepsTheOldAsBackup) {
    TempDirectory dir;
    const auto path = dir / "config.json";
    ASSERT_TRUE(fs::writeFileAtomic(path, "first"));
    auto second = fs::writeFileAtomic(path, "second", {}, true);
    ASSERT_TRUE(second) << second.error().message;
    EXPECT_EQ(readText(path), "second");
    EXPECT_EQ(readText(dir / "config.json.bak"), "first");
    auto third = fs::writeFileAtomic(path, "third", {}, true);
    ASSERT_TRUE(third) << third.error().message;
    EXPECT_EQ(readText(path), "third");
    EXPECT_EQ(readText(dir / "config.json.bak"), "second");
    EXPECT_EQ((namesIn(dir.path())), (std::vector<std::string>{"config.json", "config.json.bak"}));
}

TEST(AtomicFile, WithoutBackupKeepsNone) {
    TempDirectory dir;
    const auto path = dir / "config.json";
    ASSERT_TRUE(fs::writeFileAtomic(path, "first"));
    ASSERT_TRUE(fs::writeFileAtomic(path, "second"));
    EXPECT_EQ(readText(path), "second");
    EXPECT_FALSE(stdfs::exists(dir / "config.json.bak"));
}

TEST(AtomicFile, ABackupWithNothingToKeepIsNoError) {
    TempDirectory dir;
    ASSERT_TRUE(fs::writeFileAtomic(dir / "new.json", "x", {}, true));
    EXPECT_EQ(readText(dir / "new.json"), "x");
    EXPECT_FALSE(stdfs::exists(dir / "new.json.bak"));
}

TEST(AtomicFile, AReaderHoldingTheFileSeesTheOldOrTheNewNeverATornOne) {
    // Windows replaces a file that a reader holds open only with POSIX rename semantics (NTFS,
    // Windows 10 1709 and later): the reader keeps the old content. Without them (wine, whose
    // FileRenameInformationEx is not implemented) the rename is refused and the old file stays
    // whole, with no temp file left beside it.
    TempDirectory dir;
    const auto path = dir / "state.json";
    ASSERT_TRUE(fs::writeFileAtomic(path, "old"));
    const HANDLE reader = ::CreateFileW(path.c_str(), GENERIC_READ,
                                        FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                                        nullptr, OPEN_EXISTING, 0, nullptr);
    ASSERT_NE(reader, INVALID_HANDLE_VALUE);
    auto written = fs::writeFileAtomic(path, "new");
    std::array<char, 8> buffer{};
    DWORD got = 0;
    ::ReadFile(reader, buffer.data(), static_cast<DWORD>(buffer.size()), &got, nullptr);
    ::CloseHandle(reader);
    EXPECT_EQ(std::string(buffer.data(), got), "old");
    if (written) {
        EXPECT_EQ(readText(path), "new");
    } else {
        EXPECT_NE(written.error().message.find("cannot replace"), std::string::npos)
            << written.error().message;
        EXPECT_EQ(readText(path), "old");
    }
    EXPECT_EQ(namesIn(dir.path()), std::vector<std::string>{"state.json"});
    // Once the reader is gone the replacement goes through.
    ASSERT_TRUE(fs::writeFileAtomic(path, "newer"));
    EXPECT_EQ(readText(path), "newer");
}

TEST(AtomicFile, AFailedWriteLeavesTheOldFileAndNoTemp) {
    // The target's name is a directory: the rename fails after the temp file was written.
    TempDirectory dir;
    stdfs::create_directory(dir / "taken");
    auto written = fs::writeFileAtomic(dir / "taken", "content");
    ASSERT_FALSE(written);
    EXPECT_NE(written.error().message.find("taken"), std::string::npos) << written.error().message;
    EXPECT_TRUE(stdfs::is_directory(dir / "taken"));
    EXPECT_EQ(namesIn(dir.path()), std::vector<std::string>{"taken"});
}

TEST(AtomicFile, SweepsTheTempFilesOfKilledWriters) {
    TempDirectory dir;
    writeText(dir / ".config.json.tmp-0123456789ab", "litter");
    writeText(dir / ".config.json.tmp-short", "not ours");
    writeText(dir / ".other.json.tmp-0123456789ab", "another file's");
    ASSERT_TRUE(fs::writeFileAtomic(dir / "config.json", "x"));
    EXPECT_EQ((namesIn(dir.path())),
              (std::vector<std::string>{".config.json.tmp-short", ".other.json.tmp-0123456789ab",
                                        "config.json"}));
}

TEST(AtomicFile, ConcurrentWritersOfOneFileEachWriteWhole) {
    // Writers serialise on the lock file beside the target, which each holder deletes when done
    // while others wait on it: every write succeeds, the result is one writer's whole content,
    // and neither temp nor lock file is left.
    TempDirectory dir;
    const auto path = dir / "shared.json";
    constexpr int kWriters = 4;
    constexpr int kWrites = 25;
    std::vector<std::thread> writers;
    std::atomic<int> failures{0};
    for (int w = 0; w < kWriters; ++w) {
        writers.emplace_back([&, w] {
            const std::string content(1000, static_cast<char>('a' + w));
            for (int i = 0; i < kWrites; ++i) {
                if (!fs::writeFileAtomic(path, content, {}, true)) {
                    ++failures;
                }
            }
        });
    }
    for (auto& writer : writers) {
        writer.join();
    }
    EXPECT_EQ(failures.load(), 0);
    const auto content = readText(path);
    ASSERT_EQ(content.size(), 1000U);
    EXPECT_EQ(content, std::string(1000, content.front()));
    EXPECT_EQ(readText(dir / "shared.json.bak").size(), 1000U);
    EXPECT_EQ((namesIn(dir.path())), (std::vector<std::string>{"shared.json", "shared.json.bak"}));
}

TEST(AtomicFile, APrivateModeKeepsOthersOut) {
    TempDirectory dir;
    ASSERT_TRUE(fs::writeFileAtomic(dir / "secret.key", "k", {0600, {}}));
    const auto sddl = daclOf(dir / "secret.key");
    EXPECT_FALSE(grantsOthers(sddl)) << sddl;
    EXPECT_NE(sddl.find("(A;;FA;;;SY)"), std::string::npos) << sddl;
}

// A group id is a local group's RID: the file is private plus read for that group's SID (the
// DACL itself: AccountsWindows.AGroupSharedFileGrantsTheGroupItsBitsOnly).
TEST(AtomicFile, AGroupReadsAFileSharedWithIt) {
    auto domain = platform::windows::accountDomainSid();
    ASSERT_TRUE(domain) << domain.error().message;
    TempDirectory dir;
    ASSERT_TRUE(fs::writeFileAtomic(dir / "grouped.json", "x", {0640, 1001U}));
    EXPECT_EQ(readText(dir / "grouped.json"), "x");
    const auto sddl = daclOf(dir / "grouped.json");
    if (test::underWine()) {
        // wine 8 gives every new file its default DACL, whatever the create call asked for.
        EXPECT_EQ(sddl.find("-1001)"), std::string::npos) << sddl;
        return;
    }
    EXPECT_NE(sddl.find("D:P"), std::string::npos) << sddl << ": not protected";
    EXPECT_NE(sddl.find("(A;;FR;;;" + domain.value() + "-1001)"), std::string::npos) << sddl;
    EXPECT_NE(sddl.find("(A;;FA;;;SY)"), std::string::npos) << sddl;
    EXPECT_FALSE(grantsOthers(sddl)) << sddl;
}

TEST(AtomicFile, AGroupWithOtherBitsIsRefusedBeforeAnythingIsWritten) {
    TempDirectory dir;
    auto written = fs::writeFileAtomic(dir / "grouped.json", "x", {0644, 1001U});
    ASSERT_FALSE(written);
    EXPECT_NE(written.error().message.find("no other bits"), std::string::npos)
        << written.error().message;
    EXPECT_TRUE(namesIn(dir.path()).empty());
}

TEST(AtomicFile, CreateExclusiveRefusesAnExistingFile) {
    TempDirectory dir;
    ASSERT_TRUE(fs::createExclusive(dir / "once", "1"));
    EXPECT_EQ(readText(dir / "once"), "1");
    auto again = fs::createExclusive(dir / "once", "2", {}, fs::Durability::kVolatile);
    ASSERT_FALSE(again);
    EXPECT_EQ(readText(dir / "once"), "1");
}

TEST(AtomicFile, ReadFileIsBounded) {
    TempDirectory dir;
    writeText(dir / "f", "0123456789");
    EXPECT_EQ(fs::readFile(dir / "f").value(), "0123456789");
    auto too_large = fs::readFile(dir / "f", 9);
    ASSERT_FALSE(too_large);
    EXPECT_NE(too_large.error().message.find("too large"), std::string::npos);
}

TEST(AtomicFile, ReadFileOfAMissingFileSaysNotFound) {
    TempDirectory dir;
    auto missing = fs::readFile(dir / "missing");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, exitcode::kConfigFileNotFound);
}

TEST(AtomicFile, ReadFileRefusesADirectory) {
    TempDirectory dir;
    auto directory = fs::readFile(dir.path());
    ASSERT_FALSE(directory);
    EXPECT_NE(directory.error().message.find("not a regular file"), std::string::npos);
}

TEST(AtomicFile, ReadFileOfSizeChecksTheSize) {
    TempDirectory dir;
    writeText(dir / "f", "abc");
    EXPECT_EQ(fs::readFileOfSize(dir / "f", 3).value(), "abc");
    auto mismatch = fs::readFileOfSize(dir / "f", 4);
    ASSERT_FALSE(mismatch);
    EXPECT_EQ(mismatch.error().message, "size mismatch: expected 4 bytes, got 3");
}

TEST(AtomicFile, EnsureDirectoryMakesEveryLevel) {
    TempDirectory dir;
    ASSERT_TRUE(fs::ensureDirectory(dir / "a" / "b" / "c", {0700, {}}));
    EXPECT_TRUE(stdfs::is_directory(dir / "a" / "b" / "c"));
    const auto sddl = daclOf(dir / "a" / "b" / "c");
    EXPECT_FALSE(grantsOthers(sddl)) << sddl;
    EXPECT_TRUE(fs::ensureDirectory(dir / "a" / "b" / "c")); // existing: fine
}

TEST(AtomicFile, RemoveFileOfAMissingFileIsNoError) {
    TempDirectory dir;
    writeText(dir / "f", "x");
    EXPECT_TRUE(fs::removeFile(dir / "f"));
    EXPECT_FALSE(stdfs::exists(dir / "f"));
    EXPECT_TRUE(fs::removeFile(dir / "f"));
}

TEST(AtomicFile, RenameDurablyReplacesTheTarget) {
    TempDirectory dir;
    writeText(dir / "from", "new");
    writeText(dir / "to", "old");
    ASSERT_TRUE(fs::renameDurably(dir / "from", dir / "to"));
    EXPECT_EQ(readText(dir / "to"), "new");
    EXPECT_FALSE(stdfs::exists(dir / "from"));
}

TEST(AtomicFile, SyncDirectorySucceedsOnADirectory) {
    TempDirectory dir;
    EXPECT_TRUE(fs::syncDirectory(dir.path()));
    EXPECT_FALSE(fs::syncDirectory(dir / "missing"));
}

// --- regular files -------------------------------------------------------------------------------

TEST(RegularFile, TwoNamesOfOneFileHaveOneIdentity) {
    TempDirectory dir;
    writeText(dir / "a", "x");
    ASSERT_TRUE(::CreateHardLinkW((dir / "b").c_str(), (dir / "a").c_str(), nullptr));
    writeText(dir / "c", "x");
    const auto a = regularFileIdentity(dir / "a");
    const auto b = regularFileIdentity(dir / "b");
    const auto c = regularFileIdentity(dir / "c");
    ASSERT_TRUE(a && b && c);
    EXPECT_EQ(*a, *b);
    EXPECT_NE(*a, *c);
    EXPECT_EQ(RegularFile::open(dir / "b").value().identity(), *a);
}

TEST(RegularFile, NoIdentityForADirectoryOrNothing) {
    TempDirectory dir;
    EXPECT_FALSE(regularFileIdentity(dir.path()));
    EXPECT_FALSE(regularFileIdentity(dir / "missing"));
}

TEST(RegularFile, OpenRefusesADirectoryAndAMissingFile) {
    TempDirectory dir;
    auto directory = RegularFile::open(dir.path());
    ASSERT_FALSE(directory);
    EXPECT_NE(directory.error().message.find("not a regular file"), std::string::npos);
    auto missing = RegularFile::open(dir / "missing");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, exitcode::kConfigFileNotFound);
    EXPECT_NE(missing.error().message.find("(error 2)"), std::string::npos);
}

TEST(RegularFile, ReadTailKeepsTheLastBytes) {
    TempDirectory dir;
    writeText(dir / "log", "0123456789");
    auto file = RegularFile::open(dir / "log");
    ASSERT_TRUE(file) << file.error().message;
    EXPECT_EQ(file.value().size(), 10U);
    EXPECT_EQ(file.value().readTail(4).value(), "6789");
    EXPECT_EQ(file.value().readTail(10).value(), "0123456789");
    EXPECT_EQ(file.value().readTail(1000).value(), "0123456789");
    EXPECT_EQ(file.value().readTail(0).value(), "");
}

TEST(RegularFile, ReadTailOfAGrowingFileKeepsTheNewestBytes) {
    // Bytes appended after open() are read too (a live log), and only the last ones are kept.
    TempDirectory dir;
    writeText(dir / "log", std::string(100, 'a'));
    auto file = RegularFile::open(dir / "log");
    ASSERT_TRUE(file);
    {
        std::ofstream grow(dir / "log", std::ios::binary | std::ios::app);
        grow << std::string(1000, 'b') << "END";
    }
    const auto tail = file.value().readTail(50).value();
    EXPECT_EQ(tail, std::string(47, 'b') + "END");
}

TEST(RegularFile, ReadTailOfAFileThatKeepsGrowingStopsWithinTheBound) {
    // Far more appended than the bound: the read stops after the bound and one buffer (64 KiB)
    // beyond the start instead of chasing the writer, and returns exactly max_bytes.
    TempDirectory dir;
    writeText(dir / "log", std::string(100, 'a'));
    auto file = RegularFile::open(dir / "log");
    ASSERT_TRUE(file);
    {
        std::ofstream grow(dir / "log", std::ios::binary | std::ios::app);
        grow << std::string(300000, 'b') << "END";
    }
    const auto tail = file.value().readTail(50).value();
    EXPECT_EQ(tail, std::string(50, 'b'));
}

TEST(RegularFile, ReadTailOfALargeFile) {
    TempDirectory dir;
    std::string content(300000, 'x');
    content += "tail";
    writeText(dir / "big", content);
    auto file = RegularFile::open(dir / "big");
    ASSERT_TRUE(file);
    EXPECT_EQ(file.value().readTail(200004).value().size(), 200004U);
    EXPECT_EQ(file.value().readTail(4).value(), "tail");
}

// --- path patterns -------------------------------------------------------------------------------

std::vector<std::string> matched(const std::string& pattern, const stdfs::path& base) {
    auto paths = pathsMatching(pattern);
    EXPECT_TRUE(paths);
    std::vector<std::string> names;
    for (const auto& path : paths.value()) {
        names.push_back(path.lexically_relative(base).generic_string());
    }
    return names;
}

TEST(PathPatterns, StarMatchesSortedAndSkipsHiddenNames) {
    TempDirectory dir;
    for (const auto* name : {"b.conf", "a.conf", ".hidden.conf", "c.txt", "d.conf.bak"}) {
        writeText(dir / name, "x");
    }
    const auto base = dir.path().string();
    EXPECT_EQ((matched(base + "/*.conf", dir.path())),
              (std::vector<std::string>{"a.conf", "b.conf"}));
    EXPECT_EQ((matched(base + "\\.*.conf", dir.path())),
              (std::vector<std::string>{".hidden.conf"}));
}

TEST(PathPatterns, QuestionMarkAndSets) {
    TempDirectory dir;
    for (const auto* name : {"x1", "x2", "x3", "xa", "x10"}) {
        writeText(dir / name, "x");
    }
    const auto base = dir.path().string();
    EXPECT_EQ((matched(base + "/x?", dir.path())),
              (std::vector<std::string>{"x1", "x2", "x3", "xa"}));
    EXPECT_EQ((matched(base + "/x[1-2]", dir.path())), (std::vector<std::string>{"x1", "x2"}));
    EXPECT_EQ((matched(base + "/x[!1-2]", dir.path())), (std::vector<std::string>{"x3", "xa"}));
    EXPECT_EQ((matched(base + "/x[a3]*", dir.path())), (std::vector<std::string>{"x3", "xa"}));
}

TEST(PathPatterns, LettersMatchWithoutRegardToCase) {
    TempDirectory dir;
    writeText(dir / "Upper.CONF", "x");
    EXPECT_EQ((matched(dir.path().string() + "/*.conf", dir.path())),
              (std::vector<std::string>{"Upper.CONF"}));
}

TEST(PathPatterns, WildcardsInDirectoryComponentsMatchDirectoriesOnly) {
    TempDirectory dir;
    stdfs::create_directories(dir / "one.d");
    stdfs::create_directories(dir / "two.d");
    writeText(dir / "one.d" / "x.conf", "x");
    writeText(dir / "two.d" / "y.conf", "x");
    writeText(dir / "file.d", "a file, not a directory");
    EXPECT_EQ((matched(dir.path().string() + "/*.d/*.conf", dir.path())),
              (std::vector<std::string>{"one.d/x.conf", "two.d/y.conf"}));
}

TEST(PathPatterns, NoMatchIsAnEmptyList) {
    TempDirectory dir;
    EXPECT_TRUE(matched(dir.path().string() + "/*.conf", dir.path()).empty());
    EXPECT_TRUE(matched(dir.path().string() + "/missing/*.conf", dir.path()).empty());
    EXPECT_TRUE(matched(dir.path().string() + "/literal", dir.path()).empty());
}

TEST(PathPatterns, ALiteralPathMatchesWhenItExists) {
    TempDirectory dir;
    writeText(dir / "sshd_config", "x");
    EXPECT_EQ((matched(dir.path().string() + "/sshd_config", dir.path())),
              (std::vector<std::string>{"sshd_config"}));
}

TEST(PathPatterns, AnUnclosedSetIsAnOrdinaryCharacter) {
    TempDirectory dir;
    writeText(dir / "a[b", "x");
    EXPECT_EQ((matched(dir.path().string() + "/a[*", dir.path())),
              (std::vector<std::string>{"a[b"}));
}

// --- crash dumps and kernel settings -------------------------------------------------------------

TEST(CoreDumps, ForbiddingTurnsCrashReportingOff) {
    const UINT saved = ::GetErrorMode();
    ::SetErrorMode(saved & ~static_cast<UINT>(SEM_NOGPFAULTERRORBOX));
    EXPECT_TRUE(isDumpable());
    // Wine keeps the error mode; its WerSetFlags accepts the flag and does nothing else, as wine
    // has no error reporting service.
    auto forbidden = forbidCoreDumps();
    ASSERT_TRUE(forbidden) << forbidden.error().message;
    EXPECT_FALSE(isDumpable());
    EXPECT_NE(::GetErrorMode() & SEM_NOGPFAULTERRORBOX, 0U);
    ::SetErrorMode(saved);
}

TEST(KernelSettings, AreUnsupportedOnWindows) {
    auto read = readKernelSetting("net.ipv4.ip_forward");
    ASSERT_FALSE(read);
    EXPECT_EQ(read.error().code, exitcode::kUnsupported);
    EXPECT_NE(read.error().message.find("net.ipv4.ip_forward"), std::string::npos);
    auto written = writeKernelSetting("net.ipv4.ip_forward", "1");
    ASSERT_FALSE(written);
    EXPECT_EQ(written.error().code, exitcode::kUnsupported);
    EXPECT_NE(written.error().message.find("net.ipv4.ip_forward = 1"), std::string::npos);
}

} // namespace
} // namespace azcm::platform
