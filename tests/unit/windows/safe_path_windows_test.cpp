// SafeDirectory, PrivateDirectory and ExtractionTree on Windows, against a real temporary
// directory. Under wine (8): file ACLs are stored and read back but not enforced, and
// CreateSymbolicLinkW creates nothing, so refusing a planted link is not shown here; the name
// checks, the walk through real directories and the DACL-derived verdicts are.
#include "common/fs/atomic_file.hpp"
#include "common/platform/extraction_tree.hpp"
#include "common/platform/private_directory.hpp"
#include "common/platform/safe_path.hpp"

#include <atomic>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include <gtest/gtest.h>
#include <windows.h>
// after windows.h
#include <sddl.h>

namespace azcm::platform {
namespace {

namespace stdfs = std::filesystem;

class TempDir {
public:
    TempDir() {
        static std::atomic<int> counter{0};
        path_ = stdfs::temp_directory_path() /
                ("azcm-safepath-" + std::to_string(::GetCurrentProcessId()) + "-" +
                 std::to_string(counter++));
        stdfs::create_directories(path_);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    ~TempDir() {
        std::error_code ec;
        stdfs::remove_all(path_, ec);
    }
    const stdfs::path& path() const { return path_; }

private:
    stdfs::path path_;
};

void writeText(const stdfs::path& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
}

std::string readText(const stdfs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A directory whose DACL is then set to the given SDDL. Wine keeps no DACL of its own: it turns
// the one set into the Unix mode (chmod, so no umask interferes, as it does on creation) and
// describes the mode back as an owner, group and Everyone entry.
void makeDirectoryWithSddl(const stdfs::path& path, const wchar_t* sddl) {
    stdfs::create_directory(path);
    PSECURITY_DESCRIPTOR descriptor = nullptr;
    ASSERT_TRUE(::ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl, SDDL_REVISION_1,
                                                                       &descriptor, nullptr));
    const BOOL set = ::SetFileSecurityW(path.c_str(), DACL_SECURITY_INFORMATION, descriptor);
    ::LocalFree(descriptor);
    ASSERT_TRUE(set);
}

// ---- SafeDirectory ------------------------------------------------------------------------------

TEST(SafeDirectoryWindows, OpensNestedRealDirectoriesAndShowsTheirPath) {
    TempDir temp;
    stdfs::create_directories(temp.path() / "etc" / "ssh");
    writeText(temp.path() / "etc" / "ssh" / "sshd_config", "Port 22\n");
    auto dir = SafeDirectory::open(temp.path(), "etc/ssh");
    ASSERT_TRUE(dir) << dir.error().message;
    ASSERT_TRUE(dir.value().has_value());
    EXPECT_EQ(dir.value()->shownPath(), "/etc/ssh");
    EXPECT_EQ(dir.value()->shownPathOf("sshd_config"), "/etc/ssh/sshd_config");
    auto entry = dir.value()->openEntry("sshd_config");
    ASSERT_TRUE(entry) << entry.error().message;
    EXPECT_EQ(entry.value().status().kind, EntryKind::kRegular);
    EXPECT_EQ(entry.value().status().links, 1U);
    auto content = entry.value().read(1024);
    ASSERT_TRUE(content) << content.error().message;
    EXPECT_EQ(content.value(), "Port 22\n");
}

TEST(SafeDirectoryWindows, ReadRefusesMoreThanTheLimit) {
    TempDir temp;
    writeText(temp.path() / "big", std::string(100, 'x'));
    auto dir = SafeDirectory::open(temp.path(), "");
    ASSERT_TRUE(dir && dir.value());
    auto entry = dir.value()->openEntry("big");
    ASSERT_TRUE(entry);
    auto content = entry.value().read(10);
    ASSERT_FALSE(content);
    EXPECT_NE(content.error().message.find("larger than 10 bytes"), std::string::npos);
}

TEST(SafeDirectoryWindows, MissingComponentIsNulloptAndAFileIsNotADirectory) {
    TempDir temp;
    writeText(temp.path() / "file", "x");
    auto missing = SafeDirectory::open(temp.path(), "nothing/here");
    ASSERT_TRUE(missing) << missing.error().message;
    EXPECT_FALSE(missing.value().has_value());
    auto file = SafeDirectory::open(temp.path(), "file/below");
    ASSERT_FALSE(file);
    EXPECT_NE(file.error().message.find("/file: not a directory"), std::string::npos)
        << file.error().message;
}

TEST(SafeDirectoryWindows, RefusesDotAndDotDotComponents) {
    TempDir temp;
    stdfs::create_directories(temp.path() / "a");
    for (const char* relative : {"a/../a", "./a", "a/.."}) {
        auto dir = SafeDirectory::open(temp.path(), relative);
        ASSERT_FALSE(dir) << relative;
        EXPECT_NE(dir.error().message.find("must not contain . or .."), std::string::npos);
    }
}

TEST(SafeDirectoryWindows, OpenOrCreateMakesMissingDirectoriesAndKeepsExistingOnes) {
    TempDir temp;
    stdfs::create_directories(temp.path() / "var");
    auto dir = SafeDirectory::openOrCreate(temp.path(), "var/lib/agent", {0755, {}}, {0700, {}});
    ASSERT_TRUE(dir) << dir.error().message;
    EXPECT_EQ(dir.value().shownPath(), "/var/lib/agent");
    EXPECT_TRUE(stdfs::is_directory(temp.path() / "var" / "lib" / "agent"));
    // The private last directory reads back as owner-only from its DACL.
    auto status = pathStatus(temp.path() / "var" / "lib" / "agent");
    ASSERT_TRUE(status && status.value());
    EXPECT_EQ(status.value()->kind, EntryKind::kDirectory);
    EXPECT_EQ(status.value()->mode & 077U, 0U) << std::oct << status.value()->mode;
    auto again = SafeDirectory::openOrCreate(temp.path(), "var/lib/agent", {0755, {}}, {0700, {}});
    ASSERT_TRUE(again) << again.error().message;
}

TEST(SafeDirectoryWindows, OpenOrCreateRefusesAGroup) {
    TempDir temp;
    auto dir = SafeDirectory::openOrCreate(temp.path(), "new", {0755, {}}, {0750, 4});
    ASSERT_FALSE(dir);
    EXPECT_EQ(dir.error().code, exitcode::kUnsupported);
    EXPECT_FALSE(stdfs::exists(temp.path() / "new"));
}

TEST(SafeDirectoryWindows, StatusDescribesEntriesWithoutOpeningStreamsOrSeparators) {
    TempDir temp;
    stdfs::create_directories(temp.path() / "sub");
    writeText(temp.path() / "file", "x");
    auto dir = SafeDirectory::open(temp.path(), "");
    ASSERT_TRUE(dir && dir.value());
    auto file = dir.value()->status("file");
    ASSERT_TRUE(file && file.value());
    EXPECT_EQ(file.value()->kind, EntryKind::kRegular);
    EXPECT_EQ(file.value()->uid, 0U); // no numeric ids on Windows
    EXPECT_EQ(file.value()->gid, 0U);
    auto sub = dir.value()->status("sub");
    ASSERT_TRUE(sub && sub.value());
    EXPECT_EQ(sub.value()->kind, EntryKind::kDirectory);
    auto missing = dir.value()->status("missing");
    ASSERT_TRUE(missing);
    EXPECT_FALSE(missing.value().has_value());
    for (const char* name :
         {"file:stream", "file::$DATA", "sub\\file", "sub/file", "..", ".", ""}) {
        EXPECT_FALSE(dir.value()->status(name)) << name;
        EXPECT_FALSE(dir.value()->openEntry(name)) << name;
        EXPECT_FALSE(dir.value()->removeFile(name)) << name;
        EXPECT_FALSE(dir.value()->makeDirectory(name, {0755, {}})) << name;
    }
    EXPECT_TRUE(stdfs::exists(temp.path() / "file"));
}

TEST(SafeDirectoryWindows, SetOwnerWithIdsIsUnsupportedAndWithoutIsANoOp) {
    TempDir temp;
    writeText(temp.path() / "file", "x");
    auto dir = SafeDirectory::open(temp.path(), "");
    ASSERT_TRUE(dir && dir.value());
    auto entry = dir.value()->openEntry("file");
    ASSERT_TRUE(entry);
    EXPECT_TRUE(entry.value().setOwner(std::nullopt, std::nullopt));
    auto uid = entry.value().setOwner(0, std::nullopt);
    ASSERT_FALSE(uid);
    EXPECT_EQ(uid.error().code, exitcode::kUnsupported);
    auto gid = entry.value().setOwner(std::nullopt, 0);
    ASSERT_FALSE(gid);
    EXPECT_EQ(gid.error().code, exitcode::kUnsupported);
}

// Wine accepts a DACL set through a handle (SetSecurityInfo succeeds) but does not turn it into
// the Unix mode, and the DACL it describes has no inherited entries: what is shown here is that a
// private mode is applied without error, and that a shared mode with no inherited entry to fall
// back to is refused rather than leaving the file with an empty DACL.
TEST(SafeDirectoryWindows, SetModeAppliesPrivateAndRefusesSharedWithoutInheritedEntries) {
    TempDir temp;
    makeDirectoryWithSddl(temp.path() / "shared", L"D:(A;OICI;FA;;;WD)");
    auto dir = SafeDirectory::open(temp.path(), "shared");
    ASSERT_TRUE(dir && dir.value());
    EXPECT_TRUE(dir.value()->writableByOthers()); // Everyone has full access
    writeText(temp.path() / "shared" / "file", "x");
    auto entry = dir.value()->openEntry("file");
    ASSERT_TRUE(entry) << entry.error().message;
    EXPECT_NE(entry.value().status().mode & 077U, 0U) << std::oct << entry.value().status().mode;
    auto changed = entry.value().setMode(0600);
    ASSERT_TRUE(changed) << changed.error().message;
    auto widened = entry.value().setMode(0644);
    ASSERT_FALSE(widened);
    EXPECT_NE(widened.error().message.find("no inherited permissions"), std::string::npos)
        << widened.error().message;
}

TEST(SafeDirectoryWindows, PrivateDirectoryIsNotWritableByOthers) {
    TempDir temp;
    auto dir = SafeDirectory::openOrCreate(temp.path(), "own", {0755, {}}, {0700, {}});
    ASSERT_TRUE(dir);
    EXPECT_FALSE(dir.value().writableByOthers());
}

TEST(SafeDirectoryWindows, MakeDirectoryCreatesKeepsAndRefusesAFile) {
    TempDir temp;
    writeText(temp.path() / "file", "x");
    auto dir = SafeDirectory::open(temp.path(), "");
    ASSERT_TRUE(dir && dir.value());
    ASSERT_TRUE(dir.value()->makeDirectory("made", {0700, {}}));
    EXPECT_TRUE(stdfs::is_directory(temp.path() / "made"));
    EXPECT_TRUE(dir.value()->makeDirectory("made", {0755, {}}));
    auto over_file = dir.value()->makeDirectory("file", {0755, {}});
    ASSERT_FALSE(over_file);
    EXPECT_NE(over_file.error().message.find("exists and is not a directory"), std::string::npos)
        << over_file.error().message;
    auto group = dir.value()->makeDirectory("grouped", {0750, 5});
    ASSERT_FALSE(group);
    EXPECT_EQ(group.error().code, exitcode::kUnsupported);
}

TEST(SafeDirectoryWindows, RemovesFilesAndDirectories) {
    TempDir temp;
    stdfs::create_directories(temp.path() / "tree" / "a" / "b");
    writeText(temp.path() / "tree" / "a" / "b" / "f", "x");
    writeText(temp.path() / "tree" / "g", "x");
    stdfs::create_directories(temp.path() / "empty");
    writeText(temp.path() / "file", "x");
    auto dir = SafeDirectory::open(temp.path(), "");
    ASSERT_TRUE(dir && dir.value());
    EXPECT_TRUE(dir.value()->removeFile("missing"));
    EXPECT_FALSE(dir.value()->removeFile("empty")); // a directory
    ASSERT_TRUE(dir.value()->removeFile("file"));
    EXPECT_FALSE(stdfs::exists(temp.path() / "file"));
    EXPECT_FALSE(dir.value()->removeDirectory("tree", false)); // not empty
    EXPECT_TRUE(stdfs::exists(temp.path() / "tree"));
    ASSERT_TRUE(dir.value()->removeDirectory("empty", false));
    EXPECT_FALSE(stdfs::exists(temp.path() / "empty"));
    auto removed = dir.value()->removeDirectory("tree", true);
    ASSERT_TRUE(removed) << removed.error().message;
    EXPECT_FALSE(stdfs::exists(temp.path() / "tree"));
    EXPECT_TRUE(dir.value()->removeDirectory("missing", true));
}

TEST(SafeDirectoryWindows, EntriesMatchingFollowsGlobWithTheLeadingDotRule) {
    TempDir temp;
    for (const char* name : {"a.conf", "b.conf", ".hidden.conf", "c.txt", "d1", "d2", "dx"}) {
        writeText(temp.path() / name, "x");
    }
    auto dir = SafeDirectory::open(temp.path(), "");
    ASSERT_TRUE(dir && dir.value());
    auto check = [&](const char* pattern, std::vector<std::string> expected) {
        auto matching = dir.value()->entriesMatching(pattern);
        ASSERT_TRUE(matching) << pattern;
        EXPECT_EQ(matching.value(), expected) << pattern;
    };
    check("*.conf", {"a.conf", "b.conf"});
    check(".*", {".hidden.conf"});
    check("?.txt", {"c.txt"});
    check("d[0-9]", {"d1", "d2"});
    check("d[!0-9]", {"dx"});
    check("A.CONF", {"a.conf"}); // names compare without regard to case, as NTFS does
    check("nothing*", {});
}

TEST(SafeDirectoryWindows, PathStatusDescribesWithoutFollowing) {
    TempDir temp;
    writeText(temp.path() / "file", "x");
    auto missing = pathStatus(temp.path() / "missing");
    ASSERT_TRUE(missing);
    EXPECT_FALSE(missing.value().has_value());
    auto file = pathStatus(temp.path() / "file");
    ASSERT_TRUE(file && file.value());
    EXPECT_EQ(file.value()->kind, EntryKind::kRegular);
    auto dir = pathStatus(temp.path());
    ASSERT_TRUE(dir && dir.value());
    EXPECT_EQ(dir.value()->kind, EntryKind::kDirectory);
}

// ---- PrivateDirectory ---------------------------------------------------------------------------

TEST(PrivateDirectoryWindows, OpensADirectoryOfThisAccountAndWorksInIt) {
    TempDir temp;
    auto made = SafeDirectory::openOrCreate(temp.path(), "private", {0755, {}}, {0700, {}});
    ASSERT_TRUE(made);
    auto dir = PrivateDirectory::open(temp.path() / "private");
    ASSERT_TRUE(dir) << dir.error().message;
    const stdfs::path where = temp.path() / "private";

    auto created = dir.value().createNew("log", 0600);
    ASSERT_TRUE(created) << created.error().message;
    ASSERT_TRUE(created.value().writeAll("one\n"));
    created.value().close();
    EXPECT_FALSE(dir.value().createNew("log", 0600)); // exclusive
    auto appended = dir.value().openForAppend("log", 0600);
    ASSERT_TRUE(appended) << appended.error().message;
    ASSERT_TRUE(appended.value().writeAll("two\n"));
    auto size = appended.value().size();
    ASSERT_TRUE(size);
    EXPECT_EQ(size.value(), 8U);
    appended.value().close();
    EXPECT_EQ(readText(where / "log"), "one\ntwo\n");

    auto fresh = dir.value().openForAppend("new", 0600);
    ASSERT_TRUE(fresh) << fresh.error().message;
    fresh.value().close();
    EXPECT_EQ(dir.value().entryType("new"), EntryType::kFile);

    EXPECT_EQ(dir.value().entryType("log"), EntryType::kFile);
    EXPECT_EQ(dir.value().entryType("missing"), EntryType::kMissing);
    EXPECT_EQ(dir.value().entryType("log:stream"), EntryType::kMissing);
    stdfs::create_directories(where / "sub");
    EXPECT_EQ(dir.value().entryType("sub"), EntryType::kDirectory);
    EXPECT_FALSE(dir.value().openForAppend("sub", 0600));
    EXPECT_FALSE(dir.value().remove("sub"));

    ASSERT_TRUE(dir.value().rename("log", "log.1"));
    EXPECT_EQ(readText(where / "log.1"), "one\ntwo\n");
    EXPECT_EQ(dir.value().entryType("log"), EntryType::kMissing);
    ASSERT_TRUE(dir.value().rename("new", "log.1")); // replaces
    EXPECT_EQ(readText(where / "log.1"), "");
    ASSERT_TRUE(dir.value().remove("log.1"));
    EXPECT_FALSE(stdfs::exists(where / "log.1"));
    EXPECT_TRUE(dir.value().remove("log.1")); // missing is fine
}

TEST(PrivateDirectoryWindows, RefusesNamesThatAreNotPlain) {
    TempDir temp;
    ASSERT_TRUE(SafeDirectory::openOrCreate(temp.path(), "p", {0755, {}}, {0700, {}}));
    auto dir = PrivateDirectory::open(temp.path() / "p");
    ASSERT_TRUE(dir) << dir.error().message;
    for (const char* name : {"a:b", "a\\b", "a/b", "..", ".", ""}) {
        auto created = dir.value().createNew(name, 0600);
        ASSERT_FALSE(created) << name;
        EXPECT_EQ(created.error().code, exitcode::kInvalidArgument) << name;
        EXPECT_FALSE(dir.value().openForAppend(name, 0600)) << name;
        EXPECT_FALSE(dir.value().lockExclusive(name)) << name;
        EXPECT_FALSE(dir.value().remove(name)) << name;
        EXPECT_FALSE(dir.value().rename("x", name)) << name;
    }
    EXPECT_TRUE(stdfs::is_empty(temp.path() / "p"));
}

TEST(PrivateDirectoryWindows, ALockIsExclusiveUntilReleased) {
    TempDir temp;
    ASSERT_TRUE(SafeDirectory::openOrCreate(temp.path(), "p", {0755, {}}, {0700, {}}));
    auto dir = PrivateDirectory::open(temp.path() / "p");
    ASSERT_TRUE(dir);
    auto first = dir.value().lockExclusive("agent.lock");
    ASSERT_TRUE(first) << first.error().message;
    auto second = dir.value().lockExclusive("agent.lock");
    ASSERT_FALSE(second);
    EXPECT_NE(second.error().message.find("another instance is running"), std::string::npos)
        << second.error().message;
    first.value().close();
    EXPECT_TRUE(dir.value().lockExclusive("agent.lock"));
}

TEST(PrivateDirectoryWindows, RefusesADirectoryOthersMayWriteAndAMissingOne) {
    TempDir temp;
    makeDirectoryWithSddl(temp.path() / "open", L"D:(A;OICI;FA;;;WD)");
    auto open = PrivateDirectory::open(temp.path() / "open");
    ASSERT_FALSE(open);
    EXPECT_NE(open.error().message.find("another account may change"), std::string::npos)
        << open.error().message;
    // Everyone may only read: still private.
    makeDirectoryWithSddl(temp.path() / "readable", L"D:(A;OICI;FA;;;SY)(A;OICI;FR;;;WD)");
    EXPECT_TRUE(PrivateDirectory::open(temp.path() / "readable"));
    // Everyone may add files (FILE_ADD_FILE, 0x2) and nothing else: refused.
    makeDirectoryWithSddl(temp.path() / "droppable", L"D:(A;OICI;FA;;;SY)(A;;0x2;;;WD)");
    EXPECT_FALSE(PrivateDirectory::open(temp.path() / "droppable"));
    auto missing = PrivateDirectory::open(temp.path() / "missing");
    ASSERT_FALSE(missing);
    EXPECT_NE(missing.error().message.find("does not exist"), std::string::npos);
}

TEST(PrivateDirectoryWindows, SymlinksAreUnsupportedAndNoTargetIsRead) {
    TempDir temp;
    ASSERT_TRUE(SafeDirectory::openOrCreate(temp.path(), "p", {0755, {}}, {0700, {}}));
    auto dir = PrivateDirectory::open(temp.path() / "p");
    ASSERT_TRUE(dir);
    auto link = dir.value().symlink("target", "latest");
    ASSERT_FALSE(link);
    EXPECT_EQ(link.error().code, exitcode::kUnsupported);
    EXPECT_EQ(dir.value().entryType("latest"), EntryType::kMissing);
    EXPECT_EQ(dir.value().linkTarget("latest"), "");
}

// ---- ExtractionTree -----------------------------------------------------------------------------

TEST(ExtractionTreeWindows, CreatesDirectoriesAndFilesBelowTheTree) {
    TempDir temp;
    const stdfs::path root = temp.path() / "tree";
    auto tree = ExtractionTree::create(root, 0755);
    ASSERT_TRUE(tree) << tree.error().message;
    ASSERT_TRUE(tree.value().makeDirectory({"bin"}));
    ASSERT_TRUE(tree.value().makeDirectory({"bin"})); // kept
    {
        auto file = tree.value().createFile({"lib", "deep", "x.so"}, 0644);
        ASSERT_TRUE(file) << file.error().message;
        ASSERT_TRUE(file.value().write("hello "));
        ASSERT_TRUE(file.value().write("world"));
    }
    EXPECT_EQ(readText(root / "lib" / "deep" / "x.so"), "hello world");
    EXPECT_TRUE(stdfs::is_directory(root / "bin"));
    auto again = tree.value().createFile({"lib", "deep", "x.so"}, 0644);
    ASSERT_FALSE(again); // exclusive
    auto over_directory = tree.value().createFile({"bin"}, 0644);
    EXPECT_FALSE(over_directory);
    auto through_file = tree.value().makeDirectory({"lib", "deep", "x.so", "below"});
    EXPECT_FALSE(through_file);
    // The tree itself is private (0700) whatever the directory mode.
    auto status = pathStatus(root);
    ASSERT_TRUE(status && status.value());
    EXPECT_EQ(status.value()->mode & 077U, 0U) << std::oct << status.value()->mode;
}

TEST(ExtractionTreeWindows, TheTreeMustBeNewAndItsParentMustExist) {
    TempDir temp;
    stdfs::create_directories(temp.path() / "exists");
    EXPECT_FALSE(ExtractionTree::create(temp.path() / "exists", 0755));
    EXPECT_FALSE(ExtractionTree::create(temp.path() / "no" / "tree", 0755));
    EXPECT_FALSE(ExtractionTree::create(temp.path() / "nul", 0755));
    EXPECT_FALSE(stdfs::exists(temp.path() / "no"));
}

TEST(ExtractionTreeWindows, HostileNamesAreRefusedAndNothingIsCreated) {
    TempDir temp;
    const stdfs::path root = temp.path() / "tree";
    auto tree = ExtractionTree::create(root, 0755);
    ASSERT_TRUE(tree);
    const std::vector<std::string> hostile = {"",
                                              ".",
                                              "..",
                                              "a\\b",
                                              "a/b",
                                              "..\\evil",
                                              "a:b",
                                              "file.txt:stream",
                                              "file.txt::$DATA",
                                              "C:",
                                              "trailing.",
                                              "trailing ",
                                              "dots..",
                                              "a<b",
                                              "a>b",
                                              "a\"b",
                                              "a|b",
                                              "a?b",
                                              "a*b",
                                              std::string("a\x01"
                                                          "b"),
                                              std::string("tab\tname"),
                                              "CON",
                                              "con",
                                              "Con.txt",
                                              "PRN",
                                              "AUX",
                                              "NUL",
                                              "nul.tar.gz",
                                              "NUL .txt",
                                              "COM1",
                                              "com9.log",
                                              "COM0",
                                              "LPT1",
                                              "lpt5.txt",
                                              "LPT9",
                                              "CONIN$",
                                              "conout$",
                                              "COM\xC2\xB9",
                                              "LPT\xC2\xB2.txt",
                                              "lpt\xC2\xB3"};
    for (const auto& name : hostile) {
        auto file = tree.value().createFile({"ok", name}, 0644);
        EXPECT_FALSE(file) << name;
        auto nested = tree.value().createFile({name, "file"}, 0644);
        EXPECT_FALSE(nested) << name;
        auto directory = tree.value().makeDirectory({name});
        EXPECT_FALSE(directory) << name;
    }
    // Nothing at all was made, not even the "ok" parent of a refused file.
    EXPECT_TRUE(stdfs::is_empty(root));
    auto stream = tree.value().createFile({"a.txt:evil"}, 0644);
    ASSERT_FALSE(stream);
    EXPECT_NE(stream.error().message.find("alternate data stream"), std::string::npos)
        << stream.error().message;
}

TEST(ExtractionTreeWindows, NamesThatOnlyResembleReservedOnesAreAccepted) {
    TempDir temp;
    const stdfs::path root = temp.path() / "tree";
    auto tree = ExtractionTree::create(root, 0755);
    ASSERT_TRUE(tree);
    for (const char* name : {"CONSOLE", "null", "COM10", "LPT", "com", "auxiliary.txt", "a.b.c",
                             ".hidden", "...x", "name with spaces", "d\xC3\xA9j\xC3\xA0"}) {
        auto file = tree.value().createFile({"ok", name}, 0644);
        ASSERT_TRUE(file) << name << ": " << file.error().message;
    }
    EXPECT_TRUE(stdfs::exists(root / "ok" / "CONSOLE"));
    EXPECT_TRUE(stdfs::exists(root / "ok" / stdfs::u8path("d\xC3\xA9j\xC3\xA0")));
}

TEST(ExtractionTreeWindows, ADirectoryModeWithoutGroupOrOtherBitsIsPrivate) {
    TempDir temp;
    auto tree = ExtractionTree::create(temp.path() / "tree", 0700);
    ASSERT_TRUE(tree);
    ASSERT_TRUE(tree.value().makeDirectory({"d"}));
    auto status = pathStatus(temp.path() / "tree" / "d");
    ASSERT_TRUE(status && status.value());
    EXPECT_EQ(status.value()->mode & 077U, 0U) << std::oct << status.value()->mode;
}

// ---- fs::writeFileAtomic through a SafeDirectory
// -------------------------------------------------

TEST(SafeDirectoryWindows, WriteFileAtomicWritesThroughTheDirectoryHandle) {
    TempDir temp;
    auto dir = SafeDirectory::openOrCreate(temp.path(), "etc/app", {0755, {}}, {0755, {}});
    ASSERT_TRUE(dir) << dir.error().message;
    auto written = fs::writeFileAtomic(dir.value(), "app.conf", "a=1\n", fs::FileMode{}, false);
    ASSERT_TRUE(written) << written.error().message;
    EXPECT_EQ(readText(temp.path() / "etc" / "app" / "app.conf"), "a=1\n");
    auto stream = fs::writeFileAtomic(dir.value(), "app.conf:evil", "x", fs::FileMode{}, false);
    ASSERT_FALSE(stream);
    EXPECT_NE(stream.error().message.find("not a file name"), std::string::npos);
}

} // namespace
} // namespace azcm::platform
