// The real extservice publishes the hosts its extensions' packages come from, for arcproxy's
// allow-list (docs/arcproxy.md), and drops them when the extension goes.
#include "common/config/extension_destinations.hpp"
#include "common/http/url.hpp"
#include "common/paths/paths.hpp"
#include "extension_test_fixture.hpp"
#include "process.hpp"

namespace azcm::test {
namespace {

using namespace std::chrono_literals;

TEST_F(ExtensionTest, PackageHostsArePublishedForArcproxy) {
    publish("1.0.0");
    startExtservice();
    const auto file = Paths(sandbox.root()).extensionDestinations();
    putExtension("trace", "1.0.0");
    const auto installed = waitSettled("trace");
    ASSERT_EQ(installed["properties"].value("provisioningState", ""), "Succeeded")
        << installed.dump() << extserviceLog();

    // The emulator serves the packages from its own host and port.
    const auto emulator =
        http::parseUrl(sandbox.cloud().at("endpoints").at("guestConfiguration").get<std::string>())
            .value()
            .hostPort();
    const auto published = config::loadExtensionDestinations(file);
    ASSERT_TRUE(published) << published.error().message;
    EXPECT_EQ(published.value(), std::vector<std::string>{emulator});
    EXPECT_EQ(std::filesystem::status(file).permissions() & std::filesystem::perms::all,
              std::filesystem::perms::owner_read | std::filesystem::perms::owner_write |
                  std::filesystem::perms::group_read | std::filesystem::perms::others_read);

    ASSERT_TRUE(deleteExtension("trace")) << extserviceLog();
    EXPECT_TRUE(waitUntil(
        [&] {
            const auto now = config::loadExtensionDestinations(file);
            return now && now.value().empty();
        },
        30s))
        << "the host goes with the extension";
}

} // namespace
} // namespace azcm::test
