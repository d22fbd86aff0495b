#include "azcmagent/tags.hpp"

#include <cctype>

namespace azcm::azcmagent {

namespace {

// ARM limits for tags on a resource.
constexpr std::size_t kMaxNameLength = 512;
constexpr std::size_t kMaxValueLength = 256;
constexpr std::size_t kMaxTags = 50;
constexpr std::string_view kForbiddenNameChars = "<>%&\\?/";

bool isSpace(char c) {
    return std::isspace(static_cast<unsigned char>(c)) != 0;
}

Error malformed(std::string_view why) {
    return makeError(exitcode::kInvalidArgument,
                     "invalid --tags value: " + std::string(why) +
                         " (expected Name=Value,Name2='Value with space')");
}

class TagReader {
public:
    explicit TagReader(std::string_view text) : text_(text) {}

    bool atEnd() const { return pos_ >= text_.size(); }

    // One name or value. It ends at `terminator` (not consumed) or at the end of the text; a name
    // also ends at ',' so a pair without '=' is caught.
    Result<std::string> readField(char terminator) {
        skipSpaces();
        if (!atEnd() && (text_[pos_] == '\'' || text_[pos_] == '"')) {
            return readQuoted(terminator);
        }
        std::string out;
        std::size_t last_escaped = 0; // trailing spaces that were escaped are kept
        while (!atEnd() && text_[pos_] != terminator &&
               !(terminator == '=' && text_[pos_] == ',')) {
            char c = text_[pos_++];
            if (c == '\\') {
                if (atEnd()) {
                    return malformed("a backslash at the end escapes nothing");
                }
                out += text_[pos_++];
                last_escaped = out.size();
                continue;
            }
            out += c;
        }
        while (out.size() > last_escaped && isSpace(out.back())) {
            out.pop_back();
        }
        return out;
    }

    bool consume(char c) {
        if (!atEnd() && text_[pos_] == c) {
            ++pos_;
            return true;
        }
        return false;
    }

private:
    Result<std::string> readQuoted(char terminator) {
        const char quote = text_[pos_++];
        std::string out;
        bool closed = false;
        while (!atEnd()) {
            char c = text_[pos_++];
            if (c == '\\') {
                if (atEnd()) {
                    return malformed("a backslash at the end escapes nothing");
                }
                out += text_[pos_++];
                continue;
            }
            if (c == quote) {
                closed = true;
                break;
            }
            out += c;
        }
        if (!closed) {
            return malformed(quote == '"' ? "unterminated \" quote" : "unterminated ' quote");
        }
        skipSpaces();
        if (!atEnd() && text_[pos_] != terminator && text_[pos_] != ',') {
            return malformed("unexpected text after a closing quote");
        }
        return out;
    }

    void skipSpaces() {
        while (!atEnd() && isSpace(text_[pos_])) {
            ++pos_;
        }
    }

    std::string_view text_;
    std::size_t pos_ = 0;
};

} // namespace

Result<std::map<std::string, std::string>> parseTags(std::string_view text) {
    std::map<std::string, std::string> tags;
    bool blank = true;
    for (char c : text) {
        blank = blank && isSpace(c);
    }
    if (blank) {
        return tags;
    }
    TagReader reader(text);
    while (true) {
        BOOST_OUTCOME_TRY(name, reader.readField('='));
        if (!reader.consume('=')) {
            return malformed("'" + name + "' has no '='");
        }
        if (name.empty()) {
            return malformed("a tag name is empty");
        }
        if (name.size() > kMaxNameLength) {
            return malformed("a tag name is longer than 512 characters");
        }
        if (name.find_first_of(kForbiddenNameChars) != std::string::npos) {
            return malformed("tag name '" + name + "' contains one of < > % & \\ ? /");
        }
        BOOST_OUTCOME_TRY(value, reader.readField(','));
        if (value.size() > kMaxValueLength) {
            return malformed("the value of '" + name + "' is longer than 256 characters");
        }
        if (!tags.emplace(name, value).second) {
            return malformed("tag '" + name + "' is given twice");
        }
        if (tags.size() > kMaxTags) {
            return malformed("more than 50 tags");
        }
        if (reader.atEnd()) {
            break;
        }
        if (!reader.consume(',')) {
            return malformed("expected ',' between tags");
        }
        if (reader.atEnd()) {
            return malformed("a trailing ','");
        }
    }
    return tags;
}

} // namespace azcm::azcmagent
