/*
 * test_render.c: render.c -- every placeholder, the Chinese spans of
 * {time_left} and {overdue} at their boundaries, local dates across day,
 * month and year ends at +08:00, the default templates for a real-looking
 * incident, SMS shortening, truncation at UTF-8 boundaries, brace escapes
 * and bad placeholders.
 *
 * Epoch values were computed independently with Python's datetime at
 * UTC+8, not with this code.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "alerts/alerts.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

#define MIN  INT64_C(60000)
#define HOUR (60 * MIN)
#define DAY  (24 * HOUR)

#define T_1127_1240 INT64_C(1732682400000) /* 2024-11-27 12:40 +08:00 */
#define T_1127_0905 INT64_C(1732669500000) /* 2024-11-27 09:05 +08:00 */
#define ACK_LINK    "https://yq.example.gov.cn/ack/AbC123"
#define LINK        "https://yq.example.gov.cn/i/1024"

/* The mine explosion: the 5-hour release is due at 12:40, 1 h 20 min
 * from now, and the 2-hour warning is going out. */
static struct render_vars
mine(void)
{
	struct render_vars v;

	memset(&v, 0, sizeof(v));
	v.title = "九龙岗镇一煤矿发生瓦斯爆炸";
	v.class = "major";
	v.grade = "重大";
	v.category = "事故灾难";
	v.milestone = "release";
	v.stage = "warn-2h";
	v.due = T_1127_1240;
	v.now = T_1127_1240 - 80 * MIN;
	v.since = T_1127_0905;
	v.utc_offset_min = 480;
	v.departments = "区应急管理局,区委宣传部,九龙岗镇人民政府";
	v.link = LINK;
	v.ack_link = ACK_LINK;
	v.incident = 1024;
	v.source = "淮南日报";
	v.feed = "huainan-gov";
	v.items = 7;
	v.summary = "11月27日9时许，九龙岗镇一煤矿井下发生瓦斯爆炸。";
	v.error = "HTTP 503";
	return v;
}

static void
check_text(const char *tmpl, const struct render_vars *v, const char *want)
{
	char out[2048];
	int n;

	n = render_text(tmpl, v, out, sizeof(out));
	if (n < 0 || strcmp(out, want) != 0)
		print_error("template '%s'\n got  '%s' (%d)\n want '%s'\n",
		            tmpl, out, n, want);
	assert_int_equal(n, (int)strlen(want));
	assert_string_equal(out, want);
}

/* n copies of s into buf. */
static char *
repeat(char *buf, size_t size, const char *s, size_t n)
{
	size_t i, len = strlen(s);

	assert_true(n * len < size);
	for (i = 0; i < n; i++)
		memcpy(buf + i * len, s, len);
	buf[n * len] = '\0';
	return buf;
}

/* Placeholders ---------------------------------------------------------- */

static void
test_placeholders(void **state)
{
	static const struct {
		const char *tmpl, *want;
	} cases[] = {
	    {"{title}", "九龙岗镇一煤矿发生瓦斯爆炸"},
	    {"{class}", "重大"},
	    {"{grade}", "重大"},
	    {"{category}", "事故灾难"},
	    {"{milestone}", "5小时权威发布"},
	    {"{stage}", "预警（剩2小时）"},
	    {"{due}", "11月27日 12:40"},
	    {"{time_left}", "剩余1小时20分"},
	    {"{overdue}", ""},
	    {"{departments}", "区应急管理局、区委宣传部、九龙岗镇人民政府"},
	    {"{link}", LINK},
	    {"{ack_link}", ACK_LINK},
	    {"{incident}", "1024"},
	    {"{source}", "淮南日报"},
	    {"{items}", "7"},
	    {"{summary}", "11月27日9时许，九龙岗镇一煤矿井下发生瓦斯爆炸。"},
	    {"{feed}", "huainan-gov"},
	    {"{error}", "HTTP 503"},
	    {"{since}", "11月27日 09:05"},
	    {"", ""},
	    {"plain text, no braces", "plain text, no braces"},
	    {"{title}{title}",
	     "九龙岗镇一煤矿发生瓦斯爆炸九龙岗镇一煤矿发生瓦斯爆炸"},
	    {"#{incident}: {items} 条", "#1024: 7 条"},
	};
	struct render_vars v = mine();
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(cases); i++)
		check_text(cases[i].tmpl, &v, cases[i].want);
}

static void
test_keys(void **state)
{
	static const struct {
		const char *class, *milestone, *stage;
		const char *want;
	} cases[] = {
	    {"major", "release", "warn-2h",
	     "重大|5小时权威发布|预警（剩2小时）"},
	    {"ordinary", "presser", "warn-30m",
	     "一般|24小时新闻发布会|预警（剩30分钟）"},
	    {"major", "response", "warn-1d", "重大|48小时回应|预警（剩1天）"},
	    {"major", "release", "warn-1h30m",
	     "重大|5小时权威发布|预警（剩1小时30分）"},
	    {"major", "release", "warn-1d30m",
	     "重大|5小时权威发布|预警（剩1天30分）"},
	    {"major", "release", "warn-24h",
	     "重大|5小时权威发布|预警（剩1天）"},
	    {"major", "release", "warn-90s", "重大|5小时权威发布|预警"},
	    {"major", "release", "warn-", "重大|5小时权威发布|预警"},
	    {"major", "release", "breach", "重大|5小时权威发布|已超时"},
	    {"major", "release", "overdue-1",
	     "重大|5小时权威发布|第1次超时提醒"},
	    {"major", "release", "overdue-3",
	     "重大|5小时权威发布|第3次超时提醒"},
	    {"ordinary", "response", "unacked-2", "一般|48小时回应|待确认"},
	    {"major", "release", "overdue-12",
	     "重大|5小时权威发布|第12次超时提醒"},
	    /* Keys not known are shown as they are. */
	    {"overdue-0", "met", "overdue-0", "overdue-0|met|overdue-0"},
	    {"x", "y", "overdue-3x", "x|y|overdue-3x"},
	    {"", "", "", "||"},
	};
	struct render_vars v = mine();
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		v.class = cases[i].class;
		v.milestone = cases[i].milestone;
		v.stage = cases[i].stage;
		check_text("{class}|{milestone}|{stage}", &v, cases[i].want);
	}
}

static void
test_departments(void **state)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
	    {"区应急管理局", "区应急管理局"},
	    {"a,b", "a、b"},
	    {" a , ,b ,", "a、b"},
	    {",,,", ""},
	    {"", ""},
	    {"宣传部,\t网信办 ", "宣传部、网信办"},
	};
	struct render_vars v = mine();
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		v.departments = cases[i].in;
		check_text("{departments}", &v, cases[i].want);
	}
}

static void
test_numbers(void **state)
{
	struct render_vars v = mine();

	(void)state;
	v.incident = UINT64_MAX;
	v.items = 0;
	check_text("{incident} {items}", &v, "18446744073709551615 0");
	v.incident = 1;
	v.items = INT64_MAX;
	check_text("{incident} {items}", &v, "1 9223372036854775807");
}

/* NULL strings, due 0, since 0, incident 0 and items < 0 render "". */
static void
test_null_fields(void **state)
{
	static const char tmpl[] =
	    "[{title}|{class}|{grade}|{category}|{milestone}|{stage}|{due}|"
	    "{time_left}|{overdue}|{departments}|{link}|{ack_link}|{incident}|"
	    "{source}|{items}|{summary}|{feed}|{error}|{since}]";
	struct render_vars v;

	(void)state;
	memset(&v, 0, sizeof(v));
	v.items = -1;
	v.now = T_1127_1240;
	v.utc_offset_min = 480;
	check_text(tmpl, &v, "[||||||||||||||||||]");
	/* A zeroed struct: only items (a count) shows. */
	memset(&v, 0, sizeof(v));
	check_text(tmpl, &v, "[||||||||||||||0||||]");
}

/* Times ------------------------------------------------------------------ */

/* {time_left} and {overdue} for due - now = delta. */
static void
test_spans(void **state)
{
	static const struct {
		int64_t delta;
		const char *left, *overdue;
	} cases[] = {
	    {1, "剩余不足1分钟", ""},
	    {59 * 1000, "剩余不足1分钟", ""},
	    {59 * 1000 + 999, "剩余不足1分钟", ""},
	    {60 * 1000, "剩余1分钟", ""},
	    {61 * 1000, "剩余1分钟", ""},
	    {2 * MIN - 1, "剩余1分钟", ""},
	    {45 * MIN, "剩余45分钟", ""},
	    {59 * MIN, "剩余59分钟", ""},
	    {HOUR - 1, "剩余59分钟", ""},
	    {HOUR, "剩余1小时", ""},
	    {HOUR + 59 * 1000, "剩余1小时", ""},
	    {HOUR + MIN, "剩余1小时1分", ""},
	    {HOUR + 20 * MIN, "剩余1小时20分", ""},
	    {23 * HOUR + 59 * MIN, "剩余23小时59分", ""},
	    {DAY - 1, "剩余23小时59分", ""},
	    {DAY, "剩余1天", ""},
	    {DAY + 59 * MIN, "剩余1天", ""},
	    {DAY + HOUR, "剩余1天1小时", ""},
	    {2 * DAY + 3 * HOUR, "剩余2天3小时", ""},
	    {2 * DAY + 3 * HOUR + 45 * MIN, "剩余2天3小时", ""},
	    {0, "", ""}, /* the breach: no span */
	    {-1, "", ""},
	    {-59 * 1000, "", ""},
	    {-60 * 1000, "", "1分钟"},
	    {-59 * MIN, "", "59分钟"},
	    {-HOUR, "", "1小时"},
	    {-(HOUR + MIN), "", "1小时1分"},
	    {-(HOUR + 20 * MIN), "", "1小时20分"},
	    {-(23 * HOUR + 59 * MIN), "", "23小时59分"},
	    {-DAY, "", "1天"},
	    {-(2 * DAY + 3 * HOUR), "", "2天3小时"},
	};
	struct render_vars v = mine();
	char want[128];
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		v.now = v.due - cases[i].delta;
		snprintf(want, sizeof(want), "<%s><%s>", cases[i].left,
		         cases[i].overdue);
		check_text("<{time_left}><{overdue}>", &v, want);
	}
	/* No due: nothing to count. */
	v.due = 0;
	check_text("<{due}><{time_left}><{overdue}>", &v, "<><><>");
}

static void
test_dates(void **state)
{
	static const struct {
		int64_t t;
		int offset;
		const char *want;
	} cases[] = {
	    {T_1127_1240, 480, "11月27日 12:40"},
	    {T_1127_0905, 480, "11月27日 09:05"},
	    /* Local midnight is 16:00 UTC the day before. */
	    {INT64_C(1732636800000), 480, "11月27日 00:00"},
	    {INT64_C(1732636740000), 480, "11月26日 23:59"},
	    {INT64_C(1732636800000), 0, "11月26日 16:00"},
	    {INT64_C(1732636800000), -300, "11月26日 11:00"},
	    /* Month and year ends. */
	    {INT64_C(1732981800000), 480, "11月30日 23:50"},
	    {INT64_C(1732982400000), 480, "12月1日 00:00"},
	    {INT64_C(1735660740000), 480, "12月31日 23:59"},
	    {INT64_C(1735661400000), 480, "1月1日 00:10"},
	    {INT64_C(1709220600000), 480, "2月29日 23:30"},
	    {INT64_C(1709222400000), 480, "3月1日 00:00"},
	    {INT64_C(1740758340000), 480, "2月28日 23:59"},
	    /* Seconds are cut, not rounded. */
	    {T_1127_1240 + 59999, 480, "11月27日 12:40"},
	    /* Before the epoch, in case. */
	    {-1000, 0, "12月31日 23:59"},
	};
	struct render_vars v = mine();
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		v.due = cases[i].t;
		v.since = cases[i].t;
		v.utc_offset_min = cases[i].offset;
		check_text("{due}", &v, cases[i].want);
		check_text("{since}", &v, cases[i].want);
	}
}

/* The default templates -------------------------------------------------- */

/* The template line as yuqing.conf.example writes it must be there. */
static void
check_example(const char *key, const char *tmpl)
{
	const char *dir = getenv("YQ_SOURCE_DIR");
	char path[4096], line[1024], *body;
	size_t n;
	FILE *f;

	if (dir == NULL)
		return;
	snprintf(path, sizeof(path), "%s/config/yuqing.conf.example", dir);
	f = fopen(path, "r");
	assert_non_null(f);
	body = malloc(1 << 20);
	assert_non_null(body);
	n = fread(body, 1, (1 << 20) - 1, f);
	body[n] = '\0';
	fclose(f);
	snprintf(line, sizeof(line), "  %s = \"%s\";\n", key, tmpl);
	if (strstr(body, line) == NULL)
		print_error("not in %s: %s", path, line);
	assert_non_null(strstr(body, line));
	free(body);
}

static void
test_defaults(void **state)
{
	struct config *c =
	    config_new_default("/nonexistent/yuqing.conf", NULL, 0);
	struct render_vars v = mine();

	(void)state;
	assert_non_null(c);
	check_example("subject", c->templates.subject);
	check_example("sms", c->templates.sms);
	check_example("breach_sms", c->templates.breach_sms);
	check_example("source_down", c->templates.source_down);

	check_text(c->templates.subject, &v,
	           "【舆情预警（剩2小时）】九龙岗镇一煤矿发生瓦斯爆炸");
	check_text(c->templates.text, &v,
	           "舆情事件：九龙岗镇一煤矿发生瓦斯爆炸\n"
	           "级别：重大（重大）\n"
	           "节点：5小时权威发布\n"
	           "截止：11月27日 12:40\n"
	           "状态：预警（剩2小时）\n"
	           "责任单位：区应急管理局、区委宣传部、九龙岗镇人民政府\n"
	           "链接：" LINK "\n"
	           "确认：" ACK_LINK);
	check_text(
	    c->templates.sms, &v,
	    "【舆情提醒】九龙岗镇一煤矿发生瓦斯爆炸：5小时权威发布剩余1小时"
	    "20分，截止11月27日 12:40。确认：" ACK_LINK);

	v.stage = "breach";
	v.now = v.due;
	check_text(c->templates.subject, &v,
	           "【舆情已超时】九龙岗镇一煤矿发生瓦斯爆炸");
	check_text(c->templates.breach_sms, &v,
	           "【舆情超时】九龙岗镇一煤矿发生瓦斯爆炸：5小时权威发布已超时"
	           "，请立即处置。确认：" ACK_LINK);

	v.stage = "overdue-2";
	v.now = v.due + 60 * MIN;
	check_text(c->templates.subject, &v,
	           "【舆情第2次超时提醒】九龙岗镇一煤矿发生瓦斯爆炸");
	check_text(c->templates.breach_sms, &v,
	           "【舆情超时】九龙岗镇一煤矿发生瓦斯爆炸：5小时权威发布已超时"
	           "1小时，请立即处置。确认：" ACK_LINK);

	check_text(
	    c->templates.source_down, &v,
	    "【信息源中断】huainan-gov 自11月27日 09:05起无法读取：HTTP 503");
	config_free(c);
}

/* Escapes, errors, truncation ------------------------------------------- */

static void
test_escapes(void **state)
{
	static const struct {
		const char *tmpl, *want;
	} cases[] = {
	    {"{{title}}", "{title}"},
	    {"{{{title}}}", "{九龙岗镇一煤矿发生瓦斯爆炸}"},
	    {"{{", "{"},
	    {"}}", "}"},
	    {"a}b", "a}b"},
	    {"}}}", "}}"},
	    {"{{}}", "{}"},
	    {"JSON: {{\"id\": {incident}}}", "JSON: {\"id\": 1024}"},
	};
	struct render_vars v = mine();
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(cases); i++)
		check_text(cases[i].tmpl, &v, cases[i].want);
}

static void
test_bad_placeholders(void **state)
{
	static const char *const cases[] = {
	    "{nope}",   "x {Title} y", "{title",     "{",
	    "{}",       "{ti{tle}",    "{title }",   "ok {title} {due_at}",
	    "{{{bad}}", "{time-left}", "{titlexxx}", "{tit}",
	};
	struct render_vars v = mine();
	char out[256];
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		memcpy(out, "junk", 5);
		assert_int_equal(render_text(cases[i], &v, out, sizeof(out)),
		                 -1);
		assert_string_equal(out, "");
		memcpy(out, "junk", 5);
		assert_int_equal(
		    render_sms(cases[i], &v, 134, out, sizeof(out)), -1);
		assert_string_equal(out, "");
	}
	assert_int_equal(render_text(NULL, &v, out, sizeof(out)), -1);
	assert_int_equal(render_text("{title}", NULL, out, sizeof(out)), -1);
	assert_int_equal(render_text("{title}", &v, NULL, 10), -1);
	assert_int_equal(render_text("{title}", &v, out, 0), -1);
	assert_int_equal(render_sms("{title}", &v, 0, out, sizeof(out)), -1);
}

/* A small outsz cuts at a character boundary, never inside one. */
static void
test_truncate(void **state)
{
	static const struct {
		size_t outsz;
		const char *want;
	} cases[] = {
	    {1, ""},         {2, ""},         {3, ""},
	    {4, "九"},       {6, "九"},       {7, "九龙"},
	    {8, "九龙"},     {10, "九龙岗"},  {11, "九龙岗x"},
	    {12, "九龙岗x"}, {13, "九龙岗x"}, {14, "九龙岗x镇"},
	};
	struct render_vars v = mine();
	char out[64];
	size_t i;
	int n;

	(void)state;
	v.title = "九龙岗x镇";
	for (i = 0; i < NELEM(cases); i++) {
		memset(out, 'Z', sizeof(out));
		n = render_text("{title}", &v, out, cases[i].outsz);
		assert_int_equal(n, (int)strlen(cases[i].want));
		assert_string_equal(out, cases[i].want);
		assert_int_equal(out[cases[i].outsz], 'Z'); /* stayed inside */
	}
	/* A cut in literal template text, after a placeholder. */
	n = render_text("{title}：已超时", &v, out, 20);
	assert_string_equal(out, "九龙岗x镇：已");
	assert_int_equal(n, 19);
}

/* SMS -------------------------------------------------------------------- */

static void
test_sms_fits(void **state)
{
	struct config *c =
	    config_new_default("/nonexistent/yuqing.conf", NULL, 0);
	struct render_vars v = mine();
	char out[1024], full[1024];
	int n;

	(void)state;
	assert_non_null(c);
	/* Short enough: as render_text. */
	n = render_sms(c->templates.sms, &v, 134, out, sizeof(out));
	assert_int_equal(render_text(c->templates.sms, &v, full, sizeof(full)),
	                 n);
	assert_string_equal(out, full);
	assert_int_equal(render_chars(out), 90);
	config_free(c);
}

static void
test_sms_long_title(void **state)
{
	struct config *c =
	    config_new_default("/nonexistent/yuqing.conf", NULL, 0);
	struct render_vars v = mine();
	char title[2048], want[2048], coal[1024], out[2048];
	const char *unit = "九龙岗镇一煤矿发生瓦斯爆炸，"; /* 14 characters */
	size_t i, len;
	int n;

	(void)state;
	assert_non_null(c);
	/* 200 characters of 煤: 56 are kept, with "…" the text is 134. */
	v.title = repeat(title, sizeof(title), "煤", 200);
	assert_int_equal(render_chars(v.title), 200);
	snprintf(want, sizeof(want),
	         "【舆情提醒】%s…：5小时权威发布剩余1小时20分，截止11月27日 "
	         "12:40。确认：" ACK_LINK,
	         repeat(coal, sizeof(coal), "煤", 56));
	n = render_sms(c->templates.sms, &v, 134, out, sizeof(out));
	assert_string_equal(out, want);
	assert_int_equal(n, (int)strlen(want));
	assert_int_equal(render_chars(out), 134);

	/* A mixed 200-character title, and the breach text. */
	len = strlen(unit);
	for (i = 0; i < 14; i++)
		memcpy(title + i * len, unit, len);
	memcpy(title + 14 * len, "瓦斯爆炸", strlen("瓦斯爆炸") + 1);
	assert_int_equal(render_chars(title), 200);
	v.stage = "breach";
	v.now = v.due + 80 * MIN;
	n = render_sms(c->templates.breach_sms, &v, 134, out, sizeof(out));
	assert_true(n > 0);
	assert_int_equal(render_chars(out), 134);
	assert_non_null(strstr(out,
	                       "…：5小时权威发布已超时1小时20分，请立即处置。"
	                       "确认：" ACK_LINK));
	assert_memory_equal(out, "【舆情超时】九龙岗镇一煤矿", 39);

	/* A limit of exactly the full length keeps the title whole. */
	v = mine();
	v.title = repeat(title, sizeof(title), "煤", 10);
	n = render_sms(c->templates.sms, &v, 10 + 78 - 1, out, sizeof(out));
	assert_int_equal(render_chars(out), 87);
	assert_null(strstr(out, "…"));
	n = render_sms(c->templates.sms, &v, 86, out, sizeof(out));
	assert_int_equal(render_chars(out), 86);
	assert_non_null(strstr(out, "煤煤煤煤煤煤煤煤…："));
	config_free(c);
}

/* When even the bare template is too long: cut, with "…". */
static void
test_sms_cut(void **state)
{
	static const struct {
		const char *tmpl, *title;
		size_t max_chars, outsz;
		const char *want;
	} cases[] = {
	    {"【舆情超时】{title}：请立即处置。", "九龙岗", 10, 256,
	     "【舆情超时】：请立…"},
	    /* Without the title it fits; with only "…" it does not. */
	    {"abc{title}def", "xyz", 6, 256, "abcdef"},
	    {"abc{title}def", "xyz", 7, 256, "abc…def"},
	    {"abc{title}def", "xyz", 8, 256, "abcx…def"},
	    {"abc{title}def", "xyz", 9, 256, "abcxyzdef"},
	    {"abc{title}def", NULL, 5, 256, "abcd…"},
	    {"abcdef", "t", 3, 256, "ab…"},
	    {"abcdef", "t", 1, 256, "…"},
	    /* No room for "…" in bytes: a plain cut. */
	    {"abcdef", "t", 3, 3, "ab"},
	    {"abcdef", "t", 3, 4, "…"},
	    {"abcdef", "t", 3, 5, "a…"},
	    /* Bytes, not characters, are short: the title gives way. */
	    {"{title}", "煤煤煤煤煤煤煤煤煤煤", 134, 16, "煤煤煤煤…"},
	    {"{title}", "煤煤煤煤煤煤煤煤煤煤", 134, 31,
	     "煤煤煤煤煤煤煤煤煤煤"},
	    {"{title}", "煤煤煤煤煤煤煤煤煤煤", 134, 30, "煤煤煤煤煤煤煤煤…"},
	    {"{title}", "煤煤煤煤煤煤煤煤煤煤", 134, 3, ""},
	    {"{title}", "煤煤煤煤煤煤煤煤煤煤", 134, 4, "…"},
	    {"{title}", "", 134, 4, ""},
	};
	struct render_vars v = mine();
	char out[256];
	size_t i;
	int n;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		v.title = cases[i].title;
		n = render_sms(cases[i].tmpl, &v, cases[i].max_chars, out,
		               cases[i].outsz);
		if (strcmp(out, cases[i].want) != 0)
			print_error("case %zu: got '%s' want '%s'\n", i, out,
			            cases[i].want);
		assert_string_equal(out, cases[i].want);
		assert_int_equal(n, (int)strlen(cases[i].want));
		assert_true(render_chars(out) <= cases[i].max_chars);
	}
}

static void
test_chars(void **state)
{
	static const struct {
		const char *s;
		size_t n;
	} cases[] = {
	    {"", 0},   {"abc", 3},      {"九龙岗", 3},   {"a…b", 3},
	    {"😀x", 2}, {"\xff\xfe", 2}, {"\xe4\xb9", 2}, /* a cut sequence: its
	                                                    bytes, one each */
	};
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(cases); i++)
		assert_int_equal(render_chars(cases[i].s), cases[i].n);
	assert_int_equal(render_chars(NULL), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_placeholders),
	    cmocka_unit_test(test_keys),
	    cmocka_unit_test(test_departments),
	    cmocka_unit_test(test_numbers),
	    cmocka_unit_test(test_null_fields),
	    cmocka_unit_test(test_spans),
	    cmocka_unit_test(test_dates),
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_escapes),
	    cmocka_unit_test(test_bad_placeholders),
	    cmocka_unit_test(test_truncate),
	    cmocka_unit_test(test_sms_fits),
	    cmocka_unit_test(test_sms_long_title),
	    cmocka_unit_test(test_sms_cut),
	    cmocka_unit_test(test_chars),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
