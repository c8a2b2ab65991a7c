/*
 * fetch.c: HTTP(S) GETs for the feeds, and the POSTs and SMTP mails of the
 * alert channels, libcurl multi on the daemon's libevent loop (the
 * hiperfifo shape).  libcurl tells us which sockets to watch
 * (fetch_socket_cb: one event_new'd event per socket) and when to call it
 * back (fetch_timer_cb: one timer); our libevent callbacks hand the
 * readiness to curl_multi_socket_action and then collect finished
 * transfers with curl_multi_info_read.
 *
 * Every transfer is bounded: connect and total timeouts, a low-speed
 * abort, at most FETCH_MAX_REDIRS redirects over http and https only, a
 * cap on the response headers and a cap on the decoded body that stops a
 * compression bomb while it is being received.  Network timeouts are real
 * time, never monitored time.
 *
 * A POST sends a body (libcurl keeps its own copy) and follows no
 * redirect: a webhook that answers 3xx is a failure its caller sees.  An
 * smtp:// or smtps:// URL sends one mail (MAIL FROM, RCPT TO, DATA from
 * our copy of the message) over smtp and smtps only, never redirected;
 * the status is then the last SMTP reply code.
 *
 * libcurl's global state is set up once per process, on the first
 * fetcher_new (curl_global_init is not thread-safe; the daemon is one
 * thread), and is never torn down: it lives until exit.
 */
#include <sys/queue.h>

#include <curl/curl.h>
#include <errno.h>
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "feeds/feeds.h"

#define FETCH_MAX_REDIRS       5
#define FETCH_LOW_SPEED_LIMIT  16L         /* bytes/s, below it is "slow" */
#define FETCH_MAX_HEADER_BYTES (64 * 1024) /* all responses of a chain */
#define FETCH_MAX_VALUE        1024        /* a header value we keep */
#define FETCH_MAX_CHARSET      64
#define FETCH_MAX_REQ_HEADER   8192 /* a request header line we build */
#define FETCH_BODY_CHUNK       16384
#define FETCH_MAX_AGE_CAP      2147483648LL /* seconds, RFC 9111 5.2 */
#define FETCH_MAX_PATH         256 /* an SMTP address, RFC 5321 4.5.3.1.3 */
#define FETCH_MAX_RCPT         100 /* recipients of one mail */

/* What a transfer does, from the URL's scheme and the method. */
enum fetch_kind {
	FETCH_GET,
	FETCH_POST,
	FETCH_SMTP,
};

/* One socket libcurl asked us to watch. */
struct fetch_sock {
	LIST_ENTRY(fetch_sock) entry;
	curl_socket_t fd;
	short kind; /* EV_READ and/or EV_WRITE */
	struct event *ev;
};

/* One transfer in flight.  The per-response fields describe the response
 * being read and are reset at each status line, so after a redirect
 * chain they hold the final response's. */
struct fetch_xfer {
	LIST_ENTRY(fetch_xfer) entry;
	CURL *easy;
	enum fetch_kind kind;
	struct curl_slist *headers;
	struct curl_slist *rcpts; /* SMTP: "<addr>" each */
	char *mail_from;          /* SMTP: "<addr>" */
	char *upload;             /* SMTP: our copy of the message */
	size_t upload_len, upload_off;
	fetch_done_cb cb;
	void *arg;
	int64_t started; /* real ms */
	size_t max_body;
	char *body;
	size_t len, cap;
	size_t header_bytes;
	int too_big, headers_too_big, nomem;
	int hops;      /* 3xx responses followed by another response */
	int temporary; /* one of them was not 301 or 308 */
	long status;   /* of the response being read */
	char *etag;
	char *last_modified;
	char *content_type;
	char *charset;
	int64_t max_age;    /* ms, -1 */
	int64_t expires;    /* epoch ms, -1 */
	int64_t retry_secs; /* Retry-After as delta-seconds, -1 */
	int64_t retry_date; /* Retry-After as an HTTP-date, epoch s, -1 */
	int64_t date;       /* Date, epoch s, -1 */
	char errbuf[CURL_ERROR_SIZE];
};

struct fetcher {
	struct event_base *base;
	CURLM *multi;
	struct event *timer_ev;
	LIST_HEAD(, fetch_xfer) xfers;
	LIST_HEAD(, fetch_sock) socks;
	size_t active;
	int entered; /* inside fetcher_drive: frees are deferred */
	int dying;   /* fetcher_free was called: no more done callbacks */
};

static int fetch_global_done;

static void fetcher_destroy(struct fetcher *);

static void
fetch_response_reset(struct fetch_xfer *x)
{
	free(x->etag);
	free(x->last_modified);
	free(x->content_type);
	free(x->charset);
	x->etag = x->last_modified = x->content_type = x->charset = NULL;
	x->max_age = x->expires = -1;
	x->retry_secs = x->retry_date = x->date = -1;
	x->len = 0;
}

/* Release a transfer; its easy handle must be out of the multi handle. */
static void
fetch_xfer_free(struct fetch_xfer *x)
{
	if (x == NULL)
		return;
	if (x->easy != NULL)
		curl_easy_cleanup(x->easy);
	curl_slist_free_all(x->headers);
	curl_slist_free_all(x->rcpts);
	free(x->mail_from);
	free(x->upload);
	fetch_response_reset(x);
	free(x->body);
	free(x);
}

/*
 * Body bytes, already decoded (gzip, deflate, br, zstd).  The cap is on
 * these decoded bytes and is checked before anything is stored: past it
 * the transfer is aborted (returning less than was given makes libcurl
 * stop with CURLE_WRITE_ERROR), so a compression bomb costs at most
 * max_body bytes of memory.  The buffer doubles but never beyond
 * max_body + 1 (the NUL).
 */
static size_t
fetch_write_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct fetch_xfer *x = arg;
	size_t n = size * nmemb, need, cap;
	char *nb;

	if (n > x->max_body - x->len) {
		x->too_big = 1;
		return 0;
	}
	need = x->len + n + 1;
	if (need > x->cap) {
		cap = x->cap > 0 ? x->cap : FETCH_BODY_CHUNK;
		while (cap < need && cap <= x->max_body / 2)
			cap *= 2;
		if (cap < need || cap > x->max_body + 1)
			cap = x->max_body + 1;
		nb = realloc(x->body, cap);
		if (nb == NULL) {
			x->nomem = 1;
			return 0;
		}
		x->body = nb;
		x->cap = cap;
	}
	memcpy(x->body + x->len, ptr, n);
	x->len += n;
	x->body[x->len] = '\0';
	return n;
}

/* A copy of a header value, or NULL if empty or longer than we keep. */
static char *
fetch_value_dup(const char *v)
{
	size_t n = strlen(v);

	if (n == 0 || n > FETCH_MAX_VALUE)
		return NULL;
	return strndup(v, n);
}

static const char *
fetch_skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/*
 * The charset parameter of a Content-Type value, unquoted and trimmed:
 * text/xml; charset="GBK" gives GBK.  NULL if there is none or it is
 * implausible (empty or longer than FETCH_MAX_CHARSET).
 */
static char *
fetch_charset(const char *ct)
{
	char val[FETCH_MAX_CHARSET + 1];
	const char *p = ct;
	size_t n;
	int quoted;

	for (;;) {
		/* next parameter: after a ';' outside a quoted string */
		quoted = 0;
		while (*p != '\0' && (quoted || *p != ';')) {
			if (*p == '"')
				quoted = !quoted;
			else if (*p == '\\' && quoted && p[1] != '\0')
				p++;
			p++;
		}
		if (*p == '\0')
			return NULL;
		p = fetch_skip_ws(p + 1);
		if (strncasecmp(p, "charset", 7) != 0)
			continue;
		p = fetch_skip_ws(p + 7);
		if (*p != '=')
			continue;
		p = fetch_skip_ws(p + 1);
		n = 0;
		if (*p == '"') {
			for (p++; *p != '\0' && *p != '"'; p++) {
				if (*p == '\\' && p[1] != '\0')
					p++;
				if (n == sizeof(val) - 1)
					return NULL;
				val[n++] = *p;
			}
		} else {
			for (;
			     *p != '\0' && *p != ';' && *p != ' ' && *p != '\t';
			     p++) {
				if (n == sizeof(val) - 1)
					return NULL;
				val[n++] = *p;
			}
		}
		while (n > 0 && (val[n - 1] == ' ' || val[n - 1] == '\t'))
			n--;
		val[n] = '\0';
		p = fetch_skip_ws(val);
		if (*p == '\0')
			return NULL;
		return strdup(p);
	}
}

/* Parse decimal digits (all of s) into *v, saturating at cap. */
static int
fetch_digits(const char *s, int64_t cap, int64_t *v)
{
	int64_t n = 0;

	if (*s < '0' || *s > '9')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		n = n * 10 + (*s - '0');
		if (n > cap)
			n = cap;
	}
	if (*s != '\0')
		return -1;
	*v = n;
	return 0;
}

/* Cache-Control: keep max-age (in ms); other directives are ignored. */
static void
fetch_cache_control(struct fetch_xfer *x, const char *v)
{
	char num[24];
	const char *p = v;
	size_t n;
	int64_t secs;

	while (*p != '\0') {
		p = fetch_skip_ws(p);
		if (strncasecmp(p, "max-age", 7) == 0) {
			p = fetch_skip_ws(p + 7);
			if (*p == '=') {
				p = fetch_skip_ws(p + 1);
				if (*p == '"')
					p++;
				n = 0;
				while (p[n] >= '0' && p[n] <= '9' &&
				       n < sizeof(num) - 1) {
					num[n] = p[n];
					n++;
				}
				num[n] = '\0';
				if (fetch_digits(num, FETCH_MAX_AGE_CAP,
				                 &secs) == 0)
					x->max_age = secs * 1000;
			}
		}
		while (*p != '\0' && *p != ',')
			p++;
		if (*p == ',')
			p++;
	}
}

/* Retry-After: delta-seconds or an HTTP-date; turned into ms at the end,
 * when the Date header (if any) is known too. */
static void
fetch_retry_after(struct fetch_xfer *x, const char *v)
{
	int64_t secs;
	time_t t;

	x->retry_secs = x->retry_date = -1;
	if (fetch_digits(v, FETCH_MAX_AGE_CAP, &secs) == 0) {
		x->retry_secs = secs;
		return;
	}
	t = curl_getdate(v, NULL);
	if (t != -1)
		x->retry_date = (int64_t)t;
}

/* One "Name: value" line of the response being read. */
static void
fetch_header_field(struct fetch_xfer *x, const char *name, const char *v)
{
	time_t t;

	if (strcasecmp(name, "ETag") == 0) {
		free(x->etag);
		x->etag = fetch_value_dup(v);
	} else if (strcasecmp(name, "Last-Modified") == 0) {
		free(x->last_modified);
		x->last_modified = fetch_value_dup(v);
	} else if (strcasecmp(name, "Content-Type") == 0) {
		free(x->content_type);
		free(x->charset);
		x->content_type = fetch_value_dup(v);
		x->charset = x->content_type ? fetch_charset(v) : NULL;
	} else if (strcasecmp(name, "Cache-Control") == 0) {
		fetch_cache_control(x, v);
	} else if (strcasecmp(name, "Expires") == 0) {
		t = curl_getdate(v, NULL);
		x->expires = t == -1 ? -1 : (int64_t)t * 1000;
	} else if (strcasecmp(name, "Retry-After") == 0) {
		fetch_retry_after(x, v);
	} else if (strcasecmp(name, "Date") == 0) {
		t = curl_getdate(v, NULL);
		x->date = t == -1 ? -1 : (int64_t)t;
	}
}

/* The status code of a status line ("HTTP/1.1 301 Moved", "HTTP/2 200"),
 * or -1 if the line is not one. */
static long
fetch_status_line(const char *p, size_t n)
{
	size_t i = 5;
	long code = 0;
	int digits;

	if (n < 5 || memcmp(p, "HTTP/", 5) != 0)
		return -1;
	while (i < n && p[i] != ' ')
		i++;
	while (i < n && p[i] == ' ')
		i++;
	for (digits = 0; digits < 3; digits++, i++) {
		if (i >= n || p[i] < '0' || p[i] > '9')
			return -1;
		code = code * 10 + (p[i] - '0');
	}
	return code;
}

/*
 * Every header line of every response, redirects and interim 1xx
 * included (CONNECT responses are suppressed).  A status line starts a
 * new response: if the one before it was a 3xx, that was a redirect hop,
 * and a hop other than 301/308 makes the move temporary.  All header
 * bytes of a transfer are capped; past the cap the transfer is aborted.
 * For SMTP libcurl hands us the server's reply lines: they only count
 * towards the cap.
 */
static size_t
fetch_header_cb(char *buf, size_t size, size_t nitems, void *arg)
{
	struct fetch_xfer *x = arg;
	size_t n = size * nitems, i;
	char line[FETCH_MAX_VALUE + 128];
	char *name, *v, *end;
	long code;

	if (n > FETCH_MAX_HEADER_BYTES - x->header_bytes) {
		x->headers_too_big = 1;
		return 0;
	}
	x->header_bytes += n;
	if (x->kind == FETCH_SMTP)
		return n;
	code = fetch_status_line(buf, n);
	if (code >= 0) {
		if (x->status >= 300 && x->status < 400) {
			x->hops++;
			if (x->status != 301 && x->status != 308)
				x->temporary = 1;
		}
		x->status = code;
		fetch_response_reset(x);
		return n;
	}
	if (n == 0 || n >= sizeof(line) || buf[0] == ' ' || buf[0] == '\t')
		return n; /* too long to keep, or an obsolete continuation */
	memcpy(line, buf, n);
	line[n] = '\0';
	for (i = 0; i < n; i++)
		if (line[i] == '\0')
			return n; /* a NUL in a header: ignore the line */
	v = strchr(line, ':');
	if (v == NULL)
		return n;
	*v++ = '\0';
	name = line;
	end = v + strlen(v);
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' ||
	                   end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	while (*v == ' ' || *v == '\t')
		v++;
	end = name + strlen(name);
	while (end > name && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	fetch_header_field(x, name, v);
	return n;
}

/*
 * The words for an SMTP failure that has its own, in buf; -1 if the
 * CURLcode means what it means for HTTP.  A reply of 400 or more is the
 * server saying no (its code is in the result's status); libcurl's
 * detail names the command ("RCPT failed: 550").
 */
static int
fetch_explain_smtp(const struct fetch_xfer *x, CURLcode code,
                   const char *detail, char *buf, size_t len)
{
	long status = 0;
	const char *what;

	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
	switch (code) {
	case CURLE_LOGIN_DENIED:
		what = "authentication failed";
		break;
	case CURLE_USE_SSL_FAILED:
		what = "TLS required but the server has no STARTTLS";
		break;
	case CURLE_UNSUPPORTED_PROTOCOL:
		what = "protocol not allowed (smtp and smtps only)";
		break;
	case CURLE_SEND_ERROR:
	case CURLE_WEIRD_SERVER_REPLY:
	case CURLE_RECV_ERROR:
		if (status >= 400 && x->errbuf[0] == '\0') {
			/* libcurl words no refusal of the message itself */
			snprintf(buf, len,
			         "refused by the mail server: "
			         "%ld after the message",
			         status);
			return 0;
		}
		if (status >= 400) {
			what = "refused by the mail server";
			break;
		}
		if (code != CURLE_WEIRD_SERVER_REPLY)
			return -1;
		what = "not a valid SMTP reply";
		break;
	default:
		return -1;
	}
	snprintf(buf, len, "%s: %s", what, detail);
	return 0;
}

/*
 * Turn a failed transfer into one clear sentence: our own reasons (cap
 * exceeded) first, then the CURLcode in words, then libcurl's detail.
 * This is the only place CURLcode meets the rest of the daemon.
 */
static void
fetch_explain(const struct fetch_xfer *x, CURLcode code, char *buf, size_t len)
{
	const char *what, *detail;
	curl_off_t connected = 0;
	long oserr = 0;

	if (x->too_big) {
		snprintf(buf, len, "body larger than %zu bytes", x->max_body);
		return;
	}
	if (x->headers_too_big) {
		snprintf(buf, len, "response headers larger than %d bytes",
		         FETCH_MAX_HEADER_BYTES);
		return;
	}
	if (x->nomem) {
		snprintf(buf, len, "out of memory storing the body");
		return;
	}
	detail = x->errbuf[0] != '\0' ? x->errbuf : curl_easy_strerror(code);
	if (x->kind == FETCH_SMTP &&
	    fetch_explain_smtp(x, code, detail, buf, len) == 0)
		return;
	switch (code) {
	case CURLE_COULDNT_RESOLVE_HOST:
		what = "cannot resolve host";
		break;
	case CURLE_COULDNT_RESOLVE_PROXY:
		what = "cannot resolve proxy";
		break;
	case CURLE_COULDNT_CONNECT:
		curl_easy_getinfo(x->easy, CURLINFO_OS_ERRNO, &oserr);
		if (oserr == ECONNREFUSED)
			what = "connection refused";
		else if (oserr == ENETUNREACH || oserr == EHOSTUNREACH)
			what = "host unreachable";
		else
			what = "cannot connect";
		break;
	case CURLE_OPERATION_TIMEDOUT:
		curl_easy_getinfo(x->easy, CURLINFO_CONNECT_TIME_T, &connected);
		if (strstr(x->errbuf, "too slow") != NULL)
			what = "too slow";
		else if (connected == 0)
			what = "connect timed out";
		else
			what = "timed out";
		break;
	case CURLE_TOO_MANY_REDIRECTS:
		snprintf(buf, len, "too many redirects (more than %d)",
		         FETCH_MAX_REDIRS);
		return;
	case CURLE_UNSUPPORTED_PROTOCOL:
		what = "protocol not allowed (http and https only)";
		break;
	case CURLE_URL_MALFORMAT:
		what = "malformed URL";
		break;
	case CURLE_PEER_FAILED_VERIFICATION:
		what = "TLS certificate not trusted";
		break;
	case CURLE_SSL_CONNECT_ERROR:
		what = "TLS handshake failed";
		break;
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_ENGINE_INITFAILED:
	case CURLE_SSL_SHUTDOWN_FAILED:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_USE_SSL_FAILED:
		what = "TLS error";
		break;
	case CURLE_GOT_NOTHING:
		what = "empty reply (connection closed without a response)";
		break;
	case CURLE_PARTIAL_FILE:
		what = "connection closed before the body was complete";
		break;
	case CURLE_RECV_ERROR:
		curl_easy_getinfo(x->easy, CURLINFO_OS_ERRNO, &oserr);
		if (oserr == ECONNRESET)
			what = "connection reset by the server";
		else
			what = "receive failed";
		break;
	case CURLE_SEND_ERROR:
		what = "send failed";
		break;
	case CURLE_WEIRD_SERVER_REPLY:
		what = "not a valid HTTP response";
		break;
	case CURLE_BAD_CONTENT_ENCODING:
		what = "cannot decode the body (Content-Encoding)";
		break;
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		what = "HTTP/2 error";
		break;
	case CURLE_OUT_OF_MEMORY:
		what = "out of memory";
		break;
	default:
		what = "transfer failed";
		break;
	}
	snprintf(buf, len, "%s: %s", what, detail);
}

/* Retry-After in ms from now; -1 if absent.  A date is taken relative to
 * the response's Date when there is one (no clock skew), else to our
 * real wall clock. */
static int64_t
fetch_retry_ms(const struct fetch_xfer *x)
{
	int64_t ms;

	if (x->retry_secs >= 0)
		return x->retry_secs * 1000;
	if (x->retry_date < 0)
		return -1;
	if (x->date >= 0)
		ms = (x->retry_date - x->date) * 1000;
	else
		ms = x->retry_date * 1000 - clock_real_wall_ms();
	return ms < 0 ? 0 : ms;
}

/*
 * A transfer is over: take it off the multi handle, describe it in a
 * fetch_result, hand that to the done callback and free everything.
 * Called from fetcher_drive only, never from inside libcurl.
 */
static void
fetch_finish(struct fetcher *f, struct fetch_xfer *x, CURLcode code)
{
	struct fetch_result res;
	char *url = NULL;
	long status = 0, redirects = 0;

	memset(&res, 0, sizeof(res));
	res.retry_after = res.max_age = res.expires = -1;
	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(x->easy, CURLINFO_REDIRECT_COUNT, &redirects);
	res.status = status;
	res.redirects = (int)redirects;
	res.latency = clock_real_ms() - x->started;
	if (code == CURLE_OK && !x->too_big && !x->headers_too_big) {
		res.transport_ok = 1;
		res.body = x->body != NULL ? x->body : "";
		res.body_len = x->len;
		res.content_type = x->content_type;
		res.charset = x->charset;
		res.etag = x->etag;
		res.last_modified = x->last_modified;
		res.retry_after = fetch_retry_ms(x);
		res.max_age = x->max_age;
		res.expires = x->expires;
		if (redirects > 0 && x->hops > 0 && !x->temporary) {
			curl_easy_getinfo(x->easy, CURLINFO_EFFECTIVE_URL,
			                  &url);
			res.permanent_location = url;
		}
	} else {
		fetch_explain(x, code, res.error, sizeof(res.error));
	}
	url = NULL;
	curl_easy_getinfo(x->easy, CURLINFO_EFFECTIVE_URL, &url);
	res.effective_url = url;
	log_debug("fetch done: url=%s status=%ld ok=%d redirects=%d "
	          "bytes=%zu ms=%lld%s%s",
	          url != NULL ? url : "?", res.status, res.transport_ok,
	          res.redirects, res.body_len, (long long)res.latency,
	          res.transport_ok ? "" : " error=", res.error);
	LIST_REMOVE(x, entry);
	f->active--;
	curl_multi_remove_handle(f->multi, x->easy);
	if (x->cb != NULL)
		x->cb(&res, x->arg);
	fetch_xfer_free(x);
}

/*
 * Let libcurl act on a ready socket (or on its timeout when s is
 * CURL_SOCKET_TIMEOUT), then finish every transfer it reports done.  A
 * fetcher_free from a done callback is deferred to the end of this
 * function; after it no further done callback runs.
 */
static void
fetcher_drive(struct fetcher *f, curl_socket_t s, int ev_bitmask)
{
	CURLMsg *msg;
	CURLMcode mc;
	void *priv;
	int running, left;

	f->entered++;
	mc = curl_multi_socket_action(f->multi, s, ev_bitmask, &running);
	if (mc != CURLM_OK)
		log_warnx("fetch: curl_multi_socket_action failed: %s",
		          curl_multi_strerror(mc));
	while (!f->dying) {
		msg = curl_multi_info_read(f->multi, &left);
		if (msg == NULL)
			break;
		if (msg->msg != CURLMSG_DONE)
			continue;
		priv = NULL;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
		if (priv == NULL)
			continue;
		fetch_finish(f, priv, msg->data.result);
	}
	f->entered--;
	if (f->dying && f->entered == 0)
		fetcher_destroy(f);
}

static void
fetch_event_cb(evutil_socket_t fd, short what, void *arg)
{
	int action = 0;

	if (what & EV_READ)
		action |= CURL_CSELECT_IN;
	if (what & EV_WRITE)
		action |= CURL_CSELECT_OUT;
	fetcher_drive(arg, fd, action);
}

static void
fetch_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	fetcher_drive(arg, CURL_SOCKET_TIMEOUT, 0);
}

/* Stop watching a socket and forget it. */
static void
fetch_sock_free(struct fetch_sock *sk)
{
	LIST_REMOVE(sk, entry);
	if (sk->ev != NULL)
		event_free(sk->ev);
	free(sk);
}

/*
 * CURLMOPT_SOCKETFUNCTION: libcurl says what to wait for on socket s.
 * Each socket has one persistent event, made with event_new; when the
 * interest changes the event is replaced.  Runs inside libcurl, so it
 * only touches events.
 */
static int
fetch_socket_cb(CURL *easy, curl_socket_t s, int what, void *userp,
                void *socketp)
{
	struct fetcher *f = userp;
	struct fetch_sock *sk = socketp;
	short kind = EV_PERSIST;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (sk != NULL)
			fetch_sock_free(sk);
		return 0;
	}
	if (what & CURL_POLL_IN)
		kind |= EV_READ;
	if (what & CURL_POLL_OUT)
		kind |= EV_WRITE;
	if (sk == NULL) {
		sk = calloc(1, sizeof(*sk));
		if (sk == NULL) {
			log_warnx("fetch: cannot allocate a socket watcher");
			return -1;
		}
		sk->fd = s;
		LIST_INSERT_HEAD(&f->socks, sk, entry);
		curl_multi_assign(f->multi, s, sk);
	} else if (sk->kind == kind && sk->ev != NULL) {
		return 0;
	}
	if (sk->ev != NULL)
		event_free(sk->ev);
	sk->kind = kind;
	sk->ev = event_new(f->base, s, kind, fetch_event_cb, f);
	if (sk->ev == NULL || event_add(sk->ev, NULL) == -1) {
		log_warnx("fetch: cannot watch socket %d", (int)s);
		return -1;
	}
	return 0;
}

/*
 * CURLMOPT_TIMERFUNCTION: libcurl wants to be called back in timeout_ms
 * (-1: never).  Only (re)arms our one timer; libcurl is called from the
 * timer's callback, never from here.
 */
static int
fetch_timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct fetcher *f = userp;
	struct timeval tv;

	(void)multi;
	if (timeout_ms < 0) {
		evtimer_del(f->timer_ev);
		return 0;
	}
	clock_real_timeval(timeout_ms, &tv);
	return evtimer_add(f->timer_ev, &tv) == -1 ? -1 : 0;
}

/* The caller owns base; it must outlive the fetcher. */
struct fetcher *
fetcher_new(struct event_base *base)
{
	struct fetcher *f;
	CURLcode rc;
	int bad = 0;

	if (!fetch_global_done) {
		rc = curl_global_init(CURL_GLOBAL_DEFAULT);
		if (rc != CURLE_OK) {
			log_err("fetch: cannot initialise libcurl: %s",
			        curl_easy_strerror(rc));
			return NULL;
		}
		fetch_global_done = 1;
	}
	f = calloc(1, sizeof(*f));
	if (f == NULL)
		return NULL;
	f->base = base;
	LIST_INIT(&f->xfers);
	LIST_INIT(&f->socks);
	f->timer_ev = evtimer_new(base, fetch_timeout_cb, f);
	f->multi = curl_multi_init();
	if (f->timer_ev == NULL || f->multi == NULL) {
		log_err("fetch: cannot allocate the transfer engine");
		fetcher_destroy(f);
		return NULL;
	}
	bad |= curl_multi_setopt(f->multi, CURLMOPT_SOCKETFUNCTION,
	                         fetch_socket_cb) != CURLM_OK;
	bad |= curl_multi_setopt(f->multi, CURLMOPT_SOCKETDATA, f) != CURLM_OK;
	bad |= curl_multi_setopt(f->multi, CURLMOPT_TIMERFUNCTION,
	                         fetch_timer_cb) != CURLM_OK;
	bad |= curl_multi_setopt(f->multi, CURLMOPT_TIMERDATA, f) != CURLM_OK;
	if (bad) {
		log_err("fetch: cannot configure the transfer engine");
		fetcher_destroy(f);
		return NULL;
	}
	return f;
}

/* Append "prefix value" to the request headers; -1 if it cannot be sent
 * safely (CR, LF or too long) or memory runs out. */
static int
fetch_add_header(struct fetch_xfer *x, const char *prefix, const char *value)
{
	char line[FETCH_MAX_REQ_HEADER];
	struct curl_slist *l;
	int n;

	if (strpbrk(value, "\r\n") != NULL)
		return -1;
	n = snprintf(line, sizeof(line), "%s%s", prefix, value);
	if (n < 0 || (size_t)n >= sizeof(line))
		return -1;
	l = curl_slist_append(x->headers, line);
	if (l == NULL)
		return -1;
	x->headers = l;
	return 0;
}

static int
fetch_opt_long(CURL *e, CURLoption opt, long v)
{
	return curl_easy_setopt(e, opt, v) != CURLE_OK;
}

static int
fetch_opt_str(CURL *e, CURLoption opt, const char *v)
{
	return curl_easy_setopt(e, opt, v) != CURLE_OK;
}

/* Milliseconds to whole seconds, rounded up (libcurl's unit for the
 * low-speed window); at least 1 when ms > 0. */
static long
fetch_ms_to_s(int64_t ms)
{
	if (ms <= 0)
		return 0;
	if (ms > (int64_t)86400 * 365 * 1000)
		ms = (int64_t)86400 * 365 * 1000;
	return (long)((ms + 999) / 1000);
}

/*
 * CURLOPT_READFUNCTION of a mail: the next bytes of our copy of the
 * message, 0 at its end.  libcurl does the dot-stuffing and the final
 * CRLF "." CRLF.
 */
static size_t
fetch_read_cb(char *buf, size_t size, size_t nitems, void *arg)
{
	struct fetch_xfer *x = arg;
	size_t n = size * nitems, left = x->upload_len - x->upload_off;

	if (n > left)
		n = left;
	if (n > 0)
		memcpy(buf, x->upload + x->upload_off, n);
	x->upload_off += n;
	return n;
}

/* CURLOPT_SEEKFUNCTION of a mail: libcurl may rewind to resend it. */
static int
fetch_seek_cb(void *arg, curl_off_t offset, int origin)
{
	struct fetch_xfer *x = arg;

	if (origin != SEEK_SET || offset < 0 ||
	    (curl_off_t)x->upload_len < offset)
		return CURL_SEEKFUNC_CANTSEEK;
	x->upload_off = (size_t)offset;
	return CURL_SEEKFUNC_OK;
}

/*
 * An SMTP path "<addr>" for MAIL FROM or RCPT TO, malloc'd; addr may come
 * with its angle brackets or without.  NULL if it is empty, longer than
 * RFC 5321 allows, or holds a control character or a bracket (anything
 * that would change the command libcurl writes).
 */
static char *
fetch_smtp_path(const char *addr)
{
	size_t n = strlen(addr), i;
	char *p;

	if (n >= 2 && addr[0] == '<' && addr[n - 1] == '>') {
		addr++;
		n -= 2;
	}
	if (n == 0 || n > FETCH_MAX_PATH)
		return NULL;
	for (i = 0; i < n; i++) {
		if ((unsigned char)addr[i] < 0x20 || addr[i] == 0x7f ||
		    addr[i] == '<' || addr[i] == '>')
			return NULL;
	}
	p = malloc(n + 3);
	if (p == NULL)
		return NULL;
	p[0] = '<';
	memcpy(p + 1, addr, n);
	p[n + 1] = '>';
	p[n + 2] = '\0';
	return p;
}

/* What the URL's scheme and the method ask for; -1 for a method we do
 * not send.  The method is not looked at for smtp:// and smtps://. */
static int
fetch_kind_of(const struct fetch_request *req, enum fetch_kind *kind)
{
	if (strncasecmp(req->url, "smtp://", 7) == 0 ||
	    strncasecmp(req->url, "smtps://", 8) == 0)
		*kind = FETCH_SMTP;
	else if (req->method == NULL || strcmp(req->method, "GET") == 0)
		*kind = FETCH_GET;
	else if (strcmp(req->method, "POST") == 0)
		*kind = FETCH_POST;
	else
		return -1;
	return 0;
}

/* The options every transfer has: callbacks, URL, timeouts, proxy, TLS. */
static int
fetch_setup_common(struct fetch_xfer *x, const struct fetch_request *req)
{
	CURL *e = x->easy;
	int bad = 0;

	bad |= curl_easy_setopt(e, CURLOPT_PRIVATE, x) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, fetch_write_cb) !=
	       CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_WRITEDATA, x) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, fetch_header_cb) !=
	       CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_HEADERDATA, x) != CURLE_OK;
	bad |= fetch_opt_str(e, CURLOPT_URL, req->url);
	bad |= fetch_opt_long(e, CURLOPT_NOSIGNAL, 1L);
	bad |= fetch_opt_long(
	    e, CURLOPT_CONNECTTIMEOUT_MS,
	    req->connect_timeout > 0 ? (long)req->connect_timeout : 0L);
	bad |= fetch_opt_long(e, CURLOPT_TIMEOUT_MS,
	                      req->timeout > 0 ? (long)req->timeout : 0L);
	if (req->low_speed_time > 0) {
		bad |= fetch_opt_long(e, CURLOPT_LOW_SPEED_LIMIT,
		                      FETCH_LOW_SPEED_LIMIT);
		bad |= fetch_opt_long(e, CURLOPT_LOW_SPEED_TIME,
		                      fetch_ms_to_s(req->low_speed_time));
	}
	/* an explicit "" also keeps libcurl away from *_proxy variables */
	bad |= fetch_opt_str(e, CURLOPT_PROXY,
	                     req->proxy != NULL ? req->proxy : "");
	bad |= fetch_opt_long(e, CURLOPT_SSL_VERIFYPEER,
	                      req->tls_verify ? 1L : 0L);
	bad |= fetch_opt_long(e, CURLOPT_SSL_VERIFYHOST,
	                      req->tls_verify ? 2L : 0L);
	if (req->ca_file != NULL) { /* these CAs only, not the system's too */
		bad |= fetch_opt_str(e, CURLOPT_CAINFO, req->ca_file);
		bad |= curl_easy_setopt(e, CURLOPT_CAPATH, NULL) != CURLE_OK;
	}
	return bad ? -1 : 0;
}

/* A GET (redirects followed) or a POST (body copied by libcurl, no
 * redirect followed), over http and https only. */
static int
fetch_setup_http(struct fetch_xfer *x, const struct fetch_request *req)
{
	CURL *e = x->easy;
	int bad = 0;

	if (x->kind == FETCH_POST) {
		bad |= fetch_opt_long(e, CURLOPT_POST, 1L);
		/* the size first: COPYPOSTFIELDS copies that many bytes */
		bad |= curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
		                        (curl_off_t)req->body_len) != CURLE_OK;
		bad |= fetch_opt_str(e, CURLOPT_COPYPOSTFIELDS,
		                     req->body != NULL ? req->body : "");
		bad |= fetch_opt_long(e, CURLOPT_FOLLOWLOCATION, 0L);
	} else {
		bad |= fetch_opt_long(e, CURLOPT_HTTPGET, 1L);
		bad |= fetch_opt_long(e, CURLOPT_FOLLOWLOCATION, 1L);
		bad |= fetch_opt_long(e, CURLOPT_MAXREDIRS,
		                      (long)FETCH_MAX_REDIRS);
	}
	bad |= fetch_opt_str(e, CURLOPT_ACCEPT_ENCODING, "");
#if LIBCURL_VERSION_NUM >= 0x075500
	bad |= fetch_opt_str(e, CURLOPT_PROTOCOLS_STR, "http,https");
	bad |= fetch_opt_str(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
	bad |= fetch_opt_long(e, CURLOPT_PROTOCOLS,
	                      CURLPROTO_HTTP | CURLPROTO_HTTPS);
	bad |= fetch_opt_long(e, CURLOPT_REDIR_PROTOCOLS,
	                      CURLPROTO_HTTP | CURLPROTO_HTTPS);
#endif
	bad |= fetch_opt_long(e, CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);
	if (req->user_agent != NULL)
		bad |= fetch_opt_str(e, CURLOPT_USERAGENT, req->user_agent);
	if (x->headers != NULL)
		bad |= curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->headers) !=
		       CURLE_OK;
	return bad ? -1 : 0;
}

/* One mail over smtp or smtps only, never redirected: the envelope and
 * the message prepared by fetch_prepare_smtp, AUTH if a user is given,
 * STARTTLS mandatory if asked for. */
static int
fetch_setup_smtp(struct fetch_xfer *x, const struct fetch_request *req)
{
	CURL *e = x->easy;
	int bad = 0;

#if LIBCURL_VERSION_NUM >= 0x075500
	bad |= fetch_opt_str(e, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
#else
	bad |= fetch_opt_long(e, CURLOPT_PROTOCOLS,
	                      CURLPROTO_SMTP | CURLPROTO_SMTPS);
#endif
	bad |= fetch_opt_long(e, CURLOPT_FOLLOWLOCATION, 0L);
	bad |= fetch_opt_str(e, CURLOPT_MAIL_FROM, x->mail_from);
	bad |= curl_easy_setopt(e, CURLOPT_MAIL_RCPT, x->rcpts) != CURLE_OK;
	bad |= fetch_opt_long(e, CURLOPT_UPLOAD, 1L);
	bad |= curl_easy_setopt(e, CURLOPT_READFUNCTION, fetch_read_cb) !=
	       CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_READDATA, x) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_SEEKFUNCTION, fetch_seek_cb) !=
	       CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_SEEKDATA, x) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE,
	                        (curl_off_t)x->upload_len) != CURLE_OK;
	if (req->username != NULL)
		bad |= fetch_opt_str(e, CURLOPT_USERNAME, req->username);
	if (req->password != NULL)
		bad |= fetch_opt_str(e, CURLOPT_PASSWORD, req->password);
	if (req->require_tls)
		bad |= fetch_opt_long(e, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	return bad ? -1 : 0;
}

/*
 * The request headers of a GET or POST: the validators (a stored one
 * that cannot be sent is dropped, not fatal) and the caller's lines (one
 * that cannot be sent is fatal).
 */
static int
fetch_prepare_http(struct fetch_xfer *x, const struct fetch_request *req)
{
	const char *const *h;

	if (req->body == NULL && req->body_len > 0)
		return -1;
	if (req->etag != NULL && req->etag[0] != '\0' &&
	    fetch_add_header(x, "If-None-Match: ", req->etag) == -1)
		log_debug("fetch: etag not sent (unsafe or too long): url=%s",
		          req->url);
	if (req->last_modified != NULL && req->last_modified[0] != '\0' &&
	    fetch_add_header(x, "If-Modified-Since: ", req->last_modified) ==
	        -1)
		log_debug("fetch: last-modified not sent: url=%s", req->url);
	for (h = req->headers; h != NULL && *h != NULL; h++) {
		if (fetch_add_header(x, "", *h) == -1) {
			log_warnx("fetch: cannot send header '%.40s': url=%s",
			          *h, req->url);
			return -1;
		}
	}
	return 0;
}

/*
 * The envelope and our own copy of the message of a mail: the request
 * is only read during fetcher_start, the message is read later.
 */
static int
fetch_prepare_smtp(struct fetch_xfer *x, const struct fetch_request *req)
{
	const char *const *r;
	struct curl_slist *l;
	char *path;
	size_t n = 0;

	if (req->mail_from == NULL || req->mail_rcpt == NULL ||
	    req->mail_rcpt[0] == NULL ||
	    (req->body == NULL && req->body_len > 0)) {
		log_warnx("fetch: mail needs a sender, a recipient and a "
		          "message: url=%s",
		          req->url);
		return -1;
	}
	x->mail_from = fetch_smtp_path(req->mail_from);
	if (x->mail_from == NULL) {
		log_warnx("fetch: cannot use sender '%.40s': url=%s",
		          req->mail_from, req->url);
		return -1;
	}
	for (r = req->mail_rcpt; *r != NULL; r++) {
		if (++n > FETCH_MAX_RCPT) {
			log_warnx("fetch: more than %d recipients: url=%s",
			          FETCH_MAX_RCPT, req->url);
			return -1;
		}
		path = fetch_smtp_path(*r);
		if (path == NULL) {
			log_warnx("fetch: cannot use recipient '%.40s': url=%s",
			          *r, req->url);
			return -1;
		}
		l = curl_slist_append(x->rcpts, path);
		free(path);
		if (l == NULL)
			return -1;
		x->rcpts = l;
	}
	if (req->body_len > 0) {
		x->upload = malloc(req->body_len);
		if (x->upload == NULL)
			return -1;
		memcpy(x->upload, req->body, req->body_len);
	}
	x->upload_len = req->body_len;
	return 0;
}

/*
 * Start one transfer: a GET, a POST or (smtp:// and smtps:// URLs) one
 * mail.  req and everything it points to are only read during the call
 * (libcurl copies the strings and the POST body, we copy the mail).  cb
 * runs once, from the loop, when the transfer is over, whatever the
 * outcome; never from inside this call, and never after fetcher_free.
 * Returns -1 (and cb never runs) if the request cannot even be started.
 */
int
fetcher_start(struct fetcher *f, const struct fetch_request *req,
              fetch_done_cb cb, void *arg)
{
	struct fetch_xfer *x;
	CURLMcode mc;
	int rc;

	if (f->dying || req->url == NULL)
		return -1;
	x = calloc(1, sizeof(*x));
	if (x == NULL)
		return -1;
	x->cb = cb;
	x->arg = arg;
	x->max_body = req->max_body;
	if (x->max_body > SIZE_MAX / 2)
		x->max_body = SIZE_MAX / 2;
	x->status = 0;
	x->max_age = x->expires = -1;
	x->retry_secs = x->retry_date = x->date = -1;
	if (fetch_kind_of(req, &x->kind) == -1) {
		log_warnx("fetch: cannot send method '%.16s': url=%s",
		          req->method, req->url);
		goto out_free;
	}
	if (x->kind == FETCH_SMTP)
		rc = fetch_prepare_smtp(x, req);
	else
		rc = fetch_prepare_http(x, req);
	if (rc == -1)
		goto out_free;
	x->easy = curl_easy_init();
	if (x->easy == NULL)
		goto out_free;
	rc = fetch_setup_common(x, req);
	if (rc == 0 && x->kind == FETCH_SMTP)
		rc = fetch_setup_smtp(x, req);
	else if (rc == 0)
		rc = fetch_setup_http(x, req);
	if (rc == -1) {
		log_warnx("fetch: libcurl refused an option: url=%s", req->url);
		goto out_free;
	}
	x->started = clock_real_ms();
	mc = curl_multi_add_handle(f->multi, x->easy);
	if (mc != CURLM_OK) {
		log_warnx("fetch: cannot start: url=%s: %s", req->url,
		          curl_multi_strerror(mc));
		goto out_free;
	}
	LIST_INSERT_HEAD(&f->xfers, x, entry);
	f->active++;
	log_debug("fetch start: url=%s", req->url);
	return 0;

out_free:
	fetch_xfer_free(x);
	return -1;
}

size_t
fetcher_active(const struct fetcher *f)
{
	return f->active;
}

/* Tear everything down; only when no libcurl call is on the stack. */
static void
fetcher_destroy(struct fetcher *f)
{
	struct fetch_xfer *x;
	struct fetch_sock *sk;

	while (!LIST_EMPTY(&f->xfers)) {
		x = LIST_FIRST(&f->xfers);
		LIST_REMOVE(x, entry);
		curl_multi_remove_handle(f->multi, x->easy);
		fetch_xfer_free(x);
	}
	f->active = 0;
	if (f->multi != NULL)
		curl_multi_cleanup(f->multi); /* may still report sockets */
	while (!LIST_EMPTY(&f->socks)) {
		sk = LIST_FIRST(&f->socks);
		fetch_sock_free(sk);
	}
	if (f->timer_ev != NULL)
		event_free(f->timer_ev);
	free(f);
}

/*
 * Cancel every transfer in flight and free the fetcher.  From the moment
 * this is called no done callback runs any more, not even for transfers
 * that had already finished.  Safe from inside a done callback (the
 * teardown then happens when the callback returns).  Takes NULL.
 */
void
fetcher_free(struct fetcher *f)
{
	if (f == NULL)
		return;
	f->dying = 1;
	if (f->entered > 0)
		return;
	fetcher_destroy(f);
}
