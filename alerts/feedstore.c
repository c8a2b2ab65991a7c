/*
 * feedstore.c: the feeds' memory in Redis.  Per feed, a hash with its
 * fetch state (PREFIX:feed:ID), read back on start so a restart neither
 * refetches everything at once nor forgets a backoff.  Per item, a "seen"
 * key with its content hash and first-seen time (PREFIX:seen:FEED:HASH,
 * with a TTL longer than any window), so an item is passed on once, and
 * again only when edited.  New and edited items go to the stream
 * PREFIX:items for the classifier; seen-marking and the stream entry are
 * one Lua script per poll, so they happen together or not at all.
 * "source down/up" events go to PREFIX:events.
 */
#include <stdlib.h>
#include <string.h>

#include "alerts/alerts.h"

#define FEEDSTORE_SEEN_TTL  (7 * 24 * 3600) /* s: longer than any window */
#define FEEDSTORE_ITEMS_MAX "100000"        /* stream length, approximate */
#define FEEDSTORE_TEXT_MAX  2000            /* bytes of text in the stream */

/* ARGV: prefix, feed, ttl, now, maxlen, local, then per item: keyhash,
 * key, content hash, title, link, published, text, guid.  Returns, per
 * item, "new", "upd" or "seen". */
static const char feedstore_script[] =
    "local out = {}\n"
    "for i = 7, #ARGV, 8 do\n"
    "  local k = ARGV[1] .. ':seen:' .. ARGV[2] .. ':' .. ARGV[i]\n"
    "  local old = redis.call('GET', k)\n"
    "  local kind, first = 'new', ARGV[4]\n"
    "  if old then\n"
    "    local sep = string.find(old, ':', 1, true) or 0\n"
    "    first = string.sub(old, sep + 1)\n"
    "    if string.sub(old, 1, sep - 1) == ARGV[i + 2] then\n"
    "      kind = 'seen'\n"
    "    else\n"
    "      kind = 'upd'\n"
    "    end\n"
    "  end\n"
    "  if kind == 'seen' then\n"
    "    redis.call('EXPIRE', k, ARGV[3])\n"
    "  else\n"
    "    redis.call('SET', k, ARGV[i + 2] .. ':' .. first, 'EX', ARGV[3])\n"
    "    redis.call('XADD', ARGV[1] .. ':items', 'MAXLEN', '~', ARGV[5],\n"
    "      '*', 'kind', kind, 'feed', ARGV[2], 'key', ARGV[i + 1],\n"
    "      'title', ARGV[i + 3], 'link', ARGV[i + 4],\n"
    "      'published', ARGV[i + 5], 'first_seen', first,\n"
    "      'text', ARGV[i + 6], 'guid', ARGV[i + 7], 'local', ARGV[6])\n"
    "  end\n"
    "  out[#out + 1] = kind\n"
    "end\n"
    "return out\n";

struct feedstore {
	struct store *store;
	struct feeds *feeds;
	const struct config *conf;
	int restoring; /* HGETALL replies outstanding */
	int started;
	int64_t recorded; /* new or edited items recorded */
	void (*items_cb)(void *);
	void *items_arg;
	struct event *start_ev;
	feedstore_event_fn event_cb;
	void *event_arg;
};

/* Per poll, until the script answers. */
struct feedstore_poll {
	struct feedstore *fst;
	char *feed;
	size_t nitems;
};

/* A time as epoch ms, or "" when absent. */
static void
feedstore_time(struct store_args *a, int64_t ms)
{
	if (ms < 0)
		store_args_add(a, "", 0);
	else
		store_args_addf(a, "%lld", (long long)ms);
}

static void
feedstore_script_cb(redisReply *r, void *arg)
{
	struct feedstore_poll *p = arg;
	size_t i, nnew = 0, nupd = 0;

	if (r == NULL || r->type != REDIS_REPLY_ARRAY) {
		log_warnx("cannot record items of feed '%s': %s; it will be "
		          "fetched whole next time",
		          p->feed,
		          r == NULL                      ? "redis link lost"
		          : r->type == REDIS_REPLY_ERROR ? r->str
		                                         : "unexpected reply");
		if (p->fst->feeds != NULL)
			feeds_invalidate(p->fst->feeds, p->feed);
	} else {
		for (i = 0; i < r->elements; i++) {
			const redisReply *e = r->element[i];

			if (e->type != REDIS_REPLY_STRING &&
			    e->type != REDIS_REPLY_STATUS)
				continue;
			if (strcmp(e->str, "new") == 0)
				nnew++;
			else if (strcmp(e->str, "upd") == 0)
				nupd++;
		}
		p->fst->recorded += (int64_t)(nnew + nupd);
		if (nnew + nupd > 0 && p->fst->items_cb != NULL)
			p->fst->items_cb(p->fst->items_arg);
		if (nnew + nupd > 0)
			log_info("feed items recorded: feed=%s new=%zu "
			         "updated=%zu seen=%zu",
			         p->feed, nnew, nupd,
			         r->elements - nnew - nupd);
	}
	free(p->feed);
	free(p);
}

/* feeds hook: record the document's new and edited items. */
static int
feedstore_doc_cb(const struct conf_feed *cf, const struct feed_doc *doc,
                 void *arg)
{
	struct feedstore *fst = arg;
	struct store_args a;
	struct feedstore_poll *p;
	size_t i;
	int rc;

	if (store_state(fst->store, NULL) != STORE_UP)
		return -1;
	if (doc->nitems == 0)
		return 0;
	memset(&a, 0, sizeof(a));
	store_args_add(&a, "EVAL", 4);
	store_args_add(&a, feedstore_script, sizeof(feedstore_script));
	store_args_add(&a, "0", 1);
	store_args_add(&a, store_prefix(fst->store), 64);
	store_args_add(&a, cf->id, 64);
	store_args_addf(&a, "%lld", FEEDSTORE_SEEN_TTL);
	store_args_addf(&a, "%lld", (long long)clock_now_ms());
	store_args_add(&a, FEEDSTORE_ITEMS_MAX, 16);
	store_args_add(&a, cf->local ? "1" : "0", 1);
	for (i = 0; i < doc->nitems; i++) {
		const struct feed_item *it = &doc->items[i];
		const char *key = it->key != NULL ? it->key : "";

		store_args_addf(&a, "%016llx",
		                (long long)text_hash(key, strlen(key)));
		store_args_add(&a, key, 4096);
		store_args_addf(&a, "%016llx", (long long)it->content_hash);
		store_args_add(&a, it->title, 4096);
		store_args_add(&a, it->link, 4096);
		feedstore_time(&a, it->published);
		store_args_add(&a, it->text, FEEDSTORE_TEXT_MAX);
		store_args_add(&a, it->guid, 4096);
	}
	p = calloc(1, sizeof(*p));
	if (p == NULL || a.failed) {
		free(p);
		store_args_clear(&a);
		return -1;
	}
	p->fst = fst;
	p->feed = strdup(cf->id);
	p->nitems = doc->nitems;
	rc = store_args_send(fst->store, &a, feedstore_script_cb, p);
	store_args_clear(&a);
	if (rc == -1) {
		free(p->feed);
		free(p);
	}
	return rc;
}

/* The hash fields of a feed's state, in one table for save and load. */
enum feedstore_kind { FS_STR, FS_INT, FS_CHARSET };
static const struct {
	const char *name;
	enum feedstore_kind kind;
	size_t off;
} feedstore_fields[] = {
    {"configured_url", FS_STR, offsetof(struct feed_state, configured_url)},
    {"url", FS_STR, offsetof(struct feed_state, url)},
    {"etag", FS_STR, offsetof(struct feed_state, etag)},
    {"last_modified", FS_STR, offsetof(struct feed_state, last_modified)},
    {"last_success", FS_INT, offsetof(struct feed_state, last_success)},
    {"last_attempt", FS_INT, offsetof(struct feed_state, last_attempt)},
    {"next_poll", FS_INT, offsetof(struct feed_state, next_poll)},
    {"failures", FS_INT, offsetof(struct feed_state, failures)},
    {"failing_since", FS_INT, offsetof(struct feed_state, failing_since)},
    {"last_error", FS_STR, offsetof(struct feed_state, last_error)},
    {"charset", FS_CHARSET, offsetof(struct feed_state, charset)},
    {"reason", FS_STR, offsetof(struct feed_state, reason)},
    {"items", FS_INT, offsetof(struct feed_state, items)},
    {"latency_ms", FS_INT, offsetof(struct feed_state, latency)},
    {"down_since", FS_INT, offsetof(struct feed_state, down_since)},
    {"redirect_to", FS_STR, offsetof(struct feed_state, redirect_to)},
    {"redirect_seen", FS_INT, offsetof(struct feed_state, redirect_seen)},
};
#define FEEDSTORE_NFIELDS                                                      \
	(sizeof(feedstore_fields) / sizeof(feedstore_fields[0]))

/* feeds hook: persist a feed's state after each poll. */
static void
feedstore_state_cb(const char *id, const struct feed_state *st, void *arg)
{
	struct feedstore *fst = arg;
	struct store_args a;
	char key[200];
	size_t i;

	if (store_state(fst->store, NULL) != STORE_UP)
		return; /* the next poll's state supersedes this one */
	memset(&a, 0, sizeof(a));
	snprintf(key, sizeof(key), "%s:feed:%s", store_prefix(fst->store), id);
	store_args_add(&a, "HSET", 4);
	store_args_add(&a, key, sizeof(key));
	for (i = 0; i < FEEDSTORE_NFIELDS; i++) {
		const char *field = (const char *)st + feedstore_fields[i].off;

		store_args_add(&a, feedstore_fields[i].name, 64);
		if (feedstore_fields[i].kind == FS_STR)
			store_args_add(&a, *(char *const *)(const void *)field,
			               4096);
		else if (feedstore_fields[i].kind == FS_CHARSET)
			store_args_add(&a, field, 32);
		else
			store_args_addf(
			    &a, "%lld",
			    (long long)*(const int64_t *)(const void *)field);
	}
	store_args_add(&a, "last_status", 11);
	store_args_addf(&a, "%lld", (long long)st->last_status);
	store_args_add(&a, "recovered", 9);
	store_args_addf(&a, "%lld", (long long)st->recovered);
	store_args_add(&a, "down", 4);
	store_args_addf(&a, "%lld", (long long)st->down);
	store_args_send(fst->store, &a, NULL, NULL);
	store_args_clear(&a);
	store_command(fst->store, NULL, NULL, "SADD %s:feeds %s",
	              store_prefix(fst->store), id);
}

/* feeds hook: a source went down or came back. */
static void
feedstore_event_cb(const char *id, const char *event,
                   const struct feed_state *st, void *arg)
{
	struct feedstore *fst = arg;

	store_command(
	    fst->store, NULL, NULL,
	    "XADD %s:events MAXLEN ~ 10000 * type %s feed %s at %lld "
	    "error %s failures %lld",
	    store_prefix(fst->store), event, id, (long long)clock_now_ms(),
	    st->last_error ? st->last_error : "", (long long)st->failures);
	if (fst->event_cb != NULL)
		fst->event_cb(id, event, st, fst->event_arg);
}

/* Who else hears of sources going down and up (delivery). */
void
feedstore_on_event(struct feedstore *fst, feedstore_event_fn fn, void *arg)
{
	fst->event_cb = fn;
	fst->event_arg = arg;
}

static void
feedstore_start_feeds(struct feedstore *fst)
{
	if (fst->started || fst->feeds == NULL)
		return;
	fst->started = 1;
	evtimer_del(fst->start_ev);
	feeds_start(fst->feeds);
}

struct feedstore_load {
	struct feedstore *fst;
	char *id;
};

/* One feed's stored state, back into the scheduler. */
static void
feedstore_load_cb(redisReply *r, void *arg)
{
	struct feedstore_load *l = arg;
	struct feedstore *fst = l->fst;
	struct feed_state st;
	size_t i, k;

	memset(&st, 0, sizeof(st));
	feed_state_clear(&st);
	if (r != NULL && r->type == REDIS_REPLY_ARRAY && r->elements > 0) {
		for (i = 0; i + 1 < r->elements; i += 2) {
			const char *name = r->element[i]->str;
			const char *val = r->element[i + 1]->str;

			if (r->element[i]->type != REDIS_REPLY_STRING ||
			    r->element[i + 1]->type != REDIS_REPLY_STRING)
				continue;
			for (k = 0; k < FEEDSTORE_NFIELDS; k++) {
				char *field =
				    (char *)&st + feedstore_fields[k].off;

				if (strcmp(name, feedstore_fields[k].name))
					continue;
				if (feedstore_fields[k].kind == FS_STR)
					*(char **)(void *)field =
					    val[0] ? strdup(val) : NULL;
				else if (feedstore_fields[k].kind == FS_CHARSET)
					snprintf(field, 32, "%s", val);
				else
					*(int64_t *)(void *)field =
					    strtoll(val, NULL, 10);
			}
			if (strcmp(name, "last_status") == 0)
				st.last_status = strtol(val, NULL, 10);
			else if (strcmp(name, "recovered") == 0)
				st.recovered = val[0] == '1';
			else if (strcmp(name, "down") == 0)
				st.down = val[0] == '1';
		}
		if (fst->feeds != NULL &&
		    feeds_restore(fst->feeds, l->id, &st) == 0)
			log_debug("feed state restored: feed=%s failures=%lld",
			          l->id, (long long)st.failures);
	}
	feed_state_clear(&st);
	free(l->id);
	free(l);
	if (--fst->restoring == 0) {
		log_info("feed states restored from redis: feeds=%zu",
		         fst->conf->feeds.n);
		feedstore_start_feeds(fst);
	}
}

/*
 * The link is up: on the first time, read every feed's stored state, then
 * start polling.  (Polling also starts after a few seconds without Redis,
 * in feedstore_start_cb.)
 */
void
feedstore_link_up(struct feedstore *fst)
{
	size_t i;

	if (fst->started || fst->restoring > 0)
		return;
	for (i = 0; i < fst->conf->feeds.n; i++) {
		struct feedstore_load *l = calloc(1, sizeof(*l));

		if (l == NULL)
			break;
		l->fst = fst;
		l->id = strdup(fst->conf->feeds.v[i].id);
		if (store_command(fst->store, feedstore_load_cb, l,
		                  "HGETALL %s:feed:%s",
		                  store_prefix(fst->store), l->id) == -1) {
			free(l->id);
			free(l);
			continue;
		}
		fst->restoring++;
	}
	if (fst->restoring == 0)
		feedstore_start_feeds(fst);
}

static void
feedstore_start_cb(evutil_socket_t fd, short what, void *arg)
{
	struct feedstore *fst = arg;

	(void)fd;
	(void)what;
	if (!fst->started) {
		log_warnx("redis not reachable: polling feeds without their "
		          "stored state");
		feedstore_start_feeds(fst);
	}
}

struct feedstore *
feedstore_new(struct store *store, const struct config *conf)
{
	struct feedstore *fst = calloc(1, sizeof(*fst));

	if (fst == NULL)
		return NULL;
	fst->store = store;
	fst->conf = conf;
	return fst;
}

/* Late binding: the feeds are made with this store's hooks. */
void
feedstore_bind(struct feedstore *fst, struct feeds *feeds)
{
	struct timeval tv;

	fst->feeds = feeds;
	fst->start_ev =
	    evtimer_new(store_base(fst->store), feedstore_start_cb, fst);
	clock_real_timeval(5000, &tv);
	if (fst->start_ev != NULL)
		evtimer_add(fst->start_ev, &tv);
	if (store_state(fst->store, NULL) == STORE_UP)
		feedstore_link_up(fst);
}

void
feedstore_hooks(struct feedstore *fst, struct feeds_hooks *h)
{
	memset(h, 0, sizeof(*h));
	h->doc = feedstore_doc_cb;
	h->state = feedstore_state_cb;
	h->event = feedstore_event_cb;
	h->arg = fst;
}

void
feedstore_reconfigure(struct feedstore *fst, const struct config *conf)
{
	fst->conf = conf;
}

/* cb runs after new or edited items have been recorded. */
void
feedstore_on_items(struct feedstore *fst, void (*cb)(void *), void *arg)
{
	fst->items_cb = cb;
	fst->items_arg = arg;
}

int64_t
feedstore_items_recorded(const struct feedstore *fst)
{
	return fst->recorded;
}

void
feedstore_free(struct feedstore *fst)
{
	if (fst == NULL)
		return;
	if (fst->start_ev != NULL)
		event_free(fst->start_ev);
	free(fst);
}
