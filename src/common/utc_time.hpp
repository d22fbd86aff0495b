#pragma once
// UTC calendar arithmetic without the C library's gmtime_r/timegm, which are POSIX only
// (Windows spells them gmtime_s/_mkgmtime): the same code turns seconds into calendar fields
// and back on every platform, from std::chrono's civil calendar.
#include <chrono>
#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>

namespace azcm {

// Calendar fields of a UTC instant, every std::tm field filled (weekday and day of the year
// too, so std::strftime may print any of them). Sub-second parts are dropped.
std::tm utcCalendar(std::chrono::system_clock::time_point time);
std::tm utcCalendarOfSeconds(std::int64_t unix_seconds);

// Seconds since the Unix epoch of UTC calendar fields, as timegm computes them: tm_mon may lie
// outside 0-11 and tm_mday, tm_hour, tm_min and tm_sec outside their ranges (they carry over);
// tm_wday, tm_yday and tm_isdst are ignored. 64 bits hold any year a std::tm can name.
std::int64_t unixSecondsOfUtc(const std::tm& fields);

// "2026-11-28T13:45:00Z": whole seconds, UTC, as docs/protocol.md spells every time.
std::string rfc3339Seconds(std::chrono::system_clock::time_point time);

// An ISO 8601 date and time as RFC 3339 profiles it: "2026-11-28T13:45:00Z", with an optional
// fraction of a second and "Z" or a "+01:00" offset. Nullopt for anything else and for a time the
// system clock cannot hold; fractions are dropped.
std::optional<std::chrono::system_clock::time_point> parseRfc3339(std::string_view text);

// "20261128T134500": the stamp of file names (support bundles, handler logs).
std::string compactUtcStamp(std::chrono::system_clock::time_point time);

} // namespace azcm
