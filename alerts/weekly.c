/*
 * weekly.c: the timeliness report's data gathered without blocking (the
 * incidents in the engine's memory, the delivery attempts from the
 * PREFIX:deliveries stream), for /api/report and for the weekly mail; and
 * that mail: every Monday at report.at (local time, on the daemon's
 * clock) the past ISO week's report goes to report.mail_to as HTML with
 * the CSV attached, and its summary to the group robots.  Each delivery
 * is keyed by the week (deliver.c claims it in Redis), so a restart, a
 * reload or a slot caught up after downtime never sends it twice.
 * A slot missed while the daemon was down is still sent if it started
 * within report.catch_up of it.
 */
#include <event2/event.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "alerts/alerts.h"

#define WEEKLY_WEEK_MS  (7 * 24 * 3600 * INT64_C(1000))
#define WEEKLY_RETRY_MS 5000 /* Redis away: look again (real ms) */
#define WEEKLY_TEXT_MAX 4096 /* the mail's text and the robot's (deliver.c) */
/* Stored incidents read for a report: first seen from this long before
 * the previous period (a milestone is due at most 48 h after its clock
 * starts, plus clock skew) to the period's end; at most this many. */
#define REPORT_SEEN_BEFORE (7 * 24 * 3600 * INT64_C(1000))
#define REPORT_SEEN_MAX    20000
/* Delivery attempts: a page per reply, at most this many read, and the
 * reading stops at a page wholly older than the previous period by a
 * day. */
#define REPORT_PAGE         2000
#define REPORT_DLV_READ_MAX 200000
#define REPORT_DLV_MARGIN   (24 * 3600 * INT64_C(1000))
#define REPORT_CHANNELS_MAX 16

/* Collecting ------------------------------------------------------------ */

struct report_collect {
	struct store *store;
	int partial; /* Redis did not answer all: no report */
	int oom;
	/* the delivery attempts, read a page at a time (newest first) so
	 * that the loop runs between pages; channel names interned */
	struct report_delivery *dv;
	size_t ndv, capdv, seen;
	char last_id[64];
	char chan[REPORT_CHANNELS_MAX][REPORT_MAX_NAME];
	size_t nchan;
	struct incidents *incidents;
	struct incident *stored; /* from Redis (closed ones leave memory) */
	size_t nstored;
	struct report_period period, prev;
	int64_t now;
	report_collect_cb cb;
	void *arg;
};

struct report_incs {
	struct report_incident *v;
	size_t n, cap;
};

static void
report_inc_cb(const struct incident *inc, void *arg)
{
	struct report_incs *l = arg;
	struct report_incident *r;
	int k;

	if (l->n == l->cap || l->n >= REPORT_MAX_INCIDENTS)
		return;
	r = &l->v[l->n++];
	memset(r, 0, sizeof(*r));
	r->id = inc->id;
	r->cls = inc->cls == CLASS_MAJOR ? REPORT_CLASS_MAJOR
	                                 : REPORT_CLASS_ORDINARY;
	r->grade = grade_name(inc->grade);
	r->title = inc->title;
	r->departments = inc->departments;
	r->source = inc->source;
	r->opened_at = inc->first_seen;
	r->state = inc->state; /* the same order as INC_* */
	for (k = 0; k < MS_COUNT && k < REPORT_MS_COUNT; k++) {
		r->ms[k].active = inc->ms[k].active;
		r->ms[k].state = inc->ms[k].state;
		r->ms[k].start = inc->ms[k].start;
		r->ms[k].due = inc->ms[k].due;
		r->ms[k].met_at = inc->ms[k].state == MS_MET ||
		                          inc->ms[k].state == MS_MET_LATE
		                      ? inc->ms[k].met_at
		                      : 0;
	}
}

/* A channel name from the stream, interned (the reply is freed after
 * the page): one of at most REPORT_CHANNELS_MAX, else "other". */
static const char *
report_channel(struct report_collect *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->nchan; i++)
		if (strcmp(c->chan[i], name) == 0)
			return c->chan[i];
	if (c->nchan == REPORT_CHANNELS_MAX || strlen(name) >= REPORT_MAX_NAME)
		return "other";
	snprintf(c->chan[c->nchan], REPORT_MAX_NAME, "%s", name);
	return c->chan[c->nchan++];
}

/* One page of XREVRANGE: its entries in [prev.start, period.end) into
 * c->dv.  1 if the reading should go on. */
static int
report_page(struct report_collect *c, const redisReply *r)
{
	size_t i, k;
	int newer = 0; /* an entry of this page is not wholly too old */

	if (c->capdv - c->ndv < r->elements) {
		size_t cap = c->ndv + r->elements + 1;
		struct report_delivery *nv =
		    reallocarray(c->dv, cap, sizeof(*nv));

		if (nv == NULL) {
			c->oom = 1;
			return 0;
		}
		c->dv = nv;
		c->capdv = cap;
	}
	for (i = 0; i < r->elements; i++) {
		const redisReply *e = r->element[i], *fl;
		struct report_delivery *d = &c->dv[c->ndv];

		if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
		    e->element[0]->type != REDIS_REPLY_STRING)
			continue;
		snprintf(c->last_id, sizeof(c->last_id), "%s",
		         e->element[0]->str);
		c->seen++;
		fl = e->element[1];
		d->channel = NULL;
		d->state = -1;
		d->at = 0;
		for (k = 0;
		     fl->type == REDIS_REPLY_ARRAY && k + 1 < fl->elements;
		     k += 2) {
			const char *key = fl->element[k]->str,
			           *v = fl->element[k + 1]->str;

			if (fl->element[k]->type != REDIS_REPLY_STRING ||
			    fl->element[k + 1]->type != REDIS_REPLY_STRING)
				continue;
			if (strcmp(key, "channel") == 0)
				d->channel = v;
			else if (strcmp(key, "state") == 0)
				d->state = report_value(REPORT_N_DLV_STATE, v);
			else if (strcmp(key, "at") == 0)
				d->at = strtoll(v, NULL, 10);
		}
		if (d->at >= c->prev.start - REPORT_DLV_MARGIN)
			newer = 1;
		if (d->channel != NULL && d->state >= 0 &&
		    d->at >= c->prev.start && d->at < c->period.end) {
			d->channel = report_channel(c, d->channel);
			c->ndv++;
		}
	}
	return newer && r->elements == REPORT_PAGE &&
	       c->seen < REPORT_DLV_READ_MAX;
}

/* The stored incidents that memory does not hold (memory is newer). */
static void
report_add_stored(const struct report_collect *c, struct report_incs *l)
{
	size_t i;

	for (i = 0; i < c->nstored; i++)
		if (incidents_get(c->incidents, c->stored[i].id) == NULL)
			report_inc_cb(&c->stored[i], l);
}

static void
report_collect_free(struct report_collect *c)
{
	free(c->stored);
	free(c->dv);
	free(c);
}

/* Everything is here (or partial): the report, to the callback. */
static void
report_collect_end(struct report_collect *c, const char *why)
{
	struct report_incs incs = {NULL, 0, 0};
	struct report_input in;
	struct report rep;

	if (why != NULL) {
		/* a report without its stored incidents or deliveries would
		 * mislead: none */
		log_warnx("report not made: redis did not answer (%s)", why);
		c->cb(NULL, 503,
		      "redis unavailable: the report would be incomplete",
		      c->arg);
		report_collect_free(c);
		return;
	}
	incs.cap = incidents_count(c->incidents) + c->nstored + 1;
	incs.v = c->oom ? NULL : calloc(incs.cap, sizeof(*incs.v));
	memset(&rep, 0, sizeof(rep));
	if (incs.v == NULL) {
		c->cb(NULL, 500, "out of memory", c->arg);
		goto out;
	}
	incidents_each(c->incidents, report_inc_cb, &incs);
	report_add_stored(c, &incs);
	memset(&in, 0, sizeof(in));
	in.period = c->period;
	in.previous = c->prev;
	in.now = c->now;
	in.utc_offset_min = clock_utc_offset(c->now);
	in.incidents = incs.v;
	in.nincidents = incs.n;
	in.deliveries = c->dv;
	in.ndeliveries = c->ndv;
	if (report_compute(&in, &rep) == -1) {
		log_warnx("cannot compute the report: %s", rep.error);
		c->cb(NULL, 500, "cannot compute the report", c->arg);
	} else {
		c->cb(&rep, 0, NULL, c->arg);
	}
	report_free(&rep);
out:
	free(incs.v);
	report_collect_free(c);
}

static void report_deliveries_ask(struct report_collect *);

/* A page of delivery attempts: the next one, or the report. */
static void
report_page_cb(redisReply *r, void *arg)
{
	struct report_collect *c = arg;

	if (r == NULL || r->type != REDIS_REPLY_ARRAY) {
		report_collect_end(c, r == NULL ? "link lost"
		                      : r->type == REDIS_REPLY_ERROR
		                          ? r->str
		                          : "unexpected reply");
		return;
	}
	if (report_page(c, r))
		report_deliveries_ask(c);
	else
		report_collect_end(c, NULL);
}

static void
report_deliveries_ask(struct report_collect *c)
{
	int rc;

	if (c->partial) {
		report_collect_end(c, "stored incidents");
		return;
	}
	if (!store_accepting(c->store)) {
		report_collect_end(c, "redis away");
		return;
	}
	rc = c->last_id[0] == '\0'
	         ? store_command(c->store, report_page_cb, c,
	                         "XREVRANGE %s:deliveries + - COUNT %d",
	                         store_prefix(c->store), REPORT_PAGE)
	         : store_command(c->store, report_page_cb, c,
	                         "XREVRANGE %s:deliveries (%s - COUNT %d",
	                         store_prefix(c->store), c->last_id,
	                         REPORT_PAGE);
	if (rc == -1)
		report_collect_end(c, "redis away");
}

/* The stored incidents are here (v is ours): then the deliveries. */
static void
report_seen_cb(struct incident *v, size_t n, int ok, void *arg)
{
	struct report_collect *c = arg;

	c->stored = v;
	c->nstored = n;
	c->partial = !ok;
	report_deliveries_ask(c);
}

int
report_collect(struct store *st, struct incidents *is,
               struct incidentstore *istore, const struct report_period *period,
               int64_t now, report_collect_cb cb, void *arg)
{
	struct report_collect *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return -1;
	c->store = st;
	c->incidents = is;
	/* our channels keep their names whatever else the stream holds */
	for (c->nchan = 0; c->nchan < DELIVER_NCHANNELS; c->nchan++)
		snprintf(c->chan[c->nchan], REPORT_MAX_NAME, "%s",
		         deliver_channel_names[c->nchan]);
	c->period = *period;
	report_previous(period, &c->prev);
	c->now = now;
	c->cb = cb;
	c->arg = arg;
	/* closed incidents are not in memory after a restart: read the
	 * period's from Redis */
	if (istore == NULL)
		report_deliveries_ask(c);
	else if (incidentstore_seen(istore, c->prev.start - REPORT_SEEN_BEFORE,
	                            period->end, REPORT_SEEN_MAX,
	                            report_seen_cb, c) == -1)
		report_collect_end(c, "redis away");
	return 0;
}

/* Rendering into memory ------------------------------------------------- */

/* writer's output as a malloc'd string (*len bytes); NULL on failure. */
char *
report_render(const struct report *r,
              int (*writer)(FILE *, const struct report *), size_t *len)
{
	char *text = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&text, &n);
	int rc;

	if (f == NULL)
		return NULL;
	rc = writer(f, r);
	if (fclose(f) != 0 || rc == -1) {
		free(text);
		return NULL;
	}
	if (len != NULL)
		*len = n;
	return text;
}

/* The Monday mail ------------------------------------------------------- */

struct weekly_job {
	struct weekly *w; /* NULL: the daemon stopped meanwhile */
	int64_t slot;
};

struct weekly {
	struct event_base *base;
	const struct config *conf;
	struct store *store;
	struct incidents *incidents;
	struct incidentstore *istore;
	struct deliver *deliver;
	struct event *ev;
	int64_t slot; /* the slot the timer is armed for (monitored ms) */
	struct weekly_job *job; /* a collection on its way, or NULL */
	int stopping;
	int waiting;  /* for Redis, to send the slot */
	int restored; /* the incidents came back from Redis (once is enough) */
	int64_t sent; /* reports handed to delivery (for tests, logs) */
	int64_t done; /* the last slot this run handled (a reload does not
	               * make the same report again) */
};

static void weekly_arm(struct weekly *);

/* Somebody is to get the report. */
static int
weekly_enabled(const struct config *c)
{
	return c->report.mail_to.n > 0 || c->report.robots;
}
static void weekly_wait(struct weekly *, const char *);
static void weekly_next(struct weekly *);

/* The slot (Monday at report.at, local) at or before t. */
static int64_t
weekly_slot_before(const struct config *c, int64_t t)
{
	struct report_period wk;
	int64_t slot;

	if (report_iso_week(t, clock_utc_offset(t), &wk) == -1)
		return -1;
	slot = wk.start + (int64_t)c->report.at_min * 60000;
	return slot <= t ? slot : slot - WEEKLY_WEEK_MS;
}

static void
weekly_ready(const struct report *r, int status, const char *error, void *arg)
{
	struct weekly_job *job = arg;
	struct weekly *w = job->w;
	const struct config *c;
	struct deliver_report_msg m;
	struct render_vars v;
	char week[16], period[128], csv_name[64];
	char subject[512], *text = NULL, *robot = NULL, *summary = NULL;
	char *html = NULL, *csv = NULL, link[512] = "";
	size_t csv_len = 0;
	int n;

	free(job);
	if (w == NULL)
		return;
	w->job = NULL;
	c = w->conf;
	if (r == NULL || !store_accepting(w->store)) {
		/* Redis went away while the report was gathered (or cannot
		 * take the claims now): the slot stays, tried again */
		(void)status;
		weekly_wait(w, error != NULL ? error : "redis away");
		return;
	}
	snprintf(week, sizeof(week), "%04d-W%02d", r->iso_year, r->iso_week);
	report_label(r, period, sizeof(period));
	snprintf(csv_name, sizeof(csv_name), "yuqing-report-%s.csv", week);
	summary = report_render(r, report_write_summary, NULL);
	html = report_render(r, report_write_html, NULL);
	csv = report_render(r, report_write_csv, &csv_len);
	text = malloc(WEEKLY_TEXT_MAX);
	robot = malloc(WEEKLY_TEXT_MAX);
	if (summary == NULL || html == NULL || csv == NULL || text == NULL ||
	    robot == NULL) {
		log_warnx("weekly report not sent: out of memory: week=%s",
		          week);
		goto out;
	}
	if (c->http.public_url != NULL)
		snprintf(link, sizeof(link), "%s/dashboard",
		         c->http.public_url);
	memset(&v, 0, sizeof(v));
	v.now = r->now;
	v.utc_offset_min = r->utc_offset_min;
	v.items = -1;
	v.period = period;
	v.summary = summary;
	v.link = link;
	render_text(c->templates.report_subject, &v, subject, sizeof(subject));
	render_text(c->templates.report_text, &v, text, WEEKLY_TEXT_MAX);
	render_text(c->templates.report_robot, &v, robot, WEEKLY_TEXT_MAX);
	memset(&m, 0, sizeof(m));
	m.week = week;
	m.subject = subject;
	m.text = text;
	m.html = html;
	m.csv = csv;
	m.csv_len = csv_len;
	m.csv_name = csv_name;
	m.robot = robot;
	n = deliver_report(w->deliver, &m);
	w->sent++;
	log_notice("weekly report handed to delivery: week=%s deliveries=%d "
	           "html_bytes=%zu csv_bytes=%zu",
	           week, n, strlen(html), csv_len);
	weekly_next(w);
out:
	free(summary);
	free(html);
	free(csv);
	free(text);
	free(robot);
}

/* Send the report of the week before slot. */
static void
weekly_send(struct weekly *w, int64_t slot)
{
	struct report_period wk;
	struct weekly_job *job;

	if (report_iso_week(slot - WEEKLY_WEEK_MS, clock_utc_offset(slot),
	                    &wk) == -1 ||
	    (job = calloc(1, sizeof(*job))) == NULL) {
		log_err("weekly report NOT made: bad slot or no memory: "
		        "slot_ms=%lld",
		        (long long)slot);
		weekly_next(w);
		return;
	}
	job->w = w;
	job->slot = slot;
	w->job = job;
	if (report_collect(w->store, w->incidents, w->istore, &wk,
	                   clock_now_ms(), weekly_ready, job) == -1) {
		w->job = NULL;
		free(job);
		weekly_wait(w, "out of memory");
	}
}

/* The slot could not be sent now: again in WEEKLY_RETRY_MS (real), while
 * it is within catch_up. */
static void
weekly_wait(struct weekly *w, const char *why)
{
	struct timeval tv;

	if (w->stopping)
		return;
	if (clock_now_ms() - w->slot > w->conf->report.catch_up) {
		log_err("weekly report NOT sent: %s since its slot, past "
		        "catch_up",
		        why);
		weekly_next(w);
		return;
	}
	if (!w->waiting)
		log_warnx("weekly report waits: %s", why);
	w->waiting = 1;
	clock_real_timeval(WEEKLY_RETRY_MS, &tv);
	evtimer_add(w->ev, &tv);
}

/* The slot is handled (sent or given up): the next Monday, from the
 * calendar (a zone's offset may have changed meanwhile). */
static void
weekly_next(struct weekly *w)
{
	int64_t next = weekly_slot_before(w->conf, w->slot + WEEKLY_WEEK_MS +
	                                               12 * 3600 * 1000);

	w->done = w->slot;
	w->waiting = 0;
	if (next <= w->slot) {
		log_err("weekly report: cannot compute the next slot: "
		        "slot_ms=%lld",
		        (long long)w->slot);
		return;
	}
	w->slot = next;
	if (!w->stopping)
		weekly_arm(w);
}

static void
weekly_cb(evutil_socket_t fd, short what, void *arg)
{
	struct weekly *w = arg;

	(void)fd;
	(void)what;
	if (w->stopping || w->job != NULL || !weekly_enabled(w->conf))
		return;
	if (clock_now_ms() < w->slot) { /* early (clock rounding) */
		weekly_arm(w);
		return;
	}
	/* without Redis no stored incidents, no delivery stream and no
	 * claims; and not before the incidents are back from Redis */
	if (!store_accepting(w->store) || !w->restored) {
		weekly_wait(w, "redis away");
		return;
	}
	if (clock_now_ms() - w->slot > w->conf->report.catch_up) {
		/* the timer came late (a suspended host): not a stale week */
		log_err("weekly report NOT sent: its slot is past catch_up");
		weekly_next(w);
		return;
	}
	weekly_send(w, w->slot);
}

static void
weekly_arm(struct weekly *w)
{
	struct timeval tv;

	clock_timeval(w->slot - clock_now_ms(), &tv);
	evtimer_add(w->ev, &tv);
}

/* The slot to wait for: the last one if it is within catch_up (sent at
 * once, unless already sent), else the next. */
static void
weekly_schedule(struct weekly *w)
{
	int64_t now = clock_now_ms(), last = weekly_slot_before(w->conf, now);

	if (last < 0) {
		log_err("weekly report: cannot compute its slot: now_ms=%lld",
		        (long long)now);
		return;
	}
	w->slot = now - last <= w->conf->report.catch_up && last > w->done
	              ? last
	              : last + WEEKLY_WEEK_MS;
	weekly_arm(w);
}

struct weekly *
weekly_new(struct event_base *base, const struct config *conf, struct store *st,
           struct incidents *is, struct incidentstore *istore,
           struct deliver *d)
{
	struct weekly *w = calloc(1, sizeof(*w));

	if (w == NULL)
		return NULL;
	w->base = base;
	w->conf = conf;
	w->store = st;
	w->incidents = is;
	w->istore = istore;
	w->deliver = d;
	w->ev = evtimer_new(base, weekly_cb, w);
	if (w->ev == NULL) {
		free(w);
		return NULL;
	}
	if (weekly_enabled(conf))
		weekly_schedule(w);
	return w;
}

void
weekly_reconfigure(struct weekly *w, const struct config *conf)
{
	w->conf = conf;
	evtimer_del(w->ev);
	w->waiting = 0;
	if (!w->stopping && weekly_enabled(conf))
		weekly_schedule(w);
}

/* The incidents are back from Redis: a slot waiting for them goes now. */
void
weekly_incidents_ready(struct weekly *w)
{
	w->restored = 1;
	if (w->waiting && !w->stopping) {
		evtimer_del(w->ev);
		weekly_cb(-1, 0, w);
	}
}

void
weekly_stop(struct weekly *w)
{
	w->stopping = 1;
	evtimer_del(w->ev);
	if (w->job != NULL) /* its answer comes after us */
		w->job->w = NULL;
	w->job = NULL;
}

void
weekly_free(struct weekly *w)
{
	if (w == NULL)
		return;
	weekly_stop(w);
	event_free(w->ev);
	free(w);
}
