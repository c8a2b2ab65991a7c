/*
 * feeds/: from a feed's URL to normalised items.
 *   date.c     feed dates in all their real-world spellings (pure)
 *   charset.c  bytes to UTF-8: BOM > XML declaration > HTTP > detection (pure)
 *   text.c     HTML stripping, entities, full-width folding, caps (pure)
 *   parse.c    RSS 0.9x/1.0/2.0, Atom 0.3/1.0, JSON Feed 1.x (pure)
 *   fetch.c    libcurl multi on the libevent loop
 *   feeds.c    the feed set: scheduling, backoff, state
 */
#ifndef YQ_FEEDS_H
#define YQ_FEEDS_H

#include <event2/event.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"

/* date.c */

/* How a date was given; zone-less dates are read in the feed's zone. */
struct date_opts {
	const char *zone; /* tz name for zone-less dates, e.g. Asia/Shanghai */
	int chinese;      /* CST means +08:00 (else US Central, -06:00) */
};
/* Parse s (UTF-8) into epoch ms; 0 on success (*ms >= 0), -1 if
 * unparseable (*ms untouched).  zone NULL means Asia/Shanghai.  Not
 * thread-safe: zone rules are cached per process. */
int date_parse(const char *s, const struct date_opts *, int64_t *ms);

/* charset.c */
struct charset_result {
	char *utf8;       /* malloc'd, NUL-terminated; caller frees */
	size_t len;       /* bytes in utf8, without the NUL */
	char name[32];    /* canonical charset used: "UTF-8", "GB18030", ... */
	const char *from; /* "bom", "xml", "http", "detect", "fallback" */
	size_t errors;    /* invalid sequences, each replaced by U+FFFD */
};
/* The canonical name for a label ("gbk" -> "GB18030"), a static string;
 * NULL if unknown or not decodable. */
const char *charset_canonical(const char *label);
/*
 * Decode body to UTF-8.  Precedence (as the project decided, unlike RFC
 * 7303): BOM > XML declaration > HTTP charset > detection; a declared
 * charset that gives errors or implausible text is questioned against
 * UTF-8, GB18030, Big5 and Windows-1252.  Every invalid sequence (and NUL)
 * becomes U+FFFD and is counted in errors.  from and name are static.
 * Returns -1 only on allocation failure or a body over 256 MiB.
 */
int charset_decode(const char *body, size_t len, const char *http_charset,
                   struct charset_result *);

/* text.c */
long text_utf8_next(const char *, size_t, size_t *);

/* A growable UTF-8 buffer with a hard maximum (appends past it are cut
 * at a character boundary and flagged).  Once truncated, later appends
 * are dropped, so a caller for whom the cap is an error just checks
 * truncated at the end; nomem tells an allocation failure from the cap. */
struct text_buf {
	char *s;
	size_t len, cap, max;
	int truncated;
	int nomem;
};
void text_buf_init(struct text_buf *, size_t max);
void text_buf_html(struct text_buf *, const char *, size_t);
void text_buf_add(struct text_buf *, const char *, size_t);
char *text_buf_take(struct text_buf *);
void text_buf_free(struct text_buf *);

/* Strip tags (and script/style bodies), decode HTML entities, fold
 * full-width ASCII, drop control characters, collapse whitespace, cap at
 * max bytes on a character boundary.  Returns malloc'd UTF-8. */
char *text_normalise(const char *in, size_t len, size_t max, int html);
/* Normalise a link for identity: scheme and host lower-cased, utm_* and
 * the fragment dropped; relative links resolved against base. */
char *text_link(const char *link, const char *base);
/* Resolve link against base only (for display). */
char *text_resolve(const char *link, const char *base);
uint64_t text_hash(const char *, size_t);
int text_is_block(const char *, size_t);

/* parse.c */
enum feed_format {
	FEED_UNKNOWN,
	FEED_RSS090,
	FEED_RSS091,
	FEED_RSS092,
	FEED_RSS20,
	FEED_RSS10,
	FEED_ATOM03,
	FEED_ATOM10,
	FEED_JSON1,
};

struct feed_stats {
	int present;
	int64_t reposts, comments, likes;
};

struct feed_item {
	char *key;   /* identity within the feed */
	char *guid;  /* as given, may be NULL */
	char *title; /* normalised */
	char *link;  /* absolute */
	char *text;  /* normalised summary/content */
	char *author;
	int64_t published;     /* epoch ms, -1 if absent or not credible */
	int64_t updated;       /* epoch ms, -1 if absent */
	char *published_raw;   /* the date as written, for explanations */
	uint64_t content_hash; /* title + text + link: an edit changes it */
	struct feed_stats stats;
};

struct feed_doc {
	enum feed_format format;
	char *title;
	char *link;
	char charset[32];
	const char *charset_from;
	size_t charset_errors;
	int recovered;    /* the body was not well-formed; what was kept */
	char reason[256]; /* why recovered, or why unusable */
	int64_t ttl;      /* RSS <ttl> in ms, -1 if absent */
	struct feed_item *items;
	size_t nitems;
	size_t dropped; /* items past the cap */
};

struct feed_parse_opts {
	const char *url;          /* base for relative links */
	const char *http_charset; /* from Content-Type, may be NULL */
	struct date_opts dates;
	int64_t now;      /* monitored now, for "in the future" */
	size_t max_items; /* 0: default 1000 */
};

const char *feed_format_name(enum feed_format);
int feed_parse(const char *body, size_t len, const struct feed_parse_opts *,
               struct feed_doc *);
void feed_doc_clear(struct feed_doc *);

/* fetch.c */
struct fetcher;
/*
 * One GET, POST or mail.  Zeroed fields mean a plain GET.  An smtp:// or
 * smtps:// URL sends a mail (method, etag, last_modified, user_agent and
 * headers are not used); any other URL is http or https only.
 */
struct fetch_request {
	const char *url;
	const char *etag;          /* conditional GET, verbatim; may be NULL */
	const char *last_modified; /* likewise */
	const char *user_agent;
	const char *proxy; /* may be NULL */
	const char *const
	    *headers;        /* "Name: value", NULL-terminated; may be NULL */
	int tls_verify;      /* HTTPS, smtps and STARTTLS alike */
	const char *ca_file; /* PEM CAs to verify with; NULL: the system's */
	size_t max_body;     /* cap on the decoded body */
	int64_t connect_timeout; /* ms, real time */
	int64_t timeout;
	int64_t low_speed_time;
	/* NULL or "GET": up to 5 redirects followed; "POST": body is sent
	 * and no redirect is followed (a 3xx is the result) */
	const char *method;
	const char *body; /* POST body, or the mail (CRLF lines); copied */
	size_t body_len;
	/* mail only: envelope sender and NULL-terminated recipients (at most
	 * 100), with or without <>; AUTH credentials (NULL: no AUTH);
	 * require_tls makes STARTTLS mandatory on smtp:// (smtps:// is TLS
	 * from the start) */
	const char *mail_from;
	const char *const *mail_rcpt;
	const char *username;
	const char *password;
	int require_tls;
};
/*
 * transport_ok: a complete response arrived (any status); then body is
 * never NULL ("" when empty, as on a 304) and the header fields are
 * filled.  Otherwise error says why (status may still be set if a
 * response had begun: a body over the cap, a cut-off body).  For a mail,
 * transport_ok means the server took it, status is the last SMTP reply
 * code (250 when taken; on failure the code that refused it, e.g. 451 to
 * retry, 535 or 550 for good; 0 if no reply came) and body is "".
 */
struct fetch_result {
	int transport_ok;
	long status;
	char error[256];
	char *effective_url; /* where the body came from, after redirects */
	char *body;          /* decoded body, NUL-terminated */
	size_t body_len;
	char *content_type;
	char *charset; /* from Content-Type, may be NULL */
	char *etag;
	char *last_modified;
	char *permanent_location; /* final URL if the chain was all 301/308 */
	int redirects;
	int64_t retry_after; /* ms from now, -1 if none */
	int64_t max_age;     /* Cache-Control max-age in ms, -1 if none */
	int64_t expires;     /* Expires as epoch ms, -1 if none */
	int64_t latency;     /* ms, real time */
};
/*
 * res and everything in it live only for the call.  fetcher_start reads
 * the request only during the call and never calls cb from inside it; -1
 * means cb will never run.  A NULL proxy means a direct connection (the
 * environment's *_proxy is ignored).  fetcher_free cancels what is in
 * flight: no callback runs after it, and it may be called from one.
 */
typedef void (*fetch_done_cb)(const struct fetch_result *res, void *arg);
struct fetcher *fetcher_new(struct event_base *);
int fetcher_start(struct fetcher *, const struct fetch_request *, fetch_done_cb,
                  void *);
size_t fetcher_active(const struct fetcher *);
void fetcher_free(struct fetcher *);

/* feeds.c */

/* What is remembered per feed across polls and restarts. */
struct feed_state {
	char *configured_url; /* the URL in the config when url was set */
	char *url;            /* effective URL: a permanent redirect moves it */
	char *etag;           /* verbatim, for the conditional GET */
	char *last_modified;  /* verbatim */
	int64_t last_success; /* monitored epoch ms, -1 never */
	int64_t last_attempt;
	int64_t next_poll;
	long last_status;      /* HTTP status, 0 if none */
	int64_t failures;      /* consecutive */
	int64_t failing_since; /* first failure of the current run, -1 */
	char *last_error;
	char charset[32];
	int recovered;
	char *reason;    /* why recovered */
	int64_t items;   /* in the last usable document */
	int64_t latency; /* ms, real */
	int down;
	int64_t down_since;
	char *redirect_to; /* permanent redirect target being confirmed */
	int64_t redirect_seen;
};

/* The daemon's side of the feeds: it stores what feeds.c hands over.
 * doc: a usable document was fetched and parsed; return 0 if its items
 *      were taken (then the validators are kept), -1 if not (Redis down:
 *      the next poll fetches the whole body again).
 * state: persist st (called after every poll).
 * event: "source_down" or "source_up".
 * All pointers are borrowed for the call. */
struct feeds_hooks {
	int (*doc)(const struct conf_feed *, const struct feed_doc *,
	           void *arg);
	void (*state)(const char *id, const struct feed_state *, void *arg);
	void (*event)(const char *id, const char *event,
	              const struct feed_state *, void *arg);
	void *arg;
};

struct feeds;
struct feeds *feeds_new(struct event_base *, const struct config *,
                        const struct feeds_hooks *);
int feeds_restore(struct feeds *, const char *id, const struct feed_state *);
void feeds_start(struct feeds *);
int feeds_reconfigure(struct feeds *, const struct config *);
size_t feeds_count(const struct feeds *);
size_t feeds_down(const struct feeds *);
size_t feeds_active(const struct feeds *);
void feeds_polls(const struct feeds *, int64_t *, int64_t *);
void feeds_each(const struct feeds *,
                void (*)(const char *, const struct feed_state *, void *),
                void *);
void feeds_invalidate(struct feeds *, const char *id);
void feeds_stop(struct feeds *);
void feeds_free(struct feeds *);
void feed_state_clear(struct feed_state *);

#endif
