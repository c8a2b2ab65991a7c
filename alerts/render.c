/*
 * render.c: alert texts from templates.  A template is UTF-8 text with
 * {name} placeholders (the names config.c accepts); "{{" and "}}" stand
 * for literal braces.  Values are borrowed from a struct render_vars,
 * keys (class, milestone, stage) become their Chinese display names and
 * times are shown in the caller's fixed UTC offset.  Pure: no I/O, no
 * clock, no globals; every buffer is the caller's.
 */
#include <inttypes.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "alerts/alerts.h"

#define RENDER_MS_MINUTE INT64_C(60000)
#define RENDER_MS_DAY    INT64_C(86400000)
#define RENDER_ELLIPSIS  "\xe2\x80\xa6" /* U+2026 */
#define NELEM(a)         (sizeof(a) / sizeof((a)[0]))

enum render_name {
	R_TITLE,
	R_CLASS,
	R_GRADE,
	R_CATEGORY,
	R_MILESTONE,
	R_STAGE,
	R_DUE,
	R_TIME_LEFT,
	R_OVERDUE,
	R_DEPARTMENTS,
	R_LINK,
	R_ACK_LINK,
	R_INCIDENT,
	R_SOURCE,
	R_ITEMS,
	R_SUMMARY,
	R_FEED,
	R_ERROR,
	R_SINCE,
	R_PERIOD,
	R_COUNT
};

/* Indexed by enum render_name; the same list as config.c checks. */
static const char *const render_names[R_COUNT] = {
    "title",   "class",    "grade",     "category", "milestone",
    "stage",   "due",      "time_left", "overdue",  "departments",
    "link",    "ack_link", "incident",  "source",   "items",
    "summary", "feed",     "error",     "since",    "period",
};

/* Keys and how they are shown. */
struct render_key {
	const char *key, *shown;
};

static const struct render_key render_classes[] = {
    {"major", "重大"},
    {"ordinary", "一般"},
};

static const struct render_key render_milestones[] = {
    {"release", "5小时权威发布"},
    {"presser", "24小时新闻发布会"},
    {"response", "48小时回应"},
};

/* The output buffer: always NUL-terminated; once an append does not fit,
 * it is cut at a character boundary and later appends are dropped. */
struct render_out {
	char *buf;
	size_t size; /* > 0 */
	size_t len;
	int full;
};

/* How {title} is shown: its first title_len bytes, then "…" if cut. */
struct render_ctx {
	const struct render_vars *v;
	const char *title;
	size_t title_len;
	int title_cut;
};

static void
render_put(struct render_out *o, const char *s, size_t n)
{
	size_t room, i = 0, next;

	if (o->full || n == 0)
		return;
	room = o->size - 1 - o->len;
	if (n > room) {
		while (i < n) {
			next = i;
			text_utf8_next(s, n, &next);
			if (next > room)
				break;
			i = next;
		}
		n = i;
		o->full = 1;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

static void
render_puts(struct render_out *o, const char *s)
{
	if (s != NULL)
		render_put(o, s, strlen(s));
}

static void
render_putf(struct render_out *o, const char *fmt, long long n)
{
	char num[32];
	int k;

	k = snprintf(num, sizeof(num), fmt, n);
	if (k > 0 && (size_t)k < sizeof(num))
		render_put(o, num, (size_t)k);
}

/* The shown name of key in table (n entries), or key itself when it is
 * not listed. */
static const char *
render_lookup(const struct render_key *table, size_t n, const char *key)
{
	size_t i;

	if (key == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		if (strcmp(table[i].key, key) == 0)
			return table[i].shown;
	return key;
}

static void
render_id(struct render_out *o, uint64_t id)
{
	char num[32];
	int k;

	k = snprintf(num, sizeof(num), "%" PRIu64, id);
	if (k > 0 && (size_t)k < sizeof(num))
		render_put(o, num, (size_t)k);
}

/*
 * A duration of whole minutes in Chinese: "45分钟", "1小时", "1小时20分",
 * "2天", "2天3小时".  Past a day the minutes are left out, unless exact
 * (a configured warning such as 1d30m is shown in full).
 */
static void
render_minutes(struct render_out *o, int64_t min, int exact)
{
	int64_t d = min / 1440, h = min / 60 % 24, m = min % 60;

	if (d > 0)
		render_putf(o, "%lld天", (long long)d);
	if (h > 0)
		render_putf(o, "%lld小时", (long long)h);
	if (m > 0 && (d == 0 || exact))
		render_putf(o, d == 0 && h == 0 ? "%lld分钟" : "%lld分",
		            (long long)m);
	if (min == 0)
		render_puts(o, "0分钟");
}

/* A span of ms (>= 0) rounded down to minutes; under one is "不足1分钟". */
static void
render_span(struct render_out *o, int64_t ms)
{
	if (ms < RENDER_MS_MINUTE)
		render_puts(o, "不足1分钟");
	else
		render_minutes(o, ms / RENDER_MS_MINUTE, 0);
}

/* Local "11月27日 12:40" for epoch ms t at offset_min east of UTC. */
static void
render_time(struct render_out *o, int64_t t, int offset_min)
{
	int64_t local, days, ms, y;
	int mon, mday;
	char s[64];
	int k;

	if (t == 0)
		return;
	local = t + (int64_t)offset_min * RENDER_MS_MINUTE;
	days = local / RENDER_MS_DAY;
	ms = local % RENDER_MS_DAY;
	if (ms < 0) {
		days--;
		ms += RENDER_MS_DAY;
	}
	sign_civil(days, &y, &mon, &mday);
	k = snprintf(s, sizeof(s), "%d月%d日 %02d:%02d", mon, mday,
	             (int)(ms / 3600000), (int)(ms / RENDER_MS_MINUTE % 60));
	if (k > 0 && (size_t)k < sizeof(s))
		render_put(o, s, (size_t)k);
}

/* A config duration as written by config_duration_format ("2h",
 * "1h30m", "1d") in ms; -1 if it is not one. */
static int64_t
render_duration(const char *s)
{
	int64_t total = 0, n, unit;
	int digits;

	if (*s == '\0')
		return -1;
	while (*s != '\0') {
		n = 0;
		for (digits = 0; *s >= '0' && *s <= '9'; s++, digits++) {
			if (digits == 9)
				return -1;
			n = n * 10 + (*s - '0');
		}
		if (digits == 0)
			return -1;
		if (strncmp(s, "ms", 2) == 0) {
			unit = 1;
			s += 2;
		} else if (*s == 's') {
			unit = 1000;
			s++;
		} else if (*s == 'm') {
			unit = RENDER_MS_MINUTE;
			s++;
		} else if (*s == 'h') {
			unit = 60 * RENDER_MS_MINUTE;
			s++;
		} else if (*s == 'd') {
			unit = RENDER_MS_DAY;
			s++;
		} else {
			return -1;
		}
		total += n * unit;
		if (total > 1000 * RENDER_MS_DAY)
			return -1;
	}
	return total;
}

/*
 * A stage key as incident.c names it: "warn-2h" is 预警（剩2小时）,
 * "breach" 已超时, "overdue-3" 第3次超时提醒, "unacked-2" (the second page
 * of an incident nobody acknowledged) 待确认.  Anything else is shown as
 * it is.
 */
static void
render_stage(struct render_out *o, const char *stage)
{
	const char *p;
	int64_t ms;
	long long n = 0;

	if (stage == NULL)
		return;
	if (strncmp(stage, "warn-", 5) == 0) {
		ms = render_duration(stage + 5);
		render_puts(o, "预警");
		if (ms > 0 && ms % RENDER_MS_MINUTE == 0) {
			render_puts(o, "（剩");
			render_minutes(o, ms / RENDER_MS_MINUTE, 1);
			render_puts(o, "）");
		}
		return;
	}
	if (strcmp(stage, "breach") == 0) {
		render_puts(o, "已超时");
		return;
	}
	if (strncmp(stage, "unacked-", 8) == 0) {
		render_puts(o, "待确认");
		return;
	}
	if (strncmp(stage, "overdue-", 8) == 0) {
		for (p = stage + 8; *p >= '0' && *p <= '9' && n < 1000000; p++)
			n = n * 10 + (*p - '0');
		if (n > 0 && n < 1000000 && *p == '\0') {
			render_putf(o, "第%lld次超时提醒", n);
			return;
		}
	}
	render_puts(o, stage);
}

/* "a,b, c" as "a、b、c": items trimmed, empty ones skipped. */
static void
render_departments(struct render_out *o, const char *s)
{
	const char *end;
	size_t n;
	int first = 1;

	while (s != NULL && *s != '\0') {
		while (*s == ' ' || *s == '\t')
			s++;
		end = strchr(s, ',');
		n = end != NULL ? (size_t)(end - s) : strlen(s);
		while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
			n--;
		if (n > 0) {
			if (!first)
				render_puts(o, "、");
			render_put(o, s, n);
			first = 0;
		}
		s = end != NULL ? end + 1 : NULL;
	}
}

static void
render_var(struct render_out *o, const struct render_ctx *c,
           enum render_name name)
{
	const struct render_vars *v = c->v;

	switch (name) {
	case R_TITLE:
		render_put(o, c->title, c->title_len);
		if (c->title_cut)
			render_puts(o, RENDER_ELLIPSIS);
		break;
	case R_CLASS:
		render_puts(o, render_lookup(render_classes,
		                             NELEM(render_classes), v->class));
		break;
	case R_GRADE:
		render_puts(o, v->grade);
		break;
	case R_CATEGORY:
		render_puts(o, v->category);
		break;
	case R_MILESTONE:
		render_puts(o, render_lookup(render_milestones,
		                             NELEM(render_milestones),
		                             v->milestone));
		break;
	case R_STAGE:
		render_stage(o, v->stage);
		break;
	case R_DUE:
		render_time(o, v->due, v->utc_offset_min);
		break;
	case R_TIME_LEFT:
		if (v->due != 0 && v->due > v->now) {
			render_puts(o, "剩余");
			render_span(o, v->due - v->now);
		}
		break;
	case R_OVERDUE:
		/* at the breach itself: "已超时" reads right without a span */
		if (v->due != 0 && v->now - v->due >= RENDER_MS_MINUTE)
			render_span(o, v->now - v->due);
		break;
	case R_DEPARTMENTS:
		render_departments(o, v->departments);
		break;
	case R_LINK:
		render_puts(o, v->link);
		break;
	case R_ACK_LINK:
		render_puts(o, v->ack_link);
		break;
	case R_INCIDENT:
		if (v->incident != 0)
			render_id(o, v->incident);
		break;
	case R_SOURCE:
		render_puts(o, v->source);
		break;
	case R_ITEMS:
		if (v->items >= 0)
			render_putf(o, "%lld", (long long)v->items);
		break;
	case R_SUMMARY:
		render_puts(o, v->summary);
		break;
	case R_FEED:
		render_puts(o, v->feed);
		break;
	case R_ERROR:
		render_puts(o, v->error);
		break;
	case R_SINCE:
		render_time(o, v->since, v->utc_offset_min);
		break;
	case R_PERIOD:
		render_puts(o, v->period);
		break;
	case R_COUNT:
		break;
	}
}

/* Render tmpl into o; -1 for a bad or unknown placeholder. */
static int
render_run(const char *tmpl, const struct render_ctx *c, struct render_out *o)
{
	const char *p = tmpl, *end;
	size_t n;
	int k;

	o->len = 0;
	o->full = 0;
	o->buf[0] = '\0';
	while (*p != '\0') {
		n = strcspn(p, "{}");
		render_put(o, p, n);
		p += n;
		if (*p == '\0')
			break;
		if (p[0] == p[1]) { /* "{{" or "}}" */
			render_put(o, p, 1);
			p += 2;
			continue;
		}
		if (*p == '}') { /* a lone '}' is itself */
			render_put(o, p, 1);
			p++;
			continue;
		}
		end = strpbrk(p + 1, "{}");
		if (end == NULL || *end == '{')
			return -1;
		n = (size_t)(end - p - 1);
		for (k = 0; k < R_COUNT; k++)
			if (strlen(render_names[k]) == n &&
			    memcmp(render_names[k], p + 1, n) == 0)
				break;
		if (k == R_COUNT)
			return -1;
		render_var(o, c, (enum render_name)k);
		p = end + 1;
	}
	return 0;
}

/* The lengths returned are ints: a larger buffer is used up to INT_MAX. */
static size_t
render_size(size_t outsz)
{
	return outsz > (size_t)INT_MAX ? (size_t)INT_MAX : outsz;
}

static void
render_ctx_init(struct render_ctx *c, const struct render_vars *v)
{
	c->v = v;
	c->title = v->title != NULL ? v->title : "";
	c->title_len = strlen(c->title);
	c->title_cut = 0;
}

int
render_text(const char *tmpl, const struct render_vars *v, char *out,
            size_t outsz)
{
	struct render_out o = {out, render_size(outsz), 0, 0};
	struct render_ctx c;

	if (out == NULL || outsz == 0)
		return -1;
	out[0] = '\0';
	if (tmpl == NULL || v == NULL)
		return -1;
	render_ctx_init(&c, v);
	if (render_run(tmpl, &c, &o) == -1) {
		out[0] = '\0';
		return -1;
	}
	return (int)o.len;
}

size_t
render_chars(const char *s)
{
	size_t i = 0, n, count = 0;

	if (s == NULL)
		return 0;
	n = strlen(s);
	while (i < n) {
		text_utf8_next(s, n, &i);
		count++;
	}
	return count;
}

/* Bytes of the longest prefix of s (n bytes) of at most chars characters
 * and at most bytes bytes, ending at a character boundary. */
static size_t
render_cut(const char *s, size_t n, size_t chars, size_t bytes)
{
	size_t i = 0, next;

	while (i < n && chars > 0) {
		next = i;
		text_utf8_next(s, n, &next);
		if (next > bytes)
			break;
		i = next;
		chars--;
	}
	return i;
}

/* Whether the title cut to chars characters and "…" fits. */
static int
render_sms_try(const char *tmpl, struct render_ctx *c, const char *title,
               size_t title_len, size_t chars, size_t max_chars,
               struct render_out *o)
{
	c->title_len = render_cut(title, title_len, chars, title_len);
	c->title_cut = 1;
	render_run(tmpl, c, o);
	return !o->full && render_chars(o->buf) <= max_chars;
}

int
render_sms(const char *tmpl, const struct render_vars *v, size_t max_chars,
           char *out, size_t outsz)
{
	struct render_out o = {out, render_size(outsz), 0, 0};
	struct render_ctx c;
	const char *title;
	size_t title_len, lo, hi, mid, keep;

	if (out == NULL || outsz == 0)
		return -1;
	out[0] = '\0';
	if (tmpl == NULL || v == NULL || max_chars == 0)
		return -1;
	render_ctx_init(&c, v);
	if (render_run(tmpl, &c, &o) == -1) {
		out[0] = '\0';
		return -1;
	}
	if (!o.full && render_chars(out) <= max_chars)
		return (int)o.len;

	/* Longest title prefix (with "…") that fits, by bisection: the
	 * text grows with the prefix. */
	title = c.title;
	title_len = c.title_len;
	hi = render_chars(title);
	if (hi > 0 &&
	    render_sms_try(tmpl, &c, title, title_len, 0, max_chars, &o)) {
		lo = 0; /* fits */
		hi--;   /* the whole title did not */
		while (lo < hi) {
			mid = lo + (hi - lo + 1) / 2;
			if (render_sms_try(tmpl, &c, title, title_len, mid,
			                   max_chars, &o))
				lo = mid;
			else
				hi = mid - 1;
		}
		render_sms_try(tmpl, &c, title, title_len, lo, max_chars, &o);
		return (int)o.len;
	}

	/* Even without the title it is too long: cut the text itself, at a
	 * character boundary, leaving room for "…" in chars and bytes. */
	c.title_len = 0;
	c.title_cut = 0;
	render_run(tmpl, &c, &o);
	if (!o.full && render_chars(out) <= max_chars)
		return (int)o.len;
	if (o.size < sizeof(RENDER_ELLIPSIS)) { /* no room for "…" */
		keep = render_cut(out, o.len, max_chars, o.size - 1);
		out[keep] = '\0';
		return (int)keep;
	}
	keep = render_cut(out, o.len, max_chars - 1,
	                  o.size - sizeof(RENDER_ELLIPSIS));
	out[keep] = '\0';
	o.len = keep;
	o.full = 0;
	render_puts(&o, RENDER_ELLIPSIS);
	return (int)o.len;
}
