#include "extservice/handler/handler_status.hpp"

#include "common/fs/atomic_file.hpp"
#include "common/json/json_document.hpp"
#include "common/json/json_fields.hpp"
#include "extservice/handler/handler_codes.hpp"

#include <cerrno>
#include <climits>
#include <system_error>

#include <nlohmann/json.hpp>

namespace azcm::extservice {

namespace {

using nlohmann::json;

// More than the limit is read so an oversized file is recognised (and truncated), not refused.
constexpr std::size_t kMaxStatusFileReadBytes = 16 * kMaxStatusFileBytes;

bool isKnownStatus(const std::string& value) {
    return value == "transitioning" || value == "warning" || value == "error" || value == "success";
}

HandlerStatus invalid(std::string reason) {
    HandlerStatus status;
    status.status = "error";
    status.code = code::kInvalidStatus;
    status.message = "invalid status file: " + std::move(reason);
    return status;
}

std::string truncateTo(const std::string& text, std::size_t limit, bool& truncated) {
    if (text.size() <= limit) {
        return text;
    }
    truncated = true;
    // Cut on a UTF-8 boundary so the report stays valid text.
    std::size_t cut = limit;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) {
        --cut;
    }
    return text.substr(0, cut) + std::string(kTruncatedSuffix);
}

// formattedMessage: optional, but when present it needs both lang and message.
Result<std::string> readFormattedMessage(const json& object) {
    const auto it = object.find("formattedMessage");
    if (it == object.end() || it->is_null()) {
        return std::string();
    }
    if (!it->is_object() || !it->contains("lang") || !it->contains("message") ||
        !(*it)["message"].is_string()) {
        return makeError(code::kInvalidStatus, "formattedMessage needs lang and message");
    }
    return (*it)["message"].get<std::string>();
}

constexpr const char* kStatusSource = "status";

// A number or, as handlers also write it, a string of digits ("0"); range-checked before
// narrowing: 4294967297 is refused, not read as 1.
Result<int> readCode(const json& object) {
    BOOST_OUTCOME_TRY(code, jsondoc::findMember(object, "code", kStatusSource));
    if (code == nullptr) {
        return 0;
    }
    return jsondoc::asIntegerOrDigits<int>(*code, INT_MIN, INT_MAX,
                                           jsondoc::fieldName(kStatusSource, "code"));
}

Result<std::string> readString(const json& object, const char* key) {
    BOOST_OUTCOME_TRY(text, jsondoc::getOptionalString(object, key, kStatusSource));
    return text.value_or(std::string());
}

std::size_t approximateSize(const HandlerStatus& status) {
    std::size_t size = status.message.size() + status.name.size() + status.operation.size();
    for (const auto& sub : status.substatus) {
        size += sub.name.size() + sub.message.size() + sub.status.size() + 32;
    }
    return size;
}

} // namespace

HandlerStatus parseStatusFile(std::string_view text) {
    auto parsed = jsondoc::parse(text, "the status file", {kMaxStatusFileReadBytes});
    if (!parsed) {
        return invalid(parsed.error().message);
    }
    const json& doc = parsed.value();
    if (!doc.is_array() || doc.empty() || !doc[0].is_object()) {
        return invalid("not a non-empty JSON array");
    }
    const json& entry = doc[0];
    const auto body = entry.find("status");
    if (body == entry.end() || !body->is_object()) {
        return invalid("no status object");
    }
    const auto value = body->find("status");
    if (value == body->end() || !value->is_string()) {
        return invalid("status.status is missing");
    }
    HandlerStatus status;
    status.status = value->get<std::string>();
    if (!isKnownStatus(status.status)) {
        status.status = "error"; // an unknown value becomes error
    }
    auto fields = [&]() -> Result<void> {
        AZCM_ASSIGN_OR_RETURN(status.code, readCode(*body));
        AZCM_ASSIGN_OR_RETURN(status.name, readString(*body, "name"));
        AZCM_ASSIGN_OR_RETURN(status.operation, readString(*body, "operation"));
        AZCM_ASSIGN_OR_RETURN(status.timestamp_utc, readString(entry, "timestampUTC"));
        return ok();
    };
    if (auto read = fields(); !read) {
        return invalid(read.error().message);
    }
    auto message = readFormattedMessage(*body);
    if (!message) {
        return invalid(message.error().message);
    }
    status.message = std::move(message).value();
    if (const auto subs = body->find("substatus"); subs != body->end() && !subs->is_null()) {
        if (!subs->is_array()) {
            return invalid("substatus is not a list");
        }
        for (const json& item : *subs) {
            if (!item.is_object() || !item.contains("status") || !item["status"].is_string()) {
                return invalid("a substatus has no status");
            }
            SubStatus sub;
            sub.status = item["status"].get<std::string>();
            if (!isKnownStatus(sub.status)) {
                sub.status = "error";
            }
            auto sub_fields = [&]() -> Result<void> {
                AZCM_ASSIGN_OR_RETURN(sub.name, readString(item, "name"));
                AZCM_ASSIGN_OR_RETURN(sub.code, readCode(item));
                return ok();
            };
            if (auto read = sub_fields(); !read) {
                return invalid("substatus: " + read.error().message);
            }
            auto sub_message = readFormattedMessage(item);
            if (!sub_message) {
                return invalid("substatus: " + sub_message.error().message);
            }
            sub.message = std::move(sub_message).value();
            status.substatus.push_back(std::move(sub));
        }
    }
    if (text.size() > kMaxStatusFileBytes) {
        // A status over 128 KiB keeps the top message to 1 KiB and every substatus field to
        // 10 KiB. If that still is too big (many substatuses), the last substatuses are dropped:
        // the report has a fixed budget and the top-level status matters most.
        status.message = truncateTo(status.message, kTruncatedMessageBytes, status.truncated);
        status.truncated = true;
        for (auto& sub : status.substatus) {
            sub.name = truncateTo(sub.name, kTruncatedSubstatusBytes, status.truncated);
            sub.message = truncateTo(sub.message, kTruncatedSubstatusBytes, status.truncated);
        }
        while (!status.substatus.empty() && approximateSize(status) > kMaxStatusFileBytes) {
            status.substatus.pop_back();
        }
    }
    return status;
}

HandlerStatus readStatusFile(const std::filesystem::path& path) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
        return HandlerStatus{}; // transitioning, 0: the extension has not reported yet
    }
    auto text = fs::readFile(path, kMaxStatusFileReadBytes);
    if (!text) {
        HandlerStatus status;
        status.status = "error";
        status.code = code::kUnknown;
        status.message = "cannot read status file: " + text.error().message;
        return status;
    }
    return parseStatusFile(text.value());
}

std::optional<HandlerHealth> readHeartbeat(const std::filesystem::path& path,
                                           std::chrono::seconds stale_after) {
    std::error_code ec;
    const auto mtime = std::filesystem::last_write_time(path, ec);
    if (ec) {
        return std::nullopt;
    }
    if (std::filesystem::file_time_type::clock::now() - mtime > stale_after) {
        return HandlerHealth{"Unresponsive", code::kUnknown,
                             "heartbeat.log was not updated for more than " +
                                 std::to_string(stale_after.count()) + " s"};
    }
    auto text = fs::readFile(path, std::size_t{64} * 1024);
    if (!text) {
        return std::nullopt;
    }
    auto parsed = jsondoc::parse(text.value(), path.string());
    if (!parsed) {
        return std::nullopt;
    }
    const json& doc = parsed.value();
    if (!doc.is_array() || doc.empty() || !doc[0].is_object() || !doc[0].contains("heartbeat") ||
        !doc[0]["heartbeat"].is_object()) {
        return std::nullopt;
    }
    const json& beat = doc[0]["heartbeat"];
    HandlerHealth health;
    auto status = readString(beat, "status");
    auto code = readCode(beat);
    if (!status || !code) {
        return std::nullopt;
    }
    health.status = std::move(status).value();
    if (health.status != "Ready" && health.status != "NotReady" && health.status != "Installing" &&
        health.status != "Unresponsive") {
        return std::nullopt;
    }
    health.code = code.value();
    if (auto message = readFormattedMessage(beat); message) {
        health.message = std::move(message).value();
    }
    return health;
}

} // namespace azcm::extservice
