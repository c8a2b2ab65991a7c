/*
 * clock.c: the one source of "now".  Monitored time may run offset from the
 * real clock (--time-start) and faster than it (--time-scale N: N monitored
 * seconds per real second), so tests and demos play hours in seconds.  All
 * stamps are epoch milliseconds (UTC); display uses the configured zone.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config/config.h"

static double clock_scale_factor = 1.0;
static int clock_virtual;        /* offset or scaled: derive from monotonic */
static int64_t clock_wall_start; /* monitored wall ms at init */
static int64_t clock_real_start; /* real monotonic ms at init */

static int64_t
clock_read(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * start_ms < 0 means "start from the real now".  A scale of 1 with no start
 * follows the real wall clock, NTP steps included.
 */
int
clock_init(double scale, int64_t start_ms)
{
	if (!(scale >= CLOCK_SCALE_MIN && scale <= CLOCK_SCALE_MAX))
		return -1;
	clock_scale_factor = scale;
	clock_real_start = clock_read(CLOCK_MONOTONIC);
	clock_wall_start =
	    start_ms >= 0 ? start_ms : clock_read(CLOCK_REALTIME);
	clock_virtual = scale != 1.0 || start_ms >= 0;
	return 0;
}

double
clock_scale(void)
{
	return clock_scale_factor;
}

static int64_t
clock_elapsed(void)
{
	double real = (double)(clock_read(CLOCK_MONOTONIC) - clock_real_start);

	return (int64_t)(real * clock_scale_factor);
}

/* Monitored wall time, epoch ms. */
int64_t
clock_now_ms(void)
{
	if (!clock_virtual)
		return clock_read(CLOCK_REALTIME);
	return clock_wall_start + clock_elapsed();
}

/* Monitored monotonic time in ms: for durations, never for stamps. */
int64_t
clock_mono_ms(void)
{
	return clock_elapsed();
}

/*
 * Turn a monitored duration into the real delay a libevent timer needs.
 * Negative durations become zero; the result is rounded up to 1 ms so a
 * timer never fires before its monitored time.
 */
void
clock_timeval(int64_t monitored_ms, struct timeval *tv)
{
	double real;
	int64_t us;

	if (monitored_ms < 0)
		monitored_ms = 0;
	real = (double)monitored_ms / clock_scale_factor;
	us = (int64_t)ceil(real * 1000.0);
	tv->tv_sec = (time_t)(us / 1000000);
	tv->tv_usec = (suseconds_t)(us % 1000000);
}

/* Set the display zone; the caller has validated it (config_zone_ok). */
void
clock_set_zone(const char *zone)
{
	char tz[256];

	snprintf(tz, sizeof(tz), ":%s", zone);
	setenv("TZ", tz, 1);
	tzset();
}

static int
clock_digits(const char **p, int n, int *out)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if ((*p)[i] < '0' || (*p)[i] > '9')
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

static int
clock_days_in_month(int y, int m)
{
	static const int days[] = {31, 28, 31, 30, 31, 30,
	                           31, 31, 30, 31, 30, 31};
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : days[m - 1];
}

/*
 * Parse an ISO 8601 / RFC 3339 instant: YYYY-MM-DD[(T| )HH:MM[:SS[.frac]]]
 * followed by Z, +HH:MM, +HHMM or +HH.  Without a zone the instant is in the
 * display zone (clock_set_zone).  Returns 0 and sets *ms, or -1.
 */
int
clock_parse_iso8601(const char *s, int64_t *ms)
{
	struct tm tm;
	int y, mo, d, h = 0, mi = 0, sec = 0, frac_ms = 0, off = 0;
	int have_zone = 0, oh, om = 0, sign;
	const char *p = s;
	time_t t;

	if (clock_digits(&p, 4, &y) || *p++ != '-' ||
	    clock_digits(&p, 2, &mo) || *p++ != '-' || clock_digits(&p, 2, &d))
		return -1;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p++;
		if (clock_digits(&p, 2, &h) || *p++ != ':' ||
		    clock_digits(&p, 2, &mi))
			return -1;
		if (*p == ':') {
			p++;
			if (clock_digits(&p, 2, &sec))
				return -1;
			if (*p == '.' || *p == ',') {
				int scale = 100;

				p++;
				if (*p < '0' || *p > '9')
					return -1;
				for (; *p >= '0' && *p <= '9'; p++) {
					frac_ms += (*p - '0') * scale;
					scale /= 10;
				}
			}
		}
	}
	if (*p == 'Z' || *p == 'z') {
		have_zone = 1;
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p++ == '-' ? -1 : 1;
		if (clock_digits(&p, 2, &oh))
			return -1;
		if (*p == ':')
			p++;
		if (*p != '\0' && clock_digits(&p, 2, &om))
			return -1;
		if (oh > 23 || om > 59)
			return -1;
		off = sign * (oh * 60 + om) * 60;
		have_zone = 1;
	}
	if (*p != '\0')
		return -1;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 ||
	    d > clock_days_in_month(y, mo) || h > 23 || mi > 59 || sec > 60)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	if (have_zone) {
		t = timegm(&tm);
		t -= off;
	} else {
		tm.tm_isdst = -1;
		t = mktime(&tm);
	}
	if (t == (time_t)-1)
		return -1;
	*ms = (int64_t)t * 1000 + frac_ms;
	return 0;
}

/* Format epoch ms as RFC 3339 in the display zone: 2026-11-27T08:00:00+08:00.
 */
size_t
clock_format(int64_t ms, char *buf, size_t len)
{
	struct tm tm;
	time_t t = (time_t)(ms / 1000);
	long off;
	int n;

	if (localtime_r(&t, &tm) == NULL)
		return 0;
	off = tm.tm_gmtoff / 60;
	n = snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d%c%02ld:%02ld",
	             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	             tm.tm_min, tm.tm_sec, off < 0 ? '-' : '+', labs(off) / 60,
	             labs(off) % 60);
	return n < 0 || (size_t)n >= len ? 0 : (size_t)n;
}

/* The configured zone's offset at ms (epoch), in minutes east of UTC. */
int
clock_utc_offset(int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	return localtime_r(&t, &tm) != NULL ? (int)(tm.tm_gmtoff / 60) : 0;
}

/* Real monotonic ms: for network timeouts, which must not run faster under
 * --time-scale (a 5 s connect timeout is 5 real seconds). */
int64_t
clock_real_ms(void)
{
	return clock_read(CLOCK_MONOTONIC);
}

void
clock_real_timeval(int64_t real_ms, struct timeval *tv)
{
	if (real_ms < 0)
		real_ms = 0;
	tv->tv_sec = (time_t)(real_ms / 1000);
	tv->tv_usec = (suseconds_t)(real_ms % 1000) * 1000;
}

/* The real wall clock, for comparing with what servers say (Expires). */
int64_t
clock_real_wall_ms(void)
{
	return clock_read(CLOCK_REALTIME);
}
