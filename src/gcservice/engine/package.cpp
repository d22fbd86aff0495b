// configuration.json: {"name", "version", "resources": [{"id", "type", "properties"}]}. Every
// resource is validated here, before anything is evaluated, so a broken package changes nothing.
#include "common/fs/atomic_file.hpp"
#include "common/json/json_document.hpp"
#include "gcservice/engine/engine.hpp"
#include "gcservice/engine/resource_type.hpp"

#include <set>

namespace azcm::gcservice {

using nlohmann::json;

namespace {

constexpr std::size_t kMaxResources = 1000;
constexpr std::size_t kMaxConfigurationBytes = 4 << 20;

Error packageError(std::string message) {
    return makeError(exitcode::kInvalidArgument, "configuration.json: " + std::move(message));
}

bool validId(const std::string& id) {
    if (id.empty() || id.size() > 128) {
        return false;
    }
    for (char c : id) {
        bool ok_char = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '-' || c == '_' || c == '.';
        if (!ok_char) {
            return false;
        }
    }
    return true;
}

Result<std::string> stringField(const json& object, const char* key, const std::string& where) {
    auto it = object.find(key);
    if (it == object.end() || !it->is_string() || it->get<std::string>().empty()) {
        return packageError(where + "'" + key + "' must be a non-empty string");
    }
    return it->get<std::string>();
}

} // namespace

Result<ConfigurationPackage> parseConfiguration(const json& document) {
    if (!document.is_object()) {
        return packageError("the document must be an object");
    }
    for (const auto& [key, value] : document.items()) {
        if (key != "name" && key != "version" && key != "resources" && key != "description") {
            return packageError("unknown field '" + key + "'");
        }
    }
    ConfigurationPackage package;
    AZCM_ASSIGN_OR_RETURN(package.name, stringField(document, "name", ""));
    AZCM_ASSIGN_OR_RETURN(package.version, stringField(document, "version", ""));
    auto resources = document.find("resources");
    if (resources == document.end() || !resources->is_array()) {
        return packageError("'resources' must be a list");
    }
    if (resources->size() > kMaxResources) {
        return packageError("more than " + std::to_string(kMaxResources) + " resources");
    }
    std::set<std::string> ids;
    std::size_t index = 0;
    for (const auto& item : *resources) {
        std::string where = "resource #" + std::to_string(index++) + ": ";
        if (!item.is_object()) {
            return packageError(where + "must be an object");
        }
        ResourceSpec spec;
        AZCM_ASSIGN_OR_RETURN(spec.id, stringField(item, "id", where));
        if (!validId(spec.id)) {
            return packageError(where + "id \"" + spec.id +
                                "\" may only hold letters, digits and - _ . (at most 128)");
        }
        where = "resource '" + spec.id + "': ";
        if (!ids.insert(spec.id).second) {
            return packageError(where + "the id is used twice");
        }
        AZCM_ASSIGN_OR_RETURN(spec.type, stringField(item, "type", where));
        for (const auto& [key, value] : item.items()) {
            if (key != "id" && key != "type" && key != "properties") {
                std::string message = where;
                message += "unknown field '";
                message += key;
                message += "'";
                return packageError(std::move(message));
            }
        }
        const ResourceType* type = findResourceType(spec.type);
        if (type == nullptr) {
            std::string known;
            for (const auto& name : resourceTypeNames()) {
                known += (known.empty() ? "" : ", ") + name;
            }
            std::string message = where;
            message += "unknown type \"";
            message += spec.type;
            message += "\" (known: ";
            message += known;
            message += ")";
            return packageError(std::move(message));
        }
        auto properties = item.find("properties");
        if (properties != item.end()) {
            if (!properties->is_object()) {
                return packageError(where + "'properties' must be an object");
            }
            spec.properties = *properties;
        }
        if (auto valid = type->validate(spec.properties); !valid) {
            return packageError(where + "(type " + spec.type + ") " + valid.error().message);
        }
        package.resources.push_back(std::move(spec));
    }
    return package;
}

Result<ConfigurationPackage> parseConfigurationText(std::string_view text) {
    auto document = jsondoc::parse(text, "the document", {kMaxConfigurationBytes});
    if (!document) {
        return packageError(document.error().message);
    }
    return parseConfiguration(document.value());
}

Result<ConfigurationPackage> loadPackage(const std::filesystem::path& extracted_dir) {
    auto text = fs::readFile(extracted_dir / kConfigurationFileName, kMaxConfigurationBytes);
    if (!text) {
        return makeError(exitcode::kInvalidArgument,
                         "the package has no readable configuration.json: " + text.error().message);
    }
    return parseConfigurationText(text.value());
}

json toJson(const ResourceResult& result) {
    json out = {{"id", result.id},
                {"type", result.type},
                {"complianceStatus", result.compliant ? "Compliant" : "NonCompliant"},
                {"reason", result.reason},
                {"remediated", result.remediated}};
    if (!result.error.empty()) {
        out["error"] = result.error;
    }
    return out;
}

json toJson(const EvaluationResult& result) {
    json resources = json::array();
    for (const auto& resource : result.resources) {
        resources.push_back(toJson(resource));
    }
    return {{"complianceStatus", result.complianceStatus}, {"resources", resources}};
}

} // namespace azcm::gcservice
