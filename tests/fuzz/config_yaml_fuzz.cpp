// `azcmagent --config FILE`: a YAML mapping or a JSON object, read as the CLI reads it (.yaml by
// name, anything else JSON first and YAML when it is not JSON), then applied to the options of a
// command the way a real command's options are filled.
#include "azcmagent/config_file.hpp"
#include "azcmagent/yaml_document.hpp"
#include "fuzz_support.hpp"

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace {

void applyToCommand(const nlohmann::json& document) {
    CLI::App app{"azcmagent"};
    std::string subscription;
    bool verbose = false;
    auto* connect = app.add_subcommand("connect");
    std::string secret;
    std::string tags;
    std::vector<std::string> allowlist;
    int port = 0;
    app.add_option("--subscription-id", subscription);
    app.add_flag("--verbose", verbose);
    connect->add_option("--service-principal-secret", secret);
    connect->add_option("--tags", tags);
    connect->add_option("--extensions-allowlist", allowlist)->delimiter(',');
    connect->add_option("--port", port)->check(CLI::Range(1, 65535));
    (void)azcm::azcmagent::applyConfigFile(*connect, document);
}

void load(const std::filesystem::path& file) {
    auto document = azcm::azcmagent::loadConfigFile(file);
    if (!document) {
        AZCM_FUZZ_CHECK(!document.error().message.empty());
        return;
    }
    AZCM_FUZZ_CHECK(document.value().is_object());
    applyToCommand(document.value());
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
    azcm::fuzz::quietLogging();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto text = azcm::fuzz::asText(data, size);
    (void)azcm::azcmagent::yamlToJson(text);
    load(azcm::fuzz::writeInput("config.yaml", text));
    load(azcm::fuzz::writeInput("config.json", text));
    return 0;
}
