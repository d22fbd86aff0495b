#include "yaml_document.hpp"

#include "json/json_document.hpp"

#include <charconv>
#include <regex>
#include <string>

#include <yaml-cpp/yaml.h>

namespace azcm::cli {

using nlohmann::json;

namespace {

// Aliases let a small file name the same node many times; the converted document is bounded.
constexpr std::size_t kMaxNodes = 100000;

const std::regex& coreInteger() {
    static const std::regex pattern("[-+]?[0-9]+");
    return pattern;
}

const std::regex& coreFloat() {
    static const std::regex pattern(R"([-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?)");
    return pattern;
}

// A plain (unquoted, untagged) scalar as the YAML 1.2 core schema resolves it.
json resolvePlainScalar(const std::string& text) {
    if (text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL") {
        return nullptr;
    }
    if (text == "true" || text == "True" || text == "TRUE") {
        return true;
    }
    if (text == "false" || text == "False" || text == "FALSE") {
        return false;
    }
    if (std::regex_match(text, coreInteger())) {
        const char* begin = text.data() + (text.front() == '+' ? 1 : 0);
        std::int64_t value = 0;
        const auto [end, ec] = std::from_chars(begin, text.data() + text.size(), value);
        if (ec == std::errc() && end == text.data() + text.size()) {
            return value;
        }
        return text; // beyond 64 bits: keep the digits
    }
    if (std::regex_match(text, coreFloat())) {
        return std::stod(text);
    }
    return text;
}

class Converter {
public:
    Result<json> convert(const YAML::Node& node, std::size_t depth = 1) {
        if (++nodes_ > kMaxNodes) {
            return makeError(exitcode::kInvalidArgument, "the YAML document expands to more than " +
                                                             std::to_string(kMaxNodes) + " nodes");
        }
        // The same nesting limit as for JSON (`depth` counts sequences and maps): the tree built
        // here is copied and printed recursively.
        if ((node.IsSequence() || node.IsMap()) && depth > jsondoc::kMaxDepth) {
            return makeError(exitcode::kInvalidArgument, "the YAML document nests deeper than " +
                                                             std::to_string(jsondoc::kMaxDepth) +
                                                             " levels");
        }
        switch (node.Type()) {
        case YAML::NodeType::Undefined:
        case YAML::NodeType::Null:
            return json(nullptr);
        case YAML::NodeType::Scalar:
            // "?" marks a plain scalar; "!" a quoted one; anything else an explicit tag.
            if (node.Tag() == "?") {
                return resolvePlainScalar(node.Scalar());
            }
            if (node.Tag() == "!" || node.Tag() == "tag:yaml.org,2002:str") {
                return json(node.Scalar());
            }
            return resolvePlainScalar(node.Scalar());
        case YAML::NodeType::Sequence: {
            json array = json::array();
            for (const auto& element : node) {
                BOOST_OUTCOME_TRY(value, convert(element, depth + 1));
                array.push_back(std::move(value));
            }
            return array;
        }
        case YAML::NodeType::Map: {
            json object = json::object();
            for (const auto& entry : node) {
                if (!entry.first.IsScalar()) {
                    return makeError(exitcode::kInvalidArgument,
                                     "YAML keys must be scalars" + where(entry.first));
                }
                const std::string key = entry.first.Scalar();
                if (object.contains(key)) {
                    return makeError(exitcode::kInvalidArgument,
                                     "duplicate key '" + key + "'" + where(entry.first));
                }
                BOOST_OUTCOME_TRY(value, convert(entry.second, depth + 1));
                object[key] = std::move(value);
            }
            return object;
        }
        }
        return json(nullptr);
    }

private:
    static std::string where(const YAML::Node& node) {
        const auto mark = node.Mark();
        if (mark.is_null()) {
            return {};
        }
        return " (line " + std::to_string(mark.line + 1) + ", column " +
               std::to_string(mark.column + 1) + ")";
    }

    std::size_t nodes_ = 0;
};

} // namespace

Result<json> yamlToJson(std::string_view text) {
    YAML::Node root;
    try {
        root = YAML::Load(std::string(text));
    } catch (const YAML::Exception& e) {
        return makeError(exitcode::kInvalidArgument, "YAML error: " + std::string(e.what()));
    }
    try {
        Converter converter;
        return converter.convert(root);
    } catch (const YAML::Exception& e) {
        return makeError(exitcode::kInvalidArgument, "YAML error: " + std::string(e.what()));
    }
}

} // namespace azcm::cli
