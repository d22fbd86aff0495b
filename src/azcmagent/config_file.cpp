#include "azcmagent/config_file.hpp"

#include "azcmagent/yaml_document.hpp"
#include "common/fs/atomic_file.hpp"
#include "common/json/json_document.hpp"

#include <algorithm>
#include <cctype>

namespace azcm::azcmagent {

using nlohmann::json;

namespace {

Result<std::string> scalarText(const std::string& key, const json& value) {
    if (value.is_string()) {
        return value.get<std::string>();
    }
    if (value.is_boolean()) {
        return std::string(value.get<bool>() ? "true" : "false");
    }
    if (value.is_number()) {
        return value.dump();
    }
    return makeError(exitcode::kInvalidArgument,
                     "config file: the value of '" + key + "' must be a string, number or boolean");
}

CLI::Option* findOption(CLI::App& command, const std::string& key) {
    for (CLI::App* app = &command; app != nullptr; app = app->get_parent()) {
        if (auto* option = app->get_option_no_throw("--" + key); option != nullptr) {
            return option;
        }
    }
    return nullptr;
}

bool isYamlFileName(const std::filesystem::path& path) {
    std::string extension = path.extension().string();
    std::transform(extension.begin(), extension.end(), extension.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return extension == ".yaml" || extension == ".yml";
}

} // namespace

Result<json> loadConfigFile(const std::filesystem::path& path) {
    auto text = fs::readFile(path, 1 << 20);
    if (!text) {
        return makeError(exitcode::kConfigFileNotFound, "cannot read the config file " +
                                                            path.string() + ": " +
                                                            text.error().message);
    }
    json document;
    auto parsed = isYamlFileName(path)
                      ? Result<json>(makeError(exitcode::kGeneric, "a YAML file name"))
                      : jsondoc::parse(text.value(), path.string());
    if (parsed) {
        document = std::move(parsed).value();
    } else {
        // A .yaml/.yml file, or one that is not JSON: YAML then (a JSON object is YAML too).
        auto yaml = yamlToJson(text.value());
        if (!yaml) {
            return makeError(exitcode::kInvalidArgument,
                             "the config file " + path.string() + " is neither JSON (" +
                                 parsed.error().message + ") nor YAML: " + yaml.error().message);
        }
        document = std::move(yaml).value();
    }
    if (!document.is_object()) {
        return makeError(exitcode::kInvalidArgument,
                         "the config file " + path.string() +
                             " must hold an object (JSON) or a mapping (YAML) of flag names to "
                             "values");
    }
    return document;
}

Result<void> applyConfigFile(CLI::App& command, const json& document) {
    for (const auto& [key, value] : document.items()) {
        if (key == "config" || value.is_null()) {
            continue;
        }
        CLI::Option* option = findOption(command, key);
        if (option == nullptr || option->count() > 0) {
            continue; // not an option of this command, or given on the command line
        }
        std::vector<std::string> texts;
        if (value.is_array()) {
            for (const auto& element : value) {
                BOOST_OUTCOME_TRY(text, scalarText(key, element));
                texts.push_back(std::move(text));
            }
        } else {
            BOOST_OUTCOME_TRY(text, scalarText(key, value));
            texts.push_back(std::move(text));
        }
        try {
            for (auto& text : texts) {
                option->add_result(std::move(text));
            }
            option->run_callback();
        } catch (const CLI::Error& e) {
            return makeError(exitcode::kInvalidArgument,
                             "config file: bad value for '" + key + "': " + e.what());
        }
    }
    return ok();
}

} // namespace azcm::azcmagent
