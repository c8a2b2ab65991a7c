/*
 * date.c: feed dates in all their real-world spellings.  RFC 822/1123/2822
 * and their sloppy cousins, RFC 3339 / ISO 8601, asctime (also Weibo's
 * asctime with a zone and JavaScript's Date.toString), Chinese 年月日
 * dates, and bare epoch seconds or milliseconds.  A date without a zone is
 * read in the feed's zone.  Each zone's UTC offsets from 1970 to 2100 are
 * asked of the C library once and then cached; Asia/Shanghai and UTC are
 * built in, so the default path never touches the time zone machinery.
 * Pure: no I/O of its own.  Not thread-safe (the zone cache, and TZ is
 * switched while a zone is first loaded): the daemon parses on one thread.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "feeds/feeds.h"

#define DATE_LEN_MAX   256  /* normalised; longer is not a date */
#define DATE_IN_MAX    1024 /* raw bytes looked at */
#define DATE_YEAR_MIN  1970
#define DATE_YEAR_MAX  2100
#define DATE_EPOCH_MAX 4133980799LL /* 2100-12-31T23:59:59Z */
#define DATE_OFF_MAX   (18 * 3600)  /* largest written UTC offset */
#define DATE_BEIJING   (8 * 3600)
#define DATE_AM        1
#define DATE_PM        2

#define DATE_ZONES_MAX 16   /* cached zones; then round robin */
#define DATE_TRANS_MAX 4096 /* offset changes kept per zone */
/*
 * Zones are scanned in steps of 3 days: the shortest time between two
 * offset changes anywhere in tzdata from 1970 to 2100 is 6.96 days
 * (America/Recife, Asia/Gaza), so no pair of changes hides in one step.
 */
#define DATE_SCAN_STEP (3 * 86400LL)
#define DATE_SCAN_FROM (-2 * 86400LL)
#define DATE_SCAN_TO   (DATE_EPOCH_MAX + 2 * 86400LL)

/* From at on (UTC seconds), local time is UTC + off seconds. */
struct date_trans {
	int64_t at;
	int32_t off;
};

struct date_zone {
	char name[64];
	int32_t off0; /* before the first change */
	size_t n;
	const struct date_trans *v;
	struct date_trans *owned; /* v, when allocated here */
};

/* Asia/Shanghai: +08:00, with summer time 1986-1991 (tzdata). */
static const struct date_trans date_shanghai_trans[] = {
    {515527200, 32400}, {527014800, 28800}, {545162400, 32400},
    {558464400, 28800}, {577216800, 32400}, {589914000, 28800},
    {608666400, 32400}, {621968400, 28800}, {640116000, 32400},
    {653418000, 28800}, {671565600, 32400}, {684867600, 28800},
};
static const struct date_zone date_shanghai = {
    "Asia/Shanghai", DATE_BEIJING,
    sizeof(date_shanghai_trans) / sizeof(date_shanghai_trans[0]),
    date_shanghai_trans, NULL};
static const struct date_zone date_utc = {"UTC", 0, 0, NULL, NULL};

static struct date_zone date_zones[DATE_ZONES_MAX];
static size_t date_nzones, date_evict;

/* What was read from the string. */
struct date_fields {
	int year, mon, day, hour, min, sec, msec;
	int ampm;    /* 0, DATE_AM or DATE_PM */
	int zoned;   /* off was given */
	int numeric; /* as digits: +0800, GMT+8 */
	int off;     /* seconds east of UTC */
};

struct date_parser {
	const char *p; /* into the normalised copy */
	const struct date_opts *opts;
	struct date_fields f;
};

/* Named zones, in seconds east of UTC; "cst" depends on opts->chinese. */
static const struct {
	const char *name;
	int off;
} date_zone_names[] = {
    /* RFC 822 */
    {"ut", 0},
    {"utc", 0},
    {"gmt", 0},
    {"z", 0},
    {"uct", 0},
    {"est", -5 * 3600},
    {"edt", -4 * 3600},
    {"cst", -6 * 3600},
    {"cdt", -5 * 3600},
    {"mst", -7 * 3600},
    {"mdt", -6 * 3600},
    {"pst", -8 * 3600},
    {"pdt", -7 * 3600},
    /* generic US names, as feedparser reads them */
    {"at", -4 * 3600},
    {"et", -5 * 3600},
    {"ct", -6 * 3600},
    {"mt", -7 * 3600},
    {"pt", -8 * 3600},
    /* more of the US, Europe, Asia and the Pacific */
    {"akst", -9 * 3600},
    {"akdt", -8 * 3600},
    {"hst", -10 * 3600},
    {"wet", 0},
    {"west", 3600},
    {"bst", 3600},
    {"cet", 3600},
    {"cest", 2 * 3600},
    {"met", 3600},
    {"mest", 2 * 3600},
    {"eet", 2 * 3600},
    {"eest", 3 * 3600},
    {"msk", 3 * 3600},
    {"hkt", 8 * 3600},
    {"sgt", 8 * 3600},
    {"awst", 8 * 3600},
    {"jst", 9 * 3600},
    {"kst", 9 * 3600},
    {"aest", 10 * 3600},
    {"aedt", 11 * 3600},
    {"nzst", 12 * 3600},
    {"nzdt", 13 * 3600},
};

static const char *const date_month_names[] = {
    "january", "february", "march",     "april",   "may",      "june",
    "july",    "august",   "september", "october", "november", "december",
};

static const char *const date_wday_names[] = {
    "monday", "tuesday",  "wednesday", "thursday",
    "friday", "saturday", "sunday",
};

static int
date_isdigit(char c)
{
	return c >= '0' && c <= '9';
}

static int
date_isalpha(char c)
{
	return c >= 'a' && c <= 'z';
}

/*
 * Copy s into out for parsing: full-width ASCII (２０２１：) folded,
 * ASCII letters lower-cased, every run of white space (also NBSP and the
 * ideographic space) made one ' ', leading and trailing space dropped.
 * Other bytes (the CJK markers) are kept.  -1 if it does not fit.
 */
static int
date_normalise(const char *s, char *out, size_t outlen)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n = 0, len;
	int space = 1;
	unsigned char c;

	while (p[i] != '\0') {
		if (i >= DATE_IN_MAX)
			return -1;
		c = p[i];
		len = 1;
		if (c > ' ' && c < 0x80) {
			/* most bytes: printable ASCII */
		} else if (c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
		           c == '\f') {
			c = ' ';
		} else if (c == 0xc2 && p[i + 1] == 0xa0) {
			c = ' ';
			len = 2;
		} else if (c == 0xe3 && p[i + 1] == 0x80 && p[i + 2] == 0x80) {
			c = ' ';
			len = 3;
		} else if (c == 0xef && p[i + 1] == 0xbc && p[i + 2] >= 0x81 &&
		           p[i + 2] <= 0xbf) {
			c = p[i + 2] - 0x60; /* U+FF01..U+FF3F */
			len = 3;
		} else if (c == 0xef && p[i + 1] == 0xbd && p[i + 2] >= 0x80 &&
		           p[i + 2] <= 0x9e) {
			c = p[i + 2] - 0x20; /* U+FF40..U+FF5E */
			len = 3;
		}
		i += len;
		if (c >= 'A' && c <= 'Z')
			c = c - 'A' + 'a';
		if (c == ' ') {
			if (space)
				continue;
			space = 1;
		} else
			space = 0;
		if (n + 1 >= outlen)
			return -1;
		out[n++] = (char)c;
	}
	if (n > 0 && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
	return 0;
}

/* Read a run of digits: its length, and its value if at most 9 long. */
static int
date_digits(struct date_parser *dp, int *val)
{
	int n = 0, v = 0;

	while (date_isdigit(dp->p[n])) {
		if (n < 9)
			v = v * 10 + (dp->p[n] - '0');
		n++;
	}
	dp->p += n;
	*val = v;
	return n;
}

static int
date_ndigits(const char *p)
{
	int n = 0;

	while (date_isdigit(p[n]))
		n++;
	return n;
}

/* Skip lit if the text starts with it. */
static int
date_lit(struct date_parser *dp, const char *lit)
{
	size_t len = strlen(lit);

	if (*dp->p != *lit || strncmp(dp->p, lit, len) != 0)
		return 0;
	dp->p += len;
	return 1;
}

static void
date_space(struct date_parser *dp)
{
	if (*dp->p == ' ')
		dp->p++;
}

/* Read a run of letters; returns its length (0: none). */
static size_t
date_word(struct date_parser *dp, const char **w)
{
	size_t n = 0;

	*w = dp->p;
	while (date_isalpha(dp->p[n]))
		n++;
	dp->p += n;
	return n;
}

/* Index (from 1) of the name that w abbreviates to 3 letters or more. */
static int
date_name(const char *w, size_t len, const char *const *names, int n)
{
	int i;

	if (len < 3)
		return 0;
	for (i = 0; i < n; i++)
		if (*w == names[i][0] && len <= strlen(names[i]) &&
		    strncmp(w, names[i], len) == 0)
			return i + 1;
	return 0;
}

static int
date_month(const char *w, size_t len)
{
	return date_name(w, len, date_month_names, 12);
}

/* Skip a weekday: "Sat", "Saturday", "Thurs", or 星期六 / 周六. */
static int
date_weekday(struct date_parser *dp)
{
	static const char *const cjk[] = {"一", "二", "三", "四",
	                                  "五", "六", "日", "天"};
	const char *save = dp->p, *w;
	size_t len, i;

	len = date_word(dp, &w);
	if (len > 0) {
		if (date_name(w, len, date_wday_names, 7) != 0)
			return 1;
		dp->p = save;
		return 0;
	}
	if (date_lit(dp, "星期") || date_lit(dp, "礼拜") || date_lit(dp, "周"))
		for (i = 0; i < sizeof(cjk) / sizeof(cjk[0]); i++)
			if (date_lit(dp, cjk[i]))
				return 1;
	dp->p = save;
	return 0;
}

/* Take a zone; a second, different one is an error. */
static int
date_set_zone(struct date_parser *dp, int off)
{
	if (dp->f.zoned && dp->f.off != off)
		return -1;
	dp->f.zoned = 1;
	dp->f.off = off;
	return 1;
}

/* A numeric offset after its sign: +8, +08, +08:00, +0800. */
static int
date_offset(struct date_parser *dp)
{
	int sign = *dp->p == '-' ? -1 : 1, n, v, h, m = 0;

	dp->p++;
	n = date_digits(dp, &v);
	if (n == 1 || n == 2) {
		h = v;
		if (*dp->p == ':') {
			dp->p++;
			if (date_digits(dp, &m) != 2)
				return -1;
		}
	} else if (n == 4) {
		h = v / 100;
		m = v % 100;
	} else
		return -1;
	if (m > 59 || h * 3600 + m * 60 > DATE_OFF_MAX)
		return -1;
	dp->f.numeric = 1;
	return date_set_zone(dp, sign * (h * 3600 + m * 60));
}

/*
 * A zone after the time, after an optional space: Z, +08:00, +0800,
 * GMT+8, UTC, Etc/GMT, a name from date_zone_names, 北京时间.  Returns 1
 * if one was read, 0 if there was none (a military letter counts as none,
 * RFC 2822 4.3), -1 if there is a word that is not a zone.
 */
static int
date_zone(struct date_parser *dp)
{
	const char *save = dp->p, *w;
	size_t len, i;

	date_space(dp);
	if (*dp->p == '+' || *dp->p == '-')
		return date_offset(dp);
	if (date_lit(dp, "北京时间") || date_lit(dp, "中国标准时间"))
		return date_set_zone(dp, DATE_BEIJING);
	len = date_word(dp, &w);
	if (len == 0) {
		dp->p = save;
		return 0;
	}
	if (len == 3 && strncmp(w, "etc", 3) == 0 && *dp->p == '/') {
		dp->p++;
		len = date_word(dp, &w);
		if ((len != 3 || (strncmp(w, "gmt", 3) != 0 &&
		                  strncmp(w, "utc", 3) != 0)) ||
		    *dp->p == '+' || *dp->p == '-')
			return -1;
		return date_set_zone(dp, 0);
	}
	if ((len == 3 &&
	     (strncmp(w, "gmt", 3) == 0 || strncmp(w, "utc", 3) == 0)) ||
	    (len == 2 && strncmp(w, "ut", 2) == 0)) {
		if (*dp->p == '+' || *dp->p == '-')
			return date_offset(dp);
		return date_set_zone(dp, 0);
	}
	if (len == 1 && *w != 'z')
		return *w == 'j' ? -1 : 0;
	if (len == 3 && strncmp(w, "cst", 3) == 0 && dp->opts != NULL &&
	    dp->opts->chinese)
		return date_set_zone(dp, DATE_BEIJING);
	for (i = 0; i < sizeof(date_zone_names) / sizeof(date_zone_names[0]);
	     i++)
		if (*w == date_zone_names[i].name[0] &&
		    strlen(date_zone_names[i].name) == len &&
		    strncmp(w, date_zone_names[i].name, len) == 0)
			return date_set_zone(dp, date_zone_names[i].off);
	return -1;
}

/* Fractional seconds: keep milliseconds, drop the rest. */
static void
date_fraction(struct date_parser *dp)
{
	int scale = 100;

	for (; date_isdigit(*dp->p); dp->p++) {
		dp->f.msec += (*dp->p - '0') * scale;
		scale /= 10;
	}
}

/* "AM", "a.m.", "PM", "p.m." after the time, if there. */
static void
date_ampm(struct date_parser *dp)
{
	const char *save = dp->p;

	date_space(dp);
	if (date_lit(dp, "am") || date_lit(dp, "a.m."))
		dp->f.ampm = DATE_AM;
	else if (date_lit(dp, "pm") || date_lit(dp, "p.m."))
		dp->f.ampm = DATE_PM;
	if (dp->f.ampm == 0 || date_isalpha(*dp->p)) {
		dp->f.ampm = 0;
		dp->p = save;
	}
}

/*
 * A time of day: H:MM[:SS[.frac]] or 20时39分[33秒] (also 時 and 点),
 * maybe after 上午/下午 or before AM/PM.
 */
static int
date_time(struct date_parser *dp)
{
	struct date_fields *f = &dp->f;
	int n;

	if (date_lit(dp, "上午"))
		f->ampm = DATE_AM;
	else if (date_lit(dp, "下午"))
		f->ampm = DATE_PM;
	if (f->ampm != 0)
		date_space(dp);
	n = date_digits(dp, &f->hour);
	if (n < 1 || n > 2)
		return -1;
	if (*dp->p == ':') {
		dp->p++;
		if (date_digits(dp, &f->min) != 2)
			return -1;
		if (*dp->p == ':') {
			dp->p++;
			if (date_digits(dp, &f->sec) != 2)
				return -1;
			if ((*dp->p == '.' || *dp->p == ',') &&
			    date_isdigit(dp->p[1])) {
				dp->p++;
				date_fraction(dp);
			}
		}
	} else if (date_lit(dp, "时") || date_lit(dp, "時") ||
	           date_lit(dp, "点")) {
		n = date_digits(dp, &f->min);
		if (n > 0 && (n > 2 || !date_lit(dp, "分")))
			return -1;
		if (n > 0) {
			n = date_digits(dp, &f->sec);
			if (n > 0 && (n > 2 || !date_lit(dp, "秒")))
				return -1;
		}
	} else
		return -1;
	if (f->ampm == 0)
		date_ampm(dp);
	return 0;
}

/* Does a time start here (after the space)? */
static int
date_time_next(const char *p)
{
	if (date_isdigit(*p))
		return 1;
	if ((unsigned char)*p < 0x80)
		return 0;
	return strncmp(p, "上午", strlen("上午")) == 0 ||
	       strncmp(p, "下午", strlen("下午")) == 0;
}

/* An optional time and zone after a date: ", 20:39:33 +0800". */
static int
date_time_zone(struct date_parser *dp)
{
	const char *save = dp->p;

	if (*dp->p == ',')
		dp->p++;
	date_space(dp);
	if (strncmp(dp->p, "at ", 3) == 0 && date_time_next(dp->p + 3))
		dp->p += 3;
	if (!date_time_next(dp->p)) {
		dp->p = save;
		return 0;
	}
	if (date_time(dp) == -1 || date_zone(dp) == -1)
		return -1;
	return 0;
}

/*
 * 2021-03-20[(T| )20:39:33[.123][zone]], also with / or . between the
 * parts, and 2021年3月20日[ 星期六][ ]20:39 or 20时39分33秒.
 */
static int
date_numeric(struct date_parser *dp)
{
	struct date_fields *f = &dp->f;
	const char *save;
	int cjk = 0, n;
	char sep;

	(void)date_digits(dp, &f->year);
	sep = *dp->p;
	if (sep == '-' || sep == '/' || sep == '.')
		dp->p++;
	else if (date_lit(dp, "年"))
		cjk = 1;
	else
		return -1;
	if (cjk)
		date_space(dp);
	n = date_digits(dp, &f->mon);
	if (n < 1 || n > 2)
		return -1;
	if (cjk) {
		if (!date_lit(dp, "月"))
			return -1;
		date_space(dp);
	} else if (*dp->p == sep)
		dp->p++;
	else
		return -1;
	n = date_digits(dp, &f->day);
	if (n < 1 || n > 2)
		return -1;
	if (cjk && !date_lit(dp, "日"))
		(void)date_lit(dp, "号");
	save = dp->p;
	date_space(dp);
	if (*dp->p == '(') {
		dp->p++;
		if (date_weekday(dp) && *dp->p == ')')
			dp->p++;
		else
			dp->p = save;
	} else if (!date_weekday(dp))
		dp->p = save;
	if (*dp->p == 't') {
		dp->p++;
	} else if (*dp->p == ' ' && date_time_next(dp->p + 1)) {
		dp->p++;
	} else if (!cjk || !date_time_next(dp->p))
		return 0;
	if (date_time(dp) == -1 || date_zone(dp) == -1)
		return -1;
	return 0;
}

/* ISO 8601 basic format: 20210320[T203933[.123][zone]]. */
static int
date_basic(struct date_parser *dp)
{
	struct date_fields *f = &dp->f;
	int v, n;

	(void)date_digits(dp, &v);
	f->year = v / 10000;
	f->mon = v / 100 % 100;
	f->day = v % 100;
	if (*dp->p != 't')
		return 0;
	dp->p++;
	if (date_ndigits(dp->p) == 2 && dp->p[2] == ':')
		return date_time(dp) == -1 || date_zone(dp) == -1 ? -1 : 0;
	n = date_digits(dp, &v);
	if (n == 4) {
		f->hour = v / 100;
		f->min = v % 100;
	} else if (n == 6) {
		f->hour = v / 10000;
		f->min = v / 100 % 100;
		f->sec = v % 100;
		if ((*dp->p == '.' || *dp->p == ',') &&
		    date_isdigit(dp->p[1])) {
			dp->p++;
			date_fraction(dp);
		}
	} else
		return -1;
	return date_zone(dp) == -1 ? -1 : 0;
}

/* A year of 4 digits, or of 2 read as RFC 2822 does (00-49: 20xx). */
static int
date_year(struct date_parser *dp, int two)
{
	int n, v;

	n = date_digits(dp, &v);
	if (n == 2 && two)
		v += v < 50 ? 2000 : 1900;
	else if (n != 4)
		return -1;
	dp->f.year = v;
	return 0;
}

/* RFC 822 and kin, after the weekday: 20 Mar 2021 [20:39[:33]] [zone];
 * also 20-Mar-21 (RFC 850) and "20 March, 2021". */
static int
date_dayfirst(struct date_parser *dp)
{
	const char *w;
	size_t len;
	int n;

	n = date_digits(dp, &dp->f.day);
	if (n < 1 || n > 2)
		return -1;
	if (*dp->p == ' ' || *dp->p == '-')
		dp->p++;
	len = date_word(dp, &w);
	dp->f.mon = date_month(w, len);
	if (dp->f.mon == 0)
		return -1;
	if (*dp->p == '.')
		dp->p++;
	if (*dp->p == ',')
		dp->p++;
	if (*dp->p != ' ' && *dp->p != '-')
		return -1;
	dp->p++;
	if (date_year(dp, 1) == -1)
		return -1;
	return date_time_zone(dp);
}

/*
 * Month first, after the weekday: asctime "Mar 20 20:39:33 [zone] 2021",
 * JavaScript "Mar 20 2021 20:39:33 GMT+0800", US "March 20, 2021 8:39 PM".
 */
static int
date_monthfirst(struct date_parser *dp)
{
	const char *w;
	size_t len;
	int n;

	len = date_word(dp, &w);
	dp->f.mon = date_month(w, len);
	if (dp->f.mon == 0)
		return -1;
	if (*dp->p == '.')
		dp->p++;
	if (*dp->p != ' ' && *dp->p != '-')
		return -1;
	dp->p++;
	n = date_digits(dp, &dp->f.day);
	if (n < 1 || n > 2)
		return -1;
	if (*dp->p == ',')
		dp->p++;
	if (*dp->p != ' ')
		return -1;
	dp->p++;
	if (date_ndigits(dp->p) == 4) {
		(void)date_year(dp, 0);
		return date_time_zone(dp);
	}
	if (date_time(dp) == -1 || date_zone(dp) == -1)
		return -1;
	if (*dp->p != ' ')
		return -1;
	dp->p++;
	return date_year(dp, 0);
}

/* If a comment in parentheses is exactly a zone, that is the zone. */
static void
date_comment(struct date_parser *dp, const char *s, size_t len)
{
	struct date_parser sub;
	char buf[64];

	if (dp->f.zoned || len >= sizeof(buf))
		return;
	memcpy(buf, s, len);
	buf[len] = '\0';
	memset(&sub, 0, sizeof(sub));
	sub.p = buf;
	sub.opts = dp->opts;
	if (date_zone(&sub) == 1) {
		date_space(&sub);
		if (*sub.p == '\0')
			(void)date_set_zone(dp, sub.f.off);
	}
}

/*
 * After the date only comments may follow: " (CST)", "(北京时间)"; and
 * after a numeric zone a zone name, which is also taken as a comment:
 * "+0800 CST".
 */
static int
date_tail(struct date_parser *dp)
{
	struct date_parser sub;
	const char *end;

	for (;;) {
		date_space(dp);
		if (*dp->p == '\0')
			return 0;
		if (*dp->p != '(') {
			sub = *dp;
			sub.f.zoned = 0;
			if (!dp->f.numeric || *dp->p == '+' || *dp->p == '-' ||
			    date_zone(&sub) != 1)
				return -1;
			dp->p = sub.p;
			continue;
		}
		end = strchr(dp->p, ')');
		if (end == NULL)
			return -1;
		date_comment(dp, dp->p + 1, (size_t)(end - dp->p - 1));
		dp->p = end + 1;
	}
}

/* Days from 1970-01-01 to y-m-d, proleptic Gregorian (H. Hinnant). */
static int64_t
date_days(int y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int
date_mdays(int y, int m)
{
	static const int days[] = {31, 28, 31, 30, 31, 30,
	                           31, 31, 30, 31, 30, 31};
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : days[m - 1];
}

/* The local offset of C library time t in the current TZ. */
static int32_t
date_probe(int64_t t)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (localtime_r(&tt, &tm) == NULL)
		return 0;
	return (int32_t)tm.tm_gmtoff;
}

/* Record that from at on the offset is off. */
static int
date_zone_add(struct date_zone *z, size_t *cap, int64_t at, int32_t off)
{
	struct date_trans *v;
	size_t ncap;

	if (z->n == *cap) {
		if (*cap >= DATE_TRANS_MAX)
			return -1;
		ncap = *cap == 0 ? 32 : *cap * 2;
		v = realloc(z->owned, ncap * sizeof(*v));
		if (v == NULL)
			return -1;
		z->owned = v;
		*cap = ncap;
	}
	z->owned[z->n].at = at;
	z->owned[z->n].off = off;
	z->n++;
	return 0;
}

/*
 * Find every offset change of the current TZ from 1970 to 2100: step
 * through time, and bisect to the second where the offset differs.
 */
static int
date_zone_scan(struct date_zone *z)
{
	int64_t prev, t, lo, hi, mid, to = DATE_SCAN_TO;
	int32_t cur;
	size_t cap = 0;

	if (sizeof(time_t) < 8)
		to = INT32_MAX;
	prev = DATE_SCAN_FROM;
	cur = date_probe(prev);
	z->off0 = cur;
	while (prev < to) {
		t = prev + DATE_SCAN_STEP < to ? prev + DATE_SCAN_STEP : to;
		while (date_probe(t) != cur) {
			lo = prev;
			hi = t;
			while (hi - lo > 1) {
				mid = lo + (hi - lo) / 2;
				if (date_probe(mid) == cur)
					lo = mid;
				else
					hi = mid;
			}
			cur = date_probe(hi);
			if (date_zone_add(z, &cap, hi, cur) == -1)
				return -1;
			prev = hi;
		}
		prev = t;
	}
	z->v = z->owned;
	return 0;
}

/*
 * Load zone name into z through the C library: set TZ to it, scan, and
 * put TZ back as it was.  A name that cannot be a zone file is UTC.
 */
static int
date_zone_load(struct date_zone *z, const char *name)
{
	char tz[sizeof(z->name) + 1], *old = NULL;
	const char *cur;
	int rc;

	snprintf(z->name, sizeof(z->name), "%s", name);
	z->off0 = 0;
	z->n = 0;
	z->v = NULL;
	if (name[0] == '\0' || name[0] == '/' || strstr(name, "..") != NULL)
		return 0;
	cur = getenv("TZ");
	if (cur != NULL && (old = strdup(cur)) == NULL)
		return -1;
	snprintf(tz, sizeof(tz), ":%s", name);
	if (setenv("TZ", tz, 1) == -1) {
		free(old);
		return -1;
	}
	tzset();
	rc = date_zone_scan(z);
	if (old != NULL)
		(void)setenv("TZ", old, 1);
	else
		(void)unsetenv("TZ");
	tzset();
	free(old);
	return rc;
}

/* The zone called name: built in, cached, or loaded now (NULL: failed). */
static const struct date_zone *
date_zone_get(const char *name)
{
	struct date_zone *z;
	size_t i;

	if (name == NULL || strcmp(name, "Asia/Shanghai") == 0 ||
	    strcmp(name, "PRC") == 0)
		return &date_shanghai;
	if (strcmp(name, "UTC") == 0 || strcmp(name, "Etc/UTC") == 0 ||
	    strcmp(name, "GMT") == 0 || strcmp(name, "Etc/GMT") == 0)
		return &date_utc;
	if (strlen(name) >= sizeof(date_zones[0].name))
		return &date_utc; /* no such zone file */
	for (i = 0; i < date_nzones; i++)
		if (strcmp(date_zones[i].name, name) == 0)
			return &date_zones[i];
	if (date_nzones < DATE_ZONES_MAX) {
		z = &date_zones[date_nzones++];
	} else {
		z = &date_zones[date_evict];
		date_evict = (date_evict + 1) % DATE_ZONES_MAX;
		free(z->owned);
	}
	memset(z, 0, sizeof(*z));
	if (date_zone_load(z, name) == -1) {
		/* out of memory: leave an empty slot, try again next time */
		free(z->owned);
		memset(z, 0, sizeof(*z));
		return NULL;
	}
	return z;
}

/*
 * The offset of zone z for local wall time local (seconds, as if UTC).  A
 * wall time skipped or repeated by a change is read with the offset from
 * before the change (as Python's fold=0): 02:30 on the day New York springs
 * forward is 07:30Z, 01:30 on the day it falls back is 05:30Z.
 */
static int32_t
date_zone_offset(const struct date_zone *z, int64_t local)
{
	size_t lo = 0, hi = z->n, mid;
	int32_t before, after;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		before = mid > 0 ? z->v[mid - 1].off : z->off0;
		after = z->v[mid].off;
		if (z->v[mid].at + (before > after ? before : after) <= local)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo > 0 ? z->v[lo - 1].off : z->off0;
}

/* Check the fields and turn them into epoch ms. */
static int
date_resolve(struct date_fields *f, const struct date_opts *opts, int64_t *ms)
{
	const struct date_zone *z;
	int64_t t;

	if (f->year < DATE_YEAR_MIN || f->year > DATE_YEAR_MAX || f->mon < 1 ||
	    f->mon > 12 || f->day < 1 || f->day > date_mdays(f->year, f->mon) ||
	    f->hour > 23 || f->min > 59 || f->sec > 60)
		return -1;
	if (f->ampm != 0 && (f->hour == 0 || f->hour > 12)) {
		/* 下午20:39 happens; "0 pm" and "20:39 am" do not */
		if (f->ampm == DATE_AM || f->hour == 0)
			return -1;
	} else if (f->ampm == DATE_PM && f->hour < 12)
		f->hour += 12;
	else if (f->ampm == DATE_AM && f->hour == 12)
		f->hour = 0;
	t = date_days(f->year, f->mon, f->day) * 86400 + f->hour * 3600 +
	    f->min * 60 + f->sec;
	if (f->zoned) {
		t -= f->off;
	} else {
		z = date_zone_get(opts != NULL ? opts->zone : NULL);
		if (z == NULL)
			return -1;
		t -= date_zone_offset(z, t);
	}
	if (t < 0)
		return -1;
	*ms = t * 1000 + f->msec;
	return 0;
}

/* A string of digits only: epoch seconds (10), epoch ms (13), or the
 * basic-format date 20210320 (8) or date-time 20210320203933 (14). */
static int
date_number(struct date_parser *dp, int64_t *ms)
{
	const char *p = dp->p;
	int64_t v = 0;
	size_t i, n = strlen(p);
	struct date_fields *f = &dp->f;

	if (n != 8 && n != 10 && n != 13 && n != 14)
		return -1;
	for (i = 0; i < n; i++)
		v = v * 10 + (p[i] - '0');
	if (n == 10) {
		if (v > DATE_EPOCH_MAX)
			return -1;
		*ms = v * 1000;
		return 0;
	}
	if (n == 13) {
		if (v > DATE_EPOCH_MAX * 1000 + 999)
			return -1;
		*ms = v;
		return 0;
	}
	if (n == 14) {
		f->sec = (int)(v % 100);
		f->min = (int)(v / 100 % 100);
		f->hour = (int)(v / 10000 % 100);
		v /= 1000000;
	}
	f->day = (int)(v % 100);
	f->mon = (int)(v / 100 % 100);
	f->year = (int)(v / 10000);
	return date_resolve(f, dp->opts, ms);
}

/* Parse s (UTF-8) into epoch ms; 0 on success, -1 if unparseable. */
int
date_parse(const char *s, const struct date_opts *opts, int64_t *ms)
{
	char buf[DATE_LEN_MAX];
	struct date_parser dp;
	int n, rc;

	if (s == NULL || ms == NULL ||
	    date_normalise(s, buf, sizeof(buf)) == -1 || buf[0] == '\0')
		return -1;
	memset(&dp, 0, sizeof(dp));
	dp.p = buf;
	dp.opts = opts;
	if ((size_t)date_ndigits(buf) == strlen(buf))
		return date_number(&dp, ms);
	if (date_lit(&dp, "北京时间")) {
		(void)date_set_zone(&dp, DATE_BEIJING);
		if (*dp.p == ':')
			dp.p++;
		date_space(&dp);
	}
	if (date_weekday(&dp)) {
		if (*dp.p == ',' || *dp.p == '.')
			dp.p++;
		date_space(&dp);
	}
	n = date_ndigits(dp.p);
	if (n == 4)
		rc = date_numeric(&dp);
	else if (n == 8)
		rc = date_basic(&dp);
	else if (n == 1 || n == 2)
		rc = date_dayfirst(&dp);
	else if (n == 0)
		rc = date_monthfirst(&dp);
	else
		rc = -1;
	if (rc == -1 || date_tail(&dp) == -1)
		return -1;
	return date_resolve(&dp.f, opts, ms);
}
