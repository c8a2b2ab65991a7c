/*
 * feeds.c: the feed set and its schedule.  Each feed is polled at its own
 * interval with +-10 % jitter; cache hints (RSS <ttl>, max-age, Expires)
 * may lengthen the interval up to the feed's ceiling, failures back off
 * exponentially up to the same ceiling (never disabling a feed) and
 * Retry-After is honoured within it.  A global cap on fetches in flight,
 * a per-host cap and a minimum spacing between starts on one host keep
 * one slow host from starving the rest and any host from a burst.  One
 * timer, re-armed to the next thing due.  Intervals are monitored time
 * (they follow --time-scale); host spacing is real time (politeness to
 * real servers).  What must survive a restart goes out through the hooks.
 */
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#include "feeds/feeds.h"

#define FEEDS_FIRST_SPREAD 10000 /* first polls spread over 10 s */

struct feed_host {
	char name[256];
	int active;
	int64_t last_start; /* real ms */
};

struct feed {
	struct feeds *fs;
	const struct conf_feed *conf; /* in the current config */
	char *id;
	struct feed_state st;
	size_t host;
	int in_flight;
	int removed;
};

struct feeds {
	struct event_base *base;
	const struct config *conf;
	struct feeds_hooks hooks;
	struct fetcher *fetcher;
	struct feed **v;
	size_t n;
	struct feed_host *hosts;
	size_t nhosts;
	struct event *timer;
	size_t active;
	int started;
	int stopped;
	int64_t polled, failed; /* polls completed, of which failed */
};

static void feeds_schedule(struct feeds *);

static char *
feeds_strdup(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

static void
feeds_setstr(char **dst, const char *src)
{
	char *n = feeds_strdup(src);

	free(*dst);
	*dst = n;
}

void
feed_state_clear(struct feed_state *st)
{
	free(st->configured_url);
	free(st->url);
	free(st->etag);
	free(st->last_modified);
	free(st->last_error);
	free(st->reason);
	free(st->redirect_to);
	memset(st, 0, sizeof(*st));
	st->last_success = st->last_attempt = st->next_poll = -1;
	st->failing_since = st->down_since = -1;
}

/* Host of a URL, lower-cased; "" if it has none. */
static void
feeds_host_of(const char *url, char *out, size_t len)
{
	CURLU *u = curl_url();
	char *host = NULL, *p;

	out[0] = '\0';
	if (u != NULL && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
		for (p = host; *p != '\0'; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
		snprintf(out, len, "%s", host);
	}
	curl_free(host);
	curl_url_cleanup(u);
}

static size_t
feeds_host_index(struct feeds *fs, const char *url)
{
	char name[256];
	struct feed_host *nv;
	size_t i;

	feeds_host_of(url, name, sizeof(name));
	for (i = 0; i < fs->nhosts; i++)
		if (strcmp(fs->hosts[i].name, name) == 0)
			return i;
	nv = realloc(fs->hosts, (fs->nhosts + 1) * sizeof(*nv));
	if (nv == NULL)
		return 0; /* out of memory: share host 0, still bounded */
	fs->hosts = nv;
	memset(&fs->hosts[fs->nhosts], 0, sizeof(fs->hosts[0]));
	snprintf(fs->hosts[fs->nhosts].name, sizeof(fs->hosts[0].name), "%s",
	         name);
	fs->hosts[fs->nhosts].last_start = -1000000000;
	return fs->nhosts++;
}

static const char *
feeds_url(const struct feed *f)
{
	return f->st.url != NULL ? f->st.url : f->conf->url;
}

/* +-10 %, so feeds configured alike do not poll in lockstep. */
static int64_t
feeds_jitter(int64_t ms)
{
	int64_t span = ms / 5;

	if (span <= 0)
		return ms;
	return ms - span / 2 + (int64_t)((uint64_t)random() % (uint64_t)span);
}

static struct feed *
feeds_find(struct feeds *fs, const char *id)
{
	size_t i;

	for (i = 0; i < fs->n; i++)
		if (!fs->v[i]->removed && strcmp(fs->v[i]->id, id) == 0)
			return fs->v[i];
	return NULL;
}

static struct feed *
feeds_add(struct feeds *fs, const struct conf_feed *cf)
{
	struct feed *f, **nv;

	nv = realloc(fs->v, (fs->n + 1) * sizeof(*nv));
	if (nv == NULL)
		return NULL;
	fs->v = nv;
	f = calloc(1, sizeof(*f));
	if (f == NULL)
		return NULL;
	f->fs = fs;
	f->conf = cf;
	f->id = strdup(cf->id);
	feed_state_clear(&f->st);
	f->st.configured_url = feeds_strdup(cf->url);
	f->st.next_poll = clock_now_ms() +
	                  (int64_t)((uint64_t)random() %
	                            (uint64_t)(cf->interval < FEEDS_FIRST_SPREAD
	                                           ? cf->interval
	                                           : FEEDS_FIRST_SPREAD));
	f->host = feeds_host_index(fs, cf->url);
	fs->v[fs->n++] = f;
	log_info("feed added: feed=%s url=%s", cf->id, cf->url);
	return f;
}

static void
feeds_free_one(struct feed *f)
{
	feed_state_clear(&f->st);
	free(f->id);
	free(f);
}

/* Drop removed feeds that are no longer in flight. */
static void
feeds_reap(struct feeds *fs)
{
	size_t i, o = 0;

	for (i = 0; i < fs->n; i++) {
		if (fs->v[i]->removed && !fs->v[i]->in_flight)
			feeds_free_one(fs->v[i]);
		else
			fs->v[o++] = fs->v[i];
	}
	fs->n = o;
}

/*
 * Match the feed list of conf against the running one by id: new feeds
 * start soon, removed ones stop (after a fetch in flight), a changed URL
 * forgets the old URL's validators and redirects.
 */
int
feeds_reconfigure(struct feeds *fs, const struct config *conf)
{
	struct feed *f;
	size_t i;

	fs->conf = conf;
	for (i = 0; i < fs->n; i++)
		fs->v[i]->removed = 1;
	for (i = 0; i < conf->feeds.n; i++) {
		const struct conf_feed *cf = &conf->feeds.v[i];
		size_t k;

		f = NULL;
		for (k = 0; k < fs->n; k++)
			if (strcmp(fs->v[k]->id, cf->id) == 0)
				f = fs->v[k];
		if (f == NULL) {
			if (feeds_add(fs, cf) == NULL)
				return -1;
			continue;
		}
		f->removed = 0;
		f->conf = cf;
		if (f->st.configured_url == NULL ||
		    strcmp(f->st.configured_url, cf->url) != 0) {
			log_info("feed url changed: feed=%s url=%s", cf->id,
			         cf->url);
			feeds_setstr(&f->st.configured_url, cf->url);
			feeds_setstr(&f->st.url, NULL);
			feeds_setstr(&f->st.etag, NULL);
			feeds_setstr(&f->st.last_modified, NULL);
			feeds_setstr(&f->st.redirect_to, NULL);
			f->st.redirect_seen = 0;
			f->host = feeds_host_index(fs, cf->url);
		}
	}
	for (i = 0; i < fs->n; i++)
		if (fs->v[i]->removed)
			log_info("feed removed: feed=%s", fs->v[i]->id);
	feeds_reap(fs);
	if (fs->started)
		feeds_schedule(fs);
	return 0;
}

/*
 * Take a feed's state as stored before a restart: validators, backoff,
 * next poll.  A state saved for another URL than the configured one is
 * ignored.  A poll overdue during the downtime is spread over the next
 * minute rather than all at once.
 */
int
feeds_restore(struct feeds *fs, const char *id, const struct feed_state *st)
{
	struct feed *f = feeds_find(fs, id);
	int64_t now = clock_now_ms(), spread;

	if (f == NULL)
		return -1;
	if (st->configured_url == NULL ||
	    strcmp(st->configured_url, f->conf->url) != 0)
		return 0;
	feeds_setstr(&f->st.url, st->url);
	feeds_setstr(&f->st.etag, st->etag);
	feeds_setstr(&f->st.last_modified, st->last_modified);
	feeds_setstr(&f->st.last_error, st->last_error);
	feeds_setstr(&f->st.reason, st->reason);
	feeds_setstr(&f->st.redirect_to, st->redirect_to);
	f->st.redirect_seen = st->redirect_seen;
	f->st.last_success = st->last_success;
	f->st.last_attempt = st->last_attempt;
	f->st.last_status = st->last_status;
	f->st.failures = st->failures;
	f->st.failing_since = st->failing_since;
	memcpy(f->st.charset, st->charset, sizeof(f->st.charset));
	f->st.recovered = st->recovered;
	f->st.items = st->items;
	f->st.latency = st->latency;
	f->st.down = st->down;
	f->st.down_since = st->down_since;
	f->st.next_poll = st->next_poll;
	if (f->st.next_poll < now) {
		spread = f->conf->interval < 60000 ? f->conf->interval : 60000;
		f->st.next_poll =
		    now + (int64_t)((uint64_t)random() % (uint64_t)spread);
	}
	f->host = feeds_host_index(fs, feeds_url(f));
	return 0;
}

/*
 * Forget a feed's validators: its last items could not be stored, so the
 * next poll must fetch the whole body again rather than get a 304.
 */
void
feeds_invalidate(struct feeds *fs, const char *id)
{
	struct feed *f = feeds_find(fs, id);

	if (f == NULL)
		return;
	feeds_setstr(&f->st.etag, NULL);
	feeds_setstr(&f->st.last_modified, NULL);
}

/* Cache hints may stretch the interval, never past the ceiling. */
static int64_t
feeds_interval(const struct feed *f, const struct fetch_result *res,
               const struct feed_doc *doc)
{
	int64_t iv = f->conf->interval, hint = -1;

	if (doc != NULL && doc->ttl > hint)
		hint = doc->ttl;
	if (res->max_age > hint)
		hint = res->max_age;
	if (res->expires >= 0 && res->expires - clock_real_wall_ms() > hint)
		hint = res->expires - clock_real_wall_ms();
	if (hint > iv)
		iv = hint < f->conf->ceiling ? hint : f->conf->ceiling;
	return feeds_jitter(iv);
}

/* Exponential backoff from the interval, Retry-After within the ceiling. */
static int64_t
feeds_backoff(const struct feed *f, const struct fetch_result *res)
{
	int64_t iv = f->conf->interval, ceil = f->conf->ceiling;
	int64_t n;

	for (n = 1; n < f->st.failures && iv < ceil; n++)
		iv *= 2;
	if (iv > ceil)
		iv = ceil;
	iv = feeds_jitter(iv);
	if (res != NULL && res->retry_after > iv)
		iv = res->retry_after;
	return iv > ceil ? ceil : iv;
}

static void
feeds_failed(struct feed *f, const struct fetch_result *res, const char *why)
{
	struct feeds *fs = f->fs;
	int64_t now = clock_now_ms();

	f->st.failures++;
	fs->polled++;
	fs->failed++;
	if (f->st.failing_since < 0)
		f->st.failing_since = now;
	feeds_setstr(&f->st.last_error, why);
	f->st.next_poll = now + feeds_backoff(f, res);
	log_warnx("cannot poll feed '%s': %s: failures=%lld url=%s", f->id, why,
	          (long long)f->st.failures, feeds_url(f));
	if (!f->st.down &&
	    (f->st.failures >= fs->conf->fetch.down_after_failures ||
	     now - f->st.failing_since >= fs->conf->fetch.down_after)) {
		f->st.down = 1;
		f->st.down_since = now;
		log_err("feed is down: feed=%s failures=%lld error=\"%s\"",
		        f->id, (long long)f->st.failures, why);
		if (fs->hooks.event != NULL)
			fs->hooks.event(f->id, "source_down", &f->st,
			                fs->hooks.arg);
	}
}

static void
feeds_succeeded(struct feed *f)
{
	struct feeds *fs = f->fs;

	f->st.last_success = clock_now_ms();
	f->st.failures = 0;
	fs->polled++;
	f->st.failing_since = -1;
	feeds_setstr(&f->st.last_error, NULL);
	if (f->st.down) {
		f->st.down = 0;
		log_notice("feed is up again: feed=%s", f->id);
		if (fs->hooks.event != NULL)
			fs->hooks.event(f->id, "source_up", &f->st,
			                fs->hooks.arg);
	}
}

/* A permanent redirect moves the feed only once seen on 3 polls running. */
static void
feeds_redirects(struct feed *f, const struct fetch_result *res)
{
	const char *to = res->permanent_location;

	if (to == NULL || strcmp(to, feeds_url(f)) == 0) {
		feeds_setstr(&f->st.redirect_to, NULL);
		f->st.redirect_seen = 0;
		return;
	}
	if (f->st.redirect_to != NULL && strcmp(f->st.redirect_to, to) == 0)
		f->st.redirect_seen++;
	else {
		feeds_setstr(&f->st.redirect_to, to);
		f->st.redirect_seen = 1;
	}
	if (f->st.redirect_seen >= 3) {
		log_notice("feed moved permanently: feed=%s from=%s to=%s",
		           f->id, feeds_url(f), to);
		feeds_setstr(&f->st.url, to);
		feeds_setstr(&f->st.redirect_to, NULL);
		f->st.redirect_seen = 0;
		f->host = feeds_host_index(f->fs, to);
	}
}

/* A 2xx body: parse, hand over, keep validators if the items were taken. */
static void
feeds_body(struct feed *f, const struct fetch_result *res)
{
	struct feeds *fs = f->fs;
	struct feed_parse_opts po;
	struct feed_doc doc;
	char why[300];

	memset(&po, 0, sizeof(po));
	po.url = res->effective_url != NULL ? res->effective_url : feeds_url(f);
	po.http_charset = res->charset;
	po.dates.zone =
	    f->conf->zone != NULL ? f->conf->zone : fs->conf->clock.zone;
	po.dates.chinese = f->conf->chinese;
	po.now = clock_now_ms();
	if (feed_parse(res->body, res->body_len, &po, &doc) == -1) {
		snprintf(why, sizeof(why), "not a feed: %s", doc.reason);
		feeds_failed(f, res, why);
		feed_doc_clear(&doc);
		return;
	}
	memcpy(f->st.charset, doc.charset, sizeof(f->st.charset));
	f->st.recovered = doc.recovered;
	feeds_setstr(&f->st.reason, doc.reason[0] ? doc.reason : NULL);
	f->st.items = (int64_t)doc.nitems;
	if (doc.recovered)
		log_info("feed recovered from malformed input: feed=%s "
		         "reason=\"%s\"",
		         f->id, doc.reason);
	if (fs->hooks.doc == NULL ||
	    fs->hooks.doc(f->conf, &doc, fs->hooks.arg) == 0) {
		feeds_setstr(&f->st.etag, res->etag);
		feeds_setstr(&f->st.last_modified, res->last_modified);
	}
	feeds_succeeded(f);
	f->st.next_poll = clock_now_ms() + feeds_interval(f, res, &doc);
	feed_doc_clear(&doc);
}

static void
feeds_done_cb(const struct fetch_result *res, void *arg)
{
	struct feed *f = arg;
	struct feeds *fs = f->fs;
	char why[300];

	f->in_flight = 0;
	fs->active--;
	if (f->host < fs->nhosts && fs->hosts[f->host].active > 0)
		fs->hosts[f->host].active--;
	if (f->removed) {
		feeds_reap(fs);
		feeds_schedule(fs);
		return;
	}
	f->st.last_attempt = clock_now_ms();
	f->st.latency = res->latency;
	f->st.last_status = res->status;
	if (!res->transport_ok) {
		feeds_failed(f, res, res->error);
	} else if (res->status == 304) {
		feeds_redirects(f, res);
		feeds_succeeded(f);
		f->st.next_poll = clock_now_ms() + feeds_interval(f, res, NULL);
	} else if (res->status >= 200 && res->status < 300) {
		feeds_redirects(f, res);
		feeds_body(f, res);
	} else {
		snprintf(why, sizeof(why), "HTTP status %ld", res->status);
		feeds_failed(f, res, why);
	}
	if (fs->hooks.state != NULL)
		fs->hooks.state(f->id, &f->st, fs->hooks.arg);
	feeds_schedule(fs);
}

/* Start one fetch; the request's strings are copied by the fetcher. */
static int
feeds_start_one(struct feeds *fs, struct feed *f)
{
	const struct conf_fetch *fc = &fs->conf->fetch;
	struct fetch_request rq;
	char **hdrs;
	size_t i, n = f->conf->headers.n;
	int rc;

	hdrs = calloc(n + 1, sizeof(*hdrs));
	if (hdrs == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		const struct conf_header *h = &f->conf->headers.v[i];
		size_t len = strlen(h->name) + strlen(h->value.value) + 3;

		hdrs[i] = malloc(len);
		if (hdrs[i] != NULL)
			snprintf(hdrs[i], len, "%s: %s", h->name,
			         h->value.value);
	}
	memset(&rq, 0, sizeof(rq));
	rq.url = feeds_url(f);
	rq.etag = f->st.etag;
	rq.last_modified = f->st.last_modified;
	rq.user_agent =
	    f->conf->user_agent ? f->conf->user_agent : fc->user_agent;
	rq.proxy = f->conf->proxy;
	rq.headers = (const char *const *)hdrs;
	rq.tls_verify = f->conf->tls_verify;
	rq.max_body = (size_t)fc->max_body;
	rq.connect_timeout = fc->connect_timeout;
	rq.timeout = fc->timeout;
	rq.low_speed_time = fc->low_speed_time;
	rc = fetcher_start(fs->fetcher, &rq, feeds_done_cb, f);
	for (i = 0; i < n; i++)
		free(hdrs[i]);
	free(hdrs);
	if (rc == -1)
		return -1;
	f->in_flight = 1;
	fs->active++;
	fs->hosts[f->host].active++;
	fs->hosts[f->host].last_start = clock_real_ms();
	log_debug("polling feed: feed=%s url=%s etag=%s", f->id, rq.url,
	          rq.etag ? "yes" : "no");
	return 0;
}

static int
feeds_due_cmp(const void *a, const void *b)
{
	const struct feed *fa = *(struct feed *const *)a;
	const struct feed *fb = *(struct feed *const *)b;

	return fa->st.next_poll < fb->st.next_poll   ? -1
	       : fa->st.next_poll > fb->st.next_poll ? 1
	                                             : 0;
}

/*
 * Start what is due, most overdue first, within the caps; then arm the
 * one timer for whichever comes first: the next feed due, or the end of a
 * host's spacing that holds back a due feed.  A feed held by a cap waits
 * for a fetch to finish (which calls this again).
 */
static void
feeds_schedule(struct feeds *fs)
{
	const struct conf_fetch *fc;
	struct feed **due;
	struct timeval tv;
	int64_t now, real, wait_real = -1, wait_mon = -1, w;
	size_t i, ndue = 0;

	if (!fs->started || fs->stopped)
		return;
	fc = &fs->conf->fetch;
	now = clock_now_ms();
	real = clock_real_ms();
	due = calloc(fs->n + 1, sizeof(*due));
	if (due == NULL)
		return;
	for (i = 0; i < fs->n; i++) {
		struct feed *f = fs->v[i];

		if (f->in_flight || f->removed)
			continue;
		if (f->st.next_poll <= now)
			due[ndue++] = f;
		else if (wait_mon < 0 || f->st.next_poll - now < wait_mon)
			wait_mon = f->st.next_poll - now;
	}
	qsort(due, ndue, sizeof(*due), feeds_due_cmp);
	for (i = 0; i < ndue; i++) {
		struct feed *f = due[i];
		struct feed_host *h = &fs->hosts[f->host];

		if (fs->active >= (size_t)fc->max_concurrent)
			break;
		if (h->active >= fc->per_host)
			continue;
		if (real - h->last_start < fc->host_spacing) {
			w = fc->host_spacing - (real - h->last_start);
			if (wait_real < 0 || w < wait_real)
				wait_real = w;
			continue;
		}
		if (feeds_start_one(fs, f) == -1) {
			feeds_failed(f, NULL, "cannot start the fetch");
			continue;
		}
	}
	free(due);
	evtimer_del(fs->timer);
	if (wait_mon >= 0) {
		clock_timeval(wait_mon, &tv);
		w = (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
		if (wait_real < 0 || w < wait_real)
			wait_real = w;
	}
	if (wait_real >= 0) {
		clock_real_timeval(wait_real > 0 ? wait_real : 1, &tv);
		evtimer_add(fs->timer, &tv);
	}
}

static void
feeds_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	feeds_schedule(arg);
}

/* hooks is copied; conf must outlive the feeds or the next reconfigure. */
struct feeds *
feeds_new(struct event_base *base, const struct config *conf,
          const struct feeds_hooks *hooks)
{
	struct feeds *fs = calloc(1, sizeof(*fs));

	if (fs == NULL)
		return NULL;
	fs->base = base;
	if (hooks != NULL)
		fs->hooks = *hooks;
	fs->timer = evtimer_new(base, feeds_timer_cb, fs);
	fs->fetcher = fetcher_new(base);
	if (fs->timer == NULL || fs->fetcher == NULL ||
	    feeds_reconfigure(fs, conf) == -1) {
		feeds_free(fs);
		return NULL;
	}
	return fs;
}

/* Begin polling (after the stored state has been restored). */
void
feeds_start(struct feeds *fs)
{
	if (fs->started)
		return;
	fs->started = 1;
	log_info("feeds polling started: feeds=%zu", fs->n);
	feeds_schedule(fs);
}

size_t
feeds_count(const struct feeds *fs)
{
	return fs->n;
}

size_t
feeds_down(const struct feeds *fs)
{
	size_t i, n = 0;

	for (i = 0; i < fs->n; i++)
		n += fs->v[i]->st.down ? 1 : 0;
	return n;
}

size_t
feeds_active(const struct feeds *fs)
{
	return fs->active;
}

/* Call fn for every feed still configured (its id and state, borrowed). */
void
feeds_each(const struct feeds *fs,
           void (*fn)(const char *, const struct feed_state *, void *),
           void *arg)
{
	size_t i;

	for (i = 0; i < fs->n; i++)
		if (!fs->v[i]->removed)
			fn(fs->v[i]->id, &fs->v[i]->st, arg);
}

/* Polls completed since start, and how many of them failed. */
void
feeds_polls(const struct feeds *fs, int64_t *polled, int64_t *failed)
{
	*polled = fs->polled;
	*failed = fs->failed;
}

/* No new polls; fetches in flight are dropped at feeds_free (their feeds
 * keep the state of their last completed poll, so nothing is lost). */
void
feeds_stop(struct feeds *fs)
{
	fs->stopped = 1;
	if (fs->timer != NULL)
		evtimer_del(fs->timer);
}

void
feeds_free(struct feeds *fs)
{
	size_t i;

	if (fs == NULL)
		return;
	fetcher_free(fs->fetcher); /* no callbacks after this */
	if (fs->timer != NULL)
		event_free(fs->timer);
	for (i = 0; i < fs->n; i++)
		feeds_free_one(fs->v[i]);
	free(fs->v);
	free(fs->hosts);
	free(fs);
}
