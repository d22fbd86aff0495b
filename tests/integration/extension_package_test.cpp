// End to end: a package signature names its publisher, type and version. Whoever controls the
// goal state (here: the emulator's database, which decides what the goal state offers) can put
// any signed package under any name or version; the real extservice refuses it before the zip is
// opened, and installs an older version only when ARM asks for that version.
#include "common/paths/paths.hpp"
#include "emulator/package_store.hpp"
#include "emulator/sqlite_db.hpp"
#include "emulator/store.hpp"
#include "extension_test_fixture.hpp"

namespace azcm::test {
namespace {

using nlohmann::json;
using Lines = std::vector<std::string>;

json statusOf(const json& extension) {
    return extension["properties"]["instanceView"]["status"];
}

std::unique_ptr<emulator::Store> openStore(const Sandbox& sandbox) {
    auto store = emulator::Store::open(sandbox.emulatorDir() / "emulator.db");
    EXPECT_TRUE(store) << (store ? "" : store.error().message);
    return store ? std::move(store).value() : nullptr;
}

// Stores the published Contoso.Test/Trace `version` again under another key: the same bytes,
// hash and signature, offered as publisher/type/as_version.
void offerUnder(const Sandbox& sandbox,
                const std::string& version,
                const std::string& publisher,
                const std::string& type,
                const std::string& as_version) {
    auto store = openStore(sandbox);
    ASSERT_TRUE(store);
    auto found =
        emulator::findPackage(*store, emulator::kPackageKindExtension, kPublisher, kType, version);
    ASSERT_TRUE(found && found.value());
    auto package = *found.value();
    package.publisher = publisher;
    package.type = type;
    package.version = as_version;
    ASSERT_TRUE(store->putPackage(package));
}

void expectRefusedBeforeExtraction(const json& extension, const std::string& why) {
    ASSERT_EQ(stateOf(extension), "Failed") << extension.dump();
    EXPECT_EQ(statusOf(extension).value("code", ""), "1004") << extension.dump();
    EXPECT_NE(statusOf(extension).value("message", "").find(why), std::string::npos)
        << extension.dump();
}

TEST_F(ExtensionTest, PackageSignedForAnotherPublisherTypeOrVersionIsRefusedBeforeExtraction) {
    publish("1.0.0");
    offerUnder(sandbox, "1.0.0", "Contoso.Other", kType, "1.0.0");
    offerUnder(sandbox, "1.0.0", kPublisher, "Other", "1.0.0");
    offerUnder(sandbox, "1.0.0", kPublisher, kType, "1.0.7");
    startExtservice();

    putExtension("publisher", "1.0.0", json::object(), nullptr, "Contoso.Other", kType);
    expectRefusedBeforeExtraction(waitSettled("publisher"),
                                  "the package is signed for publisher 'Contoso.Test'; the goal "
                                  "state asks for 'Contoso.Other'");
    putExtension("type", "1.0.0", json::object(), nullptr, kPublisher, "Other");
    expectRefusedBeforeExtraction(waitSettled("type"), "signed for type 'Trace'");
    putExtension("trace", "1.0.7");
    expectRefusedBeforeExtraction(waitSettled("trace"), "signed for version '1.0.0'");

    EXPECT_TRUE(commands().empty()) << "no handler command may run";
    EXPECT_TRUE(handlerDirs().empty());
    EXPECT_TRUE(std::filesystem::is_empty(Paths(sandbox.root()).downloadsDir()));

    // The genuine name and version install: the package itself was never the problem.
    putExtension("trace", "1.0.0");
    const auto genuine = waitSettled("trace");
    ASSERT_EQ(stateOf(genuine), "Succeeded") << genuine.dump() << extserviceLog();
    EXPECT_EQ(commands(), (Lines{"install 1.0.0", "enable 1.0.0"}));
}

TEST_F(ExtensionTest, AnOlderVersionIsInstalledOnlyWhenArmAsksForIt) {
    publish("1.0.2");
    publish("1.0.5");
    startExtservice();
    putExtension("trace", "1.0"); // the highest 1.0.x: 1.0.5
    const auto installed = waitSettled("trace");
    ASSERT_EQ(stateOf(installed), "Succeeded") << installed.dump() << extserviceLog();
    ASSERT_EQ(handlerDirs(), (Lines{std::string(kHandler) + "-1.0.5"}));

    // The goal state now offers 1.0.2 for "1.0", which 1.0.5 still satisfies: not asked for.
    {
        auto database = emulator::Database::open(sandbox.emulatorDir() / "emulator.db");
        ASSERT_TRUE(database);
        ASSERT_TRUE(database.value()->exec("DELETE FROM packages WHERE version = '1.0.5'"));
    }
    putExtension("trace", "1.0", json{{"greeting", "older"}});
    const auto refused = waitSettled("trace");
    expectRefusedBeforeExtraction(refused, "refusing to downgrade from 1.0.5 to 1.0.2");
    EXPECT_EQ(handlerDirs(), (Lines{std::string(kHandler) + "-1.0.5"}));
    EXPECT_EQ(commands(), (Lines{"install 1.0.5", "enable 1.0.5"})) << "1.0.5 was left alone";

    // ARM names 1.0.2: the downgrade runs.
    putExtension("trace", "1.0.2", json{{"greeting", "asked"}});
    const auto downgraded = waitSettled("trace");
    ASSERT_EQ(stateOf(downgraded), "Succeeded") << downgraded.dump() << extserviceLog();
    EXPECT_EQ(handlerDirs(), (Lines{std::string(kHandler) + "-1.0.2"}));
    const auto after = commands();
    ASSERT_GE(after.size(), 5U);
    EXPECT_EQ(Lines(after.end() - 5, after.end()),
              (Lines{"disable 1.0.5", "update 1.0.5", "uninstall 1.0.5", "install 1.0.2",
                     "enable 1.0.2"}));
}

} // namespace
} // namespace azcm::test
