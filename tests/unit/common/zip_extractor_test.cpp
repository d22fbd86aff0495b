// archive::extractZip, the one extractor of downloaded packages: every hostile archive is refused
// and leaves nothing behind; what it does extract gets the modes the caller asked for.
#include "common/archive/zip_extractor.hpp"
#include "raw_zip.hpp"
#include "temp_dir.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <sys/stat.h>

namespace azcm::archive {
namespace {

namespace stdfs = std::filesystem;
using test::kZipCharDevice;
using test::kZipDirectory;
using test::kZipFifo;
using test::kZipFile;
using test::kZipSymlink;
using test::RawZipEntry;

class ZipExtractorTest : public ::testing::Test {
protected:
    stdfs::path zip() const { return dir.path() / "package.zip"; }
    stdfs::path out() const { return dir.path() / "out"; }

    Result<void> extract(const std::vector<RawZipEntry>& entries, ZipExtraction options = {}) {
        test::writeRawZip(zip(), entries);
        return extractZip(zip(), out(), options);
    }

    // Refused with `why` in the message; the output directory is gone and nothing but the zip
    // (and what the test planted) is beside it.
    void expectRefused(const std::vector<RawZipEntry>& entries,
                       const std::string& why,
                       ZipExtraction options = {}) {
        auto result = extract(entries, options);
        ASSERT_FALSE(result);
        EXPECT_NE(result.error().message.find(why), std::string::npos) << result.error().message;
        EXPECT_FALSE(stdfs::exists(stdfs::symlink_status(out())));
        for (const auto& entry : stdfs::directory_iterator(dir.path())) {
            EXPECT_EQ(entry.path(), zip());
        }
    }

    static unsigned modeOf(const stdfs::path& path) {
        struct stat st {};
        EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
        return st.st_mode & 07777;
    }

    static std::string contentOf(const stdfs::path& path) {
        std::ifstream in(path, std::ios::binary);
        std::stringstream text;
        text << in.rdbuf();
        return text.str();
    }

    test::TempDir dir;
};

TEST_F(ZipExtractorTest, PrivateDataGetsOwnerOnlyModesWhateverTheZipSays) {
    auto result = extract({{"configuration.json", "{}", kZipFile | 04755},
                           {"docs/", "", kZipDirectory | 0777},
                           {"docs/readme.txt", "hello", kZipFile | 0666},
                           {"implicit/parent/file", "x", kZipFile | 0644}});
    ASSERT_TRUE(result) << result.error().message;
    EXPECT_EQ(contentOf(out() / "docs/readme.txt"), "hello");
    EXPECT_EQ(modeOf(out()), 0700U);
    EXPECT_EQ(modeOf(out() / "configuration.json"), 0600U); // set-id and exec bits dropped
    EXPECT_EQ(modeOf(out() / "docs"), 0700U);
    EXPECT_EQ(modeOf(out() / "docs/readme.txt"), 0600U);
    EXPECT_EQ(modeOf(out() / "implicit"), 0700U);
    EXPECT_EQ(modeOf(out() / "implicit/parent/file"), 0600U);
}

TEST_F(ZipExtractorTest, ExecutablePackageFilesGetOwnerExecuteAndNeverWriteForOthers) {
    ZipExtraction options;
    options.modes = ExtractedModes::kExecutablePackage;
    auto result = extract({{"run.sh", "#!/bin/sh\n", kZipFile | 0644},
                           {"data.txt", "data", kZipFile | 0600},
                           {"wide.sh", "x", kZipFile | 06777},
                           {"bin/", "", kZipDirectory | 0700},
                           {"bin/tool", "x", kZipFile | 0755}},
                          options);
    ASSERT_TRUE(result) << result.error().message;
    EXPECT_EQ(modeOf(out() / "run.sh"), 0744U);
    EXPECT_EQ(modeOf(out() / "data.txt"), 0700U);
    EXPECT_EQ(modeOf(out() / "wide.sh"), 0755U); // no set-id, no group or world write
    EXPECT_EQ(modeOf(out() / "bin"), 0755U);
    EXPECT_EQ(modeOf(out() / "bin/tool"), 0755U);
}

TEST_F(ZipExtractorTest, DotComponentsAndTheRootEntryAreHarmless) {
    auto result = extract({{"./", "", kZipDirectory | 0755},
                           {"./a//b/./c.txt", "c"},
                           {"a/", "", kZipDirectory | 0755}});
    ASSERT_TRUE(result) << result.error().message;
    EXPECT_EQ(contentOf(out() / "a/b/c.txt"), "c");
}

TEST_F(ZipExtractorTest, RefusesZipSlip) {
    expectRefused({{"ok.txt", "x"}, {"../../evil.sh", "x"}}, "escapes the extraction directory");
    expectRefused({{"a/../../evil.sh", "x"}}, "escapes");
    expectRefused({{"a/b/..", "", kZipDirectory | 0755}}, "escapes");
}

TEST_F(ZipExtractorTest, RefusesAbsolutePaths) {
    const auto victim = dir.path() / "victim.txt";
    expectRefused({{"ok.txt", "x"}, {victim.string(), "x"}}, "has an absolute path");
    EXPECT_FALSE(stdfs::exists(victim));
    expectRefused({{"/", "", kZipDirectory | 0755}}, "absolute");
}

// libarchive reads a backslash as a separator; either way the ".." it hides is refused.
TEST_F(ZipExtractorTest, RefusesDotDotBehindBackslashes) {
    expectRefused({{"a\\..\\..\\evil.sh", "x"}}, "zip entry");
    EXPECT_FALSE(stdfs::exists(dir.path().parent_path() / "evil.sh"));
}

TEST_F(ZipExtractorTest, RefusesEmptyNames) {
    expectRefused({{"", "x"}}, "without a name");
}

TEST_F(ZipExtractorTest, RefusesSymbolicLinksAnywhere) {
    expectRefused({{"ok.txt", "x"}, {"link", "/etc/passwd", kZipSymlink | 0777}}, "is a link");
    // A link inside a directory pointing out of the tree, then a file written "through" it.
    expectRefused({{"bin/", "", kZipDirectory | 0755},
                   {"bin/up", "../..", kZipSymlink | 0777},
                   {"bin/up/evil.sh", "x"}},
                  "is a link");
}

// A device or FIFO mode in the central directory never makes a special file: libarchive's zip
// reader already turns such an entry into a regular file, and the extractor would refuse any
// other type it were handed.
TEST_F(ZipExtractorTest, DeviceAndFifoModesNeverMakeSpecialFiles) {
    auto result = extract({{"null", "", kZipCharDevice | 0666}, {"pipe", "", kZipFifo | 0644}});
    if (result) {
        EXPECT_TRUE(stdfs::is_regular_file(stdfs::symlink_status(out() / "null")));
        EXPECT_TRUE(stdfs::is_regular_file(stdfs::symlink_status(out() / "pipe")));
        EXPECT_EQ(modeOf(out() / "null"), 0600U);
    } else {
        EXPECT_FALSE(stdfs::exists(out()));
    }
}

// Files are created exclusively: a second entry of the same name can neither replace the first
// nor write into it, and a file never becomes a directory.
TEST_F(ZipExtractorTest, RefusesRepeatedNames) {
    expectRefused({{"run.sh", "good"}, {"run.sh", "evil"}}, "File exists");
    expectRefused({{"a", "file"}, {"a/b", "x"}}, "cannot open directory a");
    expectRefused({{"a/b", "x"}, {"a", "file"}}, "File exists");
}

TEST_F(ZipExtractorTest, RefusesEntriesTotalsAndCountsOverTheLimits) {
    ZipExtraction entry_limit;
    entry_limit.limits.max_entry_bytes = 4096;
    expectRefused({{"big", std::string(5000, 'a')}}, "\"big\" is larger than 4096 bytes",
                  entry_limit);

    ZipExtraction total_limit;
    total_limit.limits.max_total_bytes = 4500;
    expectRefused({{"a", std::string(3000, 'a')}, {"b", std::string(3000, 'b')}},
                  "zip content is larger than 4500 bytes", total_limit);

    ZipExtraction count_limit;
    count_limit.limits.max_entries = 3;
    expectRefused({{"1", "1"}, {"2", "2"}, {"3", "3"}, {"4", "4"}}, "more than 3 entries",
                  count_limit);
    auto three = extract({{"1", "1"}, {"2", "2"}, {"3", "3"}}, count_limit);
    EXPECT_TRUE(three) << three.error().message;
}

TEST_F(ZipExtractorTest, NeverExtractsIntoSomethingThatExists) {
    stdfs::create_directory(out());
    std::ofstream(out() / "kept.txt") << "kept";
    test::writeRawZip(zip(), {{"kept.txt", "replaced"}});
    auto into_directory = extractZip(zip(), out(), {});
    ASSERT_FALSE(into_directory);
    EXPECT_EQ(contentOf(out() / "kept.txt"), "kept"); // and not removed on refusal
    stdfs::remove_all(out());

    stdfs::create_directory(dir.path() / "elsewhere");
    stdfs::create_directory_symlink(dir.path() / "elsewhere", out());
    auto through_link = extractZip(zip(), out(), {});
    ASSERT_FALSE(through_link);
    EXPECT_TRUE(stdfs::is_empty(dir.path() / "elsewhere"));
}

// Found by the package fuzzers: a local header cut short, a failure libarchive gives no message
// for. Refused with one, nothing extracted.
TEST_F(ZipExtractorTest, TruncatedHeaderIsRefusedWithAMessage) {
    for (const auto& bytes : {std::string("\x50\x4b\x03\x04\x14\xff\xff\xff\xe8\x2e\x40\xf2\x85\x0b"
                                          "\x00\xff\xff\x55\x00\x00\x1a\x01\x00\x01\x00\x00\x01"
                                          "\x00\x00\x00",
                                          30),
                              std::string("\x50\x4b\x03\x04\x14\xff\xff\xff\xff\x00\x00\x15\x00\x00"
                                          "\x00\x00\x00\x00\xff\x47\x6d\x05\x08\x00\x02\x00\x00"
                                          "\x00\x64\x2f",
                                          30)}) {
        std::ofstream(zip(), std::ios::binary | std::ios::trunc) << bytes;
        auto result = extractZip(zip(), out(), {});
        ASSERT_FALSE(result);
        EXPECT_FALSE(result.error().message.empty());
        EXPECT_FALSE(stdfs::exists(out()));
    }
}

TEST_F(ZipExtractorTest, NotAZipIsRefused) {
    std::ofstream(zip()) << "this is not a zip";
    auto result = extractZip(zip(), out(), {});
    ASSERT_FALSE(result);
    EXPECT_NE(result.error().message.find("cannot open the package as a zip"), std::string::npos);
    EXPECT_FALSE(stdfs::exists(out()));
}

} // namespace
} // namespace azcm::archive
