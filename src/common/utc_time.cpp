#include "common/utc_time.hpp"

#include <array>
#include <cstdio>
#include <optional>
#include <string_view>

namespace azcm {

namespace {

using std::chrono::days;
using std::chrono::sys_days;

constexpr std::int64_t kSecondsPerDay = std::int64_t{24} * 60 * 60;

// Floor division, so instants before 1970 land on the day they belong to.
std::int64_t floorDiv(std::int64_t value, std::int64_t divisor) {
    const std::int64_t quotient = value / divisor;
    return (value % divisor != 0 && ((value < 0) != (divisor < 0))) ? quotient - 1 : quotient;
}

} // namespace

std::tm utcCalendarOfSeconds(std::int64_t unix_seconds) {
    const std::int64_t day_number = floorDiv(unix_seconds, kSecondsPerDay);
    const std::int64_t second_of_day = unix_seconds - day_number * kSecondsPerDay;
    const sys_days day{days{day_number}};
    const std::chrono::year_month_day date{day};
    const sys_days new_year{date.year() / std::chrono::January / 1};

    std::tm fields{};
    fields.tm_year = static_cast<int>(date.year()) - 1900;
    fields.tm_mon = static_cast<int>(static_cast<unsigned>(date.month())) - 1;
    fields.tm_mday = static_cast<int>(static_cast<unsigned>(date.day()));
    fields.tm_hour = static_cast<int>(second_of_day / 3600);
    fields.tm_min = static_cast<int>(second_of_day % 3600 / 60);
    fields.tm_sec = static_cast<int>(second_of_day % 60);
    fields.tm_wday = static_cast<int>(std::chrono::weekday{day}.c_encoding());
    fields.tm_yday = static_cast<int>((day - new_year).count());
    fields.tm_isdst = 0;
    return fields;
}

std::tm utcCalendar(std::chrono::system_clock::time_point time) {
    const auto seconds = std::chrono::floor<std::chrono::seconds>(time.time_since_epoch());
    return utcCalendarOfSeconds(seconds.count());
}

std::int64_t unixSecondsOfUtc(const std::tm& fields) {
    // Months first (they change the year), then everything smaller as a count of seconds.
    const std::int64_t months = static_cast<std::int64_t>(fields.tm_year) * 12 + fields.tm_mon;
    const std::int64_t year = floorDiv(months, 12) + 1900;
    const auto month = static_cast<unsigned>(months - floorDiv(months, 12) * 12 + 1);
    const sys_days first_of_month{std::chrono::year{static_cast<int>(year)} /
                                  std::chrono::month{month} / 1};
    const std::int64_t day_number =
        static_cast<std::int64_t>(first_of_month.time_since_epoch().count()) + fields.tm_mday - 1;
    return day_number * kSecondsPerDay + static_cast<std::int64_t>(fields.tm_hour) * 3600 +
           static_cast<std::int64_t>(fields.tm_min) * 60 + fields.tm_sec;
}

std::string rfc3339Seconds(std::chrono::system_clock::time_point time) {
    const std::tm fields = utcCalendar(time);
    std::array<char, 40> text{};
    const int length = std::snprintf(text.data(), text.size(), "%04d-%02d-%02dT%02d:%02d:%02dZ",
                                     fields.tm_year + 1900, fields.tm_mon + 1, fields.tm_mday,
                                     fields.tm_hour, fields.tm_min, fields.tm_sec);
    return {text.data(), static_cast<std::size_t>(length)};
}

std::string compactUtcStamp(std::chrono::system_clock::time_point time) {
    const std::tm fields = utcCalendar(time);
    std::array<char, 40> text{};
    const int length = std::snprintf(text.data(), text.size(), "%04d%02d%02dT%02d%02d%02d",
                                     fields.tm_year + 1900, fields.tm_mon + 1, fields.tm_mday,
                                     fields.tm_hour, fields.tm_min, fields.tm_sec);
    return {text.data(), static_cast<std::size_t>(length)};
}

namespace {

// The decimal number of text[position, position + count); nullopt unless all are digits.
std::optional<int> digitsAt(std::string_view text, std::size_t position, std::size_t count) {
    if (position + count > text.size()) {
        return std::nullopt;
    }
    int value = 0;
    for (const char c : text.substr(position, count)) {
        if (c < '0' || c > '9') {
            return std::nullopt;
        }
        value = value * 10 + (c - '0');
    }
    return value;
}

// "Z", "+HH:MM" or "-HH:MM" as seconds east of UTC; nullopt for anything else.
std::optional<int> utcOffsetSeconds(std::string_view zone) {
    if (zone == "Z" || zone == "z") {
        return 0;
    }
    if (zone.size() != 6 || (zone[0] != '+' && zone[0] != '-') || zone[3] != ':') {
        return std::nullopt;
    }
    const auto hours = digitsAt(zone, 1, 2);
    const auto minutes = digitsAt(zone, 4, 2);
    if (!hours || !minutes || *hours > 23 || *minutes > 59) {
        return std::nullopt;
    }
    const int seconds = (*hours * 60 + *minutes) * 60;
    return zone[0] == '-' ? -seconds : seconds;
}

} // namespace

std::optional<std::chrono::system_clock::time_point> parseRfc3339(std::string_view text) {
    constexpr std::size_t kSecondsEnd = 19; // "YYYY-MM-DDTHH:MM:SS"
    if (text.size() <= kSecondsEnd || text[4] != '-' || text[7] != '-' ||
        (text[10] != 'T' && text[10] != 't') || text[13] != ':' || text[16] != ':') {
        return std::nullopt;
    }
    const auto year = digitsAt(text, 0, 4);
    const auto month = digitsAt(text, 5, 2);
    const auto day = digitsAt(text, 8, 2);
    const auto hour = digitsAt(text, 11, 2);
    const auto minute = digitsAt(text, 14, 2);
    const auto second = digitsAt(text, 17, 2);
    if (!year || !month || !day || !hour || !minute || !second || *hour > 23 || *minute > 59 ||
        *second > 60) {
        return std::nullopt;
    }
    const std::chrono::year_month_day date{std::chrono::year(*year),
                                           std::chrono::month(static_cast<unsigned>(*month)),
                                           std::chrono::day(static_cast<unsigned>(*day))};
    if (!date.ok()) {
        return std::nullopt;
    }
    std::size_t zone_start = kSecondsEnd;
    if (text[zone_start] == '.') {
        const auto digits_end = text.find_first_not_of("0123456789", zone_start + 1);
        if (digits_end == zone_start + 1 || digits_end == std::string_view::npos) {
            return std::nullopt;
        }
        zone_start = digits_end;
    }
    const auto offset = utcOffsetSeconds(text.substr(zone_start));
    if (!offset) {
        return std::nullopt;
    }
    std::tm fields{};
    fields.tm_year = *year - 1900;
    fields.tm_mon = *month - 1;
    fields.tm_mday = *day;
    fields.tm_hour = *hour;
    fields.tm_min = *minute;
    fields.tm_sec = *second;
    // A time the clock cannot hold (after 2262 for nanosecond ticks) would wrap around.
    constexpr auto kLimit =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::duration::max())
            .count();
    const auto seconds = unixSecondsOfUtc(fields) - *offset;
    if (seconds >= kLimit || seconds <= -kLimit) {
        return std::nullopt;
    }
    return std::chrono::system_clock::time_point(std::chrono::seconds(seconds));
}

} // namespace azcm
