/*
 * ctl_api.c: the yuqingctl commands that talk to a running daemon through
 * its JSON API (alerts/api.c): list, show, ack, respond, dismiss, reopen.
 * The daemon's address comes from the configuration (-c, default
 * /etc/yuqing/yuqing.conf: http.listen) or --url; the token from the
 * environment variable YQ_TOKEN or --token-file (never from argv, where
 * other users could read it).  Tables by default (times in the
 * configured zone, time left as "2h13m"), --json for scripts.
 * Exit codes: 0 done, 1 the daemon said no (4xx/5xx: the error printed),
 * 2 usage, 3 the daemon cannot be reached.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alerts/alerts.h"
#include "monitor/monitor.h"

#define CTL_API_MAX (8 << 20) /* bytes of an answer */

struct ctl_api {
	char url[512];
	char token[300];
	int json;
	const char *zone;
	struct config *conf;
};

struct ctl_buf {
	char *s;
	size_t len;
};

static size_t
ctl_api_write(char *p, size_t size, size_t n, void *arg)
{
	struct ctl_buf *b = arg;
	char *ns;

	if (b->len + size * n > CTL_API_MAX)
		return 0;
	ns = realloc(b->s, b->len + size * n + 1);
	if (ns == NULL)
		return 0;
	b->s = ns;
	memcpy(b->s + b->len, p, size * n);
	b->len += size * n;
	b->s[b->len] = '\0';
	return size * n;
}

/* One request; the answer's JSON in *doc (or, raw non-NULL, its bytes
 * printed there as they came).  Returns the exit code. */
static int
ctl_api_fetch(struct ctl_api *a, const char *method, const char *path,
              const char *body, json_t **doc, FILE *raw)
{
	CURL *c = curl_easy_init();
	struct curl_slist *h = NULL;
	struct ctl_buf b = {NULL, 0};
	char url[1024], auth[400];
	long status = 0;
	CURLcode rc;
	json_error_t e;

	*doc = NULL;
	if (c == NULL)
		return 3;
	snprintf(url, sizeof(url), "%s%s", a->url, path);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", a->token);
	h = curl_slist_append(h, auth);
	h = curl_slist_append(h, "Content-Type: application/json");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, ctl_api_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_PROXY, "");
	if (strcmp(method, "POST") == 0)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS,
		                 body != NULL ? body : "{}");
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	explicit_bzero(auth, sizeof(auth));
	if (rc != CURLE_OK) {
		fprintf(stderr,
		        "yuqingctl: cannot reach the daemon at %s: %s\n",
		        a->url, curl_easy_strerror(rc));
		free(b.s);
		return 3;
	}
	if (raw != NULL && status < 400) {
		if (b.s != NULL)
			fwrite(b.s, 1, b.len, raw);
		free(b.s);
		return 0;
	}
	*doc = b.s != NULL ? json_loads(b.s, 0, &e) : NULL;
	free(b.s);
	if (status >= 400) {
		const char *msg =
		    json_string_value(json_object_get(*doc, "error"));

		fprintf(stderr, "yuqingctl: %ld: %s\n", status,
		        msg != NULL ? msg : "(no message)");
		return 1;
	}
	if (*doc == NULL) {
		fprintf(stderr, "yuqingctl: the daemon's answer is not JSON\n");
		return 1;
	}
	return 0;
}

static int
ctl_api_call(struct ctl_api *a, const char *method, const char *path,
             const char *body, json_t **doc)
{
	return ctl_api_fetch(a, method, path, body, doc, NULL);
}

/* "2h13m" for a span of ms ("-1h05m" past). */
static void
ctl_span(int64_t ms, char *out, size_t len)
{
	int neg = ms < 0;
	int64_t m = (neg ? -ms : ms) / 60000;

	if (m >= 24 * 60)
		snprintf(out, len, "%s%lldd%02lldh", neg ? "-" : "",
		         (long long)(m / 1440), (long long)(m % 1440 / 60));
	else
		snprintf(out, len, "%s%lldh%02lldm", neg ? "-" : "",
		         (long long)(m / 60), (long long)(m % 60));
}

static void
ctl_when(int64_t ms, char *out, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL)
		snprintf(out, len, "-");
	else
		strftime(out, len, "%m-%d %H:%M", &tm);
}

static void
ctl_print_list(const json_t *doc)
{
	const json_t *incs = json_object_get(doc, "incidents"), *i;
	const json_t *jnow = json_object_get(doc, "now");
	/* time left on the daemon's clock when it says (a fast clock runs
	 * ahead of the wall), else on the wall clock */
	int64_t now = json_is_integer(jnow) ? json_integer_value(jnow)
	                                    : (int64_t)time(NULL) * 1000;
	size_t n;

	printf("%-19s %-8s %-12s %-11s %-9s %s\n", "ID", "CLASS", "STATE",
	       "NEXT DUE", "LEFT", "TITLE");
	json_array_foreach(incs, n, i)
	{
		const json_t *due = json_object_get(i, "next_due");
		char when[32] = "-", left[32] = "-";

		if (json_is_integer(due)) {
			ctl_when(json_integer_value(due), when, sizeof(when));
			ctl_span(json_integer_value(due) - now, left,
			         sizeof(left));
		}
		printf("%-19s %-8s %-12s %-11s %-9s %s\n",
		       json_string_value(json_object_get(i, "id")),
		       json_string_value(json_object_get(i, "class")),
		       json_string_value(json_object_get(i, "state")), when,
		       left, json_string_value(json_object_get(i, "title")));
	}
	if (json_array_size(incs) == 0)
		printf("(no incidents)\n");
}

static void
ctl_print_incident(const json_t *inc)
{
	const json_t *ms, *m;
	size_t n;

	printf("%s  %s\n", json_string_value(json_object_get(inc, "id")),
	       json_string_value(json_object_get(inc, "title")));
	printf("  class %s, grade %s, state %s, %s\n",
	       json_string_value(json_object_get(inc, "class")),
	       json_string_value(json_object_get(inc, "grade")),
	       json_string_value(json_object_get(inc, "state")),
	       json_string_value(json_object_get(inc, "category")));
	ms = json_object_get(inc, "milestones");
	json_array_foreach(ms, n, m)
	{
		char due[32];

		ctl_when(json_integer_value(json_object_get(m, "due")), due,
		         sizeof(due));
		printf("  %-9s due %s  %s\n",
		       json_string_value(json_object_get(m, "name")), due,
		       json_string_value(json_object_get(m, "state")));
	}
}

static void
ctl_api_close(struct ctl_api *a)
{
	explicit_bzero(a->token, sizeof(a->token));
	config_free(a->conf);
	a->conf = NULL;
}

/* The options every API command shares; the rest stays in argv. */
static int
ctl_api_open(struct ctl_api *a, int *argc, char **argv, const char *usage)
{
	const char *cfile = "/etc/yuqing/yuqing.conf", *url = NULL,
	           *tfile = NULL, *env;
	struct config_errors errs = {0};
	int i, o = 1;

	memset(a, 0, sizeof(*a));
	for (i = 1; i < *argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			a->json = 1;
		else if (strcmp(argv[i], "-c") == 0 && i + 1 < *argc)
			cfile = argv[++i];
		else if (strcmp(argv[i], "--url") == 0 && i + 1 < *argc)
			url = argv[++i];
		else if (strcmp(argv[i], "--token-file") == 0 && i + 1 < *argc)
			tfile = argv[++i];
		else if (strcmp(argv[i], "--help") == 0) {
			printf("%s  -c CONF        the daemon's configuration "
			       "(its http.listen)\n  --url URL      or its "
			       "address\n  --token-file F the API token (else "
			       "$YQ_TOKEN)\n  --json         the daemon's JSON "
			       "as is\n",
			       usage);
			return 0;
		} else
			argv[o++] = argv[i];
	}
	*argc = o;
	if (url == NULL) {
		a->conf = config_load(cfile, &errs);
		if (a->conf == NULL) {
			config_errors_print(&errs, stderr);
			config_errors_clear(&errs);
			return 2;
		}
		snprintf(a->url, sizeof(a->url), "http://%s",
		         a->conf->http.listen);
		clock_set_zone(a->conf->clock.zone);
	} else {
		snprintf(a->url, sizeof(a->url), "%s", url);
	}
	if (tfile != NULL) {
		FILE *f = fopen(tfile, "r");

		if (f == NULL || fgets(a->token, sizeof(a->token), f) == NULL) {
			fprintf(stderr, "yuqingctl: cannot read %s\n", tfile);
			if (f != NULL)
				fclose(f);
			ctl_api_close(a);
			return 2;
		}
		fclose(f);
		a->token[strcspn(a->token, "\r\n")] = '\0';
	} else if ((env = getenv("YQ_TOKEN")) != NULL) {
		snprintf(a->token, sizeof(a->token), "%s", env);
	} else {
		fprintf(stderr, "yuqingctl: no token: set YQ_TOKEN or give "
		                "--token-file\n");
		ctl_api_close(a);
		return 2;
	}
	return -1;
}

/* The feeds' health, a line each. */
static void
ctl_print_feeds(const json_t *doc)
{
	const json_t *f;
	size_t i;

	printf("%-16s %-5s %-11s %-6s %-5s %s\n", "FEED", "STATE", "LAST OK",
	       "STATUS", "ITEMS", "ERROR");
	json_array_foreach(json_object_get(doc, "feeds"), i, f)
	{
		char ok[32] = "never";
		int64_t last =
		    json_integer_value(json_object_get(f, "last_success"));

		if (last > 0)
			ctl_when(last, ok, sizeof(ok));
		printf(
		    "%-16s %-5s %-11s %-6lld %-5lld %s\n",
		    json_string_value(json_object_get(f, "id")),
		    json_is_true(json_object_get(f, "down")) ? "DOWN" : "up",
		    ok,
		    (long long)json_integer_value(
		        json_object_get(f, "last_status")),
		    (long long)json_integer_value(json_object_get(f, "items")),
		    json_string_value(json_object_get(f, "last_error")));
	}
}

/* An incident as an action or show answers it. */
static void
ctl_print_answer(const json_t *doc)
{
	ctl_print_incident(json_object_get(doc, "incident"));
}

/*
 * Print the daemon's answer (--json: as it came, indented; else with
 * print), free it and close: the command's exit code.
 */
static int
ctl_api_done(struct ctl_api *a, int rc, json_t *doc,
             void (*print)(const json_t *))
{
	if (rc == 0 && a->json) {
		json_dumpf(doc, stdout, JSON_INDENT(2));
		putchar('\n');
	} else if (rc == 0) {
		print(doc);
	}
	json_decref(doc);
	ctl_api_close(a);
	return rc;
}

/* A decimal incident id (the API's paths take nothing else). */
static int
ctl_id(const char *s)
{
	return s != NULL && s[0] != '\0' &&
	       strspn(s, "0123456789") == strlen(s) && strlen(s) <= 20;
}

int
ctl_list(int argc, char **argv)
{
	const char *usage = "usage: yuqingctl list [--state S] [--class C] "
	                    "[--department D] [-q TEXT] [options]\n";
	struct ctl_api a;
	char path[600] = "/api/incidents", *esc;
	json_t *doc;
	int rc, i;
	CURL *c;

	if ((rc = ctl_api_open(&a, &argc, argv, usage)) >= 0)
		return rc;
	c = curl_easy_init();
	for (i = 1; i + 1 < argc; i += 2) {
		const char *k = strcmp(argv[i], "--state") == 0   ? "state"
		                : strcmp(argv[i], "--class") == 0 ? "class"
		                : strcmp(argv[i], "--department") == 0
		                    ? "department"
		                : strcmp(argv[i], "-q") == 0 ? "q"
		                                             : NULL;

		if (k == NULL || c == NULL)
			break;
		esc = curl_easy_escape(c, argv[i + 1], 0);
		snprintf(path + strlen(path), sizeof(path) - strlen(path),
		         "%c%s=%s", strchr(path, '?') ? '&' : '?', k,
		         esc != NULL ? esc : "");
		curl_free(esc);
	}
	if (c != NULL)
		curl_easy_cleanup(c);
	if (i < argc) {
		fputs(usage, stderr);
		ctl_api_close(&a);
		return 2;
	}
	rc = ctl_api_call(&a, "GET", path, NULL, &doc);
	return ctl_api_done(&a, rc, doc, ctl_print_list);
}

int
ctl_show(int argc, char **argv)
{
	const char *usage = "usage: yuqingctl show ID [options]\n";
	struct ctl_api a;
	char path[64];
	json_t *doc;
	int rc;

	if ((rc = ctl_api_open(&a, &argc, argv, usage)) >= 0)
		return rc;
	if (argc != 2 || !ctl_id(argv[1])) {
		fputs(usage, stderr);
		ctl_api_close(&a);
		return 2;
	}
	snprintf(path, sizeof(path), "/api/incidents/%s", argv[1]);
	rc = ctl_api_call(&a, "GET", path, NULL, &doc);
	return ctl_api_done(&a, rc, doc, ctl_print_answer);
}

/* ack ID | respond ID MILESTONE URL [NOTE] | dismiss ID REASON | reopen ID */
static int
ctl_action(int argc, char **argv, const char *action, int min, int max,
           const char *usage)
{
	struct ctl_api a;
	char path[80];
	json_t *doc, *body;
	char *text;
	int rc;

	if ((rc = ctl_api_open(&a, &argc, argv, usage)) >= 0)
		return rc;
	if (argc < min || argc > max || !ctl_id(argv[1]) ||
	    (strcmp(action, "merge") == 0 && !ctl_id(argv[2]))) {
		fputs(usage, stderr);
		ctl_api_close(&a);
		return 2;
	}
	body = json_object();
	if (strcmp(action, "respond") == 0) {
		json_object_set_new(body, "milestone", json_string(argv[2]));
		json_object_set_new(body, "evidence", json_string(argv[3]));
		if (argc > 4)
			json_object_set_new(body, "note", json_string(argv[4]));
	} else if (strcmp(action, "dismiss") == 0) {
		json_object_set_new(body, "reason", json_string(argv[2]));
	} else if (strcmp(action, "merge") == 0) {
		json_object_set_new(body, "into", json_string(argv[2]));
		if (argc > 3)
			json_object_set_new(body, "reason",
			                    json_string(argv[3]));
	} else if (strcmp(action, "reclassify") == 0) {
		json_object_set_new(body, "class", json_string(argv[2]));
		json_object_set_new(body, "reason", json_string(argv[3]));
	}
	text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	snprintf(path, sizeof(path), "/api/incidents/%s/%s", argv[1], action);
	rc = ctl_api_call(&a, "POST", path, text, &doc);
	free(text);
	return ctl_api_done(&a, rc, doc, ctl_print_answer);
}

int
ctl_ack(int argc, char **argv)
{
	return ctl_action(argc, argv, "ack", 2, 2,
	                  "usage: yuqingctl ack ID [options]\n");
}

int
ctl_respond(int argc, char **argv)
{
	return ctl_action(argc, argv, "respond", 4, 5,
	                  "usage: yuqingctl respond ID MILESTONE EVIDENCE-URL "
	                  "[NOTE] [options]\n");
}

int
ctl_dismiss(int argc, char **argv)
{
	return ctl_action(argc, argv, "dismiss", 3, 3,
	                  "usage: yuqingctl dismiss ID REASON [options]\n");
}

int
ctl_merge(int argc, char **argv)
{
	return ctl_action(argc, argv, "merge", 3, 4,
	                  "usage: yuqingctl merge ID INTO-ID [REASON] "
	                  "[options]\n");
}

int
ctl_reclassify(int argc, char **argv)
{
	return ctl_action(
	    argc, argv, "reclassify", 4, 4,
	    "usage: yuqingctl reclassify ID major|ordinary REASON "
	    "[options]\n");
}

int
ctl_reopen(int argc, char **argv)
{
	return ctl_action(argc, argv, "reopen", 2, 2,
	                  "usage: yuqingctl reopen ID [options]\n");
}

int
ctl_report(int argc, char **argv)
{
	const char *usage = "usage: yuqingctl report [--format "
	                    "text|csv|json|html] [--at MS] [options]\n";
	const char *format = "text", *at = NULL;
	struct ctl_api a;
	char path[200];
	json_t *doc = NULL;
	int rc, i;

	if ((rc = ctl_api_open(&a, &argc, argv, usage)) >= 0)
		return rc;
	for (i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--format") == 0)
			format = argv[i + 1];
		else if (strcmp(argv[i], "--at") == 0 && ctl_id(argv[i + 1]))
			at = argv[i + 1];
		else
			break;
	}
	if (i < argc ||
	    strspn(format, "abcdefghijklmnopqrstuvwxyz") != strlen(format)) {
		fputs(usage, stderr);
		ctl_api_close(&a);
		return 2;
	}
	snprintf(path, sizeof(path), "/api/report?format=%s%s%s", format,
	         at != NULL ? "&at=" : "", at != NULL ? at : "");
	rc = ctl_api_fetch(&a, "GET", path, NULL, &doc, stdout);
	json_decref(doc);
	ctl_api_close(&a);
	return rc;
}

/* audit verify: fetch the trail and check its chain here. */
int
ctl_audit(int argc, char **argv)
{
	const char *usage = "usage: yuqingctl audit verify [options]\n";
	struct ctl_api a;
	const char **lines = NULL;
	json_t *doc, *arr;
	size_t n, i, bad = 0;
	char why[300];
	int rc;

	if ((rc = ctl_api_open(&a, &argc, argv, usage)) >= 0)
		return rc;
	if (argc != 2 || strcmp(argv[1], "verify") != 0) {
		fputs(usage, stderr);
		ctl_api_close(&a);
		return 2;
	}
	rc = ctl_api_call(&a, "GET", "/api/audit", NULL, &doc);
	if (rc != 0) {
		ctl_api_close(&a);
		return rc;
	}
	arr = json_object_get(doc, "lines");
	n = json_array_size(arr);
	lines = calloc(n + 1, sizeof(*lines));
	for (i = 0; lines != NULL && i < n; i++)
		lines[i] = json_string_value(json_array_get(arr, i));
	if (lines == NULL)
		rc = 1;
	else if (n == 0)
		printf("audit trail: empty\n");
	else if (audit_verify(lines, n, &bad, why, sizeof(why)) == 0)
		printf("audit trail: %zu entries, chain intact\n", n);
	else {
		printf("audit trail BROKEN: %s\n", why);
		rc = 1;
	}
	free(lines);
	json_decref(doc);
	ctl_api_close(&a);
	return rc;
}

/* feeds: their health, a line each. */
int
ctl_feeds(int argc, char **argv)
{
	const char *usage = "usage: yuqingctl feeds [options]\n";
	struct ctl_api a;
	json_t *doc;
	int rc;

	if ((rc = ctl_api_open(&a, &argc, argv, usage)) >= 0)
		return rc;
	if (argc != 1) {
		fputs(usage, stderr);
		ctl_api_close(&a);
		return 2;
	}
	rc = ctl_api_call(&a, "GET", "/api/feeds", NULL, &doc);
	return ctl_api_done(&a, rc, doc, ctl_print_feeds);
}
