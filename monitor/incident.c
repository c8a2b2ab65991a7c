/*
 * incident.c: items to incidents, incidents to deadlines.  Each new or
 * edited item is classified; one in the jurisdiction that is major or
 * ordinary joins the open incident it resembles (SimHash of the title, or
 * the same place and emergency category) or opens a new one.  An incident
 * has milestones (major: release 5 h and presser 24 h; ordinary: response
 * 48 h, all from the configuration) clocked from the earliest credible
 * publication of its items.  Every stage of a milestone (the warnings
 * before due, the breach, the reminders while overdue) is one entry in
 * the deadline queue; when it comes due it is recorded once through the
 * hooks, which make it idempotent in Redis.  Stages that came due while
 * nobody was looking (at creation or after a restart) are recorded once:
 * only the most severe of them.
 */
#include <stdlib.h>
#include <string.h>

#include "monitor/monitor.h"

#define INC_BUCKETS 65536

struct inc_node {
	struct incident inc;
	struct inc_node *next; /* hash chain */
};

struct incidents {
	struct event_base *base;
	const struct config *conf;
	struct ruleset *rs;
	struct incidents_hooks hooks;
	struct deadline_queue *dq;
	struct cluster_index *ci;
	struct inc_node *buckets[INC_BUCKETS];
	size_t n;
	uint64_t seq;
	int64_t stale, skipped;
	int64_t fired, late_sum, late_max; /* stages recorded running, ms */
};

static const char *const inc_ms_names[MS_COUNT] = {"release", "presser",
                                                   "response"};

const char *
milestone_name(int k)
{
	return k >= 0 && k < MS_COUNT ? inc_ms_names[k] : "?";
}

/* The names of INC_* and MS_* states, as stored and shown. */
static const char *const inc_state_names[] = {"open", "acknowledged", "closed",
                                              "dismissed"};
static const char *const inc_ms_state_names[] = {"pending", "met", "breached",
                                                 "met_late"};

const char *
incident_state_name(int s)
{
	return s >= 0 && s < 4 ? inc_state_names[s] : "?";
}

const char *
milestone_state_name(int s)
{
	return s >= 0 && s < 4 ? inc_ms_state_names[s] : "?";
}

/* The INC_* (ms: MS_*) state named s, or -1. */
int
state_index(int ms, const char *s)
{
	const char *const *names = ms ? inc_ms_state_names : inc_state_names;
	int i;

	for (i = 0; s != NULL && i < 4; i++)
		if (strcmp(names[i], s) == 0)
			return i;
	return -1;
}

static const struct conf_milestone *
inc_ms_conf(const struct incidents *is, int k)
{
	const struct conf_deadlines *d = &is->conf->deadlines;

	return k == MS_RELEASE   ? &d->release
	       : k == MS_PRESSER ? &d->presser
	                         : &d->response;
}

/* Warning lead times, longest first (config order is free). */
static size_t
inc_warns(const struct conf_milestone *m, int64_t *out, size_t max)
{
	size_t i, j, n = m->warn.n < max ? m->warn.n : max;
	int64_t t;

	for (i = 0; i < n; i++)
		out[i] = m->warn.v[i];
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && out[j] > out[j - 1]; j--) {
			t = out[j];
			out[j] = out[j - 1];
			out[j - 1] = t;
		}
	return n;
}

/*
 * When stage s of milestone k is due, and its name: stages 0..nwarn-1
 * are the warnings, nwarn the breach, nwarn+j the j-th reminder.
 */
int64_t
incident_stage_at(const struct incidents *is, const struct incident *inc, int k,
                  int s, char *name, size_t len)
{
	const struct conf_milestone *m = inc_ms_conf(is, k);
	int64_t warns[32], due = inc->ms[k].due;
	size_t nw = inc_warns(m, warns, 32);
	char dur[32];

	if ((size_t)s < nw) {
		config_duration_format(warns[s], dur, sizeof(dur));
		if (name != NULL)
			snprintf(name, len, "warn-%s", dur);
		return due - warns[s];
	}
	if ((size_t)s == nw) {
		if (name != NULL)
			snprintf(name, len, "breach");
		return due;
	}
	if (name != NULL)
		snprintf(name, len, "overdue-%d", s - (int)nw);
	return due + (int64_t)(s - (int)nw) * m->remind;
}

static int
inc_breach_stage(const struct incidents *is, int k)
{
	int64_t warns[32];

	return (int)inc_warns(inc_ms_conf(is, k), warns, 32);
}

struct incident *
incidents_get(struct incidents *is, uint64_t id)
{
	struct inc_node *n;

	for (n = is->buckets[id % INC_BUCKETS]; n != NULL; n = n->next)
		if (n->inc.id == id)
			return &n->inc;
	return NULL;
}

static struct incident *
inc_insert(struct incidents *is, uint64_t id)
{
	struct inc_node *n = calloc(1, sizeof(*n));

	if (n == NULL)
		return NULL;
	n->inc.id = id;
	n->next = is->buckets[id % INC_BUCKETS];
	is->buckets[id % INC_BUCKETS] = n;
	is->n++;
	return &n->inc;
}

/* Record stage s of milestone k now (idempotently, through the hook). */
static void
inc_record(struct incidents *is, struct incident *inc, int k, int s,
           int64_t now)
{
	struct milestone *ms = &inc->ms[k];
	char name[48];
	int64_t at = incident_stage_at(is, inc, k, s, name, sizeof(name));

	if (s >= inc_breach_stage(is, k) && ms->state == MS_PENDING)
		ms->state = MS_BREACHED;
	ms->next_stage = s + 1;
	log_notice("deadline stage: incident=%llu milestone=%s stage=%s "
	           "due_at=%lld late_ms=%lld",
	           (unsigned long long)inc->id, milestone_name(k), name,
	           (long long)at, (long long)(now - at));
	if (is->hooks.alert != NULL)
		is->hooks.alert(inc, k, s, name, at, now, is->hooks.arg);
}

/* Queue stage s of milestone k at its due time. */
static void
inc_queue(struct incidents *is, const struct incident *inc, int k, int s)
{
	struct deadline_entry e;

	e.at = incident_stage_at(is, inc, k, s, NULL, 0);
	e.incident = inc->id;
	e.milestone = k;
	e.stage = s;
	deadline_add(is->dq, &e);
}

/*
 * Put milestone k's next stage in the queue.  If stages are already due
 * (created late, or after a restart), record only the most severe of
 * them and schedule the first one still to come.
 */
static void
inc_schedule(struct incidents *is, struct incident *inc, int k, int64_t now)
{
	struct milestone *ms = &inc->ms[k];
	int s = ms->next_stage, last = -1;

	if (!ms->active || ms->state == MS_MET || ms->state == MS_MET_LATE ||
	    inc->state == INC_CLOSED || inc->state == INC_DISMISSED)
		return;
	while (incident_stage_at(is, inc, k, s, NULL, 0) <= now) {
		last = s;
		s++;
	}
	if (last >= 0) {
		if (last > ms->next_stage)
			log_info("stages missed while not running, recording "
			         "the most severe: incident=%llu milestone=%s "
			         "skipped=%d",
			         (unsigned long long)inc->id, milestone_name(k),
			         last - ms->next_stage);
		is->skipped += last - ms->next_stage;
		inc_record(is, inc, k, last, now);
	}
	inc_queue(is, inc, k, s);
}

static void
inc_fire_cb(const struct deadline_entry *e, void *arg)
{
	struct incidents *is = arg;
	struct incident *inc = incidents_get(is, e->incident);
	struct milestone *ms;

	if (inc == NULL)
		return;
	ms = &inc->ms[e->milestone];
	if (!ms->active || e->stage != ms->next_stage)
		return; /* superseded */
	if (ms->state == MS_MET || ms->state == MS_MET_LATE ||
	    inc->state == INC_CLOSED || inc->state == INC_DISMISSED)
		return;
	{
		int64_t now = clock_now_ms(), late = now - e->at;

		is->fired++;
		is->late_sum += late > 0 ? late : 0;
		if (late > is->late_max)
			is->late_max = late;
		inc_record(is, inc, e->milestone, e->stage, now);
	}
	/* While running, every stage is recorded: the next one goes in the
	 * queue even if it is already due (a daemon behind its timer catches
	 * up stage by stage).  Only creation and restore skip to the most
	 * severe. */
	inc_queue(is, inc, e->milestone, inc->ms[e->milestone].next_stage);
}

/* Start milestone k from start (a new incident, or an upgrade). */
static void
inc_open_milestone(struct incidents *is, struct incident *inc, int k,
                   int64_t start)
{
	struct milestone *ms = &inc->ms[k];

	ms->active = 1;
	ms->start = start;
	ms->due = start + inc_ms_conf(is, k)->window;
	ms->state = MS_PENDING;
	ms->next_stage = 0;
}

static void
inc_save(struct incidents *is, const struct incident *inc, const char *event,
         const char *detail)
{
	if (is->hooks.save != NULL)
		is->hooks.save(inc, event, detail, is->hooks.arg);
}

/* The clock start: earliest publication, within [first_seen - skew,
 * first_seen]. */
static int64_t
inc_clock_start(const struct incidents *is, int64_t published,
                int64_t first_seen)
{
	int64_t floor = first_seen - is->conf->deadlines.skew_max;

	if (published < 0 || published > first_seen)
		return first_seen;
	return published < floor ? floor : published;
}

static void
inc_join_str(char *out, size_t len, const struct classification *c)
{
	size_t i, o = 0;

	out[0] = '\0';
	for (i = 0; i < c->ndepartments; i++) {
		int n = snprintf(out + o, len - o, "%s%s", i ? "," : "",
		                 c->departments[i]);

		if (n < 0 || (size_t)n >= len - o)
			return;
		o += (size_t)n;
	}
}

/* The key two reports of one emergency share: place and category. */
static void
inc_event_key(const struct classification *c, char *key, size_t len)
{
	key[0] = '\0';
	if (c->emergency && c->category != NULL && c->place[0] != '\0' &&
	    c->place[0] != '(')
		snprintf(key, len, "%s|%s", c->place, c->category);
}

static void
inc_new(struct incidents *is, const struct item_in *it,
        const struct classification *c, uint64_t hash, const char *key)
{
	struct incident *inc;
	int64_t now = clock_now_ms();
	uint64_t id =
	    (uint64_t)clock_real_wall_ms() * 1000 + (is->seq++ % 1000);
	char detail[200];

	inc = inc_insert(is, id);
	if (inc == NULL)
		return;
	inc->state = INC_OPEN;
	inc->cls = c->cls;
	inc->grade = c->grade;
	snprintf(inc->title, sizeof(inc->title), "%s",
	         it->title ? it->title : "");
	snprintf(inc->link, sizeof(inc->link), "%s", it->link ? it->link : "");
	snprintf(inc->source, sizeof(inc->source), "%s",
	         it->feed ? it->feed : "");
	snprintf(inc->category, sizeof(inc->category), "%s",
	         c->category ? c->category : "other");
	snprintf(inc->place, sizeof(inc->place), "%s", c->place);
	inc_join_str(inc->departments, sizeof(inc->departments), c);
	inc->simhash = hash;
	snprintf(inc->key, sizeof(inc->key), "%s", key);
	inc->first_seen = it->first_seen;
	inc->clock_start = inc_clock_start(is, it->published, it->first_seen);
	inc->fig = c->fig;
	inc->nitems = 1;
	inc->updated = now;
	if (c->cls == CLASS_MAJOR) {
		inc_open_milestone(is, inc, MS_RELEASE, inc->clock_start);
		inc_open_milestone(is, inc, MS_PRESSER, inc->clock_start);
	} else {
		inc_open_milestone(is, inc, MS_RESPONSE, inc->clock_start);
	}
	cluster_index_add(is->ci, id, hash, key, it->first_seen);
	snprintf(detail, sizeof(detail), "%s %s from %s", class_name(c->cls),
	         grade_name(c->grade), it->feed);
	log_notice("incident opened: incident=%llu class=%s grade=%s "
	           "category=%s place=%s title=\"%s\"",
	           (unsigned long long)id, class_name(c->cls),
	           grade_name(c->grade), inc->category, inc->place, inc->title);
	inc_save(is, inc, "opened", detail);
	if (is->hooks.item != NULL)
		is->hooks.item(inc, it, c, is->hooks.arg);
	for (int k = 0; k < MS_COUNT; k++)
		inc_schedule(is, inc, k, now);
}

/* Evidence the opinion surfaced earlier (start): the clock moves back,
 * and with it the pending milestones clocked from it (not those clocked
 * from an upgrade later than first seen). */
static void
inc_clock_earlier(struct incidents *is, struct incident *inc, int64_t start,
                  int64_t now)
{
	int k;

	if (start >= inc->clock_start)
		return;
	inc->clock_start = start;
	for (k = 0; k < MS_COUNT; k++) {
		struct milestone *ms = &inc->ms[k];

		if (!ms->active || ms->start <= start ||
		    ms->state != MS_PENDING || ms->start > inc->first_seen)
			continue;
		ms->due -= ms->start - start;
		ms->start = start;
		deadline_remove(is->dq, inc->id, k);
		inc_schedule(is, inc, k, now);
	}
}

/* A further item about an open incident: figures, grade, class, clock. */
static void
inc_update(struct incidents *is, struct incident *inc, const struct item_in *it,
           const struct classification *c)
{
	int64_t now = clock_now_ms(), start;
	enum grade g;
	char detail[200];

	inc->nitems++;
	inc->updated = now;
	figures_merge(&inc->fig, &c->fig);
	g = c->scale != NULL ? figures_grade(&inc->fig, c->scale) : c->grade;
	if (c->grade > g)
		g = c->grade;
	if (g > inc->grade) {
		snprintf(detail, sizeof(detail), "grade %s -> %s",
		         grade_name(inc->grade), grade_name(g));
		inc->grade = g;
		inc_save(is, inc, "graded", detail);
	}
	if (inc->cls == CLASS_ORDINARY && c->cls == CLASS_MAJOR) {
		inc->cls = CLASS_MAJOR;
		log_notice("incident upgraded to major: incident=%llu grade=%s",
		           (unsigned long long)inc->id, grade_name(inc->grade));
		inc_open_milestone(is, inc, MS_RELEASE, now);
		inc_open_milestone(is, inc, MS_PRESSER, now);
		inc_save(is, inc, "upgraded", "ordinary -> major");
		inc_schedule(is, inc, MS_RELEASE, now);
		inc_schedule(is, inc, MS_PRESSER, now);
	}
	start = inc_clock_start(is, it->published, it->first_seen);
	inc_clock_earlier(is, inc, start, now);
	cluster_index_add(is->ci, inc->id, inc->simhash, inc->key,
	                  it->first_seen);
	snprintf(detail, sizeof(detail), "item from %s", it->feed);
	inc_save(is, inc, "item", detail);
	if (is->hooks.item != NULL)
		is->hooks.item(inc, it, c, is->hooks.arg);
}

/* Is feed id marked official (the district's own channels)? */
static int
inc_official(const struct incidents *is, const char *id)
{
	size_t i;

	for (i = 0; id != NULL && i < is->conf->feeds.n; i++)
		if (strcmp(is->conf->feeds.v[i].id, id) == 0)
			return is->conf->feeds.v[i].official;
	return 0;
}

/*
 * An official item that reads as a response (情况通报, 新闻发布会 …) about
 * an open incident: recorded on it as a candidate response with its link
 * and time; with responses.auto_respond it meets the milestone (major:
 * release, and presser if it was a press conference; ordinary: response).
 * Returns 1 if it was taken as a response.
 */
static int
inc_response(struct incidents *is, const struct item_in *it, uint64_t hash,
             const char *key)
{
	const struct strlist *ph = &is->conf->responses.phrases;
	struct incident *inc;
	char text[1024], detail[400];
	size_t i;
	uint64_t id;
	int dist, presser;

	snprintf(text, sizeof(text), "%s %s", it->title ? it->title : "",
	         it->text ? it->text : "");
	for (i = 0; i < ph->n && strstr(text, ph->v[i]) == NULL; i++)
		;
	if (i == ph->n)
		return 0;
	id = cluster_index_find(is->ci, hash, key, it->first_seen, &dist);
	inc = id != 0 ? incidents_get(is, id) : NULL;
	if (inc == NULL || inc->state == INC_CLOSED ||
	    inc->state == INC_DISMISSED)
		return 0;
	presser = strstr(text, "发布会") != NULL;
	snprintf(detail, sizeof(detail), "from %s: %s %s", it->feed,
	         it->link ? it->link : "", it->title ? it->title : "");
	log_notice("candidate response: incident=%llu feed=%s link=%s",
	           (unsigned long long)inc->id, it->feed,
	           it->link ? it->link : "");
	inc_save(is, inc, "candidate_response", detail);
	if (!is->conf->responses.auto_respond)
		return 1;
	if (inc->cls == CLASS_MAJOR) {
		incidents_meet(is, inc->id, MS_RELEASE, it->first_seen,
		               "auto-detected", it->link);
		if (presser)
			incidents_meet(is, inc->id, MS_PRESSER, it->first_seen,
			               "auto-detected", it->link);
	} else {
		incidents_meet(is, inc->id, MS_RESPONSE, it->first_seen,
		               "auto-detected", it->link);
	}
	return 1;
}

/*
 * A new or edited item.  Returns 1 if it joined or opened an incident, 0
 * if it was dropped (out of the jurisdiction, nothing to track, stale).
 */
int
incidents_item(struct incidents *is, const struct item_in *it)
{
	struct classification c;
	struct text_buf b;
	struct incident *inc = NULL;
	char key[160];
	uint64_t hash, id;
	int dist, joined = 0;

	/* stale items are dropped before the (costly) classification */
	if (it->published >= 0 &&
	    it->first_seen - it->published > is->conf->deadlines.stale_age) {
		is->stale++;
		log_debug("stale item not tracked: feed=%s key=%s", it->feed,
		          it->key);
		return 0;
	}
	text_buf_init(&b, 64 * 1024);
	if (it->title != NULL)
		text_buf_add(&b, it->title, strlen(it->title));
	text_buf_add(&b, "\n", 1);
	if (it->text != NULL)
		text_buf_add(&b, it->text, strlen(it->text));
	classify_text(is->rs, &is->conf->classify, b.s ? b.s : "", it->local,
	              &c);
	text_buf_free(&b);
	inc_event_key(&c, key, sizeof(key));
	hash = cluster_simhash(it->title ? it->title : "",
	                       it->title ? strlen(it->title) : 0);
	/* the district's own channels answering an incident */
	if (inc_official(is, it->feed) && inc_response(is, it, hash, key)) {
		classification_clear(&c);
		return 1;
	}
	if (!c.in_jurisdiction || c.cls == CLASS_NONE) {
		classification_clear(&c);
		return 0;
	}
	id = cluster_index_find(is->ci, hash, key, it->first_seen, &dist);
	if (id != 0)
		inc = incidents_get(is, id);
	if (inc != NULL && inc->state != INC_CLOSED &&
	    inc->state != INC_DISMISSED) {
		inc_update(is, inc, it, &c);
		joined = 1;
	} else {
		inc_new(is, it, &c, hash, key);
		joined = 1;
	}
	classification_clear(&c);
	return joined;
}

/*
 * Take an incident as stored before a restart (copied) and schedule what
 * is still to come; stages missed while down are recorded once, the most
 * severe per milestone.
 */
int
incidents_restore(struct incidents *is, const struct incident *stored)
{
	struct incident *inc;
	int k;

	if (incidents_get(is, stored->id) != NULL)
		return 0;
	inc = inc_insert(is, stored->id);
	if (inc == NULL)
		return -1;
	*inc = *stored;
	cluster_index_add(is->ci, inc->id, inc->simhash, inc->key,
	                  inc->updated > 0 ? inc->updated : inc->first_seen);
	for (k = 0; k < MS_COUNT; k++)
		inc_schedule(is, inc, k, clock_now_ms());
	return 0;
}

/*
 * Milestone k of incident id is met at `at` (monitored ms) by `by`, with
 * evidence (the release's URL): met, or met late if past due.  Its stages
 * still to come are dropped; the others keep running.  Returns 0, or -1
 * (and why in the log) if there is no such open milestone or it was met
 * already.  by and evidence are borrowed for the call.
 */
int
incidents_meet(struct incidents *is, uint64_t id, int k, int64_t at,
               const char *by, const char *evidence)
{
	struct incident *inc = incidents_get(is, id);
	struct milestone *ms;
	char detail[200];

	if (inc == NULL || k < 0 || k >= MS_COUNT || !inc->ms[k].active) {
		log_warnx("cannot meet: no such milestone: incident=%llu "
		          "milestone=%s",
		          (unsigned long long)id, milestone_name(k));
		return -1;
	}
	ms = &inc->ms[k];
	if (ms->state == MS_MET || ms->state == MS_MET_LATE) {
		log_warnx("cannot meet: already met: incident=%llu "
		          "milestone=%s met_at=%lld",
		          (unsigned long long)id, milestone_name(k),
		          (long long)ms->met_at);
		return -1;
	}
	ms->state = at <= ms->due ? MS_MET : MS_MET_LATE;
	ms->met_at = at;
	deadline_remove(is->dq, id, k);
	inc->updated = clock_now_ms();
	log_notice("milestone met: incident=%llu milestone=%s late_ms=%lld "
	           "by=%s",
	           (unsigned long long)id, milestone_name(k),
	           (long long)(at - ms->due), by != NULL ? by : "-");
	snprintf(detail, sizeof(detail), "%s %s by %s", milestone_name(k),
	         ms->state == MS_MET ? "met" : "met late",
	         by != NULL ? by : "-");
	inc_save(is, inc, "met", detail);
	if (is->hooks.met != NULL)
		is->hooks.met(inc, k, by != NULL ? by : "",
		              evidence != NULL ? evidence : "", is->hooks.arg);
	return 0;
}

/*
 * Incident id is acknowledged by `by` (borrowed): open -> acknowledged.
 * Deadline warnings go on (only a recorded response ends them); what
 * stops is the repeat paging of the unacknowledged.  0, or -1 if there
 * is no such open incident (acknowledging twice is not an error: 1).
 */
int
incidents_ack(struct incidents *is, uint64_t id, const char *by)
{
	struct incident *inc = incidents_get(is, id);
	char detail[200];

	if (inc == NULL || inc->state == INC_CLOSED ||
	    inc->state == INC_DISMISSED)
		return -1;
	if (inc->state == INC_ACKED)
		return 1;
	inc->state = INC_ACKED;
	inc->updated = clock_now_ms();
	snprintf(detail, sizeof(detail), "by %s", by != NULL ? by : "-");
	log_notice("incident acknowledged: incident=%llu by=%s",
	           (unsigned long long)id, by != NULL ? by : "-");
	inc_save(is, inc, "acknowledged", detail);
	return 0;
}

/*
 * Dismiss incident id (a false positive): its stages leave the queue and
 * nothing more is recorded for it.  reason and by are borrowed.  0, or -1
 * if there is no such incident or it is closed or dismissed already.
 */
int
incidents_dismiss(struct incidents *is, uint64_t id, const char *by,
                  const char *reason)
{
	struct incident *inc = incidents_get(is, id);
	char detail[300];

	if (inc == NULL || inc->state == INC_CLOSED ||
	    inc->state == INC_DISMISSED)
		return -1;
	inc->state = INC_DISMISSED;
	inc->updated = clock_now_ms();
	deadline_remove(is->dq, id, -1);
	snprintf(detail, sizeof(detail), "by %s: %s", by != NULL ? by : "-",
	         reason != NULL ? reason : "");
	log_notice("incident dismissed: incident=%llu by=%s",
	           (unsigned long long)id, by != NULL ? by : "-");
	inc_save(is, inc, "dismissed", detail);
	return 0;
}

/*
 * Reopen a dismissed or closed incident: open again, its unmet milestones
 * scheduled from now (a stage that came due meanwhile is recorded once,
 * the most severe).  0, or -1 if there is no such incident or it is open.
 */
int
incidents_reopen(struct incidents *is, uint64_t id, const char *by)
{
	struct incident *inc = incidents_get(is, id);
	char detail[200];
	int k;

	if (inc == NULL ||
	    (inc->state != INC_CLOSED && inc->state != INC_DISMISSED))
		return -1;
	inc->state = INC_OPEN;
	inc->updated = clock_now_ms();
	snprintf(detail, sizeof(detail), "by %s", by != NULL ? by : "-");
	log_notice("incident reopened: incident=%llu by=%s",
	           (unsigned long long)id, by != NULL ? by : "-");
	inc_save(is, inc, "reopened", detail);
	for (k = 0; k < MS_COUNT; k++)
		inc_schedule(is, inc, k, clock_now_ms());
	return 0;
}

/*
 * Staff reclassify incident id (cls: CLASS_MAJOR or CLASS_ORDINARY) with
 * a reason.  Up: release and presser are clocked from now (as an upgrade
 * by a later item).  Down: release and presser stop, and the response
 * (48 h) runs from the incident's clock start.  0, or -1 if there is no
 * such open incident or it has that class already.
 */
int
incidents_reclassify(struct incidents *is, uint64_t id, int cls, const char *by,
                     const char *reason)
{
	struct incident *inc = incidents_get(is, id);
	int64_t now = clock_now_ms();
	char detail[300];

	if (inc == NULL || inc->state == INC_CLOSED ||
	    inc->state == INC_DISMISSED || inc->cls == cls ||
	    (cls != CLASS_MAJOR && cls != CLASS_ORDINARY))
		return -1;
	snprintf(detail, sizeof(detail), "%s -> %s by %s: %s",
	         class_name(inc->cls), class_name(cls), by != NULL ? by : "-",
	         reason != NULL ? reason : "");
	inc->cls = cls;
	inc->updated = now;
	if (cls == CLASS_MAJOR) {
		inc_open_milestone(is, inc, MS_RELEASE, now);
		inc_open_milestone(is, inc, MS_PRESSER, now);
	} else {
		deadline_remove(is->dq, id, MS_RELEASE);
		deadline_remove(is->dq, id, MS_PRESSER);
		inc->ms[MS_RELEASE].active = 0;
		inc->ms[MS_PRESSER].active = 0;
		if (!inc->ms[MS_RESPONSE].active)
			inc_open_milestone(is, inc, MS_RESPONSE,
			                   inc->clock_start);
	}
	log_notice("incident reclassified: incident=%llu %s",
	           (unsigned long long)id, detail);
	inc_save(is, inc, "reclassified", detail);
	if (cls == CLASS_MAJOR) {
		inc_schedule(is, inc, MS_RELEASE, now);
		inc_schedule(is, inc, MS_PRESSER, now);
	} else {
		inc_schedule(is, inc, MS_RESPONSE, now);
	}
	return 0;
}

/*
 * Staff merge incident from into incident into (two reports of one
 * event the clustering kept apart): into gains from's items count,
 * figures, grade, departments, earlier clock and, if from was major, the
 * major milestones (clocked from now); from is closed ("merged").  0, or
 * -1 if either is missing, not open, or they are the same.
 */
int
incidents_merge(struct incidents *is, uint64_t from, uint64_t into,
                const char *by, const char *reason)
{
	struct incident *a = incidents_get(is, from),
	                *b = incidents_get(is, into);
	int64_t now = clock_now_ms();
	char detail[300], dep[256], *p, *save = NULL;

	if (a == NULL || b == NULL || a == b || a->state == INC_CLOSED ||
	    a->state == INC_DISMISSED || b->state == INC_CLOSED ||
	    b->state == INC_DISMISSED)
		return -1;
	b->nitems += a->nitems;
	figures_merge(&b->fig, &a->fig);
	if (a->grade > b->grade)
		b->grade = a->grade;
	snprintf(dep, sizeof(dep), "%s", a->departments);
	for (p = strtok_r(dep, ",", &save); p != NULL;
	     p = strtok_r(NULL, ",", &save)) {
		size_t used = strlen(b->departments);
		char probe[260], want[260];

		snprintf(probe, sizeof(probe), ",%s,", b->departments);
		snprintf(want, sizeof(want), ",%s,", p);
		if (strstr(probe, want) == NULL &&
		    used + strlen(p) + 2 < sizeof(b->departments))
			snprintf(b->departments + used,
			         sizeof(b->departments) - used, "%s%s",
			         used ? "," : "", p);
	}
	b->updated = now;
	inc_clock_earlier(is, b, a->clock_start, now);
	if (a->cls == CLASS_MAJOR && b->cls != CLASS_MAJOR)
		incidents_reclassify(is, into, CLASS_MAJOR, by,
		                     "merged with a major incident");
	a->state = INC_CLOSED;
	a->updated = now;
	deadline_remove(is->dq, from, -1);
	snprintf(detail, sizeof(detail), "into %llu by %s: %s",
	         (unsigned long long)into, by != NULL ? by : "-",
	         reason != NULL ? reason : "");
	inc_save(is, a, "merged", detail);
	snprintf(detail, sizeof(detail), "from %llu by %s: %s",
	         (unsigned long long)from, by != NULL ? by : "-",
	         reason != NULL ? reason : "");
	inc_save(is, b, "merged", detail);
	log_notice("incidents merged: from=%llu into=%llu",
	           (unsigned long long)from, (unsigned long long)into);
	return 0;
}

/* Call fn for every incident (order unspecified); inc is borrowed. */
void
incidents_each(const struct incidents *is,
               void (*fn)(const struct incident *, void *), void *arg)
{
	const struct inc_node *n;
	size_t i;

	for (i = 0; i < INC_BUCKETS; i++)
		for (n = is->buckets[i]; n != NULL; n = n->next)
			fn(&n->inc, arg);
}

struct incidents *
incidents_new(struct event_base *base, const struct config *conf,
              struct ruleset *rs, const struct incidents_hooks *hooks)
{
	struct incidents *is = calloc(1, sizeof(*is));

	if (is == NULL)
		return NULL;
	is->base = base;
	is->conf = conf;
	is->rs = rs;
	if (hooks != NULL)
		is->hooks = *hooks;
	is->dq = deadline_new(base, inc_fire_cb, is);
	is->ci = cluster_index_new(CLUSTER_DEFAULT_DISTANCE,
	                           conf->deadlines.stale_age);
	if (is->dq == NULL || is->ci == NULL) {
		incidents_free(is);
		return NULL;
	}
	return is;
}

/* A reload: new windows apply to stages still to come. */
void
incidents_reconfigure(struct incidents *is, const struct config *conf,
                      struct ruleset *rs)
{
	is->conf = conf;
	is->rs = rs;
}

/* Stopping: no more stages are recorded; the next start catches up. */
void
incidents_stop(struct incidents *is)
{
	deadline_stop(is->dq);
}

/* Incidents per class (CLASS_*) and state (INC_*); the deadline engine's
 * stages recorded while running and their lateness (monitored ms). */
void
incidents_stats(const struct incidents *is, int64_t counts[3][4],
                int64_t *fired, int64_t *late_sum, int64_t *late_max)
{
	const struct inc_node *n;
	size_t i;

	memset(counts, 0, sizeof(int64_t) * 12);
	for (i = 0; i < INC_BUCKETS; i++)
		for (n = is->buckets[i]; n != NULL; n = n->next)
			if (n->inc.cls >= 0 && n->inc.cls < 3 &&
			    n->inc.state >= 0 && n->inc.state < 4)
				counts[n->inc.cls][n->inc.state]++;
	*fired = is->fired;
	*late_sum = is->late_sum;
	*late_max = is->late_max;
}

size_t
incidents_count(const struct incidents *is)
{
	return is->n;
}

size_t
incidents_scheduled(const struct incidents *is)
{
	return deadline_size(is->dq);
}

void
incidents_free(struct incidents *is)
{
	struct inc_node *n, *next;
	size_t i;

	if (is == NULL)
		return;
	for (i = 0; i < INC_BUCKETS; i++)
		for (n = is->buckets[i]; n != NULL; n = next) {
			next = n->next;
			free(n);
		}
	deadline_free(is->dq);
	cluster_index_free(is->ci);
	free(is);
}
