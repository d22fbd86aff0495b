#include "azcmagent/yaml_document.hpp"

#include "common/json/json_document.hpp"

#include <charconv>
#include <regex>
#include <string>

#include <yaml-cpp/yaml.h>

namespace azcm::azcmagent {

using nlohmann::json;

namespace {

// Aliases let a small file name the same node many times; the converted document is bounded.
constexpr std::size_t kMaxNodes = 100000;

bool isDigit(char c) {
    return c >= '0' && c <= '9';
}

// Skips a run of digits at `at`; how many there were.
std::size_t skipDigits(std::string_view text, std::size_t& at) {
    const std::size_t start = at;
    while (at < text.size() && isDigit(text[at])) {
        ++at;
    }
    return at - start;
}

void skipSign(std::string_view text, std::size_t& at) {
    if (at < text.size() && (text[at] == '+' || text[at] == '-')) {
        ++at;
    }
}

// The core schema's patterns, matched by hand: std::regex recurses once per character and a long
// scalar (a --config file may hold 1 MiB) would overflow the stack.
// [-+]?[0-9]+
bool isCoreInteger(std::string_view text) {
    std::size_t at = 0;
    skipSign(text, at);
    return skipDigits(text, at) > 0 && at == text.size();
}

// [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
bool isCoreFloat(std::string_view text) {
    std::size_t at = 0;
    skipSign(text, at);
    if (at < text.size() && text[at] == '.') {
        ++at;
        if (skipDigits(text, at) == 0) {
            return false;
        }
    } else {
        if (skipDigits(text, at) == 0) {
            return false;
        }
        if (at < text.size() && text[at] == '.') {
            ++at;
            skipDigits(text, at);
        }
    }
    if (at < text.size() && (text[at] == 'e' || text[at] == 'E')) {
        ++at;
        skipSign(text, at);
        if (skipDigits(text, at) == 0) {
            return false;
        }
    }
    return at == text.size();
}

// A plain (unquoted, untagged) scalar as the YAML 1.2 core schema resolves it. Numbers that do not
// fit (beyond 64-bit integers, beyond double's range) keep their digits as a string.
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
    if (isCoreInteger(text)) {
        const char* begin = text.data() + (text.front() == '+' ? 1 : 0);
        std::int64_t value = 0;
        const auto [end, ec] = std::from_chars(begin, text.data() + text.size(), value);
        if (ec == std::errc() && end == text.data() + text.size()) {
            return value;
        }
        return text;
    }
    if (isCoreFloat(text)) {
        const char* begin = text.data() + (text.front() == '+' ? 1 : 0);
        double value = 0;
        const auto [end, ec] = std::from_chars(begin, text.data() + text.size(), value);
        if (ec == std::errc() && end == text.data() + text.size()) {
            return value;
        }
        return text;
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

} // namespace azcm::azcmagent
