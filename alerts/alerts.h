/*
 * alerts/: the Redis store (store.c), composing alert e-mail (mail.c),
 * signing channel requests and ack tokens (sign.c); later, delivery.
 */
#ifndef YQ_ALERTS_H
#define YQ_ALERTS_H

#include <stddef.h>
#include <stdint.h>

#include <stdio.h>

#include <event2/event.h>
#include <hiredis/hiredis.h>

#include "config/config.h"
#include "feeds/feeds.h"
#include "monitor/monitor.h"

/* store.c */
struct store;
enum store_state {
	STORE_DOWN,
	STORE_CONNECTING,
	STORE_UP,
	STORE_BAD_SCHEMA,
};
/* reply is NULL when the command was lost; it lives only for the call. */
typedef void (*store_reply_cb)(redisReply *reply, void *arg);
typedef void (*store_done_cb)(void *arg);
typedef void (*store_state_cb)(enum store_state, const char *reason, void *arg);
struct store *store_new(struct event_base *, const struct conf_redis *,
                        store_state_cb, void *);
int store_reconfigure(struct store *, const struct conf_redis *);
int store_command(struct store *, store_reply_cb, void *, const char *, ...);
int store_command_argv(struct store *, store_reply_cb, void *, int,
                       const char **, const size_t *);
/* A copied argument vector for store_command_argv. */
struct store_args {
	char **v;
	size_t *len;
	size_t n, cap;
	int failed;
};
void store_args_add(struct store_args *, const char *, size_t);
void store_args_addf(struct store_args *, const char *, long long);
int store_args_send(struct store *, const struct store_args *, store_reply_cb,
                    void *);
void store_args_clear(struct store_args *);
int store_command_final(struct store *, store_reply_cb, void *, const char *,
                        ...);
enum store_state store_state(const struct store *, const char **);
int store_accepting(const struct store *);
const char *store_state_name(enum store_state);
size_t store_pending(const struct store *);
const char *store_prefix(const struct store *);
struct event_base *store_base(const struct store *);
void store_drain(struct store *, store_done_cb, void *);
void store_free(struct store *);

/* feedstore.c */
struct feedstore;
struct feedstore *feedstore_new(struct store *, const struct config *);
void feedstore_bind(struct feedstore *, struct feeds *);
void feedstore_hooks(struct feedstore *, struct feeds_hooks *);
void feedstore_reconfigure(struct feedstore *, const struct config *);
void feedstore_link_up(struct feedstore *);
int64_t feedstore_items_recorded(const struct feedstore *);
void feedstore_on_items(struct feedstore *, void (*)(void *), void *);
typedef void (*feedstore_event_fn)(const char *id, const char *event,
                                   const struct feed_state *, void *arg);
void feedstore_on_event(struct feedstore *, feedstore_event_fn, void *);
void feedstore_free(struct feedstore *);

/* incidentstore.c */
struct incidentstore;
typedef void (*istore_ready_cb)(void *arg);
struct incidentstore *incidentstore_new(struct store *, istore_ready_cb,
                                        void *);
void incidentstore_bind(struct incidentstore *, struct incidents *);
void incidentstore_hooks(struct incidentstore *, struct incidents_hooks *);
void incidentstore_link_up(struct incidentstore *);
void incidentstore_poke(struct incidentstore *);
void incidentstore_flush(struct incidentstore *);
typedef void (*istore_alert_fn)(const struct incident *, int milestone,
                                int stage, const char *stage_name,
                                int64_t due_at, int64_t now, void *arg);
void incidentstore_on_alert(struct incidentstore *, istore_alert_fn, void *);
typedef void (*istore_save_fn)(const struct incident *, const char *event,
                               void *arg);
void incidentstore_on_save(struct incidentstore *, istore_save_fn, void *);
int64_t incidentstore_alerts(const struct incidentstore *);
/* The stored incidents first seen in [from, to), the latest max of them,
 * read without blocking: cb gets them (v[n], malloc'd, the callee frees
 * it) and ok (0 if the link dropped meanwhile: v holds what came), exactly
 * once, later.  -1 (no call) if Redis cannot take the request now. */
typedef void (*istore_seen_cb)(struct incident *v, size_t n, int ok, void *arg);
int incidentstore_seen(struct incidentstore *, int64_t from, int64_t to,
                       size_t max, istore_seen_cb, void *arg);
void incidentstore_free(struct incidentstore *);

/* mail.c */
#define MAIL_SUBJECT_MAX 1000              /* bytes of UTF-8 */
#define MAIL_NAME_MAX    256               /* display name, bytes of UTF-8 */
#define MAIL_ADDR_MAX    254               /* addr-spec, ASCII */
#define MAIL_KEY_MAX     512               /* idempotency key, bytes */
#define MAIL_TO_MAX      100               /* recipients in one message */
#define MAIL_BODY_MAX    (1024 * 1024)     /* each body, bytes */
#define MAIL_OUT_MAX     (4 * 1024 * 1024) /* the composed message */
#define MAIL_MSGID_MAX   320               /* "<...>" and its NUL */
#define MAIL_ERR_MAX     128               /* a reason always fits this */
#define MAIL_ATT_MAX     4                 /* attachments in one message */

/* One mailbox.  name may be NULL or "" (the bare address is written). */
struct mail_addr {
	const char *name; /* display name, UTF-8 */
	const char *addr; /* addr-spec: local@domain, ASCII */
};

/*
 * What mail_compose needs.  Every pointer is borrowed for the call only.
 * text and html may be NULL when their length is 0.  msgid_domain NULL
 * means the domain of from.addr.  key is any byte string: it is hashed,
 * and only its letters, digits, '-' and '_' show in the Message-ID.  The
 * same key always gives the same Message-ID and MIME boundary, so a
 * retried send is recognisably the same message.
 */
/* An attachment: name [A-Za-z0-9._-]{1,64}, type [a-z0-9/.+-]{1,64}
 * (e.g. "text/csv"), data of len bytes (at most MAIL_BODY_MAX). */
struct mail_attachment {
	const char *name;
	const char *type;
	const char *data;
	size_t len;
};

struct mail_msg {
	struct mail_addr from;
	const struct mail_addr *to; /* nto of them, 1..MAIL_TO_MAX */
	size_t nto;
	const char *subject; /* UTF-8, may be "" */
	const char *text;    /* text/plain body, UTF-8 */
	size_t textlen;
	const char *html; /* text/html body, UTF-8 */
	size_t htmllen;
	int64_t time_ms;    /* Date: ms since the epoch, 0..year 9999 */
	int utc_offset_min; /* Date: zone, e.g. +480 for Asia/Shanghai */
	const char *key;    /* idempotency key, 1..MAIL_KEY_MAX bytes */
	const char *msgid_domain;
	/* none (NULL, 0): multipart/alternative; else multipart/mixed with
	 * the alternative first, then these */
	const struct mail_attachment *att;
	size_t natt;
};

/*
 * Compose m as an RFC 5322 / MIME message: CRLF lines, 7-bit.  On success
 * returns 0 and *out is a malloc'd, NUL-terminated message of *outlen
 * bytes that the caller frees.  On failure returns -1, *out is NULL and,
 * if err is not NULL, err (errlen bytes) says why, without echoing input.
 */
int mail_compose(const struct mail_msg *m, char **out, size_t *outlen,
                 char *err, size_t errlen);
/*
 * The Message-ID mail_compose writes for key and domain, with its angle
 * brackets, into buf (len bytes, MAIL_MSGID_MAX is enough).  Returns 0, or
 * -1 for an empty or too long key, a bad domain or a short buf.
 */
int mail_message_id(const char *key, const char *domain, char *buf, size_t len);

/* sign.c */
/*
 * Request signing and encoding for the alert channels (DingTalk robot,
 * Aliyun SMS, Tencent Cloud SMS) and our own signed acknowledge tokens.
 * Pure: no I/O, no clock; times are parameters.  Every function writing text
 * writes a NUL-terminated string into the caller's buffer out of size outsz and
 * returns 0, or returns -1 with out set to "" (when outsz > 0) if an input is
 * bad or the result does not fit. Strings passed in are borrowed for the call.
 */

/* Hard cap on any input text and on any string built inside (bytes). */
#define SIGN_TEXT_MAX (1024 * 1024)

#define SIGN_SHA1_LEN        20
#define SIGN_SHA256_LEN      32
#define SIGN_SHA256_HEX_SIZE (2 * SIGN_SHA256_LEN + 1)
/* Buffer sizes, NUL included, for n input bytes (n <= SIGN_TEXT_MAX). */
#define SIGN_B64_SIZE(n) (((size_t)(n) + 2) / 3 * 4 + 1)
#define SIGN_PCT_SIZE(n) (3 * (size_t)(n) + 1)

/* Standard base64 (RFC 4648 section 4) with padding. */
int sign_base64(const void *in, size_t inlen, char *out, size_t outsz);
/* Percent-encoding per RFC 3986: A-Z a-z 0-9 - _ . ~ kept, every other
 * byte as %XX in upper case (space is %20, '*' is %2A, '~' stays).  This
 * is Aliyun's "POP" encoding; it also serves DingTalk, see sign_dingtalk. */
int sign_pct(const char *in, size_t inlen, char *out, size_t outsz);

/* Digests.  key and msg may be NULL when their length is 0. */
int sign_hmac_sha1(const void *key, size_t keylen, const void *msg,
                   size_t msglen, unsigned char out[SIGN_SHA1_LEN]);
int sign_hmac_sha256(const void *key, size_t keylen, const void *msg,
                     size_t msglen, unsigned char out[SIGN_SHA256_LEN]);
/* Lower-case hex into out[SIGN_SHA256_HEX_SIZE]. */
int sign_sha256_hex(const void *msg, size_t msglen,
                    char out[SIGN_SHA256_HEX_SIZE]);
int sign_hmac_sha256_hex(const void *key, size_t keylen, const void *msg,
                         size_t msglen, char out[SIGN_SHA256_HEX_SIZE]);
/* 1 if the two byte strings are equal, else 0.  Constant time in the
 * contents; only the lengths (not secret) may show. */
int sign_equal(const void *a, size_t alen, const void *b, size_t blen);

/* DingTalk custom robot.  sign = pct(base64(HMAC-SHA256(secret,
 * "<timestamp_ms>\n<secret>"))).  DingTalk's examples use Java URLEncoder
 * and Python quote_plus (form encoding); on base64 text ('+', '/', '=')
 * form and RFC 3986 encoding agree, so sign_pct is used. */
#define SIGN_DINGTALK_SIZE SIGN_PCT_SIZE(44)
int sign_dingtalk(const char *secret, int64_t timestamp_ms, char *out,
                  size_t outsz);
/* The webhook URL with "&timestamp=<ms>&sign=<sign>" appended ('?' when
 * it has no query yet).  A URL with a '#' fragment is refused. */
int sign_dingtalk_url(const char *webhook, const char *secret,
                      int64_t timestamp_ms, char *out, size_t outsz);

/* Aliyun RPC signature version 1.0 (HMAC-SHA1), e.g. dysmsapi SendSms.
 * The caller lists every parameter except Signature, in any order; keys
 * must be non-empty and distinct, values non-NULL (may be ""). */
struct sign_param {
	const char *key;
	const char *value;
};
#define SIGN_PARAMS_MAX 64
/* The canonicalized query: pct(key)=pct(value) joined by '&', sorted by
 * key in byte order.  Malloc'd, the caller frees; NULL on error. */
char *sign_aliyun_query(const struct sign_param *, size_t);
/* Signature = base64(HMAC-SHA1(secret + "&", method + "&%2F&" +
 * pct(query))), method "GET" or "POST"; not yet percent-encoded. */
int sign_aliyun_signature(const char *secret, const char *method,
                          const struct sign_param *, size_t, char *out,
                          size_t outsz);
/* "Signature=<pct(signature)>&<canonicalized query>", ready for a GET URL
 * after '?' or a form POST body.  Malloc'd, the caller frees; NULL on
 * error. */
char *sign_aliyun_signed_query(const char *secret, const char *method,
                               const struct sign_param *, size_t);

/* Tencent Cloud API 3.0 TC3-HMAC-SHA256 for a POST of a JSON payload to
 * "/" with no query, signing the content-type and host headers.  The
 * request must carry exactly SIGN_TC3_CONTENT_TYPE and host, plus
 * X-TC-Timestamp (the same timestamp), X-TC-Action, X-TC-Version and
 * X-TC-Region, which are not signed. */
#define SIGN_TC3_CONTENT_TYPE "application/json; charset=utf-8"
#define SIGN_TC3_AUTH_SIZE    512
struct sign_tc3 {
	const char *secret_id;  /* printable, no space ',' or '/' */
	const char *secret_key; /* non-empty */
	const char *host;       /* "sms.tencentcloudapi.com": [a-z0-9.-] */
	const char *service;    /* "sms": [a-z0-9-] */
	int64_t timestamp;      /* epoch seconds, 0 to year 9999 */
	const char *payload;    /* the exact body sent */
	size_t payload_len;
};
/* The Authorization header value into out (SIGN_TC3_AUTH_SIZE is ample). */
int sign_tc3_authorization(const struct sign_tc3 *, char *out, size_t outsz);

/* Signed acknowledge tokens: base64url (no padding) of a versioned binary
 * record (expiry, incident, milestone, recipient) and its HMAC-SHA256
 * under our secret.  URL-safe, at most SIGN_ACK_TOKEN_SIZE - 1 chars. */
#define SIGN_ACK_SECRET_MIN    16
#define SIGN_ACK_RECIPIENT_MAX 64
#define SIGN_ACK_TOKEN_SIZE    128
struct sign_ack {
	uint64_t incident;
	int milestone;   /* 0..255 */
	int64_t expires; /* epoch seconds; valid while now < expires */
	char recipient[SIGN_ACK_RECIPIENT_MAX + 1];
};
/* secret: at least SIGN_ACK_SECRET_MIN bytes; recipient: 1 to
 * SIGN_ACK_RECIPIENT_MAX bytes; expires: absolute epoch seconds,
 * 0..UINT32_MAX. */
int sign_ack_token(const char *secret, uint64_t incident, int milestone,
                   const char *recipient, int64_t expires, char *out,
                   size_t outsz);
#define SIGN_ACK_OK      0
#define SIGN_ACK_BAD     -1 /* malformed, tampered or wrong secret */
#define SIGN_ACK_EXPIRED -2 /* genuine, but now >= expires */
/* Checks token (any length; bounded inside) against secret and now (epoch
 * seconds).  Fills *out (may be NULL) on SIGN_ACK_OK and SIGN_ACK_EXPIRED
 * only; out is the caller's. */
int sign_ack_verify(const char *secret, const char *token, int64_t now,
                    struct sign_ack *out);

/* Year, month (1..12) and day (1..31) of a day count from 1970-01-01,
 * negative before it: proleptic Gregorian, for Date: and TC3 dates. */
void sign_civil(int64_t days, int64_t *y, int *mon, int *mday);

/* deliver.c */
#define DELIVER_NCHANNELS 5
/* "console", "email", "sms", "wecom", "dingtalk" */
extern const char *const deliver_channel_names[DELIVER_NCHANNELS];
struct deliver;
struct deliver *deliver_new(struct event_base *, struct store *,
                            const struct config *);
void deliver_reconfigure(struct deliver *, const struct config *);
void deliver_link_up(struct deliver *);
void deliver_bind(struct deliver *, struct incidents *);
void deliver_watch(struct deliver *, const struct incident *);
void deliver_alert(struct deliver *, const struct incident *, int, int,
                   const char *, int64_t, int64_t);
void deliver_source_down(struct deliver *, const char *, const char *, int64_t);
/* The weekly report, rendered (strings borrowed for the call). */
struct deliver_report_msg {
	const char *week;    /* "2026-W48": part of every delivery key */
	const char *subject; /* the mail's */
	const char *text;    /* the mail's text part */
	const char *html;    /* the mail's HTML part: the report */
	const char *csv;     /* attached, csv_len bytes, as csv_name */
	size_t csv_len;
	const char *csv_name;
	const char *robot; /* the group robots' message */
};
int deliver_report(struct deliver *, const struct deliver_report_msg *);
int64_t deliver_sent(const struct deliver *);
size_t deliver_busy(const struct deliver *);
void deliver_stop(struct deliver *);
void deliver_metrics(const struct deliver *, FILE *);
void deliver_free(struct deliver *);

/* ack.c */
struct ack;
int ack_link(const struct config *, uint64_t, int, const char *, char *,
             size_t);
struct ack *ack_new(const struct config *, struct incidents *, struct httpd *);
void ack_reconfigure(struct ack *, const struct config *);
void ack_free(struct ack *);

/* api.c */
struct api;
struct api *api_new(const struct config *, struct incidents *, struct store *,
                    struct httpd *);
void api_reconfigure(struct api *, const struct config *);
void api_link_up(struct api *);
void api_bind_feeds(struct api *, struct feeds *);
void api_bind_istore(struct api *, struct incidentstore *); /* reports */
void api_free(struct api *);

/* dashboard.c */
/* The on-call page at /dashboard (/ redirects to it): static, embedded at
 * build time, all data through the API.  0, or -1 if not routed. */
int dashboard_init(struct httpd *);

/* spool.c */
struct spool;
struct spool *spool_open(const char *, const char *, char *, size_t);
int spool_append(struct spool *, const char *);
long spool_read(struct spool *, void (*)(const char *, void *), void *);
int spool_clear(struct spool *);
size_t spool_size(const struct spool *);
void spool_close(struct spool *);

/* render.c */
/*
 * Alert texts from the configured templates: {name} placeholders, "{{"
 * and "}}" for literal braces.  Pure: no I/O, no clock; times are given.
 * Every pointer is borrowed for the call; a NULL string renders as "".
 */
struct render_vars {
	const char *title;
	const char *class;       /* "major" 重大, "ordinary" 一般 */
	const char *grade;       /* as is, e.g. "重大" */
	const char *category;    /* as is, e.g. "事故灾难" */
	const char *milestone;   /* "release", "presser", "response" */
	const char *stage;       /* "warn-2h", "breach", "overdue-3" */
	int64_t due;             /* epoch ms; 0: unset ({due} etc. are "") */
	int64_t now;             /* epoch ms, for {time_left} and {overdue} */
	int64_t since;           /* epoch ms; 0: unset */
	int utc_offset_min;      /* local zone, e.g. +480 for Asia/Shanghai */
	const char *departments; /* "a,b" shown as "a、b" */
	const char *link;
	const char *ack_link;
	uint64_t incident; /* 0: unset */
	const char *source;
	const char *feed;
	int64_t items; /* < 0: unset */
	const char *summary;
	const char *error;
	const char *period; /* a report's, e.g. "2026-W48（…）" */
};
/* Render tmpl into out (outsz > 0 bytes, always NUL-terminated; a text
 * too long is cut at a UTF-8 character boundary).  Returns the bytes
 * written, or -1 (out "") for an unknown or unclosed placeholder. */
int render_text(const char *tmpl, const struct render_vars *v, char *out,
                size_t outsz);
/* As render_text, but at most max_chars code points (134 for two
 * concatenated UCS-2 SMS segments): {title} is shortened with "…" until
 * the text fits; if it does not fit even without the title, the text is
 * cut and ends in "…".  Returns the bytes written, or -1. */
int render_sms(const char *tmpl, const struct render_vars *v, size_t max_chars,
               char *out, size_t outsz);
/* Code points in s (an invalid byte counts as one); 0 for NULL. */
size_t render_chars(const char *s);

/* audit.c */
/*
 * The operators' audit trail and their bearer tokens.  Pure: no I/O, no
 * clock; the trail is kept elsewhere (a Redis list or stream of lines).
 *
 * The trail is append-only and hash-chained: each entry is one JSON line
 * carrying the hash of the line before it, so changing, deleting or
 * reordering a stored line breaks the chain where it happened.
 *
 * Canonical form.  An entry is a JSON object with exactly these members:
 *   "action"   string of 1..AUDIT_ACTION_MAX bytes of [a-z_]
 *   "after"    object or null (the state after the action)
 *   "before"   object or null (the state before it)
 *   "hash"     64 lower-case hex digits, see below
 *   "incident" integer 0..2^63-1
 *   "note"     string of 0..AUDIT_NOTE_MAX bytes
 *   "prev"     the previous entry's "hash"; AUDIT_GENESIS for the first
 *   "v"        1
 *   "when"     integer, epoch milliseconds, >= 0
 *   "who"      string of 1..AUDIT_WHO_MAX bytes, no control characters
 * No string anywhere (keys and values, also inside before and after) may
 * hold a control character U+0000..U+001F other than TAB, LF and CR, and
 * no number may be a real (fraction or exponent): store scores as
 * integers or strings.  Nesting is at most AUDIT_DEPTH_MAX deep.
 * The line is the serialisation with no whitespace between tokens, the
 * members of every object sorted by key in byte order (UTF-8 byte order
 * is code point order), strings as UTF-8 with only '"' '\' TAB LF CR
 * escaped (as \" \\ \t \n \r, never \uXXXX or \/), integers in decimal.
 * That is jansson's json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS) and
 * Python's json.dumps(d, sort_keys=True, separators=(",", ":"),
 * ensure_ascii=False); the rules above are what makes the two agree.
 *   hash = lower-case hex of SHA-256 over the UTF-8 bytes of the
 *          canonical serialisation of the entry without its "hash" member.
 * Checking one line in Python (prints True):
 *   python3 -c 'import sys,json,hashlib
 *   d=json.loads(sys.argv[1]); h=d.pop("hash")
 *   b=json.dumps(d,sort_keys=True,separators=(",",":"),ensure_ascii=False)
 *   print(hashlib.sha256(b.encode()).hexdigest()==h)' "$LINE"
 */
#define AUDIT_VERSION 1
#define AUDIT_GENESIS                                                          \
	"0000000000000000000000000000000000000000000000000000000000000000"
#define AUDIT_HASH_SIZE  65 /* 64 hex digits and the NUL */
#define AUDIT_WHO_MAX    64
#define AUDIT_ACTION_MAX 32
#define AUDIT_NOTE_MAX   4096
#define AUDIT_DEPTH_MAX  16
#define AUDIT_LINE_MAX   (64 * 1024) /* longest line, in bytes */

struct audit_event {
	const char *who;    /* the operator's name */
	int64_t when;       /* epoch ms */
	const char *action; /* "ack", "respond", "dismiss", "reclassify", ... */
	uint64_t incident;  /* at most INT64_MAX (a JSON integer) */
	const json_t *before; /* object or NULL; copied, stays the caller's */
	const json_t *after;  /* object or NULL; copied, stays the caller's */
	const char *note;     /* NULL is "" */
};

/* The canonical line of ev chained after prev_hash (NULL or "" for the
 * first entry, which then gets AUDIT_GENESIS; otherwise 64 lower-case hex
 * digits).  Malloc'd, the caller frees; its "hash" also goes to hash_out
 * (may be NULL).  NULL, hash_out "", if ev breaks the rules above or the
 * line would pass AUDIT_LINE_MAX.  The line is checked as audit_verify
 * would before it is returned. */
char *audit_entry(const char *prev_hash, const struct audit_event *ev,
                  char hash_out[AUDIT_HASH_SIZE]);
/* Checks a whole trail, oldest first: each line parses, follows the
 * canonical form, its hash recomputes and its prev is the hash of the
 * line before (AUDIT_GENESIS for line 0).  0 if all n are good; else -1
 * with *bad_index (may be NULL) the 0-based index of the first bad line
 * and why (may be NULL) a message such as "entry 17: hash mismatch
 * (changed?)".  The lines are borrowed for the call. */
int audit_verify(const char *const *lines, size_t n, size_t *bad_index,
                 char *why, size_t whylen);

/* Bearer tokens: printable ASCII (0x21..0x7e), AUDIT_TOKEN_MIN to
 * AUDIT_TOKEN_MAX bytes, stored only as "sha256:" + 64 hex digits. */
#define AUDIT_TOKEN_MIN       24
#define AUDIT_TOKEN_MAX       256
#define AUDIT_TOKEN_HASH_SIZE 72 /* "sha256:", 64 hex digits, NUL */
/* The stored form of token into out; 0, or -1 (out "") if token is not
 * a valid token. */
int audit_token_hash(const char *token, char out[AUDIT_TOKEN_HASH_SIZE]);
/* 1 if presented hashes to stored_hash (compared in constant time), 0
 * otherwise, also when either is malformed or NULL. */
int audit_token_check(const char *presented, const char *stored_hash);
/* The token of an Authorization header value "Bearer <token>": scheme in
 * any case, then one or more spaces, then 1..AUDIT_TOKEN_MAX printable
 * ASCII bytes up to the end (no trailing space).  0 with the token in
 * token[len]; -1 (token "" when len > 0) for anything else, including a
 * token that does not fit. */
int audit_bearer(const char *authorization_header, char *token, size_t len);

/* report.c */
/*
 * The timeliness report (时效统计) of one period, computed from plain
 * records and rendered as a terminal table, CSV, JSON and a printable HTML
 * page.  Pure: no I/O but the FILE * passed in, no clock.  The definitions
 * of every figure are at the top of report.c.
 */
#define REPORT_MAX_INCIDENTS  100000
#define REPORT_MAX_DELIVERIES 1000000
/* Bytes kept of each string, cut at a character boundary. */
#define REPORT_MAX_TITLE       512
#define REPORT_MAX_DEPARTMENTS 256
#define REPORT_MAX_NAME        128 /* grade, source, channel */
/* Every time must be in [0, REPORT_MAX_TIME): 10000-01-01 UTC. */
#define REPORT_MAX_TIME INT64_C(253402300800000)

/* The same values, in the same order, as monitor.h's MS_*, INC_*. */
enum {
	REPORT_MS_RELEASE,
	REPORT_MS_PRESSER,
	REPORT_MS_RESPONSE,
	REPORT_MS_COUNT
};
enum {
	REPORT_MS_PENDING,
	REPORT_MS_MET,
	REPORT_MS_BREACHED,
	REPORT_MS_MET_LATE
};
enum {
	REPORT_INC_OPEN,
	REPORT_INC_ACKED,
	REPORT_INC_CLOSED,
	REPORT_INC_DISMISSED
};
enum { REPORT_CLASS_ORDINARY, REPORT_CLASS_MAJOR, REPORT_CLASS_COUNT };
enum {
	REPORT_DLV_SENT,
	REPORT_DLV_FAILED,
	REPORT_DLV_GIVEN_UP,
	REPORT_DLV_RETRY,
	REPORT_DLV_SUPERSEDED,
	REPORT_DLV_COUNT
};

/* The names the store uses for the values above ("release", "met_late",
 * "acknowledged", "major", "given_up", ...). */
enum report_names {
	REPORT_N_MILESTONE,
	REPORT_N_MS_STATE,
	REPORT_N_INC_STATE,
	REPORT_N_CLASS,
	REPORT_N_DLV_STATE,
};
int report_value(enum report_names, const char *name); /* -1: unknown */
const char *report_name(enum report_names, int value); /* "?": unknown */

struct report_period {
	int64_t start, end; /* [start, end), epoch ms */
};

struct report_milestone {
	int active;
	int state;      /* REPORT_MS_* */
	int64_t start;  /* clock start */
	int64_t due;    /* >= start */
	int64_t met_at; /* <= 0 while not met */
};

/* Strings are borrowed for report_compute (NULL reads as ""); what the
 * report keeps is copied, cut to the caps, with invalid UTF-8 replaced by
 * U+FFFD and control characters by spaces. */
struct report_incident {
	uint64_t id;       /* unique */
	int cls;           /* REPORT_CLASS_* */
	const char *grade; /* 特别重大, 重大, 较大, 一般, unknown */
	const char *title;
	const char *departments; /* comma-separated */
	const char *source;      /* feed id */
	int64_t opened_at;
	int state;                                   /* REPORT_INC_* */
	struct report_milestone ms[REPORT_MS_COUNT]; /* by REPORT_MS_* */
};

/* One delivery attempt (an entry of P:deliveries). */
struct report_delivery {
	const char *channel;
	int state; /* REPORT_DLV_* */
	int64_t at;
};

struct report_input {
	struct report_period period;
	struct report_period previous; /* {0, 0}: no trend */
	int64_t now;                   /* when the data were read */
	int utc_offset_min; /* local time for display, +480 for Shanghai */
	const struct report_incident *incidents; /* borrowed */
	size_t nincidents;
	const struct report_delivery *deliveries; /* borrowed */
	size_t ndeliveries;
};

/* The figures; everything below is owned by the report. */
struct report_rate {
	size_t counted; /* the denominator: on_time + met_late + unanswered */
	size_t on_time;
	size_t met_late;
	size_t unanswered; /* not met, due before min(end, now) */
	size_t not_due;    /* not met, due in the period at or after now */
	int permille;      /* on_time / counted, rounded; -1 if counted == 0 */
};
struct report_times {
	size_t n;                   /* met milestones */
	int64_t median, p90, worst; /* ms, nearest rank; -1 if n == 0 */
};
struct report_ms_row {
	struct report_rate rate, prev;
	struct report_times times;
};
struct report_grade_row {
	char *grade;
	size_t n[REPORT_CLASS_COUNT];
};
struct report_info {
	uint64_t id;
	int cls, state;
	int64_t opened_at;
	char *grade, *title, *departments, *source;
	char **deps; /* departments split, trimmed, once each */
	size_t ndeps;
};
struct report_group { /* a department or a source */
	char *name;
	size_t opened; /* incidents opened in the period */
	struct report_rate rate;
};
struct report_breach {
	const struct report_info *inc;
	int milestone;
	int64_t start, due, met_at; /* met_at 0: unanswered */
	int64_t late;               /* ms: met_at - due, or now - due */
};
struct report_open {
	const struct report_info *inc;
	unsigned overdue; /* bit per milestone unmet past due at now */
	int64_t next_due; /* the earliest unmet due after now, 0 if none */
};
struct report_channel {
	char *name;
	size_t n[REPORT_DLV_COUNT]; /* attempts in the period by outcome */
	size_t attempts, failures, prev_failures;
};
struct report {
	struct report_period period, previous;
	int has_previous;
	int64_t now;
	int utc_offset_min;
	int iso_year, iso_week; /* 0 unless the period is one ISO week */
	size_t opened, dismissed, prev_opened;
	size_t by_class[REPORT_CLASS_COUNT];
	struct report_grade_row *grades;
	size_t ngrades;
	struct report_ms_row ms[REPORT_MS_COUNT];
	struct report_rate total, prev_total;
	struct report_rate class_rate[REPORT_CLASS_COUNT];
	struct report_info *infos;
	size_t ninfos;
	struct report_group *departments, *sources;
	size_t ndepartments, nsources;
	struct report_breach *breaches;
	size_t nbreaches;
	struct report_open *open;
	size_t nopen;
	struct report_channel *channels;
	size_t nchannels;
	char error[256]; /* why report_compute failed */
};

/* The local ISO week (Monday 00:00 to the next Monday 00:00) holding ms,
 * and its ISO 8601 year and number.  -1 if ms or the offset is out of
 * range. */
int report_iso_week(int64_t any_ms_in_week, int utc_offset_min,
                    struct report_period *);
int report_iso_week_number(int64_t ms, int utc_offset_min, int *iso_year,
                           int *iso_week);
/* The period of the same length just before p. */
void report_previous(const struct report_period *p, struct report_period *prev);

/* Fill r (any contents are overwritten) from in; 0, or -1 with r->error
 * set for bad input or no memory.  Free with report_free either way. */
int report_compute(const struct report_input *in, struct report *r);
void report_free(struct report *); /* NULL-safe; leaves r zeroed */

/* 0, or -1 if writing failed. */
int report_write_text(FILE *, const struct report *);
int report_write_csv(FILE *, const struct report *);
int report_write_json(FILE *, const struct report *);
int report_write_html(FILE *, const struct report *);
/* A few lines for a mail's text part or a chat robot: opened, the on-time
 * rate with its parts, breaches, carried over (Chinese, no trailing
 * newline). */
int report_write_summary(FILE *, const struct report *);
/* "2026-W48（2026-11-23 至 2026-11-29）", or the days of any period. */
void report_label(const struct report *, char *buf, size_t size);

/* weekly.c */
/* The report of period (and the one before, for the trend) from the
 * incidents in memory, those stored in Redis (istore, may be NULL: closed
 * incidents leave memory at a restart) and the delivery stream: cb gets
 * it (borrowed for the call, status 0), or NULL with status 503 (Redis did
 * not answer: the report would be incomplete) or 500 and why; exactly
 * once, maybe before report_collect returns.  -1 (no call) if out of
 * memory. */
typedef void (*report_collect_cb)(const struct report *, int status,
                                  const char *error, void *arg);
int report_collect(struct store *, struct incidents *, struct incidentstore *,
                   const struct report_period *, int64_t now, report_collect_cb,
                   void *);
/* A rendering as a malloc'd string of *len bytes (len may be NULL). */
char *report_render(const struct report *,
                    int (*writer)(FILE *, const struct report *), size_t *len);
/* The Monday mail of the past week's report (config report.*). */
struct weekly;
struct weekly *weekly_new(struct event_base *, const struct config *,
                          struct store *, struct incidents *,
                          struct incidentstore *, struct deliver *);
void weekly_reconfigure(struct weekly *, const struct config *);
void weekly_incidents_ready(struct weekly *); /* restored from Redis */
void weekly_stop(struct weekly *);
void weekly_free(struct weekly *);

#endif
