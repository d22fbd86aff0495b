#include "common/utc_time.hpp"

#include <array>
#include <cstdio>

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

} // namespace azcm
