#include "config_file.hpp"

#include "fs/atomic_file.hpp"

namespace azcm::cli {

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

} // namespace

Result<json> loadConfigFile(const std::filesystem::path& path) {
    auto text = fs::readFile(path, 1 << 20);
    if (!text) {
        return makeError(exitcode::kConfigFileNotFound, "cannot read the config file " +
                                                            path.string() + ": " +
                                                            text.error().message);
    }
    auto document = json::parse(text.value(), nullptr, false);
    if (document.is_discarded() || !document.is_object()) {
        return makeError(exitcode::kInvalidArgument,
                         "the config file " + path.string() + " is not a JSON object");
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

} // namespace azcm::cli
