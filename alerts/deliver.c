/*
 * deliver.c: recorded alerts to people.  For each alert the escalation
 * levels say who gets it and each recipient's contacts say how; a group
 * robot gets one message per alert with the recipients @mentioned.  Every
 * delivery (incident, milestone, stage, recipient, channel) is claimed in
 * Redis before it is sent (one Lua script: the claim holds everything
 * needed to send it again), then retried with backoff and jitter until it
 * succeeds, a later stage of the same milestone supersedes it, it fails
 * for good (SMTP 5xx, HTTP 4xx, a robot's errcode) or it runs out of
 * attempts.  Every attempt and the provider's answer go to the
 * PREFIX:deliveries stream.  A claim whose owner died between sending
 * and recording is sent once more by the next daemon (at most once
 * again).  While Redis is away a delivery is still sent: claimed in a
 * local append-only spool instead (spool.c), and the claims and outcomes
 * are replayed into Redis when it returns.  Channels are backends behind
 * one small interface.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <time.h>
#include <unistd.h>

#include "alerts/alerts.h"

#define DL_TEXT_MAX    4096
#define DL_BODY_MAX    (4 << 20) /* a report mail's HTML or attachment */
#define DL_ANSWER_MAX  512
#define DL_MENTION_MAX 32
#define DL_TTL         "2592000"        /* 30 days, as the alert keys */
#define DL_ROBOT_MAX   100              /* robot messages per minute, at most */
#define DL_THROTTLE_MS (10 * 60 * 1000) /* DingTalk's penalty */

enum dl_channel { DL_CONSOLE, DL_EMAIL, DL_SMS, DL_WECOM, DL_DINGTALK, DL_N };
_Static_assert(DL_N == DELIVER_NCHANNELS, "alerts.h names every channel");
const char *const deliver_channel_names[DL_N] = {"console", "email", "sms",
                                                 "wecom", "dingtalk"};

/* One delivery: everything needed to send it (again) lives here. */
struct dl_job {
	struct deliver *d;
	char key[256];   /* incident:milestone:stage:recipient:channel */
	char group[160]; /* incident:milestone:recipient:channel */
	enum dl_channel ch;
	char recipient[64]; /* recipient id, or "group" for a robot */
	char name[128];     /* the recipient's name */
	char contact[256];  /* mobile or e-mail address */
	char mentions[DL_MENTION_MAX *
	              16]; /* robots: mobiles, comma-separated */
	char subject[512];
	char text[DL_TEXT_MAX];
	int stage;
	int quiet;  /* may wait for the end of quiet hours */
	int major;  /* robots: a major incident's (falls back to SMS) */
	int digest; /* robots: held for the next digest message */
	int queued; /* in its channel's queue (over the rate): never superseded
	             */
	TAILQ_ENTRY(dl_job) qentry;
	char base[192];     /* incident:milestone:stage, for fallbacks */
	char fallback[256]; /* robots: ids of the recipients @mentioned */
	char *fbtext;       /* robots: the SMS text for the fallback */
	char *html;         /* mail: this HTML part (else from text) */
	char *attach;       /* mail: one attachment (CSV), attach_len */
	size_t attach_len;
	char attach_name[96];
	struct dl_job *parts; /* a digest: the jobs it carries (a chain) */
	struct dl_job *next_part;
	int attempts;
	int claiming; /* the claim is on its way to Redis */
	int claimed;  /* Redis (or the spool) said this run may send it */
	int sending;  /* a transfer is in flight */
	int done;     /* sent, failed for good, superseded or given up */
	struct event *timer;
	TAILQ_ENTRY(dl_job) entry;
};
TAILQ_HEAD(dl_jobs, dl_job);

struct deliver {
	struct event_base *base;
	struct store *store;
	const struct config *conf;
	struct fetcher *fetcher;
	struct dl_jobs jobs;
	char owner[64];      /* this run: pid and start time */
	int resumed;         /* pending deliveries of earlier runs picked up */
	int stopping;        /* only what is in flight finishes */
	struct spool *spool; /* NULL: without Redis nothing is sent */
	struct incidents *incidents;
	LIST_HEAD(, dl_watch) watches; /* incidents nobody acknowledged yet */
	/* robots: real send times in the last minute, and a throttle */
	int64_t rate_sent[DL_N][DL_ROBOT_MAX]; /* real send times */
	size_t rate_n[DL_N];
	int64_t rate_until[DL_N]; /* throttled by the provider until */
	struct event *digest_ev[2];
	size_t held[2]; /* messages held for each robot's next digest */
	TAILQ_HEAD(, dl_job) fifo[DL_N]; /* over the rate, in order */
	struct event *fifo_ev[DL_N];
	char **local; /* keys claimed in the spool, not yet in Redis */
	size_t nlocal;
	int64_t sent, failed, superseded, attempts;
	int64_t ch_sent[DL_N], ch_failed[DL_N]; /* for /metrics */
};

/* Claim a delivery.  ARGV: prefix, key, owner, now, then the fields to
 * keep (pairs).  1: claimed now; 2: an earlier run claimed it and died
 * before recording the outcome (send once more; a pending retry goes on);
 * 0: not ours to send. */
static const char dl_claim_script[] =
    "local k = ARGV[1] .. ':delivery:' .. ARGV[2]\n"
    "local st = redis.call('HGET', k, 'state')\n"
    "if not st then\n"
    "  redis.call('HSET', k, 'state', 'sending', 'owner', ARGV[3],\n"
    "    'claimed_at', ARGV[4], 'attempts', 0)\n"
    "  for i = 5, #ARGV, 2 do redis.call('HSET', k, ARGV[i], ARGV[i + 1]) "
    "end\n"
    "  redis.call('EXPIRE', k, " DL_TTL ")\n"
    "  redis.call('SADD', ARGV[1] .. ':deliveries:pending', ARGV[2])\n"
    "  return 1\n"
    "end\n"
    "if redis.call('HGET', k, 'owner') == ARGV[3] then return 0 end\n"
    "if st == 'retry' then\n"
    "  redis.call('HSET', k, 'owner', ARGV[3])\n"
    "  return 2\n"
    "end\n"
    "if st == 'sending' and redis.call('HGET', k, 'resumed') ~= '1' then\n"
    "  redis.call('HSET', k, 'owner', ARGV[3], 'resumed', '1')\n"
    "  return 2\n"
    "end\n"
    "return 0\n";

static void dl_send(struct dl_job *);
static void dl_quiet_cb(evutil_socket_t, short, void *);
static void dl_digest_done(struct dl_job *, int, long, const char *);
static void dl_robot_failed(struct dl_job *, long, const char *);
static int dl_rate_may_send(struct deliver *, int);
static int64_t dl_rate_wait(const struct deliver *, int);
static void dl_digest_hold(struct dl_job *);
static const struct conf_recipient *dl_recipient(const struct config *,
                                                 const char *);
static struct dl_job *dl_job_new(struct deliver *,
                                 const struct conf_recipient *, int);
static void dl_queue(struct deliver *, struct dl_job *);
static void dl_record_redis(struct deliver *, const char *, const char *,
                            const char *, int, const char *, long, const char *,
                            const char *);

static void
dl_job_free(struct dl_job *j)
{
	if (j == NULL)
		return;
	if (j->timer != NULL)
		event_free(j->timer);
	free(j->fbtext);
	free(j->html);
	free(j->attach);
	free(j);
}

/* Forget a finished job (never while its transfer is in flight). */
static void
dl_job_drop(struct dl_job *j)
{
	if (j->sending || j->claiming)
		return; /* the callback in flight drops it */
	TAILQ_REMOVE(&j->d->jobs, j, entry);
	dl_job_free(j);
}

/* The outcome of one attempt, into the stream and the claim. */
static void
dl_record(struct dl_job *j, const char *state, long status, const char *answer)
{
	struct deliver *d = j->d;
	char now[32];

	snprintf(now, sizeof(now), "%lld", (long long)clock_now_ms());
	if (store_state(d->store, NULL) != STORE_UP && d->spool != NULL) {
		json_t *o =
		    json_pack("{s:s, s:s, s:s, s:s, s:i, s:s, s:I, s:s, s:s}",
		              "op", "record", "key", j->key, "channel",
		              deliver_channel_names[j->ch], "recipient",
		              j->recipient, "attempt", j->attempts, "state",
		              state, "status", (json_int_t)status, "answer",
		              answer != NULL ? answer : "", "at", now);
		char *line = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;

		if (line == NULL || spool_append(d->spool, line) == -1)
			log_err("delivery outcome lost (redis away, spool "
			        "refused): key=%s state=%s",
			        j->key, state);
		free(line);
		json_decref(o);
		return;
	}
	dl_record_redis(d, j->key, deliver_channel_names[j->ch], j->recipient,
	                j->attempts, state, status, answer, now);
}

/* The outcome into the stream and the claim (and out of the pending set
 * once final).  Strings are borrowed.  Accepted while the link drains for
 * a stop: the outcome of work in flight is written before the exit. */
static void
dl_record_redis(struct deliver *d, const char *key, const char *channel,
                const char *recipient, int attempt, const char *state,
                long status, const char *answer, const char *now)
{
	store_command_final(
	    d->store, NULL, NULL,
	    "XADD %s:deliveries MAXLEN ~ 1000000 * key %s channel %s "
	    "recipient %s attempt %d state %s status %ld answer %s "
	    "at %s",
	    store_prefix(d->store), key, channel, recipient, attempt, state,
	    status, answer != NULL ? answer : "", now);
	store_command_final(
	    d->store, NULL, NULL,
	    "HSET %s:delivery:%s state %s attempts %d answer %s "
	    "updated_at %s",
	    store_prefix(d->store), key, state, attempt,
	    answer != NULL ? answer : "", now);
	if (strcmp(state, "retry") != 0)
		store_command_final(d->store, NULL, NULL,
		                    "SREM %s:deliveries:pending %s",
		                    store_prefix(d->store), key);
	/* an alert's delivery: also on its incident, for the API's show */
	if (key[0] >= '1' && key[0] <= '9' && strchr(key, ':') != NULL) {
		json_t *o =
		    json_pack("{s:s, s:s, s:s, s:i, s:s, s:I, s:s}", "key", key,
		              "channel", channel, "recipient", recipient,
		              "attempt", attempt, "state", state, "status",
		              (json_int_t)status, "at", now);
		char *line = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
		char id[24];

		snprintf(id, sizeof(id), "%.*s", (int)strcspn(key, ":"), key);
		if (line != NULL) /* (hiredis's format takes no %.*s) */
			store_command_final(
			    d->store, NULL, NULL,
			    "RPUSH %s:incident:%s:deliveries %s",
			    store_prefix(d->store), id, line);
		free(line);
		json_decref(o);
	}
}

static void
dl_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	dl_send(arg);
}

/* Backoff with jitter: retry_min doubling up to retry_max, +-20 %. */
static int64_t
dl_backoff(const struct deliver *d, int attempts)
{
	int64_t ms = d->conf->delivery.retry_min;
	int i;

	for (i = 1; i < attempts && ms < d->conf->delivery.retry_max; i++)
		ms *= 2;
	if (ms > d->conf->delivery.retry_max)
		ms = d->conf->delivery.retry_max;
	return ms - ms / 5 + (int64_t)(random() % (ms / 5 * 2 + 1));
}

/*
 * An attempt ended: ok, or failed (permanent: do not retry).  status and
 * answer are the provider's, borrowed.
 */
static void
dl_done(struct dl_job *j, int ok, int permanent, long status,
        const char *answer)
{
	struct deliver *d = j->d;
	struct timeval tv;
	j->sending = 0;
	if (j->parts != NULL) {
		dl_digest_done(j, ok, status, answer);
		return;
	}
	if (!ok && (j->ch == DL_WECOM || j->ch == DL_DINGTALK))
		dl_robot_failed(j, status, answer);
	if (ok) {
		d->sent++;
		d->ch_sent[j->ch]++;
		j->done = 1;
		log_info("alert delivered: key=%s channel=%s recipient=%s "
		         "attempt=%d status=%ld",
		         j->key, deliver_channel_names[j->ch], j->recipient,
		         j->attempts, status);
		dl_record(j, "sent", status, answer);
	} else if (j->done) {
		/* superseded while the attempt ran */
		dl_record(j, "superseded", status, answer);
	} else if (permanent || j->attempts >= d->conf->delivery.max_attempts) {
		d->failed++;
		d->ch_failed[j->ch]++;
		j->done = 1;
		log_err("alert NOT delivered, giving up: key=%s channel=%s "
		        "recipient=%s attempt=%d status=%ld answer=\"%.200s\"",
		        j->key, deliver_channel_names[j->ch], j->recipient,
		        j->attempts, status, answer != NULL ? answer : "");
		dl_record(j, permanent ? "failed" : "given_up", status, answer);
	} else {
		int64_t wait = dl_backoff(d, j->attempts);

		log_warnx("alert delivery failed, retrying: key=%s channel=%s "
		          "recipient=%s attempt=%d status=%ld in_ms=%lld "
		          "answer=\"%.200s\"",
		          j->key, deliver_channel_names[j->ch], j->recipient,
		          j->attempts, status, (long long)wait,
		          answer != NULL ? answer : "");
		dl_record(j, "retry", status, answer);
		if (j->timer == NULL)
			j->timer = evtimer_new(d->base, dl_retry_cb, j);
		clock_real_timeval(wait, &tv);
		if (j->timer != NULL && evtimer_add(j->timer, &tv) == 0)
			return;
	}
	dl_job_drop(j);
}

/* Backends ------------------------------------------------------------ */

/* console: print the message as the phone or mailbox would show it
 * (to channels.console.file, or standard output). */
static void
dl_console_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dl_job *j = arg;
	const char *path = j->d->conf->channels.console.file;
	FILE *f = path != NULL ? fopen(path, "a") : stdout;
	const char *p = j->text, *nl;
	char when[40];

	(void)fd;
	(void)what;
	if (f == NULL) {
		dl_done(j, 0, 0, 0, "cannot open the console file");
		return;
	}
	clock_format(clock_now_ms(), when, sizeof(when));
	fprintf(f, "\n┌─ %s %s → %s%s%s\n", when, deliver_channel_names[j->ch],
	        j->name, j->contact[0] ? " " : "", j->contact);
	if (j->subject[0] != '\0')
		fprintf(f, "│ %s\n│\n", j->subject);
	while ((nl = strchr(p, '\n')) != NULL) {
		fprintf(f, "│ %.*s\n", (int)(nl - p), p);
		p = nl + 1;
	}
	fprintf(f, "│ %s\n└─\n", p);
	if (f != stdout)
		fclose(f);
	else
		fflush(f);
	dl_done(j, 1, 0, 0, "printed");
}

static int
dl_console_send(struct dl_job *j)
{
	struct timeval tv = {0, 0};

	/* never call back from inside the send */
	if (j->timer == NULL)
		j->timer = evtimer_new(j->d->base, dl_console_cb, j);
	else
		event_assign(j->timer, j->d->base, -1, 0, dl_console_cb, j);
	return j->timer != NULL ? evtimer_add(j->timer, &tv) : -1;
}

/*
 * Did the SMS gateway take it (on HTTP 2xx)?  Generic: the success
 * substring; Aliyun: "Code":"OK"; Tencent: the number's SendStatus Code
 * "Ok" and no Response.Error.  Throttling is retried, other refusals
 * (bad number, template, signature) are permanent.
 */
static int
dl_sms_accepted(const struct conf_sms *s, const struct fetch_result *res,
                int *permanent)
{
	json_t *o, *code;
	const char *c = NULL;
	int ok = 0;

	if (s->provider == CONF_SMS_HTTP)
		return s->success == NULL ||
		       strstr(res->body, s->success) != NULL;
	o = json_loadb(res->body, res->body_len, 0, NULL);
	if (s->provider == CONF_SMS_ALIYUN) {
		code = json_object_get(o, "Code");
	} else {
		json_t *r = json_object_get(o, "Response");
		json_t *err =
		    json_object_get(json_object_get(r, "Error"), "Code");

		code = err != NULL
		           ? err
		           : json_object_get(
		                 json_array_get(
		                     json_object_get(r, "SendStatusSet"), 0),
		                 "Code");
	}
	c = json_string_value(code);
	ok = c != NULL && (strcmp(c, "OK") == 0 || strcmp(c, "Ok") == 0);
	*permanent = !ok && c != NULL && strstr(c, "Limit") == NULL &&
	             strstr(c, "LIMIT") == NULL &&
	             strstr(c, "Throttl") == NULL &&
	             strstr(c, "InternalError") == NULL;
	json_decref(o);
	return ok;
}

/* HTTP answers: 2xx and (robots) errcode 0 are success; 4xx but 429 are
 * permanent; anything else is retried. */
static void
dl_http_cb(const struct fetch_result *res, void *arg)
{
	struct dl_job *j = arg;
	char answer[DL_ANSWER_MAX];
	int ok = 0, permanent = 0;

	if (!res->transport_ok) {
		dl_done(j, 0, 0, res->status, res->error);
		return;
	}
	snprintf(answer, sizeof(answer), "%s", res->body);
	ok = res->status >= 200 && res->status < 300;
	permanent =
	    res->status >= 400 && res->status < 500 && res->status != 429;
	if (ok && (j->ch == DL_WECOM || j->ch == DL_DINGTALK)) {
		json_error_t e;
		json_t *o = json_loadb(res->body, res->body_len, 0, &e);
		json_t *code = json_object_get(o, "errcode");

		/* errcode != 0 is a failure even on HTTP 200; throttling
		 * (DingTalk 130101, WeCom 45009) is retried */
		ok = json_is_integer(code) && json_integer_value(code) == 0;
		if (!ok && json_is_integer(code))
			permanent = json_integer_value(code) != 130101 &&
			            json_integer_value(code) != 45009 &&
			            json_integer_value(code) != -1;
		json_decref(o);
	}
	if (ok && j->ch == DL_SMS)
		ok =
		    dl_sms_accepted(&j->d->conf->channels.sms, res, &permanent);
	dl_done(j, ok, permanent, res->status, answer);
}

static int
dl_post(struct dl_job *j, const char *url, const char *body, size_t len,
        const char *content_type, const char *const *extra)
{
	const struct conf_fetch *f = &j->d->conf->fetch;
	char ct[128];
	const char *headers[12];
	size_t n = 0;
	struct fetch_request req;

	snprintf(ct, sizeof(ct), "Content-Type: %s", content_type);
	headers[n++] = ct;
	while (extra != NULL && *extra != NULL && n < 11)
		headers[n++] = *extra++;
	headers[n] = NULL;
	memset(&req, 0, sizeof(req));
	req.url = url;
	req.method = "POST";
	req.body = body;
	req.body_len = len;
	req.headers = headers;
	req.user_agent = f->user_agent;
	req.tls_verify = 1;
	req.max_body = 64 << 10;
	req.connect_timeout = f->connect_timeout;
	req.timeout = f->timeout;
	return fetcher_start(j->d->fetcher, &req, dl_http_cb, j);
}

/* A JSON array of the mobiles in a comma-separated list. */
static json_t *
dl_mobiles(const char *list)
{
	json_t *a = json_array();
	char buf[DL_MENTION_MAX * 16], *p, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", list);
	for (p = strtok_r(buf, ",", &save); p != NULL;
	     p = strtok_r(NULL, ",", &save))
		json_array_append_new(a, json_string(p));
	return a;
}

/*
 * The robot's markdown: the subject as a heading, every line of the text
 * kept as a line (markdown needs two spaces before a line break), the
 * mentions as @mobile (DingTalk shows them so).  The characters markdown
 * would read (* _ ` [ ] # > |) are escaped: titles come from feeds.
 */
static void
dl_markdown(const struct dl_job *j, struct text_buf *b)
{
	const char *p;
	char *ids, *m, *save = NULL;

	text_buf_init(b, DL_TEXT_MAX * 2);
	text_buf_add(b, "#### ", 5);
	for (p = j->subject[0] ? j->subject : "舆情提醒";; p++) {
		if (*p == '\0')
			break;
		if (strchr("*`[]#>|\\", *p) != NULL)
			text_buf_add(b, "\\", 1);
		text_buf_add(b, p, 1);
	}
	text_buf_add(b, "\n", 1);
	for (p = j->text; *p != '\0'; p++) {
		if (*p == '\n')
			text_buf_add(b, "  \n", 3);
		else {
			if (strchr("*`[]#>|\\", *p) != NULL)
				text_buf_add(b, "\\", 1);
			text_buf_add(b, p, 1);
		}
	}
	ids = strdup(j->mentions);
	for (m = ids != NULL ? strtok_r(ids, ",", &save) : NULL; m != NULL;
	     m = strtok_r(NULL, ",", &save)) {
		text_buf_add(b, " @", 2);
		text_buf_add(b, m, strlen(m));
	}
	free(ids);
}

static int
dl_robot_send(struct dl_job *j)
{
	const struct conf_channels *c = &j->d->conf->channels;
	const struct conf_robot *r =
	    j->ch == DL_WECOM ? &c->wecom : &c->dingtalk;
	char url[2048];
	struct text_buf md;
	json_t *o;
	char *body;
	int rc;

	if (r->markdown)
		dl_markdown(j, &md);
	if (j->ch == DL_WECOM && r->markdown) {
		/* WeCom's markdown has no mobile @mentions: the text has them
		 */
		o = json_pack("{s:s, s:{s:s}}", "msgtype", "markdown",
		              "markdown", "content", md.s != NULL ? md.s : "");
		snprintf(url, sizeof(url), "%s", r->webhook.value);
	} else if (j->ch == DL_WECOM) {
		o = json_pack("{s:s, s:{s:s, s:o}}", "msgtype", "text", "text",
		              "content", j->text, "mentioned_mobile_list",
		              dl_mobiles(j->mentions));
		snprintf(url, sizeof(url), "%s", r->webhook.value);
	} else {
		if (r->markdown)
			o = json_pack("{s:s, s:{s:s, s:s}, s:{s:o}}", "msgtype",
			              "markdown", "markdown", "title",
			              j->subject[0] ? j->subject : "舆情提醒",
			              "text", md.s != NULL ? md.s : "", "at",
			              "atMobiles", dl_mobiles(j->mentions));
		else
			o = json_pack("{s:s, s:{s:s}, s:{s:o}}", "msgtype",
			              "text", "text", "content", j->text, "at",
			              "atMobiles", dl_mobiles(j->mentions));
		if (r->secret.value != NULL) {
			if (sign_dingtalk_url(r->webhook.value, r->secret.value,
			                      clock_real_wall_ms(), url,
			                      sizeof(url)) == -1) {
				json_decref(o);
				return -1;
			}
		} else {
			snprintf(url, sizeof(url), "%s", r->webhook.value);
		}
	}
	if (r->markdown)
		text_buf_free(&md);
	body = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (body == NULL)
		return -1;
	rc = dl_post(j, url, body, strlen(body), "application/json", NULL);
	free(body);
	return rc;
}

/* +86 for a mainland number written without its country code. */
static void
dl_e164(const char *mobile, char *out, size_t len)
{
	snprintf(out, len, "%s%s", mobile[0] == '+' ? "" : "+86", mobile);
}

/*
 * Aliyun SendSms (RPC, signature version 1.0, HMAC-SHA1): the text goes
 * as the template's one variable ${text}; the delivery key as OutId.
 */
static int
dl_sms_aliyun(struct dl_job *j)
{
	const struct conf_sms *s = &j->d->conf->channels.sms;
	char ts[32], nonce[64], *tparam, *body;
	int64_t now = clock_real_wall_ms();
	time_t t = (time_t)(now / 1000);
	struct tm tm;
	json_t *o = json_pack("{s:s}", "text", j->text);
	int rc;

	tparam = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (tparam == NULL || gmtime_r(&t, &tm) == NULL) {
		free(tparam);
		return -1;
	}
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(nonce, sizeof(nonce), "%016llx-%d-%lld",
	         (unsigned long long)text_hash(j->key, strlen(j->key)),
	         j->attempts, (long long)now);
	{
		const struct sign_param p[] = {
		    {"AccessKeyId", s->access_key.value},
		    {"Action", "SendSms"},
		    {"Format", "JSON"},
		    {"OutId", j->key},
		    {"PhoneNumbers", j->contact},
		    {"RegionId", "cn-hangzhou"},
		    {"SignName", s->sign_name},
		    {"SignatureMethod", "HMAC-SHA1"},
		    {"SignatureNonce", nonce},
		    {"SignatureVersion", "1.0"},
		    {"TemplateCode", s->template},
		    {"TemplateParam", tparam},
		    {"Timestamp", ts},
		    {"Version", "2017-05-25"},
		};

		body = sign_aliyun_signed_query(s->access_secret.value, "POST",
		                                p, sizeof(p) / sizeof(p[0]));
	}
	free(tparam);
	if (body == NULL)
		return -1;
	rc = dl_post(j, s->url, body, strlen(body),
	             "application/x-www-form-urlencoded", NULL);
	free(body);
	return rc;
}

/*
 * Tencent Cloud SendSms (API 3.0, TC3-HMAC-SHA256): the text is the
 * template's one parameter; the delivery key goes as SessionContext.
 */
static int
dl_sms_tencent(struct dl_job *j)
{
	const struct conf_sms *s = &j->d->conf->channels.sms;
	const char *host =
	    s->host != NULL ? s->host : "sms.tencentcloudapi.com";
	char phone[48], auth[SIGN_TC3_AUTH_SIZE + 16], hh[300], tsh[64],
	    region[96], *body;
	const char *extra[7];
	int64_t now = clock_real_wall_ms() / 1000;
	struct sign_tc3 r;
	json_t *o;
	int rc;

	dl_e164(j->contact, phone, sizeof(phone));
	o = json_pack("{s:[s], s:s, s:s, s:s, s:[s], s:s}", "PhoneNumberSet",
	              phone, "SmsSdkAppId", s->app_id, "SignName", s->sign_name,
	              "TemplateId", s->template, "TemplateParamSet", j->text,
	              "SessionContext", j->key);
	body = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (body == NULL)
		return -1;
	memset(&r, 0, sizeof(r));
	r.secret_id = s->access_key.value;
	r.secret_key = s->access_secret.value;
	r.host = host;
	r.service = "sms";
	r.timestamp = now;
	r.payload = body;
	r.payload_len = strlen(body);
	memcpy(auth, "Authorization: ", 15);
	if (sign_tc3_authorization(&r, auth + 15, sizeof(auth) - 15) == -1) {
		free(body);
		return -1;
	}
	snprintf(hh, sizeof(hh), "Host: %s", host);
	snprintf(tsh, sizeof(tsh), "X-TC-Timestamp: %lld", (long long)now);
	snprintf(region, sizeof(region), "X-TC-Region: %s",
	         s->region != NULL ? s->region : "ap-guangzhou");
	extra[0] = auth;
	extra[1] = hh;
	extra[2] = "X-TC-Action: SendSms";
	extra[3] = tsh;
	extra[4] = "X-TC-Version: 2021-01-11";
	extra[5] = region;
	extra[6] = NULL;
	rc = dl_post(j, s->url, body, strlen(body), SIGN_TC3_CONTENT_TYPE,
	             extra);
	free(body);
	return rc;
}

/* The SMS gateway's body: {phone} {text} {key} filled in, JSON-escaped
 * if the template is JSON, percent-encoded otherwise. */
static int
dl_sms_send(struct dl_job *j)
{
	const struct conf_sms *s = &j->d->conf->channels.sms;
	const char *tmpl =
	    s->body != NULL ? s->body : "{\"phone\":{phone},\"text\":{text}}";
	int json = tmpl[0] == '{' || tmpl[0] == '[';
	struct text_buf b;
	const char *p;
	int rc;

	if (s->provider == CONF_SMS_ALIYUN)
		return dl_sms_aliyun(j);
	if (s->provider == CONF_SMS_TENCENT)
		return dl_sms_tencent(j);
	text_buf_init(&b, 16 << 10);
	for (p = tmpl; *p != '\0';) {
		const char *val = NULL;
		size_t skip = 0;

		if (strncmp(p, "{phone}", 7) == 0)
			val = j->contact, skip = 7;
		else if (strncmp(p, "{text}", 6) == 0)
			val = j->text, skip = 6;
		else if (strncmp(p, "{key}", 5) == 0)
			val = j->key, skip = 5;
		if (val == NULL) {
			text_buf_add(&b, p, 1);
			p++;
			continue;
		}
		if (json) {
			json_t *str = json_string(val);
			char *enc = str != NULL
			                ? json_dumps(str, JSON_ENCODE_ANY)
			                : NULL;

			if (enc != NULL)
				text_buf_add(&b, enc, strlen(enc));
			free(enc);
			json_decref(str);
		} else {
			char enc[SIGN_PCT_SIZE(DL_TEXT_MAX)];

			if (sign_pct(val, strlen(val), enc, sizeof(enc)) == 0)
				text_buf_add(&b, enc, strlen(enc));
		}
		p += skip;
	}
	rc = b.truncated ? -1
	                 : dl_post(j, s->url, b.s != NULL ? b.s : "", b.len,
	                           json ? "application/json"
	                                : "application/x-www-form-urlencoded",
	                           NULL);
	text_buf_free(&b);
	return rc;
}

static void
dl_smtp_cb(const struct fetch_result *res, void *arg)
{
	struct dl_job *j = arg;
	char answer[DL_ANSWER_MAX];

	snprintf(answer, sizeof(answer), "%s",
	         res->transport_ok ? "accepted" : res->error);
	dl_done(j, res->transport_ok, res->status >= 500 && res->status < 600,
	        res->status, answer);
}

/* The mail's HTML part: the subject as a heading, the text's lines, each
 * http(s) link clickable; everything from feeds escaped (& < > " '). */
static void
dl_html(const struct dl_job *j, struct text_buf *b)
{
	const char *p = j->text, *nl, *url;
	static const char head[] =
	    "<!doctype html><html><head><meta charset=\"utf-8\"></head>"
	    "<body style=\"font-family:sans-serif\"><h3>";

	text_buf_init(b, DL_TEXT_MAX * 4);
	text_buf_add(b, head, sizeof(head) - 1);
	text_buf_html(b, j->subject, strlen(j->subject));
	text_buf_add(b, "</h3>\n<p>", 9);
	while (*p != '\0') {
		size_t n;

		nl = strchr(p, '\n');
		n = nl != NULL ? (size_t)(nl - p) : strlen(p);
		url = strstr(p, "http");
		if (url != NULL && (size_t)(url - p) < n &&
		    (strncmp(url, "http://", 7) == 0 ||
		     strncmp(url, "https://", 8) == 0)) {
			size_t u = strcspn(url, " \n");

			text_buf_html(b, p, (size_t)(url - p));
			text_buf_add(b, "<a href=\"", 9);
			text_buf_html(b, url, u);
			text_buf_add(b, "\">", 2);
			text_buf_html(b, url, u);
			text_buf_add(b, "</a>", 4);
			text_buf_html(b, url + u, n - (size_t)(url - p) - u);
		} else {
			text_buf_html(b, p, n);
		}
		text_buf_add(b, "<br>\n", 5);
		p += n + (nl != NULL);
	}
	text_buf_add(b, "</p></body></html>\n", 19);
}

/* "Name <addr>" or "addr" into its parts (in buf). */
static void
dl_split_from(const char *from, char *buf, size_t len, struct mail_addr *a)
{
	char *lt, *gt;

	snprintf(buf, len, "%s", from);
	lt = strchr(buf, '<');
	gt = lt != NULL ? strchr(lt, '>') : NULL;
	if (lt == NULL || gt == NULL) {
		a->name = NULL;
		a->addr = buf;
		return;
	}
	*gt = '\0';
	a->addr = lt + 1;
	while (lt > buf && lt[-1] == ' ')
		lt--;
	*lt = '\0';
	a->name = buf[0] != '\0' ? buf : NULL;
}

static int
dl_smtp_send(struct dl_job *j)
{
	const struct conf_smtp *s = &j->d->conf->channels.smtp;
	struct mail_addr to = {j->name, j->contact};
	struct mail_msg m;
	struct mail_attachment att;
	struct fetch_request req;
	const char *rcpt[2] = {j->contact, NULL};
	char frombuf[300], err[MAIL_ERR_MAX];
	struct text_buf html;
	char *msg = NULL;
	size_t len;
	int64_t now = clock_real_wall_ms();
	int rc;

	memset(&m, 0, sizeof(m));
	dl_split_from(s->from, frombuf, sizeof(frombuf), &m.from);
	m.to = &to;
	m.nto = 1;
	m.subject = j->subject;
	m.text = j->text;
	m.textlen = strlen(j->text);
	memset(&html, 0, sizeof(html));
	if (j->html != NULL) {
		m.html = j->html;
		m.htmllen = strlen(j->html);
	} else {
		dl_html(j, &html);
		m.html = html.s != NULL ? html.s : "";
		m.htmllen = html.len;
	}
	if (j->attach != NULL) {
		att.name = j->attach_name;
		att.type = "text/csv";
		att.data = j->attach;
		att.len = j->attach_len;
		m.att = &att;
		m.natt = 1;
	}
	m.time_ms = now;
	m.utc_offset_min = clock_utc_offset(now);
	m.key = j->key;
	rc = mail_compose(&m, &msg, &len, err, sizeof(err));
	text_buf_free(&html);
	if (rc == -1) {
		log_err("cannot compose alert mail: key=%s: %s", j->key, err);
		return -2;
	}
	memset(&req, 0, sizeof(req));
	req.url = s->url;
	req.body = msg;
	req.body_len = len;
	req.mail_from = m.from.addr;
	req.mail_rcpt = rcpt;
	req.username = s->username;
	req.password = s->password.value;
	req.require_tls = s->starttls;
	req.tls_verify = 1;
	req.ca_file = s->ca_file;
	req.connect_timeout = j->d->conf->fetch.connect_timeout;
	req.timeout = s->timeout;
	rc = fetcher_start(j->d->fetcher, &req, dl_smtp_cb, j);
	free(msg);
	return rc;
}

/* One small interface per channel (OpenSMTPD's table backends). */
static const struct dl_backend {
	int (*send)(struct dl_job *);
} dl_backends[DL_N] = {
    [DL_CONSOLE] = {dl_console_send}, [DL_EMAIL] = {dl_smtp_send},
    [DL_SMS] = {dl_sms_send},         [DL_WECOM] = {dl_robot_send},
    [DL_DINGTALK] = {dl_robot_send},
};

static void dl_fifo_cb(evutil_socket_t, short, void *);

/* Arm channel ch's queue timer for when it may send again. */
static void
dl_fifo_arm(struct deliver *d, int ch)
{
	struct timeval tv;

	if (d->fifo_ev[ch] == NULL)
		d->fifo_ev[ch] = evtimer_new(d->base, dl_fifo_cb, d);
	if (d->fifo_ev[ch] == NULL || evtimer_pending(d->fifo_ev[ch], NULL))
		return;
	clock_real_timeval(dl_rate_wait(d, ch) + 20, &tv);
	evtimer_add(d->fifo_ev[ch], &tv);
}

/* Over the channel's rate: to the end of its queue (delayed, never
 * dropped, never superseded). */
static void
dl_fifo_add(struct dl_job *j)
{
	j->queued = 1;
	TAILQ_INSERT_TAIL(&j->d->fifo[j->ch], j, qentry);
	log_info("channel over its rate, queued: key=%s", j->key);
	dl_fifo_arm(j->d, j->ch);
}

/* The window moved: send from the head of each queue while allowed. */
static void
dl_fifo_cb(evutil_socket_t fd, short what, void *arg)
{
	struct deliver *d = arg;
	struct dl_job *j;
	int ch;

	(void)fd;
	(void)what;
	if (d->stopping)
		return; /* queued jobs are pending: the next run sends them */
	for (ch = 0; ch < DL_N; ch++) {
		while ((j = TAILQ_FIRST(&d->fifo[ch])) != NULL &&
		       dl_rate_wait(d, ch) == 0) {
			TAILQ_REMOVE(&d->fifo[ch], j, qentry);
			dl_send(j); /* counts itself; queued stays set */
		}
		if (!TAILQ_EMPTY(&d->fifo[ch]))
			dl_fifo_arm(d, ch);
	}
}

/* One attempt, if the job is still due one. */
static void
dl_send(struct dl_job *j)
{
	int rc;

	if (j->done || j->sending || j->digest || j->d->stopping)
		return; /* stopping: a retry is resumed by the next run */
	/* a robot with messages held: new ones join the digest (else they
	 * would take every freed slot and the digest would starve) */
	if (j->parts == NULL && (j->ch == DL_WECOM || j->ch == DL_DINGTALK) &&
	    j->d->held[j->ch - DL_WECOM] > 0) {
		dl_digest_hold(j);
		return;
	}
	/* SMS, e-mail: first come, first served once over the rate */
	if (!j->queued && !TAILQ_EMPTY(&j->d->fifo[j->ch])) {
		dl_fifo_add(j);
		return;
	}
	if (j->parts == NULL && !dl_rate_may_send(j->d, j->ch)) {
		if (j->ch == DL_WECOM || j->ch == DL_DINGTALK)
			dl_digest_hold(j);
		else
			dl_fifo_add(j);
		return;
	}
	j->attempts++;
	j->d->attempts++;
	j->sending = 1;
	rc = dl_backends[j->ch].send(j);
	if (rc < 0) { /* -2: the message itself is bad, retrying is no use */
		j->sending = 0;
		dl_done(j, 0, rc == -2, 0,
		        rc == -2 ? "cannot compose the message"
		                 : "cannot start the transfer");
	}
}

/* Robots: rate limit, digests, SMS fallback ------------------------------ */

/* Messages channel ch may take per delivery.rate_window (0: no limit). */
static int64_t
dl_rate_limit(const struct deliver *d, int ch)
{
	const struct conf_delivery *c = &d->conf->delivery;

	return ch == DL_WECOM || ch == DL_DINGTALK ? c->robot_per_minute
	       : ch == DL_SMS                      ? c->sms_per_minute
	       : ch == DL_EMAIL                    ? c->email_per_minute
	                                           : 0;
}

/* May channel ch take a message now?  Counts it if so. */
static int
dl_rate_may_send(struct deliver *d, int ch)
{
	int64_t now = clock_real_ms(), limit = dl_rate_limit(d, ch);
	size_t i, n = 0;

	if (now < d->rate_until[ch])
		return 0;
	if (limit <= 0)
		return 1;
	for (i = 0; i < d->rate_n[ch]; i++) /* keep the window's */
		if (now - d->rate_sent[ch][i] < d->conf->delivery.rate_window)
			d->rate_sent[ch][n++] = d->rate_sent[ch][i];
	d->rate_n[ch] = n;
	if ((int64_t)n >= limit || n >= DL_ROBOT_MAX)
		return 0;
	d->rate_sent[ch][d->rate_n[ch]++] = now;
	return 1;
}

/* Real ms until channel ch may take a message again. */
static int64_t
dl_rate_wait(const struct deliver *d, int ch)
{
	int64_t now = clock_real_ms(), oldest = now;
	size_t i;

	if (now < d->rate_until[ch])
		return d->rate_until[ch] - now;
	if ((int64_t)d->rate_n[ch] < dl_rate_limit(d, ch))
		return 0;
	for (i = 0; i < d->rate_n[ch]; i++)
		if (d->rate_sent[ch][i] < oldest)
			oldest = d->rate_sent[ch][i];
	oldest += d->conf->delivery.rate_window;
	return oldest > now ? oldest - now : 0;
}

/*
 * A major incident's message a robot could not take (throttled, over its
 * rate, or failed): SMS to everyone it @mentioned, at once.  The keys are
 * the ordinary SMS keys, so a recipient who also gets SMS gets one.
 */
static void
dl_fallback_sms(struct dl_job *j)
{
	struct deliver *d = j->d;
	char ids[sizeof(j->fallback)], *id, *save = NULL;

	if (!j->major || j->fbtext == NULL || !d->conf->channels.sms.present)
		return;
	j->major = 0; /* once */
	snprintf(ids, sizeof(ids), "%s", j->fallback);
	for (id = strtok_r(ids, ",", &save); id != NULL;
	     id = strtok_r(NULL, ",", &save)) {
		const struct conf_recipient *r = dl_recipient(d->conf, id);
		struct dl_job *s;

		if (r == NULL || r->mobile == NULL)
			continue;
		s = dl_job_new(d, r, DL_SMS);
		if (s == NULL)
			continue;
		s->stage = j->stage;
		snprintf(s->base, sizeof(s->base), "%s", j->base);
		snprintf(s->key, sizeof(s->key), "%s:%s:sms", j->base, r->id);
		snprintf(s->group, sizeof(s->group), "%s", s->key);
		snprintf(s->text, sizeof(s->text), "%s", j->fbtext);
		log_warnx("robot could not take a major incident's alert, "
		          "falling back to SMS: key=%s sms=%s",
		          j->key, s->key);
		dl_queue(d, s);
	}
}

/* A robot said no: its throttle closes the channel for a while; a major
 * incident's message goes by SMS at once. */
static void
dl_robot_failed(struct dl_job *j, long status, const char *answer)
{
	(void)status;
	if (answer != NULL && (strstr(answer, "130101") != NULL ||
	                       strstr(answer, "45009") != NULL)) {
		j->d->rate_until[j->ch] = clock_real_ms() + DL_THROTTLE_MS;
		log_warnx("robot throttled by the provider: channel=%s "
		          "for_ms=%d",
		          deliver_channel_names[j->ch], DL_THROTTLE_MS);
	}
	dl_fallback_sms(j);
}

static void dl_digest_cb(evutil_socket_t, short, void *);

/* Arm robot r's digest timer for when it may take a message again. */
static void
dl_digest_arm(struct deliver *d, int r)
{
	struct timeval tv;

	if (d->digest_ev[r] == NULL)
		d->digest_ev[r] = evtimer_new(d->base, dl_digest_cb, d);
	if (d->digest_ev[r] == NULL || evtimer_pending(d->digest_ev[r], NULL))
		return;
	clock_real_timeval(dl_rate_wait(d, DL_WECOM + r) + 50, &tv);
	evtimer_add(d->digest_ev[r], &tv);
}

/* Over the robot's rate: hold j for the next digest (never dropped). */
static void
dl_digest_hold(struct dl_job *j)
{
	j->digest = 1;
	j->d->held[j->ch - DL_WECOM]++;
	log_info("robot over its rate, held for a digest: key=%s", j->key);
	dl_fallback_sms(j);
	dl_digest_arm(j->d, j->ch - DL_WECOM);
}

/* One robot's held messages as one digest job (NULL if none). */
static struct dl_job *
dl_digest_make(struct deliver *d, int r)
{
	struct dl_job *j, *dg = dl_job_new(d, NULL, DL_WECOM + r);
	struct text_buf b;
	size_t n = 0, used;

	if (dg == NULL)
		return NULL;
	text_buf_init(&b, DL_TEXT_MAX - 64);
	TAILQ_FOREACH(j, &d->jobs, entry)
	{
		if (!j->digest || j->done || (int)j->ch != DL_WECOM + r)
			continue;
		j->digest = 0;
		d->held[r]--;
		j->sending = 1; /* the digest carries it */
		j->next_part = dg->parts;
		dg->parts = j;
		if (n++ > 0)
			text_buf_add(&b, "\n——\n", strlen("\n——\n"));
		text_buf_add(&b, j->text, strlen(j->text));
		used = strlen(dg->mentions);
		if (j->mentions[0] != '\0' &&
		    used + strlen(j->mentions) + 2 < sizeof(dg->mentions))
			snprintf(dg->mentions + used,
			         sizeof(dg->mentions) - used, "%s%s",
			         used ? "," : "", j->mentions);
	}
	if (n == 0) {
		text_buf_free(&b);
		dl_job_free(dg);
		return NULL;
	}
	snprintf(dg->key, sizeof(dg->key), "digest:%s:%lld",
	         deliver_channel_names[dg->ch], (long long)clock_now_ms());
	snprintf(dg->text, sizeof(dg->text), "【汇总%zu条】\n%s%s", n,
	         b.s != NULL ? b.s : "", b.truncated ? "\n……" : "");
	text_buf_free(&b);
	log_notice("robot digest: channel=%s messages=%zu",
	           deliver_channel_names[dg->ch], n);
	return dg;
}

/* Send what each robot holds as one message per robot. */
static void
dl_digest_cb(evutil_socket_t fd, short what, void *arg)
{
	struct deliver *d = arg;
	struct dl_job *dg;
	int r;

	(void)fd;
	(void)what;
	for (r = 0; r < 2; r++) {
		if (dl_rate_wait(d, DL_WECOM + r) > 0) {
			dl_digest_arm(d, r);
			continue;
		}
		dg = dl_digest_make(d, r);
		if (dg == NULL)
			continue;
		TAILQ_INSERT_TAIL(&d->jobs, dg, entry);
		dg->claimed = 1;
		dl_rate_may_send(d, DL_WECOM + r); /* it counts */
		dg->attempts++;
		dg->sending = 1;
		if (dl_backends[dg->ch].send(dg) == -1)
			dl_done(dg, 0, 0, 0, "cannot start the transfer");
	}
}

/* The digest ended: its parts are sent, or go back to retrying. */
static void
dl_digest_done(struct dl_job *dg, int ok, long status, const char *answer)
{
	struct dl_job *j, *next;
	char why[300];

	snprintf(why, sizeof(why), "in %s: %s", dg->key,
	         answer != NULL ? answer : "");
	for (j = dg->parts; j != NULL; j = next) {
		next = j->next_part;
		j->next_part = NULL;
		dl_done(j, ok, 0, status, why);
	}
	dg->parts = NULL;
	dg->done = 1;
	dl_job_drop(dg);
}

/*
 * Monitored ms until the quiet hours end, 0 if now is not in them
 * (delivery.quiet_start..quiet_end, local time; may wrap midnight).
 */
static int64_t
dl_quiet_left(const struct conf_delivery *q, int64_t now)
{
	time_t t = (time_t)(now / 1000);
	struct tm tm;
	int mod, in;

	if (q->quiet_from < 0 || q->quiet_to < 0 ||
	    q->quiet_from == q->quiet_to || localtime_r(&t, &tm) == NULL)
		return 0;
	mod = tm.tm_hour * 60 + tm.tm_min;
	in = q->quiet_from < q->quiet_to
	         ? mod >= q->quiet_from && mod < q->quiet_to
	         : mod >= q->quiet_from || mod < q->quiet_to;
	if (!in)
		return 0;
	return (int64_t)((q->quiet_to - mod + 24 * 60) % (24 * 60)) * 60000 -
	       (int64_t)tm.tm_sec * 1000 - now % 1000;
}

/* Send now, or (an ordinary incident's SMS warning in quiet hours) when
 * the quiet hours end: deferred, not dropped. */
static void
dl_send_or_defer(struct dl_job *j)
{
	int64_t left =
	    j->quiet ? dl_quiet_left(&j->d->conf->delivery, clock_now_ms()) : 0;
	struct timeval tv;

	if (left <= 0) {
		dl_send(j);
		return;
	}
	log_info("alert delivery deferred to the end of quiet hours: key=%s "
	         "in_ms=%lld",
	         j->key, (long long)left);
	if (j->timer == NULL)
		j->timer = evtimer_new(j->d->base, dl_quiet_cb, j);
	else
		event_assign(j->timer, j->d->base, -1, 0, dl_quiet_cb, j);
	clock_timeval(left, &tv);
	if (j->timer == NULL || evtimer_add(j->timer, &tv) == -1)
		dl_send(j);
}

/* The quiet hours should be over: check again (the real timer rounds). */
static void
dl_quiet_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dl_job *j = arg;

	(void)fd;
	(void)what;
	event_assign(j->timer, j->d->base, -1, 0, dl_retry_cb, j);
	dl_send_or_defer(j);
}

/* Claims ---------------------------------------------------------------- */

static void
dl_claim_cb(redisReply *r, void *arg)
{
	struct dl_job *j = arg;

	j->claiming = 0;
	if (r == NULL || r->type != REDIS_REPLY_INTEGER) {
		/* no claim, no send: the daemon holds nothing on disk yet
		 * (the spool is to come); say so loudly */
		log_err("alert delivery not claimed, NOT sent: key=%s "
		        "error=\"%s\"",
		        j->key,
		        r == NULL                      ? "redis link lost"
		        : r->type == REDIS_REPLY_ERROR ? r->str
		                                       : "unexpected reply");
		j->done = 1;
		dl_job_drop(j);
		return;
	}
	if (r->integer == 0) {
		log_debug("alert delivery already claimed: key=%s", j->key);
		j->done = 1;
		dl_job_drop(j);
		return;
	}
	if (r->integer == 2)
		log_notice("alert delivery resumed from an earlier run, "
		           "sending once more: key=%s",
		           j->key);
	j->claimed = 1;
	if (j->done) { /* superseded while the claim was on its way */
		dl_record(j, "superseded", 0, "a later stage");
		dl_job_drop(j);
		return;
	}
	dl_send_or_defer(j);
}

/* What a claim keeps: everything needed to send the delivery again. */
static json_t *
dl_claim_fields(const struct dl_job *j)
{
	json_t *o = json_pack(
	    "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:s}", "channel",
	    deliver_channel_names[j->ch], "recipient", j->recipient, "name",
	    j->name, "contact", j->contact, "mentions", j->mentions, "subject",
	    j->subject, "text", j->text, "group", j->group, "stage", j->stage,
	    "key", j->key);

	/* a report mail: its HTML and attachment (text, ours) go along */
	if (o != NULL && j->html != NULL)
		json_object_set_new(o, "html", json_string(j->html));
	if (o != NULL && j->attach != NULL) {
		json_object_set_new(o, "attachment",
		                    json_stringn(j->attach, j->attach_len));
		json_object_set_new(o, "attachment_name",
		                    json_string(j->attach_name));
	}
	return o;
}

/* EVAL the claim script for key with fields (borrowed); cb as for
 * store_args_send.  -1 if it could not be sent. */
static int
dl_claim_send(struct deliver *d, const char *key, json_t *fields, int64_t at,
              store_reply_cb cb, void *arg)
{
	struct store_args a = {0};
	const char *name;
	json_t *v;
	int rc;

	store_args_add(&a, "EVAL", sizeof(dl_claim_script));
	store_args_add(&a, dl_claim_script, sizeof(dl_claim_script));
	store_args_add(&a, "0", 2);
	store_args_add(&a, store_prefix(d->store), 256);
	store_args_add(&a, key, 256);
	store_args_add(&a, d->owner, sizeof(d->owner));
	store_args_addf(&a, "%lld", (long long)at);
	json_object_foreach(fields, name, v)
	{
		store_args_add(&a, name, 64);
		if (json_is_integer(v))
			store_args_addf(&a, "%lld",
			                (long long)json_integer_value(v));
		else
			store_args_add(&a,
			               json_string_value(v) != NULL
			                   ? json_string_value(v)
			                   : "",
			               DL_BODY_MAX);
	}
	rc = store_args_send(d->store, &a, cb, arg);
	store_args_clear(&a);
	return rc;
}

static int
dl_local_has(const struct deliver *d, const char *key)
{
	size_t i;

	for (i = 0; i < d->nlocal; i++)
		if (strcmp(d->local[i], key) == 0)
			return 1;
	return 0;
}

static void
dl_local_add(struct deliver *d, const char *key)
{
	char **nv = realloc(d->local, (d->nlocal + 1) * sizeof(*nv));

	if (nv == NULL)
		return;
	d->local = nv;
	d->local[d->nlocal] = strdup(key);
	if (d->local[d->nlocal] != NULL)
		d->nlocal++;
}

/*
 * Redis is away: claim in the spool (durably) and send.  A key claimed
 * there before (this run or one that died) is not sent again.
 */
static void
dl_claim_local(struct dl_job *j)
{
	struct deliver *d = j->d;
	json_t *o;
	char *line;
	int ok;

	if (dl_local_has(d, j->key)) {
		j->done = 1;
		dl_job_drop(j);
		return;
	}
	o = json_pack("{s:s, s:s, s:I, s:o}", "op", "claim", "key", j->key,
	              "at", (json_int_t)clock_now_ms(), "fields",
	              dl_claim_fields(j));
	line = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
	ok = line != NULL && spool_append(d->spool, line) == 0;
	free(line);
	json_decref(o);
	if (!ok) {
		log_err("alert delivery not claimed (redis away, spool "
		        "refused), NOT sent: key=%s",
		        j->key);
		j->done = 1;
		dl_job_drop(j);
		return;
	}
	dl_local_add(d, j->key);
	log_warnx("alert delivery claimed in the spool (redis away): key=%s",
	          j->key);
	j->claimed = 1;
	dl_send_or_defer(j);
}

/* Claim j in Redis (with what is needed to resend it) and send it then. */
static void
dl_claim(struct dl_job *j)
{
	struct deliver *d = j->d;
	json_t *fields;
	int rc;

	if (!store_accepting(d->store) && d->spool != NULL) {
		dl_claim_local(j);
		return;
	}
	if (dl_local_has(d, j->key)) { /* in the spool, not yet replayed */
		j->done = 1;
		dl_job_drop(j);
		return;
	}
	fields = dl_claim_fields(j);
	j->claiming = 1;
	rc = fields != NULL ? dl_claim_send(d, j->key, fields, clock_now_ms(),
	                                    dl_claim_cb, j)
	                    : -1;
	json_decref(fields);
	if (rc == -1) {
		j->claiming = 0;
		log_err("alert delivery not claimed, NOT sent: key=%s", j->key);
		j->done = 1;
		dl_job_drop(j);
	}
}

/* A new job; a later stage supersedes the earlier ones of its group (not
 * those held for a robot digest: the overflow is merged, never dropped). */
static void
dl_queue(struct deliver *d, struct dl_job *j)
{
	struct dl_job *o;

	TAILQ_FOREACH(o, &d->jobs, entry)
	{
		if (o->done || o->digest || o->queued ||
		    strcmp(o->group, j->group) != 0 || o->stage >= j->stage)
			continue;
		o->done = 1;
		d->superseded++;
		if (o->timer != NULL)
			evtimer_del(o->timer);
		if (o->claimed && !o->sending)
			dl_record(o, "superseded", 0, j->key);
	}
	/* finished ones that are not in flight go now */
	for (o = TAILQ_FIRST(&d->jobs); o != NULL;) {
		struct dl_job *next = TAILQ_NEXT(o, entry);

		if (o->done && !o->sending && !o->claiming) {
			TAILQ_REMOVE(&d->jobs, o, entry);
			dl_job_free(o);
		}
		o = next;
	}
	TAILQ_INSERT_TAIL(&d->jobs, j, entry);
	dl_claim(j);
}

/* Escalation ------------------------------------------------------------ */

static int
dl_in(const struct strlist *l, const char *s)
{
	size_t i;

	if (l->n == 0)
		return 1;
	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i], s) == 0)
			return 1;
	return 0;
}

/*
 * Does level l get this stage?  lead: ms before due (> 0 a warning, 0 the
 * breach, < 0 an overdue reminder).  Without from_lead and at_breach: every
 * stage; from_lead: warnings that close and everything from the breach
 * on; at_breach alone: the breach only.
 */
static int
dl_level_gets(const struct conf_level *l, const struct incident *inc, int k,
              int64_t lead)
{
	if (!dl_in(&l->classes, class_name(inc->cls)) ||
	    !dl_in(&l->milestones, milestone_name(k)))
		return 0;
	if (l->from_lead >= 0)
		return lead <= l->from_lead;
	if (l->at_breach)
		return lead == 0;
	return 1;
}

static const struct conf_recipient *
dl_recipient(const struct config *c, const char *id)
{
	size_t i;

	for (i = 0; i < c->recipients.n; i++)
		if (strcmp(c->recipients.v[i].id, id) == 0)
			return &c->recipients.v[i];
	return NULL;
}

/* Is s one of the comma-separated departments? */
static int
dl_in_departments(const char *departments, const char *s)
{
	size_t n = strlen(s);
	const char *p = departments;

	while ((p = strstr(p, s)) != NULL) {
		if ((p == departments || p[-1] == ',') &&
		    (p[n] == '\0' || p[n] == ','))
			return 1;
		p += n;
	}
	return 0;
}

/* The set of (recipient, channel) pairs an alert goes to. */
struct dl_plan {
	const struct conf_recipient *who[64];
	unsigned channels[64]; /* bit per enum dl_channel */
	size_t n;
};

static void
dl_plan_add(struct dl_plan *p, const struct config *c,
            const struct conf_recipient *r, const struct strlist *only)
{
	unsigned bits = 0;
	size_t i;

	if (c->channels.console.present && dl_in(only, "console"))
		bits |= 1u << DL_CONSOLE;
	if (r->email != NULL && c->channels.smtp.present &&
	    dl_in(only, "email"))
		bits |= 1u << DL_EMAIL;
	if (r->mobile != NULL && c->channels.sms.present && dl_in(only, "sms"))
		bits |= 1u << DL_SMS;
	if (r->wecom && c->channels.wecom.present && dl_in(only, "wecom"))
		bits |= 1u << DL_WECOM;
	if (r->dingtalk && c->channels.dingtalk.present &&
	    dl_in(only, "dingtalk"))
		bits |= 1u << DL_DINGTALK;
	for (i = 0; i < p->n; i++)
		if (p->who[i] == r) {
			p->channels[i] |= bits;
			return;
		}
	if (p->n < 64 && bits != 0) {
		p->who[p->n] = r;
		p->channels[p->n++] = bits;
	}
}

static void
dl_vars(const struct incident *inc, int k, const char *stage, int64_t due_at,
        int64_t now, struct render_vars *v)
{
	memset(v, 0, sizeof(*v));
	v->title = inc->title;
	v->class = class_name(inc->cls);
	v->grade = grade_name(inc->grade);
	v->category = inc->category;
	v->milestone = milestone_name(k);
	v->stage = stage;
	v->due = inc->ms[k].due;
	v->now = now;
	v->utc_offset_min = clock_utc_offset(now);
	v->departments = inc->departments;
	v->link = inc->link;
	v->ack_link = "";
	v->incident = inc->id;
	v->items = inc->nitems;
	(void)due_at;
}

/* A job for recipient r (NULL: a robot channel's group chat) on ch; the
 * caller names it (key and group). */
static struct dl_job *
dl_job_new(struct deliver *d, const struct conf_recipient *r, int ch)
{
	struct dl_job *j = calloc(1, sizeof(*j));

	if (j == NULL)
		return NULL;
	j->d = d;
	j->ch = (enum dl_channel)ch;
	snprintf(j->recipient, sizeof(j->recipient), "%s",
	         r != NULL ? r->id : "group");
	if (r != NULL) {
		snprintf(j->name, sizeof(j->name), "%s",
		         r->name != NULL ? r->name : r->id);
		snprintf(j->contact, sizeof(j->contact), "%s",
		         ch == DL_EMAIL      ? r->email
		         : r->mobile != NULL ? r->mobile
		                             : "");
	} else {
		snprintf(j->name, sizeof(j->name), "%s",
		         ch == DL_WECOM ? "企业微信群" : "钉钉群");
	}
	return j;
}

/* An alert's job: keyed incident:milestone:stage:recipient:channel, one
 * group (for superseding) per incident, milestone, recipient, channel. */
static void
dl_job_name(struct dl_job *j, const struct incident *inc, int k,
            const char *stage_name, int stage)
{
	j->stage = stage;
	snprintf(j->base, sizeof(j->base), "%llu:%s:%s",
	         (unsigned long long)inc->id, milestone_name(k), stage_name);
	snprintf(j->key, sizeof(j->key), "%llu:%s:%s:%s:%s",
	         (unsigned long long)inc->id, milestone_name(k), stage_name,
	         j->recipient, deliver_channel_names[j->ch]);
	snprintf(j->group, sizeof(j->group), "%llu:%s:%s:%s",
	         (unsigned long long)inc->id, milestone_name(k), j->recipient,
	         deliver_channel_names[j->ch]);
}

/*
 * The jobs of one message about inc (milestone k, stage number and name)
 * for everyone in plan p: one per recipient and channel, one group
 * message per robot.  sms_tmpl is the SMS (and console) template; e-mail
 * and robots use subject and text.  quiet_ok: SMS may wait out quiet
 * hours.
 */
static void
dl_fanout(struct deliver *d, const struct incident *inc, int k, int stage,
          const char *stage_name, const struct dl_plan *p,
          struct render_vars *v, const char *sms_tmpl, int quiet_ok)
{
	const struct config *c = d->conf;
	const struct conf_templates *t = &c->templates;
	char mentions[2][DL_MENTION_MAX * 16] = {"", ""};
	char ids[2][256] = {"", ""};
	char link[512];
	size_t i;
	int ch;

	for (i = 0; i < p->n; i++) {
		const struct conf_recipient *r = p->who[i];

		for (ch = 0; ch < DL_N; ch++) {
			struct dl_job *j;

			if (!(p->channels[i] & (1u << ch)))
				continue;
			if (ch == DL_WECOM || ch == DL_DINGTALK) {
				char *m = mentions[ch == DL_DINGTALK];
				size_t used = strlen(m);

				if (r->mobile != NULL &&
				    used + strlen(r->mobile) + 2 <
				        sizeof(mentions[0]))
					snprintf(m + used,
					         sizeof(mentions[0]) - used,
					         "%s%s", used ? "," : "",
					         r->mobile);
				m = ids[ch == DL_DINGTALK];
				used = strlen(m);
				if (used + strlen(r->id) + 2 < sizeof(ids[0]))
					snprintf(m + used,
					         sizeof(ids[0]) - used, "%s%s",
					         used ? "," : "", r->id);
				continue; /* one group message, below */
			}
			j = dl_job_new(d, r, ch);
			if (j == NULL)
				continue;
			dl_job_name(j, inc, k, stage_name, stage);
			ack_link(c, inc->id, k, r->id, link, sizeof(link));
			v->ack_link = link;
			j->quiet = ch == DL_SMS && quiet_ok;
			if (ch == DL_EMAIL) {
				render_text(t->subject, v, j->subject,
				            sizeof(j->subject));
				render_text(t->text, v, j->text,
				            sizeof(j->text));
			} else {
				render_sms(sms_tmpl, v,
				           (size_t)c->delivery.sms_chars,
				           j->text, sizeof(j->text));
			}
			dl_queue(d, j);
		}
	}
	for (ch = DL_WECOM; ch <= DL_DINGTALK; ch++) {
		struct dl_job *j;

		if (!(ch == DL_WECOM ? c->channels.wecom.present
		                     : c->channels.dingtalk.present))
			continue;
		for (i = 0; i < p->n && !(p->channels[i] & (1u << ch)); i++)
			;
		if (i == p->n)
			continue;
		j = dl_job_new(d, NULL, ch);
		if (j == NULL)
			continue;
		dl_job_name(j, inc, k, stage_name, stage);
		ack_link(c, inc->id, k, "group", link, sizeof(link));
		v->ack_link = link;
		snprintf(j->mentions, sizeof(j->mentions), "%s",
		         mentions[ch == DL_DINGTALK]);
		render_text(t->text, v, j->text, sizeof(j->text));
		render_text(t->subject, v, j->subject, sizeof(j->subject));
		/* a major incident's robot message falls back to SMS */
		j->major = inc->cls == CLASS_MAJOR;
		snprintf(j->fallback, sizeof(j->fallback), "%s",
		         ids[ch == DL_DINGTALK]);
		j->fbtext = malloc(DL_TEXT_MAX);
		if (j->fbtext != NULL)
			render_sms(sms_tmpl, v, (size_t)c->delivery.sms_chars,
			           j->fbtext, DL_TEXT_MAX);
		dl_queue(d, j);
	}
}

/* The recipients of every level in the configuration, as a plan. */
static void
dl_plan_level(struct dl_plan *p, const struct config *c,
              const struct conf_level *l)
{
	size_t n;

	for (n = 0; n < l->recipients.n; n++) {
		const struct conf_recipient *r =
		    dl_recipient(c, l->recipients.v[n]);

		if (r != NULL)
			dl_plan_add(p, c, r, &l->channels);
	}
}

/*
 * A stage of milestone k of inc was recorded (or is being): deliver it
 * to everyone the escalation names.  inc is borrowed for the call.
 */
void
deliver_alert(struct deliver *d, const struct incident *inc, int k, int stage,
              const char *stage_name, int64_t due_at, int64_t now)
{
	if (d->stopping)
		return;
	const struct config *c = d->conf;
	int64_t lead = inc->ms[k].due - due_at;
	size_t nwarn = (k == MS_RELEASE   ? &c->deadlines.release
	                : k == MS_PRESSER ? &c->deadlines.presser
	                                  : &c->deadlines.response)
	                   ->warn.n;
	struct render_vars v;
	struct dl_plan p;
	size_t i;

	memset(&p, 0, sizeof(p));
	for (i = 0; i < c->escalation.levels.n; i++)
		if (dl_level_gets(&c->escalation.levels.v[i], inc, k, lead))
			dl_plan_level(&p, c, &c->escalation.levels.v[i]);
	/* the contact of each department the incident is routed to */
	for (i = 0; i < c->recipients.n; i++) {
		const struct conf_recipient *r = &c->recipients.v[i];
		static const struct strlist all = {NULL, 0};

		if (r->department != NULL &&
		    dl_in_departments(inc->departments, r->department))
			dl_plan_add(&p, c, r, &all);
	}
	dl_vars(inc, k, stage_name, due_at, now, &v);
	/* quiet hours: an ordinary incident's SMS warnings but the last
	 * (never a breach, never a major one) */
	dl_fanout(d, inc, k, stage, stage_name, &p, &v,
	          lead <= 0 ? c->templates.breach_sms : c->templates.sms,
	          inc->cls != CLASS_MAJOR && lead > 0 &&
	              (size_t)stage + 1 < nwarn);
}

/* Unacknowledged incidents ------------------------------------------------ */

struct dl_watch {
	struct deliver *d;
	uint64_t id;
	struct event *timer;
	LIST_ENTRY(dl_watch) entry;
};

static void
dl_watch_free(struct dl_watch *w)
{
	LIST_REMOVE(w, entry);
	event_free(w->timer);
	free(w);
}

/* Arm w for `in` monitored ms from now. */
static void
dl_watch_arm(struct dl_watch *w, int64_t in)
{
	struct timeval tv;

	clock_timeval(in, &tv);
	evtimer_add(w->timer, &tv);
}

/* When the first page is due: first seen (a major incident upgraded
 * later: its release clock) + the acknowledgement timeout. */
static int64_t
dl_watch_base(const struct config *c, const struct incident *inc)
{
	int64_t from = inc->first_seen;

	if (inc->cls == CLASS_MAJOR && inc->ms[MS_RELEASE].active &&
	    inc->ms[MS_RELEASE].start > from)
		from = inc->ms[MS_RELEASE].start;
	return from + (inc->cls == CLASS_MAJOR ? c->escalation.ack_major
	                                       : c->escalation.ack_ordinary);
}

/* Still not acknowledged: page the on_unacked levels, again later. */
static void
dl_watch_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dl_watch *w = arg;
	struct deliver *d = w->d;
	const struct config *c = d->conf;
	const struct incident *inc =
	    d->incidents != NULL ? incidents_get(d->incidents, w->id) : NULL;
	struct render_vars v;
	struct dl_plan p;
	char stage[32];
	int64_t now = clock_now_ms(), base, slot;
	size_t i;
	int k;

	(void)fd;
	(void)what;
	if (inc == NULL || inc->state != INC_OPEN) {
		dl_watch_free(w);
		return;
	}
	k = inc->ms[MS_RELEASE].active ? MS_RELEASE : MS_RESPONSE;
	memset(&p, 0, sizeof(p));
	for (i = 0; i < c->escalation.levels.n; i++) {
		const struct conf_level *l = &c->escalation.levels.v[i];

		if (l->on_unacked && dl_in(&l->classes, class_name(inc->cls)))
			dl_plan_level(&p, c, l);
	}
	/* the page of this time slot: the same number (and so the same
	 * delivery keys) whichever run sends it, so a restart pages once */
	base = dl_watch_base(c, inc);
	if (now < base) {
		dl_watch_arm(w, base - now);
		return;
	}
	slot = (now - base) / c->escalation.repeat + 1;
	snprintf(stage, sizeof(stage), "unacked-%lld", (long long)slot);
	log_notice("incident not acknowledged, paging: incident=%llu "
	           "page=%lld recipients=%zu",
	           (unsigned long long)inc->id, (long long)slot, p.n);
	dl_vars(inc, k, stage, now, now, &v);
	dl_fanout(d, inc, k, 1000 + (int)(slot % 1000000), stage, &p, &v,
	          c->templates.unacked, 0);
	dl_watch_arm(w, base + slot * c->escalation.repeat - now);
}

/*
 * inc opened, was upgraded or restored after a restart: unless somebody
 * acknowledges it within escalation.ack_major (ordinary: ack_ordinary) of
 * first being seen, the on_unacked levels are paged, and again every
 * escalation.repeat until it is.
 */
void
deliver_watch(struct deliver *d, const struct incident *inc)
{
	const struct config *c = d->conf;
	struct dl_watch *w;
	int64_t now, base;
	size_t i;

	for (i = 0; i < c->escalation.levels.n; i++)
		if (c->escalation.levels.v[i].on_unacked)
			break;
	if (i == c->escalation.levels.n || inc->state != INC_OPEN ||
	    d->stopping)
		return;
	LIST_FOREACH(w, &d->watches, entry)
	if (w->id == inc->id)
		break;
	if (w == NULL) {
		w = calloc(1, sizeof(*w));
		if (w == NULL)
			return;
		w->d = d;
		w->id = inc->id;
		w->timer = evtimer_new(d->base, dl_watch_cb, w);
		if (w->timer == NULL) {
			free(w);
			return;
		}
		LIST_INSERT_HEAD(&d->watches, w, entry);
	}
	now = clock_now_ms();
	base = dl_watch_base(c, inc);
	dl_watch_arm(w, base > now ? base - now : 0);
}

void
deliver_bind(struct deliver *d, struct incidents *is)
{
	d->incidents = is;
}

/* A feed went down: tell the technical contact. */
void
deliver_source_down(struct deliver *d, const char *feed, const char *error,
                    int64_t since)
{
	const struct config *c = d->conf;
	const struct conf_recipient *r;
	struct render_vars v;
	static const struct strlist all = {NULL, 0};
	struct dl_plan p;
	size_t i;
	int ch;

	if (c->escalation.technical == NULL || d->stopping)
		return;
	r = dl_recipient(c, c->escalation.technical);
	if (r == NULL)
		return;
	memset(&p, 0, sizeof(p));
	dl_plan_add(&p, c, r, &all);
	memset(&v, 0, sizeof(v));
	v.feed = feed;
	v.error = error;
	v.since = since;
	v.now = clock_now_ms();
	v.utc_offset_min = clock_utc_offset(v.now);
	for (i = 0; i < p.n; i++)
		for (ch = 0; ch < DL_N; ch++) {
			struct dl_job *j;

			if (!(p.channels[i] & (1u << ch)) || ch == DL_WECOM ||
			    ch == DL_DINGTALK)
				continue;
			j = dl_job_new(d, r, ch);
			if (j == NULL)
				continue;
			snprintf(j->key, sizeof(j->key), "source:%s:%lld:%s:%s",
			         feed, (long long)since, r->id,
			         deliver_channel_names[ch]);
			snprintf(j->group, sizeof(j->group), "%s", j->key);
			snprintf(j->subject, sizeof(j->subject), "%s",
			         ch == DL_EMAIL ? "【信息源中断】" : "");
			render_sms(c->templates.source_down, &v,
			           (size_t)c->delivery.sms_chars, j->text,
			           sizeof(j->text));
			dl_queue(d, j);
		}
}

/* The week's report: a mail (HTML, CSV attached) to each of report.mail_to
 * and the summary to each group robot, keyed by the week so that a restart
 * or a second run sends nothing twice.  The number of jobs queued. */
int
deliver_report(struct deliver *d, const struct deliver_report_msg *m)
{
	const struct config *c = d->conf;
	size_t i;
	int ch, n = 0;

	if (d->stopping)
		return 0;
	for (i = 0; i < c->report.mail_to.n && c->channels.smtp.present; i++) {
		const char *to = c->report.mail_to.v[i];
		const struct conf_recipient *r =
		    strchr(to, '@') == NULL ? dl_recipient(c, to) : NULL;
		struct dl_job *j;

		if (r != NULL && r->email == NULL) {
			log_warnx("weekly report: recipient has no e-mail "
			          "address: id=%s",
			          r->id);
			continue;
		}
		if (r == NULL && strchr(to, '@') == NULL)
			continue;
		j = dl_job_new(d, r, DL_EMAIL);
		if (j == NULL)
			continue;
		if (r == NULL) { /* an address */
			snprintf(j->recipient, sizeof(j->recipient), "%s", to);
			snprintf(j->name, sizeof(j->name), "%s", to);
			snprintf(j->contact, sizeof(j->contact), "%s", to);
		}
		snprintf(j->key, sizeof(j->key), "report:%s:%s:email", m->week,
		         j->recipient);
		snprintf(j->group, sizeof(j->group), "%s", j->key);
		snprintf(j->subject, sizeof(j->subject), "%s", m->subject);
		snprintf(j->text, sizeof(j->text), "%s", m->text);
		j->html = strdup(m->html);
		j->attach = malloc(m->csv_len + 1);
		if (j->html == NULL || j->attach == NULL) {
			dl_job_free(j);
			continue;
		}
		memcpy(j->attach, m->csv, m->csv_len);
		j->attach[m->csv_len] = '\0';
		j->attach_len = m->csv_len;
		snprintf(j->attach_name, sizeof(j->attach_name), "%s",
		         m->csv_name);
		dl_queue(d, j);
		n++;
	}
	for (ch = DL_WECOM; ch <= DL_DINGTALK && c->report.robots; ch++) {
		struct dl_job *j;

		if (!(ch == DL_WECOM ? c->channels.wecom.present
		                     : c->channels.dingtalk.present))
			continue;
		j = dl_job_new(d, NULL, ch);
		if (j == NULL)
			continue;
		snprintf(j->key, sizeof(j->key), "report:%s:group:%s", m->week,
		         deliver_channel_names[ch]);
		snprintf(j->group, sizeof(j->group), "%s", j->key);
		snprintf(j->subject, sizeof(j->subject), "%s", m->subject);
		snprintf(j->text, sizeof(j->text), "%s", m->robot);
		dl_queue(d, j);
		n++;
	}
	return n;
}

/* A pending delivery of an earlier run: rebuild the job, claim, send. */
static void
dl_resume_cb(redisReply *r, void *arg)
{
	struct deliver *d = arg;
	struct dl_job *j;
	size_t i;
	int ch;

	if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements < 2)
		return;
	j = calloc(1, sizeof(*j));
	if (j == NULL)
		return;
	j->d = d;
	j->ch = DL_N;
	for (i = 0; i + 1 < r->elements; i += 2) {
		const char *f = r->element[i]->str, *v = r->element[i + 1]->str;

		if (r->element[i]->type != REDIS_REPLY_STRING ||
		    r->element[i + 1]->type != REDIS_REPLY_STRING)
			continue;
		if (strcmp(f, "channel") == 0) {
			for (ch = 0; ch < DL_N; ch++)
				if (strcmp(v, deliver_channel_names[ch]) == 0)
					j->ch = (enum dl_channel)ch;
		} else if (strcmp(f, "key") == 0)
			snprintf(j->key, sizeof(j->key), "%s", v);
		else if (strcmp(f, "recipient") == 0)
			snprintf(j->recipient, sizeof(j->recipient), "%s", v);
		else if (strcmp(f, "name") == 0)
			snprintf(j->name, sizeof(j->name), "%s", v);
		else if (strcmp(f, "contact") == 0)
			snprintf(j->contact, sizeof(j->contact), "%s", v);
		else if (strcmp(f, "mentions") == 0)
			snprintf(j->mentions, sizeof(j->mentions), "%s", v);
		else if (strcmp(f, "subject") == 0)
			snprintf(j->subject, sizeof(j->subject), "%s", v);
		else if (strcmp(f, "text") == 0)
			snprintf(j->text, sizeof(j->text), "%s", v);
		else if (strcmp(f, "group") == 0)
			snprintf(j->group, sizeof(j->group), "%s", v);
		else if (strcmp(f, "stage") == 0)
			j->stage = atoi(v);
		else if (strcmp(f, "attempts") == 0)
			j->attempts = atoi(v);
		else if (strcmp(f, "html") == 0 && j->html == NULL)
			j->html = strndup(v, DL_BODY_MAX);
		else if (strcmp(f, "attachment") == 0 && j->attach == NULL) {
			j->attach = strndup(v, DL_BODY_MAX);
			j->attach_len =
			    j->attach != NULL ? strlen(j->attach) : 0;
		} else if (strcmp(f, "attachment_name") == 0)
			snprintf(j->attach_name, sizeof(j->attach_name), "%s",
			         v);
	}
	if (j->ch == DL_N || j->key[0] == '\0' ||
	    !(d->conf->channels.console.present || j->ch != DL_CONSOLE)) {
		free(j);
		return;
	}
	TAILQ_INSERT_TAIL(&d->jobs, j, entry);
	dl_claim(j);
}

static void
dl_pending_cb(redisReply *r, void *arg)
{
	struct deliver *d = arg;
	size_t i;

	if (r == NULL || r->type != REDIS_REPLY_ARRAY)
		return;
	for (i = 0; i < r->elements && i < 10000; i++)
		if (r->element[i]->type == REDIS_REPLY_STRING)
			store_command(
			    d->store, dl_resume_cb, d, "HGETALL %s:delivery:%s",
			    store_prefix(d->store), r->element[i]->str);
}

/* One spool line back into Redis. */
static void
dl_replay_line(const char *line, void *arg)
{
	struct deliver *d = arg;
	json_error_t e;
	json_t *o = json_loads(line, 0, &e);
	const char *op = json_string_value(json_object_get(o, "op"));
	const char *key = json_string_value(json_object_get(o, "key"));

	if (op == NULL || key == NULL) {
		log_warnx("spool: line skipped: %s",
		          e.text[0] ? e.text : "no op");
	} else if (strcmp(op, "claim") == 0) {
		dl_claim_send(
		    d, key, json_object_get(o, "fields"),
		    (int64_t)json_integer_value(json_object_get(o, "at")), NULL,
		    NULL);
	} else if (strcmp(op, "record") == 0) {
		char now[32];

		snprintf(now, sizeof(now), "%s",
		         json_string_value(json_object_get(o, "at")) != NULL
		             ? json_string_value(json_object_get(o, "at"))
		             : "0");
		dl_record_redis(
		    d, key, json_string_value(json_object_get(o, "channel")),
		    json_string_value(json_object_get(o, "recipient")),
		    (int)json_integer_value(json_object_get(o, "attempt")),
		    json_string_value(json_object_get(o, "state")),
		    (long)json_integer_value(json_object_get(o, "status")),
		    json_string_value(json_object_get(o, "answer")), now);
	}
	json_decref(o);
}

/* Redis acknowledged everything replayed before: empty the spool. */
static void
dl_replayed_cb(redisReply *r, void *arg)
{
	struct deliver *d = arg;
	size_t i;

	if (r == NULL || r->type == REDIS_REPLY_ERROR)
		return; /* kept: replayed again next time (idempotent) */
	if (spool_clear(d->spool) == -1)
		return;
	for (i = 0; i < d->nlocal; i++)
		free(d->local[i]);
	free(d->local);
	d->local = NULL;
	d->nlocal = 0;
	log_notice("spool replayed into redis and emptied");
}

/* The link is up: what the spool holds goes to Redis first; then (once)
 * deliveries an earlier run left pending go on. */
void
deliver_link_up(struct deliver *d)
{
	if (d->spool != NULL && spool_size(d->spool) > 0) {
		long n = spool_read(d->spool, dl_replay_line, d);

		log_notice("replaying the spool into redis: lines=%ld", n);
		store_command(d->store, dl_replayed_cb, d, "PING");
	}
	if (d->resumed)
		return;
	d->resumed = 1;
	store_command(d->store, dl_pending_cb, d,
	              "SMEMBERS %s:deliveries:pending", store_prefix(d->store));
}

/* At start: the keys the spool claimed (a restart while Redis is away
 * must not send them again). */
static void
dl_local_line(const char *line, void *arg)
{
	struct deliver *d = arg;
	json_t *o = json_loads(line, 0, NULL);
	const char *op = json_string_value(json_object_get(o, "op"));
	const char *key = json_string_value(json_object_get(o, "key"));

	if (op != NULL && key != NULL && strcmp(op, "claim") == 0 &&
	    !dl_local_has(d, key))
		dl_local_add(d, key);
	json_decref(o);
}

struct deliver *
deliver_new(struct event_base *base, struct store *store,
            const struct config *conf)
{
	struct deliver *d = calloc(1, sizeof(*d));
	int i;

	if (d == NULL)
		return NULL;
	d->base = base;
	d->store = store;
	d->conf = conf;
	TAILQ_INIT(&d->jobs);
	LIST_INIT(&d->watches);
	for (i = 0; i < DL_N; i++)
		TAILQ_INIT(&d->fifo[i]);
	d->fetcher = fetcher_new(base);
	if (d->fetcher == NULL) {
		free(d);
		return NULL;
	}
	snprintf(d->owner, sizeof(d->owner), "%ld:%lld", (long)getpid(),
	         (long long)clock_real_wall_ms());
	{
		char err[300];

		d->spool = spool_open(conf->daemon.state_dir, "spool.jsonl",
		                      err, sizeof(err));
		if (d->spool == NULL)
			log_warnx("no delivery spool, alerts cannot be sent "
			          "while redis is away: %s",
			          err);
		else if (spool_size(d->spool) > 0)
			spool_read(d->spool, dl_local_line, d);
	}
	return d;
}

void
deliver_reconfigure(struct deliver *d, const struct config *conf)
{
	d->conf = conf;
}

int64_t
deliver_sent(const struct deliver *d)
{
	return d->sent;
}

/* Stopping: no new deliveries, no retries; what is in flight finishes. */
void
deliver_stop(struct deliver *d)
{
	struct dl_watch *w;

	d->stopping = 1;
	LIST_FOREACH(w, &d->watches, entry)
	evtimer_del(w->timer);
	if (d->digest_ev[0] != NULL)
		evtimer_del(d->digest_ev[0]);
	if (d->digest_ev[1] != NULL)
		evtimer_del(d->digest_ev[1]);
}

/* Prometheus lines for delivery: per channel sent and failed, attempts,
 * the spool's size.  f is the caller's. */
void
deliver_metrics(const struct deliver *d, FILE *f)
{
	int ch;

	fputs("# HELP yq_deliveries_total Deliveries finished, by channel and "
	      "outcome.\n# TYPE yq_deliveries_total counter\n",
	      f);
	for (ch = 0; ch < DL_N; ch++) {
		fprintf(f,
		        "yq_deliveries_total{channel=\"%s\",outcome=\"sent\"} "
		        "%lld\n",
		        deliver_channel_names[ch], (long long)d->ch_sent[ch]);
		fprintf(
		    f,
		    "yq_deliveries_total{channel=\"%s\",outcome=\"failed\"} "
		    "%lld\n",
		    deliver_channel_names[ch], (long long)d->ch_failed[ch]);
	}
	fprintf(f,
	        "# HELP yq_delivery_attempts_total Delivery attempts.\n"
	        "# TYPE yq_delivery_attempts_total counter\n"
	        "yq_delivery_attempts_total %lld\n"
	        "# HELP yq_delivery_superseded_total Deliveries a later stage "
	        "superseded.\n"
	        "# TYPE yq_delivery_superseded_total counter\n"
	        "yq_delivery_superseded_total %lld\n"
	        "# HELP yq_spool_bytes The local spool (Redis was away).\n"
	        "# TYPE yq_spool_bytes gauge\nyq_spool_bytes %zu\n"
	        "# HELP yq_deliveries_in_flight Claims and transfers in "
	        "flight.\n# TYPE yq_deliveries_in_flight gauge\n"
	        "yq_deliveries_in_flight %zu\n",
	        (long long)d->attempts, (long long)d->superseded,
	        d->spool != NULL ? spool_size(d->spool) : 0, deliver_busy(d));
}

/* Deliveries on their way (a claim or a transfer in flight). */
size_t
deliver_busy(const struct deliver *d)
{
	const struct dl_job *j;
	size_t n = 0;

	TAILQ_FOREACH(j, &d->jobs, entry)
	n += j->sending || j->claiming;
	return n;
}

void
deliver_free(struct deliver *d)
{
	struct dl_job *j;
	int i;

	if (d == NULL)
		return;
	fetcher_free(d->fetcher); /* no callback runs after this */
	while ((j = TAILQ_FIRST(&d->jobs)) != NULL) {
		TAILQ_REMOVE(&d->jobs, j, entry);
		dl_job_free(j);
	}
	while (!LIST_EMPTY(&d->watches))
		dl_watch_free(LIST_FIRST(&d->watches));
	for (i = 0; i < 2; i++)
		if (d->digest_ev[i] != NULL)
			event_free(d->digest_ev[i]);
	for (i = 0; i < DL_N; i++)
		if (d->fifo_ev[i] != NULL)
			event_free(d->fifo_ev[i]);
	spool_close(d->spool);
	while (d->nlocal > 0)
		free(d->local[--d->nlocal]);
	free(d->local);
	free(d);
}
