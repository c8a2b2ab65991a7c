/*
 * test_clock.c: clock.c -- scaled and offset monitored time, monitored to
 * real delays, ISO 8601 parsing and RFC 3339 display.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "config/config.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* 2026-11-27T00:00:00Z */
#define T0 1795737600000LL

static int64_t
real_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) == -1)
		;
}

/* Every test starts from the real clock in Asia/Shanghai. */
static int
setup(void **state)
{
	(void)state;
	unsetenv("TZDIR");
	clock_set_zone("Asia/Shanghai");
	return clock_init(1.0, -1);
}

/* clock_init ----------------------------------------------------------- */

static void
test_init_scale_range(void **state)
{
	static const struct {
		double scale;
		int rc;
	} cases[] = {
	    {0.0, -1},
	    {-1.0, -1},
	    {-3600.0, -1},
	    {CLOCK_SCALE_MIN / 2, -1},
	    {CLOCK_SCALE_MAX * 2, -1},
	    {NAN, -1},
	    {INFINITY, -1},
	    {CLOCK_SCALE_MIN, 0},
	    {1.0, 0},
	    {3600.0, 0},
	    {CLOCK_SCALE_MAX, 0},
	};
	size_t i;

	(void)state;
	assert_int_equal(clock_init(2.0, -1), 0);
	for (i = 0; i < NELEM(cases); i++) {
		print_message("scale %g\n", cases[i].scale);
		assert_int_equal(clock_init(cases[i].scale, T0), cases[i].rc);
		/* a refused scale leaves the clock as it was */
		assert_true(clock_scale() ==
		            (cases[i].rc == 0 ? cases[i].scale : 2.0));
		if (cases[i].rc == 0)
			assert_int_equal(clock_init(2.0, -1), 0);
	}
}

/* At scale 3600 one real second is one monitored hour. */
static void
test_scaled_now(void **state)
{
	int64_t r0, r1, now0, now1, mono0, mono1, lo, hi;

	(void)state;
	r0 = real_mono_ms();
	assert_int_equal(clock_init(3600.0, T0), 0);
	assert_true(clock_scale() == 3600.0);
	now0 = clock_now_ms();
	mono0 = clock_mono_ms();
	/* starts at the instant: at most a few real ms have gone by */
	assert_true(now0 >= T0);
	assert_true(now0 <= T0 + 3600 * 20);
	assert_true(mono0 >= 0 && mono0 <= 3600 * 20);

	sleep_ms(50);
	now1 = clock_now_ms();
	mono1 = clock_mono_ms();
	r1 = real_mono_ms();

	/* ~180 s monitored; at least 49 real ms (ms truncation) went by */
	assert_true(now1 - T0 >= 3600 * 49);
	/* and no more than the real time measured around it, plus 1 ms */
	lo = 3600 * 49;
	hi = 3600 * (r1 - r0 + 1);
	print_message("monitored %lld ms for %lld real ms\n",
	              (long long)(now1 - T0), (long long)(r1 - r0));
	assert_true(now1 - T0 >= lo && now1 - T0 <= hi);
	assert_true(mono1 - mono0 >= 3600 * 48 && mono1 - mono0 <= hi);
	assert_true(now1 - now0 >= 3600 * 48);
}

/* Scale 1 with a start instant: offset, running at real speed. */
static void
test_offset_now(void **state)
{
	int64_t now;

	(void)state;
	assert_int_equal(clock_init(1.0, T0), 0);
	sleep_ms(20);
	now = clock_now_ms();
	assert_true(now >= T0 + 19);
	assert_true(now <= T0 + 1000);
}

/* Scale 1 without a start follows the real wall clock. */
static void
test_real_now(void **state)
{
	struct timespec ts;
	int64_t wall, now;

	(void)state;
	assert_int_equal(clock_init(1.0, -1), 0);
	clock_gettime(CLOCK_REALTIME, &ts);
	wall = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	now = clock_now_ms();
	assert_true(now >= wall && now <= wall + 1000);
}

/* clock_timeval -------------------------------------------------------- */

static void
test_timeval(void **state)
{
	static const struct {
		double scale;
		int64_t monitored_ms;
		long sec, usec;
	} cases[] = {
	    {3600.0, 3600 * 1000LL, 1, 0},
	    {3600.0, 1800 * 1000LL, 0, 500000},
	    {3600.0, 5 * 3600 * 1000LL, 5, 0},
	    {3600.0, 1, 0, 1}, /* 0.28 us rounds up, never down to 0 */
	    {3600.0, 0, 0, 0},
	    {3600.0, -5000, 0, 0}, /* the past: fire now */
	    {3600.0, INT64_MIN, 0, 0},
	    {1.0, 1500, 1, 500000},
	    {1.0, 1, 0, 1000},
	    {1.0, -1, 0, 0},
	    {0.5, 1000, 2, 0},
	    {1000.0, 1, 0, 1},
	    {1000.0, 90 * 60 * 1000LL, 5, 400000},
	};
	struct timeval tv;
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		print_message("scale %g, %lld ms\n", cases[i].scale,
		              (long long)cases[i].monitored_ms);
		assert_int_equal(clock_init(cases[i].scale, T0), 0);
		tv.tv_sec = 99;
		tv.tv_usec = 99;
		clock_timeval(cases[i].monitored_ms, &tv);
		assert_int_equal(tv.tv_sec, cases[i].sec);
		assert_int_equal(tv.tv_usec, cases[i].usec);
	}
}

static void
test_real_timeval(void **state)
{
	struct timeval tv;

	(void)state;
	assert_int_equal(clock_init(3600.0, T0), 0); /* scale is ignored */
	clock_real_timeval(1500, &tv);
	assert_int_equal(tv.tv_sec, 1);
	assert_int_equal(tv.tv_usec, 500000);
	clock_real_timeval(-20, &tv);
	assert_int_equal(tv.tv_sec, 0);
	assert_int_equal(tv.tv_usec, 0);
}

/* clock_parse_iso8601 -------------------------------------------------- */

static const struct {
	const char *in;
	int rc;
	int64_t ms;
} iso_cases[] = {
    {"2026-11-27T00:00:00Z", 0, T0},
    {"2026-11-27t00:00:00z", 0, T0},
    {"2026-11-27 00:00:00Z", 0, T0},
    {"2026-11-27T08:00:00+08:00", 0, T0},
    {"2026-11-27T08:00:00+0800", 0, T0},
    {"2026-11-27T08:00:00+08", 0, T0},
    {"2026-11-26T19:00:00-05:00", 0, T0},
    {"2026-11-27T05:30:00+05:30", 0, T0},
    {"2026-11-27T00:00Z", 0, T0},
    {"2026-11-27T00:00:00.5Z", 0, T0 + 500},
    {"2026-11-27T00:00:00.25Z", 0, T0 + 250},
    {"2026-11-27T00:00:00.123Z", 0, T0 + 123},
    {"2026-11-27T00:00:00.123999Z", 0, T0 + 123},
    {"2026-11-27T00:00:00,5Z", 0, T0 + 500},
    {"2026-11-27T08:00:00.5+08:00", 0, T0 + 500},
    /* no zone: the display zone, Asia/Shanghai (+08:00) */
    {"2026-11-27T08:00:00", 0, T0},
    {"2026-11-27T08:00", 0, T0},
    {"2026-11-27", 0, T0 - 8 * 3600 * 1000LL},
    {"2024-02-29T00:00:00Z", 0, 1709164800000LL},
    {"1970-01-01T00:00:00Z", 0, 0},
    {"2026-12-31T23:59:60Z", 0, 1798761600000LL}, /* leap second */
    {"2026-02-30T00:00:00Z", -1, 0},
    {"2025-02-29", -1, 0},
    {"2100-02-29", -1, 0},
    {"2026-04-31", -1, 0},
    {"2026-13-01", -1, 0},
    {"2026-00-10", -1, 0},
    {"2026-11-00", -1, 0},
    {"2026-11-27T25:00:00Z", -1, 0},
    {"2026-11-27T24:00:00Z", -1, 0},
    {"2026-11-27T08:60:00Z", -1, 0},
    {"2026-11-27T08:00:61Z", -1, 0},
    {"2026-11-27T08:00:00+24:00", -1, 0},
    {"2026-11-27T08:00:00+08:60", -1, 0},
    {"2026-11-27T08:00:00+8", -1, 0},
    {"2026-11-27T08:00:00.Z", -1, 0},
    {"2026-11-27T08:00:00Zjunk", -1, 0},
    {"2026-11-27T08:00:00 Z", -1, 0},
    {"2026-11-27T", -1, 0},
    {"2026-11-27T8:00", -1, 0},
    {"26-11-27", -1, 0},
    {"2026/11/27", -1, 0},
    {"1969-12-31T23:59:59Z", -1, 0},
    {"garbage", -1, 0},
    {"", -1, 0},
};

static void
test_parse_iso8601(void **state)
{
	int64_t ms;
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(iso_cases); i++) {
		print_message("iso8601 '%s'\n", iso_cases[i].in);
		ms = -42;
		assert_int_equal(clock_parse_iso8601(iso_cases[i].in, &ms),
		                 iso_cases[i].rc);
		assert_int_equal(ms,
		                 iso_cases[i].rc == 0 ? iso_cases[i].ms : -42);
	}
}

/* Without a zone, the instant depends on the display zone. */
static void
test_parse_iso8601_display_zone(void **state)
{
	int64_t ms;

	(void)state;
	clock_set_zone("UTC");
	assert_int_equal(clock_parse_iso8601("2026-11-27T00:00:00", &ms), 0);
	assert_int_equal(ms, T0);
	clock_set_zone("America/New_York"); /* EST in November, EDT in July */
	assert_int_equal(clock_parse_iso8601("2026-11-26T19:00:00", &ms), 0);
	assert_int_equal(ms, T0);
	assert_int_equal(clock_parse_iso8601("2026-07-01T08:00:00", &ms), 0);
	assert_int_equal(ms, 1782907200000LL);
	/* an explicit zone wins over the display zone */
	assert_int_equal(clock_parse_iso8601("2026-11-27T08:00:00+08:00", &ms),
	                 0);
	assert_int_equal(ms, T0);
	clock_set_zone("Asia/Shanghai");
}

/* clock_format --------------------------------------------------------- */

static void
test_format(void **state)
{
	static const struct {
		const char *zone;
		int64_t ms;
		const char *out;
	} cases[] = {
	    {"Asia/Shanghai", T0, "2026-11-27T08:00:00+08:00"},
	    {"Asia/Shanghai", T0 + 999, "2026-11-27T08:00:00+08:00"},
	    {"Asia/Shanghai", 0, "1970-01-01T08:00:00+08:00"},
	    {"UTC", T0, "2026-11-27T00:00:00+00:00"},
	    {"America/New_York", T0, "2026-11-26T19:00:00-05:00"},
	    {"America/New_York", 1782907200000LL, "2026-07-01T08:00:00-04:00"},
	    {"Asia/Kolkata", T0, "2026-11-27T05:30:00+05:30"},
	};
	char buf[64];
	int64_t back;
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		clock_set_zone(cases[i].zone);
		memset(buf, 'x', sizeof(buf));
		assert_int_equal(clock_format(cases[i].ms, buf, sizeof(buf)),
		                 strlen(cases[i].out));
		assert_string_equal(buf, cases[i].out);
		/* and it parses back to the same second */
		assert_int_equal(clock_parse_iso8601(buf, &back), 0);
		assert_int_equal(back, cases[i].ms - cases[i].ms % 1000);
	}
	clock_set_zone("Asia/Shanghai");
	/* too small a buffer: 0, never a cut-off stamp */
	assert_int_equal(clock_format(T0, buf, 25), 0);
	assert_int_equal(clock_format(T0, buf, 26), 25);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_init_scale_range, setup),
	    cmocka_unit_test_setup(test_scaled_now, setup),
	    cmocka_unit_test_setup(test_offset_now, setup),
	    cmocka_unit_test_setup(test_real_now, setup),
	    cmocka_unit_test_setup(test_timeval, setup),
	    cmocka_unit_test_setup(test_real_timeval, setup),
	    cmocka_unit_test_setup(test_parse_iso8601, setup),
	    cmocka_unit_test_setup(test_parse_iso8601_display_zone, setup),
	    cmocka_unit_test_setup(test_format, setup),
	};

	return cmocka_run_group_tests_name("clock", tests, NULL, NULL);
}
