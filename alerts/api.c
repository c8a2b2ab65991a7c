/*
 * api.c: the operators' JSON API under /api/ (evhttp, loopback by
 * default).  Every request carries a bearer token from api.tokens (kept
 * as sha256: hashes, compared in constant time); "read" tokens may GET,
 * "write" tokens may act.  Incidents are listed and shown from the
 * engine's memory (history and items from Redis); actions (ack, respond,
 * dismiss, reopen) go through the incident engine and each lands in the
 * hash-chained audit trail PREFIX:audit (audit.c) with who, when, what,
 * before and after.  An action is refused (503) while Redis cannot take
 * its audit line: nothing changes without its record.  Paths are matched
 * exactly (/api/incidents, /api/incidents/ID[/ACTION]); anything else is
 * a 404, never a file.  Bodies are capped by evhttp (http.max_body).
 */
#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <time.h>

#include "alerts/alerts.h"

#define API_LIST_MAX 1000 /* incidents in one list answer */
#define API_CLIENTS  64   /* clients the rate limit tracks */

struct api_client {
	char addr[64];
	double tokens;
	int64_t at; /* real ms of the last refill */
};

struct api_token {
	char name[65];
	int write;
	char hash[AUDIT_TOKEN_HASH_SIZE];
};

struct api {
	const struct config *conf;
	struct incidents *incidents;
	struct store *store;
	struct feeds *feeds;
	struct incidentstore *istore; /* the report reads closed incidents */
	struct api_token *tokens;
	size_t ntokens;
	char prev[AUDIT_HASH_SIZE]; /* the audit trail's last hash */
	int prev_known;
	struct api_client clients[API_CLIENTS]; /* least recently seen out */
};

/* The incident as the API shows it (a new reference). */
static json_t *
api_incident_json(const struct incident *inc)
{
	json_t *o, *ms = json_array(), *deps = json_array();
	char id[24], buf[256], *p, *save = NULL;
	int64_t next = -1;
	int k;

	snprintf(id, sizeof(id), "%" PRIu64, inc->id);
	snprintf(buf, sizeof(buf), "%s", inc->departments);
	for (p = strtok_r(buf, ",", &save); p != NULL;
	     p = strtok_r(NULL, ",", &save))
		json_array_append_new(deps, json_string(p));
	for (k = 0; k < MS_COUNT; k++) {
		const struct milestone *m = &inc->ms[k];
		int met = m->state == MS_MET || m->state == MS_MET_LATE;

		if (!m->active)
			continue;
		json_array_append_new(
		    ms,
		    json_pack("{s:s, s:I, s:I, s:s, s:o}", "name",
		              milestone_name(k), "start", (json_int_t)m->start,
		              "due", (json_int_t)m->due, "state",
		              milestone_state_name(m->state), "met_at",
		              met ? json_integer(m->met_at) : json_null()));
		if (!met && (next < 0 || m->due < next))
			next = m->due;
	}
	o = json_pack(
	    "{s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:I, s:s, s:o, s:o}", "id", id,
	    "title", inc->title, "class", class_name(inc->cls), "grade",
	    grade_name(inc->grade), "state", incident_state_name(inc->state),
	    "category", inc->category, "departments", deps, "first_seen",
	    (json_int_t)inc->first_seen, "link", inc->link, "milestones", ms,
	    "next_due", next >= 0 ? json_integer(next) : json_null());
	return o;
}

static void
api_error(struct evhttp_request *req, int code, const char *reason,
          const char *msg)
{
	httpd_reply_error(req, code, reason, msg);
}

/* The caller's token: its index, or -1 (and the reply sent). */
static long
api_auth(struct api *a, struct evhttp_request *req, int want_write)
{
	const char *h = evhttp_find_header(
	    evhttp_request_get_input_headers(req), "Authorization");
	char token[300];
	size_t i;

	if (h == NULL || audit_bearer(h, token, sizeof(token)) == -1) {
		api_error(req, 401, "Unauthorized",
		          "a bearer token is needed (Authorization: Bearer …)");
		return -1;
	}
	for (i = 0; i < a->ntokens; i++)
		if (audit_token_check(token, a->tokens[i].hash) == 1)
			break;
	explicit_bzero(token, sizeof(token));
	if (i == a->ntokens) {
		log_warnx("api: unknown token refused");
		api_error(req, 401, "Unauthorized", "unknown token");
		return -1;
	}
	if (want_write && !a->tokens[i].write) {
		api_error(req, 403, "Forbidden",
		          "this token may read, not act");
		return -1;
	}
	return (long)i;
}

/* List filters, from the query string. */
struct api_filter {
	int state; /* -1: open and acknowledged */
	int cls;   /* -1: any */
	const char *department, *q;
	int64_t due_before; /* -1: any */
	json_t *out;
};

static int
api_index(const char *const *names, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(names[i], s) == 0)
			return (int)i;
	return -2;
}

static void
api_list_cb(const struct incident *inc, void *arg)
{
	struct api_filter *f = arg;
	int k, due = 0;

	if (json_array_size(f->out) >= API_LIST_MAX)
		return;
	if (f->state == -1 ? inc->state != INC_OPEN && inc->state != INC_ACKED
	                   : inc->state != f->state)
		return;
	if (f->cls >= 0 && inc->cls != f->cls)
		return;
	if (f->q != NULL && strstr(inc->title, f->q) == NULL)
		return;
	if (f->department != NULL) {
		char buf[260];
		size_t n = strlen(f->department);

		snprintf(buf, sizeof(buf), ",%s,", inc->departments);
		if (n == 0 || strstr(buf, f->department) == NULL ||
		    strstr(buf, f->department)[-1] != ',' ||
		    strstr(buf, f->department)[n] != ',')
			return;
	}
	if (f->due_before >= 0) {
		for (k = 0; k < MS_COUNT; k++)
			if (inc->ms[k].active && inc->ms[k].state != MS_MET &&
			    inc->ms[k].state != MS_MET_LATE &&
			    inc->ms[k].due < f->due_before)
				due = 1;
		if (!due)
			return;
	}
	json_array_append_new(f->out, api_incident_json(inc));
}

/* next_due ascending, null last, then id. */
static int
api_cmp(const void *x, const void *y)
{
	json_t *a = *(json_t *const *)x, *b = *(json_t *const *)y;
	json_t *na = json_object_get(a, "next_due"),
	       *nb = json_object_get(b, "next_due");

	if (json_is_null(na) != json_is_null(nb))
		return json_is_null(na) ? 1 : -1;
	if (!json_is_null(na) &&
	    json_integer_value(na) != json_integer_value(nb))
		return json_integer_value(na) < json_integer_value(nb) ? -1 : 1;
	return strcmp(json_string_value(json_object_get(a, "id")),
	              json_string_value(json_object_get(b, "id")));
}

static void
api_list(struct api *a, struct evhttp_request *req)
{
	struct evkeyvalq q;
	struct api_filter f = {-1, -1, NULL, NULL, -1, json_array()};
	const char *query =
	    evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
	const char *v;
	json_t **sorted;
	size_t i, n;

	TAILQ_INIT(&q);
	if (query != NULL && evhttp_parse_query_str(query, &q) != 0) {
		json_decref(f.out);
		api_error(req, 400, "Bad Request", "cannot parse the query");
		return;
	}
	if ((v = evhttp_find_header(&q, "state")) != NULL &&
	    (f.state = state_index(0, v)) < 0)
		goto bad;
	if ((v = evhttp_find_header(&q, "class")) != NULL) {
		f.cls = strcmp(v, "major") == 0      ? CLASS_MAJOR
		        : strcmp(v, "ordinary") == 0 ? CLASS_ORDINARY
		                                     : -2;
		if (f.cls < 0)
			goto bad;
	}
	if ((v = evhttp_find_header(&q, "due_before")) != NULL) {
		char *end;

		f.due_before = strtoll(v, &end, 10);
		if (*end != '\0' || f.due_before < 0)
			goto bad;
	}
	f.department = evhttp_find_header(&q, "department");
	f.q = evhttp_find_header(&q, "q");
	incidents_each(a->incidents, api_list_cb, &f);
	n = json_array_size(f.out);
	sorted = calloc(n + 1, sizeof(*sorted));
	if (sorted != NULL) {
		json_t *out = json_array();

		for (i = 0; i < n; i++)
			sorted[i] = json_array_get(f.out, i);
		qsort(sorted, n, sizeof(*sorted), api_cmp);
		for (i = 0; i < n; i++)
			json_array_append(out, sorted[i]);
		json_decref(f.out);
		f.out = out;
		free(sorted);
	}
	evhttp_clear_headers(&q);
	/* The daemon's own "now" and clock rate: with a fast clock (demo,
	 * tests) time left must be counted against it, not the wall. */
	httpd_reply_json(req, 200, "OK",
	                 json_pack("{s:o, s:I, s:f}", "incidents", f.out, "now",
	                           (json_int_t)clock_now_ms(), "time_scale",
	                           clock_scale()));
	return;
bad:
	evhttp_clear_headers(&q);
	json_decref(f.out);
	api_error(req, 400, "Bad Request",
	          "bad filter: state, class, due_before (ms) or department");
}

/* GET of one incident: memory, then its history and items from Redis. */
struct api_show {
	struct evhttp_request *req;
	json_t *doc;
	int dead; /* the client went away: do not answer */
	int waiting;
};

static void
api_show_close_cb(struct evhttp_connection *c, void *arg)
{
	struct api_show *s = arg;

	(void)c;
	s->dead = 1;
}

static void
api_show_list_cb(redisReply *r, void *arg, const char *key)
{
	struct api_show *s = arg;
	json_t *list = json_array();
	size_t i;

	if (r != NULL && r->type == REDIS_REPLY_ARRAY)
		for (i = 0; i < r->elements; i++) {
			json_t *e =
			    r->element[i]->type == REDIS_REPLY_STRING
			        ? json_loads(r->element[i]->str, 0, NULL)
			        : NULL;

			if (e != NULL)
				json_array_append_new(list, e);
		}
	json_object_set_new(s->doc, key, list);
	if (--s->waiting > 0)
		return;
	if (!s->dead) {
		evhttp_connection_set_closecb(
		    evhttp_request_get_connection(s->req), NULL, NULL);
		httpd_reply_json(s->req, 200, "OK", s->doc);
	} else {
		json_decref(s->doc);
	}
	free(s);
}

static void
api_history_cb(redisReply *r, void *arg)
{
	api_show_list_cb(r, arg, "history");
}

static void
api_items_cb(redisReply *r, void *arg)
{
	api_show_list_cb(r, arg, "items");
}

static void
api_alerts_cb(redisReply *r, void *arg)
{
	api_show_list_cb(r, arg, "alerts");
}

static void
api_deliveries_cb(redisReply *r, void *arg)
{
	api_show_list_cb(r, arg, "deliveries");
}

static void
api_show(struct api *a, struct evhttp_request *req, const struct incident *inc)
{
	struct api_show *s = calloc(1, sizeof(*s));
	const char *p = store_prefix(a->store);

	if (s == NULL) {
		api_error(req, 500, "Internal Server Error", "out of memory");
		return;
	}
	s->req = req;
	s->doc = json_pack(
	    "{s:o, s:I, s:f}", "incident", api_incident_json(inc), "now",
	    (json_int_t)clock_now_ms(), "time_scale", clock_scale());
	s->waiting = 4;
	if (!store_accepting(a->store) ||
	    store_command(a->store, api_history_cb, s,
	                  "LRANGE %s:incident:%" PRIu64 ":history -200 -1", p,
	                  inc->id) == -1) {
		/* Redis away: what memory knows */
		json_object_set_new(s->doc, "history", json_array());
		json_object_set_new(s->doc, "items", json_array());
		json_object_set_new(s->doc, "alerts", json_array());
		json_object_set_new(s->doc, "deliveries", json_array());
		httpd_reply_json(req, 200, "OK", s->doc);
		free(s);
		return;
	}
	evhttp_connection_set_closecb(evhttp_request_get_connection(req),
	                              api_show_close_cb, s);
	if (store_command(a->store, api_items_cb, s,
	                  "LRANGE %s:incident:%" PRIu64 ":items -200 -1", p,
	                  inc->id) == -1)
		api_items_cb(NULL, s);
	if (store_command(a->store, api_alerts_cb, s,
	                  "LRANGE %s:incident:%" PRIu64 ":alerts -200 -1", p,
	                  inc->id) == -1)
		api_alerts_cb(NULL, s);
	if (store_command(a->store, api_deliveries_cb, s,
	                  "LRANGE %s:incident:%" PRIu64 ":deliveries -500 -1",
	                  p, inc->id) == -1)
		api_deliveries_cb(NULL, s);
}

/* GET /api/feeds: every feed's health. */
static void
api_feed_cb(const char *id, const struct feed_state *st, void *arg)
{
	json_t *list = arg;

	json_array_append_new(
	    list,
	    json_pack("{s:s, s:s, s:b, s:I, s:I, s:I, s:I, s:s, s:I, s:I, s:I}",
	              "id", id, "url", st->url != NULL ? st->url : "", "down",
	              st->down, "last_success", (json_int_t)st->last_success,
	              "last_attempt", (json_int_t)st->last_attempt, "next_poll",
	              (json_int_t)st->next_poll, "last_status",
	              (json_int_t)st->last_status, "last_error",
	              st->last_error != NULL ? st->last_error : "", "failures",
	              (json_int_t)st->failures, "items", (json_int_t)st->items,
	              "latency_ms", (json_int_t)st->latency));
}

static void
api_feeds(struct api *a, struct evhttp_request *req)
{
	json_t *list = json_array();

	if (a->feeds != NULL)
		feeds_each(a->feeds, api_feed_cb, list);
	httpd_reply_json(req, 200, "OK", json_pack("{s:o}", "feeds", list));
}

void
api_bind_istore(struct api *a, struct incidentstore *st)
{
	a->istore = st;
}

void
api_bind_feeds(struct api *a, struct feeds *fs)
{
	a->feeds = fs;
}

/* GET /api/audit: the trail's lines as stored (verified by the caller,
 * yuqingctl audit verify: the daemon does not vouch for itself). */
static void
api_audit_lines_cb(redisReply *r, void *arg)
{
	struct api_show *s = arg;
	json_t *lines = json_array();
	size_t i;

	if (r != NULL && r->type == REDIS_REPLY_ARRAY)
		for (i = 0; i < r->elements; i++)
			if (r->element[i]->type == REDIS_REPLY_STRING)
				json_array_append_new(
				    lines, json_string(r->element[i]->str));
	if (s->dead) {
		json_decref(lines);
		free(s);
		return;
	}
	evhttp_connection_set_closecb(evhttp_request_get_connection(s->req),
	                              NULL, NULL);
	if (r == NULL || r->type != REDIS_REPLY_ARRAY) {
		json_decref(lines);
		api_error(s->req, 503, "Service Unavailable",
		          "cannot read the audit trail");
	} else {
		httpd_reply_json(s->req, 200, "OK",
		                 json_pack("{s:o}", "lines", lines));
	}
	free(s);
}

static void
api_audit_get(struct api *a, struct evhttp_request *req)
{
	struct api_show *s = calloc(1, sizeof(*s));

	if (s == NULL || !store_accepting(a->store)) {
		free(s);
		api_error(req, 503, "Service Unavailable",
		          "redis is away: the audit trail cannot be read");
		return;
	}
	s->req = req;
	if (store_command(a->store, api_audit_lines_cb, s,
	                  "LRANGE %s:audit 0 99999",
	                  store_prefix(a->store)) == -1) {
		free(s);
		api_error(req, 503, "Service Unavailable",
		          "redis is away: the audit trail cannot be read");
		return;
	}
	evhttp_connection_set_closecb(evhttp_request_get_connection(req),
	                              api_show_close_cb, s);
}

/* The request body as JSON (a new reference), or NULL and the 400 sent. */
static json_t *
api_body(struct evhttp_request *req)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t n = evbuffer_get_length(in);
	json_error_t e;
	json_t *o;
	char *buf, msg[300];

	buf = malloc(n + 1);
	if (buf == NULL) {
		api_error(req, 500, "Internal Server Error", "out of memory");
		return NULL;
	}
	evbuffer_copyout(in, buf, n);
	buf[n] = '\0';
	o = n == 0 ? json_object() : json_loadb(buf, n, 0, &e);
	free(buf);
	if (o == NULL || !json_is_object(o)) {
		if (o == NULL)
			snprintf(msg, sizeof(msg),
			         "bad JSON at line %d column %d: %s", e.line,
			         e.column, e.text);
		else
			snprintf(msg, sizeof(msg),
			         "bad JSON: the body must be an object");
		json_decref(o);
		api_error(req, 400, "Bad Request", msg);
		return NULL;
	}
	return o;
}

static void
api_audit_head_cb(redisReply *r, void *arg)
{
	struct api *a = arg;
	json_t *o;
	const char *h;

	if (r == NULL)
		return;
	a->prev[0] = '\0';
	if (r->type == REDIS_REPLY_STRING) {
		o = json_loads(r->str, 0, NULL);
		h = json_string_value(json_object_get(o, "hash"));
		if (h != NULL && strlen(h) == AUDIT_HASH_SIZE - 1)
			memcpy(a->prev, h, AUDIT_HASH_SIZE);
		json_decref(o);
	}
	a->prev_known = 1;
}

/* The link is up: learn the audit trail's last hash. */
void
api_link_up(struct api *a)
{
	a->prev_known = 0;
	store_command(a->store, api_audit_head_cb, a, "LINDEX %s:audit -1",
	              store_prefix(a->store));
}

/* Append the action to the audit trail. */
static void
api_audit(struct api *a, const char *who, const char *action, uint64_t id,
          json_t *before, json_t *after, const char *note)
{
	struct audit_event ev;
	char hash[AUDIT_HASH_SIZE];
	char *line;

	memset(&ev, 0, sizeof(ev));
	ev.who = who;
	ev.when = clock_now_ms();
	ev.action = action;
	ev.incident = id;
	ev.before = before;
	ev.after = after;
	ev.note = note;
	line = audit_entry(a->prev[0] ? a->prev : NULL, &ev, hash);
	if (line == NULL) {
		log_err("api: cannot write an audit entry: action=%s "
		        "incident=%" PRIu64,
		        action, id);
		return;
	}
	store_command(a->store, NULL, NULL, "RPUSH %s:audit %s",
	              store_prefix(a->store), line);
	memcpy(a->prev, hash, sizeof(hash));
	free(line);
}

/* POST /api/incidents/ID/ACTION. */
static void
api_act(struct api *a, struct evhttp_request *req, long who, uint64_t id,
        const char *action)
{
	struct incident *inc = incidents_get(a->incidents, id);
	const char *name = a->tokens[who].name, *note = NULL;
	json_t *body, *before, *after;
	char why[200];
	int rc = -1;

	if (inc == NULL) {
		api_error(req, 404, "Not Found", "no such incident");
		return;
	}
	if (!store_accepting(a->store) || !a->prev_known) {
		api_error(req, 503, "Service Unavailable",
		          "redis is away: the action could not be recorded");
		return;
	}
	body = api_body(req);
	if (body == NULL)
		return;
	before = api_incident_json(inc);
	snprintf(why, sizeof(why), "not possible in state %s",
	         incident_state_name(inc->state));
	if (strcmp(action, "ack") == 0) {
		rc = inc->state == INC_OPEN
		         ? incidents_ack(a->incidents, id, name)
		         : -1;
		if (inc->state == INC_ACKED && rc == -1)
			snprintf(why, sizeof(why), "already acknowledged");
	} else if (strcmp(action, "respond") == 0) {
		const char *m =
		    json_string_value(json_object_get(body, "milestone"));
		const char *ev =
		    json_string_value(json_object_get(body, "evidence"));
		json_t *at = json_object_get(body, "at");
		int k;

		note = json_string_value(json_object_get(body, "note"));
		for (k = 0; m != NULL && k < MS_COUNT; k++)
			if (strcmp(m, milestone_name(k)) == 0)
				break;
		if (m == NULL || k == MS_COUNT || ev == NULL ||
		    (at != NULL && !json_is_integer(at))) {
			json_decref(body);
			json_decref(before);
			api_error(
			    req, 400, "Bad Request",
			    "respond needs milestone (release, presser, "
			    "response), evidence (a URL) and optionally at "
			    "(ms)");
			return;
		}
		if (inc->state == INC_CLOSED || inc->state == INC_DISMISSED)
			rc = -1;
		else
			rc = incidents_meet(a->incidents, id, k,
			                    at != NULL ? json_integer_value(at)
			                               : clock_now_ms(),
			                    name, ev);
		if (rc == -1 && inc->ms[k].active)
			snprintf(why, sizeof(why), "%s already met or closed",
			         milestone_name(k));
		else if (rc == -1)
			snprintf(why, sizeof(why), "the incident has no %s",
			         milestone_name(k));
	} else if (strcmp(action, "dismiss") == 0) {
		note = json_string_value(json_object_get(body, "reason"));
		rc = incidents_dismiss(a->incidents, id, name, note);
	} else if (strcmp(action, "reopen") == 0) {
		rc = incidents_reopen(a->incidents, id, name);
	} else if (strcmp(action, "merge") == 0) {
		const char *into =
		    json_string_value(json_object_get(body, "into"));
		char *end = NULL;
		uint64_t to = into != NULL ? strtoull(into, &end, 10) : 0;

		note = json_string_value(json_object_get(body, "reason"));
		if (into == NULL || end == NULL || *end != '\0' || to == 0) {
			json_decref(body);
			json_decref(before);
			api_error(
			    req, 400, "Bad Request",
			    "merge needs into (the id, a string) and "
			    "optionally a reason: this incident is merged "
			    "into that one");
			return;
		}
		rc = incidents_merge(a->incidents, id, to, name, note);
		if (rc == -1)
			snprintf(
			    why, sizeof(why),
			    "both incidents must exist, differ and be open");
	} else if (strcmp(action, "reclassify") == 0) {
		const char *cls =
		    json_string_value(json_object_get(body, "class"));

		note = json_string_value(json_object_get(body, "reason"));
		if (cls == NULL || note == NULL ||
		    (strcmp(cls, "major") != 0 &&
		     strcmp(cls, "ordinary") != 0)) {
			json_decref(body);
			json_decref(before);
			api_error(
			    req, 400, "Bad Request",
			    "reclassify needs class (major or ordinary) and "
			    "a reason");
			return;
		}
		rc = incidents_reclassify(
		    a->incidents, id,
		    strcmp(cls, "major") == 0 ? CLASS_MAJOR : CLASS_ORDINARY,
		    name, note);
		if (rc == -1 &&
		    inc->cls == (strcmp(cls, "major") == 0 ? CLASS_MAJOR
		                                           : CLASS_ORDINARY))
			snprintf(why, sizeof(why), "already %s", cls);
	}
	if (rc != 0) {
		json_decref(body);
		json_decref(before);
		api_error(req, 409, "Conflict", why);
		return;
	}
	after = api_incident_json(inc);
	if (strcmp(action, "respond") == 0) /* the evidence, in the record */
		json_object_set(after, "evidence",
		                json_object_get(body, "evidence"));
	api_audit(a, name, action, id, before, after, note);
	json_decref(before);
	json_decref(body);
	httpd_reply_json(req, 200, "OK", json_pack("{s:o}", "incident", after));
}

/* GET /api/report: the week's report (memory + the delivery stream). */
struct api_report {
	struct evhttp_request *req;
	int format; /* 0 text, 1 csv, 2 json, 3 html */
	int dead;   /* the client went away before the answer */
};

static void
api_report_close_cb(struct evhttp_connection *c, void *arg)
{
	struct api_report *rp = arg;

	(void)c;
	rp->dead = 1;
}

static void
api_report_cb(const struct report *rep, int status, const char *error,
              void *arg)
{
	static const char *const types[] = {
	    "text/plain; charset=utf-8", "text/csv; charset=utf-8",
	    "application/json; charset=utf-8", "text/html; charset=utf-8"};
	static int (*const writers[])(FILE *, const struct report *) = {
	    report_write_text, report_write_csv, report_write_json,
	    report_write_html};
	struct api_report *rp = arg;
	char *text;
	size_t len = 0;

	if (rp->dead) {
		free(rp);
		return;
	}
	evhttp_connection_set_closecb(evhttp_request_get_connection(rp->req),
	                              NULL, NULL);
	if (rep == NULL) {
		api_error(rp->req, status == 503 ? 503 : 500,
		          status == 503 ? "Service Unavailable"
		                        : "Internal Server Error",
		          error);
	} else if ((text = report_render(rep, writers[rp->format], &len)) ==
	           NULL) {
		api_error(rp->req, 500, "Internal Server Error",
		          "cannot write the report");
	} else {
		httpd_reply_text(rp->req, types[rp->format], text, len);
		free(text);
	}
	free(rp);
}

static void
api_report(struct api *a, struct evhttp_request *req)
{
	static const char *const formats[] = {"text", "csv", "json", "html"};
	struct evkeyvalq q;
	const char *query =
	    evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
	const char *v;
	struct api_report *rp;
	struct report_period period;
	int64_t at = clock_now_ms();
	int format = 0;

	TAILQ_INIT(&q);
	if (query != NULL && evhttp_parse_query_str(query, &q) != 0) {
		api_error(req, 400, "Bad Request", "cannot parse the query");
		return;
	}
	if ((v = evhttp_find_header(&q, "at")) != NULL) {
		char *end;

		at = strtoll(v, &end, 10);
		if (*end != '\0' || at < 0 || at > REPORT_MAX_TIME)
			format = -1;
	}
	if ((v = evhttp_find_header(&q, "format")) != NULL &&
	    (format = api_index(formats, 4, v)) < 0)
		format = -1;
	evhttp_clear_headers(&q);
	if (format < 0) {
		api_error(req, 400, "Bad Request",
		          "at (ms in the week) or format (text, csv, json, "
		          "html)");
		return;
	}
	rp = calloc(1, sizeof(*rp));
	if (rp == NULL) {
		api_error(req, 500, "Internal Server Error", "out of memory");
		return;
	}
	rp->req = req;
	rp->format = format;
	report_iso_week(at, clock_utc_offset(at), &period);
	/* the close callback first: the answer may come at once */
	evhttp_connection_set_closecb(evhttp_request_get_connection(req),
	                              api_report_close_cb, rp);
	if (report_collect(a->store, a->incidents, a->istore, &period,
	                   clock_now_ms(), api_report_cb, rp) == -1) {
		evhttp_connection_set_closecb(
		    evhttp_request_get_connection(req), NULL, NULL);
		free(rp);
		api_error(req, 500, "Internal Server Error", "out of memory");
	}
}

/*
 * Per-client rate limit (a token bucket per peer address: api.burst at
 * once, api.rate a second after): 1 if the request may go on, else the
 * 429 is sent.  A client that floods is held off; the others are not.
 */
static int
api_rate(struct api *a, struct evhttp_request *req)
{
	struct evhttp_connection *c = evhttp_request_get_connection(req);
	const char *addr = "?";
	ev_uint16_t port;
	int64_t now = clock_real_ms();
	struct api_client *cl = NULL, *oldest = &a->clients[0];
	size_t i;

	if (c != NULL)
		evhttp_connection_get_peer(c, (char **)&addr, &port);
	for (i = 0; i < API_CLIENTS && cl == NULL; i++) {
		if (strcmp(a->clients[i].addr, addr) == 0)
			cl = &a->clients[i];
		else if (a->clients[i].at < oldest->at)
			oldest = &a->clients[i];
	}
	if (cl == NULL) {
		cl = oldest;
		snprintf(cl->addr, sizeof(cl->addr), "%s", addr);
		cl->tokens = (double)a->conf->api.burst;
		cl->at = now;
	}
	cl->tokens +=
	    (double)(now - cl->at) * (double)a->conf->api.rate / 1000.0;
	if (cl->tokens > (double)a->conf->api.burst)
		cl->tokens = (double)a->conf->api.burst;
	cl->at = now;
	if (cl->tokens < 1.0) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		                  "Retry-After", "1");
		api_error(req, 429, "Too Many Requests",
		          "too many requests from this address: slow down");
		return 0;
	}
	cl->tokens -= 1.0;
	return 1;
}

/* Every path nobody else serves: /api/... or a 404. */
static void
api_dispatch_cb(struct evhttp_request *req, void *arg)
{
	struct api *a = arg;
	const char *path =
	    evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	char action[16] = "";
	uint64_t id;
	int n = 0;
	long who;

	if (path == NULL || strncmp(path, "/api/", 5) != 0) {
		httpd_not_found(req);
		return;
	}
	if (!api_rate(a, req))
		return;
	if (strcmp(path, "/api/feeds") == 0) {
		if (cmd != EVHTTP_REQ_GET) {
			api_error(req, 405, "Method Not Allowed", "GET only");
			return;
		}
		if (api_auth(a, req, 0) >= 0)
			api_feeds(a, req);
		return;
	}
	if (strcmp(path, "/api/audit") == 0) {
		if (cmd != EVHTTP_REQ_GET) {
			api_error(req, 405, "Method Not Allowed", "GET only");
			return;
		}
		if (api_auth(a, req, 0) >= 0)
			api_audit_get(a, req);
		return;
	}
	if (strcmp(path, "/api/report") == 0) {
		if (cmd != EVHTTP_REQ_GET) {
			api_error(req, 405, "Method Not Allowed", "GET only");
			return;
		}
		if (api_auth(a, req, 0) >= 0)
			api_report(a, req);
		return;
	}
	if (strcmp(path, "/api/incidents") == 0) {
		if (cmd != EVHTTP_REQ_GET) {
			api_error(req, 405, "Method Not Allowed", "GET only");
			return;
		}
		if (api_auth(a, req, 0) >= 0)
			api_list(a, req);
		return;
	}
	/* /api/incidents/DIGITS or /api/incidents/DIGITS/WORD, nothing else */
	if (sscanf(path, "/api/incidents/%20" SCNu64 "%n", &id, &n) != 1 ||
	    path[15] < '0' || path[15] > '9' ||
	    (path[n] != '\0' &&
	     (path[n] != '/' || strlen(path + n + 1) >= sizeof(action) ||
	      strspn(path + n + 1, "abcdefghijklmnopqrstuvwxyz") !=
	          strlen(path + n + 1)))) {
		httpd_not_found(req);
		return;
	}
	if (path[n] == '/')
		snprintf(action, sizeof(action), "%s", path + n + 1);
	if (action[0] == '\0') {
		const struct incident *inc;

		if (cmd != EVHTTP_REQ_GET) {
			api_error(req, 405, "Method Not Allowed", "GET only");
			return;
		}
		if (api_auth(a, req, 0) < 0)
			return;
		inc = incidents_get(a->incidents, id);
		if (inc == NULL)
			api_error(req, 404, "Not Found", "no such incident");
		else
			api_show(a, req, inc);
		return;
	}
	if (strcmp(action, "ack") && strcmp(action, "respond") &&
	    strcmp(action, "dismiss") && strcmp(action, "reopen") &&
	    strcmp(action, "reclassify") && strcmp(action, "merge")) {
		httpd_not_found(req);
		return;
	}
	if (cmd != EVHTTP_REQ_POST) {
		api_error(req, 405, "Method Not Allowed", "POST only");
		return;
	}
	who = api_auth(a, req, 1);
	if (who >= 0)
		api_act(a, req, who, id, action);
}

/* The configured tokens, hashed (a token given as sha256:… is one). */
static int
api_tokens(struct api *a, const struct config *c)
{
	size_t i;

	free(a->tokens);
	a->tokens = calloc(c->api.tokens.n + 1, sizeof(*a->tokens));
	if (a->tokens == NULL)
		return -1;
	a->ntokens = 0;
	for (i = 0; i < c->api.tokens.n; i++) {
		const struct conf_token *t = &c->api.tokens.v[i];
		struct api_token *o = &a->tokens[a->ntokens];

		if (t->token.value == NULL)
			continue;
		snprintf(o->name, sizeof(o->name), "%s", t->name);
		o->write = t->role == CONF_ROLE_WRITE;
		if (strncmp(t->token.value, "sha256:", 7) == 0)
			snprintf(o->hash, sizeof(o->hash), "%s",
			         t->token.value);
		else if (audit_token_hash(t->token.value, o->hash) == -1) {
			log_warnx("api: token of '%s' refused (24 to 256 "
			          "printable characters)",
			          t->name);
			continue;
		}
		a->ntokens++;
	}
	return 0;
}

struct api *
api_new(const struct config *conf, struct incidents *is, struct store *st,
        struct httpd *h)
{
	struct api *a = calloc(1, sizeof(*a));

	if (a == NULL)
		return NULL;
	a->conf = conf;
	a->incidents = is;
	a->store = st;
	if (api_tokens(a, conf) == -1) {
		free(a);
		return NULL;
	}
	httpd_fallback(h, api_dispatch_cb, a);
	return a;
}

void
api_reconfigure(struct api *a, const struct config *conf)
{
	a->conf = conf;
	api_tokens(a, conf);
}

void
api_free(struct api *a)
{
	if (a == NULL)
		return;
	if (a->tokens != NULL)
		explicit_bzero(a->tokens, a->ntokens * sizeof(*a->tokens));
	free(a->tokens);
	free(a);
}
