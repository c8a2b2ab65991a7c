/*
 * store.c: the link to Redis, the system of record.  hiredis async on the
 * daemon's libevent loop; never a blocking call.  The link reconnects by
 * itself with exponential backoff and jitter, checks the server with PING,
 * drops a connection whose replies stall, and reports its state (for the
 * logs and /healthz).  Network timeouts are in real time, not monitored time.
 */
#include <errno.h>
#include <event2/event.h>
#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <stdlib.h>
#include <string.h>

#include "alerts/alerts.h"

#define STORE_SCHEMA_VERSION "1"

struct store {
	struct event_base *base;
	redisAsyncContext *ac;
	enum store_state state;
	char reason[256];
	char last_down[256]; /* reason last logged as a warning */
	char addr[256];
	struct conf_addr target;
	char *prefix;
	char *password;
	int64_t db;
	int64_t connect_timeout, command_timeout, ping_interval;
	int64_t backoff_min, backoff_max, backoff;
	int64_t last_progress; /* real ms of the last reply, while busy */
	int64_t last_ping;
	size_t pending;
	int stopping;
	int handshake_failed;
	unsigned failures;
	struct event *retry_ev;   /* reconnect after backoff */
	struct event *connect_ev; /* connect timeout */
	struct event *tick_ev;    /* PING and stall detection */
	store_done_cb drain_cb;
	void *drain_arg;
	store_state_cb state_cb;
	void *state_arg;
};

/* One command in flight; freed by store_hiredis_cb. */
struct store_req {
	struct store *st;
	store_reply_cb cb;
	void *arg;
};

static void store_connect(struct store *);

const char *
store_state_name(enum store_state s)
{
	switch (s) {
	case STORE_DOWN:
		return "down";
	case STORE_CONNECTING:
		return "connecting";
	case STORE_UP:
		return "up";
	case STORE_BAD_SCHEMA:
		return "schema-mismatch";
	}
	return "?";
}

/*
 * Log what a person needs: the link going down (once per outage and
 * reason), and coming back with how many attempts it took.  Each retry
 * is only a debug line.
 */
static void
store_set_state(struct store *st, enum store_state s, const char *reason)
{
	enum store_state old = st->state;

	st->state = s;
	snprintf(st->reason, sizeof(st->reason), "%s", reason);
	if (s == STORE_CONNECTING) {
		log_debug("redis link connecting: addr=%s attempt=%u", st->addr,
		          st->failures + 1);
	} else if (s == STORE_UP) {
		log_notice("redis link up: addr=%s attempts=%u", st->addr,
		           st->failures + 1);
		st->failures = 0;
		st->last_down[0] = '\0';
	} else if (strcmp(st->last_down, reason) != 0) {
		log_warnx("redis link %s: addr=%s reason=\"%s\"",
		          store_state_name(s), st->addr, reason);
		snprintf(st->last_down, sizeof(st->last_down), "%s", reason);
	} else {
		log_debug("redis link still %s: addr=%s attempt=%u",
		          store_state_name(s), st->addr, st->failures);
	}
	if (old != s && st->state_cb != NULL)
		st->state_cb(s, st->reason, st->state_arg);
}

/* Exponential backoff with +-20 % jitter, bounded by backoff_max. */
static void
store_schedule_retry(struct store *st)
{
	struct timeval tv;
	int64_t delay;

	if (st->stopping)
		return;
	if (st->backoff == 0)
		st->backoff = st->backoff_min;
	else if (st->backoff < st->backoff_max / 2)
		st->backoff *= 2;
	else
		st->backoff = st->backoff_max;
	delay = st->backoff + (st->backoff * ((random() % 41) - 20)) / 100;
	if (delay < 1)
		delay = 1;
	log_debug("redis reconnect scheduled: addr=%s in_ms=%lld", st->addr,
	          (long long)delay);
	clock_real_timeval(delay, &tv);
	evtimer_add(st->retry_ev, &tv);
}

/* The context is gone (hiredis frees it after these callbacks). */
static void
store_lost(struct store *st, const char *why)
{
	char reason[256];

	st->ac = NULL;
	st->pending = 0;
	evtimer_del(st->connect_ev);
	st->failures++;
	snprintf(reason, sizeof(reason), "%s", why);
	store_set_state(st, STORE_DOWN, reason);
	if (st->drain_cb != NULL) {
		store_done_cb cb = st->drain_cb;

		st->drain_cb = NULL;
		cb(st->drain_arg);
	}
	store_schedule_retry(st);
}

static void
store_connect_cb(const redisAsyncContext *ac, int status)
{
	struct store *st = ac->data;

	if (st == NULL)
		return;
	if (status != REDIS_OK) {
		char why[256];

		snprintf(why, sizeof(why), "cannot connect: %s", ac->errstr);
		store_lost(st, why);
		return;
	}
	evtimer_del(st->connect_ev);
	log_debug("redis socket connected: addr=%s", st->addr);
}

static void
store_disconnect_cb(const redisAsyncContext *ac, int status)
{
	struct store *st = ac->data;
	char why[256];

	if (st == NULL)
		return;
	if (status == REDIS_OK && st->stopping)
		snprintf(why, sizeof(why), "closed");
	else if (ac->err != 0)
		snprintf(why, sizeof(why), "connection lost: %s", ac->errstr);
	else
		snprintf(why, sizeof(why), "%s",
		         st->reason[0] ? st->reason : "connection closed");
	store_lost(st, why);
}

static void
store_hiredis_cb(redisAsyncContext *ac, void *r, void *privdata)
{
	struct store_req *req = privdata;
	struct store *st = req->st;

	(void)ac;
	if (st->pending > 0)
		st->pending--;
	st->last_progress = clock_real_ms();
	if (req->cb != NULL)
		req->cb(r, req->arg);
	free(req);
	if (st->pending == 0 && st->drain_cb != NULL) {
		store_done_cb cb = st->drain_cb;

		st->drain_cb = NULL;
		cb(st->drain_arg);
	}
}

/*
 * Queue one command on the context regardless of state (the handshake
 * uses it), given by format (fmt, *ap) or as an argument vector.
 */
static int
store_queue(struct store *st, store_reply_cb cb, void *arg, const char *fmt,
            va_list *ap, int argc, const char **argv, const size_t *argvlen)
{
	struct store_req *req;
	int rc;

	if (st->ac == NULL)
		return -1;
	req = calloc(1, sizeof(*req));
	if (req == NULL)
		return -1;
	req->st = st;
	req->cb = cb;
	req->arg = arg;
	if (fmt != NULL)
		rc =
		    redisvAsyncCommand(st->ac, store_hiredis_cb, req, fmt, *ap);
	else
		rc = redisAsyncCommandArgv(st->ac, store_hiredis_cb, req, argc,
		                           argv, argvlen);
	if (rc != REDIS_OK) {
		free(req);
		return -1;
	}
	if (st->pending == 0)
		st->last_progress = clock_real_ms();
	st->pending++;
	return 0;
}

static int
store_send(struct store *st, store_reply_cb cb, void *arg, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = store_queue(st, cb, arg, fmt, &ap, 0, NULL, NULL);
	va_end(ap);
	return rc;
}

/*
 * Queue a command for the caller.  Only while the link is up: otherwise -1,
 * and the caller keeps its write for later (the spool).  The reply passed
 * to cb lives only for the call; NULL means the command was lost.
 */
int
store_command(struct store *st, store_reply_cb cb, void *arg, const char *fmt,
              ...)
{
	va_list ap;
	int rc;

	if (st->state != STORE_UP || st->stopping)
		return -1;
	va_start(ap, fmt);
	rc = store_queue(st, cb, arg, fmt, &ap, 0, NULL, NULL);
	va_end(ap);
	return rc;
}

/*
 * The same for a command given as an argument vector (binary-safe; for
 * commands with many or arbitrary arguments).
 */
int
store_command_argv(struct store *st, store_reply_cb cb, void *arg, int argc,
                   const char **argv, const size_t *argvlen)
{
	if (st->state != STORE_UP || st->stopping)
		return -1;
	return store_queue(st, cb, arg, NULL, NULL, argc, argv, argvlen);
}

/* Drop the connection from a timer or an API call (never from a reply). */
static void
store_drop(struct store *st, const char *why)
{
	redisAsyncContext *ac = st->ac;

	if (ac == NULL)
		return;
	if (why != st->reason)
		snprintf(st->reason, sizeof(st->reason), "%s", why);
	if (!(ac->c.flags & REDIS_CONNECTED)) {
		/* hiredis calls no callback for a context never connected */
		ac->data = NULL;
		redisAsyncFree(ac);
		store_lost(st, why);
		return;
	}
	redisAsyncFree(ac); /* runs pending callbacks and the disconnect cb */
}

static void
store_schema_cb(redisReply *r, void *arg)
{
	struct store *st = arg;
	char why[256];

	if (r == NULL)
		return;
	if (r->type == REDIS_REPLY_STRING &&
	    strcmp(r->str, STORE_SCHEMA_VERSION) == 0) {
		st->backoff = 0;
		store_set_state(st, STORE_UP, "ok");
		return;
	}
	snprintf(why, sizeof(why),
	         "key %s:schema holds '%s', this daemon writes schema %s",
	         st->prefix, r->type == REDIS_REPLY_STRING ? r->str : "?",
	         STORE_SCHEMA_VERSION);
	store_set_state(st, STORE_BAD_SCHEMA, why);
}

/* Handshake replies: AUTH / SELECT / PING; any error fails the link. */
static void
store_handshake_cb(redisReply *r, void *arg)
{
	struct store *st = arg;
	char why[300];

	if (r == NULL || st->handshake_failed)
		return; /* the first refusal is the reason worth keeping */
	if (r->type == REDIS_REPLY_ERROR) {
		st->handshake_failed = 1;
		snprintf(why, sizeof(why), "handshake refused: %s", r->str);
		store_set_state(st, STORE_DOWN, why);
		/* cannot free from inside a reply: the tick drops the link */
		return;
	}
	if (r->type == REDIS_REPLY_STATUS && strcmp(r->str, "PONG") == 0) {
		store_send(st, NULL, NULL, "SET %s:schema %s NX", st->prefix,
		           STORE_SCHEMA_VERSION);
		store_send(st, store_schema_cb, st, "GET %s:schema",
		           st->prefix);
	}
}

static void
store_connect(struct store *st)
{
	redisAsyncContext *ac;

	if (st->stopping || st->ac != NULL)
		return;
	store_set_state(st, STORE_CONNECTING, "connecting");
	if (st->target.is_unix)
		ac = redisAsyncConnectUnix(st->target.path);
	else
		ac = redisAsyncConnect(st->target.host, st->target.port);
	if (ac == NULL) {
		store_lost(st, "cannot allocate a redis context");
		return;
	}
	if (ac->err != 0) {
		char why[256];

		snprintf(why, sizeof(why), "cannot connect: %s", ac->errstr);
		redisAsyncFree(ac);
		store_lost(st, why);
		return;
	}
	ac->data = st;
	st->ac = ac;
	st->pending = 0;
	st->handshake_failed = 0;
	redisLibeventAttach(ac, st->base);
	redisAsyncSetConnectCallback(ac, store_connect_cb);
	redisAsyncSetDisconnectCallback(ac, store_disconnect_cb);
	if (st->password != NULL)
		store_send(st, store_handshake_cb, st, "AUTH %s", st->password);
	if (st->db != 0)
		store_send(st, store_handshake_cb, st, "SELECT %lld",
		           (long long)st->db);
	store_send(st, store_handshake_cb, st, "PING");
	{
		struct timeval tv;

		clock_real_timeval(st->connect_timeout, &tv);
		evtimer_add(st->connect_ev, &tv);
	}
}

static void
store_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	store_connect(arg);
}

static void
store_connect_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct store *st = arg;

	(void)fd;
	(void)what;
	if (st->state == STORE_CONNECTING)
		store_drop(st, "connect timed out");
}

/*
 * Once a second: drop a link whose replies stall (a hung or paused server
 * must not hold commands forever) and PING an idle one.
 */
static void
store_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct store *st = arg;
	int64_t now = clock_real_ms();

	(void)fd;
	(void)what;
	if (st->ac == NULL)
		return;
	if (st->handshake_failed) {
		store_drop(st, st->reason);
		return;
	}
	if (st->pending > 0 && now - st->last_progress > st->command_timeout) {
		store_drop(st, "redis stopped answering (command timeout)");
		return;
	}
	if (st->state == STORE_UP && st->pending == 0 &&
	    now - st->last_ping >= st->ping_interval) {
		st->last_ping = now;
		store_send(st, NULL, NULL, "PING");
	}
}

static int
store_configure(struct store *st, const struct conf_redis *rc)
{
	struct conf_addr a;

	if (config_addr_parse(rc->address, &a) == -1)
		return -1;
	st->target = a;
	snprintf(st->addr, sizeof(st->addr), "%s", rc->address);
	free(st->prefix);
	st->prefix = strdup(rc->prefix);
	if (st->password != NULL)
		explicit_bzero(st->password, strlen(st->password));
	free(st->password);
	st->password = rc->password.value ? strdup(rc->password.value) : NULL;
	st->db = rc->db;
	st->connect_timeout = rc->connect_timeout;
	st->command_timeout = rc->command_timeout;
	st->ping_interval = rc->ping_interval;
	st->backoff_min = rc->backoff_min;
	st->backoff_max = rc->backoff_max;
	return st->prefix == NULL ? -1 : 0;
}

/* The store copies what it needs from rc; the caller keeps rc. */
struct store *
store_new(struct event_base *base, const struct conf_redis *rc,
          store_state_cb cb, void *arg)
{
	struct store *st;
	struct timeval one = {1, 0}, now = {0, 0};

	st = calloc(1, sizeof(*st));
	if (st == NULL)
		return NULL;
	st->base = base;
	st->state = STORE_DOWN;
	st->state_cb = cb;
	st->state_arg = arg;
	snprintf(st->reason, sizeof(st->reason), "not connected yet");
	st->retry_ev = evtimer_new(base, store_retry_cb, st);
	st->connect_ev = evtimer_new(base, store_connect_timeout_cb, st);
	st->tick_ev = event_new(base, -1, EV_PERSIST, store_tick_cb, st);
	if (st->retry_ev == NULL || st->connect_ev == NULL ||
	    st->tick_ev == NULL || store_configure(st, rc) == -1) {
		store_free(st);
		return NULL;
	}
	evtimer_add(st->tick_ev, &one);
	/* connect from the loop, so no callback runs before we return */
	evtimer_add(st->retry_ev, &now);
	return st;
}

static int
store_same(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* Apply a reloaded [redis] section; reconnect only if the target changed. */
int
store_reconfigure(struct store *st, const struct conf_redis *rc)
{
	int reconnect;

	reconnect = strcmp(st->addr, rc->address) != 0 ||
	            !store_same(st->prefix, rc->prefix) ||
	            !store_same(st->password, rc->password.value) ||
	            st->db != rc->db;
	if (store_configure(st, rc) == -1)
		return -1;
	if (reconnect) {
		log_info("redis target changed, reconnecting: addr=%s",
		         st->addr);
		st->backoff = 0;
		if (st->ac != NULL)
			store_drop(st, "reconfigured");
		else {
			evtimer_del(st->retry_ev);
			store_connect(st);
		}
	}
	return 0;
}

enum store_state
store_state(const struct store *st, const char **reason)
{
	if (reason != NULL)
		*reason = st->reason;
	return st->state;
}

size_t
store_pending(const struct store *st)
{
	return st->pending;
}

struct event_base *
store_base(const struct store *st)
{
	return st->base;
}

const char *
store_prefix(const struct store *st)
{
	return st->prefix;
}

/*
 * Call cb once nothing is in flight any more (at once if nothing is).  No
 * new commands are accepted from now on: the daemon is stopping.
 */
void
store_drain(struct store *st, store_done_cb cb, void *arg)
{
	st->stopping = 1;
	evtimer_del(st->retry_ev);
	if (st->pending == 0 || st->ac == NULL) {
		cb(arg);
		return;
	}
	st->drain_cb = cb;
	st->drain_arg = arg;
}

/* Does the link take commands now (up, and not draining for a stop)? */
int
store_accepting(const struct store *st)
{
	return st->state == STORE_UP && !st->stopping;
}

/* Queue a command while draining (the stop record, the outcome of work
 * that was in flight). */
int
store_command_final(struct store *st, store_reply_cb cb, void *arg,
                    const char *fmt, ...)
{
	va_list ap;
	int rc;

	if (st->state != STORE_UP)
		return -1;
	va_start(ap, fmt);
	rc = store_queue(st, cb, arg, fmt, &ap, 0, NULL, NULL);
	va_end(ap);
	return rc;
}

/* Never call from inside a store callback. */
void
store_free(struct store *st)
{
	if (st == NULL)
		return;
	st->stopping = 1;
	st->state_cb = NULL;
	st->drain_cb = NULL;
	if (st->ac != NULL) {
		redisAsyncContext *ac = st->ac;

		ac->data = NULL; /* callbacks must not touch st any more */
		st->ac = NULL;
		redisAsyncFree(ac);
	}
	if (st->retry_ev != NULL)
		event_free(st->retry_ev);
	if (st->connect_ev != NULL)
		event_free(st->connect_ev);
	if (st->tick_ev != NULL)
		event_free(st->tick_ev);
	if (st->password != NULL)
		explicit_bzero(st->password, strlen(st->password));
	free(st->password);
	free(st->prefix);
	free(st);
}

/*
 * An argument vector for store_command_argv: every argument is copied (so
 * a vector may be kept, as alerts held while Redis is away are), capped
 * at max bytes on a UTF-8 boundary; NULL is "".  A failed allocation marks
 * the vector failed; store_args_send then refuses it.
 */
void
store_args_add(struct store_args *a, const char *s, size_t max)
{
	size_t n;
	char *c;

	if (a->failed)
		return;
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 32;
		char **v = realloc(a->v, cap * sizeof(*v));
		size_t *len;

		if (v == NULL) {
			a->failed = 1;
			return;
		}
		a->v = v;
		len = realloc(a->len, cap * sizeof(*len));
		if (len == NULL) {
			a->failed = 1;
			return;
		}
		a->len = len;
		a->cap = cap;
	}
	if (s == NULL)
		s = "";
	n = strlen(s);
	if (n > max) {
		n = max;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--; /* cut on a character boundary */
	}
	c = malloc(n + 1);
	if (c == NULL) {
		a->failed = 1;
		return;
	}
	memcpy(c, s, n);
	c[n] = '\0';
	a->v[a->n] = c;
	a->len[a->n++] = n;
}

void
store_args_addf(struct store_args *a, const char *fmt, long long v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), fmt, v);
	store_args_add(a, buf, sizeof(buf));
}

/* Send the vector (it stays the caller's); -1 if it failed or the link
 * is not up. */
int
store_args_send(struct store *st, const struct store_args *a, store_reply_cb cb,
                void *arg)
{
	if (a->failed)
		return -1;
	return store_command_argv(st, cb, arg, (int)a->n, (const char **)a->v,
	                          a->len);
}

void
store_args_clear(struct store_args *a)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
	free(a->len);
	memset(a, 0, sizeof(*a));
}
