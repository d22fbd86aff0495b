#include "common/json/json_document.hpp"

#include "common/fs/atomic_file.hpp"

#include <string>

namespace azcm::jsondoc {

namespace {

// Counts brackets outside strings. For every prefix that nlohmann accepts, this reads the same
// structure it does, so nlohmann never goes deeper than what this pass saw.
Result<void>
checkDepth(std::string_view text, std::string_view source_name, std::size_t max_depth) {
    std::size_t depth = 0;
    bool in_string = false;
    bool escaped = false;
    for (const char c : text) {
        if (in_string) {
            if (escaped) {
                escaped = false;
            } else if (c == '\\') {
                escaped = true;
            } else if (c == '"') {
                in_string = false;
            }
            continue;
        }
        switch (c) {
        case '"':
            in_string = true;
            break;
        case '[':
        case '{':
            if (++depth > max_depth) {
                return makeError(exitcode::kGeneric, std::string(source_name) +
                                                         " nests deeper than " +
                                                         std::to_string(max_depth) + " levels");
            }
            break;
        case ']':
        case '}':
            if (depth > 0) {
                --depth;
            }
            break;
        default:
            break;
        }
    }
    return ok();
}

} // namespace

Result<nlohmann::json> parse(std::string_view text, std::string_view source_name, Limits limits) {
    if (text.size() > limits.max_bytes) {
        return makeError(exitcode::kGeneric, std::string(source_name) + " is larger than " +
                                                 std::to_string(limits.max_bytes) + " bytes");
    }
    BOOST_OUTCOME_TRY(checkDepth(text, source_name, limits.max_depth));
    try {
        return nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/true,
                                     /*ignore_comments=*/false);
    } catch (const nlohmann::json::parse_error& e) {
        return makeError(exitcode::kGeneric, std::string(source_name) +
                                                 " is not valid JSON (error at byte " +
                                                 std::to_string(e.byte) + ")");
    } catch (const nlohmann::json::exception&) {
        // out_of_range: a number too large for a double ("1e999").
        return makeError(exitcode::kGeneric,
                         std::string(source_name) + " is not valid JSON (a number out of range)");
    }
}

Result<nlohmann::json> parseFile(const std::filesystem::path& path, Limits limits) {
    auto text = fs::readFile(path, limits.max_bytes);
    if (!text) {
        return text.error();
    }
    return parse(text.value(), path.string(), limits);
}

std::string serialize(const nlohmann::json& document, int indent) {
    return document.dump(indent, ' ', /*ensure_ascii=*/false,
                         nlohmann::json::error_handler_t::replace);
}

} // namespace azcm::jsondoc
