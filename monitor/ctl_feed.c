/*
 * ctl_feed.c: `yuqingctl feed-dump FILE|URL` prints what the monitor sees
 * in a feed, through the same fetch and parse code the daemon runs: one
 * JSON object per item, then one with the feed's metadata and warnings.
 * Exit 0 if the feed is usable, 1 if not (the reason on stderr), 2 on a
 * usage error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "monitor/monitor.h"

#define FEED_DUMP_MAX_FILE (16 << 20)

struct feed_dump {
	const char *charset;
	const char *base;
	const char *zone;
	int64_t now;
	int usable;
	char *body;
	size_t len;
	char *http_charset;
	char *effective_url;
	char error[300];
	int done;
};

static void
feed_dump_usage(FILE *out)
{
	fprintf(out,
	        "usage: yuqingctl feed-dump [--charset CS] [--base URL] "
	        "[--zone ZONE] [--now ISO] FILE|URL\n"
	        "Print one JSON object per item the monitor sees in the feed, "
	        "then one\nwith the feed's metadata (format, charset used, "
	        "recovered or not, why).\n"
	        "  --charset CS  the charset an HTTP server would announce\n"
	        "  --base URL    the document's URL, for relative links\n"
	        "  --zone ZONE   zone for dates without one (Asia/Shanghai)\n"
	        "  --now ISO     what \"now\" is (dates after now+10min are "
	        "ignored)\n"
	        "Exit status: 0 usable feed, 1 unusable (reason on stderr), 2 "
	        "usage.\n");
}

static json_t *
feed_dump_time(int64_t ms)
{
	char buf[40];

	if (ms < 0 || clock_format(ms, buf, sizeof(buf)) == 0)
		return json_null();
	return json_string(buf);
}

static json_t *
feed_dump_str(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

static void
feed_dump_print(json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT);

	json_decref(o);
	if (s != NULL) {
		puts(s);
		free(s);
	}
}

static void
feed_dump_items(const struct feed_doc *doc, int64_t now)
{
	const struct feed_item *it;
	char hash[20];
	json_t *o, *stats;
	size_t i;

	for (i = 0; i < doc->nitems; i++) {
		it = &doc->items[i];
		stats = json_null();
		if (it->stats.present)
			stats =
			    json_pack("{s:I, s:I, s:I}", "reposts",
			              (json_int_t)it->stats.reposts, "comments",
			              (json_int_t)it->stats.comments, "likes",
			              (json_int_t)it->stats.likes);
		snprintf(hash, sizeof(hash), "%016llx",
		         (unsigned long long)it->content_hash);
		o = json_object();
		json_object_set_new(o, "key", feed_dump_str(it->key));
		json_object_set_new(o, "guid", feed_dump_str(it->guid));
		json_object_set_new(o, "title", feed_dump_str(it->title));
		json_object_set_new(o, "link", feed_dump_str(it->link));
		json_object_set_new(o, "text", feed_dump_str(it->text));
		json_object_set_new(o, "author", feed_dump_str(it->author));
		json_object_set_new(o, "published",
		                    feed_dump_time(it->published));
		json_object_set_new(o, "published_raw",
		                    feed_dump_str(it->published_raw));
		json_object_set_new(o, "updated", feed_dump_time(it->updated));
		json_object_set_new(o, "first_seen", feed_dump_time(now));
		json_object_set_new(o, "stats", stats);
		json_object_set_new(o, "content_hash", json_string(hash));
		feed_dump_print(o);
	}
}

static void
feed_dump_meta(const struct feed_doc *doc, int usable)
{
	json_t *feed = json_object(), *o;

	json_object_set_new(feed, "format",
	                    json_string(feed_format_name(doc->format)));
	json_object_set_new(feed, "title", feed_dump_str(doc->title));
	json_object_set_new(feed, "link", feed_dump_str(doc->link));
	json_object_set_new(feed, "charset", feed_dump_str(doc->charset));
	json_object_set_new(feed, "charset_from",
	                    feed_dump_str(doc->charset_from));
	json_object_set_new(feed, "charset_errors",
	                    json_integer((json_int_t)doc->charset_errors));
	json_object_set_new(feed, "recovered", json_boolean(doc->recovered));
	json_object_set_new(feed, "reason",
	                    doc->reason[0] ? json_string(doc->reason)
	                                   : json_null());
	json_object_set_new(feed, "ttl_s",
	                    doc->ttl >= 0 ? json_integer(doc->ttl / 1000)
	                                  : json_null());
	json_object_set_new(feed, "items",
	                    json_integer((json_int_t)doc->nitems));
	json_object_set_new(feed, "dropped",
	                    json_integer((json_int_t)doc->dropped));
	json_object_set_new(feed, "usable", json_boolean(usable));
	o = json_object();
	json_object_set_new(o, "feed", feed);
	feed_dump_print(o);
}

/* Read a file of at most FEED_DUMP_MAX_FILE bytes. */
static int
feed_dump_read(const char *path, struct feed_dump *fd)
{
	FILE *f = fopen(path, "rb");
	size_t cap = FEED_DUMP_MAX_FILE + 1;

	if (f == NULL) {
		snprintf(fd->error, sizeof(fd->error), "cannot open '%s': %s",
		         path, strerror(errno));
		return -1;
	}
	fd->body = malloc(cap);
	if (fd->body == NULL) {
		fclose(f);
		return -1;
	}
	fd->len = fread(fd->body, 1, cap, f);
	fclose(f);
	if (fd->len > FEED_DUMP_MAX_FILE) {
		snprintf(fd->error, sizeof(fd->error),
		         "'%s' is larger than %d bytes", path,
		         FEED_DUMP_MAX_FILE);
		return -1;
	}
	return 0;
}

static void
feed_dump_fetched_cb(const struct fetch_result *res, void *arg)
{
	struct feed_dump *fd = arg;

	fd->done = 1;
	if (!res->transport_ok) {
		snprintf(fd->error, sizeof(fd->error), "%s", res->error);
		return;
	}
	if (res->status < 200 || res->status > 299) {
		snprintf(fd->error, sizeof(fd->error), "HTTP status %ld",
		         res->status);
		return;
	}
	fd->body = malloc(res->body_len + 1);
	if (fd->body == NULL)
		return;
	memcpy(fd->body, res->body, res->body_len);
	fd->len = res->body_len;
	if (res->charset != NULL)
		fd->http_charset = strdup(res->charset);
	if (res->effective_url != NULL)
		fd->effective_url = strdup(res->effective_url);
}

/* Fetch a URL with the daemon's fetcher on a private loop. */
static int
feed_dump_fetch(const char *url, struct feed_dump *fd)
{
	struct event_base *base = event_base_new();
	struct fetcher *fe;
	struct fetch_request rq;

	if (base == NULL)
		return -1;
	fe = fetcher_new(base);
	memset(&rq, 0, sizeof(rq));
	rq.url = url;
	rq.user_agent = "yuqing-monitor/" YQ_VERSION;
	rq.tls_verify = 1;
	rq.max_body = 16 << 20;
	rq.connect_timeout = 10000;
	rq.timeout = 60000;
	rq.low_speed_time = 30000;
	if (fe == NULL || fetcher_start(fe, &rq, feed_dump_fetched_cb, fd)) {
		snprintf(fd->error, sizeof(fd->error), "cannot start fetch");
		fetcher_free(fe);
		event_base_free(base);
		return -1;
	}
	while (!fd->done && event_base_loop(base, EVLOOP_ONCE) == 0)
		;
	fetcher_free(fe);
	event_base_free(base);
	return fd->body != NULL ? 0 : -1;
}

int
ctl_feed_dump(int argc, char **argv)
{
	struct feed_dump fd;
	struct feed_parse_opts po;
	struct feed_doc doc;
	const char *src = NULL, *now_iso = NULL;
	char base[4200];
	int i, rc;

	memset(&fd, 0, sizeof(fd));
	fd.zone = "Asia/Shanghai";
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			feed_dump_usage(stdout);
			return 0;
		} else if (strcmp(a, "--charset") == 0 && i + 1 < argc) {
			fd.charset = argv[++i];
		} else if (strcmp(a, "--base") == 0 && i + 1 < argc) {
			fd.base = argv[++i];
		} else if (strcmp(a, "--zone") == 0 && i + 1 < argc) {
			fd.zone = argv[++i];
		} else if (strcmp(a, "--now") == 0 && i + 1 < argc) {
			now_iso = argv[++i];
		} else if (a[0] == '-' && a[1] != '\0') {
			feed_dump_usage(stderr);
			return 2;
		} else if (src == NULL) {
			src = a;
		} else {
			feed_dump_usage(stderr);
			return 2;
		}
	}
	if (src == NULL || !config_zone_ok(fd.zone)) {
		if (src != NULL)
			fprintf(stderr, "yuqingctl: unknown zone '%s'\n",
			        fd.zone);
		feed_dump_usage(stderr);
		return 2;
	}
	clock_set_zone("Asia/Shanghai");
	clock_init(1.0, -1);
	fd.now = clock_now_ms();
	if (now_iso != NULL && clock_parse_iso8601(now_iso, &fd.now) == -1) {
		fprintf(stderr, "yuqingctl: --now: '%s' is not ISO 8601\n",
		        now_iso);
		return 2;
	}
	if (strncmp(src, "http://", 7) == 0 ||
	    strncmp(src, "https://", 8) == 0) {
		rc = feed_dump_fetch(src, &fd);
		snprintf(base, sizeof(base), "%s",
		         fd.effective_url != NULL ? fd.effective_url : src);
	} else {
		rc = feed_dump_read(src, &fd);
		if (src[0] == '/')
			snprintf(base, sizeof(base), "file://%s", src);
		else
			snprintf(base, sizeof(base), "%s", src);
	}
	if (rc == -1) {
		fprintf(stderr, "yuqingctl: feed-dump: %s\n",
		        fd.error[0] ? fd.error : "cannot read the feed");
		free(fd.body);
		free(fd.http_charset);
		free(fd.effective_url);
		return 1;
	}
	memset(&po, 0, sizeof(po));
	po.url = fd.base != NULL ? fd.base : base;
	po.http_charset = fd.charset != NULL ? fd.charset : fd.http_charset;
	po.dates.zone = fd.zone;
	po.dates.chinese = 1;
	po.now = fd.now;
	rc = feed_parse(fd.body, fd.len, &po, &doc);
	feed_dump_items(&doc, fd.now);
	feed_dump_meta(&doc, rc == 0);
	if (rc != 0)
		fprintf(stderr, "yuqingctl: feed-dump: not a usable feed: %s\n",
		        doc.reason);
	feed_doc_clear(&doc);
	free(fd.body);
	free(fd.http_charset);
	free(fd.effective_url);
	return rc == 0 ? 0 : 1;
}
