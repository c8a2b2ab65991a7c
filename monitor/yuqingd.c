/*
 * yuqingd.c: the daemon.  One libevent loop; every module gets the base and
 * its part of the configuration.  Signals are events: TERM/INT stop (stop
 * accepting, let in-flight Redis writes land, exit 0), HUP reloads the
 * configuration atomically (a bad file is refused and the old one keeps
 * running).  Under systemd it reports READY, RELOADING, STOPPING and pings
 * the watchdog.
 */
#include <errno.h>
#include <event2/event.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

#include "alerts/alerts.h"
#include "monitor/monitor.h"

#define DEFAULT_CONFIG YQ_SYSCONFDIR "/yuqing/yuqing.conf"

struct daemon {
	struct event_base *base;
	struct config *conf;
	const char *conf_path;
	int verbose;
	struct store *store;
	struct httpd *httpd;
	struct feeds *feeds;
	struct feedstore *feedstore;
	struct ruleset *rules;
	struct incidents *incidents;
	struct incidentstore *istore;
	struct deliver *deliver;
	struct weekly *weekly;
	struct ack *ack;
	struct api *api;
	struct event *sig_term, *sig_int, *sig_hup, *watchdog_ev, *grace_ev;
	struct event *busy_ev; /* stopping: deliveries still in flight */
	int stopping;
	int64_t started_ms;
	int64_t reloads;
	uint64_t watchdog_usec;
};

static void
usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: yuqingd [options]\n"
	    "  -c, --config FILE        configuration file (default %s)\n"
	    "  -f, --foreground         do not detach (systemd runs it so)\n"
	    "  -t, --check-config FILE  check FILE and exit: 0 if OK, 1 with\n"
	    "                           every error found\n"
	    "  -d, --dump               print the effective configuration "
	    "and exit\n"
	    "                           (secrets are never printed)\n"
	    "  -v, --verbose            more logging (repeat for more)\n"
	    "      --time-scale N       N monitored seconds per real second\n"
	    "      --time-start ISO     start the monitored clock at this "
	    "instant\n"
	    "  -V, --version            print the version and exit\n"
	    "  -h, --help               print this help and exit\n",
	    DEFAULT_CONFIG);
}

static int
daemon_level(const struct daemon *d)
{
	int level = d->conf->log.level + d->verbose;

	return level > LOG_DEBUG ? LOG_DEBUG : level;
}

static void
daemon_notify_status(const struct daemon *d, const char *state)
{
	const char *reason;
	enum store_state s = store_state(d->store, &reason);

	sd_notifyf(0, "%sSTATUS=%s; redis %s; %zu feeds", state,
	           d->stopping ? "stopping" : "running", store_state_name(s),
	           feeds_count(d->feeds));
}

/* The start record tells operators (and tests) which daemon wrote last. */
static void
daemon_record_start(struct daemon *d)
{
	char now[32];

	snprintf(now, sizeof(now), "%lld", (long long)clock_now_ms());
	store_command(d->store, NULL, NULL,
	              "HSET %s:daemon pid %d version %s started_at %lld "
	              "connected_at %s",
	              store_prefix(d->store), (int)getpid(), YQ_VERSION,
	              (long long)d->started_ms, now);
}

static void
daemon_store_state_cb(enum store_state s, const char *reason, void *arg)
{
	struct daemon *d = arg;

	(void)reason;
	if (s == STORE_UP && !d->stopping) {
		daemon_record_start(d);
		/* incidents first; their readiness starts the feeds */
		incidentstore_link_up(d->istore);
		deliver_link_up(d->deliver);
		api_link_up(d->api);
	}
	daemon_notify_status(d, "");
}

/* Incidents are back from Redis: now the feeds may bring new items. */
static void
daemon_incidents_ready_cb(void *arg)
{
	struct daemon *d = arg;

	feedstore_link_up(d->feedstore);
	weekly_incidents_ready(d->weekly);
}

/* A stage fired: to the people the escalation names. */
static void
daemon_alert_cb(const struct incident *inc, int k, int stage,
                const char *stage_name, int64_t due_at, int64_t now, void *arg)
{
	struct daemon *d = arg;

	deliver_alert(d->deliver, inc, k, stage, stage_name, due_at, now);
}

/* An incident opened, was upgraded or came back from Redis at start:
 * watch that somebody acknowledges it (on_unacked levels are paged). */
static void
daemon_incident_cb(const struct incident *inc, const char *event, void *arg)
{
	struct daemon *d = arg;

	if (strcmp(event, "opened") == 0 || strcmp(event, "upgraded") == 0 ||
	    strcmp(event, "restored") == 0)
		deliver_watch(d->deliver, inc);
}

/* A source went down: to the technical contact. */
static void
daemon_feed_event_cb(const char *id, const char *event,
                     const struct feed_state *st, void *arg)
{
	struct daemon *d = arg;

	if (strcmp(event, "source_down") == 0)
		deliver_source_down(
		    d->deliver, id,
		    st->last_error != NULL ? st->last_error : "",
		    st->down_since > 0 ? st->down_since : clock_now_ms());
}

/* The feed store recorded new items: the incident engine reads them. */
static void
daemon_items_cb(void *arg)
{
	struct daemon *d = arg;

	incidentstore_poke(d->istore);
}

/* /metrics: Prometheus text format (version 0.0.4). */
static void
daemon_metrics_cb(struct evhttp_request *req, void *arg)
{
	struct daemon *d = arg;
	int64_t counts[3][4], fired, late_sum, late_max, polled, failed;
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	int c, s;

	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
		httpd_reply_error(req, 405, "Method Not Allowed",
		                  "only GET is allowed here");
		return;
	}
	f = open_memstream(&text, &len);
	if (f == NULL) {
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
		return;
	}
	incidents_stats(d->incidents, counts, &fired, &late_sum, &late_max);
	feeds_polls(d->feeds, &polled, &failed);
	fprintf(f,
	        "# HELP yq_redis_up 1 if the Redis link is up.\n"
	        "# TYPE yq_redis_up gauge\nyq_redis_up %d\n"
	        "# HELP yq_redis_pending Redis commands awaiting a reply.\n"
	        "# TYPE yq_redis_pending gauge\nyq_redis_pending %zu\n"
	        "# HELP yq_feeds Feeds configured, down, being fetched.\n"
	        "# TYPE yq_feeds gauge\n"
	        "yq_feeds{state=\"configured\"} %zu\n"
	        "yq_feeds{state=\"down\"} %zu\n"
	        "yq_feeds{state=\"fetching\"} %zu\n"
	        "# HELP yq_feed_polls_total Polls completed.\n"
	        "# TYPE yq_feed_polls_total counter\nyq_feed_polls_total %lld\n"
	        "# HELP yq_feed_poll_failures_total Polls that failed.\n"
	        "# TYPE yq_feed_poll_failures_total counter\n"
	        "yq_feed_poll_failures_total %lld\n"
	        "# HELP yq_items_recorded_total New or edited items recorded.\n"
	        "# TYPE yq_items_recorded_total counter\n"
	        "yq_items_recorded_total %lld\n"
	        "# HELP yq_incidents Incidents in memory by class and state.\n"
	        "# TYPE yq_incidents gauge\n",
	        store_state(d->store, NULL) == STORE_UP,
	        store_pending(d->store), feeds_count(d->feeds),
	        feeds_down(d->feeds), feeds_active(d->feeds), (long long)polled,
	        (long long)failed,
	        (long long)feedstore_items_recorded(d->feedstore));
	for (c = 1; c < 3; c++)
		for (s = 0; s < 4; s++)
			fprintf(
			    f, "yq_incidents{class=\"%s\",state=\"%s\"} %lld\n",
			    class_name(c), incident_state_name(s),
			    (long long)counts[c][s]);
	fprintf(f,
	        "# HELP yq_alerts_recorded_total Stages recorded in Redis.\n"
	        "# TYPE yq_alerts_recorded_total counter\n"
	        "yq_alerts_recorded_total %lld\n"
	        "# HELP yq_deadline_stages_total Stages the deadline engine "
	        "fired while running.\n"
	        "# TYPE yq_deadline_stages_total counter\n"
	        "yq_deadline_stages_total %lld\n"
	        "# HELP yq_deadline_lateness_ms_sum Their lateness (monitored "
	        "ms), summed.\n"
	        "# TYPE yq_deadline_lateness_ms_sum counter\n"
	        "yq_deadline_lateness_ms_sum %lld\n"
	        "# HELP yq_deadline_lateness_ms_max The latest one.\n"
	        "# TYPE yq_deadline_lateness_ms_max gauge\n"
	        "yq_deadline_lateness_ms_max %lld\n",
	        (long long)incidentstore_alerts(d->istore), (long long)fired,
	        (long long)late_sum, (long long)late_max);
	deliver_metrics(d->deliver, f);
	fclose(f);
	httpd_reply_text(req, "text/plain; version=0.0.4; charset=utf-8", text,
	                 len);
	free(text);
}

/* /healthz: healthy when the loop runs and Redis is up with our schema. */
static int
daemon_health_cb(json_t *doc, void *arg)
{
	struct daemon *d = arg;
	const char *reason;
	enum store_state s = store_state(d->store, &reason);
	char now[40];
	int ok = s == STORE_UP && !d->stopping;

	clock_format(clock_now_ms(), now, sizeof(now));
	json_object_set_new(doc, "version", json_string(YQ_VERSION));
	json_object_set_new(doc, "now", json_string(now));
	json_object_set_new(doc, "time_scale", json_real(clock_scale()));
	json_object_set_new(
	    doc, "uptime_s",
	    json_integer(
	        (json_int_t)((clock_now_ms() - d->started_ms) / 1000)));
	json_object_set_new(
	    doc, "redis",
	    json_pack("{s:s, s:s, s:I}", "state", store_state_name(s), "detail",
	              reason, "pending", (json_int_t)store_pending(d->store)));
	json_object_set_new(
	    doc, "feeds",
	    json_pack("{s:I, s:I, s:I, s:I}", "configured",
	              (json_int_t)feeds_count(d->feeds), "down",
	              (json_int_t)feeds_down(d->feeds), "fetching",
	              (json_int_t)feeds_active(d->feeds), "items_recorded",
	              (json_int_t)feedstore_items_recorded(d->feedstore)));
	json_object_set_new(
	    doc, "incidents",
	    json_pack("{s:I, s:I, s:I}", "tracked",
	              (json_int_t)incidents_count(d->incidents),
	              "stages_scheduled",
	              (json_int_t)incidents_scheduled(d->incidents),
	              "alerts_recorded",
	              (json_int_t)incidentstore_alerts(d->istore)));
	json_object_set_new(doc, "reloads", json_integer(d->reloads));
	if (!ok) {
		char why[300];

		if (d->stopping)
			snprintf(why, sizeof(why), "stopping");
		else
			snprintf(why, sizeof(why), "redis %s: %s",
			         store_state_name(s), reason);
		json_object_set_new(doc, "reason", json_string(why));
	}
	return ok;
}

static void daemon_done_cb(void *);

static void
daemon_busy_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;

	(void)fd;
	(void)what;
	store_drain(d->store, daemon_done_cb, d);
}

/* Redis has everything; deliveries in flight finish too (and write their
 * outcome) before the loop ends, within the grace. */
static void
daemon_done_cb(void *arg)
{
	struct daemon *d = arg;
	struct timeval tv = {0, 50 * 1000};

	if (deliver_busy(d->deliver) > 0 && d->busy_ev != NULL) {
		evtimer_add(d->busy_ev, &tv);
		return;
	}
	log_info("in-flight work finished: pending=%zu",
	         store_pending(d->store));
	event_base_loopexit(d->base, NULL);
}

static void
daemon_grace_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;

	(void)fd;
	(void)what;
	log_err("shutdown grace expired, giving up on in-flight writes: "
	        "pending=%zu",
	        store_pending(d->store));
	event_base_loopexit(d->base, NULL);
}

/*
 * Stop: no new work (listener closed, feeds stopped), write the stop
 * record, wait for Redis to acknowledge everything in flight (bounded by
 * daemon.shutdown_grace), then leave the loop.
 */
static void
daemon_stop(struct daemon *d, const char *why)
{
	struct timeval tv;
	char now[32];

	if (d->stopping) {
		log_warnx("second stop signal, exiting now: signal=%s", why);
		event_base_loopexit(d->base, NULL);
		return;
	}
	d->stopping = 1;
	sd_notify(0, "STOPPING=1");
	log_notice("stopping: signal=%s pending=%zu", why,
	           store_pending(d->store));
	httpd_stop_accepting(d->httpd);
	feeds_stop(d->feeds);
	incidents_stop(d->incidents); /* the next start catches up */
	deliver_stop(d->deliver);     /* in flight finishes, nothing new */
	weekly_stop(d->weekly);
	incidentstore_flush(d->istore); /* alerts of this loop iteration */
	snprintf(now, sizeof(now), "%lld", (long long)clock_now_ms());
	store_command_final(d->store, NULL, NULL,
	                    "HSET %s:daemon stopped_at %s",
	                    store_prefix(d->store), now);
	clock_real_timeval(d->conf->daemon.shutdown_grace, &tv);
	evtimer_add(d->grace_ev, &tv);
	store_drain(d->store, daemon_done_cb, d);
}

/*
 * Reload: parse the new file completely first; only a configuration with
 * no error replaces the running one.  Binding a new HTTP address is the
 * only step that can fail after parsing, and it is done before anything
 * else changes.
 */
static void
daemon_reload(struct daemon *d)
{
	struct config_errors errs = {0};
	struct config *nc;
	struct ruleset *nrs = NULL;
	size_t i;

	sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu",
	           (unsigned long long)clock_real_ms() * 1000ULL);
	log_notice("reloading configuration: file=%s", d->conf_path);
	nc = config_load(d->conf_path, &errs);
	if (nc != NULL) {
		nrs = rules_load(nc, &errs);
		if (nrs == NULL) {
			config_free(nc);
			nc = NULL;
		}
	}
	if (nc == NULL) {
		for (i = 0; i < errs.n; i++)
			log_err("config error: %s", errs.v[i]);
		log_err("reload refused, keeping the running configuration: "
		        "errors=%zu",
		        errs.n);
		config_errors_clear(&errs);
		daemon_notify_status(d, "READY=1\n");
		return;
	}
	if (httpd_reconfigure(d->httpd, &nc->http) == -1) {
		log_err("reload refused, keeping the running configuration: "
		        "reason=\"cannot listen on %s\"",
		        nc->http.listen);
		rules_free(nrs);
		config_free(nc);
		daemon_notify_status(d, "READY=1\n");
		return;
	}
	clock_set_zone(nc->clock.zone);
	store_reconfigure(d->store, &nc->redis);
	feeds_reconfigure(d->feeds, nc);
	feedstore_reconfigure(d->feedstore, nc);
	incidents_reconfigure(d->incidents, nc, nrs);
	deliver_reconfigure(d->deliver, nc);
	weekly_reconfigure(d->weekly, nc);
	ack_reconfigure(d->ack, nc);
	api_reconfigure(d->api, nc);
	rules_free(d->rules);
	d->rules = nrs;
	config_free(d->conf);
	d->conf = nc;
	log_set_level(daemon_level(d));
	d->reloads++;
	log_notice("configuration reloaded: file=%s feeds=%zu", d->conf_path,
	           nc->feeds.n);
	rules_log_summary(d->rules);
	daemon_notify_status(d, "READY=1\n");
}

static void
daemon_signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;

	(void)what;
	if (sig == SIGHUP) {
		if (!d->stopping)
			daemon_reload(d);
	} else {
		daemon_stop(d, sig == SIGTERM ? "TERM" : "INT");
	}
}

static void
daemon_watchdog_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	sd_notify(0, "WATCHDOG=1");
}

static void
daemon_free(struct daemon *d)
{
	struct event **evs[] = {&d->sig_term,    &d->sig_int,  &d->sig_hup,
	                        &d->watchdog_ev, &d->grace_ev, &d->busy_ev};
	size_t i;

	for (i = 0; i < sizeof(evs) / sizeof(evs[0]); i++)
		if (*evs[i] != NULL)
			event_free(*evs[i]);
	httpd_free(d->httpd);
	ack_free(d->ack);
	api_free(d->api);
	feeds_stop(d->feeds);
	store_free(d->store); /* replies still due run now, with feeds alive */
	weekly_free(d->weekly);
	deliver_free(d->deliver);
	incidents_free(d->incidents);
	incidentstore_free(d->istore);
	feeds_free(d->feeds);
	feedstore_free(d->feedstore);
	rules_free(d->rules);
	classify_shutdown();
	if (d->base != NULL)
		event_base_free(d->base);
	config_free(d->conf);
	libevent_global_shutdown();
}

static void
daemon_start(struct daemon *d)
{
	struct feeds_hooks hooks;
	struct incidents_hooks ihooks;
	struct timeval tv;

	d->base = event_base_new();
	if (d->base == NULL)
		fatalx("cannot create the event loop");
	d->sig_term = evsignal_new(d->base, SIGTERM, daemon_signal_cb, d);
	d->sig_int = evsignal_new(d->base, SIGINT, daemon_signal_cb, d);
	d->sig_hup = evsignal_new(d->base, SIGHUP, daemon_signal_cb, d);
	d->grace_ev = evtimer_new(d->base, daemon_grace_cb, d);
	d->busy_ev = evtimer_new(d->base, daemon_busy_cb, d);
	if (d->sig_term == NULL || d->sig_int == NULL || d->sig_hup == NULL ||
	    d->grace_ev == NULL || evsignal_add(d->sig_term, NULL) == -1 ||
	    evsignal_add(d->sig_int, NULL) == -1 ||
	    evsignal_add(d->sig_hup, NULL) == -1)
		fatalx("cannot install signal handlers");
	d->store =
	    store_new(d->base, &d->conf->redis, daemon_store_state_cb, d);
	if (d->store == NULL)
		fatalx("cannot set up the redis link: addr=%s",
		       d->conf->redis.address);
	d->feedstore = feedstore_new(d->store, d->conf);
	d->istore = incidentstore_new(d->store, daemon_incidents_ready_cb, d);
	if (d->feedstore == NULL || d->istore == NULL)
		fatalx("cannot allocate the stores");
	incidentstore_hooks(d->istore, &ihooks);
	d->incidents = incidents_new(d->base, d->conf, d->rules, &ihooks);
	if (d->incidents == NULL)
		fatalx("cannot set up the incidents");
	incidentstore_bind(d->istore, d->incidents);
	d->deliver = deliver_new(d->base, d->store, d->conf);
	if (d->deliver == NULL)
		fatalx("cannot set up alert delivery");
	incidentstore_on_alert(d->istore, daemon_alert_cb, d);
	incidentstore_on_save(d->istore, daemon_incident_cb, d);
	deliver_bind(d->deliver, d->incidents);
	d->weekly = weekly_new(d->base, d->conf, d->store, d->incidents,
	                       d->istore, d->deliver);
	if (d->weekly == NULL)
		fatalx("cannot schedule the weekly report");
	feedstore_on_event(d->feedstore, daemon_feed_event_cb, d);
	feedstore_on_items(d->feedstore, daemon_items_cb, d);
	feedstore_hooks(d->feedstore, &hooks);
	d->feeds = feeds_new(d->base, d->conf, &hooks);
	if (d->feeds == NULL)
		fatalx("cannot set up feeds");
	feedstore_bind(d->feedstore, d->feeds);
	d->httpd = httpd_new(d->base, &d->conf->http, daemon_health_cb, d);
	if (d->httpd == NULL)
		fatalx("cannot start the http listener: addr=%s",
		       d->conf->http.listen);
	d->ack = ack_new(d->conf, d->incidents, d->httpd);
	if (d->ack == NULL)
		fatalx("cannot serve the acknowledge links");
	if (httpd_route(d->httpd, "/metrics", daemon_metrics_cb, d) == -1)
		fatalx("cannot serve /metrics");
	d->api = api_new(d->conf, d->incidents, d->store, d->httpd);
	if (d->api == NULL)
		fatalx("cannot serve the api");
	if (dashboard_init(d->httpd) == -1)
		fatalx("cannot serve the dashboard");
	api_bind_feeds(d->api, d->feeds);
	api_bind_istore(d->api, d->istore);
	if (sd_watchdog_enabled(0, &d->watchdog_usec) > 0) {
		d->watchdog_ev =
		    event_new(d->base, -1, EV_PERSIST, daemon_watchdog_cb, d);
		clock_real_timeval((int64_t)(d->watchdog_usec / 2000), &tv);
		if (d->watchdog_ev == NULL ||
		    event_add(d->watchdog_ev, &tv) == -1)
			fatalx("cannot arm the watchdog timer");
		log_info("systemd watchdog armed: interval_ms=%lld",
		         (long long)(d->watchdog_usec / 2000));
	}
}

static int
parse_scale(const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !(v >= CLOCK_SCALE_MIN) ||
	    !(v <= CLOCK_SCALE_MAX))
		return -1;
	*out = v;
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"foreground", no_argument, NULL, 'f'},
	    {"check-config", required_argument, NULL, 't'},
	    {"dump", no_argument, NULL, 'd'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"time-scale", required_argument, NULL, 1},
	    {"time-start", required_argument, NULL, 2},
	    {"version", no_argument, NULL, 'V'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct daemon d;
	struct config_errors errs = {0};
	const char *time_start = NULL;
	double scale = 1.0;
	int64_t start_ms = -1;
	int ch, foreground = 0, dump = 0;

	memset(&d, 0, sizeof(d));
	d.conf_path = DEFAULT_CONFIG;
	/* a peer that goes away mid-write (Redis killed, a client gone) is
	 * an EPIPE to handle, never a signal that kills the daemon */
	signal(SIGPIPE, SIG_IGN);
	log_init("yuqingd", LOG_INFO);
	while ((ch = getopt_long(argc, argv, "c:ft:dvVh", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			d.conf_path = optarg;
			break;
		case 'f':
			foreground = 1;
			break;
		case 't':
			return rules_check_config(optarg, 0, stdout, stderr);
		case 'd':
			dump = 1;
			break;
		case 'v':
			d.verbose++;
			break;
		case 1:
			if (parse_scale(optarg, &scale) == -1) {
				fprintf(stderr,
				        "yuqingd: --time-scale: '%s' is not a "
				        "number in %g..%g\n",
				        optarg, CLOCK_SCALE_MIN,
				        CLOCK_SCALE_MAX);
				return 2;
			}
			break;
		case 2:
			time_start = optarg;
			break;
		case 'V':
			printf("yuqingd %s\n", YQ_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	d.conf = config_load(d.conf_path, &errs);
	if (d.conf != NULL && !dump) {
		d.rules = rules_load(d.conf, &errs);
		if (d.rules == NULL) {
			config_free(d.conf);
			d.conf = NULL;
		}
	}
	if (d.conf == NULL) {
		config_errors_print(&errs, stderr);
		fprintf(stderr, "yuqingd: not starting\n");
		config_errors_clear(&errs);
		return 1;
	}
	if (dump) {
		int rc = config_dump(d.conf, stdout) == 0 ? 0 : 1;

		config_free(d.conf);
		return rc;
	}
	clock_set_zone(d.conf->clock.zone);
	if (time_start != NULL &&
	    clock_parse_iso8601(time_start, &start_ms) == -1) {
		fprintf(stderr,
		        "yuqingd: --time-start: '%s' is not an ISO 8601 "
		        "instant (e.g. 2026-11-27T08:00:00+08:00)\n",
		        time_start);
		rules_free(d.rules);
		classify_shutdown();
		config_free(d.conf);
		return 2;
	}
	clock_init(scale, start_ms);
	log_set_level(daemon_level(&d));
	if (!foreground && getenv("NOTIFY_SOCKET") == NULL) {
		if (daemon(0, 0) == -1)
			fatalx("cannot detach: err=\"%s\"", strerror(errno));
		log_to_syslog();
	}
	srandom((unsigned)(clock_real_ms() ^ getpid()));
	d.started_ms = clock_now_ms();
	{
		char now[40];

		clock_format(d.started_ms, now, sizeof(now));
		log_notice("starting: version=%s config=%s now=%s "
		           "time_scale=%g zone=%s",
		           YQ_VERSION, d.conf_path, now, clock_scale(),
		           d.conf->clock.zone);
		rules_log_summary(d.rules);
	}
	daemon_start(&d);
	daemon_notify_status(&d, "READY=1\n");
	event_base_dispatch(d.base);
	log_notice("stopped: pending=%zu", store_pending(d.store));
	daemon_free(&d);
	return 0;
}
