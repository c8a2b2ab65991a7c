/*
 * test_report.c: report.c -- a hand-built week with known answers (on
 * time, late, an unanswered breach in the denominator, a milestone met
 * before the week but due in it, a dismissed incident left out, incidents
 * carried over, two departments, three sources, the previous week for the
 * trend), nearest-rank percentiles, ISO weeks at local midnight in +08:00
 * across a year end, byte-identical output for shuffled input, HTML
 * escaping, CSV quoting, an empty period, bad input and hostile strings.
 *
 * Epoch values were computed independently with Python's datetime at
 * UTC+8, not with this code; the expected figures by hand.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "alerts/alerts.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

#define MIN  INT64_C(60000)
#define HOUR (60 * MIN)
#define DAY  (24 * HOUR)

#define S         INT64_C(1763913600000) /* 2025-11-24 00:00 +08:00, Monday */
#define NOW       (S + 7 * DAY + HOUR)   /* the Monday after, 01:00 */
#define W53       INT64_C(1798387200000) /* 2026-12-28 00:00 +08:00 */
#define W01_2027  INT64_C(1798992000000) /* 2027-01-04 00:00 +08:00 */
#define W52       INT64_C(1797782400000) /* 2026-12-21 00:00 +08:00 */
#define W01_2026  INT64_C(1766937600000) /* 2025-12-29 00:00 +08:00 */
#define W53_2020  INT64_C(1609084800000) /* 2020-12-28 00:00 +08:00 */
#define T20210103 INT64_C(1609646400000) /* 2021-01-03 12:00 +08:00 */

static struct report_milestone
ms(int64_t start, int64_t hours, int state, int64_t met_at)
{
	struct report_milestone m;

	m.active = 1;
	m.state = state;
	m.start = start;
	m.due = start + hours * HOUR;
	m.met_at = met_at;
	return m;
}

static struct report_incident
inc(uint64_t id, int cls, const char *grade, const char *deps,
    const char *source, int64_t opened, int state)
{
	static char titles[128][32]; /* by id, all below 128 */
	struct report_incident i;

	memset(&i, 0, sizeof(i));
	i.id = id;
	i.cls = cls;
	i.grade = grade;
	i.departments = deps;
	i.source = source;
	i.opened_at = opened;
	i.state = state;
	snprintf(titles[id % 128], sizeof(titles[0]), "事件%llu",
	         (unsigned long long)id);
	i.title = titles[id % 128];
	return i;
}

#define MAJ REPORT_CLASS_MAJOR
#define ORD REPORT_CLASS_ORDINARY
#define R   REPORT_MS_RELEASE
#define P   REPORT_MS_PRESSER
#define A   REPORT_MS_RESPONSE

/* The week 2025-W48 and, before it, W47. */
static size_t
week(struct report_incident *v)
{
	size_t n = 0;

	/* on time release, presser met 6 h late; two departments */
	v[n] = inc(101, MAJ, "重大", "应急局,宣传部", "feed-a", S + DAY,
	           REPORT_INC_CLOSED);
	v[n].ms[R] = ms(S + DAY, 5, REPORT_MS_MET, S + DAY + 3 * HOUR);
	v[n++].ms[P] = ms(S + DAY, 24, REPORT_MS_MET_LATE, S + DAY + 30 * HOUR);
	/* unanswered release: in the denominator; still open */
	v[n] = inc(102, MAJ, "较大", "应急局", "feed-b", S + 2 * DAY,
	           REPORT_INC_OPEN);
	v[n++].ms[R] = ms(S + 2 * DAY, 5, REPORT_MS_BREACHED, 0);
	/* opened last week, answered last week, due this week */
	v[n] = inc(103, ORD, "一般", " 宣传部 ", "feed-a", S - DAY,
	           REPORT_INC_CLOSED);
	v[n++].ms[A] = ms(S - DAY, 48, REPORT_MS_MET, S - 12 * HOUR);
	/* dismissed: nowhere but its count */
	v[n] = inc(104, ORD, "unknown", "宣传部", "feed-a", S + 3 * DAY,
	           REPORT_INC_DISMISSED);
	v[n++].ms[A] = ms(S + 3 * DAY, 48, REPORT_MS_PENDING, 0);
	/* opened Sunday, due next week: counted as opened, carried over */
	v[n] = inc(105, ORD, "一般", "宣传部", "feed-b", S + 6 * DAY,
	           REPORT_INC_ACKED);
	v[n++].ms[A] = ms(S + 6 * DAY, 48, REPORT_MS_PENDING, 0);
	/* both on time; a department listed twice counts once */
	v[n] = inc(106, MAJ, "重大", "应急局,应急局", "feed-a", S + 4 * DAY,
	           REPORT_INC_CLOSED);
	v[n].ms[R] = ms(S + 4 * DAY, 5, REPORT_MS_MET, S + 4 * DAY + 4 * HOUR);
	v[n++].ms[P] =
	    ms(S + 4 * DAY, 24, REPORT_MS_MET, S + 4 * DAY + 10 * HOUR);
	/* release 1 h late, presser unanswered */
	v[n] = inc(107, MAJ, "特别重大", "公安局", "feed-c", S + 5 * DAY,
	           REPORT_INC_ACKED);
	v[n].ms[R] =
	    ms(S + 5 * DAY, 5, REPORT_MS_MET_LATE, S + 5 * DAY + 6 * HOUR);
	v[n++].ms[P] = ms(S + 5 * DAY, 24, REPORT_MS_BREACHED, 0);
	/* a month old and still open: carried over, in no other figure */
	v[n] = inc(80, ORD, "一般", "宣传部", "feed-a", S - 30 * DAY,
	           REPORT_INC_OPEN);
	v[n++].ms[A] = ms(S - 30 * DAY, 48, REPORT_MS_BREACHED, 0);
	/* the previous week */
	v[n] = inc(90, MAJ, "重大", "应急局", "feed-a", S - 5 * DAY,
	           REPORT_INC_CLOSED);
	v[n].ms[R] = ms(S - 5 * DAY, 5, REPORT_MS_MET, S - 5 * DAY + 2 * HOUR);
	v[n++].ms[P] =
	    ms(S - 5 * DAY, 24, REPORT_MS_MET, S - 5 * DAY + 20 * HOUR);
	v[n] = inc(91, ORD, "一般", "宣传部", "feed-a", S - 4 * DAY,
	           REPORT_INC_CLOSED);
	v[n++].ms[A] =
	    ms(S - 4 * DAY, 48, REPORT_MS_MET_LATE, S - 2 * DAY + 2 * HOUR);
	return n;
}

static const struct report_delivery deliveries[] = {
    {"sms", REPORT_DLV_SENT, S + DAY},
    {"sms", REPORT_DLV_SENT, S + DAY + 1},
    {"sms", REPORT_DLV_SENT, S + 2 * DAY},
    {"sms", REPORT_DLV_FAILED, S + 2 * DAY},
    {"wecom", REPORT_DLV_GIVEN_UP, S + 3 * DAY},
    {"wecom", REPORT_DLV_SENT, S + 3 * DAY},
    {"wecom", REPORT_DLV_SENT, S + 4 * DAY},
    {"email", REPORT_DLV_RETRY, S + 5 * DAY},
    {"email", REPORT_DLV_SENT, S + 5 * DAY},
    {"sms", REPORT_DLV_SENT, S + 7 * DAY}, /* the end: next week */
    {"sms", REPORT_DLV_FAILED, S - DAY},
    {"sms", REPORT_DLV_GIVEN_UP, S - 2 * DAY},
    {"wecom", REPORT_DLV_SUPERSEDED, S - 2 * DAY},
};

struct fixture {
	struct report_incident inc[32];
	size_t ninc;
	struct report_delivery dlv[NELEM(deliveries)];
	struct report_input in;
	struct report r;
};

static struct fixture *
fixture_new(void)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	fx->ninc = week(fx->inc);
	memcpy(fx->dlv, deliveries, sizeof(deliveries));
	assert_int_equal(report_iso_week(S + 3 * DAY, 480, &fx->in.period), 0);
	report_previous(&fx->in.period, &fx->in.previous);
	fx->in.now = NOW;
	fx->in.utc_offset_min = 480;
	fx->in.incidents = fx->inc;
	fx->in.nincidents = fx->ninc;
	fx->in.deliveries = fx->dlv;
	fx->in.ndeliveries = NELEM(deliveries);
	return fx;
}

static void
fixture_free(struct fixture *fx)
{
	report_free(&fx->r);
	free(fx);
}

static void
check_rate(const struct report_rate *rt, size_t counted, size_t on_time,
           size_t late, size_t unanswered, size_t not_due, int permille)
{
	assert_int_equal(rt->counted, counted);
	assert_int_equal(rt->on_time, on_time);
	assert_int_equal(rt->met_late, late);
	assert_int_equal(rt->unanswered, unanswered);
	assert_int_equal(rt->not_due, not_due);
	assert_int_equal(rt->permille, permille);
}

static void
test_week_figures(void **state)
{
	struct fixture *fx = fixture_new();
	struct report *r = &fx->r;
	static const char *const grades[] = {"特别重大", "重大", "较大",
	                                     "一般"};
	static const size_t major[] = {1, 2, 1, 0}, ordinary[] = {0, 0, 0, 1};
	size_t i;

	(void)state;
	assert_int_equal(report_compute(&fx->in, r), 0);
	assert_int_equal(r->period.start, S);
	assert_int_equal(r->period.end, S + 7 * DAY);
	assert_int_equal(r->previous.start, S - 7 * DAY);
	assert_int_equal(r->iso_year, 2025);
	assert_int_equal(r->iso_week, 48);

	assert_int_equal(r->opened, 5);
	assert_int_equal(r->dismissed, 1);
	assert_int_equal(r->prev_opened, 3);
	assert_int_equal(r->by_class[MAJ], 4);
	assert_int_equal(r->by_class[ORD], 1);
	assert_int_equal(r->ngrades, 4);
	for (i = 0; i < NELEM(grades); i++) {
		assert_string_equal(r->grades[i].grade, grades[i]);
		assert_int_equal(r->grades[i].n[MAJ], major[i]);
		assert_int_equal(r->grades[i].n[ORD], ordinary[i]);
	}

	check_rate(&r->ms[R].rate, 4, 2, 1, 1, 0, 500);
	check_rate(&r->ms[P].rate, 3, 1, 1, 1, 0, 333);
	check_rate(&r->ms[A].rate, 1, 1, 0, 0, 0, 1000);
	check_rate(&r->total, 8, 4, 2, 2, 0, 500);
	check_rate(&r->class_rate[MAJ], 7, 3, 2, 2, 0, 429);
	check_rate(&r->class_rate[ORD], 1, 1, 0, 0, 0, 1000);
	check_rate(&r->ms[R].prev, 1, 1, 0, 0, 0, 1000);
	check_rate(&r->ms[P].prev, 1, 1, 0, 0, 0, 1000);
	check_rate(&r->ms[A].prev, 1, 0, 1, 0, 0, 0);
	check_rate(&r->prev_total, 3, 2, 1, 0, 0, 667);

	/* release 3 h, 4 h, 6 h; presser 10 h, 30 h; response 12 h */
	assert_int_equal(r->ms[R].times.n, 3);
	assert_int_equal(r->ms[R].times.median, 4 * HOUR);
	assert_int_equal(r->ms[R].times.p90, 6 * HOUR);
	assert_int_equal(r->ms[R].times.worst, 6 * HOUR);
	assert_int_equal(r->ms[P].times.n, 2);
	assert_int_equal(r->ms[P].times.median, 10 * HOUR);
	assert_int_equal(r->ms[P].times.p90, 30 * HOUR);
	assert_int_equal(r->ms[P].times.worst, 30 * HOUR);
	assert_int_equal(r->ms[A].times.median, 12 * HOUR);

	assert_int_equal(r->nbreaches, 4);
	assert_int_equal(r->breaches[0].inc->id, 101);
	assert_int_equal(r->breaches[0].milestone, P);
	assert_int_equal(r->breaches[0].late, 6 * HOUR);
	assert_int_equal(r->breaches[1].inc->id, 102);
	assert_int_equal(r->breaches[1].met_at, 0);
	assert_int_equal(r->breaches[1].late, 4 * DAY + 20 * HOUR);
	assert_string_equal(r->breaches[1].inc->departments, "应急局");
	assert_int_equal(r->breaches[2].inc->id, 107);
	assert_int_equal(r->breaches[2].milestone, R);
	assert_int_equal(r->breaches[2].late, HOUR);
	assert_int_equal(r->breaches[3].inc->id, 107);
	assert_int_equal(r->breaches[3].milestone, P);
	assert_int_equal(r->breaches[3].late, DAY + HOUR);

	assert_int_equal(r->nopen, 4);
	assert_int_equal(r->open[0].inc->id, 80);
	assert_int_equal(r->open[0].overdue, 1u << A);
	assert_int_equal(r->open[1].inc->id, 102);
	assert_int_equal(r->open[1].overdue, 1u << R);
	assert_int_equal(r->open[2].inc->id, 107);
	assert_int_equal(r->open[2].overdue, 1u << P);
	assert_int_equal(r->open[2].next_due, 0);
	assert_int_equal(r->open[3].inc->id, 105);
	assert_int_equal(r->open[3].overdue, 0);
	assert_int_equal(r->open[3].next_due, S + 8 * DAY);

	/* byte order: 公 U+516C < 宣 U+5BA3 < 应 U+5E94 */
	assert_int_equal(r->ndepartments, 3);
	assert_string_equal(r->departments[0].name, "公安局");
	assert_int_equal(r->departments[0].opened, 1);
	check_rate(&r->departments[0].rate, 2, 0, 1, 1, 0, 0);
	assert_string_equal(r->departments[1].name, "宣传部");
	assert_int_equal(r->departments[1].opened, 2);
	check_rate(&r->departments[1].rate, 3, 2, 1, 0, 0, 667);
	assert_string_equal(r->departments[2].name, "应急局");
	assert_int_equal(r->departments[2].opened, 3);
	check_rate(&r->departments[2].rate, 5, 3, 1, 1, 0, 600);

	assert_int_equal(r->nsources, 3);
	assert_string_equal(r->sources[0].name, "feed-a");
	assert_int_equal(r->sources[0].opened, 2);
	check_rate(&r->sources[0].rate, 5, 4, 1, 0, 0, 800);
	assert_string_equal(r->sources[1].name, "feed-b");
	assert_int_equal(r->sources[1].opened, 2);
	check_rate(&r->sources[1].rate, 1, 0, 0, 1, 0, 0);
	assert_string_equal(r->sources[2].name, "feed-c");
	check_rate(&r->sources[2].rate, 2, 0, 1, 1, 0, 0);

	assert_int_equal(r->nchannels, 3);
	assert_string_equal(r->channels[0].name, "email");
	assert_int_equal(r->channels[0].attempts, 2);
	assert_int_equal(r->channels[0].n[REPORT_DLV_RETRY], 1);
	assert_int_equal(r->channels[0].failures, 0);
	assert_string_equal(r->channels[1].name, "sms");
	assert_int_equal(r->channels[1].attempts, 4);
	assert_int_equal(r->channels[1].n[REPORT_DLV_SENT], 3);
	assert_int_equal(r->channels[1].failures, 1);
	assert_int_equal(r->channels[1].prev_failures, 2);
	assert_string_equal(r->channels[2].name, "wecom");
	assert_int_equal(r->channels[2].failures, 1);
	assert_int_equal(r->channels[2].prev_failures, 0);
	fixture_free(fx);
}

/* Nearest rank over 1..n minutes: median at ceil(n/2), p90 at
 * ceil(0.9 n). */
static void
test_percentiles(void **state)
{
	static const struct {
		size_t n;
		int64_t median, p90;
	} cases[] = {
	    {1, 1, 1},  {2, 1, 2},   {3, 2, 3},    {4, 2, 4},
	    {10, 5, 9}, {11, 6, 10}, {20, 10, 18}, {21, 11, 19},
	};
	struct report_incident v[21];
	struct report_input in;
	struct report r;
	size_t c, i;

	(void)state;
	for (c = 0; c < NELEM(cases); c++) {
		memset(&in, 0, sizeof(in));
		memset(v, 0, sizeof(v));
		in.period.start = S;
		in.period.end = S + 7 * DAY;
		in.now = NOW;
		in.utc_offset_min = 480;
		in.incidents = v;
		in.nincidents = cases[c].n;
		/* shuffled: minute (i * 13 mod n) + 1 */
		for (i = 0; i < cases[c].n; i++) {
			v[i].id = i + 1;
			v[i].cls = MAJ;
			v[i].opened_at = S + HOUR;
			v[i].state = REPORT_INC_CLOSED;
			v[i].ms[R] =
			    ms(S + HOUR, 5, REPORT_MS_MET,
			       S + HOUR +
			           (int64_t)((i * 13) % cases[c].n + 1) * MIN);
		}
		assert_int_equal(report_compute(&in, &r), 0);
		assert_int_equal(r.ms[R].times.n, cases[c].n);
		assert_int_equal(r.ms[R].times.median, cases[c].median * MIN);
		assert_int_equal(r.ms[R].times.p90, cases[c].p90 * MIN);
		assert_int_equal(r.ms[R].times.worst,
		                 (int64_t)cases[c].n * MIN);
		report_free(&r);
	}
}

static void
test_iso_week(void **state)
{
	static const struct {
		int64_t at;
		int off;
		int64_t start;
		int year, week;
	} cases[] = {
	    {W53, 480, W53, 2026, 53},
	    {W53 + 3 * DAY + 5 * HOUR, 480, W53, 2026, 53},
	    {W01_2027 - 1, 480, W53, 2026, 53}, /* Sunday 23:59:59.999 */
	    {W01_2027, 480, W01_2027, 2027, 1},
	    {W53 - 1, 480, W52, 2026, 52},
	    /* Sunday 16:00 UTC is Monday 00:00 in Shanghai */
	    {W53, 0, W52 + 8 * HOUR, 2026, 52},
	    {W01_2026 + 2 * DAY, 480, W01_2026, 2026, 1},
	    {T20210103, 480, W53_2020, 2020, 53},
	    {W53 + 8 * HOUR + 5 * HOUR, -300, W53 + 8 * HOUR + 5 * HOUR, 2026,
	     53},
	};
	struct report_period p, prev;
	size_t i;
	int y, w;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		assert_int_equal(report_iso_week(cases[i].at, cases[i].off, &p),
		                 0);
		if (p.start != cases[i].start)
			print_error("case %zu: start %lld, want %lld\n", i,
			            (long long)p.start,
			            (long long)cases[i].start);
		assert_int_equal(p.start, cases[i].start);
		assert_int_equal(p.end, cases[i].start + 7 * DAY);
		assert_int_equal(
		    report_iso_week_number(cases[i].at, cases[i].off, &y, &w),
		    0);
		assert_int_equal(y, cases[i].year);
		assert_int_equal(w, cases[i].week);
	}
	report_previous(&(struct report_period){W01_2027, W01_2027 + 7 * DAY},
	                &prev);
	assert_int_equal(prev.start, W53);
	assert_int_equal(prev.end, W01_2027);
	assert_int_equal(report_iso_week(-1, 480, &p), -1);
	assert_int_equal(report_iso_week(W53, 1440, &p), -1);
}

static char *
render(const struct report *r, int (*write)(FILE *, const struct report *))
{
	FILE *f = tmpfile();
	char *buf;
	long n;

	assert_non_null(f);
	assert_int_equal(write(f, r), 0);
	n = ftell(f);
	assert_true(n > 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static int (*const writers[])(FILE *, const struct report *) = {
    report_write_text, report_write_csv, report_write_json, report_write_html};

/* Shuffled records, reruns: the same bytes in every format. */
static void
test_shuffle_identical(void **state)
{
	struct fixture *fx = fixture_new();
	char *want[NELEM(writers)], *got;
	struct report_incident ti;
	struct report_delivery td;
	uint32_t seed = 12345;
	size_t round, i, j, w;

	(void)state;
	assert_int_equal(report_compute(&fx->in, &fx->r), 0);
	for (w = 0; w < NELEM(writers); w++)
		want[w] = render(&fx->r, writers[w]);
	report_free(&fx->r);
	for (round = 0; round < 20; round++) {
		for (i = fx->ninc; i > 1; i--) {
			seed = seed * 1103515245u + 12345u;
			j = (seed >> 8) % i;
			ti = fx->inc[i - 1];
			fx->inc[i - 1] = fx->inc[j];
			fx->inc[j] = ti;
		}
		for (i = NELEM(deliveries); i > 1; i--) {
			seed = seed * 1103515245u + 12345u;
			j = (seed >> 8) % i;
			td = fx->dlv[i - 1];
			fx->dlv[i - 1] = fx->dlv[j];
			fx->dlv[j] = td;
		}
		assert_int_equal(report_compute(&fx->in, &fx->r), 0);
		for (w = 0; w < NELEM(writers); w++) {
			got = render(&fx->r, writers[w]);
			assert_string_equal(got, want[w]);
			free(got);
		}
		report_free(&fx->r);
	}
	for (w = 0; w < NELEM(writers); w++)
		free(want[w]);
	fixture_free(fx);
}

static void
test_text(void **state)
{
	static const char *const want[] = {
	    "舆情处置时效统计  2025-W48\n",
	    "统计周期  2025-11-24 00:00 至 2025-12-01 00:00（UTC+08:00）\n",
	    "对比上期  2025-11-17 00:00 至 2025-11-24 00:00\n",
	    "5小时权威发布",
	    "按时率",
	    "超时明细（4）",
	    "结转未结事件（4）",
	    "50.0%",
	    "-16.7",
	    "33.3%",
	    "4天20小时",
	    "1天1小时",
	    "1天6小时",
	    "本期新增 5 起（上期 3 起，+2）；已排除（误报）1 起",
	    "未完成",
	    "公安局",
	    "feed-c",
	    "wecom",
	};
	struct fixture *fx = fixture_new();
	char *text;
	size_t i;

	(void)state;
	assert_int_equal(report_compute(&fx->in, &fx->r), 0);
	text = render(&fx->r, report_write_text);
	for (i = 0; i < NELEM(want); i++) {
		if (strstr(text, want[i]) == NULL)
			print_error("missing '%s' in:\n%s\n", want[i], text);
		assert_non_null(strstr(text, want[i]));
	}
	assert_null(strstr(text, " \n")); /* no trailing blanks */
	free(text);
	fixture_free(fx);
}

/* The mail's and robot's summary, and the period's label: whole. */
static void
test_summary(void **state)
{
	struct fixture *fx = fixture_new();
	char label[128], *text;

	(void)state;
	assert_int_equal(report_compute(&fx->in, &fx->r), 0);
	text = render(&fx->r, report_write_summary);
	assert_string_equal(
	    text, "本期新增 5 起（上期 3 起，+2）；已排除（误报）1 "
	          "起。\n"
	          "按时率 50.0%（应计 8，按时 4，逾期完成 2，逾期未完成 "
	          "2；上期 66.7%）。\n"
	          "超时 4 个节点（其中仍未回应 2 个），最长超时 "
	          "4天20小时。\n"
	          "结转未结事件 4 起。");
	free(text);
	report_label(&fx->r, label, sizeof(label));
	assert_string_equal(label, "2025-W48（2025-11-24 至 2025-11-30）");
	fixture_free(fx);
}

static void
test_json(void **state)
{
	struct fixture *fx = fixture_new();
	json_error_t err;
	json_t *doc, *m, *b;
	char *text;

	(void)state;
	assert_int_equal(report_compute(&fx->in, &fx->r), 0);
	text = render(&fx->r, report_write_json);
	assert_non_null(strstr(text, "\"on_time_rate\": 50.0"));
	assert_non_null(strstr(text, "\"change\": -16.7"));
	doc = json_loads(text, 0, &err);
	assert_non_null(doc);
	assert_string_equal(json_string_value(json_object_get(
	                        json_object_get(doc, "period"), "iso_week")),
	                    "2025-W48");
	m = json_array_get(json_object_get(doc, "milestones"), 0);
	assert_string_equal(json_string_value(json_object_get(m, "milestone")),
	                    "release");
	assert_int_equal(json_integer_value(json_object_get(m, "counted")), 4);
	assert_true(json_real_value(json_object_get(m, "on_time_rate")) ==
	            50.0);
	assert_int_equal(json_integer_value(json_object_get(
	                     json_object_get(m, "time_to_met"), "median_ms")),
	                 4 * HOUR);
	b = json_array_get(json_object_get(doc, "breaches"), 1);
	assert_string_equal(json_string_value(json_object_get(b, "incident")),
	                    "102");
	assert_true(json_is_true(json_object_get(b, "unanswered")));
	assert_true(json_is_null(json_object_get(b, "met_at")));
	assert_int_equal(json_array_size(json_object_get(doc, "carried_over")),
	                 4);
	assert_int_equal(json_integer_value(json_object_get(
	                     json_object_get(doc, "incidents"), "dismissed")),
	                 1);
	json_decref(doc);
	free(text);
	fixture_free(fx);
}

/* A title from a hostile feed, and a department, in a breach. */
static void
test_html_escape(void **state)
{
	struct report_incident v[1];
	struct report_input in;
	struct report r;
	char *html;

	(void)state;
	memset(&in, 0, sizeof(in));
	memset(v, 0, sizeof(v));
	v[0].id = 7;
	v[0].cls = MAJ;
	v[0].grade = "重大\"><img onerror=x>";
	v[0].title = "<script>alert('x')</script>&amp;";
	v[0].departments = "<b>部门</b>";
	v[0].source = "feed\"onload=\"x";
	v[0].opened_at = S + HOUR;
	v[0].state = REPORT_INC_OPEN;
	v[0].ms[R] = ms(S + HOUR, 5, REPORT_MS_BREACHED, 0);
	in.period.start = S;
	in.period.end = S + 7 * DAY;
	in.now = NOW;
	in.utc_offset_min = 480;
	in.incidents = v;
	in.nincidents = 1;
	assert_int_equal(report_compute(&in, &r), 0);
	html = render(&r, report_write_html);
	assert_null(strstr(html, "<script"));
	assert_null(strstr(html, "<b>"));
	assert_null(strstr(html, "<img"));
	assert_null(strstr(html, "src="));
	assert_null(strstr(html, "href="));
	assert_null(strstr(html, "<link"));
	assert_non_null(strstr(html, "&lt;script&gt;alert(&#39;x&#39;)"
	                             "&lt;/script&gt;&amp;amp;"));
	/* the department, in the table and as a chart label */
	assert_non_null(strstr(html, "<td>&lt;b&gt;部门&lt;/b&gt;</td>"));
	assert_non_null(strstr(html, "text-anchor=\"end\">&lt;b&gt;部门"));
	assert_non_null(
	    strstr(html, "<svg xmlns=\"http://www.w3.org/2000/svg\""));
	assert_non_null(strstr(html, "</html>\n"));
	free(html);
	report_free(&r);
}

static void
test_csv_quoting(void **state)
{
	struct report_incident v[1];
	struct report_input in;
	struct report r;
	char *csv;

	(void)state;
	memset(&in, 0, sizeof(in));
	memset(v, 0, sizeof(v));
	v[0].id = 8;
	v[0].cls = ORD;
	v[0].grade = "一般";
	v[0].title = "他说,\"不\"";
	v[0].departments = "宣传部, 网信办";
	v[0].source = "=1+2";
	v[0].opened_at = S + HOUR;
	v[0].state = REPORT_INC_CLOSED;
	v[0].ms[A] = ms(S + HOUR, 48, REPORT_MS_MET_LATE, S + 50 * HOUR);
	in.period.start = S;
	in.period.end = S + 7 * DAY;
	in.previous.start = S - 7 * DAY;
	in.previous.end = S;
	in.now = NOW;
	in.utc_offset_min = 480;
	in.incidents = v;
	in.nincidents = 1;
	assert_int_equal(report_compute(&in, &r), 0);
	csv = render(&r, report_write_csv);
	assert_non_null(
	    strstr(csv, "breaches,8,response,ordinary,一般,2025-11-26 01:00,"
	                "2025-11-26 02:00,60,\"宣传部, 网信办\",'=1+2,"
	                "\"他说,\"\"不\"\"\"\r\n"));
	assert_non_null(strstr(csv, "\r\nsources,'=1+2,1,1,0,1,0,0,0.0\r\n"));
	assert_non_null(
	    strstr(csv, "\r\ndepartments,宣传部,1,1,0,1,0,0,0.0\r\n"));
	assert_non_null(
	    strstr(csv, "\r\ndepartments,网信办,1,1,0,1,0,0,0.0\r\n"));
	/* a figure is not a formula: no quote before the minus */
	assert_non_null(strstr(csv, "\r\nmilestones,response,1,0,1,0,0,0.0,,,"
	                            "2940,2940,2940\r\n"));
	free(csv);
	report_free(&r);
}

/* Nothing happened: every rendering, no division by zero. */
static void
test_empty_period(void **state)
{
	struct report_input in;
	struct report r;
	char *out[NELEM(writers)];
	json_t *doc;
	size_t w;

	(void)state;
	memset(&in, 0, sizeof(in));
	assert_int_equal(report_iso_week(W53, 480, &in.period), 0);
	report_previous(&in.period, &in.previous);
	in.now = W01_2027 + HOUR;
	in.utc_offset_min = 480;
	assert_int_equal(report_compute(&in, &r), 0);
	assert_int_equal(r.iso_year, 2026);
	assert_int_equal(r.iso_week, 53);
	assert_int_equal(r.total.counted, 0);
	assert_int_equal(r.total.permille, -1);
	assert_int_equal(r.ms[R].times.median, -1);
	for (w = 0; w < NELEM(writers); w++)
		out[w] = render(&r, writers[w]);
	assert_non_null(strstr(out[0], "2026-W53"));
	assert_non_null(strstr(out[0], "—"));
	assert_non_null(strstr(out[0], "2026-12-28 00:00 至 2027-01-04 00:00"));
	assert_non_null(strstr(out[1], "milestones,total,0,0,0,0,0,,,,,,\r\n"));
	doc = json_loads(out[2], 0, NULL);
	assert_non_null(doc);
	assert_true(json_is_null(
	    json_object_get(json_object_get(doc, "total"), "on_time_rate")));
	assert_true(json_is_null(
	    json_object_get(json_object_get(doc, "total"), "change")));
	json_decref(doc);
	assert_non_null(strstr(out[3], "本期各部门无超时"));
	for (w = 0; w < NELEM(writers); w++)
		free(out[w]);
	report_free(&r);
}

/* Before the week is over: a deadline not yet reached is outside the
 * denominator, one already passed is in it. */
static void
test_not_yet_due(void **state)
{
	struct report_incident v[3];
	struct report_input in;
	struct report r;

	(void)state;
	memset(&in, 0, sizeof(in));
	memset(v, 0, sizeof(v));
	v[0] = (struct report_incident){.id = 1,
	                                .cls = MAJ,
	                                .opened_at = S + DAY,
	                                .state = REPORT_INC_CLOSED};
	v[0].ms[R] = ms(S + DAY, 5, REPORT_MS_MET, S + DAY + HOUR);
	v[1] = (struct report_incident){.id = 2,
	                                .cls = MAJ,
	                                .opened_at = S + 3 * DAY,
	                                .state = REPORT_INC_OPEN};
	v[1].ms[R] = ms(S + 3 * DAY, 5, REPORT_MS_PENDING, 0);
	v[1].ms[P] = ms(S + 3 * DAY - 20 * HOUR, 24, REPORT_MS_PENDING, 0);
	v[2] = (struct report_incident){.id = 3,
	                                .cls = MAJ,
	                                .opened_at = S + DAY,
	                                .state = REPORT_INC_ACKED};
	v[2].ms[P] = ms(S + DAY, 24, REPORT_MS_PENDING, 0);
	in.period.start = S;
	in.period.end = S + 7 * DAY;
	in.now = S + 3 * DAY + HOUR;
	in.utc_offset_min = 480;
	in.incidents = v;
	in.nincidents = 3;
	assert_int_equal(report_compute(&in, &r), 0);
	check_rate(&r.ms[R].rate, 1, 1, 0, 0, 1, 1000);
	check_rate(&r.ms[P].rate, 1, 0, 0, 1, 1, 0);
	assert_int_equal(r.nbreaches, 1);
	assert_int_equal(r.breaches[0].late, DAY + HOUR);
	assert_int_equal(r.nopen, 2);
	assert_int_equal(r.open[0].inc->id, 3);
	assert_int_equal(r.open[1].inc->id, 2);
	assert_int_equal(r.open[1].next_due, S + 3 * DAY + 4 * HOUR);
	report_free(&r);
}

/* Invalid UTF-8, control characters and a bidi override in a title; an
 * over-long title cut at a character. */
static void
test_hostile_strings(void **state)
{
	struct report_incident v[2];
	struct report_input in;
	struct report r;
	char long_title[3000];
	char *json;
	json_t *doc;
	const char *t;
	size_t i;

	(void)state;
	for (i = 0; i + 3 < sizeof(long_title); i += 3)
		memcpy(long_title + i, "中", 3);
	long_title[i] = '\0';
	memset(&in, 0, sizeof(in));
	memset(v, 0, sizeof(v));
	for (i = 0; i < 2; i++) {
		v[i].id = i + 1;
		v[i].cls = ORD;
		v[i].opened_at = S + HOUR;
		v[i].state = REPORT_INC_OPEN;
	}
	v[0].title = "abc\xff\xfe\xc0\xaf"
	             "def\x01\x1b[31m\xe2\x80\xaex";
	v[1].title = long_title;
	in.period.start = S;
	in.period.end = S + 7 * DAY;
	in.now = NOW;
	in.utc_offset_min = 480;
	in.incidents = v;
	in.nincidents = 2;
	assert_int_equal(report_compute(&in, &r), 0);
	assert_int_equal(r.nopen, 2);
	assert_string_equal(r.open[0].inc->title,
	                    "abc\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf"
	                    "\xbd"
	                    "def  [31m x");
	assert_int_equal(strlen(r.open[1].inc->title), 510);
	assert_string_equal(r.open[1].inc->grade, "unknown");
	json = render(&r, report_write_json);
	doc = json_loads(json, 0, NULL);
	assert_non_null(doc);
	t = json_string_value(json_object_get(
	    json_array_get(json_object_get(doc, "carried_over"), 0), "title"));
	assert_non_null(t);
	assert_string_equal(t, r.open[0].inc->title);
	json_decref(doc);
	free(json);
	free(render(&r, report_write_text));
	free(render(&r, report_write_html));
	free(render(&r, report_write_csv));
	report_free(&r);
}

enum bad_kind {
	BAD_PERIOD,
	BAD_PREVIOUS,
	BAD_TOO_MANY,
	BAD_NULL,
	BAD_CLASS,
	BAD_STATE,
	BAD_MS_STATE,
	BAD_DUE,
	BAD_MET,
	BAD_DUP,
	BAD_OFFSET,
	BAD_DELIVERY,
};

static void
test_bad_input(void **state)
{
	static const struct {
		enum bad_kind kind;
		const char *msg;
	} cases[] = {
	    {BAD_PERIOD, "bad period"},
	    {BAD_PREVIOUS, "bad previous period"},
	    {BAD_TOO_MANY, "too many incidents: 100001"},
	    {BAD_NULL, "no records"},
	    {BAD_CLASS, "incident 101: bad class 5"},
	    {BAD_STATE, "incident 101: bad state 9"},
	    {BAD_MS_STATE, "incident 101 release: bad state 4"},
	    {BAD_DUE, "incident 101 release: bad times"},
	    {BAD_MET, "incident 101 release: met without a time"},
	    {BAD_DUP, "duplicate incident 101"},
	    {BAD_OFFSET, "bad utc offset"},
	    {BAD_DELIVERY, "delivery 0: bad state"},
	};
	struct fixture *fx;
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		fx = fixture_new();
		switch (cases[i].kind) {
		case BAD_PERIOD:
			fx->in.period.end = fx->in.period.start;
			break;
		case BAD_PREVIOUS:
			fx->in.previous.end = fx->in.period.start + 1;
			break;
		case BAD_TOO_MANY:
			fx->in.nincidents = REPORT_MAX_INCIDENTS + 1;
			break;
		case BAD_NULL:
			fx->in.incidents = NULL;
			break;
		case BAD_CLASS:
			fx->inc[0].cls = 5;
			break;
		case BAD_STATE:
			fx->inc[0].state = 9;
			break;
		case BAD_MS_STATE:
			fx->inc[0].ms[R].state = 4;
			break;
		case BAD_DUE:
			fx->inc[0].ms[R].due = fx->inc[0].ms[R].start - 1;
			break;
		case BAD_MET:
			fx->inc[0].ms[R].met_at = 0;
			break;
		case BAD_DUP:
			fx->inc[3].id = 101;
			break;
		case BAD_OFFSET:
			fx->in.utc_offset_min = 24 * 60;
			break;
		case BAD_DELIVERY:
			fx->dlv[0].state = REPORT_DLV_COUNT;
			break;
		}
		assert_int_equal(report_compute(&fx->in, &fx->r), -1);
		if (strstr(fx->r.error, cases[i].msg) == NULL)
			print_error("case %zu: '%s'\n", i, fx->r.error);
		assert_non_null(strstr(fx->r.error, cases[i].msg));
		assert_null(fx->r.infos);
		fixture_free(fx);
	}
}

static void
test_names(void **state)
{
	(void)state;
	assert_int_equal(report_value(REPORT_N_MILESTONE, "presser"),
	                 REPORT_MS_PRESSER);
	assert_int_equal(report_value(REPORT_N_MS_STATE, "met_late"),
	                 REPORT_MS_MET_LATE);
	assert_int_equal(report_value(REPORT_N_INC_STATE, "acknowledged"),
	                 REPORT_INC_ACKED);
	assert_int_equal(report_value(REPORT_N_CLASS, "major"), MAJ);
	assert_int_equal(report_value(REPORT_N_DLV_STATE, "given_up"),
	                 REPORT_DLV_GIVEN_UP);
	assert_int_equal(report_value(REPORT_N_DLV_STATE, "sending"), -1);
	assert_int_equal(report_value(REPORT_N_CLASS, NULL), -1);
	assert_string_equal(
	    report_name(REPORT_N_INC_STATE, REPORT_INC_DISMISSED), "dismissed");
	assert_string_equal(report_name(REPORT_N_MILESTONE, 3), "?");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_week_figures),
	    cmocka_unit_test(test_percentiles),
	    cmocka_unit_test(test_iso_week),
	    cmocka_unit_test(test_shuffle_identical),
	    cmocka_unit_test(test_text),
	    cmocka_unit_test(test_summary),
	    cmocka_unit_test(test_json),
	    cmocka_unit_test(test_html_escape),
	    cmocka_unit_test(test_csv_quoting),
	    cmocka_unit_test(test_empty_period),
	    cmocka_unit_test(test_not_yet_due),
	    cmocka_unit_test(test_hostile_strings),
	    cmocka_unit_test(test_bad_input),
	    cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
