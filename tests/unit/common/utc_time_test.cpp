// UTC calendar arithmetic: known instants (epoch, a leap day, before 1970, the last second of
// year 9999) turn into the right fields and back, out-of-range fields carry over as timegm's
// do, and every day of four centuries round-trips.
#include "common/utc_time.hpp"

#include <gtest/gtest.h>

namespace azcm {
namespace {

using std::chrono::seconds;
using std::chrono::system_clock;

struct KnownInstant {
    std::int64_t unix_seconds;
    int year, month, day, hour, minute, second, weekday, day_of_year;
};

constexpr KnownInstant kKnown[] = {
    {0, 1970, 1, 1, 0, 0, 0, 4, 0},
    {-1, 1969, 12, 31, 23, 59, 59, 3, 364},
    {951782400, 2000, 2, 29, 0, 0, 0, 2, 59},
    {1796132700, 2026, 12, 1, 13, 45, 0, 2, 334},
    {253402300799, 9999, 12, 31, 23, 59, 59, 5, 364},
    {-2208988800, 1900, 1, 1, 0, 0, 0, 1, 0},
};

TEST(UtcTime, KnownInstantsHaveTheirCalendarFields) {
    for (const auto& known : kKnown) {
        SCOPED_TRACE(known.unix_seconds);
        const std::tm fields = utcCalendarOfSeconds(known.unix_seconds);
        EXPECT_EQ(fields.tm_year + 1900, known.year);
        EXPECT_EQ(fields.tm_mon + 1, known.month);
        EXPECT_EQ(fields.tm_mday, known.day);
        EXPECT_EQ(fields.tm_hour, known.hour);
        EXPECT_EQ(fields.tm_min, known.minute);
        EXPECT_EQ(fields.tm_sec, known.second);
        EXPECT_EQ(fields.tm_wday, known.weekday);
        EXPECT_EQ(fields.tm_yday, known.day_of_year);
        EXPECT_EQ(unixSecondsOfUtc(fields), known.unix_seconds);
    }
}

TEST(UtcTime, OutOfRangeFieldsCarryOverLikeTimegm) {
    std::tm fields{};
    fields.tm_year = 2026 - 1900;
    fields.tm_mon = 13;  // February of the next year
    fields.tm_mday = 30; // which has 28 days: 2 March
    fields.tm_hour = 25; // one day and one hour more
    fields.tm_min = -1;
    fields.tm_sec = 60;
    const std::tm expected = utcCalendarOfSeconds(unixSecondsOfUtc(fields));
    EXPECT_EQ(expected.tm_year + 1900, 2027);
    EXPECT_EQ(expected.tm_mon + 1, 3);
    EXPECT_EQ(expected.tm_mday, 3);
    EXPECT_EQ(expected.tm_hour, 1);
    EXPECT_EQ(expected.tm_min, 0);
    EXPECT_EQ(expected.tm_sec, 0);

    std::tm before_january{};
    before_january.tm_year = 2026 - 1900;
    before_january.tm_mon = -1;
    before_january.tm_mday = 31;
    EXPECT_EQ(rfc3339Seconds(system_clock::time_point(seconds(unixSecondsOfUtc(before_january)))),
              "2025-12-31T00:00:00Z");
}

TEST(UtcTime, EveryDayOfFourCenturiesRoundTrips) {
    constexpr std::int64_t kDay = 86400;
    const std::int64_t first = -2208988800; // 1900-01-01
    int previous_weekday = 0;               // a Monday follows a Sunday
    for (std::int64_t day = 0; day < 146097; ++day) {
        const std::int64_t instant = first + day * kDay + 12345;
        const std::tm fields = utcCalendarOfSeconds(instant);
        ASSERT_EQ(unixSecondsOfUtc(fields), instant) << instant;
        ASSERT_EQ(fields.tm_wday, (previous_weekday + 1) % 7) << instant;
        previous_weekday = fields.tm_wday;
    }
}

TEST(UtcTime, FormatsDropSubSecondsAndRoundDown) {
    const auto time =
        system_clock::time_point(seconds(1796132700)) + std::chrono::milliseconds(999);
    EXPECT_EQ(rfc3339Seconds(time), "2026-12-01T13:45:00Z");
    EXPECT_EQ(compactUtcStamp(time), "20261201T134500");
    const auto before_epoch = system_clock::time_point(std::chrono::milliseconds(-500));
    EXPECT_EQ(rfc3339Seconds(before_epoch), "1969-12-31T23:59:59Z");
}

TEST(UtcTime, ParsesRfc3339WithFractionsAndOffsets) {
    const auto utc = system_clock::time_point(seconds(1796132700));
    EXPECT_EQ(parseRfc3339("2026-12-01T13:45:00Z"), utc);
    EXPECT_EQ(parseRfc3339(rfc3339Seconds(utc)), utc);
    EXPECT_EQ(parseRfc3339("2026-12-01t13:45:00.999z"), utc);
    EXPECT_EQ(parseRfc3339("2026-12-01T14:45:00+01:00"), utc);
    EXPECT_EQ(parseRfc3339("2026-12-01T08:15:00-05:30"), utc);
    EXPECT_EQ(parseRfc3339("1969-12-31T23:59:59Z"), system_clock::time_point(seconds(-1)));
}

TEST(UtcTime, RefusesWhatIsNotRfc3339) {
    for (const char* text :
         {"", "2026-12-01", "2026-12-01T13:45:00", "2026-12-01 13:45:00Z", "2026-02-30T13:45:00Z",
          "2026-12-01T24:00:00Z", "2026-12-01T13:60:00Z", "2026-12-01T13:45:00.Z",
          "2026-12-01T13:45:00+1:00", "+026-12-01T13:45:00Z", "2026-12-01T13:45:00Zjunk",
          "9999-12-31T23:59:59Z"}) {
        EXPECT_FALSE(parseRfc3339(text)) << text;
    }
}

} // namespace
} // namespace azcm
