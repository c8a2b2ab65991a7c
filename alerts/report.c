/*
 * report.c: the timeliness report (时效统计) of one period: pure
 * computation over plain records (report_compute) and four renderings of
 * its figures: a terminal table, CSV, JSON and a self-contained printable
 * HTML page.  No I/O but the FILE * the caller passes and no clock: the
 * period, "now" and the UTC offset are parameters, and every list is sorted
 * by a total order, so a rerun over the same data is byte-identical
 * whatever order the records come in.
 *
 * Definitions of the figures
 *
 * Period: a half-open interval [start, end) of epoch milliseconds.  A week
 *   is an ISO week: Monday 00:00 to the next Monday 00:00 local time (the
 *   UTC offset is a parameter, +08:00 for Asia/Shanghai), numbered as in
 *   ISO 8601 (week 1 holds the year's first Thursday, so 2026-12-28 to
 *   2027-01-03 is 2026-W53).  The previous period has the same length and
 *   ends where this one starts.  "Now" is when the data were read: states
 *   are as of now, and nothing later is known.
 * Dismissed incidents (false positives) are left out of every figure and
 *   list; only how many of them were opened in the period is shown.
 * Incidents: those opened (first seen) in the period, by class (major,
 *   ordinary) and grade (特别重大, 重大, 较大, 一般, unknown).
 * Milestones: release (5 h, 5小时权威发布), presser (24 h, 24小时新闻发布会),
 *   response (48 h, 48小时回应).  A milestone counts in the period its due
 *   time falls in, whenever its incident was opened and whenever it was
 *   met: a release met on Sunday for a deadline on Monday counts in
 *   Monday's week.
 * On time: met (state met or met_late) at or before its due time.
 * Met late: met after its due time.
 * Unanswered (open past due): not met, and due before the earlier of the
 *   period's end and now, whatever the incident's state (closing an
 *   incident does not answer its deadlines).
 * Not yet due: not met and due at or after now; outside the denominator.
 * On-time rate: on time / (on time + met late + unanswered), in per cent
 *   with one decimal, rounded half up from integers; "—" (empty in CSV,
 *   null in JSON) when the denominator is 0.  An unanswered breach counts
 *   in the denominator, so leaving a deadline unanswered never raises the
 *   rate.  "Total" adds up the three milestones; "by class" the milestones
 *   of each class's incidents.
 * Change: this period's rate minus the previous period's, both rounded
 *   first, in percentage points; "—" when either rate is undefined.  The
 *   previous period is computed the same way, with the same now.
 * Time to met: met time minus the milestone's clock start (when the
 *   incident was first detected), for the met milestones counted in the
 *   period, on time or late; met before the clock start counts as 0.
 *   Median and p90 are nearest-rank: the value at rank ceil(p/100 * n),
 *   1-based, of the values sorted ascending (so the median of an even count
 *   is the lower middle one); worst is the largest.  Shown in whole minutes
 *   rounded down; milliseconds in JSON, minutes in CSV.
 * Breaches: counted milestones met late or unanswered, sorted by due time,
 *   then incident id, then milestone.  How late: met time minus due time,
 *   or for an unanswered one now minus due time.
 * Carried over (结转未结): incidents open or acknowledged at now that were
 *   opened before the period's end, whatever their age, sorted by opening
 *   time then id; with their unmet milestones past due at now and the next
 *   unmet due time after now.
 * Per department and per source: a milestone counts for each department
 *   of its incident (the comma-separated list, blanks trimmed, each once;
 *   none: 未指定, "" in CSV and JSON) and for its source feed, so the rows
 *   can add up to more than the total.  "Opened" counts the incidents
 *   opened in the period.  A row is listed when one of its incidents was
 *   opened or has a milestone due in the period; rows sorted by name
 *   (bytes).  The HTML chart of breaches per department shows the 15 with
 *   most breaches (met late + unanswered), ties by name.
 * Deliveries: attempts (one P:deliveries entry each) made in the period,
 *   per channel and outcome (sent, retry, failed, given up, superseded).
 *   Failures = failed + given up; a retry or a superseded attempt is not a
 *   failure.  Previous failures: the same in the previous period.
 * Incident ids are decimal strings in JSON (exact beyond 2^53).
 * Strings from the data are cut to a cap at a character boundary; invalid
 *   UTF-8 becomes U+FFFD, control and bidirectional-override characters
 *   become spaces.  HTML escapes & < > " '; CSV (RFC 4180, CRLF) quotes a
 *   cell holding a comma, quote or edge blank, and puts ' before a data
 *   cell starting with = + - @ so a spreadsheet does not run it.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "alerts/alerts.h"

#define REPORT_MIN  INT64_C(60000)
#define REPORT_HOUR (60 * REPORT_MIN)
#define REPORT_DAY  (24 * REPORT_HOUR)
#define REPORT_WEEK (7 * REPORT_DAY)

#define REPORT_CHART_DEPARTMENTS 15
#define REPORT_TITLE_COLUMNS     40 /* terminal columns of a title */

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const char *const report_ms_names[REPORT_MS_COUNT] = {
    "release", "presser", "response"};
static const char *const report_ms_labels[REPORT_MS_COUNT] = {
    "5小时权威发布", "24小时新闻发布会", "48小时回应"};
static const char *const report_ms_state_names[] = {"pending", "met",
                                                    "breached", "met_late"};
static const char *const report_inc_state_names[] = {"open", "acknowledged",
                                                     "closed", "dismissed"};
static const char *const report_inc_state_labels[] = {"未确认", "已确认",
                                                      "已关闭", "已排除"};
static const char *const report_class_names[REPORT_CLASS_COUNT] = {"ordinary",
                                                                   "major"};
static const char *const report_class_labels[REPORT_CLASS_COUNT] = {"一般类",
                                                                    "重大类"};
static const char *const report_dlv_names[REPORT_DLV_COUNT] = {
    "sent", "failed", "given_up", "retry", "superseded"};
/* Known grades, most severe first; others sort after them by name. */
static const char *const report_grades[] = {"特别重大", "重大", "较大", "一般"};

struct report_names_table {
	const char *const *names;
	int n;
};
static const struct report_names_table report_tables[] = {
    [REPORT_N_MILESTONE] = {report_ms_names, REPORT_MS_COUNT},
    [REPORT_N_MS_STATE] = {report_ms_state_names, 4},
    [REPORT_N_INC_STATE] = {report_inc_state_names, 4},
    [REPORT_N_CLASS] = {report_class_names, REPORT_CLASS_COUNT},
    [REPORT_N_DLV_STATE] = {report_dlv_names, REPORT_DLV_COUNT},
};

int
report_value(enum report_names t, const char *name)
{
	int i;

	if ((size_t)t >= NELEM(report_tables) || name == NULL)
		return -1;
	for (i = 0; i < report_tables[t].n; i++)
		if (strcmp(report_tables[t].names[i], name) == 0)
			return i;
	return -1;
}

const char *
report_name(enum report_names t, int v)
{
	if ((size_t)t >= NELEM(report_tables) || v < 0 ||
	    v >= report_tables[t].n)
		return "?";
	return report_tables[t].names[v];
}

/* Dates: proleptic Gregorian, days since 1970-01-01 (H. Hinnant's
 * algorithms), so nothing depends on TZ or the C library's tables. */

static int64_t
report_floordiv(int64_t a, int64_t b)
{
	int64_t q = a / b;

	if (a % b != 0 && (a < 0) != (b < 0))
		q--;
	return q;
}

static void
report_civil(int64_t z, int *y, int *m, int *d)
{
	int64_t era, yy;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	yy = (int64_t)yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yy + (*m <= 2));
}

static int64_t
report_days(int y, int m, int d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (unsigned)((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1);
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static int
report_offset_ok(int off)
{
	return off > -24 * 60 && off < 24 * 60;
}

/* The local day number of ms and its ISO weekday, Monday 0. */
static int64_t
report_local_day(int64_t ms, int off, int *wday)
{
	int64_t day = report_floordiv(ms + off * REPORT_MIN, REPORT_DAY);

	*wday = (int)(((day + 3) % 7 + 7) % 7); /* 1970-01-01: Thursday */
	return day;
}

int
report_iso_week(int64_t ms, int off, struct report_period *p)
{
	int64_t day;
	int wday;

	if (ms < 0 || ms >= REPORT_MAX_TIME || !report_offset_ok(off))
		return -1;
	day = report_local_day(ms, off, &wday) - wday;
	p->start = day * REPORT_DAY - off * REPORT_MIN;
	p->end = p->start + REPORT_WEEK;
	return 0;
}

int
report_iso_week_number(int64_t ms, int off, int *iso_year, int *iso_week)
{
	int64_t thursday;
	int wday, y, m, d;

	if (ms < 0 || ms >= REPORT_MAX_TIME || !report_offset_ok(off))
		return -1;
	thursday = report_local_day(ms, off, &wday) - wday + 3;
	report_civil(thursday, &y, &m, &d);
	*iso_year = y;
	*iso_week = (int)((thursday - report_days(y, 1, 1)) / 7 + 1);
	return 0;
}

void
report_previous(const struct report_period *p, struct report_period *prev)
{
	prev->end = p->start;
	prev->start = p->start - (p->end - p->start);
}

/* UTF-8 */

/* The length of the valid UTF-8 character at s and its code point, or 0
 * if s does not start one.  Reads no further than a NUL. */
static size_t
report_utf8(const unsigned char *s, uint32_t *cp)
{
	uint32_t c = s[0], min;
	size_t n, i;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		c &= 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		c &= 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		c &= 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

static int
report_blanked(uint32_t c)
{
	return c < 0x20 || (c >= 0x7f && c < 0xa0) || c == 0x2028 ||
	       c == 0x2029 || (c >= 0x202a && c <= 0x202e) ||
	       (c >= 0x2066 && c <= 0x2069);
}

/* A copy of s (NULL: "") of at most cap bytes, cut at a character, with
 * invalid UTF-8 as U+FFFD and control characters as spaces; NULL if out of
 * memory.  Reads at most what fits: s may be any length. */
static char *
report_clean(const char *s, size_t cap)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	const char *add;
	size_t len = 0, n, an, adv;
	uint32_t cp;
	char *out;

	out = malloc(cap + 1);
	if (out == NULL)
		return NULL;
	while (*p != '\0') {
		n = report_utf8(p, &cp);
		adv = n;
		add = (const char *)p;
		an = n;
		if (n == 0) {
			add = "\xef\xbf\xbd";
			an = 3;
			adv = 1;
		} else if (report_blanked(cp)) {
			add = " ";
			an = 1;
		}
		if (len + an > cap)
			break;
		memcpy(out + len, add, an);
		len += an;
		p += adv;
	}
	out[len] = '\0';
	return out;
}

/* Terminal columns of a code point: 2 for East Asian wide ones. */
static int
report_cp_width(uint32_t c)
{
	if ((c >= 0x1100 && c <= 0x115f) || (c >= 0x2e80 && c <= 0xa4cf) ||
	    (c >= 0xac00 && c <= 0xd7a3) || (c >= 0xf900 && c <= 0xfaff) ||
	    (c >= 0xfe30 && c <= 0xfe4f) || (c >= 0xff00 && c <= 0xff60) ||
	    (c >= 0xffe0 && c <= 0xffe6) || (c >= 0x1f300 && c <= 0x1f64f) ||
	    (c >= 0x1f900 && c <= 0x1f9ff) || (c >= 0x20000 && c <= 0x3fffd))
		return 2;
	return 1;
}

static size_t
report_width(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t w = 0, n;
	uint32_t cp;

	while (*p != '\0') {
		n = report_utf8(p, &cp);
		if (n == 0) {
			n = 1;
			cp = '?';
		}
		w += (size_t)report_cp_width(cp);
		p += n;
	}
	return w;
}

/* Computation */

static int
report_err(struct report *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->error, sizeof(r->error), fmt, ap);
	va_end(ap);
	return -1;
}

static int
report_time_ok(int64_t t)
{
	return t >= 0 && t < REPORT_MAX_TIME;
}

static int
report_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static int
report_cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* Everything report_compute refuses, before it reads anything else. */
static int
report_check(const struct report_input *in, struct report *r)
{
	const struct report_incident *inc;
	const struct report_milestone *m;
	uint64_t *ids;
	size_t i, k;

	if (!report_time_ok(in->period.start) ||
	    !report_time_ok(in->period.end) ||
	    in->period.end <= in->period.start)
		return report_err(r, "bad period [%" PRId64 ", %" PRId64 ")",
		                  in->period.start, in->period.end);
	if ((in->previous.start != 0 || in->previous.end != 0) &&
	    (!report_time_ok(in->previous.start) ||
	     in->previous.end <= in->previous.start ||
	     in->previous.end > in->period.start))
		return report_err(
		    r, "bad previous period [%" PRId64 ", %" PRId64 ")",
		    in->previous.start, in->previous.end);
	if (!report_time_ok(in->now))
		return report_err(r, "bad now %" PRId64, in->now);
	if (!report_offset_ok(in->utc_offset_min))
		return report_err(r, "bad utc offset %d min",
		                  in->utc_offset_min);
	if (in->nincidents > REPORT_MAX_INCIDENTS)
		return report_err(r, "too many incidents: %zu, at most %d",
		                  in->nincidents, REPORT_MAX_INCIDENTS);
	if (in->ndeliveries > REPORT_MAX_DELIVERIES)
		return report_err(r, "too many deliveries: %zu, at most %d",
		                  in->ndeliveries, REPORT_MAX_DELIVERIES);
	if ((in->nincidents > 0 && in->incidents == NULL) ||
	    (in->ndeliveries > 0 && in->deliveries == NULL))
		return report_err(r, "no records given");
	for (i = 0; i < in->nincidents; i++) {
		inc = &in->incidents[i];
		if (inc->cls < 0 || inc->cls >= REPORT_CLASS_COUNT)
			return report_err(r,
			                  "incident %" PRIu64 ": bad class %d",
			                  inc->id, inc->cls);
		if (inc->state < REPORT_INC_OPEN ||
		    inc->state > REPORT_INC_DISMISSED)
			return report_err(r,
			                  "incident %" PRIu64 ": bad state %d",
			                  inc->id, inc->state);
		if (!report_time_ok(inc->opened_at))
			return report_err(
			    r, "incident %" PRIu64 ": bad opening time",
			    inc->id);
		for (k = 0; k < REPORT_MS_COUNT; k++) {
			m = &inc->ms[k];
			if (!m->active)
				continue;
			if (m->state < REPORT_MS_PENDING ||
			    m->state > REPORT_MS_MET_LATE)
				return report_err(
				    r, "incident %" PRIu64 " %s: bad state %d",
				    inc->id, report_ms_names[k], m->state);
			if (!report_time_ok(m->start) ||
			    !report_time_ok(m->due) || m->due < m->start ||
			    m->met_at >= REPORT_MAX_TIME)
				return report_err(
				    r, "incident %" PRIu64 " %s: bad times",
				    inc->id, report_ms_names[k]);
			if ((m->state == REPORT_MS_MET ||
			     m->state == REPORT_MS_MET_LATE) &&
			    m->met_at <= 0)
				return report_err(r,
				                  "incident %" PRIu64
				                  " %s: met without a time",
				                  inc->id, report_ms_names[k]);
		}
	}
	for (i = 0; i < in->ndeliveries; i++)
		if (in->deliveries[i].state < 0 ||
		    in->deliveries[i].state >= REPORT_DLV_COUNT ||
		    !report_time_ok(in->deliveries[i].at))
			return report_err(r, "delivery %zu: bad state or time",
			                  i);
	if (in->nincidents < 2)
		return 0;
	ids = malloc(in->nincidents * sizeof(*ids));
	if (ids == NULL)
		return report_err(r, "out of memory");
	for (i = 0; i < in->nincidents; i++)
		ids[i] = in->incidents[i].id;
	qsort(ids, in->nincidents, sizeof(*ids), report_cmp_u64);
	for (i = 1; i < in->nincidents; i++)
		if (ids[i] == ids[i - 1]) {
			report_err(r, "duplicate incident %" PRIu64, ids[i]);
			free(ids);
			return -1;
		}
	free(ids);
	return 0;
}

enum { K_OUT, K_ON_TIME, K_LATE, K_UNANSWERED, K_NOT_DUE };

static int
report_met(const struct report_milestone *m)
{
	return (m->state == REPORT_MS_MET || m->state == REPORT_MS_MET_LATE) &&
	       m->met_at > 0;
}

/* How milestone m counts in period p at now. */
static int
report_kind(const struct report_milestone *m, const struct report_period *p,
            int64_t now)
{
	int64_t cut = p->end < now ? p->end : now;

	if (!m->active || m->due < p->start || m->due >= p->end)
		return K_OUT;
	if (report_met(m))
		return m->met_at <= m->due ? K_ON_TIME : K_LATE;
	return m->due < cut ? K_UNANSWERED : K_NOT_DUE;
}

static void
report_count(struct report_rate *rt, int kind)
{
	switch (kind) {
	case K_ON_TIME:
		rt->on_time++;
		break;
	case K_LATE:
		rt->met_late++;
		break;
	case K_UNANSWERED:
		rt->unanswered++;
		break;
	case K_NOT_DUE:
		rt->not_due++;
		break;
	}
}

static void
report_add(struct report_rate *to, const struct report_rate *from)
{
	to->on_time += from->on_time;
	to->met_late += from->met_late;
	to->unanswered += from->unanswered;
	to->not_due += from->not_due;
}

static void
report_finish(struct report_rate *rt)
{
	rt->counted = rt->on_time + rt->met_late + rt->unanswered;
	rt->permille = -1;
	if (rt->counted > 0)
		rt->permille =
		    (int)((rt->on_time * 1000 + rt->counted / 2) / rt->counted);
}

/* Nearest rank: the value at rank ceil(p/100 * n) of v sorted. */
static void
report_times(int64_t *v, size_t n, struct report_times *t)
{
	t->n = n;
	t->median = t->p90 = t->worst = -1;
	if (n == 0)
		return;
	qsort(v, n, sizeof(*v), report_cmp_i64);
	t->median = v[(50 * n + 99) / 100 - 1];
	t->p90 = v[(90 * n + 99) / 100 - 1];
	t->worst = v[n - 1];
}

static int
report_in(int64_t t, const struct report_period *p)
{
	return t >= p->start && t < p->end;
}

/* Split info's departments at commas, trimmed, each once. */
static int
report_split(struct report_info *info)
{
	const char *s = info->departments, *e, *a, *b;
	size_t i, n;
	char *d;

	n = 1;
	for (a = s; *a != '\0'; a++)
		n += *a == ',';
	info->deps = calloc(n, sizeof(*info->deps));
	if (info->deps == NULL)
		return -1;
	for (a = s;; a = e + 1) {
		e = strchr(a, ',');
		if (e == NULL)
			e = a + strlen(a);
		b = e;
		while (a < b && *a == ' ')
			a++;
		while (b > a && b[-1] == ' ')
			b--;
		for (i = 0; i < info->ndeps; i++)
			if (strlen(info->deps[i]) == (size_t)(b - a) &&
			    memcmp(info->deps[i], a, (size_t)(b - a)) == 0)
				break;
		if (a < b && i == info->ndeps) {
			d = malloc((size_t)(b - a) + 1);
			if (d == NULL)
				return -1;
			memcpy(d, a, (size_t)(b - a));
			d[b - a] = '\0';
			info->deps[info->ndeps++] = d;
		}
		if (*e == '\0')
			break;
	}
	if (info->ndeps == 0) {
		info->deps[0] = calloc(1, 1);
		if (info->deps[0] == NULL)
			return -1;
		info->ndeps = 1;
	}
	return 0;
}

/* Per incident while computing: its share of the period's figures. */
struct report_tmp {
	struct report_rate rate;
	int opened;  /* in the period */
	int grouped; /* opened, or a milestone due, in the period */
};

struct report_pair {
	const char *name;
	size_t i;
};

static int
report_cmp_pair(const void *a, const void *b)
{
	const struct report_pair *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c != 0)
		return c;
	return (x->i > y->i) - (x->i < y->i);
}

/* Rows from pairs (name, incident), sorted here. */
static int
report_groups(struct report_pair *pairs, size_t n, const struct report_tmp *tmp,
              struct report_group **out, size_t *nout)
{
	struct report_group *g;
	size_t i, ng = 0;

	*out = calloc(n + 1, sizeof(**out));
	if (*out == NULL)
		return -1;
	qsort(pairs, n, sizeof(*pairs), report_cmp_pair);
	for (i = 0; i < n; i++) {
		if (i == 0 || strcmp(pairs[i].name, pairs[i - 1].name) != 0) {
			g = &(*out)[ng++];
			*nout = ng;
			g->name = malloc(strlen(pairs[i].name) + 1);
			if (g->name == NULL)
				return -1;
			strcpy(g->name, pairs[i].name);
		}
		g = &(*out)[ng - 1];
		g->opened += (size_t)tmp[pairs[i].i].opened;
		report_add(&g->rate, &tmp[pairs[i].i].rate);
	}
	for (i = 0; i < ng; i++)
		report_finish(&(*out)[i].rate);
	return 0;
}

static int
report_grade_rank(const char *g)
{
	size_t i;

	for (i = 0; i < NELEM(report_grades); i++)
		if (strcmp(g, report_grades[i]) == 0)
			return (int)i;
	if (*g == '\0' || strcmp(g, "unknown") == 0)
		return (int)NELEM(report_grades) + 1;
	return (int)NELEM(report_grades);
}

static int
report_cmp_grade(const void *a, const void *b)
{
	const struct report_pair *x = a, *y = b;
	int rx = report_grade_rank(x->name), ry = report_grade_rank(y->name);

	if (rx != ry)
		return (rx > ry) - (rx < ry);
	return strcmp(x->name, y->name);
}

static int
report_cmp_breach(const void *a, const void *b)
{
	const struct report_breach *x = a, *y = b;

	if (x->due != y->due)
		return (x->due > y->due) - (x->due < y->due);
	if (x->inc->id != y->inc->id)
		return (x->inc->id > y->inc->id) - (x->inc->id < y->inc->id);
	return (x->milestone > y->milestone) - (x->milestone < y->milestone);
}

static int
report_cmp_open(const void *a, const void *b)
{
	const struct report_open *x = a, *y = b;

	if (x->inc->opened_at != y->inc->opened_at)
		return (x->inc->opened_at > y->inc->opened_at) -
		       (x->inc->opened_at < y->inc->opened_at);
	return (x->inc->id > y->inc->id) - (x->inc->id < y->inc->id);
}

struct report_dpair {
	const char *channel;
	int state;
	int prev; /* in the previous period */
};

static int
report_cmp_dpair(const void *a, const void *b)
{
	const struct report_dpair *x = a, *y = b;

	return strcmp(x->channel, y->channel);
}

/* Channel rows: deliveries sorted by their raw channel, each distinct
 * name cleaned once, then rows whose clean names agree merged. */
static int
report_channels(const struct report_input *in, struct report *r)
{
	struct report_dpair *dp;
	struct report_channel *c = NULL;
	size_t i, j, n = 0;
	char *name;
	int rc = -1;

	dp = calloc(in->ndeliveries + 1, sizeof(*dp));
	r->channels = calloc(in->ndeliveries + 1, sizeof(*r->channels));
	if (dp == NULL || r->channels == NULL)
		goto out_free;
	for (i = 0; i < in->ndeliveries; i++) {
		const struct report_delivery *d = &in->deliveries[i];
		int cur = report_in(d->at, &r->period);
		int prev = r->has_previous && report_in(d->at, &r->previous);

		if (!cur && !prev)
			continue;
		dp[n].channel = d->channel ? d->channel : "";
		dp[n].state = d->state;
		dp[n++].prev = prev;
	}
	qsort(dp, n, sizeof(*dp), report_cmp_dpair);
	for (i = 0; i < n; i++) {
		if (i == 0 || strcmp(dp[i].channel, dp[i - 1].channel) != 0) {
			name = report_clean(dp[i].channel, REPORT_MAX_NAME);
			if (name == NULL)
				goto out_free;
			for (j = 0; j < r->nchannels; j++)
				if (strcmp(r->channels[j].name, name) == 0)
					break;
			if (j < r->nchannels) {
				free(name);
			} else {
				r->channels[j].name = name;
				r->nchannels++;
			}
			c = &r->channels[j];
		}
		if (dp[i].prev) {
			if (dp[i].state == REPORT_DLV_FAILED ||
			    dp[i].state == REPORT_DLV_GIVEN_UP)
				c->prev_failures++;
		} else {
			c->n[dp[i].state]++;
			c->attempts++;
		}
	}
	for (j = 0; j < r->nchannels; j++) {
		c = &r->channels[j];
		c->failures =
		    c->n[REPORT_DLV_FAILED] + c->n[REPORT_DLV_GIVEN_UP];
	}
	rc = 0;
out_free:
	free(dp);
	return rc;
}

static int
report_cmp_channel(const void *a, const void *b)
{
	const struct report_channel *x = a, *y = b;

	return strcmp(x->name, y->name);
}

static int
report_fill_info(struct report_info *info, const struct report_incident *inc)
{
	info->id = inc->id;
	info->cls = inc->cls;
	info->state = inc->state;
	info->opened_at = inc->opened_at;
	info->grade = report_clean(inc->grade, REPORT_MAX_NAME);
	info->title = report_clean(inc->title, REPORT_MAX_TITLE);
	info->departments =
	    report_clean(inc->departments, REPORT_MAX_DEPARTMENTS);
	info->source = report_clean(inc->source, REPORT_MAX_NAME);
	if (info->grade == NULL || info->title == NULL ||
	    info->departments == NULL || info->source == NULL)
		return -1;
	if (*info->grade == '\0') {
		free(info->grade);
		info->grade = report_clean("unknown", REPORT_MAX_NAME);
		if (info->grade == NULL)
			return -1;
	}
	return report_split(info);
}

/* The grade rows, departments and sources, from the incidents kept. */
static int
report_tables_fill(struct report *r, const struct report_tmp *tmp)
{
	struct report_pair *pairs;
	size_t i, k, n = 0, ndeps = 0;
	int rc = -1;

	for (i = 0; i < r->ninfos; i++)
		ndeps += r->infos[i].ndeps;
	pairs = calloc(ndeps + 1, sizeof(*pairs));
	r->grades = calloc(r->ninfos + 1, sizeof(*r->grades));
	if (pairs == NULL || r->grades == NULL)
		goto out_free;

	for (i = 0; i < r->ninfos; i++)
		if (tmp[i].opened) {
			pairs[n].name = r->infos[i].grade;
			pairs[n++].i = i;
		}
	qsort(pairs, n, sizeof(*pairs), report_cmp_grade);
	for (k = 0; k < n; k++) {
		if (k == 0 || strcmp(pairs[k].name, pairs[k - 1].name) != 0) {
			r->grades[r->ngrades].grade =
			    report_clean(pairs[k].name, REPORT_MAX_NAME);
			if (r->grades[r->ngrades++].grade == NULL)
				goto out_free;
		}
		r->grades[r->ngrades - 1].n[r->infos[pairs[k].i].cls]++;
	}

	n = 0;
	for (i = 0; i < r->ninfos; i++)
		for (k = 0; tmp[i].grouped && k < r->infos[i].ndeps; k++) {
			pairs[n].name = r->infos[i].deps[k];
			pairs[n++].i = i;
		}
	if (report_groups(pairs, n, tmp, &r->departments, &r->ndepartments) < 0)
		goto out_free;
	n = 0;
	for (i = 0; i < r->ninfos; i++)
		if (tmp[i].grouped) {
			pairs[n].name = r->infos[i].source;
			pairs[n++].i = i;
		}
	if (report_groups(pairs, n, tmp, &r->sources, &r->nsources) < 0)
		goto out_free;
	rc = 0;
out_free:
	free(pairs);
	return rc;
}

/* One incident's milestones into the figures; breaches into r. */
static void
report_milestones(struct report *r, const struct report_incident *inc,
                  struct report_info *info, struct report_tmp *t, int64_t **tv,
                  size_t *ntv)
{
	const struct report_milestone *m;
	struct report_breach *b;
	size_t k;
	int kind;

	for (k = 0; k < REPORT_MS_COUNT; k++) {
		m = &inc->ms[k];
		kind = report_kind(m, &r->period, r->now);
		if (kind == K_OUT)
			continue;
		t->grouped = 1;
		report_count(&r->ms[k].rate, kind);
		report_count(&r->class_rate[inc->cls], kind);
		report_count(&t->rate, kind);
		if (kind == K_ON_TIME || kind == K_LATE)
			tv[k][ntv[k]++] =
			    m->met_at > m->start ? m->met_at - m->start : 0;
		if (kind != K_LATE && kind != K_UNANSWERED)
			continue;
		b = &r->breaches[r->nbreaches++];
		b->inc = info;
		b->milestone = (int)k;
		b->start = m->start;
		b->due = m->due;
		b->met_at = kind == K_LATE ? m->met_at : 0;
		b->late = (kind == K_LATE ? m->met_at : r->now) - m->due;
	}
}

static void
report_open_row(struct report *r, const struct report_incident *inc,
                const struct report_info *info)
{
	const struct report_milestone *m;
	struct report_open *o = &r->open[r->nopen++];
	size_t k;

	o->inc = info;
	for (k = 0; k < REPORT_MS_COUNT; k++) {
		m = &inc->ms[k];
		if (!m->active || report_met(m))
			continue;
		if (m->due < r->now)
			o->overdue |= 1u << k;
		else if (o->next_due == 0 || m->due < o->next_due)
			o->next_due = m->due;
	}
}

static int
report_relevant(const struct report *r, const struct report_incident *inc)
{
	size_t k;

	if (report_in(inc->opened_at, &r->period))
		return 1;
	if ((inc->state == REPORT_INC_OPEN || inc->state == REPORT_INC_ACKED) &&
	    inc->opened_at < r->period.end)
		return 1;
	for (k = 0; k < REPORT_MS_COUNT; k++)
		if (inc->ms[k].active && report_in(inc->ms[k].due, &r->period))
			return 1;
	return 0;
}

static int
report_run(const struct report_input *in, struct report *r)
{
	const struct report_incident *inc;
	struct report_info *info;
	struct report_tmp *tmp;
	int64_t *tv[REPORT_MS_COUNT] = {NULL, NULL, NULL};
	size_t ntv[REPORT_MS_COUNT] = {0, 0, 0};
	size_t i, k, n = in->nincidents + 1;
	int rc = -1;

	tmp = calloc(n, sizeof(*tmp));
	r->infos = calloc(n, sizeof(*r->infos));
	r->breaches = calloc(n * REPORT_MS_COUNT, sizeof(*r->breaches));
	r->open = calloc(n, sizeof(*r->open));
	for (k = 0; k < REPORT_MS_COUNT; k++)
		tv[k] = calloc(n, sizeof(*tv[k]));
	if (tmp == NULL || r->infos == NULL || r->breaches == NULL ||
	    r->open == NULL || tv[0] == NULL || tv[1] == NULL || tv[2] == NULL)
		goto out_free;

	for (i = 0; i < in->nincidents; i++) {
		inc = &in->incidents[i];
		if (inc->state == REPORT_INC_DISMISSED) {
			r->dismissed += report_in(inc->opened_at, &r->period);
			continue;
		}
		if (r->has_previous) {
			r->prev_opened +=
			    report_in(inc->opened_at, &r->previous);
			for (k = 0; k < REPORT_MS_COUNT; k++)
				report_count(&r->ms[k].prev,
				             report_kind(&inc->ms[k],
				                         &r->previous, r->now));
		}
		if (!report_relevant(r, inc))
			continue;
		info = &r->infos[r->ninfos];
		if (report_fill_info(info, inc) < 0) {
			r->ninfos++;
			goto out_free;
		}
		if (report_in(inc->opened_at, &r->period)) {
			tmp[r->ninfos].opened = tmp[r->ninfos].grouped = 1;
			r->opened++;
			r->by_class[inc->cls]++;
		}
		report_milestones(r, inc, info, &tmp[r->ninfos], tv, ntv);
		if ((inc->state == REPORT_INC_OPEN ||
		     inc->state == REPORT_INC_ACKED) &&
		    inc->opened_at < r->period.end)
			report_open_row(r, inc, info);
		r->ninfos++;
	}
	for (k = 0; k < REPORT_MS_COUNT; k++) {
		report_finish(&r->ms[k].rate);
		report_finish(&r->ms[k].prev);
		report_add(&r->total, &r->ms[k].rate);
		report_add(&r->prev_total, &r->ms[k].prev);
		report_times(tv[k], ntv[k], &r->ms[k].times);
	}
	report_finish(&r->total);
	report_finish(&r->prev_total);
	for (k = 0; k < REPORT_CLASS_COUNT; k++)
		report_finish(&r->class_rate[k]);
	qsort(r->breaches, r->nbreaches, sizeof(*r->breaches),
	      report_cmp_breach);
	qsort(r->open, r->nopen, sizeof(*r->open), report_cmp_open);
	if (report_tables_fill(r, tmp) < 0 || report_channels(in, r) < 0)
		goto out_free;
	qsort(r->channels, r->nchannels, sizeof(*r->channels),
	      report_cmp_channel);
	rc = 0;
out_free:
	if (rc < 0)
		report_err(r, "out of memory");
	for (k = 0; k < REPORT_MS_COUNT; k++)
		free(tv[k]);
	free(tmp);
	return rc;
}

int
report_compute(const struct report_input *in, struct report *r)
{
	char error[sizeof(r->error)];
	int y, w;

	memset(r, 0, sizeof(*r));
	if (report_check(in, r) < 0)
		return -1;
	r->period = in->period;
	r->previous = in->previous;
	r->has_previous = in->previous.end > in->previous.start;
	r->now = in->now;
	r->utc_offset_min = in->utc_offset_min;
	if (in->period.end - in->period.start == REPORT_WEEK) {
		struct report_period wk;

		if (report_iso_week(in->period.start, in->utc_offset_min,
		                    &wk) == 0 &&
		    wk.start == in->period.start &&
		    report_iso_week_number(in->period.start, in->utc_offset_min,
		                           &y, &w) == 0) {
			r->iso_year = y;
			r->iso_week = w;
		}
	}
	if (report_run(in, r) < 0) {
		memcpy(error, r->error, sizeof(error));
		report_free(r);
		memcpy(r->error, error, sizeof(error));
		return -1;
	}
	return 0;
}

void
report_free(struct report *r)
{
	size_t i, k;

	if (r == NULL)
		return;
	for (i = 0; i < r->ngrades; i++)
		free(r->grades[i].grade);
	free(r->grades);
	for (i = 0; r->infos != NULL && i < r->ninfos; i++) {
		free(r->infos[i].grade);
		free(r->infos[i].title);
		free(r->infos[i].departments);
		free(r->infos[i].source);
		for (k = 0; k < r->infos[i].ndeps; k++)
			free(r->infos[i].deps[k]);
		free(r->infos[i].deps);
	}
	free(r->infos);
	for (i = 0; i < r->ndepartments; i++)
		free(r->departments[i].name);
	free(r->departments);
	for (i = 0; i < r->nsources; i++)
		free(r->sources[i].name);
	free(r->sources);
	free(r->breaches);
	free(r->open);
	for (i = 0; i < r->nchannels; i++)
		free(r->channels[i].name);
	free(r->channels);
	memset(r, 0, sizeof(*r));
}

/* Formatting shared by the renderings */

/* "2025-11-24 09:05", local time. */
static void
report_local(char *buf, size_t size, int64_t ms, int off)
{
	int64_t local = ms + off * REPORT_MIN;
	int64_t day = report_floordiv(local, REPORT_DAY);
	int64_t min = (local - day * REPORT_DAY) / REPORT_MIN;
	int y, m, d;

	report_civil(day, &y, &m, &d);
	snprintf(buf, size, "%04d-%02d-%02d %02d:%02d", y, m, d,
	         (int)(min / 60), (int)(min % 60));
}

/* "UTC+08:00" */
static void
report_zone(char *buf, size_t size, int off)
{
	int a = off < 0 ? -off : off;

	snprintf(buf, size, "UTC%c%02d:%02d", off < 0 ? '-' : '+', a / 60,
	         a % 60);
}

/* A duration in Chinese, whole minutes rounded down, zero parts left
 * out: "1天6小时", "4小时", "25分". */
static void
report_dur(char *buf, size_t size, int64_t ms)
{
	int64_t min = ms > 0 ? ms / REPORT_MIN : 0;
	size_t len = 0;

	buf[0] = '\0';
	if (ms < 0) {
		snprintf(buf, size, "—");
		return;
	}
	if (min == 0) {
		snprintf(buf, size, ms > 0 ? "不足1分" : "0分");
		return;
	}
	if (min >= 24 * 60) {
		snprintf(buf, size, "%" PRId64 "天", min / (24 * 60));
		len = strlen(buf);
	}
	if (min / 60 % 24 > 0) {
		snprintf(buf + len, size - len, "%" PRId64 "小时",
		         min / 60 % 24);
		len = strlen(buf);
	}
	if (min % 60 > 0)
		snprintf(buf + len, size - len, "%" PRId64 "分", min % 60);
}

/* "50.0" from 500; none: the empty string or "—". */
static void
report_pct(char *buf, size_t size, int permille, const char *none,
           const char *unit)
{
	if (permille < 0)
		snprintf(buf, size, "%s", none);
	else
		snprintf(buf, size, "%d.%d%s", permille / 10, permille % 10,
		         unit);
}

/* The change in percentage points, "+16.7", "-16.7", "0.0". */
static void
report_change(char *buf, size_t size, int now, int prev, const char *none)
{
	int d = now - prev, a = d < 0 ? -d : d;

	if (now < 0 || prev < 0)
		snprintf(buf, size, "%s", none);
	else
		snprintf(buf, size, "%s%d.%d",
		         d > 0   ? "+"
		         : d < 0 ? "-"
		                 : "",
		         a / 10, a % 10);
}

static void
report_signed(char *buf, size_t size, size_t now, size_t prev)
{
	if (now == prev)
		snprintf(buf, size, "0");
	else if (now > prev)
		snprintf(buf, size, "+%zu", now - prev);
	else
		snprintf(buf, size, "-%zu", prev - now);
}

static const char *
report_grade_label(const char *g)
{
	return strcmp(g, "unknown") == 0 ? "未定级" : g;
}

static const char *
report_or(const char *s, const char *none)
{
	return *s != '\0' ? s : none;
}

/* Overdue milestones as names joined by sep, labels if zh. */
static void
report_overdue(char *buf, size_t size, unsigned bits, const char *sep, int zh)
{
	size_t k, len = 0;

	buf[0] = '\0';
	for (k = 0; k < REPORT_MS_COUNT; k++) {
		if (!(bits & (1u << k)))
			continue;
		snprintf(buf + len, size - len, "%s%s", len > 0 ? sep : "",
		         zh ? report_ms_labels[k] : report_ms_names[k]);
		len = strlen(buf);
	}
}

static void
report_ago(char *buf, size_t size, const struct report *r, int64_t t)
{
	report_dur(buf, size, r->now > t ? r->now - t : 0);
}

/* Row cells shared by the terminal table and HTML
 *
 * One function a section fills v[], the cells of one row, formatting
 * its figures into b[]: b[] is the caller's and must outlive v[].  The
 * terminal table and HTML show the same cells, CSV the parts whose
 * figures it shares. */

#define REPORT_COLS 12  /* columns of a table, at most */
#define REPORT_CELL 128 /* bytes of a formatted cell: 3 overdue labels fit */

static const char *const report_count_head[4] = {"等级", "重大类", "一般类",
                                                 "合计"};
static const char *const report_ms_head[12] = {
    "节点",   "应计", "按时", "逾期完成", "逾期未完成", "未到期",
    "按时率", "上期", "变化", "中位用时", "P90用时",    "最长用时"};
static const char *const report_breach_head[9] = {
    "事件",     "节点", "类别",     "等级", "截止时间",
    "完成时间", "超时", "责任部门", "标题"};
static const char *const report_open_head[8] = {
    "事件",     "状态",     "发现时间", "已持续",
    "逾期节点", "下一截止", "责任部门", "标题"};
static const char *const report_group_head[8] = {
    "",         "新增事件",   "应计",   "按时",
    "逾期完成", "逾期未完成", "未到期", "按时率"};
static const char *const report_channel_head[10] = {
    "渠道", "尝试",   "成功",     "重试",     "失败",
    "放弃", "被取代", "失败合计", "上期失败", "变化"};

/* The rows of the milestone table: each milestone, the total, then the
 * classes, major first. */
#define REPORT_MS_ROWS (REPORT_MS_COUNT + 1 + REPORT_CLASS_COUNT)

/* One row of the milestone table, pointing into the report. */
struct report_ms_line {
	const struct report_rate *rt;
	const struct report_rate *pv;  /* NULL: no previous figure */
	const struct report_times *tm; /* NULL: no times to met */
	const char *label;             /* the heading shown */
	const char *prefix, *name;     /* the same in CSV: prefix, then name */
};

static void
report_ms_line(const struct report *r, size_t k, struct report_ms_line *m)
{
	size_t cl;

	m->pv = NULL;
	m->tm = NULL;
	m->prefix = "";
	if (k < REPORT_MS_COUNT) {
		m->rt = &r->ms[k].rate;
		m->pv = &r->ms[k].prev;
		m->tm = &r->ms[k].times;
		m->label = report_ms_labels[k];
		m->name = report_ms_names[k];
	} else if (k == REPORT_MS_COUNT) {
		m->rt = &r->total;
		m->pv = &r->prev_total;
		m->label = "合计";
		m->name = "total";
	} else {
		cl = REPORT_CLASS_COUNT - (k - REPORT_MS_COUNT);
		m->rt = &r->class_rate[cl];
		m->label = report_class_labels[cl];
		m->prefix = "class_";
		m->name = report_class_names[cl];
	}
	if (!r->has_previous)
		m->pv = NULL;
}

/* Counted, on time, met late, unanswered, not due and the rate, into
 * b[0] to b[5]; none and unit as for report_pct. */
static void
report_rate_cells(char (*b)[REPORT_CELL], const struct report_rate *rt,
                  const char *none, const char *unit)
{
	snprintf(b[0], REPORT_CELL, "%zu", rt->counted);
	snprintf(b[1], REPORT_CELL, "%zu", rt->on_time);
	snprintf(b[2], REPORT_CELL, "%zu", rt->met_late);
	snprintf(b[3], REPORT_CELL, "%zu", rt->unanswered);
	snprintf(b[4], REPORT_CELL, "%zu", rt->not_due);
	report_pct(b[5], REPORT_CELL, rt->permille, none, unit);
}

/* Row i of the count table: grade i, or with i == r->ngrades the total;
 * 4 cells. */
static void
report_count_cells(const struct report *r, size_t i, char (*b)[REPORT_CELL],
                   const char **v)
{
	size_t ma, ord;

	if (i < r->ngrades) {
		ma = r->grades[i].n[REPORT_CLASS_MAJOR];
		ord = r->grades[i].n[REPORT_CLASS_ORDINARY];
		v[0] = report_grade_label(r->grades[i].grade);
	} else {
		ma = r->by_class[REPORT_CLASS_MAJOR];
		ord = r->by_class[REPORT_CLASS_ORDINARY];
		v[0] = "合计";
	}
	snprintf(b[1], REPORT_CELL, "%zu", ma);
	snprintf(b[2], REPORT_CELL, "%zu", ord);
	snprintf(b[3], REPORT_CELL, "%zu", ma + ord);
	v[1] = b[1];
	v[2] = b[2];
	v[3] = b[3];
}

/* "本期新增 5 起（上期 3 起，+2）；已排除（误报）1 起" between pre and
 * post. */
static void
report_count_note(FILE *f, const struct report *r, const char *pre,
                  const char *post)
{
	char d[32];

	fprintf(f, "%s本期新增 %zu 起", pre, r->opened);
	if (r->has_previous) {
		report_signed(d, sizeof(d), r->opened, r->prev_opened);
		fprintf(f, "（上期 %zu 起，%s）", r->prev_opened, d);
	}
	fprintf(f, "；已排除（误报）%zu 起%s", r->dismissed, post);
}

/* Row k of the milestone table, 12 cells. */
static void
report_ms_cells(const struct report *r, size_t k, char (*b)[REPORT_CELL],
                const char **v)
{
	struct report_ms_line m;
	int prev;
	size_t c;

	report_ms_line(r, k, &m);
	prev = m.pv != NULL ? m.pv->permille : -1;
	report_rate_cells(&b[1], m.rt, "—", "%");
	report_pct(b[7], REPORT_CELL, prev, "—", "%");
	report_change(b[8], REPORT_CELL, m.rt->permille, prev, "—");
	report_dur(b[9], REPORT_CELL, m.tm != NULL ? m.tm->median : -1);
	report_dur(b[10], REPORT_CELL, m.tm != NULL ? m.tm->p90 : -1);
	report_dur(b[11], REPORT_CELL, m.tm != NULL ? m.tm->worst : -1);
	v[0] = m.label;
	for (c = 1; c < 12; c++)
		v[c] = b[c];
}

/* A breach, 9 cells. */
static void
report_breach_cells(const struct report *r, size_t i, char (*b)[REPORT_CELL],
                    const char **v)
{
	const struct report_breach *x = &r->breaches[i];

	snprintf(b[0], REPORT_CELL, "%" PRIu64, x->inc->id);
	report_local(b[4], REPORT_CELL, x->due, r->utc_offset_min);
	if (x->met_at > 0)
		report_local(b[5], REPORT_CELL, x->met_at, r->utc_offset_min);
	else
		snprintf(b[5], REPORT_CELL, "未完成");
	report_dur(b[6], REPORT_CELL, x->late);
	v[0] = b[0];
	v[1] = report_ms_labels[x->milestone];
	v[2] = report_class_labels[x->inc->cls];
	v[3] = report_grade_label(x->inc->grade);
	v[4] = b[4];
	v[5] = b[5];
	v[6] = b[6];
	v[7] = report_or(x->inc->departments, "未指定");
	v[8] = x->inc->title;
}

/* An incident carried over, 8 cells. */
static void
report_open_cells(const struct report *r, size_t i, char (*b)[REPORT_CELL],
                  const char **v)
{
	const struct report_open *o = &r->open[i];

	snprintf(b[0], REPORT_CELL, "%" PRIu64, o->inc->id);
	report_local(b[2], REPORT_CELL, o->inc->opened_at, r->utc_offset_min);
	report_ago(b[3], REPORT_CELL, r, o->inc->opened_at);
	report_overdue(b[4], REPORT_CELL, o->overdue, "、", 1);
	if (b[4][0] == '\0')
		snprintf(b[4], REPORT_CELL, "无");
	if (o->next_due > 0)
		report_local(b[5], REPORT_CELL, o->next_due, r->utc_offset_min);
	else
		snprintf(b[5], REPORT_CELL, "—");
	v[0] = b[0];
	v[1] = report_inc_state_labels[o->inc->state];
	v[2] = b[2];
	v[3] = b[3];
	v[4] = b[4];
	v[5] = b[5];
	v[6] = report_or(o->inc->departments, "未指定");
	v[7] = o->inc->title;
}

/* A department or source, 8 cells. */
static void
report_group_cells(const struct report_group *g, char (*b)[REPORT_CELL],
                   const char **v)
{
	size_t c;

	snprintf(b[1], REPORT_CELL, "%zu", g->opened);
	report_rate_cells(&b[2], &g->rate, "—", "%");
	v[0] = report_or(g->name, "未指定");
	for (c = 1; c < 8; c++)
		v[c] = b[c];
}

static void
report_department_cells(const struct report *r, size_t i,
                        char (*b)[REPORT_CELL], const char **v)
{
	report_group_cells(&r->departments[i], b, v);
}

static void
report_source_cells(const struct report *r, size_t i, char (*b)[REPORT_CELL],
                    const char **v)
{
	report_group_cells(&r->sources[i], b, v);
}

/* Attempts, each outcome, and the failures, into b[0] to b[6]. */
static void
report_channel_counts(char (*b)[REPORT_CELL], const struct report_channel *ch)
{
	snprintf(b[0], REPORT_CELL, "%zu", ch->attempts);
	snprintf(b[1], REPORT_CELL, "%zu", ch->n[REPORT_DLV_SENT]);
	snprintf(b[2], REPORT_CELL, "%zu", ch->n[REPORT_DLV_RETRY]);
	snprintf(b[3], REPORT_CELL, "%zu", ch->n[REPORT_DLV_FAILED]);
	snprintf(b[4], REPORT_CELL, "%zu", ch->n[REPORT_DLV_GIVEN_UP]);
	snprintf(b[5], REPORT_CELL, "%zu", ch->n[REPORT_DLV_SUPERSEDED]);
	snprintf(b[6], REPORT_CELL, "%zu", ch->failures);
}

/* A channel, 10 cells. */
static void
report_channel_cells(const struct report *r, size_t i, char (*b)[REPORT_CELL],
                     const char **v)
{
	const struct report_channel *ch = &r->channels[i];
	size_t c;

	report_channel_counts(&b[1], ch);
	if (r->has_previous) {
		snprintf(b[8], REPORT_CELL, "%zu", ch->prev_failures);
		report_signed(b[9], REPORT_CELL, ch->failures,
		              ch->prev_failures);
	} else {
		snprintf(b[8], REPORT_CELL, "—");
		snprintf(b[9], REPORT_CELL, "—");
	}
	v[0] = report_or(ch->name, "未知");
	for (c = 1; c < 10; c++)
		v[c] = b[c];
}

/* The period, the previous one (empty without) and now in local time,
 * and the zone: the heading of every rendering. */
struct report_stamps {
	char start[32], end[32], prev_start[32], prev_end[32], now[32];
	char zone[16];
};

static void
report_stamps(const struct report *r, struct report_stamps *s)
{
	int off = r->utc_offset_min;

	memset(s, 0, sizeof(*s));
	report_zone(s->zone, sizeof(s->zone), off);
	report_local(s->start, sizeof(s->start), r->period.start, off);
	report_local(s->end, sizeof(s->end), r->period.end, off);
	if (r->has_previous) {
		report_local(s->prev_start, sizeof(s->prev_start),
		             r->previous.start, off);
		report_local(s->prev_end, sizeof(s->prev_end), r->previous.end,
		             off);
	}
	report_local(s->now, sizeof(s->now), r->now, off);
}
/* The tables of the terminal and HTML renderings, in their order */

enum report_sec {
	REPORT_S_COUNTS,
	REPORT_S_MILESTONES,
	REPORT_S_BREACHES,
	REPORT_S_OPEN,
	REPORT_S_DEPARTMENTS,
	REPORT_S_SOURCES,
	REPORT_S_CHANNELS,
	REPORT_S_COUNT
};

/* A table: its heading, the header row, and row i's cells from cells();
 * without rows, "无" in its place unless always. */
struct report_section {
	const char *title;
	int counted; /* the number of rows after the title */
	int always;
	size_t ncols;
	const char *const *head;
	const char *head0; /* NULL: head[0] */
	/* row i into v[], its figures formatted into b[] */
	void (*cells)(const struct report *, size_t, char (*)[REPORT_CELL],
	              const char **);
	const char *align;       /* terminal: 'l' or 'r' a column */
	size_t cap[REPORT_COLS]; /* terminal: column widths; 0: the default */
	unsigned num_th, num_td; /* HTML: bit c, column c right-aligned */
};

static const struct report_section report_sections[REPORT_S_COUNT] = {
    [REPORT_S_COUNTS] = {.title = "一、事件数量（按类别与等级）",
                         .always = 1,
                         .ncols = 4,
                         .head = report_count_head,
                         .cells = report_count_cells,
                         .align = "lrrr",
                         .num_th = 0xeu,
                         .num_td = 0xeu},
    [REPORT_S_MILESTONES] = {.title = "二、节点按时率",
                             .always = 1,
                             .ncols = 12,
                             .head = report_ms_head,
                             .cells = report_ms_cells,
                             .align = "lrrrrrrrrrrr",
                             .num_th = 0xffeu,
                             .num_td = 0xffeu},
    [REPORT_S_BREACHES] = {.title = "三、超时明细",
                           .counted = 1,
                           .ncols = 9,
                           .head = report_breach_head,
                           .cells = report_breach_cells,
                           .align = "rllllllll",
                           .cap = {[8] = REPORT_TITLE_COLUMNS},
                           .num_td = 1u << 6},
    [REPORT_S_OPEN] = {.title = "四、结转未结事件",
                       .counted = 1,
                       .ncols = 8,
                       .head = report_open_head,
                       .cells = report_open_cells,
                       .align = "rlllllll",
                       .cap = {[4] = 40, [7] = REPORT_TITLE_COLUMNS}},
    [REPORT_S_DEPARTMENTS] = {.title = "五、按责任部门",
                              .ncols = 8,
                              .head = report_group_head,
                              .head0 = "部门",
                              .cells = report_department_cells,
                              .align = "lrrrrrrr",
                              .cap = {[0] = 30},
                              .num_th = 0xfeu,
                              .num_td = 0xfeu},
    [REPORT_S_SOURCES] = {.title = "六、按信息来源",
                          .ncols = 8,
                          .head = report_group_head,
                          .head0 = "来源",
                          .cells = report_source_cells,
                          .align = "lrrrrrrr",
                          .cap = {[0] = 30},
                          .num_th = 0xfeu,
                          .num_td = 0xfeu},
    [REPORT_S_CHANNELS] = {.title = "七、消息投递",
                           .ncols = 10,
                           .head = report_channel_head,
                           .cells = report_channel_cells,
                           .align = "lrrrrrrrrr",
                           .num_th = 0x3feu,
                           .num_td = 0x3feu},
};

static size_t
report_section_rows(const struct report *r, enum report_sec k)
{
	switch (k) {
	case REPORT_S_COUNTS:
		return r->ngrades + 1;
	case REPORT_S_MILESTONES:
		return REPORT_MS_ROWS;
	case REPORT_S_BREACHES:
		return r->nbreaches;
	case REPORT_S_OPEN:
		return r->nopen;
	case REPORT_S_DEPARTMENTS:
		return r->ndepartments;
	case REPORT_S_SOURCES:
		return r->nsources;
	default:
		return r->nchannels;
	}
}

/* The section's heading into buf: its title, and its rows if counted. */
static void
report_section_title(char *buf, size_t size, const struct report_section *s,
                     size_t n)
{
	if (s->counted)
		snprintf(buf, size, "%s（%zu）", s->title, n);
	else
		snprintf(buf, size, "%s", s->title);
}

static void
report_section_head(const struct report_section *s, const char **v)
{
	size_t c;

	for (c = 0; c < s->ncols; c++)
		v[c] = s->head[c];
	if (s->head0 != NULL)
		v[0] = s->head0;
}

/* The terminal table */

/* A table built whole, then printed with its columns as wide as their
 * widest cell (up to a cap), CJK characters two columns wide. */
struct report_table {
	size_t ncols, nrows;
	char **cells; /* nrows * ncols, owned */
	int right[REPORT_COLS];
	size_t cap[REPORT_COLS];
	int failed;
};

static void
report_table_init(struct report_table *t, size_t ncols, const char *align)
{
	size_t c;

	memset(t, 0, sizeof(*t));
	t->ncols = ncols;
	for (c = 0; c < ncols; c++) {
		t->right[c] = align[c] == 'r';
		t->cap[c] = 24;
	}
}

static void
report_table_row(struct report_table *t, const char *const *v)
{
	char **cells;
	size_t c;

	if (t->failed)
		return;
	cells = realloc(t->cells, (t->nrows + 1) * t->ncols * sizeof(*cells));
	if (cells == NULL) {
		t->failed = 1;
		return;
	}
	t->cells = cells;
	for (c = 0; c < t->ncols; c++) {
		cells = &t->cells[t->nrows * t->ncols + c];
		*cells = malloc(strlen(v[c]) + 1);
		if (*cells == NULL) {
			t->failed = 1;
			while (c-- > 0)
				free(t->cells[t->nrows * t->ncols + c]);
			return;
		}
		strcpy(*cells, v[c]);
	}
	t->nrows++;
}

/* s in w columns: cut with "..." if wider, padded unless last. */
static void
report_cell(FILE *f, const char *s, size_t w, int right, int last)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t sw = report_width(s), used = 0, n, keep = strlen(s);
	uint32_t cp;
	int cut = sw > w;

	if (cut) {
		keep = 0;
		while (p[keep] != '\0') {
			n = report_utf8(p + keep, &cp);
			if (n == 0 ||
			    used + (size_t)report_cp_width(cp) + 3 > w)
				break;
			used += (size_t)report_cp_width(cp);
			keep += n;
		}
		sw = used + 3;
	}
	if (right)
		fprintf(f, "%*s", (int)(w - sw), "");
	fwrite(s, 1, keep, f);
	if (cut)
		fputs("...", f);
	if (!right && !last)
		fprintf(f, "%*s", (int)(w - sw), "");
}

static int
report_table_print(FILE *f, struct report_table *t)
{
	size_t w[REPORT_COLS], r, c, cw;

	if (t->failed)
		return -1;
	for (c = 0; c < t->ncols; c++) {
		w[c] = 0;
		for (r = 0; r < t->nrows; r++) {
			cw = report_width(t->cells[r * t->ncols + c]);
			if (cw > w[c])
				w[c] = cw;
		}
		if (w[c] > t->cap[c])
			w[c] = t->cap[c];
	}
	for (r = 0; r < t->nrows; r++) {
		fputs("  ", f);
		for (c = 0; c < t->ncols; c++) {
			if (c > 0)
				fputs("  ", f);
			report_cell(f, t->cells[r * t->ncols + c], w[c],
			            t->right[c], c + 1 == t->ncols);
		}
		fputc('\n', f);
	}
	return 0;
}

static void
report_table_free(struct report_table *t)
{
	size_t i;

	for (i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	t->cells = NULL;
	t->nrows = 0;
}

static int
report_table_done(FILE *f, struct report_table *t)
{
	int rc = report_table_print(f, t);

	report_table_free(t);
	return rc;
}

static int
report_text_header(FILE *f, const struct report *r)
{
	struct report_stamps s;

	report_stamps(r, &s);
	fputs("舆情处置时效统计", f);
	if (r->iso_week > 0)
		fprintf(f, "  %04d-W%02d", r->iso_year, r->iso_week);
	fputs("\n", f);
	fprintf(f, "统计周期  %s 至 %s（%s）\n", s.start, s.end, s.zone);
	if (r->has_previous)
		fprintf(f, "对比上期  %s 至 %s\n", s.prev_start, s.prev_end);
	fprintf(f, "数据截至  %s\n", s.now);
	return 0;
}

/* Section k as a terminal table, columns as wide as their cells. */
static int
report_text_section(FILE *f, const struct report *r, enum report_sec k)
{
	const struct report_section *s = &report_sections[k];
	struct report_table t;
	char title[128], b[REPORT_COLS][REPORT_CELL];
	const char *v[REPORT_COLS];
	size_t n = report_section_rows(r, k), i, c;

	report_section_title(title, sizeof(title), s, n);
	fprintf(f, "\n%s\n", title);
	if (n == 0 && !s->always) {
		fputs("  无\n", f);
		return 0;
	}
	report_table_init(&t, s->ncols, s->align);
	for (c = 0; c < s->ncols; c++)
		if (s->cap[c] > 0)
			t.cap[c] = s->cap[c];
	report_section_head(s, v);
	report_table_row(&t, v);
	for (i = 0; i < n; i++) {
		s->cells(r, i, b, v);
		report_table_row(&t, v);
	}
	return report_table_done(f, &t);
}

int
report_write_text(FILE *f, const struct report *r)
{
	int k;

	if (report_text_header(f, r) < 0)
		return -1;
	for (k = 0; k < REPORT_S_COUNT; k++) {
		if (report_text_section(f, r, k) < 0)
			return -1;
		if (k == REPORT_S_COUNTS)
			report_count_note(f, r, "  ", "\n");
		if (k == REPORT_S_MILESTONES)
			fputs(
			    "  按时率 = 按时 / 应计；应计 = 按时 + 逾期完成 + "
			    "逾期未完成；变化为百分点\n",
			    f);
	}
	return ferror(f) ? -1 : 0;
}

/* Summary (the mail's text part and the robot's message) */

void
report_label(const struct report *r, char *buf, size_t size)
{
	char a[32], b[32];

	report_local(a, sizeof(a), r->period.start, r->utc_offset_min);
	report_local(b, sizeof(b), r->period.end - 1, r->utc_offset_min);
	a[10] = b[10] = '\0'; /* the days, inclusive */
	if (r->iso_week > 0)
		snprintf(buf, size, "%04d-W%02d（%s 至 %s）", r->iso_year,
		         r->iso_week, a, b);
	else
		snprintf(buf, size, "%s 至 %s", a, b);
}

int
report_write_summary(FILE *f, const struct report *r)
{
	char pct[32], prev[32], late[64];
	size_t i, unanswered = 0;
	int64_t worst = -1;

	report_count_note(f, r, "", "。\n");
	report_pct(pct, sizeof(pct), r->total.permille, "—", "%");
	fprintf(f,
	        "按时率 %s（应计 %zu，按时 %zu，逾期完成 %zu，逾期未完成 %zu",
	        pct, r->total.counted, r->total.on_time, r->total.met_late,
	        r->total.unanswered);
	if (r->has_previous) {
		report_pct(prev, sizeof(prev), r->prev_total.permille, "—",
		           "%");
		fprintf(f, "；上期 %s", prev);
	}
	fputs("）。\n", f);
	for (i = 0; i < r->nbreaches; i++) {
		if (r->breaches[i].met_at == 0)
			unanswered++;
		if (r->breaches[i].late > worst)
			worst = r->breaches[i].late;
	}
	if (r->nbreaches > 0) {
		report_dur(late, sizeof(late), worst);
		fprintf(
		    f,
		    "超时 %zu 个节点（其中仍未回应 %zu 个），最长超时 %s。\n",
		    r->nbreaches, unanswered, late);
	} else {
		fputs("无超时节点。\n", f);
	}
	fprintf(f, "结转未结事件 %zu 起。", r->nopen);
	return ferror(f) ? -1 : 0;
}

/* CSV */

/* One cell: quoted if it holds a comma, quote, line break or edge blank;
 * a data cell (guard) starting with = + - @ gets a ' first. */
static void
report_csv_cell(FILE *f, const char *s, int first, int guard)
{
	size_t n = strlen(s);
	int quote = strpbrk(s, ",\"\r\n") != NULL ||
	            (n > 0 && (s[0] == ' ' || s[n - 1] == ' '));

	if (!first)
		fputc(',', f);
	if (quote)
		fputc('"', f);
	if (guard && strchr("=+-@", s[0]) != NULL && s[0] != '\0')
		fputc('\'', f);
	for (; *s != '\0'; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	if (quote)
		fputc('"', f);
}

/* A row; bit c of guard marks cell c as data. */
static void
report_csv_row(FILE *f, const char *const *v, size_t n, unsigned guard)
{
	size_t c;

	for (c = 0; c < n; c++)
		report_csv_cell(f, v[c], c == 0, (guard >> c) & 1);
	fputs("\r\n", f);
}

/* Whole minutes, empty for none; buf holds REPORT_CELL bytes. */
static void
report_csv_min(char *buf, int64_t ms)
{
	if (ms < 0)
		buf[0] = '\0';
	else
		snprintf(buf, REPORT_CELL, "%" PRId64, ms / REPORT_MIN);
}

static void
report_csv_summary(FILE *f, const struct report *r)
{
	static const char *const head[] = {
	    "section",         "period_start", "period_end",
	    "previous_start",  "previous_end", "now",
	    "utc_offset_min",  "iso_week",     "opened",
	    "previous_opened", "dismissed"};
	struct report_stamps s;
	char b[11][REPORT_CELL];
	const char *v[11];
	size_t c;

	report_csv_row(f, head, 11, 0);
	report_stamps(r, &s);
	for (c = 0; c < 11; c++)
		v[c] = b[c];
	v[0] = "summary";
	v[1] = s.start;
	v[2] = s.end;
	v[3] = s.prev_start;
	v[4] = s.prev_end;
	v[5] = s.now;
	snprintf(b[6], REPORT_CELL, "%d", r->utc_offset_min);
	b[7][0] = b[9][0] = '\0';
	if (r->iso_week > 0)
		snprintf(b[7], REPORT_CELL, "%04d-W%02d", r->iso_year,
		         r->iso_week);
	snprintf(b[8], REPORT_CELL, "%zu", r->opened);
	if (r->has_previous)
		snprintf(b[9], REPORT_CELL, "%zu", r->prev_opened);
	snprintf(b[10], REPORT_CELL, "%zu", r->dismissed);
	report_csv_row(f, v, 11, 0);
}

static void
report_csv_milestones(FILE *f, const struct report *r)
{
	static const char *const head[] = {
	    "section",       "milestone",  "counted",    "on_time",
	    "met_late",      "unanswered", "not_due",    "on_time_rate",
	    "previous_rate", "change",     "median_min", "p90_min",
	    "worst_min"};
	struct report_ms_line m;
	char b[13][REPORT_CELL];
	const char *v[13];
	size_t k, c;
	int prev;

	report_csv_row(f, head, 13, 0);
	for (k = 0; k < REPORT_MS_ROWS; k++) {
		report_ms_line(r, k, &m);
		prev = m.pv != NULL ? m.pv->permille : -1;
		snprintf(b[0], REPORT_CELL, "milestones");
		snprintf(b[1], REPORT_CELL, "%s%s", m.prefix, m.name);
		report_rate_cells(&b[2], m.rt, "", "");
		report_pct(b[8], REPORT_CELL, prev, "", "");
		report_change(b[9], REPORT_CELL, m.rt->permille, prev, "");
		report_csv_min(b[10], m.tm != NULL ? m.tm->median : -1);
		report_csv_min(b[11], m.tm != NULL ? m.tm->p90 : -1);
		report_csv_min(b[12], m.tm != NULL ? m.tm->worst : -1);
		for (c = 0; c < 13; c++)
			v[c] = b[c];
		report_csv_row(f, v, 13, 0);
	}
}

static void
report_csv_groups(FILE *f, const char *section, const char *key,
                  const struct report_group *g, size_t n)
{
	char b[9][REPORT_CELL];
	const char *v[9] = {"section",    "",        "opened",
	                    "counted",    "on_time", "met_late",
	                    "unanswered", "not_due", "on_time_rate"};
	size_t i, c;

	v[1] = key;
	report_csv_row(f, v, 9, 0);
	for (i = 0; i < n; i++) {
		snprintf(b[2], REPORT_CELL, "%zu", g[i].opened);
		report_rate_cells(&b[3], &g[i].rate, "", "");
		v[0] = section;
		v[1] = g[i].name;
		for (c = 2; c < 9; c++)
			v[c] = b[c];
		report_csv_row(f, v, 9, 1u << 1);
	}
}

static void
report_csv_grades(FILE *f, const struct report *r)
{
	static const char *const head[] = {"section", "grade", "major",
	                                   "ordinary", "total"};
	char b[5][REPORT_CELL];
	const char *v[5];
	size_t i;

	report_csv_row(f, head, 5, 0);
	for (i = 0; i < r->ngrades; i++) {
		report_count_cells(r, i, &b[1], &v[1]);
		v[0] = "grades";
		v[1] = r->grades[i].grade;
		report_csv_row(f, v, 5, 1u << 1);
	}
}

static void
report_csv_breaches(FILE *f, const struct report *r)
{
	static const char *const head[] = {
	    "section", "incident", "milestone",   "class",  "grade", "due",
	    "met_at",  "late_min", "departments", "source", "title"};
	char b[11][REPORT_CELL];
	const char *v[11];
	size_t i;

	report_csv_row(f, head, 11, 0);
	for (i = 0; i < r->nbreaches; i++) {
		const struct report_breach *x = &r->breaches[i];

		snprintf(b[1], REPORT_CELL, "%" PRIu64, x->inc->id);
		report_local(b[5], REPORT_CELL, x->due, r->utc_offset_min);
		b[6][0] = '\0';
		if (x->met_at > 0)
			report_local(b[6], REPORT_CELL, x->met_at,
			             r->utc_offset_min);
		report_csv_min(b[7], x->late);
		v[0] = "breaches";
		v[1] = b[1];
		v[2] = report_ms_names[x->milestone];
		v[3] = report_class_names[x->inc->cls];
		v[4] = x->inc->grade;
		v[5] = b[5];
		v[6] = b[6];
		v[7] = b[7];
		v[8] = x->inc->departments;
		v[9] = x->inc->source;
		v[10] = x->inc->title;
		report_csv_row(f, v, 11,
		               1u << 4 | 1u << 8 | 1u << 9 | 1u << 10);
	}
}

static void
report_csv_open(FILE *f, const struct report *r)
{
	static const char *const head[] = {
	    "section",  "incident",    "state",    "class",
	    "grade",    "opened_at",   "open_min", "overdue",
	    "next_due", "departments", "source",   "title"};
	char b[12][REPORT_CELL];
	const char *v[12];
	size_t i, c;

	report_csv_row(f, head, 12, 0);
	for (i = 0; i < r->nopen; i++) {
		const struct report_open *o = &r->open[i];

		snprintf(b[1], REPORT_CELL, "%" PRIu64, o->inc->id);
		report_local(b[5], REPORT_CELL, o->inc->opened_at,
		             r->utc_offset_min);
		report_csv_min(b[6], r->now > o->inc->opened_at
		                         ? r->now - o->inc->opened_at
		                         : 0);
		report_overdue(b[7], REPORT_CELL, o->overdue, ";", 0);
		b[8][0] = '\0';
		if (o->next_due > 0)
			report_local(b[8], REPORT_CELL, o->next_due,
			             r->utc_offset_min);
		v[0] = "carried_over";
		v[1] = b[1];
		v[2] = report_inc_state_names[o->inc->state];
		v[3] = report_class_names[o->inc->cls];
		v[4] = o->inc->grade;
		for (c = 5; c < 9; c++)
			v[c] = b[c];
		v[9] = o->inc->departments;
		v[10] = o->inc->source;
		v[11] = o->inc->title;
		report_csv_row(f, v, 12,
		               1u << 4 | 1u << 9 | 1u << 10 | 1u << 11);
	}
}

static void
report_csv_channels(FILE *f, const struct report *r)
{
	static const char *const head[] = {
	    "section",  "channel",          "attempts", "sent",
	    "retry",    "failed",           "given_up", "superseded",
	    "failures", "previous_failures"};
	char b[10][REPORT_CELL];
	const char *v[10];
	size_t i, c;

	report_csv_row(f, head, 10, 0);
	for (i = 0; i < r->nchannels; i++) {
		const struct report_channel *ch = &r->channels[i];

		report_channel_counts(&b[2], ch);
		b[9][0] = '\0';
		if (r->has_previous)
			snprintf(b[9], REPORT_CELL, "%zu", ch->prev_failures);
		v[0] = "deliveries";
		v[1] = ch->name;
		for (c = 2; c < 10; c++)
			v[c] = b[c];
		report_csv_row(f, v, 10, 1u << 1);
	}
}

/* Each section with its own header row, a blank line between. */
int
report_write_csv(FILE *f, const struct report *r)
{
	report_csv_summary(f, r);
	fputs("\r\n", f);
	report_csv_grades(f, r);
	fputs("\r\n", f);
	report_csv_milestones(f, r);
	fputs("\r\n", f);
	report_csv_groups(f, "departments", "department", r->departments,
	                  r->ndepartments);
	fputs("\r\n", f);
	report_csv_groups(f, "sources", "source", r->sources, r->nsources);
	fputs("\r\n", f);
	report_csv_breaches(f, r);
	fputs("\r\n", f);
	report_csv_open(f, r);
	fputs("\r\n", f);
	report_csv_channels(f, r);
	return ferror(f) ? -1 : 0;
}

/* JSON */

/* Set key to v (stolen) in o, counting failures in *bad. */
static void
report_jset(json_t *o, const char *key, json_t *v, int *bad)
{
	if (json_object_set_new(o, key, v) < 0)
		*bad = 1;
}

static void
report_jpush(json_t *a, json_t *v, int *bad)
{
	if (json_array_append_new(a, v) < 0)
		*bad = 1;
}

static json_t *
report_jsize(size_t n)
{
	return json_integer((json_int_t)n);
}

static json_t *
report_jpct(int permille)
{
	return permille < 0 ? json_null() : json_real(permille / 10.0);
}

static json_t *
report_jlocal(int64_t ms, int off)
{
	char buf[32];

	report_local(buf, sizeof(buf), ms, off);
	return json_string(buf);
}

static json_t *
report_jperiod(const struct report_period *p, int off, int *bad)
{
	json_t *o = json_object();

	report_jset(o, "start", json_integer(p->start), bad);
	report_jset(o, "end", json_integer(p->end), bad);
	report_jset(o, "start_local", report_jlocal(p->start, off), bad);
	report_jset(o, "end_local", report_jlocal(p->end, off), bad);
	return o;
}

static void
report_jrate(json_t *o, const struct report_rate *rt, int *bad)
{
	report_jset(o, "counted", report_jsize(rt->counted), bad);
	report_jset(o, "on_time", report_jsize(rt->on_time), bad);
	report_jset(o, "met_late", report_jsize(rt->met_late), bad);
	report_jset(o, "unanswered", report_jsize(rt->unanswered), bad);
	report_jset(o, "not_due", report_jsize(rt->not_due), bad);
	report_jset(o, "on_time_rate", report_jpct(rt->permille), bad);
}

static json_t *
report_jrate_obj(const struct report_rate *rt, int *bad)
{
	json_t *o = json_object();

	report_jrate(o, rt, bad);
	return o;
}

/* The rate, and with a previous one its rate and the change. */
static json_t *
report_jtrend(const struct report *r, const struct report_rate *rt,
              const struct report_rate *pv, int *bad)
{
	json_t *o = report_jrate_obj(rt, bad);

	if (r->has_previous && pv != NULL) {
		report_jset(o, "previous", report_jrate_obj(pv, bad), bad);
		report_jset(
		    o, "change",
		    rt->permille < 0 || pv->permille < 0
		        ? json_null()
		        : json_real((rt->permille - pv->permille) / 10.0),
		    bad);
	} else {
		report_jset(o, "previous", json_null(), bad);
		report_jset(o, "change", json_null(), bad);
	}
	return o;
}

static json_t *
report_jtime(int64_t ms)
{
	return ms < 0 ? json_null() : json_integer(ms);
}

static json_t *
report_jid(uint64_t id)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%" PRIu64, id);
	return json_string(buf);
}

static void
report_jinc(json_t *o, const struct report_info *inc, int *bad)
{
	report_jset(o, "incident", report_jid(inc->id), bad);
	report_jset(o, "class", json_string(report_class_names[inc->cls]), bad);
	report_jset(o, "grade", json_string(inc->grade), bad);
	report_jset(o, "title", json_string(inc->title), bad);
	report_jset(o, "departments", json_string(inc->departments), bad);
	report_jset(o, "source", json_string(inc->source), bad);
}

static json_t *
report_jgroups(const char *key, const struct report_group *g, size_t n,
               int *bad)
{
	json_t *a = json_array(), *o;
	size_t i;

	for (i = 0; i < n; i++) {
		o = json_object();
		report_jset(o, key, json_string(g[i].name), bad);
		report_jset(o, "opened", report_jsize(g[i].opened), bad);
		report_jrate(o, &g[i].rate, bad);
		report_jpush(a, o, bad);
	}
	return a;
}

static json_t *
report_jincidents(const struct report *r, int *bad)
{
	json_t *o = json_object(), *a = json_array(), *g;
	size_t i;

	report_jset(o, "opened", report_jsize(r->opened), bad);
	report_jset(o, "dismissed", report_jsize(r->dismissed), bad);
	report_jset(
	    o, "previous_opened",
	    r->has_previous ? report_jsize(r->prev_opened) : json_null(), bad);
	report_jset(o, "major", report_jsize(r->by_class[REPORT_CLASS_MAJOR]),
	            bad);
	report_jset(o, "ordinary",
	            report_jsize(r->by_class[REPORT_CLASS_ORDINARY]), bad);
	for (i = 0; i < r->ngrades; i++) {
		const struct report_grade_row *gr = &r->grades[i];

		g = json_object();
		report_jset(g, "grade", json_string(gr->grade), bad);
		report_jset(g, "major", report_jsize(gr->n[REPORT_CLASS_MAJOR]),
		            bad);
		report_jset(g, "ordinary",
		            report_jsize(gr->n[REPORT_CLASS_ORDINARY]), bad);
		report_jset(g, "total",
		            report_jsize(gr->n[REPORT_CLASS_MAJOR] +
		                         gr->n[REPORT_CLASS_ORDINARY]),
		            bad);
		report_jpush(a, g, bad);
	}
	report_jset(o, "by_grade", a, bad);
	return o;
}

static json_t *
report_jmilestones(const struct report *r, int *bad)
{
	json_t *a = json_array(), *o, *t;
	size_t k;

	for (k = 0; k < REPORT_MS_COUNT; k++) {
		const struct report_times *tm = &r->ms[k].times;

		o = report_jtrend(r, &r->ms[k].rate, &r->ms[k].prev, bad);
		report_jset(o, "milestone", json_string(report_ms_names[k]),
		            bad);
		t = json_object();
		report_jset(t, "n", report_jsize(tm->n), bad);
		report_jset(t, "median_ms", report_jtime(tm->median), bad);
		report_jset(t, "p90_ms", report_jtime(tm->p90), bad);
		report_jset(t, "worst_ms", report_jtime(tm->worst), bad);
		report_jset(o, "time_to_met", t, bad);
		report_jpush(a, o, bad);
	}
	return a;
}

static json_t *
report_jbreaches(const struct report *r, int *bad)
{
	json_t *a = json_array(), *o;
	size_t i;

	for (i = 0; i < r->nbreaches; i++) {
		const struct report_breach *x = &r->breaches[i];

		o = json_object();
		report_jinc(o, x->inc, bad);
		report_jset(o, "milestone",
		            json_string(report_ms_names[x->milestone]), bad);
		report_jset(o, "start", json_integer(x->start), bad);
		report_jset(o, "due", json_integer(x->due), bad);
		report_jset(
		    o, "met_at",
		    x->met_at > 0 ? json_integer(x->met_at) : json_null(), bad);
		report_jset(o, "unanswered", json_boolean(x->met_at <= 0), bad);
		report_jset(o, "late_ms", json_integer(x->late), bad);
		report_jpush(a, o, bad);
	}
	return a;
}

static json_t *
report_jopen(const struct report *r, int *bad)
{
	json_t *a = json_array(), *o, *ov;
	size_t i, k;

	for (i = 0; i < r->nopen; i++) {
		const struct report_open *x = &r->open[i];

		o = json_object();
		report_jinc(o, x->inc, bad);
		report_jset(o, "state",
		            json_string(report_inc_state_names[x->inc->state]),
		            bad);
		report_jset(o, "opened_at", json_integer(x->inc->opened_at),
		            bad);
		report_jset(o, "open_ms",
		            json_integer(r->now > x->inc->opened_at
		                             ? r->now - x->inc->opened_at
		                             : 0),
		            bad);
		ov = json_array();
		for (k = 0; k < REPORT_MS_COUNT; k++)
			if (x->overdue & (1u << k))
				report_jpush(
				    ov, json_string(report_ms_names[k]), bad);
		report_jset(o, "overdue", ov, bad);
		report_jset(o, "next_due",
		            x->next_due > 0 ? json_integer(x->next_due)
		                            : json_null(),
		            bad);
		report_jpush(a, o, bad);
	}
	return a;
}

static json_t *
report_jchannels(const struct report *r, int *bad)
{
	json_t *a = json_array(), *o;
	size_t i, k;

	for (i = 0; i < r->nchannels; i++) {
		const struct report_channel *ch = &r->channels[i];

		o = json_object();
		report_jset(o, "channel", json_string(ch->name), bad);
		report_jset(o, "attempts", report_jsize(ch->attempts), bad);
		for (k = 0; k < REPORT_DLV_COUNT; k++)
			report_jset(o, report_dlv_names[k],
			            report_jsize(ch->n[k]), bad);
		report_jset(o, "failures", report_jsize(ch->failures), bad);
		report_jset(o, "previous_failures",
		            r->has_previous ? report_jsize(ch->prev_failures)
		                            : json_null(),
		            bad);
		report_jpush(a, o, bad);
	}
	return a;
}

int
report_write_json(FILE *f, const struct report *r)
{
	json_t *root = json_object(), *p, *classes, *o;
	char buf[32];
	int bad = 0, rc = -1;
	size_t k;

	p = report_jperiod(&r->period, r->utc_offset_min, &bad);
	snprintf(buf, sizeof(buf), "%04d-W%02d", r->iso_year, r->iso_week);
	report_jset(p, "iso_week",
	            r->iso_week > 0 ? json_string(buf) : json_null(), &bad);
	report_jset(root, "period", p, &bad);
	report_jset(root, "previous",
	            r->has_previous
	                ? report_jperiod(&r->previous, r->utc_offset_min, &bad)
	                : json_null(),
	            &bad);
	report_jset(root, "now", json_integer(r->now), &bad);
	report_jset(root, "now_local", report_jlocal(r->now, r->utc_offset_min),
	            &bad);
	report_jset(root, "utc_offset_min", json_integer(r->utc_offset_min),
	            &bad);
	report_jset(root, "incidents", report_jincidents(r, &bad), &bad);
	report_jset(root, "milestones", report_jmilestones(r, &bad), &bad);
	report_jset(root, "total",
	            report_jtrend(r, &r->total, &r->prev_total, &bad), &bad);
	classes = json_array();
	for (k = REPORT_CLASS_COUNT; k-- > 0;) {
		o = report_jrate_obj(&r->class_rate[k], &bad);
		report_jset(o, "class", json_string(report_class_names[k]),
		            &bad);
		report_jpush(classes, o, &bad);
	}
	report_jset(root, "classes", classes, &bad);
	report_jset(
	    root, "departments",
	    report_jgroups("department", r->departments, r->ndepartments, &bad),
	    &bad);
	report_jset(root, "sources",
	            report_jgroups("source", r->sources, r->nsources, &bad),
	            &bad);
	report_jset(root, "breaches", report_jbreaches(r, &bad), &bad);
	report_jset(root, "carried_over", report_jopen(r, &bad), &bad);
	report_jset(root, "deliveries", report_jchannels(r, &bad), &bad);
	if (!bad && json_dumpf(root, f,
	                       JSON_SORT_KEYS | JSON_INDENT(2) |
	                           JSON_REAL_PRECISION(4)) == 0) {
		fputc('\n', f);
		rc = ferror(f) ? -1 : 0;
	}
	json_decref(root);
	return rc;
}

/* HTML */

static void
report_html_esc(FILE *f, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&#39;", f);
			break;
		default:
			fputc(*s, f);
		}
	}
}

/* A table row of cells; cells in num are right-aligned figures. */
static void
report_html_row(FILE *f, const char *tag, const char *const *v, size_t n,
                unsigned num)
{
	size_t c;

	fputs("<tr>", f);
	for (c = 0; c < n; c++) {
		fprintf(f, "<%s%s>", tag, (num >> c) & 1 ? " class=\"n\"" : "");
		report_html_esc(f, v[c]);
		fprintf(f, "</%s>", tag);
	}
	fputs("</tr>\n", f);
}

static const char report_css[] =
    "body{font-family:\"Noto Sans CJK SC\",\"Source Han Sans SC\","
    "\"Microsoft YaHei\",\"PingFang SC\",sans-serif;margin:2em;color:#222;"
    "font-size:14px}\n"
    "h1{font-size:22px;margin:0 0 .3em}h2{font-size:17px;margin:1.6em 0 "
    ".5em;border-bottom:1px solid #999}\n"
    "table{border-collapse:collapse;margin:.3em 0}th,td{border:1px solid "
    "#bbb;padding:3px 7px;text-align:left;vertical-align:top}\n"
    "th{background:#eee}td.n,th.n{text-align:right;white-space:nowrap}\n"
    ".meta{color:#555}.note{color:#555;font-size:12px}svg{display:block;"
    "margin:.5em 0}\n"
    "@media print{body{margin:0;font-size:11px}h2{break-after:avoid}"
    "tr{break-inside:avoid}}\n"
    "@page{size:A4;margin:15mm}\n";

static void
report_html_head(FILE *f, const struct report *r)
{
	struct report_stamps s;
	char w[32] = "";

	if (r->iso_week > 0)
		snprintf(w, sizeof(w), " %04d-W%02d", r->iso_year, r->iso_week);
	fputs("<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n"
	      "<meta charset=\"utf-8\">\n"
	      "<meta http-equiv=\"Content-Security-Policy\" "
	      "content=\"default-src 'none'; style-src 'unsafe-inline'\">\n",
	      f);
	fprintf(f,
	        "<title>舆情处置时效统计%s</title>\n<style>\n%s</style>\n"
	        "</head>\n<body>\n<h1>舆情处置时效统计%s</h1>\n",
	        w, report_css, w);
	report_stamps(r, &s);
	fprintf(f, "<p class=\"meta\">统计周期 %s 至 %s（%s）", s.start, s.end,
	        s.zone);
	if (r->has_previous)
		fprintf(f, "<br>对比上期 %s 至 %s", s.prev_start, s.prev_end);
	fprintf(f, "<br>数据截至 %s</p>\n", s.now);
}

/* Horizontal bars: label, value (0..max) and its text; integer
 * coordinates only. */
struct report_bar {
	const char *label;
	long value; /* < 0: no bar */
	char text[32];
};

static void
report_svg_bars(FILE *f, const char *title, const struct report_bar *b,
                size_t n, long max, const char *color)
{
	const int lw = 190, bw = 380, bh = 20, gap = 8, top = 26;
	int h = top + (int)n * (bh + gap) + 4, y;
	size_t i;
	long w;

	fprintf(f,
	        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
	        "height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" "
	        "aria-label=\"",
	        lw + bw + 80, h, lw + bw + 80, h);
	report_html_esc(f, title);
	fputs("\" font-size=\"13\">\n<text x=\"0\" y=\"16\" "
	      "font-weight=\"bold\">",
	      f);
	report_html_esc(f, title);
	fputs("</text>\n", f);
	for (i = 0; i < n; i++) {
		y = top + (int)i * (bh + gap);
		w = b[i].value > 0 && max > 0 ? b[i].value * bw / max : 0;
		fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">",
		        lw - 8, y + 15);
		report_html_esc(f, b[i].label);
		fprintf(f,
		        "</text>\n<rect x=\"%d\" y=\"%d\" width=\"%d\" "
		        "height=\"%d\" fill=\"#eee\"/>\n",
		        lw, y, bw, bh);
		if (w > 0)
			fprintf(f,
			        "<rect x=\"%d\" y=\"%d\" width=\"%ld\" "
			        "height=\"%d\" fill=\"%s\"/>\n",
			        lw, y, w, bh, color);
		fprintf(f, "<text x=\"%d\" y=\"%d\">", lw + bw + 6, y + 15);
		report_html_esc(f, b[i].text);
		fputs("</text>\n", f);
	}
	fputs("</svg>\n", f);
}

/* A label cut to about cols terminal columns, for chart labels. */
static void
report_short(char *buf, size_t size, const char *s, size_t cols)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t used = 0, len = 0, n;
	uint32_t cp;

	while (p[len] != '\0') {
		n = report_utf8(p + len, &cp);
		if (n == 0 || used + (size_t)report_cp_width(cp) > cols ||
		    len + n + 4 > size)
			break;
		used += (size_t)report_cp_width(cp);
		len += n;
	}
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (p[len] != '\0')
		memcpy(buf + len, "…", sizeof("…"));
}

static int
report_cmp_breachcount(const void *a, const void *b)
{
	const struct report_group *x = *(const struct report_group *const *)a;
	const struct report_group *y = *(const struct report_group *const *)b;
	size_t bx = x->rate.met_late + x->rate.unanswered;
	size_t by = y->rate.met_late + y->rate.unanswered;

	if (bx != by)
		return bx < by ? 1 : -1;
	return strcmp(x->name, y->name);
}

static int
report_html_charts(FILE *f, const struct report *r)
{
	struct report_bar bars[REPORT_CHART_DEPARTMENTS + REPORT_MS_COUNT + 1];
	char labels[REPORT_CHART_DEPARTMENTS][96];
	const struct report_group **g;
	size_t k, n = 0;
	long max = 0;

	for (k = 0; k <= REPORT_MS_COUNT; k++) {
		const struct report_rate *rt =
		    k < REPORT_MS_COUNT ? &r->ms[k].rate : &r->total;

		bars[k].label =
		    k < REPORT_MS_COUNT ? report_ms_labels[k] : "合计";
		bars[k].value = rt->permille;
		report_pct(bars[k].text, sizeof(bars[k].text), rt->permille,
		           "—", "%");
	}
	report_svg_bars(f, "按时率", bars, REPORT_MS_COUNT + 1, 1000,
	                "#2e7d32");

	g = calloc(r->ndepartments + 1, sizeof(*g));
	if (g == NULL)
		return -1;
	for (k = 0; k < r->ndepartments; k++)
		if (r->departments[k].rate.met_late +
		        r->departments[k].rate.unanswered >
		    0)
			g[n++] = &r->departments[k];
	qsort(g, n, sizeof(*g), report_cmp_breachcount);
	if (n > REPORT_CHART_DEPARTMENTS)
		n = REPORT_CHART_DEPARTMENTS;
	for (k = 0; k < n; k++) {
		size_t v = g[k]->rate.met_late + g[k]->rate.unanswered;

		report_short(labels[k], sizeof(labels[k]),
		             report_or(g[k]->name, "未指定"), 24);
		bars[k].label = labels[k];
		bars[k].value = (long)v;
		snprintf(bars[k].text, sizeof(bars[k].text), "%zu", v);
		if ((long)v > max)
			max = (long)v;
	}
	if (n > 0)
		report_svg_bars(f, "各部门超时（逾期完成 + 逾期未完成）", bars,
		                n, max, "#c62828");
	else
		fputs("<p class=\"note\">本期各部门无超时。</p>\n", f);
	free(g);
	return 0;
}

/* Section k as an HTML table. */
static void
report_html_section(FILE *f, const struct report *r, enum report_sec k)
{
	const struct report_section *s = &report_sections[k];
	char title[128], b[REPORT_COLS][REPORT_CELL];
	const char *v[REPORT_COLS];
	size_t n = report_section_rows(r, k), i;

	report_section_title(title, sizeof(title), s, n);
	fprintf(f, "<h2>%s</h2>\n", title);
	if (n == 0 && !s->always) {
		fputs("<p>无</p>\n", f);
		return;
	}
	fputs("<table>\n", f);
	report_section_head(s, v);
	report_html_row(f, "th", v, s->ncols, s->num_th);
	for (i = 0; i < n; i++) {
		s->cells(r, i, b, v);
		report_html_row(f, "td", v, s->ncols, s->num_td);
	}
	fputs("</table>\n", f);
}

int
report_write_html(FILE *f, const struct report *r)
{
	int k;

	report_html_head(f, r);
	for (k = 0; k < REPORT_S_COUNT; k++) {
		report_html_section(f, r, k);
		if (k == REPORT_S_COUNTS)
			report_count_note(f, r, "<p>", "。</p>\n");
		if (k != REPORT_S_MILESTONES)
			continue;
		fputs("<p class=\"note\">按时率 = 按时 / 应计；应计 = 按时 + "
		      "逾期完成 + 逾期未完成（截止时间已过仍未完成的计入）；"
		      "变化为百分点；用时自首次发现起算，中位与P90取最近秩。"
		      "</p>\n",
		      f);
		if (report_html_charts(f, r) < 0)
			return -1;
	}
	fputs("</body>\n</html>\n", f);
	return ferror(f) ? -1 : 0;
}
