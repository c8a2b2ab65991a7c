/*
 * incidentstore.c: incidents in Redis.  The incident engine consumes the
 * item stream (PREFIX:items) from a stored offset; everything one item
 * changes (the incident hash, its item and history lists, the open set)
 * and the new offset go in one MULTI/EXEC, so a crash anywhere neither
 * loses nor doubles an item.  Alerts are recorded by one Lua script that
 * claims the idempotency key, appends to PREFIX:alerts and advances the
 * milestone's next stage together.  On start, open incidents are read
 * back and their deadlines rebuilt before the stream is read again.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "alerts/alerts.h"

#define ISTORE_BATCH          "100"
#define ISTORE_ALERT_TTL      "2592000" /* 30 days: longer than any window */
#define ISTORE_ARG_MAX        4096      /* bytes per stored string */
#define ISTORE_HELD_MAX       10000     /* alerts kept while Redis is away */
#define ISTORE_RESTORE_WINDOW 512       /* incident reads in flight */

/*
 * Record a batch of alerts.  ARGV: prefix, then ISTORE_ALERT_FIELDS per
 * alert: key, incident, milestone, next_stage, state, now, stage, due_at,
 * class, title, departments.  Per alert 1 if recorded, 0 if it already
 * was (the key is claimed first, so a replay records nothing twice).
 */
#define ISTORE_ALERT_FIELDS 11
#define ISTORE_BATCH_MAX    256 /* alerts per script call */
static const char istore_alert_script[] =
    "local p, out = ARGV[1], {}\n"
    "for i = 2, #ARGV, 11 do\n"
    "  local key, inc, ms = ARGV[i], ARGV[i + 1], ARGV[i + 2]\n"
    "  if redis.call('SET', p .. ':alert:' .. key, ARGV[i + 5], 'NX',\n"
    "      'EX', " ISTORE_ALERT_TTL ") then\n"
    "    redis.call('XADD', p .. ':alerts', 'MAXLEN', '~', '1000000', '*',\n"
    "      'key', key, 'incident', inc, 'milestone', ms,\n"
    "      'stage', ARGV[i + 6], 'due_at', ARGV[i + 7],\n"
    "      'recorded_at', ARGV[i + 5], 'class', ARGV[i + 8],\n"
    "      'title', ARGV[i + 9], 'departments', ARGV[i + 10])\n"
    "    redis.call('HSET', p .. ':incident:' .. inc,\n"
    "      'ms.' .. ms .. '.next_stage', ARGV[i + 3],\n"
    "      'ms.' .. ms .. '.state', ARGV[i + 4])\n"
    "    redis.call('RPUSH', p .. ':incident:' .. inc .. ':alerts',\n"
    "      cjson.encode({key = key, milestone = ms, stage = ARGV[i + 6],\n"
    "        due_at = tonumber(ARGV[i + 7]),\n"
    "        recorded_at = tonumber(ARGV[i + 5])}))\n"
    "    out[#out + 1] = 1\n"
    "  else\n"
    "    out[#out + 1] = 0\n"
    "  end\n"
    "end\n"
    "return out\n";

/* Alerts on their way to Redis: "EVAL script 0 prefix" + the fields. */
struct istore_batch {
	struct incidentstore *st;
	struct store_args a;
	size_t n; /* alerts in it */
};

struct incidentstore {
	struct store *store;
	struct incidents *incidents;
	char offset[64];       /* last stream id processed */
	int reading;           /* an XREAD is in flight */
	int again;             /* more may be waiting */
	int ready;             /* restored: the stream may be read */
	int restoring;         /* a restore runs (or was cut by the link) */
	int restore_lost;      /* the link dropped during it: start again */
	uint64_t *restore_ids; /* the open set, read in windows */
	size_t nrestore, restore_next, restore_inflight;

	int64_t recorded;   /* alerts recorded by us */
	int64_t duplicates; /* alerts already recorded (idempotency) */
	istore_ready_cb ready_cb;
	void *ready_arg;
	istore_alert_fn on_alert; /* delivery, told of every stage fired */
	istore_save_fn on_save;   /* and of every incident change */
	void *on_save_arg;
	void *on_alert_arg;
	struct istore_batch *batch; /* being filled this loop iteration */
	struct event *flush_ev;     /* sends it after the current callback */
	char sha[41];               /* of the script, once Redis has it */
	struct istore_batch **held; /* batches Redis missed, in order */
	size_t nheld, heldalerts;
	int64_t dropped;
};

static int64_t istore_num(const char *);

/* A stored state's number; an unknown name reads as the first state. */
static int
istore_state_index(int ms, const char *s)
{
	int i = state_index(ms, s);

	return i < 0 ? 0 : i;
}

/* Send a and empty it (its strings are copies). */
static void
istore_send(struct incidentstore *st, struct store_args *a, store_reply_cb cb,
            void *arg)
{
	store_args_send(st->store, a, cb, arg);
	store_args_clear(a);
}

/*
 * The incident as hash fields: one table for writing (HSET) and reading
 * back (HMGET, positional), then ISTORE_MS_FIELDS per milestone.
 */
enum istore_kind {
	ISTORE_U64,
	ISTORE_HEX,
	ISTORE_I64,
	ISTORE_INT,
	ISTORE_STR,
	ISTORE_STATE,
	ISTORE_CLASS,
	ISTORE_GRADE,
	ISTORE_MS_STATE
};
#define ISTORE_F(name, kind, member)                                           \
	{                                                                      \
		name, kind, offsetof(struct incident, member),                 \
		    sizeof(((struct incident *)0)->member)                     \
	}
static const struct istore_field {
	const char *name;
	enum istore_kind kind;
	size_t off, size;
} istore_tab[] = {
    ISTORE_F("id", ISTORE_U64, id),
    ISTORE_F("state", ISTORE_STATE, state),
    ISTORE_F("class", ISTORE_CLASS, cls),
    ISTORE_F("grade", ISTORE_GRADE, grade),
    ISTORE_F("title", ISTORE_STR, title),
    ISTORE_F("link", ISTORE_STR, link),
    ISTORE_F("source", ISTORE_STR, source),
    ISTORE_F("category", ISTORE_STR, category),
    ISTORE_F("place", ISTORE_STR, place),
    ISTORE_F("departments", ISTORE_STR, departments),
    ISTORE_F("simhash", ISTORE_HEX, simhash),
    ISTORE_F("key", ISTORE_STR, key),
    ISTORE_F("first_seen", ISTORE_I64, first_seen),
    ISTORE_F("clock_start", ISTORE_I64, clock_start),
    ISTORE_F("updated", ISTORE_I64, updated),
    ISTORE_F("items", ISTORE_INT, nitems),
    ISTORE_F("deaths", ISTORE_I64, fig.deaths),
    ISTORE_F("missing", ISTORE_I64, fig.missing),
    ISTORE_F("trapped", ISTORE_I64, fig.trapped),
    ISTORE_F("injured", ISTORE_I64, fig.injured),
    ISTORE_F("loss_yuan", ISTORE_I64, fig.loss_yuan),
};
#define ISTORE_NTAB (sizeof(istore_tab) / sizeof(istore_tab[0]))
#define ISTORE_MS_F(name, kind, member)                                        \
	{                                                                      \
		name, kind, offsetof(struct milestone, member),                \
		    sizeof(((struct milestone *)0)->member)                    \
	}
static const struct istore_field istore_ms_tab[] = {
    ISTORE_MS_F("start", ISTORE_I64, start),
    ISTORE_MS_F("due", ISTORE_I64, due),
    ISTORE_MS_F("state", ISTORE_MS_STATE, state),
    ISTORE_MS_F("next_stage", ISTORE_INT, next_stage),
    ISTORE_MS_F("met_at", ISTORE_I64, met_at),
};
#define ISTORE_MS_FIELDS (sizeof(istore_ms_tab) / sizeof(istore_ms_tab[0]))
#define ISTORE_NFIELDS   (ISTORE_NTAB + MS_COUNT * ISTORE_MS_FIELDS)

/* "ms.NAME.FIELD" of field f of milestone k. */
static void
istore_ms_name(int k, size_t f, char *buf, size_t len)
{
	snprintf(buf, len, "ms.%s.%s", milestone_name(k),
	         istore_ms_tab[f].name);
}

/* One value as its hash field's text. */
static void
istore_put(struct store_args *a, const struct istore_field *f, const void *base)
{
	const char *p = (const char *)base + f->off;

	switch (f->kind) {
	case ISTORE_U64:
		store_args_addf(a, "%llu", (long long)*(const uint64_t *)p);
		break;
	case ISTORE_HEX:
		store_args_addf(a, "%016llx", (long long)*(const uint64_t *)p);
		break;
	case ISTORE_I64:
		store_args_addf(a, "%lld", (long long)*(const int64_t *)p);
		break;
	case ISTORE_INT:
		store_args_addf(a, "%lld", (long long)*(const int *)p);
		break;
	case ISTORE_STR:
		store_args_add(a, p, f->size);
		break;
	case ISTORE_STATE:
		store_args_add(a, incident_state_name(*(const int *)p),
		               ISTORE_ARG_MAX);
		break;
	case ISTORE_CLASS:
		store_args_add(a, class_name(*(const int *)p), ISTORE_ARG_MAX);
		break;
	case ISTORE_GRADE:
		store_args_add(a, grade_name(*(const enum grade *)p),
		               ISTORE_ARG_MAX);
		break;
	case ISTORE_MS_STATE:
		store_args_add(a, milestone_state_name(*(const int *)p),
		               ISTORE_ARG_MAX);
		break;
	}
}

/* Read one value (NUL-terminated, from Redis) back into its member. */
static void
istore_get(const struct istore_field *f, void *base, const char *v)
{
	char *p = (char *)base + f->off;
	int k;

	switch (f->kind) {
	case ISTORE_U64:
		*(uint64_t *)p = strtoull(v, NULL, 10);
		break;
	case ISTORE_HEX:
		*(uint64_t *)p = strtoull(v, NULL, 16);
		break;
	case ISTORE_I64:
		*(int64_t *)p = istore_num(v);
		break;
	case ISTORE_INT:
		*(int *)p = (int)istore_num(v);
		break;
	case ISTORE_STR:
		snprintf(p, f->size, "%s", v);
		break;
	case ISTORE_STATE:
		*(int *)p = istore_state_index(0, v);
		break;
	case ISTORE_CLASS:
		*(int *)p =
		    strcmp(v, "major") == 0 ? CLASS_MAJOR : CLASS_ORDINARY;
		break;
	case ISTORE_GRADE:
		for (k = GRADE_UNKNOWN; k <= GRADE_I; k++)
			if (strcmp(grade_name(k), v) == 0)
				*(enum grade *)p = k;
		break;
	case ISTORE_MS_STATE:
		*(int *)p = istore_state_index(1, v);
		break;
	}
}

static void
istore_fields(struct store_args *a, const struct incident *inc)
{
	char name[64];
	size_t i;
	int k;

	for (i = 0; i < ISTORE_NTAB; i++) {
		store_args_add(a, istore_tab[i].name, ISTORE_ARG_MAX);
		istore_put(a, &istore_tab[i], inc);
	}
	for (k = 0; k < MS_COUNT; k++) {
		if (!inc->ms[k].active)
			continue;
		for (i = 0; i < ISTORE_MS_FIELDS; i++) {
			istore_ms_name(k, i, name, sizeof(name));
			store_args_add(a, name, ISTORE_ARG_MAX);
			istore_put(a, &istore_ms_tab[i], &inc->ms[k]);
		}
	}
}

/* Append list KEYS[1] to KEYS[2], in order, in chunks (unpack's limit). */
static const char istore_append_script[] =
    "local v = redis.call('LRANGE', KEYS[1], 0, -1)\n"
    "for i = 1, #v, 1000 do\n"
    "  redis.call('RPUSH', KEYS[2], unpack(v, i, math.min(i + 999, #v)))\n"
    "end\n"
    "return #v\n";

/* incidents hook: write the incident and a history line. */
static void
istore_save_cb(const struct incident *inc, const char *event,
               const char *detail, void *arg)
{
	struct incidentstore *st = arg;
	struct store_args a = {0};
	char key[128];
	json_t *h;
	char *hs;
	unsigned long long from;

	snprintf(key, sizeof(key), "%s:incident:%llu", store_prefix(st->store),
	         (unsigned long long)inc->id);
	store_args_add(&a, "HSET", ISTORE_ARG_MAX);
	store_args_add(&a, key, ISTORE_ARG_MAX);
	istore_fields(&a, inc);
	istore_send(st, &a, NULL, NULL);
	h = json_pack("{s:I, s:s, s:s}", "at", (json_int_t)clock_now_ms(),
	              "event", event, "detail", detail ? detail : "");
	hs = json_dumps(h, JSON_COMPACT);
	json_decref(h);
	store_command(st->store, NULL, NULL, "RPUSH %s:history %s", key,
	              hs ? hs : "{}");
	free(hs);
	/* a merge's survivor (detail "from ID ...", incident.c): the items of
	 * the incident merged into it are its items too */
	if (strcmp(event, "merged") == 0 && detail != NULL &&
	    sscanf(detail, "from %llu", &from) == 1) {
		char src[128];

		snprintf(src, sizeof(src), "%s:incident:%llu:items",
		         store_prefix(st->store), from);
		store_command(st->store, NULL, NULL, "EVAL %s 2 %s %s:items",
		              istore_append_script, src, key);
	}
	/* every incident by when it was first seen: the report reads the
	 * closed ones of a period from here */
	store_command(st->store, NULL, NULL, "ZADD %s:incidents:seen %lld %llu",
	              store_prefix(st->store), (long long)inc->first_seen,
	              (unsigned long long)inc->id);
	if (inc->state == INC_OPEN || inc->state == INC_ACKED)
		store_command(
		    st->store, NULL, NULL, "SADD %s:incidents:open %llu",
		    store_prefix(st->store), (unsigned long long)inc->id);
	else
		store_command(
		    st->store, NULL, NULL, "SREM %s:incidents:open %llu",
		    store_prefix(st->store), (unsigned long long)inc->id);
	if (st->on_save != NULL)
		st->on_save(inc, event, st->on_save_arg);
}

/* Who else hears of incidents changing (delivery: opened, acknowledged). */
void
incidentstore_on_save(struct incidentstore *st, istore_save_fn fn, void *arg)
{
	st->on_save = fn;
	st->on_save_arg = arg;
}

/* incidents hook: the item joins the incident's list. */
static void
istore_item_cb(const struct incident *inc, const struct item_in *it,
               const struct classification *c, void *arg)
{
	struct incidentstore *st = arg;
	json_t *o, *rules = json_array();
	char *s;
	size_t i;

	for (i = 0; i < c->nhits; i++)
		if (!c->hits[i].vetoed)
			json_array_append_new(rules,
			                      json_string(c->hits[i].id));
	o = json_pack(
	    "{s:s, s:s, s:s, s:s, s:I, s:I, s:s, s:s, s:o}", "feed", it->feed,
	    "key", it->key, "title", it->title ? it->title : "", "link",
	    it->link ? it->link : "", "published", (json_int_t)it->published,
	    "first_seen", (json_int_t)it->first_seen, "class",
	    class_name(c->cls), "grade", grade_name(c->grade), "rules", rules);
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	store_command(st->store, NULL, NULL, "RPUSH %s:incident:%llu:items %s",
	              store_prefix(st->store), (unsigned long long)inc->id,
	              s ? s : "{}");
	free(s);
}

static void istore_batch_send(struct istore_batch *);

static void
istore_batch_free(struct istore_batch *b)
{
	if (b == NULL)
		return;
	store_args_clear(&b->a);
	free(b);
}

/* Keep a batch until the link returns (the keys make a resend safe). */
static void
istore_hold(struct incidentstore *st, struct istore_batch *b)
{
	struct istore_batch **nh;

	if (st->heldalerts + b->n > ISTORE_HELD_MAX ||
	    (nh = realloc(st->held, (st->nheld + 1) * sizeof(*nh))) == NULL) {
		st->dropped += (int64_t)b->n;
		log_err("alerts NOT recorded, redis away and the queue full: "
		        "count=%zu first=%s dropped=%lld",
		        b->n, b->a.n > 4 ? b->a.v[4] : "-",
		        (long long)st->dropped);
		istore_batch_free(b);
		return;
	}
	st->held = nh;
	st->held[st->nheld++] = b;
	st->heldalerts += b->n;
	log_warnx("alerts held until redis returns: count=%zu first=%s "
	          "held=%zu",
	          b->n, b->a.n > 4 ? b->a.v[4] : "-", st->heldalerts);
}

/* Redis's answer to a batch: one 0/1 per alert. */
static void
istore_batch_reply(redisReply *r, void *arg)
{
	struct istore_batch *b = arg;
	struct incidentstore *st = b->st;
	size_t i;

	if (r == NULL) { /* the link went down with it in flight */
		istore_hold(st, b);
		return;
	}
	if (r->type == REDIS_REPLY_ERROR &&
	    strncmp(r->str, "NOSCRIPT", 8) == 0) {
		st->sha[0] = '\0'; /* script cache flushed: send the text */
		istore_batch_send(b);
		return;
	}
	if (r->type != REDIS_REPLY_ARRAY || r->elements != b->n) {
		log_err("cannot record alerts: count=%zu first=%s error=\"%s\"",
		        b->n, b->a.n > 4 ? b->a.v[4] : "-",
		        r->type == REDIS_REPLY_ERROR ? r->str
		                                     : "unexpected reply");
		istore_batch_free(b);
		return;
	}
	for (i = 0; i < r->elements; i++) {
		if (r->element[i]->type == REDIS_REPLY_INTEGER &&
		    r->element[i]->integer == 1)
			st->recorded++;
		else
			st->duplicates++;
	}
	istore_batch_free(b);
}

/* Send a batch by its script's SHA if Redis has it, else with the text. */
static void
istore_batch_send(struct istore_batch *b)
{
	struct incidentstore *st = b->st;
	char *cmd = b->a.v[0], *script = b->a.v[1];
	size_t cmdlen = b->a.len[0], scriptlen = b->a.len[1];
	int rc;

	if (store_state(st->store, NULL) != STORE_UP) {
		istore_hold(st, b);
		return;
	}
	if (st->sha[0] != '\0') {
		b->a.v[0] = (char *)"EVALSHA";
		b->a.len[0] = 7;
		b->a.v[1] = st->sha;
		b->a.len[1] = strlen(st->sha);
	}
	rc = store_args_send(st->store, &b->a, istore_batch_reply, b);
	b->a.v[0] = cmd;
	b->a.len[0] = cmdlen;
	b->a.v[1] = script;
	b->a.len[1] = scriptlen;
	if (rc == -1)
		istore_hold(st, b);
}

/* Send the batch being filled, if any. */
void
incidentstore_flush(struct incidentstore *st)
{
	struct istore_batch *b = st->batch;

	st->batch = NULL;
	if (b != NULL)
		istore_batch_send(b);
}

static void
istore_flush_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	incidentstore_flush(arg);
}

/* A new, empty batch: the command, the script and the prefix. */
static struct istore_batch *
istore_batch_new(struct incidentstore *st)
{
	struct istore_batch *b = calloc(1, sizeof(*b));

	if (b == NULL)
		return NULL;
	b->st = st;
	store_args_add(&b->a, "EVAL", ISTORE_ARG_MAX);
	store_args_add(&b->a, istore_alert_script, sizeof(istore_alert_script));
	store_args_add(&b->a, "0", ISTORE_ARG_MAX);
	store_args_add(&b->a, store_prefix(st->store), ISTORE_ARG_MAX);
	return b;
}

/*
 * incidents hook: record one stage, once.  Stages popped in one pass of
 * the deadline timer go to Redis together, in order, in one script call
 * sent right after the pass.
 */
static void
istore_alert_cb(const struct incident *inc, int k, int stage,
                const char *stage_name, int64_t due_at, int64_t now, void *arg)
{
	struct incidentstore *st = arg;
	struct istore_batch *b;
	char key[128];

	(void)stage;
	if (st->batch == NULL) {
		st->batch = istore_batch_new(st);
		if (st->batch == NULL) {
			st->dropped++;
			log_err("alert NOT recorded, out of memory");
			return;
		}
		if (st->flush_ev != NULL)
			event_active(st->flush_ev, EV_TIMEOUT, 0);
	}
	b = st->batch;
	snprintf(key, sizeof(key), "%llu:%s:%s", (unsigned long long)inc->id,
	         milestone_name(k), stage_name);
	store_args_add(&b->a, key, ISTORE_ARG_MAX);
	store_args_addf(&b->a, "%llu", (long long)inc->id);
	store_args_add(&b->a, milestone_name(k), ISTORE_ARG_MAX);
	store_args_addf(&b->a, "%lld", (long long)inc->ms[k].next_stage);
	store_args_add(&b->a, milestone_state_name(inc->ms[k].state),
	               ISTORE_ARG_MAX);
	store_args_addf(&b->a, "%lld", (long long)now);
	store_args_add(&b->a, stage_name, ISTORE_ARG_MAX);
	store_args_addf(&b->a, "%lld", (long long)due_at);
	store_args_add(&b->a, class_name(inc->cls), ISTORE_ARG_MAX);
	store_args_add(&b->a, inc->title, ISTORE_ARG_MAX);
	store_args_add(&b->a, inc->departments, ISTORE_ARG_MAX);
	b->n++;
	if (b->n >= ISTORE_BATCH_MAX || st->flush_ev == NULL)
		incidentstore_flush(st);
	if (st->on_alert != NULL)
		st->on_alert(inc, k, stage, stage_name, due_at, now,
		             st->on_alert_arg);
}

/* Who else hears of every stage fired (delivery). */
void
incidentstore_on_alert(struct incidentstore *st, istore_alert_fn fn, void *arg)
{
	st->on_alert = fn;
	st->on_alert_arg = arg;
}

/* incidents hook: who met a milestone and the evidence (the URL). */
static void
istore_met_cb(const struct incident *inc, int k, const char *by,
              const char *evidence, void *arg)
{
	struct incidentstore *st = arg;
	struct store_args a = {0};
	char key[128], name[64];

	snprintf(key, sizeof(key), "%s:incident:%llu", store_prefix(st->store),
	         (unsigned long long)inc->id);
	store_args_add(&a, "HSET", ISTORE_ARG_MAX);
	store_args_add(&a, key, ISTORE_ARG_MAX);
	snprintf(name, sizeof(name), "ms.%s.met_by", milestone_name(k));
	store_args_add(&a, name, ISTORE_ARG_MAX);
	store_args_add(&a, by, ISTORE_ARG_MAX);
	snprintf(name, sizeof(name), "ms.%s.evidence", milestone_name(k));
	store_args_add(&a, name, ISTORE_ARG_MAX);
	store_args_add(&a, evidence, ISTORE_ARG_MAX);
	istore_send(st, &a, NULL, NULL);
}

/* The script's SHA, once Redis has loaded it. */
static void
istore_script_cb(redisReply *r, void *arg)
{
	struct incidentstore *st = arg;

	if (r != NULL && r->type == REDIS_REPLY_STRING && r->len == 40)
		memcpy(st->sha, r->str, 41);
}

/* The link is back: load the script, send what was held, in order. */
static void
istore_unhold(struct incidentstore *st)
{
	struct istore_batch **held = st->held;
	size_t i, n = st->nheld, alerts = st->heldalerts;

	st->sha[0] = '\0';
	store_command(st->store, istore_script_cb, st, "SCRIPT LOAD %s",
	              istore_alert_script);
	st->held = NULL;
	st->nheld = 0;
	st->heldalerts = 0;
	for (i = 0; i < n; i++)
		istore_batch_send(held[i]);
	free(held);
	if (n > 0)
		log_notice("held alerts sent to redis: count=%zu", alerts);
}

static void istore_read(struct incidentstore *);
static void istore_ready(struct incidentstore *);

static int64_t
istore_num(const char *s)
{
	return s != NULL && s[0] ? strtoll(s, NULL, 10) : -1;
}

/* One stream entry: its fields into an item, processed atomically. */
static void
istore_entry(struct incidentstore *st, const redisReply *e)
{
	const redisReply *f;
	struct item_in it;
	const char *pub = NULL, *seen = NULL;
	size_t i;

	memset(&it, 0, sizeof(it));
	if (e->type != REDIS_REPLY_ARRAY || e->elements != 2)
		return;
	f = e->element[1];
	for (i = 0; f->type == REDIS_REPLY_ARRAY && i + 1 < f->elements;
	     i += 2) {
		const char *k = f->element[i]->str, *v = f->element[i + 1]->str;

		if (f->element[i]->type != REDIS_REPLY_STRING ||
		    f->element[i + 1]->type != REDIS_REPLY_STRING)
			continue;
		if (strcmp(k, "feed") == 0)
			it.feed = v;
		else if (strcmp(k, "key") == 0)
			it.key = v;
		else if (strcmp(k, "title") == 0)
			it.title = v;
		else if (strcmp(k, "text") == 0)
			it.text = v;
		else if (strcmp(k, "link") == 0)
			it.link = v;
		else if (strcmp(k, "published") == 0)
			pub = v;
		else if (strcmp(k, "first_seen") == 0)
			seen = v;
		else if (strcmp(k, "local") == 0)
			it.local = v[0] == '1';
	}
	if (it.feed == NULL || it.key == NULL)
		return;
	it.published = istore_num(pub);
	it.first_seen = istore_num(seen);
	store_command(st->store, NULL, NULL, "MULTI");
	incidents_item(st->incidents, &it);
	store_command(st->store, NULL, NULL, "SET %s:ingest:offset %s",
	              store_prefix(st->store), e->element[0]->str);
	store_command(st->store, NULL, NULL, "EXEC");
	snprintf(st->offset, sizeof(st->offset), "%s", e->element[0]->str);
}

static void
istore_read_cb(redisReply *r, void *arg)
{
	struct incidentstore *st = arg;
	size_t i, n = 0;

	st->reading = 0;
	if (r == NULL || r->type == REDIS_REPLY_ERROR)
		return;
	/* [[stream, [entries...]]] or nil */
	if (r->type == REDIS_REPLY_ARRAY && r->elements == 1 &&
	    r->element[0]->type == REDIS_REPLY_ARRAY &&
	    r->element[0]->elements == 2) {
		const redisReply *entries = r->element[0]->element[1];

		for (i = 0; entries->type == REDIS_REPLY_ARRAY &&
		            i < entries->elements;
		     i++)
			istore_entry(st, entries->element[i]);
		n = entries->type == REDIS_REPLY_ARRAY ? entries->elements : 0;
	}
	if (n > 0 || st->again) {
		st->again = 0;
		istore_read(st);
	}
}

/* Read what the stream holds after our offset (never blocking). */
static void
istore_read(struct incidentstore *st)
{
	if (!st->ready)
		return;
	if (st->reading) {
		st->again = 1;
		return;
	}
	if (store_command(st->store, istore_read_cb, st,
	                  "XREAD COUNT " ISTORE_BATCH " STREAMS %s:items %s",
	                  store_prefix(st->store), st->offset) == 0)
		st->reading = 1;
}

/* New items were recorded (feedstore): go and read them. */
void
incidentstore_poke(struct incidentstore *st)
{
	istore_read(st);
}

static void istore_load_more(struct incidentstore *);

/* The restore is over: schedule the stream. */
static void
istore_restored(struct incidentstore *st)
{
	free(st->restore_ids);
	st->restore_ids = NULL;
	st->nrestore = st->restore_next = 0;
	st->restoring = 0;
	istore_ready(st);
}

/*
 * Back from HMGET: one stored incident into the engine, the values in
 * istore_tab order.  The reply is outside input: a value that is not a
 * string is taken as absent; a milestone is active if any of its fields
 * is there.
 */
static int
istore_parse(const redisReply *r, struct incident *inc)
{
	size_t i, f;
	int k;

	memset(inc, 0, sizeof(*inc));
	if (r->type != REDIS_REPLY_ARRAY || r->elements != ISTORE_NFIELDS)
		return -1;
	for (i = 0; i < ISTORE_NTAB; i++)
		if (r->element[i]->type == REDIS_REPLY_STRING)
			istore_get(&istore_tab[i], inc, r->element[i]->str);
	for (k = 0; k < MS_COUNT; k++)
		for (f = 0; f < ISTORE_MS_FIELDS; f++, i++) {
			if (r->element[i]->type != REDIS_REPLY_STRING)
				continue;
			inc->ms[k].active = 1;
			istore_get(&istore_ms_tab[f], &inc->ms[k],
			           r->element[i]->str);
		}
	return 0;
}

static void
istore_load_cb(redisReply *r, void *arg)
{
	struct incidentstore *st = arg;
	struct incident inc;

	st->restore_inflight--;
	if (r == NULL) {
		st->restore_lost = 1; /* link_up starts the restore again */
		return;
	}
	if (istore_parse(r, &inc) == 0) {
		if (inc.id != 0 &&
		    incidents_restore(st->incidents, &inc) == 0 &&
		    st->on_save != NULL) {
			const struct incident *back =
			    incidents_get(st->incidents, inc.id);

			if (back != NULL)
				st->on_save(back, "restored", st->on_save_arg);
		}
	} else {
		log_warnx(
		    "stored incident: unexpected reply to HMGET, skipped");
	}
	if (st->restore_lost)
		return;
	istore_load_more(st);
	if (st->restore_next == st->nrestore && st->restore_inflight == 0)
		istore_restored(st);
}

/* The field names HMGET asks for, in istore_tab order. */
static void
istore_hmget_names(char (*names)[48], size_t n)
{
	size_t i, f;
	int k;

	for (i = 0; i < ISTORE_NTAB && i < n; i++)
		snprintf(names[i], 48, "%s", istore_tab[i].name);
	for (k = 0; k < MS_COUNT; k++)
		for (f = 0; f < ISTORE_MS_FIELDS && i < n; f++, i++)
			istore_ms_name(k, f, names[i], 48);
}

/*
 * Ask for the next stored incidents, at most ISTORE_RESTORE_WINDOW in
 * flight: a bounded output buffer (hiredis moves what is left of it after
 * every partial write, so 100,000 commands queued at once cost more in
 * memmove than in parsing) and Redis and the daemon working side by side.
 */
/* HMGET every stored field of incident id; cb gets the reply. */
static int
istore_hmget(struct incidentstore *st, uint64_t id, store_reply_cb cb,
             void *arg)
{
	/* the field names, built once: this runs for every incident of a
	 * restore (100,000 in the scale bench) */
	static char names[ISTORE_NFIELDS][48];
	static const char *argv[ISTORE_NFIELDS + 2];
	static size_t lens[ISTORE_NFIELDS + 2];
	char key[160];
	size_t i;

	if (argv[0] == NULL) {
		istore_hmget_names(names, ISTORE_NFIELDS);
		for (i = 0; i < ISTORE_NFIELDS; i++) {
			argv[i + 2] = names[i];
			lens[i + 2] = strlen(names[i]);
		}
		lens[0] = 5;
		argv[0] = "HMGET";
	}
	snprintf(key, sizeof(key), "%s:incident:%llu", store_prefix(st->store),
	         (unsigned long long)id);
	argv[1] = key;
	lens[1] = strlen(key);
	return store_command_argv(st->store, cb, arg, (int)ISTORE_NFIELDS + 2,
	                          argv, lens);
}

static void
istore_load_more(struct incidentstore *st)
{
	while (st->restore_inflight < ISTORE_RESTORE_WINDOW &&
	       st->restore_next < st->nrestore) {
		if (istore_hmget(st, st->restore_ids[st->restore_next],
		                 istore_load_cb, st) == -1) {
			st->restore_lost = 1;
			return;
		}
		st->restore_next++;
		st->restore_inflight++;
	}
}

/*
 * Reading the incidents first seen in a period (for the report): the ids
 * from PREFIX:incidents:seen, then the incidents, ISTORE_RESTORE_WINDOW
 * reads in flight, into v; cb once at the end.
 */
struct istore_scan {
	struct incidentstore *st;
	istore_seen_cb cb;
	void *arg;
	uint64_t *ids;
	size_t nids, next, inflight, max;
	struct incident *v;
	size_t n;
	int failed;
};

static void
istore_scan_end(struct istore_scan *sc)
{
	sc->cb(sc->v, sc->n, !sc->failed, sc->arg); /* v is the callee's */
	free(sc->ids);
	free(sc);
}

static void istore_scan_more(struct istore_scan *);

static void
istore_scan_cb(redisReply *r, void *arg)
{
	struct istore_scan *sc = arg;

	sc->inflight--;
	if (r == NULL)
		sc->failed = 1;
	else if (istore_parse(r, &sc->v[sc->n]) == 0 && sc->v[sc->n].id != 0)
		sc->n++;
	istore_scan_more(sc);
}

static void
istore_scan_more(struct istore_scan *sc)
{
	while (!sc->failed && sc->inflight < ISTORE_RESTORE_WINDOW &&
	       sc->next < sc->nids) {
		if (istore_hmget(sc->st, sc->ids[sc->next], istore_scan_cb,
		                 sc) == -1) {
			sc->failed = 1;
			break;
		}
		sc->next++;
		sc->inflight++;
	}
	if (sc->inflight == 0)
		istore_scan_end(sc);
}

static void
istore_scan_ids_cb(redisReply *r, void *arg)
{
	struct istore_scan *sc = arg;
	size_t i, n;

	if (r == NULL || r->type != REDIS_REPLY_ARRAY) {
		sc->failed = 1;
		istore_scan_end(sc);
		return;
	}
	/* never more than asked for, whatever the reply says */
	n = r->elements < sc->max ? r->elements : sc->max;
	if (n == sc->max)
		log_warnx("report: the latest %zu stored incidents are read, "
		          "older ones of the period are left out",
		          sc->max);
	sc->ids = calloc(n + 1, sizeof(*sc->ids));
	sc->v = calloc(n + 1, sizeof(*sc->v));
	if (sc->ids == NULL || sc->v == NULL) {
		sc->failed = 1;
		istore_scan_end(sc);
		return;
	}
	for (i = 0; i < n; i++) {
		char *end;
		uint64_t id;

		if (r->element[i]->type != REDIS_REPLY_STRING)
			continue;
		id = strtoull(r->element[i]->str, &end, 10);
		if (id != 0 && *end == '\0')
			sc->ids[sc->nids++] = id;
	}
	istore_scan_more(sc);
}

int
incidentstore_seen(struct incidentstore *st, int64_t from, int64_t to,
                   size_t max, istore_seen_cb cb, void *arg)
{
	struct istore_scan *sc;

	if (!store_accepting(st->store))
		return -1;
	sc = calloc(1, sizeof(*sc));
	if (sc == NULL)
		return -1;
	sc->st = st;
	sc->cb = cb;
	sc->arg = arg;
	sc->max = max;
	/* the latest first: past the cap, the oldest are left out */
	if (store_command(
	        st->store, istore_scan_ids_cb, sc,
	        "ZREVRANGEBYSCORE %s:incidents:seen (%lld %lld LIMIT 0 "
	        "%lld",
	        store_prefix(st->store), (long long)to, (long long)from,
	        (long long)max) == -1) {
		free(sc);
		return -1;
	}
	return 0;
}

/* The open set: its ids, then the incidents in windows. */
static void
istore_members_cb(redisReply *r, void *arg)
{
	struct incidentstore *st = arg;
	size_t i;

	if (r == NULL) {
		st->restore_lost = 1;
		return;
	}
	if (r->type != REDIS_REPLY_ARRAY) {
		log_err("cannot read the open incidents: %s",
		        r->type == REDIS_REPLY_ERROR ? r->str : "not a set");
		istore_restored(st);
		return;
	}
	st->restore_ids = calloc(r->elements + 1, sizeof(*st->restore_ids));
	if (st->restore_ids == NULL) {
		log_err("cannot restore incidents: out of memory, count=%zu",
		        r->elements);
		istore_restored(st);
		return;
	}
	for (i = 0; i < r->elements; i++) {
		const redisReply *e = r->element[i];
		char *end;
		uint64_t id;

		if (e->type != REDIS_REPLY_STRING)
			continue;
		id = strtoull(e->str, &end, 10);
		if (id == 0 || *end != '\0') {
			log_warnx("open incidents: '%.40s' is not an id, "
			          "skipped",
			          e->str);
			continue;
		}
		st->restore_ids[st->nrestore++] = id;
	}
	istore_load_more(st);
	if (!st->restore_lost && st->restore_inflight == 0)
		istore_restored(st);
}

/*
 * PREFIX:incidents:seen came with the report reading stored incidents;
 * data written before it have incidents (closed ones) it does not list.
 * Once, when the index is missing: SCAN the incident hashes, a page at a
 * time, and index each by its first_seen in one script per page.
 */
static const char istore_index_script[] =
    "local n = 0\n"
    "for i = 2, #ARGV do\n"
    "  if string.match(ARGV[i], ':incident:%d+$') then\n"
    "    local fs = redis.call('HGET', ARGV[i], 'first_seen')\n"
    "    local id = string.match(ARGV[i], '(%d+)$')\n"
    "    if fs and tonumber(fs) then\n"
    "      redis.call('ZADD', ARGV[1], fs, id)\n"
    "      n = n + 1\n"
    "    end\n"
    "  end\n"
    "end\n"
    "return n\n";

static void
istore_index_page_cb(redisReply *r, void *arg)
{
	struct incidentstore *st = arg;
	struct store_args a = {0};
	char key[160];
	const redisReply *keys;
	size_t i;

	if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
	    r->element[0]->type != REDIS_REPLY_STRING ||
	    r->element[1]->type != REDIS_REPLY_ARRAY)
		return; /* the next start tries again (the index is missing) */
	keys = r->element[1];
	snprintf(key, sizeof(key), "%s:incidents:seen",
	         store_prefix(st->store));
	store_args_add(&a, "EVAL", 4);
	store_args_add(&a, istore_index_script, sizeof(istore_index_script));
	store_args_add(&a, "0", 1);
	store_args_add(&a, key, sizeof(key));
	for (i = 0; i < keys->elements; i++)
		if (keys->element[i]->type == REDIS_REPLY_STRING)
			store_args_add(&a, keys->element[i]->str, 512);
	if (a.n > 4)
		store_args_send(st->store, &a, NULL, NULL);
	store_args_clear(&a);
	if (strcmp(r->element[0]->str, "0") == 0) {
		log_info("stored incidents indexed for the report");
		return;
	}
	store_command(st->store, istore_index_page_cb, st,
	              "SCAN %s MATCH %s:incident:* COUNT 1000",
	              r->element[0]->str, store_prefix(st->store));
}

static void
istore_index_exists_cb(redisReply *r, void *arg)
{
	struct incidentstore *st = arg;

	if (r == NULL || r->type != REDIS_REPLY_INTEGER || r->integer != 0)
		return;
	log_notice("indexing the stored incidents for the report (once)");
	store_command(st->store, istore_index_page_cb, st,
	              "SCAN 0 MATCH %s:incident:* COUNT 1000",
	              store_prefix(st->store));
}

static void
istore_ready(struct incidentstore *st)
{
	if (st->ready)
		return;
	st->ready = 1;
	store_command(st->store, istore_index_exists_cb, st,
	              "EXISTS %s:incidents:seen", store_prefix(st->store));
	log_info("incidents restored from redis: open=%zu scheduled=%zu "
	         "offset=%s",
	         incidents_count(st->incidents),
	         incidents_scheduled(st->incidents), st->offset);
	if (st->ready_cb != NULL)
		st->ready_cb(st->ready_arg);
	istore_read(st);
}

static void
istore_offset_cb(redisReply *r, void *arg)
{
	struct incidentstore *st = arg;

	if (r == NULL) {
		st->restore_lost = 1;
		return;
	}
	if (r->type == REDIS_REPLY_STRING)
		snprintf(st->offset, sizeof(st->offset), "%s", r->str);
	if (store_command(st->store, istore_members_cb, st,
	                  "SMEMBERS %s:incidents:open",
	                  store_prefix(st->store)) == -1)
		st->restore_lost = 1;
}

/*
 * The link is up.  The first time: the stream offset, then every open
 * incident, then (ready) the stream.  Later: read what arrived meanwhile.
 */
void
incidentstore_link_up(struct incidentstore *st)
{
	istore_unhold(st);
	if (st->ready) {
		istore_read(st);
		return;
	}
	if (st->restoring && !st->restore_lost)
		return; /* under way */
	/* from the start (again, if the link dropped during it: incidents
	 * already restored are skipped) */
	free(st->restore_ids);
	st->restore_ids = NULL;
	st->nrestore = st->restore_next = st->restore_inflight = 0;
	st->restoring = 1;
	st->restore_lost = 0;
	if (store_command(st->store, istore_offset_cb, st,
	                  "GET %s:ingest:offset",
	                  store_prefix(st->store)) == -1)
		st->restore_lost = 1;
}

struct incidentstore *
incidentstore_new(struct store *store, istore_ready_cb cb, void *arg)
{
	struct incidentstore *st = calloc(1, sizeof(*st));

	if (st == NULL)
		return NULL;
	st->store = store;
	st->ready_cb = cb;
	st->ready_arg = arg;
	snprintf(st->offset, sizeof(st->offset), "0-0");
	st->flush_ev = event_new(store_base(store), -1, 0, istore_flush_cb, st);
	return st;
}

void
incidentstore_bind(struct incidentstore *st, struct incidents *is)
{
	st->incidents = is;
}

void
incidentstore_hooks(struct incidentstore *st, struct incidents_hooks *h)
{
	memset(h, 0, sizeof(*h));
	h->save = istore_save_cb;
	h->item = istore_item_cb;
	h->alert = istore_alert_cb;
	h->met = istore_met_cb;
	h->arg = st;
}

int64_t
incidentstore_alerts(const struct incidentstore *st)
{
	return st->recorded;
}

void
incidentstore_free(struct incidentstore *st)
{
	size_t i;

	if (st == NULL)
		return;
	for (i = 0; i < st->nheld; i++)
		istore_batch_free(st->held[i]);
	free(st->held);
	istore_batch_free(st->batch);
	free(st->restore_ids);
	if (st->flush_ev != NULL)
		event_free(st->flush_ev);
	free(st);
}
