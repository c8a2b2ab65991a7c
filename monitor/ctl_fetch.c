/*
 * ctl_fetch.c: `yuqingctl fetch URL` fetches one URL exactly as the daemon
 * does (feeds/fetch.c on a private event loop) and prints what came back
 * as one JSON object, for operators checking a feed and for the tests.
 * With --post it POSTs a body as the alert webhooks do, and to an
 * smtp(s):// URL it sends that body as one mail, as the mail channel does.
 */
#include <errno.h>
#include <event2/event.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "monitor/monitor.h"

#define CTL_FETCH_MAX_HEADERS 64
#define CTL_FETCH_MAX_RCPT    64
#define CTL_FETCH_MAX_POST    (16 << 20) /* bytes of --post FILE */

static const char ctl_fetch_usage[] =
    "usage: yuqingctl fetch [--etag E] [--last-modified LM] [--max-body N]\n"
    "                       [--timeout SEC] [--connect-timeout SEC]\n"
    "                       [--low-speed-time SEC] [--user-agent UA]\n"
    "                       [--proxy URL] [--header \"Name: value\"]...\n"
    "                       [--insecure] [--body] [--post FILE|-]\n"
    "                       [--mail-from ADDR] [--mail-rcpt ADDR]...\n"
    "                       [--user NAME] [--password-env VAR]\n"
    "                       [--require-tls] [--ca-file PEM] URL\n";

static const char ctl_fetch_help[] =
    "Fetch URL as the daemon does (conditional GET, decoding, caps,\n"
    "timeouts, redirects) and print the result as one JSON object:\n"
    "status, transport_ok, error, body_len, content_type, charset, etag,\n"
    "last_modified, permanent_location, redirects, retry_after_ms,\n"
    "max_age_ms, expires (epoch ms) and latency_ms; absent values are\n"
    "null.  --body adds the body, as \"body\" if it is UTF-8 text, else\n"
    "as \"body_base64\".  SEC is seconds (\"2\", \"0.5\") or a duration\n"
    "(\"500ms\", \"1m\").  Defaults: --max-body 16777216, --timeout 60,\n"
    "--connect-timeout 10, --low-speed-time 30, --user-agent\n"
    "yuqing-monitor/" YQ_VERSION ".\n"
    "--post FILE (- for stdin) sends the file's bytes as a POST that\n"
    "follows no redirect; --header sets its Content-Type.  To an\n"
    "smtp:// or smtps:// URL the file is sent as one mail (RFC 5322,\n"
    "CRLF line ends) from --mail-from to every --mail-rcpt, with AUTH as\n"
    "--user and the password in the environment variable named by\n"
    "--password-env; --require-tls makes STARTTLS mandatory on smtp://.\n"
    "--ca-file verifies TLS peers against the CAs in PEM instead of the\n"
    "system's.\n"
    "status is then the last SMTP reply code.\n"
    "Exit status: 0 if a response with status 200-399 came back (200-299\n"
    "for a POST, the mail taken for SMTP), 1 otherwise, 2 on a usage\n"
    "error.\n";

/* What the done callback leaves for the command. */
struct ctl_fetch_ctx {
	struct event_base *base;
	int want_body;
	int only_2xx; /* POST and mail: a 3xx is not a success */
	int done;
	int interrupted;
	int ok;
	json_t *doc;
};

/* A duration in ms from "2", "0.5" (seconds) or "500ms", "1m". */
static int
ctl_fetch_seconds(const char *s, int64_t *ms)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end != s && *end == '\0' && errno == 0) {
		if (!isfinite(v) || v < 0 || v > 86400.0 * 365)
			return -1;
		*ms = (int64_t)(v * 1000.0 + 0.5);
		return 0;
	}
	return config_duration_parse(s, ms);
}

/* A byte count: decimal digits only. */
static int
ctl_fetch_size(const char *s, size_t *n)
{
	unsigned long long v;
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end != '\0' || errno != 0 || v > SIZE_MAX / 2)
		return -1;
	*n = (size_t)v;
	return 0;
}

/* Base64 (RFC 4648, padded) of len bytes; malloc'd, NULL on overflow. */
static char *
ctl_fetch_base64(const unsigned char *p, size_t len)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                          "abcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i, o = 0, outlen;
	unsigned long v;
	char *out;

	if (len > (SIZE_MAX - 1) / 4 * 3 - 3)
		return NULL;
	outlen = (len + 2) / 3 * 4;
	out = malloc(outlen + 1);
	if (out == NULL)
		return NULL;
	for (i = 0; i + 2 < len; i += 3) {
		v = (unsigned long)p[i] << 16 | (unsigned long)p[i + 1] << 8 |
		    p[i + 2];
		out[o++] = tab[(v >> 18) & 63];
		out[o++] = tab[(v >> 12) & 63];
		out[o++] = tab[(v >> 6) & 63];
		out[o++] = tab[v & 63];
	}
	if (i < len) {
		v = (unsigned long)p[i] << 16;
		if (i + 1 < len)
			v |= (unsigned long)p[i + 1] << 8;
		out[o++] = tab[(v >> 18) & 63];
		out[o++] = tab[(v >> 12) & 63];
		out[o++] = i + 1 < len ? tab[(v >> 6) & 63] : '=';
		out[o++] = '=';
	}
	out[o] = '\0';
	return out;
}

/* -1 (absent) becomes null. */
static json_t *
ctl_fetch_ms(int64_t v)
{
	return v < 0 ? json_null() : json_integer((json_int_t)v);
}

/* Add the body to doc: as text if it is valid UTF-8, else base64. */
static int
ctl_fetch_add_body(json_t *doc, const struct fetch_result *res)
{
	json_t *s;
	char *b64;

	if (res->body == NULL)
		return json_object_set_new(doc, "body", json_null());
	s = json_stringn(res->body, res->body_len);
	if (s != NULL)
		return json_object_set_new(doc, "body", s);
	b64 = ctl_fetch_base64((const unsigned char *)res->body, res->body_len);
	if (b64 == NULL)
		return -1;
	s = json_string(b64);
	free(b64);
	return json_object_set_new(doc, "body_base64", s);
}

/*
 * A string for the JSON document, or null.  jansson takes UTF-8 only;
 * header values are bytes and may not be (ETag and the like were once
 * ISO-8859-1), so a value that is not UTF-8 is read as Latin-1.
 */
static json_t *
ctl_fetch_str(const char *s)
{
	const unsigned char *p;
	json_t *j;
	char *u;
	size_t n = 0;

	if (s == NULL)
		return json_null();
	j = json_string(s);
	if (j != NULL)
		return j;
	u = malloc(strlen(s) * 2 + 1);
	if (u == NULL)
		return NULL;
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p < 0x80) {
			u[n++] = (char)*p;
		} else {
			u[n++] = (char)(0xc0 | (*p >> 6));
			u[n++] = (char)(0x80 | (*p & 0x3f));
		}
	}
	u[n] = '\0';
	j = json_string(u);
	free(u);
	return j;
}

/* The result lives only for this call: copy it into a JSON document. */
static void
ctl_fetch_done_cb(const struct fetch_result *res, void *arg)
{
	struct ctl_fetch_ctx *ctx = arg;
	json_t *doc;

	ctx->done = 1;
	ctx->ok = res->transport_ok && res->status >= 200 &&
	          res->status <= (ctx->only_2xx ? 299 : 399);
	/* clang-format off */
	doc = json_pack("{s:I, s:b, s:o, s:I, s:o, s:o, s:o, s:o, s:o, s:i,"
	                " s:o, s:o, s:o, s:I}",
	    "status", (json_int_t)res->status,
	    "transport_ok", res->transport_ok,
	    "error", ctl_fetch_str(res->error[0] ? res->error : NULL),
	    "body_len", (json_int_t)res->body_len,
	    "content_type", ctl_fetch_str(res->content_type),
	    "charset", ctl_fetch_str(res->charset),
	    "etag", ctl_fetch_str(res->etag),
	    "last_modified", ctl_fetch_str(res->last_modified),
	    "permanent_location", ctl_fetch_str(res->permanent_location),
	    "redirects", res->redirects,
	    "retry_after_ms", ctl_fetch_ms(res->retry_after),
	    "max_age_ms", ctl_fetch_ms(res->max_age),
	    "expires", ctl_fetch_ms(res->expires),
	    "latency_ms", (json_int_t)res->latency);
	/* clang-format on */
	if (doc != NULL && ctx->want_body &&
	    ctl_fetch_add_body(doc, res) == -1) {
		json_decref(doc);
		doc = NULL;
	}
	ctx->doc = doc;
	event_base_loopbreak(ctx->base);
}

/* SIGINT or SIGTERM: stop waiting; the transfer is cancelled. */
static void
ctl_fetch_signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct ctl_fetch_ctx *ctx = arg;

	(void)sig;
	(void)what;
	ctx->interrupted = 1;
	event_base_loopbreak(ctx->base);
}

/*
 * Run one fetch on a private loop; 0 or 1 as the usage says.  A signal
 * (INT, TERM) cancels the transfer in flight: nothing is printed on
 * stdout and the status is 1.
 */
static int
ctl_fetch_run(const struct fetch_request *req, int want_body, int only_2xx)
{
	struct ctl_fetch_ctx ctx;
	struct event *sigint = NULL, *sigterm = NULL;
	struct fetcher *f;
	char *text;
	int rc = 1;

	memset(&ctx, 0, sizeof(ctx));
	ctx.want_body = want_body;
	ctx.only_2xx = only_2xx;
	ctx.base = event_base_new();
	if (ctx.base == NULL) {
		fprintf(stderr, "yuqingctl: cannot create an event loop\n");
		return 1;
	}
	sigint = evsignal_new(ctx.base, SIGINT, ctl_fetch_signal_cb, &ctx);
	sigterm = evsignal_new(ctx.base, SIGTERM, ctl_fetch_signal_cb, &ctx);
	if (sigint == NULL || sigterm == NULL || evsignal_add(sigint, NULL) ||
	    evsignal_add(sigterm, NULL)) {
		fprintf(stderr, "yuqingctl: cannot watch signals\n");
		goto out_signals;
	}
	f = fetcher_new(ctx.base);
	if (f == NULL) {
		fprintf(stderr, "yuqingctl: cannot set up libcurl\n");
		goto out_signals;
	}
	if (fetcher_start(f, req, ctl_fetch_done_cb, &ctx) == -1) {
		fprintf(stderr, "yuqingctl: cannot start fetching '%s'\n",
		        req->url);
		goto out_fetcher;
	}
	while (!ctx.done && !ctx.interrupted) {
		if (event_base_dispatch(ctx.base) != 0)
			break;
	}
	if (ctx.interrupted && !ctx.done) {
		fprintf(stderr,
		        "yuqingctl: interrupted; fetch of '%s' "
		        "cancelled\n",
		        req->url);
		goto out_fetcher;
	}
	if (!ctx.done || ctx.doc == NULL) {
		fprintf(stderr, "yuqingctl: fetch of '%s' did not complete\n",
		        req->url);
		goto out_fetcher;
	}
	text = json_dumps(ctx.doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (text == NULL) {
		fprintf(stderr, "yuqingctl: cannot format the result\n");
		goto out_fetcher;
	}
	printf("%s\n", text);
	free(text);
	rc = ctx.ok ? 0 : 1;
out_fetcher:
	json_decref(ctx.doc);
	fetcher_free(f);
out_signals:
	if (sigint != NULL)
		event_free(sigint);
	if (sigterm != NULL)
		event_free(sigterm);
	event_base_free(ctx.base);
	if (fflush(stdout) == EOF)
		rc = 1;
	return rc;
}

static int
ctl_fetch_bad(const char *opt, const char *why)
{
	fprintf(stderr, "yuqingctl fetch: %s %s\n%s", opt, why,
	        ctl_fetch_usage);
	return 2;
}

/*
 * The bytes of path ("-": stdin), at most CTL_FETCH_MAX_POST, into *buf
 * (malloc'd, the caller frees; not NUL-terminated) and *len.  -1 with a
 * message on stderr if the file cannot be read or is too big.
 */
static int
ctl_fetch_read_post(const char *path, char **buf, size_t *len)
{
	FILE *fp;
	char *b = NULL, *nb;
	size_t n = 0, cap = 0, got;
	int rc = -1;

	fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	if (fp == NULL) {
		fprintf(stderr, "yuqingctl fetch: cannot open '%s': %s\n", path,
		        strerror(errno));
		return -1;
	}
	for (;;) {
		if (n == cap) {
			if (cap > CTL_FETCH_MAX_POST) {
				fprintf(stderr,
				        "yuqingctl fetch: '%s' is larger than "
				        "%d bytes\n",
				        path, CTL_FETCH_MAX_POST);
				goto out_close;
			}
			cap = cap == 0 ? 8192 : cap * 2;
			if (cap > CTL_FETCH_MAX_POST)
				cap =
				    CTL_FETCH_MAX_POST + 1; /* tells too big */
			nb = realloc(b, cap);
			if (nb == NULL) {
				fprintf(stderr,
				        "yuqingctl fetch: out of "
				        "memory reading '%s'\n",
				        path);
				goto out_close;
			}
			b = nb;
		}
		got = fread(b + n, 1, cap - n, fp);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(fp)) {
		fprintf(stderr, "yuqingctl fetch: cannot read '%s'\n", path);
		goto out_close;
	}
	if (n > CTL_FETCH_MAX_POST) {
		fprintf(stderr,
		        "yuqingctl fetch: '%s' is larger than %d bytes\n", path,
		        CTL_FETCH_MAX_POST);
		goto out_close;
	}
	*buf = b;
	*len = n;
	b = NULL;
	rc = 0;
out_close:
	free(b);
	if (fp != stdin)
		fclose(fp);
	return rc;
}

/* Is url one that fetch.c sends as a mail? */
static int
ctl_fetch_is_mail(const char *url)
{
	return strncasecmp(url, "smtp://", 7) == 0 ||
	       strncasecmp(url, "smtps://", 8) == 0;
}

/*
 * The options that only make sense with the URL, checked once it is
 * known: the envelope for a mail, none of it for HTTP.  2 on a usage
 * error, else 0.
 */
static int
ctl_fetch_check_mail(const struct fetch_request *req, size_t nrcpt,
                     const char *post_path, const char *password_env)
{
	if (!ctl_fetch_is_mail(req->url)) {
		if (req->mail_from != NULL || nrcpt > 0 ||
		    req->username != NULL || password_env != NULL ||
		    req->require_tls)
			return ctl_fetch_bad(
			    "--mail-from, --mail-rcpt, --user, "
			    "--password-env and --require-tls",
			    "are for smtp:// and smtps:// URLs");
		return 0;
	}
	if (req->mail_from == NULL || nrcpt == 0 || post_path == NULL)
		return ctl_fetch_bad(
		    "a mail", "needs --mail-from, --mail-rcpt and --post");
	if (password_env != NULL && req->username == NULL)
		return ctl_fetch_bad("--password-env", "needs --user");
	if (password_env != NULL && req->password == NULL)
		return ctl_fetch_bad("--password-env",
		                     "names a variable that is not set");
	return 0;
}

/*
 * yuqingctl fetch [options] URL.  Options take their value as the next
 * argument; --header may repeat (at most CTL_FETCH_MAX_HEADERS), and so
 * may --mail-rcpt (CTL_FETCH_MAX_RCPT).  The SMTP password is read from
 * the environment, never from argv (which any local user can see).
 */
int
ctl_fetch(int argc, char **argv)
{
	const char *headers[CTL_FETCH_MAX_HEADERS + 1];
	const char *rcpts[CTL_FETCH_MAX_RCPT + 1];
	struct fetch_request req;
	size_t nheaders = 0, nrcpt = 0;
	const char *opt, *val, *post_path = NULL, *password_env = NULL;
	char *post = NULL;
	int i, rc, want_body = 0;

	memset(&req, 0, sizeof(req));
	req.user_agent = "yuqing-monitor/" YQ_VERSION;
	req.tls_verify = 1;
	req.max_body = 16 << 20;
	req.timeout = 60 * 1000;
	req.connect_timeout = 10 * 1000;
	req.low_speed_time = 30 * 1000;
	for (i = 1; i < argc; i++) {
		opt = argv[i];
		if (strcmp(opt, "--help") == 0 || strcmp(opt, "-h") == 0) {
			printf("%s\n%s", ctl_fetch_usage, ctl_fetch_help);
			return 0;
		}
		if (strcmp(opt, "--insecure") == 0) {
			req.tls_verify = 0;
			continue;
		}
		if (strcmp(opt, "--body") == 0) {
			want_body = 1;
			continue;
		}
		if (strcmp(opt, "--require-tls") == 0) {
			req.require_tls = 1;
			continue;
		}
		if (strcmp(opt, "--") == 0) {
			i++;
			break;
		}
		if (strncmp(opt, "--", 2) != 0)
			break;
		if (i + 1 >= argc)
			return ctl_fetch_bad(opt, "needs a value");
		val = argv[++i];
		if (strcmp(opt, "--etag") == 0) {
			req.etag = val;
		} else if (strcmp(opt, "--last-modified") == 0) {
			req.last_modified = val;
		} else if (strcmp(opt, "--user-agent") == 0) {
			req.user_agent = val;
		} else if (strcmp(opt, "--proxy") == 0) {
			req.proxy = val;
		} else if (strcmp(opt, "--ca-file") == 0) {
			req.ca_file = val;
		} else if (strcmp(opt, "--header") == 0) {
			if (nheaders == CTL_FETCH_MAX_HEADERS)
				return ctl_fetch_bad(opt, "given too often");
			if (strchr(val, ':') == NULL &&
			    strchr(val, ';') == NULL)
				return ctl_fetch_bad(opt,
				                     "wants \"Name: value\"");
			headers[nheaders++] = val;
		} else if (strcmp(opt, "--post") == 0) {
			post_path = val;
		} else if (strcmp(opt, "--mail-from") == 0) {
			req.mail_from = val;
		} else if (strcmp(opt, "--mail-rcpt") == 0) {
			if (nrcpt == CTL_FETCH_MAX_RCPT)
				return ctl_fetch_bad(opt, "given too often");
			rcpts[nrcpt++] = val;
		} else if (strcmp(opt, "--user") == 0) {
			req.username = val;
		} else if (strcmp(opt, "--password-env") == 0) {
			password_env = val;
			req.password = getenv(val);
		} else if (strcmp(opt, "--max-body") == 0) {
			if (ctl_fetch_size(val, &req.max_body) == -1)
				return ctl_fetch_bad(opt, "wants a byte count");
		} else if (strcmp(opt, "--timeout") == 0) {
			if (ctl_fetch_seconds(val, &req.timeout) == -1)
				return ctl_fetch_bad(opt, "wants seconds");
		} else if (strcmp(opt, "--connect-timeout") == 0) {
			if (ctl_fetch_seconds(val, &req.connect_timeout) == -1)
				return ctl_fetch_bad(opt, "wants seconds");
		} else if (strcmp(opt, "--low-speed-time") == 0) {
			if (ctl_fetch_seconds(val, &req.low_speed_time) == -1)
				return ctl_fetch_bad(opt, "wants seconds");
		} else {
			return ctl_fetch_bad(opt, "is not an option");
		}
	}
	if (i != argc - 1) {
		fputs(ctl_fetch_usage, stderr);
		return 2;
	}
	req.url = argv[i];
	headers[nheaders] = NULL;
	req.headers = nheaders > 0 ? headers : NULL;
	rcpts[nrcpt] = NULL;
	req.mail_rcpt = nrcpt > 0 ? rcpts : NULL;
	rc = ctl_fetch_check_mail(&req, nrcpt, post_path, password_env);
	if (rc != 0)
		return rc;
	if (post_path != NULL) {
		if (ctl_fetch_read_post(post_path, &post, &req.body_len) == -1)
			return 2;
		req.body = post;
		if (!ctl_fetch_is_mail(req.url))
			req.method = "POST";
	}
	signal(SIGPIPE, SIG_IGN);
	rc = ctl_fetch_run(&req, want_body, post_path != NULL);
	free(post);
	return rc;
}
