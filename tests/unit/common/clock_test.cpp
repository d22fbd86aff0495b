// The clock seam: the real clocks move by themselves, a ManualClock only when told, and the
// clocks it hands out follow it wherever they are copied.
#include "common/clock.hpp"

#include <thread>

#include <gtest/gtest.h>

namespace azcm {
namespace {

using namespace std::chrono_literals;

TEST(Clock, RealClocksReadTheSystem) {
    const auto steady_before = std::chrono::steady_clock::now();
    const auto wall_before = std::chrono::system_clock::now();
    EXPECT_GE(steadyClock()(), steady_before);
    EXPECT_GE(wallClock()(), wall_before - 1s);
    EXPECT_LE(wallClock()(), std::chrono::system_clock::now() + 1s);
}

TEST(Clock, ManualClockMovesBothClocksOnlyWhenAdvanced) {
    ManualClock time;
    const SteadyClock steady = time.steady();
    const WallClock wall = time.wall();
    const SteadyTime steady_start = steady();
    const WallTime wall_start = wall();
    EXPECT_EQ(steady(), steady_start);
    EXPECT_EQ(wall(), wall_start);

    time.advance(90s);
    EXPECT_EQ(steady() - steady_start, 90s);
    EXPECT_EQ(wall() - wall_start, 90s);
    EXPECT_EQ(time.steadyNow(), steady());
    EXPECT_EQ(time.wallNow(), wall());
}

TEST(Clock, SettingWallTimeLeavesSteadyTimeAlone) {
    ManualClock time;
    const SteadyTime steady_start = time.steadyNow();
    const WallTime earlier = time.wallNow() - 24h; // the administrator sets the clock back a day
    time.setWall(earlier);
    EXPECT_EQ(time.wallNow(), earlier);
    EXPECT_EQ(time.steadyNow(), steady_start);
}

TEST(Clock, ManualClockStartsOnAFixedDate) {
    EXPECT_EQ(ManualClock().wallNow(), ManualClock().wallNow());
    EXPECT_EQ(
        std::chrono::duration_cast<std::chrono::seconds>(ManualClock().wallNow().time_since_epoch())
            .count(),
        1767225600); // 2026-01-01T00:00:00Z
}

TEST(Clock, HandedOutClocksOutliveTheManualClockAndSeeItsCopiesAdvance) {
    SteadyClock steady;
    SteadyTime start;
    {
        ManualClock time;
        steady = time.steady();
        start = steady();
        ManualClock copy = time; // copies share one time
        copy.advance(5s);
    }
    EXPECT_EQ(steady() - start, 5s);
}

TEST(Clock, ManualClockMayBeAdvancedWhileAnotherThreadReadsIt) {
    ManualClock time;
    const SteadyClock steady = time.steady();
    const SteadyTime start = steady();
    std::thread reader([&steady, start] {
        SteadyTime last = start;
        for (int i = 0; i < 10000; ++i) {
            const SteadyTime now = steady();
            EXPECT_GE(now, last);
            last = now;
        }
    });
    for (int i = 0; i < 1000; ++i) {
        time.advance(1ms);
    }
    reader.join();
    EXPECT_EQ(steady() - start, 1s);
}

} // namespace
} // namespace azcm
