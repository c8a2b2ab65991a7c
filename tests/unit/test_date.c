/*
 * test_date.c: date.c -- every spelling of a feed date we accept, each zone
 * spelling, CST both ways, zone-less dates in the feed's zone (summer time
 * included), the RFC 2822 two-digit-year pivot, rejects, feedparser's date
 * cases, and the zone cache (TZ put back, more zones than it holds).
 * The expected values were computed apart from date.c: Python's zoneinfo
 * (fold=0) on a hand-written wall time and offset or zone for each row.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "feeds/feeds.h"

#define NELEM(a)  (sizeof(a) / sizeof((a)[0]))
#define REJECT    (-1LL) /* date_parse must return -1 */
#define UNTOUCHED 42LL   /* *ms before the call; kept on failure */
/* 2021-03-20T12:39:33Z, that is 20:39:33 in Beijing: most rows */
#define R 1616243973000LL

struct date_case {
	const char *in;
	const char *zone; /* opts.zone */
	int chinese;      /* opts.chinese */
	int64_t ms;       /* epoch ms, or REJECT */
};

static const struct date_case rfc822_cases[] = {
    {"Sat, 20 Mar 2021 20:39:33 +0800", NULL, 0, R},
    {"20 Mar 2021 20:39:33 +0800", NULL, 0, R},
    {"Mon, 20 Mar 2021 20:39:33 +0800", NULL, 0, R},
    {"Sat 20 Mar 2021 20:39:33 +0800", NULL, 0, R},
    {"Saturday, 20 March 2021 20:39:33 +0800", NULL, 0, R},
    {"SAT, 20 MAR 2021 20:39:33 +0800", NULL, 0, R},
    {"sat, 20 mar 2021 20:39:33 +0800", NULL, 0, R},
    {"Sat, 20 MaRcH 2021 20:39:33 +0800", NULL, 0, R},
    /* 2021-09-20T12:39:33Z */
    {"Mon, 20 Sept 2021 20:39:33 +0800", NULL, 0, 1632141573000LL},
    /* 2021-03-20T20:39:00Z */
    {"20 Mar 2021 20:39 GMT", NULL, 0, 1616272740000LL},
    /* 2021-03-06T12:39:33Z */
    {"Sat, 6 Mar 2021 20:39:33 +0800", NULL, 0, 1615034373000LL},
    /* 2021-03-06T12:39:33Z */
    {"Sat, 06 Mar 2021 20:39:33 +0800", NULL, 0, 1615034373000LL},
    {"Sat, 20 Mar 21 20:39:33 +0800", NULL, 0, R},
    /* 2000-03-20T20:39:33Z */
    {"Sat, 20 Mar 00 20:39:33 +0000", NULL, 0, 953584773000LL},
    /* 2049-03-20T20:39:33Z */
    {"Sat, 20 Mar 49 20:39:33 +0000", NULL, 0, 2499885573000LL},
    {"Sat, 20 Mar 50 20:39:33 +0000", NULL, 0, REJECT},
    {"Sat, 20 Mar 69 20:39:33 +0000", NULL, 0, REJECT},
    /* 1999-03-20T20:39:33Z */
    {"Sat, 20 Mar 99 20:39:33 +0000", NULL, 0, 921962373000LL},
    /* 1970-01-01T00:00:00Z */
    {"Thu, 01 Jan 70 00:00:00 GMT", NULL, 0, 0LL},
    /* 2021-03-20T20:39:33Z */
    {"Saturday, 20-Mar-21 20:39:33 GMT", NULL, 0, 1616272773000LL},
    {"20-Mar-2021 20:39:33 +0800", NULL, 0, R},
    /* 2021-03-19T16:00:00Z */
    {"Sat, 20 Mar 2021", NULL, 0, 1616169600000LL},
    /* 2021-03-20T00:00:00Z */
    {"Sat, 20 Mar 2021", "UTC", 0, 1616198400000LL},
    {"  Sat,   20  Mar   2021   20:39:33   +0800  ", NULL, 0, R},
    {"\n\tSat, 20 Mar 2021 20:39:33 +0800\r\n", NULL, 0, R},
    {"Sat,\u00a020 Mar 2021\u300020:39:33 +0800", NULL, 0, R},
    {"Sat, 20 Mar 2021 20:39:33 +0800 (CST)", NULL, 0, R},
    {"Sat, 20 Mar 2021 20:39:33 +0800 (北京时间)", NULL, 0, R},
    {"Sat, 20 Mar 2021 20:39:33 (北京时间)", "UTC", 0, R},
    {"Sat, 20 Mar 2021 20:39:33 北京时间", "UTC", 0, R},
    {"Sat, 20 Mar 2021 20:39:33 (CST)", "UTC", 1, R},
    /* 2021-03-21T02:39:33Z */
    {"Sat, 20 Mar 2021 20:39:33 (CST)", "UTC", 0, 1616294373000LL},
    /* 2021-03-20T20:39:33Z */
    {"Sat, 20 Mar 2021 20:39:33 (Foo Bar)", "UTC", 0, 1616272773000LL},
    {"Sat, 20 Mar 2021 20:39:33 A", NULL, 0, R},
    /* 2021-03-20T20:39:33Z */
    {"Sat, 20 Mar 2021 20:39:33 Y", "UTC", 0, 1616272773000LL},
    /* 2021-03-20T12:39:00Z */
    {"Mar. 20, 2021 8:39 PM", NULL, 0, 1616243940000LL},
    /* 2021-03-21T00:39:00Z */
    {"March 20, 2021 at 8:39 p.m. EDT", NULL, 0, 1616287140000LL},
    /* 2021-03-20T00:05:00Z */
    {"Mar 20, 2021 12:05 AM", "UTC", 0, 1616198700000LL},
    /* 2021-03-20T12:05:00Z */
    {"Mar 20, 2021 12:05 PM", "UTC", 0, 1616241900000LL},
    {"Mar 20, 2021 13:05 AM", "UTC", 0, REJECT},
    /* 2021-03-20T00:00:00Z */
    {"Saturday, March 20, 2021", "UTC", 0, 1616198400000LL},
};

static const struct date_case zones_cases[] = {
    /* 2021-03-20T20:39:33Z */
    {"Sat, 20 Mar 2021 20:39:33 UT", NULL, 0, 1616272773000LL},
    /* 2021-03-20T20:39:33Z */
    {"Sat, 20 Mar 2021 20:39:33 UTC", NULL, 0, 1616272773000LL},
    /* 2021-03-20T20:39:33Z */
    {"Sat, 20 Mar 2021 20:39:33 GMT", NULL, 0, 1616272773000LL},
    /* 2021-03-20T20:39:33Z */
    {"Sat, 20 Mar 2021 20:39:33 Z", NULL, 0, 1616272773000LL},
    /* 2021-03-21T01:39:33Z */
    {"Sat, 20 Mar 2021 20:39:33 EST", NULL, 0, 1616290773000LL},
    /* 2021-03-21T00:39:33Z */
    {"Sat, 20 Mar 2021 20:39:33 EDT", NULL, 0, 1616287173000LL},
    /* 2021-03-21T02:39:33Z */
    {"Sat, 20 Mar 2021 20:39:33 CST", NULL, 0, 1616294373000LL},
    {"Sat, 20 Mar 2021 20:39:33 CST", NULL, 1, R},
    /* 2021-03-21T01:39:33Z */
    {"Sat, 20 Mar 2021 20:39:33 CDT", NULL, 1, 1616290773000LL},
    /* 2021-03-21T03:39:33Z */
    {"Sat, 20 Mar 2021 20:39:33 MST", NULL, 0, 1616297973000LL},
    /* 2021-03-21T02:39:33Z */
    {"Sat, 20 Mar 2021 20:39:33 MDT", NULL, 0, 1616294373000LL},
    /* 2021-03-21T04:39:33Z */
    {"Sat, 20 Mar 2021 20:39:33 PST", NULL, 0, 1616301573000LL},
    /* 2021-03-21T03:39:33Z */
    {"Sat, 20 Mar 2021 20:39:33 PDT", NULL, 0, 1616297973000LL},
    {"Sat, 20 Mar 2021 20:39:33 GMT+8", NULL, 0, R},
    {"Sat, 20 Mar 2021 20:39:33 GMT+08:00", NULL, 0, R},
    {"Sat, 20 Mar 2021 20:39:33 GMT+0800", NULL, 0, R},
    {"Sat, 20 Mar 2021 20:39:33 UTC+8", NULL, 0, R},
    /* 2021-03-20T23:39:33Z */
    {"Sat, 20 Mar 2021 20:39:33 UTC-3", NULL, 0, 1616283573000LL},
    {"Sat, 20 Mar 2021 20:39:33 +08:00", NULL, 0, R},
    {"Sat, 20 Mar 2021 20:39:33 +0800", NULL, 0, R},
    {"Sat, 20 Mar 2021 20:39:33 +08", NULL, 0, R},
    /* 2021-03-21T01:39:33Z */
    {"Sat, 20 Mar 2021 20:39:33 -0500", NULL, 0, 1616290773000LL},
    /* 2021-03-20T15:09:33Z */
    {"Sat, 20 Mar 2021 20:39:33 +0530", NULL, 0, 1616252973000LL},
    /* 2021-03-20T20:39:33Z */
    {"Sat, 20 Mar 2021 20:39:33 -0000", NULL, 0, 1616272773000LL},
    /* 2021-03-20T11:39:33Z */
    {"Sat, 20 Mar 2021 20:39:33 JST", NULL, 0, 1616240373000LL},
    /* 2021-03-20T19:39:33Z */
    {"Sat, 20 Mar 2021 20:39:33 CET", NULL, 0, 1616269173000LL},
    {"Sat, 20 Mar 2021 20:39:33 HKT", NULL, 0, R},
    /* 2021-03-20T20:39:33Z */
    {"Sat, 20 Mar 2021 20:39:33 Etc/UTC", NULL, 0, 1616272773000LL},
    {"Sat, 20 Mar 2021 20:39:33 中国标准时间", "UTC", 0, R},
    {"北京时间 2021-03-20 20:39:33", "UTC", 0, R},
    {"北京时间：2021年3月20日20:39:33", "UTC", 0, R},
    {"北京时间 2021-03-20 20:39:33 +0800", "UTC", 0, R},
    {"北京时间 2021-03-20 20:39:33 +0000", "UTC", 0, REJECT},
    {"Sat, 20 Mar 2021 20:39:33 +0800 CST", NULL, 0, R},
    {"Sat, 20 Mar 2021 20:39:33 GMT+8 CST", "UTC", 0, R},
    {"Sat, 20 Mar 2021 20:39:33 GMT+8 (CST)", "UTC", 0, R},
    {"Sat, 20 Mar 2021 20:39:33 CST +0800", NULL, 0, REJECT},
    {"Sat, 20 Mar 2021 20:39:33 +0800 -0500", NULL, 0, REJECT},
    {"Sat, 20 Mar 2021 20:39:33 XYZ", NULL, 0, REJECT},
    {"Sat, 20 Mar 2021 20:39:33 J", NULL, 0, REJECT},
    {"Sat, 20 Mar 2021 20:39:33 +2500", NULL, 0, REJECT},
    {"Sat, 20 Mar 2021 20:39:33 +08:60", NULL, 0, REJECT},
    {"Sat, 20 Mar 2021 20:39:33 +800", NULL, 0, REJECT},
    {"Sat, 20 Mar 2021 20:39:33 Etc/GMT+8", NULL, 0, REJECT},
};

static const struct date_case iso_cases[] = {
    {"2021-03-20T20:39:33+08:00", NULL, 0, R},
    {"2021-03-20T12:39:33Z", NULL, 0, R},
    {"2021-03-20t12:39:33z", NULL, 0, R},
    /* 2021-03-20T12:39:33Z +123ms */
    {"2021-03-20T12:39:33.123Z", NULL, 0, 1616243973123LL},
    /* 2021-03-20T12:39:33Z +500ms */
    {"2021-03-20T20:39:33.5+08:00", NULL, 0, 1616243973500LL},
    /* 2021-03-20T12:39:33Z +123ms */
    {"2021-03-20T12:39:33.123456789Z", NULL, 0, 1616243973123LL},
    /* 2021-03-20T12:39:33Z +250ms */
    {"2021-03-20T20:39:33,25+0800", NULL, 0, 1616243973250LL},
    /* 2021-03-20T12:39:00Z */
    {"2021-03-20T20:39+08:00", NULL, 0, 1616243940000LL},
    /* 2021-03-21T01:39:33Z */
    {"2021-03-20T20:39:33-05:00", NULL, 0, 1616290773000LL},
    {"2021-03-20T20:39:33", NULL, 0, R},
    {"2021-03-20T20:39:33", "Asia/Shanghai", 0, R},
    /* 2021-03-20T20:39:33Z */
    {"2021-03-20T20:39:33", "UTC", 0, 1616272773000LL},
    /* 2021-03-21T00:39:33Z */
    {"2021-03-20T20:39:33", "America/New_York", 0, 1616287173000LL},
    /* 2021-01-15T17:00:00Z */
    {"2021-01-15T12:00:00", "America/New_York", 0, 1610730000000LL},
    /* 2021-07-04T16:00:00Z */
    {"2021-07-04 12:00:00", "America/New_York", 0, 1625414400000LL},
    {"2021-03-20 20:39:33", NULL, 0, R},
    {"2021-03-20 20:39:33 +0800", "UTC", 0, R},
    {"2021-03-20 20:39:33 CST", "UTC", 1, R},
    /* 2021-03-21T02:39:33Z */
    {"2021-03-20 20:39:33 CST", "UTC", 0, 1616294373000LL},
    {"2021-03-20 20:39:33 (CST)", "UTC", 1, R},
    /* 2021-03-20T20:39:33Z */
    {"2021-03-20 20:39:33Z", NULL, 0, 1616272773000LL},
    /* 2021-03-20T20:39:33Z */
    {"20210320T203933Z", NULL, 0, 1616272773000LL},
    {"20210320T203933+0800", "UTC", 0, R},
    {"20210320T203933", NULL, 0, R},
    /* 2021-03-20T20:39:00Z */
    {"20210320T2039Z", NULL, 0, 1616272740000LL},
    /* 2021-03-20T20:39:33Z */
    {"20210320T20:39:33Z", NULL, 0, 1616272773000LL},
    /* 2021-03-19T16:00:00Z */
    {"20210320", NULL, 0, 1616169600000LL},
    {"20210320203933", NULL, 0, R},
    /* 2021-03-19T16:00:00Z */
    {"2021-03-20", NULL, 0, 1616169600000LL},
    /* 2021-03-20T00:00:00Z */
    {"2021-03-20", "UTC", 0, 1616198400000LL},
    /* 2021-03-20T04:00:00Z */
    {"2021-03-20", "America/New_York", 0, 1616212800000LL},
    /* 2020-02-29T00:00:00Z */
    {"2020-02-29T00:00:00Z", NULL, 0, 1582934400000LL},
    /* 2000-02-29T00:00:00Z */
    {"2000-02-29T00:00:00Z", NULL, 0, 951782400000LL},
    /* 2017-01-01T00:00:00Z */
    {"2016-12-31T23:59:60Z", NULL, 0, 1483228800000LL},
};

static const struct date_case asctime_cases[] = {
    {"Sat Mar 20 20:39:33 +0800 2021", NULL, 0, R},
    {"Sat Mar 20 20:39:33 +0800 2021", "UTC", 0, R},
    {"Sat Mar 20 20:39:33 2021", NULL, 0, R},
    /* 2021-03-20T20:39:33Z */
    {"Sat Mar 20 20:39:33 2021", "UTC", 0, 1616272773000LL},
    /* 2021-03-21T00:39:33Z */
    {"Sat Mar 20 20:39:33 2021", "America/New_York", 0, 1616287173000LL},
    /* 2021-03-06T20:39:33Z */
    {"Sat Mar  6 20:39:33 2021", "UTC", 0, 1615063173000LL},
    {"Sat Mar 20 20:39:33 CST 2021", "UTC", 1, R},
    /* 2021-03-21T02:39:33Z */
    {"Sat Mar 20 20:39:33 CST 2021", "UTC", 0, 1616294373000LL},
    /* 2021-03-20T20:39:33Z */
    {"Mar 20 20:39:33 2021", "UTC", 0, 1616272773000LL},
    {"Sat Mar 20 2021 20:39:33 GMT+0800 (中国标准时间)", "UTC", 0, R},
    {"Sat Mar 20 2021 20:39:33 GMT+0800 (China Standard Time)", "UTC", 0, R},
    /* 2021-03-21T00:39:33Z */
    {"Sat Mar 20 2021 20:39:33 GMT-0400 (Eastern Daylight Time)", "UTC", 0,
     1616287173000LL},
    {"Sat Mar 20 20:39:33 +0800", NULL, 0, REJECT},
    {"Sat Mar 20 20:39:33 +0800 21", NULL, 0, REJECT},
};

static const struct date_case chinese_cases[] = {
    /* 2021-03-20T12:39:00Z */
    {"2021-03-20 20:39", NULL, 0, 1616243940000LL},
    /* 2021-03-21T00:39:33Z */
    {"2021-03-20 20:39:33", "America/New_York", 0, 1616287173000LL},
    {"2021/3/20 20:39:33", NULL, 0, R},
    /* 2021-03-20T00:39:00Z */
    {"2021/3/20 8:39", NULL, 0, 1616200740000LL},
    /* 2021-03-19T16:00:00Z */
    {"2021/03/20", NULL, 0, 1616169600000LL},
    /* 2021-03-19T16:00:00Z */
    {"2021.3.20", NULL, 0, 1616169600000LL},
    /* 2021-03-20T12:39:00Z */
    {"2021.03.20 20:39", NULL, 0, 1616243940000LL},
    {"2021年3月20日 20:39:33", NULL, 0, R},
    /* 2021-03-20T12:39:00Z */
    {"2021年3月20日 20:39", NULL, 0, 1616243940000LL},
    /* 2021-03-20T12:39:00Z */
    {"2021年3月20日20:39", NULL, 0, 1616243940000LL},
    /* 2021-03-19T16:00:00Z */
    {"2021年3月20日", NULL, 0, 1616169600000LL},
    /* 2021-03-20T00:00:00Z */
    {"2021年3月20日", "UTC", 0, 1616198400000LL},
    {"2021年03月20日 20:39:33", NULL, 0, R},
    /* 2021-03-20T12:39:00Z */
    {"2021年3月20日20时39分", NULL, 0, 1616243940000LL},
    {"2021年3月20日20时39分33秒", NULL, 0, R},
    {"2021年3月20日 20时39分33秒", NULL, 0, R},
    /* 2021-03-20T12:39:00Z */
    {"2021年3月20日 20時39分", NULL, 0, 1616243940000LL},
    /* 2021-03-20T12:39:00Z */
    {"2021年3月20日 20点39分", NULL, 0, 1616243940000LL},
    /* 2021-03-20T12:00:00Z */
    {"2021年3月20日20时", NULL, 0, 1616241600000LL},
    /* 2021-03-20T12:39:00Z */
    {"2021年3月20号 20:39", NULL, 0, 1616243940000LL},
    {"2021年3月20日 星期六 20:39:33", NULL, 0, R},
    /* 2021-03-19T16:00:00Z */
    {"2021年3月20日 周六", NULL, 0, 1616169600000LL},
    /* 2021-03-20T12:39:00Z */
    {"2021年3月20日 下午8:39", NULL, 0, 1616243940000LL},
    /* 2021-03-20T00:39:00Z */
    {"2021年3月20日 上午8:39", NULL, 0, 1616200740000LL},
    {"２０２１年３月２０日\u3000２０：３９：３３", NULL, 0, R},
    /* 2021-03-20T12:39:00Z */
    {"２０２１－０３－２０\u3000２０：３９", NULL, 0, 1616243940000LL},
    {"2021年3月20日 20:39:33 (北京时间)", "UTC", 0, R},
    {"2021年3月20日 20:39:33（北京时间）", "UTC", 0, R},
    {"2021-03-20 20:39:33 北京时间", "UTC", 0, R},
    /* 2021-03-21T00:39:00Z */
    {"2021年3月20日 20:39", "America/New_York", 0, 1616287140000LL},
    {"2021年3月20日 20:39:33 +0800", "UTC", 0, R},
    /* 2021-03-20T12:39:00Z */
    {"2021年03月20日（星期六） 20:39", NULL, 0, 1616243940000LL},
    {"2021-03-20 (周六) 20:39:33", NULL, 0, R},
    /* 2021-03-19T16:00:00Z */
    {"2021-03-20(周六)", NULL, 0, 1616169600000LL},
    {"2021/3/20 下午8:39:33", NULL, 0, R},
    {"2021年3月", NULL, 0, REJECT},
    {"2021年3月20日20时39", NULL, 0, REJECT},
    {"2021-03/20", NULL, 0, REJECT},
    {"2021/03-20", NULL, 0, REJECT},
};

static const struct date_case epoch_cases[] = {
    {"1616243973", NULL, 0, R},
    {"1616243973", "America/New_York", 1, R},
    /* 2021-03-20T12:39:33Z +123ms */
    {"1616243973123", NULL, 0, 1616243973123LL},
    {" 1616243973 ", NULL, 0, R},
    /* 1970-01-01T00:00:00Z */
    {"0000000000", NULL, 0, 0LL},
    /* 2100-12-31T23:59:59Z */
    {"4133980799", NULL, 0, 4133980799000LL},
    /* 2100-12-31T23:59:59Z +999ms */
    {"4133980799999", NULL, 0, 4133980799999LL},
    {"4133980800", NULL, 0, REJECT},
    {"4133980800000", NULL, 0, REJECT},
    {"161624397", NULL, 0, REJECT},
    {"16162439731", NULL, 0, REJECT},
    {"161624397312", NULL, 0, REJECT},
    {"16162439731234", NULL, 0, REJECT},
    {"1616243973.5", NULL, 0, REJECT},
    {"-1616243973", NULL, 0, REJECT},
};

static const struct date_case dst_cases[] = {
    /* 2021-03-14T07:30:00Z */
    {"2021-03-14 02:30:00", "America/New_York", 0, 1615707000000LL},
    /* 2021-03-14T06:59:59Z */
    {"2021-03-14 01:59:59", "America/New_York", 0, 1615705199000LL},
    /* 2021-03-14T07:00:00Z */
    {"2021-03-14 03:00:00", "America/New_York", 0, 1615705200000LL},
    /* 2021-11-07T05:30:00Z */
    {"2021-11-07 01:30:00", "America/New_York", 0, 1636263000000LL},
    /* 2021-11-07T07:00:00Z */
    {"2021-11-07 02:00:00", "America/New_York", 0, 1636268400000LL},
    /* 2099-07-01T16:00:00Z */
    {"2099-07-01 12:00:00", "America/New_York", 0, 4086604800000LL},
    /* 2021-07-01T11:00:00Z */
    {"2021-07-01 12:00:00", "Europe/London", 0, 1625137200000LL},
    /* 2021-01-01T12:00:00Z */
    {"2021-01-01 12:00:00", "Europe/London", 0, 1609502400000LL},
    /* 2021-07-01T02:00:00Z */
    {"2021-07-01 12:00:00", "Australia/Sydney", 0, 1625104800000LL},
    /* 2021-01-01T01:00:00Z */
    {"2021-01-01 12:00:00", "Australia/Sydney", 0, 1609462800000LL},
    /* 2021-03-20T15:09:33Z */
    {"2021-03-20 20:39:33", "Asia/Kolkata", 0, 1616252973000LL},
    /* 1988-07-01T03:00:00Z */
    {"1988-07-01 12:00:00", NULL, 0, 583729200000LL},
    /* 1988-07-01T03:00:00Z */
    {"1988-07-01 12:00:00", "Asia/Shanghai", 0, 583729200000LL},
    /* 1988-07-01T03:00:00Z */
    {"1988-07-01 12:00:00", "PRC", 0, 583729200000LL},
    /* 1988-07-01T03:00:00Z */
    {"1988-07-01 12:00:00", "Asia/Chongqing", 0, 583729200000LL},
    /* 1988-12-01T04:00:00Z */
    {"1988-12-01 12:00:00", "Asia/Chongqing", 0, 596952000000LL},
    /* 1986-05-03T18:30:00Z */
    {"1986-05-04 02:30:00", NULL, 0, 515529000000LL},
    /* 1986-05-03T18:30:00Z */
    {"1986-05-04 02:30:00", "Asia/Chongqing", 0, 515529000000LL},
    /* 1991-09-14T16:30:00Z */
    {"1991-09-15 01:30:00", NULL, 0, 684865800000LL},
    /* 1991-09-14T16:30:00Z */
    {"1991-09-15 01:30:00", "Asia/Chongqing", 0, 684865800000LL},
    /* 1970-01-01T00:00:00Z */
    {"1970-01-01 08:00:00", NULL, 0, 0LL},
    /* 2021-03-20T20:39:33Z */
    {"2021-03-20 20:39:33", "Not/A_Zone", 0, 1616272773000LL},
    /* 2021-03-20T20:39:33Z */
    {"2021-03-20 20:39:33", "../../etc/passwd", 0, 1616272773000LL},
    /* 2021-03-20T20:39:33Z */
    {"2021-03-20 20:39:33", "", 0, 1616272773000LL},
};

static const struct date_case reject_cases[] = {
    {"", NULL, 0, REJECT},
    {" ", NULL, 0, REJECT},
    {"\t\n", NULL, 0, REJECT},
    {"garbage", NULL, 0, REJECT},
    {"now", NULL, 0, REJECT},
    {"Sat", NULL, 0, REJECT},
    {"Mar 2021", NULL, 0, REJECT},
    {"2021", NULL, 0, REJECT},
    {"2021-13-01", NULL, 0, REJECT},
    {"2021-00-10", NULL, 0, REJECT},
    {"2021-03-32", NULL, 0, REJECT},
    {"2021-03-00", NULL, 0, REJECT},
    {"2021-02-30", NULL, 0, REJECT},
    {"2021-02-29", NULL, 0, REJECT},
    {"2100-02-29", NULL, 0, REJECT},
    {"2021-04-31", NULL, 0, REJECT},
    {"2021-03-20 25:00:00", NULL, 0, REJECT},
    {"2021-03-20 24:00:00", NULL, 0, REJECT},
    {"2021-03-20 20:60:00", NULL, 0, REJECT},
    {"2021-03-20 20:39:61", NULL, 0, REJECT},
    {"2021-03-20 20:3:33", NULL, 0, REJECT},
    {"2021-03-20 20:39:3", NULL, 0, REJECT},
    {"2021-03-20 123:39", NULL, 0, REJECT},
    {"2021-03-20 20:39:33 +0800 garbage", NULL, 0, REJECT},
    {"2021-03-20 20:39:33 (unclosed", NULL, 0, REJECT},
    {"2021-03-20T", NULL, 0, REJECT},
    {"2021-03-20T20", NULL, 0, REJECT},
    {"Sat, 32 Mar 2021 20:39:33 +0800", NULL, 0, REJECT},
    {"Sat, 20 Foo 2021 20:39:33 +0800", NULL, 0, REJECT},
    {"Sat, 20 Mar 202 20:39:33 +0800", NULL, 0, REJECT},
    {"Sat, 20 Mar 20211 20:39:33 +0800", NULL, 0, REJECT},
    {"Sat, 20 Mar 2021 20:39:33 +0800 +0800 2021", NULL, 0, REJECT},
    {"1969-12-31 23:59:59", NULL, 0, REJECT},
    {"1969-12-31T23:59:59Z", NULL, 0, REJECT},
    {"1900-01-01", NULL, 0, REJECT},
    {"1970-01-01T00:00:00+08:00", NULL, 0, REJECT},
    {"2101-01-01", NULL, 0, REJECT},
    {"2101-01-01T00:00:00Z", NULL, 0, REJECT},
    {"9999-12-31T23:59:59Z", NULL, 0, REJECT},
    {"2021-03-20T20:39:33+08:00:00", NULL, 0, REJECT},
    {"2021-3-20x", NULL, 0, REJECT},
    {"20210320T1", NULL, 0, REJECT},
    {"20210320X", NULL, 0, REJECT},
    {"2021年13月1日", NULL, 0, REJECT},
    {"2021年2月30日", NULL, 0, REJECT},
    {"2021年3月20日 25时", NULL, 0, REJECT},
    {"2021年3月20日 20时60分", NULL, 0, REJECT},
    {"年月日", NULL, 0, REJECT},
    {"03/20/2021", NULL, 0, REJECT},
    {"20/03/2021", NULL, 0, REJECT},
    {"20.03.2021", NULL, 0, REJECT},
    {"昨天 20:39", NULL, 0, REJECT},
    {"3小时前", NULL, 0, REJECT},
    {"刚刚", NULL, 0, REJECT},
    {"2021-03-20 (周六", NULL, 0, REJECT},
};

static const struct date_case feedparser_cases[] = {
    /* 2004-01-01T19:48:21Z */
    {"Thu, 01 Jan 2004 19:48:21 GMT", "UTC", 0, 1072986501000LL},
    /* 2002-09-07T00:00:01Z */
    {"Sat, 07 Sep 2002 00:00:01 GMT", "UTC", 0, 1031356801000LL},
    /* 2023-04-03T01:02:03Z */
    {"Mon, 03 Apr 2023 01:02:03 GMT", "UTC", 0, 1680483723000LL},
    /* 2003-12-31T10:14:55Z */
    {"2003-12-31T10:14:55Z", "UTC", 0, 1072865695000LL},
    /* 2002-10-13T08:00:00Z */
    {"2002-10-13T09:00+01:00", "UTC", 0, 1034496000000LL},
    /* 2002-10-17T16:00:00Z */
    {"2002-10-17T17:00+01:00", "UTC", 0, 1034870400000LL},
    /* 2004-04-07T04:05:43Z */
    {"2004-04-06T23:05:43-05:00", "UTC", 0, 1081310743000LL},
    /* 2004-01-01T19:48:21Z */
    {"Thu, 01 Jan 04 19:48:21 GMT", "UTC", 0, 1072986501000LL},
    /* 2012-04-05T10:00:00Z */
    {"Thu,  5 Apr 2012 10:00:00 GMT", "UTC", 0, 1333620000000LL},
    /* 2009-08-19T18:28:00Z */
    {"Wed, 19 Aug 2009 18:28:00 Etc/GMT", "UTC", 0, 1250706480000LL},
    /* 2012-02-19T23:41:00Z */
    {"Wed, 19 Feb 2012 22:40:00 GMT-01:01", "UTC", 0, 1329694860000LL},
    /* 2012-02-19T23:41:00Z */
    {"Wed, 19 Feb 2012 22:40:00 -01:01", "UTC", 0, 1329694860000LL},
    /* 2012-02-13T06:28:00Z */
    {"Mon, 13 Feb, 2012 06:28:00 UTC", "UTC", 0, 1329114480000LL},
    /* 2004-01-01T00:00:00Z */
    {"Thu, 01 Jan 2004 00:00 GMT", "UTC", 0, 1072915200000LL},
    /* 2004-01-01T00:00:00Z */
    {"Thu, 01 Jan 2004", "UTC", 0, 1072915200000LL},
    /* 2015-04-30T07:57:00Z */
    {"Thu, 30 Apr 2015 08:57:00 MET", "UTC", 0, 1430380620000LL},
    /* 2015-04-30T06:57:00Z */
    {"Thu, 30 Apr 2015 08:57:00 MEST", "UTC", 0, 1430377020000LL},
    /* 2004-01-26T20:31:00Z */
    {"Mon, 26 January 2004 16:31:00 AT", "UTC", 0, 1075149060000LL},
    /* 2004-01-26T21:31:00Z */
    {"Mon, 26 January 2004 16:31:00 ET", "UTC", 0, 1075152660000LL},
    /* 2004-01-26T22:31:00Z */
    {"Mon, 26 January 2004 16:31:00 CT", "UTC", 0, 1075156260000LL},
    /* 2004-01-26T23:31:00Z */
    {"Mon, 26 January 2004 16:31:00 MT", "UTC", 0, 1075159860000LL},
    /* 2004-01-27T00:31:00Z */
    {"Mon, 26 January 2004 16:31:00 PT", "UTC", 0, 1075163460000LL},
    /* 2012-08-30T15:26:16Z */
    {"Thu Aug 30 2012 17:26:16 +0200", "UTC", 0, 1346340376000LL},
    /* 2004-01-04T16:29:06Z */
    {"Sun Jan  4 16:29:06 2004", "UTC", 0, 1073233746000LL},
    /* 2012-07-15T01:16:00Z */
    {"Sun Jul 15 01:16:00 +0000 2012", "UTC", 0, 1342314960000LL},
    /* 2003-12-31T18:14:55Z */
    {"2003-12-31T10:14:55-08:00", "UTC", 0, 1072894495000LL},
    /* 2003-12-31T10:14:55Z */
    {"2003-12-31T18:14:55+08:00", "UTC", 0, 1072865695000LL},
    /* 2007-04-23T13:25:47Z +538ms */
    {"2007-04-23T23:25:47.538+10:00", "UTC", 0, 1177334747538LL},
    /* 2003-12-31T10:14:55Z +123ms */
    {"2003-12-31T10:14:55.1234Z", "UTC", 0, 1072865695123LL},
    /* 2003-12-31T00:00:00Z */
    {"2003-12-31", "UTC", 0, 1072828800000LL},
    /* 2004-02-29T02:14:55Z */
    {"2004-02-28T18:14:55-08:00", "UTC", 0, 1078020895000LL},
    /* 2003-03-01T02:14:55Z */
    {"2003-02-28T18:14:55-08:00", "UTC", 0, 1046484895000LL},
    /* 2000-02-29T02:14:55Z */
    {"2000-02-28T18:14:55-08:00", "UTC", 0, 951790495000LL},
    /* 2004-07-09T00:16:58Z */
    {"2004-07-08 23:56:58 -00:20", "UTC", 0, 1089332218000LL},
    /* 2004-07-08T23:56:58Z */
    {"2004-07-08 23:56:58", "UTC", 0, 1089331018000LL},
    /* 2004-07-08T23:56:58Z */
    {"2004-07-08 23:56:58.0", "UTC", 0, 1089331018000LL},
    /* 2006-09-15T12:19:53Z */
    {"Fri, 2006/09/15 08:19:53 EDT", "UTC", 0, 1158322793000LL},
    {"Sun, 31 Dec 9999 23:59:59 -9999", "UTC", 0, REJECT},
    {"Sun, 16 Dec 2012 1:2:3:4 GMT", "UTC", 0, REJECT},
    {"Sun, 16 zzz 2012 11:47:32 GMT", "UTC", 0, REJECT},
    {"Sun, Dec x 2012 11:47:32 GMT", "UTC", 0, REJECT},
    {"Sun, 16 Dec zz 11:47:32 GMT", "UTC", 0, REJECT},
    {"Sun, 16 Dec 2012 11:47:32 +zz:00", "UTC", 0, REJECT},
    {"Sun, 16 Dec 2012 11:47:32 +00:zz", "UTC", 0, REJECT},
    {"Sun, 99 Jun 2009 12:00:00 GMT", "UTC", 0, REJECT},
    {"9999-12-31T23:59:59-99:99", "UTC", 0, REJECT},
    {"2003-12-31T25:14:55Z", "UTC", 0, REJECT},
    {"2003-12-31T10:61:55Z", "UTC", 0, REJECT},
    {"2003-12-31T10:14:61Z", "UTC", 0, REJECT},
    {"22013", "UTC", 0, REJECT},
    {"013", "UTC", 0, REJECT},
    {"2013-01-27-01", "UTC", 0, REJECT},
    {"2013-01-28T11:30:00-06:00Textra", "UTC", 0, REJECT},
    {"2013-xx-27", "UTC", 0, REJECT},
    {"2013-01-28T09:xx:00Z", "UTC", 0, REJECT},
    {"2013-01-28T09:00:00+00:xx", "UTC", 0, REJECT},
    {"2003-12", "UTC", 0, REJECT},
    {"2003", "UTC", 0, REJECT},
    {"03-12-31", "UTC", 0, REJECT},
    {"2003-012-31T10:14:55+00:00", "UTC", 0, REJECT},
    {"Thu, 01 Jan 0100 00:00:01 +0100", "UTC", 0, REJECT},
};

static const struct date_case cache_cases[] = {
    /* 2021-01-15T11:00:00Z */
    {"2021-01-15 12:00:00", "Europe/Paris", 0, 1610708400000LL},
    /* 2021-07-15T10:00:00Z */
    {"2021-07-15 12:00:00", "Europe/Paris", 0, 1626343200000LL},
    /* 2021-01-15T11:00:00Z */
    {"2021-01-15 12:00:00", "Europe/Berlin", 0, 1610708400000LL},
    /* 2021-07-15T10:00:00Z */
    {"2021-07-15 12:00:00", "Europe/Berlin", 0, 1626343200000LL},
    /* 2021-01-15T09:00:00Z */
    {"2021-01-15 12:00:00", "Europe/Moscow", 0, 1610701200000LL},
    /* 2021-07-15T09:00:00Z */
    {"2021-07-15 12:00:00", "Europe/Moscow", 0, 1626339600000LL},
    /* 2021-01-15T03:00:00Z */
    {"2021-01-15 12:00:00", "Asia/Tokyo", 0, 1610679600000LL},
    /* 2021-07-15T03:00:00Z */
    {"2021-07-15 12:00:00", "Asia/Tokyo", 0, 1626318000000LL},
    /* 2021-01-15T03:00:00Z */
    {"2021-01-15 12:00:00", "Asia/Seoul", 0, 1610679600000LL},
    /* 2021-07-15T03:00:00Z */
    {"2021-07-15 12:00:00", "Asia/Seoul", 0, 1626318000000LL},
    /* 2021-01-15T04:00:00Z */
    {"2021-01-15 12:00:00", "Asia/Singapore", 0, 1610683200000LL},
    /* 2021-07-15T04:00:00Z */
    {"2021-07-15 12:00:00", "Asia/Singapore", 0, 1626321600000LL},
    /* 2021-01-15T04:00:00Z */
    {"2021-01-15 12:00:00", "Asia/Hong_Kong", 0, 1610683200000LL},
    /* 2021-07-15T04:00:00Z */
    {"2021-07-15 12:00:00", "Asia/Hong_Kong", 0, 1626321600000LL},
    /* 2021-01-15T04:00:00Z */
    {"2021-01-15 12:00:00", "Asia/Taipei", 0, 1610683200000LL},
    /* 2021-07-15T04:00:00Z */
    {"2021-07-15 12:00:00", "Asia/Taipei", 0, 1626321600000LL},
    /* 2021-01-15T06:00:00Z */
    {"2021-01-15 12:00:00", "Asia/Urumqi", 0, 1610690400000LL},
    /* 2021-07-15T06:00:00Z */
    {"2021-07-15 12:00:00", "Asia/Urumqi", 0, 1626328800000LL},
    /* 2021-01-15T08:00:00Z */
    {"2021-01-15 12:00:00", "Asia/Dubai", 0, 1610697600000LL},
    /* 2021-07-15T08:00:00Z */
    {"2021-07-15 12:00:00", "Asia/Dubai", 0, 1626336000000LL},
    /* 2021-01-15T10:00:00Z */
    {"2021-01-15 12:00:00", "Africa/Cairo", 0, 1610704800000LL},
    /* 2021-07-15T10:00:00Z */
    {"2021-07-15 12:00:00", "Africa/Cairo", 0, 1626343200000LL},
    /* 2021-01-15T11:00:00Z */
    {"2021-01-15 12:00:00", "Africa/Casablanca", 0, 1610708400000LL},
    /* 2021-07-15T11:00:00Z */
    {"2021-07-15 12:00:00", "Africa/Casablanca", 0, 1626346800000LL},
    /* 2021-01-15T20:00:00Z */
    {"2021-01-15 12:00:00", "America/Los_Angeles", 0, 1610740800000LL},
    /* 2021-07-15T19:00:00Z */
    {"2021-07-15 12:00:00", "America/Los_Angeles", 0, 1626375600000LL},
    /* 2021-01-15T19:00:00Z */
    {"2021-01-15 12:00:00", "America/Denver", 0, 1610737200000LL},
    /* 2021-07-15T18:00:00Z */
    {"2021-07-15 12:00:00", "America/Denver", 0, 1626372000000LL},
    /* 2021-01-15T15:00:00Z */
    {"2021-01-15 12:00:00", "America/Sao_Paulo", 0, 1610722800000LL},
    /* 2021-07-15T15:00:00Z */
    {"2021-07-15 12:00:00", "America/Sao_Paulo", 0, 1626361200000LL},
    /* 2021-01-15T15:00:00Z */
    {"2021-01-15 12:00:00", "America/Santiago", 0, 1610722800000LL},
    /* 2021-07-15T16:00:00Z */
    {"2021-07-15 12:00:00", "America/Santiago", 0, 1626364800000LL},
    /* 2021-01-14T23:00:00Z */
    {"2021-01-15 12:00:00", "Pacific/Auckland", 0, 1610665200000LL},
    /* 2021-07-15T00:00:00Z */
    {"2021-07-15 12:00:00", "Pacific/Auckland", 0, 1626307200000LL},
    /* 2021-01-14T22:15:00Z */
    {"2021-01-15 12:00:00", "Pacific/Chatham", 0, 1610662500000LL},
    /* 2021-07-14T23:15:00Z */
    {"2021-07-15 12:00:00", "Pacific/Chatham", 0, 1626304500000LL},
    /* 2021-01-15T01:00:00Z */
    {"2021-01-15 12:00:00", "Australia/Lord_Howe", 0, 1610672400000LL},
    /* 2021-07-15T01:30:00Z */
    {"2021-07-15 12:00:00", "Australia/Lord_Howe", 0, 1626312600000LL},
    /* 2021-01-15T06:15:00Z */
    {"2021-01-15 12:00:00", "Asia/Kathmandu", 0, 1610691300000LL},
    /* 2021-07-15T06:15:00Z */
    {"2021-07-15 12:00:00", "Asia/Kathmandu", 0, 1626329700000LL},
};

/* Run a table; report every row that fails, then fail once. */
static void
run_cases(const struct date_case *c, size_t n)
{
	struct date_opts opts;
	size_t i, bad = 0;
	int64_t ms;
	int rc, ok;

	for (i = 0; i < n; i++) {
		opts.zone = c[i].zone;
		opts.chinese = c[i].chinese;
		ms = UNTOUCHED;
		rc = date_parse(c[i].in, &opts, &ms);
		if (c[i].ms == REJECT)
			ok = rc == -1 && ms == UNTOUCHED;
		else
			ok = rc == 0 && ms == c[i].ms;
		if (!ok) {
			print_error("'%s' zone=%s chinese=%d: rc=%d ms=%lld, "
			            "want %lld\n",
			            c[i].in, c[i].zone ? c[i].zone : "(null)",
			            c[i].chinese, rc, (long long)ms,
			            (long long)c[i].ms);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

static int
setup(void **state)
{
	(void)state;
	unsetenv("TZDIR");
	return 0;
}

static void
test_rfc822(void **state)
{
	(void)state;
	run_cases(rfc822_cases, NELEM(rfc822_cases));
}

static void
test_zones(void **state)
{
	(void)state;
	run_cases(zones_cases, NELEM(zones_cases));
}

static void
test_iso8601(void **state)
{
	(void)state;
	run_cases(iso_cases, NELEM(iso_cases));
}

static void
test_asctime(void **state)
{
	(void)state;
	run_cases(asctime_cases, NELEM(asctime_cases));
}

static void
test_chinese(void **state)
{
	(void)state;
	run_cases(chinese_cases, NELEM(chinese_cases));
}

static void
test_epoch(void **state)
{
	(void)state;
	run_cases(epoch_cases, NELEM(epoch_cases));
}

static void
test_feed_zone(void **state)
{
	(void)state;
	run_cases(dst_cases, NELEM(dst_cases));
}

static void
test_reject(void **state)
{
	(void)state;
	run_cases(reject_cases, NELEM(reject_cases));
}

static void
test_feedparser(void **state)
{
	(void)state;
	run_cases(feedparser_cases, NELEM(feedparser_cases));
}

/* More zones than the cache holds, twice round: evicted zones reload. */
static void
test_zone_cache(void **state)
{
	(void)state;
	run_cases(cache_cases, NELEM(cache_cases));
	run_cases(cache_cases, NELEM(cache_cases));
	run_cases(dst_cases, NELEM(dst_cases));
}

/* Loading a zone puts TZ back as it was, set or unset. */
static void
test_tz_restored(void **state)
{
	struct date_opts opts = {"America/Chicago", 0};
	struct tm tm;
	time_t t = 1626343200; /* 2021-07-15T10:00:00Z */
	int64_t ms;
	const char *tz;

	(void)state;
	assert_int_equal(setenv("TZ", ":Europe/Paris", 1), 0);
	tzset();
	assert_int_equal(date_parse("2021-07-15 12:00:00", &opts, &ms), 0);
	assert_int_equal(ms, 1626368400000LL); /* 2021-07-15T17:00:00Z */
	tz = getenv("TZ");
	assert_non_null(tz);
	assert_string_equal(tz, ":Europe/Paris");
	assert_non_null(localtime_r(&t, &tm));
	assert_int_equal(tm.tm_gmtoff, 7200);

	unsetenv("TZ");
	tzset();
	opts.zone = "America/Anchorage";
	assert_int_equal(date_parse("2021-01-15 12:00:00", &opts, &ms), 0);
	assert_int_equal(ms, 1610744400000LL); /* 2021-01-15T21:00:00Z */
	assert_null(getenv("TZ"));
}

/* NULL arguments, NULL opts (Asia/Shanghai, CST is US), overlong input. */
static void
test_args(void **state)
{
	char buf[2100];
	int64_t ms = UNTOUCHED;

	(void)state;
	assert_int_equal(date_parse(NULL, NULL, &ms), -1);
	assert_int_equal(date_parse("2021-03-20", NULL, NULL), -1);
	assert_int_equal(ms, UNTOUCHED);
	assert_int_equal(date_parse("2021-03-20 20:39:33", NULL, &ms), 0);
	assert_int_equal(ms, 1616243973000LL);
	assert_int_equal(date_parse("Sat, 20 Mar 2021 20:39:33 CST", NULL, &ms),
	                 0);
	assert_int_equal(ms, 1616294373000LL); /* 2021-03-21T02:39:33Z */

	/* white space around a date is cheap to skip, up to a point */
	memset(buf, ' ', 500);
	snprintf(buf + 500, sizeof(buf) - 500, "%s", "2021-03-20 20:39:33");
	assert_int_equal(date_parse(buf, NULL, &ms), 0);
	assert_int_equal(ms, 1616243973000LL);
	memset(buf, ' ', 2000);
	snprintf(buf + 2000, sizeof(buf) - 2000, "%s", "2021-03-20");
	ms = UNTOUCHED;
	assert_int_equal(date_parse(buf, NULL, &ms), -1);
	memset(buf, 'x', 300);
	buf[300] = '\0';
	assert_int_equal(date_parse(buf, NULL, &ms), -1);
	/* a run of digits longer than any field */
	memset(buf, '9', 300);
	assert_int_equal(date_parse(buf, NULL, &ms), -1);
	snprintf(buf, sizeof(buf), "2021-03-20T20:39:33.%0200d", 1);
	assert_int_equal(date_parse(buf, NULL, &ms), 0);
	assert_int_equal(ms, 1616243973000LL);
	assert_int_equal(date_parse("2021-03-20T20:39:33 (北京时间", NULL, &ms),
	                 -1);
	assert_int_equal(ms, 1616243973000LL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_rfc822, setup),
	    cmocka_unit_test_setup(test_zones, setup),
	    cmocka_unit_test_setup(test_iso8601, setup),
	    cmocka_unit_test_setup(test_asctime, setup),
	    cmocka_unit_test_setup(test_chinese, setup),
	    cmocka_unit_test_setup(test_epoch, setup),
	    cmocka_unit_test_setup(test_feed_zone, setup),
	    cmocka_unit_test_setup(test_reject, setup),
	    cmocka_unit_test_setup(test_feedparser, setup),
	    cmocka_unit_test_setup(test_zone_cache, setup),
	    cmocka_unit_test_setup(test_tz_restored, setup),
	    cmocka_unit_test_setup(test_args, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
