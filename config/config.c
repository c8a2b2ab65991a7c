/*
 * config.c: read one libconfig file into struct config, driven by a schema
 * table.  The same table checks types and ranges, rejects unknown keys,
 * fills defaults, dumps (secrets redacted) and frees, so a key is described
 * once.  Every problem is collected as "FILE:LINE: what is wrong"; parsing
 * goes on after an error so the operator sees all of them at once.
 */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <libconfig.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"

#define CF_MAX_ERRORS 200
#define CF_MAX_LIST   10000
#define CF_SECRET_MAX 4096
#define CF_STR_MAX    4096
#define MS_SECOND     1000LL
#define MS_MINUTE     (60 * MS_SECOND)
#define MS_HOUR       (60 * MS_MINUTE)
#define MS_DAY        (24 * MS_HOUR)

enum cf_type {
	CF_INT,
	CF_DURATION, /* int64_t ms: integer seconds or "1h30m" */
	CF_BOOL,
	CF_STRING,
	CF_ENUM,     /* int: index into choices */
	CF_ENUMLIST, /* strlist, each one of choices */
	CF_STRLIST,
	CF_DURLIST,
	CF_ZONE,
	CF_ADDR,
	CF_URL,      /* choices: allowed schemes */
	CF_TEMPLATE, /* string whose {placeholders} must be known */
	CF_SECRET,
	CF_GROUP,
	CF_LIST, /* list of groups */
	CF_LOGLEVEL,
};

#define CF_REQUIRED 0x1

struct cf_ctx;
struct cf_schema;

struct cf_key {
	const char *name;
	enum cf_type type;
	size_t off;
	unsigned flags;
	int64_t min, max; /* value range; for strings and lists: max length */
	const char *const *choices;
	const struct cf_schema *sub;
};

struct cf_schema {
	size_t size;    /* element size, for lists */
	size_t present; /* offset+1 of an int set when the group is given */
	void (*init)(void *);
	void (*check)(struct cf_ctx *, void *, const config_setting_t *,
	              const char *);
	const struct cf_key *keys;
};

struct cf_ctx {
	const char *file;
	struct config_errors *errs;
	struct config *conf;
};

struct cf_generic_list {
	void *v;
	size_t n;
};

static const char *const cf_schemes_http[] = {"http", "https", NULL};
static const char *const cf_schemes_smtp[] = {"smtp", "smtps", NULL};
static const char *const cf_schemes_proxy[] = {"http", "https", "socks5",
                                               "socks5h", NULL};
static const char *const cf_methods[] = {"POST", "GET", NULL};
static const char *const cf_sms_providers[] = {"http", "aliyun", "tencent",
                                               NULL};
static const char *const cf_roles[] = {"read", "write", NULL};
static const char *const cf_classes[] = {"major", "ordinary", NULL};
static const char *const cf_milestones[] = {"release", "presser", "response",
                                            NULL};
static const char *const cf_channels[] = {"sms", "email", "wecom", "dingtalk",
                                          NULL};
static const char *const cf_grades[] = {"特别重大", "重大", "较大", "一般",
                                        NULL};
static const char *const cf_no_figures[] = {"major", "ordinary", NULL};
static const char *const cf_natural[] = {"district", "national", NULL};

/* What alert and report templates may refer to, as {name}. */
static const char *const cf_placeholders[] = {
    "title",    "class",     "grade",   "category",    "milestone", "stage",
    "due",      "time_left", "overdue", "departments", "link",      "ack_link",
    "incident", "source",    "items",   "summary",     "feed",      "error",
    "since",    "period",    NULL,
};

/* Errors ------------------------------------------------------------- */

static void
cf_error_add(struct config_errors *errs, const char *file, int line,
             const char *fmt, va_list ap)
{
	char msg[1024], full[1400];
	char **nv;
	int *nl;

	if (errs->n >= CF_MAX_ERRORS)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (line > 0)
		snprintf(full, sizeof(full), "%s:%d: %s", file, line, msg);
	else
		snprintf(full, sizeof(full), "%s: %s", file, msg);
	nv = realloc(errs->v, (errs->n + 1) * sizeof(*nv));
	if (nv == NULL)
		return;
	errs->v = nv;
	nl = realloc(errs->lines, (errs->n + 1) * sizeof(*nl));
	if (nl == NULL)
		return;
	errs->lines = nl;
	errs->lines[errs->n] = line;
	errs->v[errs->n] = strdup(full);
	if (errs->v[errs->n] != NULL)
		errs->n++;
}

static void cf_err(struct cf_ctx *, const config_setting_t *, const char *, ...)
    __attribute__((format(printf, 3, 4)));
static void cf_err_at(struct cf_ctx *, const char *, int, const char *, ...)
    __attribute__((format(printf, 4, 5)));

/* The same, for other modules that check files (rule files). */
void
config_error_add(struct config_errors *errs, const char *file, int line,
                 const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cf_error_add(errs, file, line, fmt, ap);
	va_end(ap);
}

/* Report a problem at a file and line (line 0: the file as a whole). */
static void
cf_err_at(struct cf_ctx *cx, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cf_error_add(cx->errs, file, line, fmt, ap);
	va_end(ap);
}

/* Report a problem at a setting (its file and line), or at the file. */
static void
cf_err(struct cf_ctx *cx, const config_setting_t *s, const char *fmt, ...)
{
	va_list ap;
	const char *file = cx->file;
	int line = 0;

	if (s != NULL) {
		line = config_setting_source_line(s);
		if (config_setting_source_file(s) != NULL)
			file = config_setting_source_file(s);
	}
	va_start(ap, fmt);
	cf_error_add(cx->errs, file, line, fmt, ap);
	va_end(ap);
}

/*
 * The setting a group check should point at: the member named (or its
 * _file/_env spelling for a secret), else the group itself.
 */
static const config_setting_t *
cf_member(const config_setting_t *grp, const char *name)
{
	static const char *const sfx[] = {"", "_file", "_env"};
	const config_setting_t *m;
	char full[96];
	size_t i;

	for (i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		snprintf(full, sizeof(full), "%s%s", name, sfx[i]);
		m = config_setting_get_member(grp, full);
		if (m != NULL)
			return m;
	}
	return grp;
}

void
config_errors_clear(struct config_errors *errs)
{
	size_t i;

	for (i = 0; i < errs->n; i++)
		free(errs->v[i]);
	free(errs->v);
	free(errs->lines);
	errs->v = NULL;
	errs->lines = NULL;
	errs->n = 0;
}

/* Every error, then how many: what --check-config prints. */
void
config_errors_print(const struct config_errors *errs, FILE *out)
{
	size_t i;

	for (i = 0; i < errs->n; i++)
		fprintf(out, "%s\n", errs->v[i]);
	fprintf(out, "%zu error%s in configuration\n", errs->n,
	        errs->n == 1 ? "" : "s");
}

/* Order errors by line, as an editor walks the file (stable). */
void
config_errors_sort(struct config_errors *errs)
{
	size_t i, j;
	char *v;
	int line;

	for (i = 1; i < errs->n; i++) {
		v = errs->v[i];
		line = errs->lines[i];
		for (j = i; j > 0 && errs->lines[j - 1] > line; j--) {
			errs->v[j] = errs->v[j - 1];
			errs->lines[j] = errs->lines[j - 1];
		}
		errs->v[j] = v;
		errs->lines[j] = line;
	}
}

/* Lines in a file, to place "unexpected end of file" on its last line. */
static int
cf_count_lines(const char *path)
{
	FILE *f = fopen(path, "r");
	int c, n = 0, last = '\n';

	if (f == NULL)
		return 0;
	while ((c = getc(f)) != EOF) {
		if (c == '\n')
			n++;
		last = c;
	}
	fclose(f);
	return last == '\n' ? n : n + 1;
}

/* Value helpers -------------------------------------------------------- */

static char *
xstrdup(const char *s)
{
	char *p = strdup(s);

	if (p == NULL)
		fatalx("cannot allocate memory");
	return p;
}

static void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n == 0 ? 1 : n, size);

	if (p == NULL)
		fatalx("cannot allocate memory");
	return p;
}

/* Replace *dst by a copy of src (dst owns its string). */
static void
cf_setstr(char **dst, const char *src)
{
	free(*dst);
	*dst = src == NULL ? NULL : xstrdup(src);
}

/*
 * Parse "90s", "5m", "1h30m", "2d", "250ms" into milliseconds.  A bare
 * number has no unit and is refused: "5" could mean anything.
 */
int
config_duration_parse(const char *s, int64_t *ms)
{
	int64_t total = 0, v, unit;
	const char *p = s;
	int any = 0;

	while (*p != '\0') {
		if (*p < '0' || *p > '9')
			return -1;
		v = 0;
		while (*p >= '0' && *p <= '9') {
			v = v * 10 + (*p - '0');
			if (v > 100000000)
				return -1;
			p++;
		}
		if (p[0] == 'm' && p[1] == 's') {
			unit = 1;
			p += 2;
		} else if (*p == 's') {
			unit = MS_SECOND;
			p++;
		} else if (*p == 'm') {
			unit = MS_MINUTE;
			p++;
		} else if (*p == 'h') {
			unit = MS_HOUR;
			p++;
		} else if (*p == 'd') {
			unit = MS_DAY;
			p++;
		} else {
			return -1;
		}
		total += v * unit;
		if (total > 1000LL * MS_DAY * 365)
			return -1;
		any = 1;
	}
	if (!any)
		return -1;
	*ms = total;
	return 0;
}

/* The shortest exact spelling of a duration: 5400000 -> "1h30m". */
size_t
config_duration_format(int64_t ms, char *buf, size_t len)
{
	static const struct {
		int64_t ms;
		const char *unit;
	} units[] = {{MS_DAY, "d"},
	             {MS_HOUR, "h"},
	             {MS_MINUTE, "m"},
	             {MS_SECOND, "s"},
	             {1, "ms"}};
	size_t i, o = 0;
	int n;

	if (len == 0)
		return 0;
	buf[0] = '\0';
	if (ms == 0)
		return (size_t)snprintf(buf, len, "0s");
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (ms >= units[i].ms) {
			n = snprintf(buf + o, len - o, "%lld%s",
			             (long long)(ms / units[i].ms),
			             units[i].unit);
			if (n < 0 || (size_t)n >= len - o) {
				buf[0] = '\0';
				return 0;
			}
			o += (size_t)n;
			ms %= units[i].ms;
		}
	}
	return o;
}

/*
 * "IP:PORT", "[IPv6]:PORT", "unix:/path" or "/path".  Numeric addresses
 * only: a host name would need a DNS lookup, and nothing may block the loop.
 */
int
config_addr_parse(const char *s, struct conf_addr *a)
{
	const char *colon, *host = s;
	size_t hlen, plen;
	char *end;
	long port;
	unsigned char buf[16];

	memset(a, 0, sizeof(*a));
	if (strncmp(s, "unix:", 5) == 0 || s[0] == '/') {
		const char *path = s[0] == '/' ? s : s + 5;

		if (path[0] != '/' || strlen(path) >= sizeof(a->path))
			return -1;
		a->is_unix = 1;
		strcpy(a->path, path); /* length checked above */
		return 0;
	}
	if (s[0] == '[') {
		const char *rb = strchr(s, ']');

		if (rb == NULL || rb[1] != ':')
			return -1;
		host = s + 1;
		hlen = (size_t)(rb - host);
		colon = rb + 1;
	} else {
		colon = strchr(s, ':');
		if (colon == NULL || strchr(colon + 1, ':') != NULL)
			return -1; /* IPv6 must be bracketed: [::1]:6379 */
		hlen = (size_t)(colon - s);
	}
	if (hlen == 0 || hlen >= sizeof(a->host))
		return -1;
	memcpy(a->host, host, hlen);
	a->host[hlen] = '\0';
	if (inet_pton(AF_INET, a->host, buf) != 1 &&
	    inet_pton(AF_INET6, a->host, buf) != 1)
		return -1;
	plen = strlen(colon + 1);
	if (plen == 0 || plen > 5 || strspn(colon + 1, "0123456789") != plen)
		return -1;
	port = strtol(colon + 1, &end, 10);
	if (port < 1 || port > 65535)
		return -1;
	a->port = (int)port;
	return 0;
}

/* A zone is valid if the tz database has a TZif file for it. */
int
config_zone_ok(const char *zone)
{
	const char *dir = getenv("TZDIR");
	char path[512], magic[4];
	int fd;
	ssize_t n;

	if (zone[0] == '\0' || zone[0] == '/' || strstr(zone, "..") != NULL)
		return 0;
	snprintf(path, sizeof(path), "%s/%s",
	         dir != NULL ? dir : "/usr/share/zoneinfo", zone);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		return 0;
	n = read(fd, magic, sizeof(magic));
	close(fd);
	return n == 4 && memcmp(magic, "TZif", 4) == 0;
}

/* Edit distance, for "did you mean" on unknown keys. */
static size_t
cf_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, prev, tmp, cost;
	size_t row[64];

	if (la >= 63 || lb >= 63)
		return 99;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			tmp = row[j];
			cost = a[i - 1] == b[j - 1] ? 0 : 1;
			row[j] = prev + cost;
			if (row[j - 1] + 1 < row[j])
				row[j] = row[j - 1] + 1;
			if (tmp + 1 < row[j])
				row[j] = tmp + 1;
			prev = tmp;
		}
	}
	return row[lb];
}

/*
 * The known key an unknown one was probably meant to be (secrets in all
 * three spellings), or NULL when nothing is close enough to be a typo.
 * The answer lives in a static buffer until the next call.
 */
static const char *
cf_suggest(const struct cf_key *keys, const char *name)
{
	static const char *const sfx[] = {"", "_file", "_env"};
	static char best[96];
	const struct cf_key *k;
	char cand[96];
	size_t d, bestd = 99, i, nsfx;

	best[0] = '\0';
	for (k = keys; k->name != NULL; k++) {
		nsfx = k->type == CF_SECRET ? 3 : 1;
		for (i = 0; i < nsfx; i++) {
			snprintf(cand, sizeof(cand), "%s%s", k->name, sfx[i]);
			d = cf_distance(name, cand);
			if (d < bestd && d <= 2 && d * 2 <= strlen(cand)) {
				bestd = d;
				snprintf(best, sizeof(best), "%s", cand);
			}
		}
	}
	return best[0] != '\0' ? best : NULL;
}

static int
cf_choice(const char *const *choices, const char *s)
{
	int i;

	for (i = 0; choices[i] != NULL; i++)
		if (strcmp(choices[i], s) == 0)
			return i;
	return -1;
}

static void
cf_choices_str(const char *const *choices, char *buf, size_t len)
{
	size_t o = 0;
	int i, n;

	buf[0] = '\0';
	for (i = 0; choices[i] != NULL; i++) {
		n = snprintf(buf + o, len - o, "%s'%s'", i ? ", " : "",
		             choices[i]);
		if (n < 0 || (size_t)n >= len - o)
			return;
		o += (size_t)n;
	}
}

static const char *
cf_typename(int type)
{
	switch (type) {
	case CONFIG_TYPE_GROUP:
		return "a group { }";
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		return "an integer";
	case CONFIG_TYPE_FLOAT:
		return "a number with a fraction";
	case CONFIG_TYPE_STRING:
		return "a string";
	case CONFIG_TYPE_BOOL:
		return "true or false";
	case CONFIG_TYPE_ARRAY:
		return "an array [ ]";
	case CONFIG_TYPE_LIST:
		return "a list ( )";
	default:
		return "something else";
	}
}

/* Reading one value ---------------------------------------------------- */

static int
cf_want(struct cf_ctx *cx, const config_setting_t *s, const char *path,
        int type, const char *what)
{
	int t = config_setting_type(s);

	if (t == type || (type == CONFIG_TYPE_INT && t == CONFIG_TYPE_INT64))
		return 0;
	cf_err(cx, s, "%s: expected %s, found %s", path, what, cf_typename(t));
	return -1;
}

static const char *
cf_string(struct cf_ctx *cx, const config_setting_t *s, const char *path,
          const struct cf_key *k)
{
	const char *v;
	int64_t max = k->max > 0 ? k->max : CF_STR_MAX;

	if (cf_want(cx, s, path, CONFIG_TYPE_STRING, "a string") == -1)
		return NULL;
	v = config_setting_get_string(s);
	if (v[0] == '\0' && ((k->flags & CF_REQUIRED) || k->min > 0)) {
		cf_err(cx, s, "%s: must not be empty", path);
		return NULL;
	}
	if ((int64_t)strlen(v) < k->min) {
		cf_err(cx, s, "%s: shorter than %lld bytes", path,
		       (long long)k->min);
		return NULL;
	}
	if ((int64_t)strlen(v) > max) {
		cf_err(cx, s, "%s: longer than %lld bytes", path,
		       (long long)max);
		return NULL;
	}
	return v;
}

static int
cf_duration(struct cf_ctx *cx, const config_setting_t *s, const char *path,
            const struct cf_key *k, int64_t *out)
{
	int64_t ms;
	char lo[32], hi[32], got[32];
	int t = config_setting_type(s);

	if (t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64) {
		long long secs = config_setting_get_int64(s);

		if (secs < 0 || secs > 100LL * 365 * 86400) {
			cf_err(cx, s, "%s: %lld seconds is out of range", path,
			       secs);
			return -1;
		}
		ms = secs * MS_SECOND;
	} else if (t == CONFIG_TYPE_STRING) {
		const char *v = config_setting_get_string(s);

		if (v[0] == '-') {
			cf_err(cx, s,
			       "%s: a duration cannot be negative ('%s')", path,
			       v);
			return -1;
		}
		if (config_duration_parse(v, &ms) == -1) {
			cf_err(cx, s,
			       "%s: cannot parse duration '%s' (use e.g. "
			       "\"90s\", \"5m\", \"1h30m\", \"2d\")",
			       path, v);
			return -1;
		}
	} else {
		cf_err(cx, s,
		       "%s: expected a duration such as \"5m\", found %s", path,
		       cf_typename(t));
		return -1;
	}
	if (ms < k->min || ms > k->max) {
		config_duration_format(ms, got, sizeof(got));
		config_duration_format(k->min, lo, sizeof(lo));
		config_duration_format(k->max, hi, sizeof(hi));
		cf_err(cx, s, "%s: %s is out of range (%s..%s)", path, got, lo,
		       hi);
		return -1;
	}
	*out = ms;
	return 0;
}

/* Check the {placeholders} of a template against what alerts can fill. */
static void
cf_template(struct cf_ctx *cx, const config_setting_t *s, const char *path,
            const char *v)
{
	const char *p = v, *end;
	char name[64];
	size_t len;

	while ((p = strchr(p, '{')) != NULL) {
		end = strpbrk(p + 1, "{}");
		if (end == NULL || *end == '{') {
			cf_err(cx, s, "%s: unclosed '{' in template", path);
			return;
		}
		len = (size_t)(end - p - 1);
		if (len == 0 || len >= sizeof(name)) {
			cf_err(cx, s, "%s: bad placeholder in template", path);
			return;
		}
		memcpy(name, p + 1, len);
		name[len] = '\0';
		if (cf_choice(cf_placeholders, name) < 0)
			cf_err(cx, s, "%s: unknown placeholder '{%s}'", path,
			       name);
		p = end + 1;
	}
}

static int
cf_url(struct cf_ctx *cx, const config_setting_t *s, const char *path,
       const char *v, const char *const *schemes)
{
	CURLU *u = curl_url();
	char *scheme = NULL, list[128];
	int rc = -1;

	if (u == NULL)
		fatalx("cannot allocate memory");
	if (curl_url_set(u, CURLUPART_URL, v, CURLU_NON_SUPPORT_SCHEME) !=
	        CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK) {
		cf_err(cx, s, "%s: '%s' is not a valid URL", path, v);
	} else if (cf_choice(schemes, scheme) < 0) {
		cf_choices_str(schemes, list, sizeof(list));
		cf_err(cx, s, "%s: URL scheme '%s' not allowed here (use %s)",
		       path, scheme, list);
	} else {
		rc = 0;
	}
	curl_free(scheme);
	curl_url_cleanup(u);
	return rc;
}

/* Read a secret file: regular, at most CF_SECRET_MAX bytes, one line. */
static char *
cf_secret_file(struct cf_ctx *cx, const config_setting_t *s, const char *path,
               const char *file)
{
	char buf[CF_SECRET_MAX + 1], full[1024];
	struct stat st;
	ssize_t n;
	int fd;

	if (file[0] != '/') {
		const char *slash = strrchr(cx->file, '/');

		if (slash != NULL) {
			snprintf(full, sizeof(full), "%.*s/%s",
			         (int)(slash - cx->file), cx->file, file);
			file = full;
		}
	}
	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd == -1) {
		cf_err(cx, s, "%s: cannot read secret file '%s': %s", path,
		       file, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size > CF_SECRET_MAX) {
		cf_err(cx, s,
		       "%s: secret file '%s' is not a regular file of at "
		       "most %d bytes",
		       path, file, CF_SECRET_MAX);
		close(fd);
		return NULL;
	}
	n = read(fd, buf, CF_SECRET_MAX);
	close(fd);
	if (n < 0) {
		cf_err(cx, s, "%s: cannot read secret file '%s': %s", path,
		       file, strerror(errno));
		return NULL;
	}
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	buf[n] = '\0';
	if (n == 0 || memchr(buf, '\0', (size_t)n) != NULL) {
		cf_err(cx, s, "%s: secret file '%s' is empty or binary", path,
		       file);
		return NULL;
	}
	return xstrdup(buf);
}

/*
 * A secret key "password" may appear as password, password_file or
 * password_env; exactly one of them (if the key is required).
 */
static void
cf_secret(struct cf_ctx *cx, const config_setting_t *grp, const char *gpath,
          const struct cf_key *k, struct secret *out)
{
	static const char *const sfx[] = {"", "_file", "_env"};
	const config_setting_t *found = NULL, *s;
	char name[96], path[512], src[600];
	int which = -1, i;
	const char *v;

	for (i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "%s%s", k->name, sfx[i]);
		s = config_setting_get_member(grp, name);
		if (s == NULL)
			continue;
		if (found != NULL) {
			cf_err(cx, s,
			       "%s.%s: give the secret '%s' only once (inline, "
			       "_file or _env)",
			       gpath, name, k->name);
			return;
		}
		found = s;
		which = i;
	}
	snprintf(path, sizeof(path), "%s%s%s%s", gpath, gpath[0] ? "." : "",
	         k->name, which > 0 ? sfx[which] : "");
	if (found == NULL) {
		if (k->flags & CF_REQUIRED)
			cf_err(cx, grp,
			       "%s: missing required secret '%s' (or %s_file, "
			       "%s_env)",
			       gpath, k->name, k->name, k->name);
		return;
	}
	if (cf_want(cx, found, path, CONFIG_TYPE_STRING, "a string") == -1)
		return;
	v = config_setting_get_string(found);
	if (v[0] == '\0') {
		cf_err(cx, found, "%s: must not be empty", path);
		return;
	}
	free(out->value);
	free(out->source);
	out->value = NULL;
	out->source = NULL;
	if (which == 0) {
		out->value = xstrdup(v);
		out->source = xstrdup("inline");
	} else if (which == 1) {
		out->value = cf_secret_file(cx, found, path, v);
		snprintf(src, sizeof(src), "file:%s", v);
		out->source = xstrdup(src);
	} else {
		const char *e = getenv(v);

		if (e == NULL || e[0] == '\0')
			cf_err(cx, found,
			       "%s: environment variable '%s' is not set", path,
			       v);
		else
			out->value = xstrdup(e);
		snprintf(src, sizeof(src), "env:%s", v);
		out->source = xstrdup(src);
	}
}

static int
cf_is_secret_alias(const struct cf_key *keys, const char *name)
{
	const struct cf_key *k;
	size_t len;

	for (k = keys; k->name != NULL; k++) {
		if (k->type != CF_SECRET)
			continue;
		len = strlen(k->name);
		if (strncmp(name, k->name, len) == 0 &&
		    (strcmp(name + len, "_file") == 0 ||
		     strcmp(name + len, "_env") == 0 || name[len] == '\0'))
			return 1;
	}
	return 0;
}

static void cf_group(struct cf_ctx *, const config_setting_t *, const char *,
                     const struct cf_schema *, void *);
static void cf_strlist_free(struct strlist *);

static void
cf_strings(struct cf_ctx *cx, const config_setting_t *s, const char *path,
           const struct cf_key *k, struct strlist *out)
{
	int i, n, t = config_setting_type(s);
	const config_setting_t *e;
	const char *v;
	char epath[512];

	if (t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST) {
		cf_err(cx, s,
		       "%s: expected an array of strings [\"...\"], "
		       "found %s",
		       path, cf_typename(t));
		return;
	}
	n = config_setting_length(s);
	if (k->max > 0 && n > k->max) {
		cf_err(cx, s, "%s: more than %lld entries", path,
		       (long long)k->max);
		return;
	}
	cf_strlist_free(out); /* a configured list replaces the default */
	out->v = xcalloc((size_t)n, sizeof(char *));
	out->n = 0;
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(s, (unsigned)i);
		snprintf(epath, sizeof(epath), "%s[%d]", path, i);
		if (cf_want(cx, e, epath, CONFIG_TYPE_STRING, "a string") == -1)
			continue;
		v = config_setting_get_string(e);
		if (v[0] == '\0' || strlen(v) > CF_STR_MAX) {
			cf_err(cx, e, "%s: must be a non-empty string", epath);
			continue;
		}
		if (k->type == CF_ENUMLIST && cf_choice(k->choices, v) < 0) {
			char list[256];

			cf_choices_str(k->choices, list, sizeof(list));
			cf_err(cx, e, "%s: unknown value '%s' (use %s)", epath,
			       v, list);
			continue;
		}
		out->v[out->n++] = xstrdup(v);
	}
}

static void
cf_durations(struct cf_ctx *cx, const config_setting_t *s, const char *path,
             const struct cf_key *k, struct durlist *out)
{
	int i, n, t = config_setting_type(s);
	char epath[512];

	if (t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST) {
		cf_err(cx, s, "%s: expected an array of durations, found %s",
		       path, cf_typename(t));
		return;
	}
	n = config_setting_length(s);
	if (n > 32) {
		cf_err(cx, s, "%s: more than 32 entries", path);
		return;
	}
	free(out->v);
	out->v = xcalloc((size_t)n, sizeof(int64_t));
	out->n = 0;
	for (i = 0; i < n; i++) {
		snprintf(epath, sizeof(epath), "%s[%d]", path, i);
		if (cf_duration(cx, config_setting_get_elem(s, (unsigned)i),
		                epath, k, &out->v[out->n]) == 0)
			out->n++;
	}
}

static void
cf_list(struct cf_ctx *cx, const config_setting_t *s, const char *path,
        const struct cf_key *k, struct cf_generic_list *out)
{
	int i, n, t = config_setting_type(s);
	const config_setting_t *e;
	char epath[512];
	char *base;

	if (t != CONFIG_TYPE_LIST) {
		cf_err(cx, s,
		       "%s: expected a list of groups ( { ... }, ... ), "
		       "found %s",
		       path, cf_typename(t));
		return;
	}
	n = config_setting_length(s);
	if (n > (k->max > 0 ? k->max : CF_MAX_LIST)) {
		cf_err(cx, s, "%s: too many entries (%d)", path, n);
		return;
	}
	base = xcalloc((size_t)n, k->sub->size);
	out->v = base;
	out->n = (size_t)n;
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(s, (unsigned)i);
		snprintf(epath, sizeof(epath), "%s[%d]", path, i);
		if (k->sub->init != NULL)
			k->sub->init(base + (size_t)i * k->sub->size);
		if (cf_want(cx, e, epath, CONFIG_TYPE_GROUP, "a group { }") ==
		    -1)
			continue;
		cf_group(cx, e, epath, k->sub, base + (size_t)i * k->sub->size);
	}
}

/* One key of a group, already found in the file as s. */
static void
cf_value(struct cf_ctx *cx, const config_setting_t *s, const char *path,
         const struct cf_key *k, void *obj)
{
	char *field = (char *)obj + k->off;
	const char *v;
	long long iv;
	int idx;
	char list[256];
	struct conf_addr addr;

	switch (k->type) {
	case CF_INT:
		if (cf_want(cx, s, path, CONFIG_TYPE_INT, "an integer") == -1)
			return;
		iv = config_setting_get_int64(s);
		if (iv < k->min || iv > k->max) {
			cf_err(cx, s, "%s: %lld is out of range (%lld..%lld)",
			       path, iv, (long long)k->min, (long long)k->max);
			return;
		}
		*(int64_t *)(void *)field = iv;
		break;
	case CF_DURATION:
		cf_duration(cx, s, path, k, (int64_t *)(void *)field);
		break;
	case CF_BOOL:
		if (cf_want(cx, s, path, CONFIG_TYPE_BOOL, "true or false") ==
		    -1)
			return;
		*(int *)(void *)field = config_setting_get_bool(s);
		break;
	case CF_STRING:
	case CF_TEMPLATE:
		v = cf_string(cx, s, path, k);
		if (v == NULL)
			return;
		if (k->type == CF_TEMPLATE)
			cf_template(cx, s, path, v);
		cf_setstr((char **)(void *)field, v);
		break;
	case CF_ENUM:
	case CF_LOGLEVEL:
		v = cf_string(cx, s, path, k);
		if (v == NULL)
			return;
		idx = k->type == CF_LOGLEVEL ? log_level_parse(v)
		                             : cf_choice(k->choices, v);
		if (idx < 0) {
			if (k->type == CF_LOGLEVEL)
				snprintf(list, sizeof(list),
				         "'err', 'warning', 'notice', 'info', "
				         "'debug'");
			else
				cf_choices_str(k->choices, list, sizeof(list));
			cf_err(cx, s, "%s: unknown value '%s' (use %s)", path,
			       v, list);
			return;
		}
		*(int *)(void *)field = idx;
		break;
	case CF_ZONE:
		v = cf_string(cx, s, path, k);
		if (v == NULL)
			return;
		if (!config_zone_ok(v)) {
			cf_err(cx, s, "%s: unknown time zone '%s'", path, v);
			return;
		}
		cf_setstr((char **)(void *)field, v);
		break;
	case CF_ADDR:
		v = cf_string(cx, s, path, k);
		if (v == NULL)
			return;
		if (config_addr_parse(v, &addr) == -1) {
			cf_err(cx, s,
			       "%s: '%s' is not a numeric IP:PORT (port "
			       "1..65535), [IPv6]:PORT or unix:/path",
			       path, v);
			return;
		}
		cf_setstr((char **)(void *)field, v);
		break;
	case CF_URL:
		v = cf_string(cx, s, path, k);
		if (v == NULL || cf_url(cx, s, path, v, k->choices) == -1)
			return;
		cf_setstr((char **)(void *)field, v);
		break;
	case CF_STRLIST:
	case CF_ENUMLIST:
		cf_strings(cx, s, path, k, (struct strlist *)(void *)field);
		break;
	case CF_DURLIST:
		cf_durations(cx, s, path, k, (struct durlist *)(void *)field);
		break;
	case CF_GROUP:
		if (cf_want(cx, s, path, CONFIG_TYPE_GROUP, "a group { }") ==
		    -1)
			return;
		cf_group(cx, s, path, k->sub, field);
		break;
	case CF_LIST:
		cf_list(cx, s, path, k,
		        (struct cf_generic_list *)(void *)field);
		break;
	case CF_SECRET:
		break; /* handled per group: it has three spellings */
	}
}

/*
 * Walk one group: every member must be a known key (else an error with a
 * suggestion), every required key present; then the group's own checks.
 */
static void
cf_group(struct cf_ctx *cx, const config_setting_t *grp, const char *gpath,
         const struct cf_schema *sc, void *obj)
{
	const struct cf_key *k;
	const config_setting_t *s;
	const char *best, *what = gpath[0] ? "key" : "section";
	char path[512];
	int i, n;

	n = config_setting_length(grp);
	for (i = 0; i < n; i++) {
		const char *name;

		s = config_setting_get_elem(grp, (unsigned)i);
		name = config_setting_name(s);
		if (name == NULL)
			continue;
		for (k = sc->keys; k->name != NULL; k++)
			if (k->type != CF_SECRET && strcmp(k->name, name) == 0)
				break;
		if (k->name != NULL || cf_is_secret_alias(sc->keys, name))
			continue;
		best = cf_suggest(sc->keys, name);
		if (best != NULL)
			cf_err(cx, s,
			       "%s%s'%s': unknown %s (did you mean '%s'?)",
			       gpath, gpath[0] ? ": " : "", name, what, best);
		else
			cf_err(cx, s, "%s%s'%s': unknown %s", gpath,
			       gpath[0] ? ": " : "", name, what);
	}
	for (k = sc->keys; k->name != NULL; k++) {
		snprintf(path, sizeof(path), "%s%s%s", gpath,
		         gpath[0] ? "." : "", k->name);
		if (k->type == CF_SECRET) {
			cf_secret(
			    cx, grp, gpath, k,
			    (struct secret *)(void *)((char *)obj + k->off));
			continue;
		}
		s = config_setting_get_member(grp, k->name);
		if (s == NULL) {
			if (k->flags & CF_REQUIRED)
				cf_err(cx, grp, "%s%smissing required %s '%s'",
				       gpath, gpath[0] ? ": " : "", what,
				       k->name);
			continue;
		}
		cf_value(cx, s, path, k, obj);
	}
	if (sc->present != 0)
		*(int *)(void *)((char *)obj + sc->present - 1) = 1;
	if (sc->check != NULL)
		sc->check(cx, obj, grp, gpath);
}

/* The schema ----------------------------------------------------------- */

#define K(name, type, st, field, flags, min, max, choices, sub)                \
	{                                                                      \
		name, type, offsetof(st, field), flags, min, max, choices, sub \
	}
#define END                                                                    \
	{                                                                      \
		NULL, 0, 0, 0, 0, 0, NULL, NULL                                \
	}

static const struct cf_key cf_log_keys[] = {
    K("level", CF_LOGLEVEL, struct conf_log, level, 0, 0, 0, NULL, NULL),
    END,
};
static const struct cf_schema cf_log_schema = {0, 0, NULL, NULL, cf_log_keys};

static const struct cf_key cf_daemon_keys[] = {
    K("state_dir", CF_STRING, struct conf_daemon, state_dir, 0, 0, 1024, NULL,
      NULL),
    K("shutdown_grace", CF_DURATION, struct conf_daemon, shutdown_grace, 0, 100,
      5 * MS_MINUTE, NULL, NULL),
    END,
};
static const struct cf_schema cf_daemon_schema = {0, 0, NULL, NULL,
                                                  cf_daemon_keys};

static const struct cf_key cf_clock_keys[] = {
    K("zone", CF_ZONE, struct conf_clock, zone, 0, 0, 128, NULL, NULL),
    END,
};
static const struct cf_schema cf_clock_schema = {0, 0, NULL, NULL,
                                                 cf_clock_keys};

static const struct cf_key cf_redis_keys[] = {
    K("address", CF_ADDR, struct conf_redis, address, 0, 0, 200, NULL, NULL),
    K("prefix", CF_STRING, struct conf_redis, prefix, 0, 1, 64, NULL, NULL),
    K("db", CF_INT, struct conf_redis, db, 0, 0, 15, NULL, NULL),
    K("password", CF_SECRET, struct conf_redis, password, 0, 0, 0, NULL, NULL),
    K("connect_timeout", CF_DURATION, struct conf_redis, connect_timeout, 0,
      100, MS_MINUTE, NULL, NULL),
    K("command_timeout", CF_DURATION, struct conf_redis, command_timeout, 0,
      100, MS_MINUTE, NULL, NULL),
    K("backoff_min", CF_DURATION, struct conf_redis, backoff_min, 0, 10,
      MS_MINUTE, NULL, NULL),
    K("backoff_max", CF_DURATION, struct conf_redis, backoff_max, 0, 10,
      10 * MS_MINUTE, NULL, NULL),
    K("ping_interval", CF_DURATION, struct conf_redis, ping_interval, 0, 100,
      10 * MS_MINUTE, NULL, NULL),
    END,
};

static void
cf_redis_check(struct cf_ctx *cx, void *obj, const config_setting_t *s,
               const char *path)
{
	struct conf_redis *r = obj;

	if (r->backoff_min > r->backoff_max)
		cf_err(cx, cf_member(s, "backoff_min"),
		       "%s: backoff_min is larger than backoff_max", path);
	if (r->prefix != NULL && strpbrk(r->prefix, " \t\r\n{}") != NULL)
		cf_err(cx, cf_member(s, "prefix"),
		       "%s.prefix: must not contain spaces or braces", path);
}
static const struct cf_schema cf_redis_schema = {0, 0, NULL, cf_redis_check,
                                                 cf_redis_keys};

static const struct cf_key cf_http_keys[] = {
    K("listen", CF_ADDR, struct conf_http, listen, 0, 0, 200, NULL, NULL),
    K("max_body", CF_INT, struct conf_http, max_body, 0, 256, 16 << 20, NULL,
      NULL),
    K("max_headers", CF_INT, struct conf_http, max_headers, 0, 256, 1 << 20,
      NULL, NULL),
    K("timeout", CF_DURATION, struct conf_http, timeout, 0, MS_SECOND,
      10 * MS_MINUTE, NULL, NULL),
    K("public_url", CF_URL, struct conf_http, public_url, 0, 0, 512,
      cf_schemes_http, NULL),
    END,
};

static void
cf_http_check(struct cf_ctx *cx, void *obj, const config_setting_t *s,
              const char *path)
{
	struct conf_http *h = obj;
	struct conf_addr a;

	if (h->listen != NULL && config_addr_parse(h->listen, &a) == 0 &&
	    a.is_unix)
		cf_err(cx, cf_member(s, "listen"),
		       "%s.listen: must be a TCP address, not a socket", path);
}
static const struct cf_schema cf_http_schema = {0, 0, NULL, cf_http_check,
                                                cf_http_keys};

static const struct cf_key cf_fetch_keys[] = {
    K("max_concurrent", CF_INT, struct conf_fetch, max_concurrent, 0, 1, 1024,
      NULL, NULL),
    K("per_host", CF_INT, struct conf_fetch, per_host, 0, 1, 64, NULL, NULL),
    K("host_spacing", CF_DURATION, struct conf_fetch, host_spacing, 0, 0,
      10 * MS_MINUTE, NULL, NULL),
    K("max_body", CF_INT, struct conf_fetch, max_body, 0, 1024, 256 << 20, NULL,
      NULL),
    K("connect_timeout", CF_DURATION, struct conf_fetch, connect_timeout, 0,
      100, 5 * MS_MINUTE, NULL, NULL),
    K("timeout", CF_DURATION, struct conf_fetch, timeout, 0, MS_SECOND,
      30 * MS_MINUTE, NULL, NULL),
    K("low_speed_time", CF_DURATION, struct conf_fetch, low_speed_time, 0,
      MS_SECOND, 30 * MS_MINUTE, NULL, NULL),
    K("user_agent", CF_STRING, struct conf_fetch, user_agent, 0, 1, 256, NULL,
      NULL),
    K("down_after_failures", CF_INT, struct conf_fetch, down_after_failures, 0,
      1, 1000, NULL, NULL),
    K("down_after", CF_DURATION, struct conf_fetch, down_after, 0, MS_MINUTE,
      30 * MS_DAY, NULL, NULL),
    END,
};
static const struct cf_schema cf_fetch_schema = {0, 0, NULL, NULL,
                                                 cf_fetch_keys};

static const struct cf_key cf_header_keys[] = {
    K("name", CF_STRING, struct conf_header, name, CF_REQUIRED, 1, 128, NULL,
      NULL),
    K("value", CF_SECRET, struct conf_header, value, CF_REQUIRED, 0, 0, NULL,
      NULL),
    END,
};

static void
cf_header_check(struct cf_ctx *cx, void *obj, const config_setting_t *s,
                const char *path)
{
	struct conf_header *h = obj;

	if (h->name != NULL && strpbrk(h->name, ": \t\r\n") != NULL)
		cf_err(cx, cf_member(s, "name"),
		       "%s.name: '%s' is not an HTTP header name", path,
		       h->name);
	if (h->value.value != NULL && strpbrk(h->value.value, "\r\n") != NULL)
		cf_err(cx, cf_member(s, "value"), "%s.value: must be one line",
		       path);
}
static const struct cf_schema cf_header_schema = {
    sizeof(struct conf_header), 0, NULL, cf_header_check, cf_header_keys};

static const struct cf_key cf_feed_keys[] = {
    K("id", CF_STRING, struct conf_feed, id, CF_REQUIRED, 1, 64, NULL, NULL),
    K("url", CF_URL, struct conf_feed, url, CF_REQUIRED, 1, 2048,
      cf_schemes_http, NULL),
    K("title", CF_STRING, struct conf_feed, title, 0, 0, 256, NULL, NULL),
    K("interval", CF_DURATION, struct conf_feed, interval, 0, 10 * MS_SECOND,
      MS_DAY, NULL, NULL),
    K("ceiling", CF_DURATION, struct conf_feed, ceiling, 0, 10 * MS_SECOND,
      7 * MS_DAY, NULL, NULL),
    K("local", CF_BOOL, struct conf_feed, local, 0, 0, 0, NULL, NULL),
    K("official", CF_BOOL, struct conf_feed, official, 0, 0, 0, NULL, NULL),
    K("chinese", CF_BOOL, struct conf_feed, chinese, 0, 0, 0, NULL, NULL),
    K("tls_verify", CF_BOOL, struct conf_feed, tls_verify, 0, 0, 0, NULL, NULL),
    K("zone", CF_ZONE, struct conf_feed, zone, 0, 0, 128, NULL, NULL),
    K("user_agent", CF_STRING, struct conf_feed, user_agent, 0, 1, 256, NULL,
      NULL),
    K("proxy", CF_URL, struct conf_feed, proxy, 0, 0, 512, cf_schemes_proxy,
      NULL),
    K("headers", CF_LIST, struct conf_feed, headers, 0, 0, 32, NULL,
      &cf_header_schema),
    END,
};

static void
cf_feed_init(void *obj)
{
	struct conf_feed *f = obj;

	f->interval = 300 * MS_SECOND;
	f->ceiling = MS_HOUR;
	f->chinese = 1;
	f->tls_verify = 1;
}

static void
cf_feed_check(struct cf_ctx *cx, void *obj, const config_setting_t *s,
              const char *path)
{
	struct conf_feed *f = obj;
	char a[32], b[32];

	if (f->ceiling < f->interval) {
		config_duration_format(f->ceiling, a, sizeof(a));
		config_duration_format(f->interval, b, sizeof(b));
		cf_err(cx, cf_member(s, "ceiling"),
		       "%s: ceiling %s is shorter than interval %s", path, a,
		       b);
	}
}
static const struct cf_schema cf_feed_schema = {
    sizeof(struct conf_feed), 0, cf_feed_init, cf_feed_check, cf_feed_keys};

static const struct cf_key cf_rules_keys[] = {
    K("files", CF_STRLIST, struct conf_rules, files, 0, 0, 256, NULL, NULL),
    K("jurisdiction", CF_STRLIST, struct conf_rules, jurisdiction, 0, 0, 1024,
      NULL, NULL),
    END,
};
static const struct cf_schema cf_rules_schema = {0, 0, NULL, NULL,
                                                 cf_rules_keys};

static const struct cf_key cf_classify_keys[] = {
    K("major_grades", CF_ENUMLIST, struct conf_classify, major_grades, 0, 0, 4,
      cf_grades, NULL),
    K("no_figures", CF_ENUM, struct conf_classify, no_figures, 0, 0, 0,
      cf_no_figures, NULL),
    K("natural_scale", CF_ENUM, struct conf_classify, natural_scale, 0, 0, 0,
      cf_natural, NULL),
    END,
};
static const struct cf_schema cf_classify_schema = {0, 0, NULL, NULL,
                                                    cf_classify_keys};

static const struct cf_key cf_recipient_keys[] = {
    K("id", CF_STRING, struct conf_recipient, id, CF_REQUIRED, 1, 64, NULL,
      NULL),
    K("name", CF_STRING, struct conf_recipient, name, CF_REQUIRED, 1, 128, NULL,
      NULL),
    K("role", CF_STRING, struct conf_recipient, role, 0, 1, 64, NULL, NULL),
    K("department", CF_STRING, struct conf_recipient, department, 0, 1, 128,
      NULL, NULL),
    K("mobile", CF_STRING, struct conf_recipient, mobile, 0, 1, 32, NULL, NULL),
    K("email", CF_STRING, struct conf_recipient, email, 0, 1, 254, NULL, NULL),
    K("wecom", CF_BOOL, struct conf_recipient, wecom, 0, 0, 0, NULL, NULL),
    K("dingtalk", CF_BOOL, struct conf_recipient, dingtalk, 0, 0, 0, NULL,
      NULL),
    END,
};

static void
cf_recipient_check(struct cf_ctx *cx, void *obj, const config_setting_t *s,
                   const char *path)
{
	struct conf_recipient *r = obj;
	const char *p;

	if (r->mobile != NULL) {
		p = r->mobile[0] == '+' ? r->mobile + 1 : r->mobile;
		if (strlen(p) < 5 || strspn(p, "0123456789") != strlen(p))
			cf_err(cx, cf_member(s, "mobile"),
			       "%s.mobile: '%s' is not a phone number", path,
			       r->mobile);
	}
	if (r->email != NULL && (strchr(r->email, '@') == NULL ||
	                         strpbrk(r->email, " \t\r\n<>,") != NULL))
		cf_err(cx, cf_member(s, "email"),
		       "%s.email: '%s' is not an e-mail address", path,
		       r->email);
	if (r->mobile == NULL && r->email == NULL && !r->wecom && !r->dingtalk)
		cf_err(cx, s, "%s: recipient has no way to be reached", path);
}
static const struct cf_schema cf_recipient_schema = {
    sizeof(struct conf_recipient), 0, NULL, cf_recipient_check,
    cf_recipient_keys};

static const struct cf_key cf_smtp_keys[] = {
    K("url", CF_URL, struct conf_smtp, url, CF_REQUIRED, 1, 512,
      cf_schemes_smtp, NULL),
    K("from", CF_STRING, struct conf_smtp, from, CF_REQUIRED, 3, 254, NULL,
      NULL),
    K("username", CF_STRING, struct conf_smtp, username, 0, 1, 254, NULL, NULL),
    K("starttls", CF_BOOL, struct conf_smtp, starttls, 0, 0, 0, NULL, NULL),
    K("ca_file", CF_STRING, struct conf_smtp, ca_file, 0, 1, 4096, NULL, NULL),
    K("password", CF_SECRET, struct conf_smtp, password, 0, 0, 0, NULL, NULL),
    K("timeout", CF_DURATION, struct conf_smtp, timeout, 0, MS_SECOND,
      10 * MS_MINUTE, NULL, NULL),
    END,
};

/* ca_file: relative to the configuration file's directory, readable. */
static void
cf_smtp_check(struct cf_ctx *cx, void *obj, const config_setting_t *s,
              const char *path)
{
	struct conf_smtp *m = obj;
	const char *slash = strrchr(cx->file, '/');
	char full[4200];

	if (m->ca_file == NULL)
		return;
	if (m->ca_file[0] != '/' && slash != NULL) {
		snprintf(full, sizeof(full), "%.*s/%s", (int)(slash - cx->file),
		         cx->file, m->ca_file);
		free(m->ca_file);
		m->ca_file = xstrdup(full);
	}
	if (access(m->ca_file, R_OK) == -1)
		cf_err(cx, cf_member(s, "ca_file"),
		       "%s.ca_file: cannot read '%s': %s", path, m->ca_file,
		       strerror(errno));
}

static const struct cf_schema cf_smtp_schema = {
    0, offsetof(struct conf_smtp, present) + 1, NULL, cf_smtp_check,
    cf_smtp_keys};

static const struct cf_key cf_sms_keys[] = {
    K("url", CF_URL, struct conf_sms, url, CF_REQUIRED, 1, 1024,
      cf_schemes_http, NULL),
    K("method", CF_ENUM, struct conf_sms, method, 0, 0, 0, cf_methods, NULL),
    K("body", CF_STRING, struct conf_sms, body, 0, 0, 4096, NULL, NULL),
    K("success", CF_STRING, struct conf_sms, success, 0, 1, 512, NULL, NULL),
    K("access_key", CF_SECRET, struct conf_sms, access_key, 0, 0, 0, NULL,
      NULL),
    K("access_secret", CF_SECRET, struct conf_sms, access_secret, 0, 0, 0, NULL,
      NULL),
    K("provider", CF_ENUM, struct conf_sms, provider, 0, 0, 0, cf_sms_providers,
      NULL),
    K("sign_name", CF_STRING, struct conf_sms, sign_name, 0, 1, 64, NULL, NULL),
    K("template", CF_STRING, struct conf_sms, template, 0, 1, 64, NULL, NULL),
    K("app_id", CF_STRING, struct conf_sms, app_id, 0, 1, 64, NULL, NULL),
    K("region", CF_STRING, struct conf_sms, region, 0, 1, 64, NULL, NULL),
    K("host", CF_STRING, struct conf_sms, host, 0, 1, 255, NULL, NULL),
    END,
};

/* A template provider needs its keys, signature name and template. */
static void
cf_sms_check(struct cf_ctx *cx, void *obj, const config_setting_t *s,
             const char *path)
{
	struct conf_sms *m = obj;

	if (m->provider == CONF_SMS_HTTP)
		return;
	if (m->access_key.value == NULL || m->access_secret.value == NULL ||
	    m->sign_name == NULL || m->template == NULL)
		cf_err(cx, s,
		       "%s: provider '%s' needs access_key, access_secret, "
		       "sign_name and template",
		       path, cf_sms_providers[m->provider]);
	if (m->provider == CONF_SMS_TENCENT && m->app_id == NULL)
		cf_err(cx, s, "%s: provider 'tencent' needs app_id", path);
}
static const struct cf_schema cf_sms_schema = {
    0, offsetof(struct conf_sms, present) + 1, NULL, cf_sms_check, cf_sms_keys};

static const struct cf_key cf_robot_keys[] = {
    K("webhook", CF_SECRET, struct conf_robot, webhook, CF_REQUIRED, 0, 0, NULL,
      NULL),
    K("secret", CF_SECRET, struct conf_robot, secret, 0, 0, 0, NULL, NULL),
    K("markdown", CF_BOOL, struct conf_robot, markdown, 0, 0, 0, NULL, NULL),
    END,
};

static void
cf_robot_check(struct cf_ctx *cx, void *obj, const config_setting_t *s,
               const char *path)
{
	struct conf_robot *r = obj;

	if (r->webhook.value != NULL &&
	    strncmp(r->webhook.value, "https://", 8) != 0 &&
	    strncmp(r->webhook.value, "http://", 7) != 0)
		cf_err(cx, cf_member(s, "webhook"),
		       "%s.webhook: must be an http(s) URL", path);
}
static const struct cf_schema cf_robot_schema = {
    0, offsetof(struct conf_robot, present) + 1, NULL, cf_robot_check,
    cf_robot_keys};

static const struct cf_key cf_console_keys[] = {
    K("file", CF_STRING, struct conf_console, file, 0, 1, 1024, NULL, NULL),
    END,
};
static const struct cf_schema cf_console_schema = {
    0, offsetof(struct conf_console, present) + 1, NULL, NULL, cf_console_keys};

static const struct cf_key cf_channels_keys[] = {
    K("console", CF_GROUP, struct conf_channels, console, 0, 0, 0, NULL,
      &cf_console_schema),
    K("smtp", CF_GROUP, struct conf_channels, smtp, 0, 0, 0, NULL,
      &cf_smtp_schema),
    K("sms", CF_GROUP, struct conf_channels, sms, 0, 0, 0, NULL,
      &cf_sms_schema),
    K("wecom", CF_GROUP, struct conf_channels, wecom, 0, 0, 0, NULL,
      &cf_robot_schema),
    K("dingtalk", CF_GROUP, struct conf_channels, dingtalk, 0, 0, 0, NULL,
      &cf_robot_schema),
    END,
};
static const struct cf_schema cf_channels_schema = {0, 0, NULL, NULL,
                                                    cf_channels_keys};

static const struct cf_key cf_level_keys[] = {
    K("name", CF_STRING, struct conf_level, name, CF_REQUIRED, 1, 64, NULL,
      NULL),
    K("recipients", CF_STRLIST, struct conf_level, recipients, CF_REQUIRED, 0,
      256, NULL, NULL),
    K("classes", CF_ENUMLIST, struct conf_level, classes, 0, 0, 2, cf_classes,
      NULL),
    K("milestones", CF_ENUMLIST, struct conf_level, milestones, 0, 0, 3,
      cf_milestones, NULL),
    K("channels", CF_ENUMLIST, struct conf_level, channels, 0, 0, 4,
      cf_channels, NULL),
    K("from_lead", CF_DURATION, struct conf_level, from_lead, 0, 0, 30 * MS_DAY,
      NULL, NULL),
    K("at_breach", CF_BOOL, struct conf_level, at_breach, 0, 0, 0, NULL, NULL),
    K("on_unacked", CF_BOOL, struct conf_level, on_unacked, 0, 0, 0, NULL,
      NULL),
    END,
};

static void
cf_level_init(void *obj)
{
	((struct conf_level *)obj)->from_lead = -1; /* every stage */
}
static const struct cf_schema cf_level_schema = {
    sizeof(struct conf_level), 0, cf_level_init, NULL, cf_level_keys};

static const struct cf_key cf_escalation_keys[] = {
    K("ack_major", CF_DURATION, struct conf_escalation, ack_major, 0, MS_MINUTE,
      MS_DAY, NULL, NULL),
    K("ack_ordinary", CF_DURATION, struct conf_escalation, ack_ordinary, 0,
      MS_MINUTE, 7 * MS_DAY, NULL, NULL),
    K("repeat", CF_DURATION, struct conf_escalation, repeat, 0, MS_MINUTE,
      MS_DAY, NULL, NULL),
    K("technical", CF_STRING, struct conf_escalation, technical, 0, 1, 64, NULL,
      NULL),
    K("ack_secret", CF_SECRET, struct conf_escalation, ack_secret, 0, 0, 0,
      NULL, NULL),
    K("ack_ttl", CF_DURATION, struct conf_escalation, ack_ttl, 0, MS_MINUTE,
      30 * MS_DAY, NULL, NULL),
    K("levels", CF_LIST, struct conf_escalation, levels, 0, 0, 64, NULL,
      &cf_level_schema),
    END,
};
static void
cf_escalation_check(struct cf_ctx *cx, void *obj, const config_setting_t *s,
                    const char *path)
{
	struct conf_escalation *e = obj;

	if (e->ack_secret.value != NULL && strlen(e->ack_secret.value) < 16)
		cf_err(cx, cf_member(s, "ack_secret"),
		       "%s.ack_secret: at least 16 bytes", path);
}
static const struct cf_schema cf_escalation_schema = {
    0, 0, NULL, cf_escalation_check, cf_escalation_keys};

static const struct cf_key cf_delivery_keys[] = {
    K("retry_min", CF_DURATION, struct conf_delivery, retry_min, 0, 100,
      MS_HOUR, NULL, NULL),
    K("retry_max", CF_DURATION, struct conf_delivery, retry_max, 0, MS_SECOND,
      MS_DAY, NULL, NULL),
    K("max_attempts", CF_INT, struct conf_delivery, max_attempts, 0, 1, 1000,
      NULL, NULL),
    K("sms_chars", CF_INT, struct conf_delivery, sms_chars, 0, 40, 670, NULL,
      NULL),
    K("robot_per_minute", CF_INT, struct conf_delivery, robot_per_minute, 0, 1,
      100, NULL, NULL),
    K("sms_per_minute", CF_INT, struct conf_delivery, sms_per_minute, 0, 1,
      1000, NULL, NULL),
    K("email_per_minute", CF_INT, struct conf_delivery, email_per_minute, 0, 1,
      1000, NULL, NULL),
    K("rate_window", CF_DURATION, struct conf_delivery, rate_window, 0,
      MS_SECOND, MS_HOUR, NULL, NULL),
    K("quiet_start", CF_STRING, struct conf_delivery, quiet_start, 0, 0, 5,
      NULL, NULL),
    K("quiet_end", CF_STRING, struct conf_delivery, quiet_end, 0, 0, 5, NULL,
      NULL),
    END,
};

/* "HH:MM" to minutes of the day; -1 if s is not one. */
static int
cf_hhmm(const char *s)
{
	int h, m;
	char end;

	if (s == NULL || sscanf(s, "%2d:%2d%c", &h, &m, &end) != 2 ||
	    strlen(s) != 5 || h < 0 || h > 23 || m < 0 || m > 59)
		return -1;
	return h * 60 + m;
}

static void
cf_delivery_check(struct cf_ctx *cx, void *obj, const config_setting_t *s,
                  const char *path)
{
	struct conf_delivery *d = obj;
	int empty = d->quiet_start != NULL && d->quiet_start[0] == '\0';

	d->quiet_from = empty ? -1 : cf_hhmm(d->quiet_start);
	d->quiet_to = empty ? -1 : cf_hhmm(d->quiet_end);
	if (!empty && d->quiet_from < 0)
		cf_err(cx, cf_member(s, "quiet_start"),
		       "%s.quiet_start: expected HH:MM (or \"\" for none)",
		       path);
	if (!empty && d->quiet_to < 0)
		cf_err(cx, cf_member(s, "quiet_end"),
		       "%s.quiet_end: expected HH:MM", path);
	if (d->retry_min > d->retry_max)
		cf_err(cx, cf_member(s, "retry_min"),
		       "%s.retry_min: longer than retry_max", path);
}
static const struct cf_schema cf_delivery_schema = {
    0, 0, NULL, cf_delivery_check, cf_delivery_keys};

static const struct cf_key cf_responses_keys[] = {
    K("auto_respond", CF_BOOL, struct conf_responses, auto_respond, 0, 0, 0,
      NULL, NULL),
    K("phrases", CF_STRLIST, struct conf_responses, phrases, 0, 1, 64, NULL,
      NULL),
    END,
};
static const struct cf_schema cf_responses_schema = {0, 0, NULL, NULL,
                                                     cf_responses_keys};

static const struct cf_key cf_milestone_keys[] = {
    K("window", CF_DURATION, struct conf_milestone, window, 0, MS_MINUTE,
      30 * MS_DAY, NULL, NULL),
    K("warn", CF_DURLIST, struct conf_milestone, warn, 0, MS_MINUTE,
      30 * MS_DAY, NULL, NULL),
    K("remind", CF_DURATION, struct conf_milestone, remind, 0, MS_MINUTE,
      7 * MS_DAY, NULL, NULL),
    END,
};

static void
cf_milestone_check(struct cf_ctx *cx, void *obj, const config_setting_t *s,
                   const char *path)
{
	struct conf_milestone *m = obj;
	const config_setting_t *warn = config_setting_get_member(s, "warn");
	const config_setting_t *at;
	char w[32], win[32];
	size_t i, j;

	for (i = 0; i < m->warn.n; i++) {
		at = warn != NULL ? config_setting_get_elem(warn, (unsigned)i)
		                  : NULL;
		if (at == NULL)
			at = s;
		config_duration_format(m->warn.v[i], w, sizeof(w));
		if (m->warn.v[i] >= m->window) {
			config_duration_format(m->window, win, sizeof(win));
			cf_err(cx, at,
			       "%s.warn: warning %s before due is not inside "
			       "the %s window",
			       path, w, win);
		}
		for (j = 0; j < i; j++)
			if (m->warn.v[j] == m->warn.v[i])
				cf_err(cx, at, "%s.warn: %s is listed twice",
				       path, w);
	}
}
static const struct cf_schema cf_milestone_schema = {
    0, 0, NULL, cf_milestone_check, cf_milestone_keys};

static const struct cf_key cf_deadlines_keys[] = {
    K("release", CF_GROUP, struct conf_deadlines, release, 0, 0, 0, NULL,
      &cf_milestone_schema),
    K("presser", CF_GROUP, struct conf_deadlines, presser, 0, 0, 0, NULL,
      &cf_milestone_schema),
    K("response", CF_GROUP, struct conf_deadlines, response, 0, 0, 0, NULL,
      &cf_milestone_schema),
    K("skew_max", CF_DURATION, struct conf_deadlines, skew_max, 0, 0,
      7 * MS_DAY, NULL, NULL),
    K("stale_age", CF_DURATION, struct conf_deadlines, stale_age, 0, MS_HOUR,
      365 * MS_DAY, NULL, NULL),
    END,
};
static const struct cf_schema cf_deadlines_schema = {0, 0, NULL, NULL,
                                                     cf_deadlines_keys};

static const struct cf_key cf_templates_keys[] = {
    K("subject", CF_TEMPLATE, struct conf_templates, subject, 0, 1, 512, NULL,
      NULL),
    K("text", CF_TEMPLATE, struct conf_templates, text, 0, 1, 8192, NULL, NULL),
    K("sms", CF_TEMPLATE, struct conf_templates, sms, 0, 1, 512, NULL, NULL),
    K("breach_sms", CF_TEMPLATE, struct conf_templates, breach_sms, 0, 1, 512,
      NULL, NULL),
    K("unacked", CF_TEMPLATE, struct conf_templates, unacked, 0, 1, 512, NULL,
      NULL),
    K("source_down", CF_TEMPLATE, struct conf_templates, source_down, 0, 1,
      1024, NULL, NULL),
    K("report_subject", CF_TEMPLATE, struct conf_templates, report_subject, 0,
      1, 512, NULL, NULL),
    K("report_text", CF_TEMPLATE, struct conf_templates, report_text, 0, 1,
      4000, NULL, NULL),
    K("report_robot", CF_TEMPLATE, struct conf_templates, report_robot, 0, 1,
      4000, NULL, NULL),
    END,
};
static const struct cf_schema cf_templates_schema = {0, 0, NULL, NULL,
                                                     cf_templates_keys};

static const struct cf_key cf_report_keys[] = {
    K("mail_to", CF_STRLIST, struct conf_report, mail_to, 0, 1, 256, NULL,
      NULL),
    K("robots", CF_BOOL, struct conf_report, robots, 0, 0, 0, NULL, NULL),
    K("at", CF_STRING, struct conf_report, at, 0, 5, 5, NULL, NULL),
    K("catch_up", CF_DURATION, struct conf_report, catch_up, 0, 0,
      7 * MS_DAY - MS_MINUTE, NULL, NULL),
    END,
};

static void
cf_report_check(struct cf_ctx *cx, void *obj, const config_setting_t *s,
                const char *path)
{
	struct conf_report *r = obj;

	r->at_min = cf_hhmm(r->at);
	if (r->at_min < 0)
		cf_err(cx, cf_member(s, "at"), "%s.at: expected HH:MM", path);
}
static const struct cf_schema cf_report_schema = {0, 0, NULL, cf_report_check,
                                                  cf_report_keys};

static const struct cf_key cf_token_keys[] = {
    K("name", CF_STRING, struct conf_token, name, CF_REQUIRED, 1, 64, NULL,
      NULL),
    K("role", CF_ENUM, struct conf_token, role, CF_REQUIRED, 0, 0, cf_roles,
      NULL),
    K("token", CF_SECRET, struct conf_token, token, CF_REQUIRED, 0, 0, NULL,
      NULL),
    END,
};

static void
cf_token_check(struct cf_ctx *cx, void *obj, const config_setting_t *s,
               const char *path)
{
	struct conf_token *t = obj;

	if (t->token.value != NULL && strlen(t->token.value) < 16)
		cf_err(cx, cf_member(s, "token"),
		       "%s.token: shorter than 16 characters", path);
}
static const struct cf_schema cf_token_schema = {
    sizeof(struct conf_token), 0, NULL, cf_token_check, cf_token_keys};

static const struct cf_key cf_api_keys[] = {
    K("tokens", CF_LIST, struct conf_api, tokens, 0, 0, 1000, NULL,
      &cf_token_schema),
    K("rate", CF_INT, struct conf_api, rate, 0, 1, 10000, NULL, NULL),
    K("burst", CF_INT, struct conf_api, burst, 0, 1, 100000, NULL, NULL),
    END,
};
static const struct cf_schema cf_api_schema = {0, 0, NULL, NULL, cf_api_keys};

static const struct cf_key cf_root_keys[] = {
    K("log", CF_GROUP, struct config, log, 0, 0, 0, NULL, &cf_log_schema),
    K("daemon", CF_GROUP, struct config, daemon, 0, 0, 0, NULL,
      &cf_daemon_schema),
    K("clock", CF_GROUP, struct config, clock, 0, 0, 0, NULL, &cf_clock_schema),
    K("redis", CF_GROUP, struct config, redis, CF_REQUIRED, 0, 0, NULL,
      &cf_redis_schema),
    K("http", CF_GROUP, struct config, http, 0, 0, 0, NULL, &cf_http_schema),
    K("fetch", CF_GROUP, struct config, fetch, 0, 0, 0, NULL, &cf_fetch_schema),
    K("feeds", CF_LIST, struct config, feeds, 0, 0, CF_MAX_LIST, NULL,
      &cf_feed_schema),
    K("rules", CF_GROUP, struct config, rules, 0, 0, 0, NULL, &cf_rules_schema),
    K("classify", CF_GROUP, struct config, classify, 0, 0, 0, NULL,
      &cf_classify_schema),
    K("recipients", CF_LIST, struct config, recipients, 0, 0, 1000, NULL,
      &cf_recipient_schema),
    K("channels", CF_GROUP, struct config, channels, 0, 0, 0, NULL,
      &cf_channels_schema),
    K("escalation", CF_GROUP, struct config, escalation, 0, 0, 0, NULL,
      &cf_escalation_schema),
    K("delivery", CF_GROUP, struct config, delivery, 0, 0, 0, NULL,
      &cf_delivery_schema),
    K("responses", CF_GROUP, struct config, responses, 0, 0, 0, NULL,
      &cf_responses_schema),
    K("deadlines", CF_GROUP, struct config, deadlines, 0, 0, 0, NULL,
      &cf_deadlines_schema),
    K("templates", CF_GROUP, struct config, templates, 0, 0, 0, NULL,
      &cf_templates_schema),
    K("report", CF_GROUP, struct config, report, 0, 0, 0, NULL,
      &cf_report_schema),
    K("api", CF_GROUP, struct config, api, 0, 0, 0, NULL, &cf_api_schema),
    END,
};

static int
cf_find_recipient(const struct config *c, const char *id)
{
	size_t i;

	for (i = 0; i < c->recipients.n; i++)
		if (c->recipients.v[i].id != NULL &&
		    strcmp(c->recipients.v[i].id, id) == 0)
			return 1;
	return 0;
}

/* The i-th element of root.section.list, else root (for error lines). */
static const config_setting_t *
cf_elem(const config_setting_t *root, const char *section, const char *list,
        size_t i)
{
	const config_setting_t *s = config_setting_get_member(root, section);

	if (s != NULL && list != NULL)
		s = config_setting_get_member(s, list);
	if (s != NULL)
		s = config_setting_get_elem(s, (unsigned)i);
	return s != NULL ? s : root;
}

/* Checks across sections: unique ids, references that resolve. */
static void
cf_root_check(struct cf_ctx *cx, void *obj, const config_setting_t *root,
              const char *path)
{
	struct config *c = obj;
	const config_setting_t *list, *e;
	size_t i, j, k;

	(void)path;
	list = config_setting_get_member(root, "feeds");
	for (i = 0; i < c->feeds.n; i++)
		for (j = 0; j < i; j++)
			if (c->feeds.v[i].id != NULL && c->feeds.v[j].id &&
			    strcmp(c->feeds.v[i].id, c->feeds.v[j].id) == 0)
				cf_err(
				    cx,
				    config_setting_get_elem(list, (unsigned)i),
				    "feeds[%zu]: duplicate feed id '%s' "
				    "(also feeds[%zu])",
				    i, c->feeds.v[i].id, j);
	list = config_setting_get_member(root, "recipients");
	for (i = 0; i < c->recipients.n; i++)
		for (j = 0; j < i; j++)
			if (c->recipients.v[i].id != NULL &&
			    c->recipients.v[j].id != NULL &&
			    strcmp(c->recipients.v[i].id,
			           c->recipients.v[j].id) == 0)
				cf_err(
				    cx,
				    config_setting_get_elem(list, (unsigned)i),
				    "recipients[%zu]: duplicate recipient "
				    "id '%s'",
				    i, c->recipients.v[i].id);
	e = config_setting_get_member(root, "escalation");
	if (e != NULL)
		e = config_setting_get_member(e, "levels");
	for (i = 0; i < c->escalation.levels.n; i++) {
		struct conf_level *l = &c->escalation.levels.v[i];
		const config_setting_t *le =
		    e != NULL ? config_setting_get_elem(e, (unsigned)i) : root;

		for (k = 0; k < l->recipients.n; k++)
			if (!cf_find_recipient(c, l->recipients.v[k]))
				cf_err(cx, le,
				       "escalation.levels[%zu].recipients: "
				       "unknown recipient '%s'",
				       i, l->recipients.v[k]);
	}
	if (c->escalation.technical != NULL &&
	    !cf_find_recipient(c, c->escalation.technical))
		cf_err(cx,
		       cf_member(cf_member(root, "escalation"), "technical"),
		       "escalation.technical: unknown recipient '%s'",
		       c->escalation.technical);
	for (i = 0; i < c->report.mail_to.n; i++) {
		const char *to = c->report.mail_to.v[i];

		if (strchr(to, '@') == NULL && !cf_find_recipient(c, to))
			cf_err(cx,
			       cf_member(cf_member(root, "report"), "mail_to"),
			       "report.mail_to: '%s' is neither a recipient "
			       "nor an e-mail address",
			       to);
		else if (strchr(to, '@') != NULL &&
		         (strpbrk(to, " \t\r\n<>,") != NULL || strlen(to) > 63))
			cf_err(cx,
			       cf_member(cf_member(root, "report"), "mail_to"),
			       "report.mail_to: '%s' is not an e-mail address "
			       "(at most 63 bytes, no blanks, <, > or commas)",
			       to);
	}
	for (i = 0; i < c->api.tokens.n; i++)
		for (j = 0; j < i; j++)
			if (c->api.tokens.v[i].name != NULL &&
			    c->api.tokens.v[j].name != NULL &&
			    strcmp(c->api.tokens.v[i].name,
			           c->api.tokens.v[j].name) == 0)
				cf_err(cx, cf_elem(root, "api", "tokens", i),
				       "api.tokens[%zu]: duplicate token name "
				       "'%s'",
				       i, c->api.tokens.v[i].name);
}
static const struct cf_schema cf_root_schema = {0, 0, NULL, cf_root_check,
                                                cf_root_keys};

/* Defaults: what the office runs with when a key is left out. */
static void
cf_defaults(struct config *c)
{
	static const int64_t release_warn[] = {2 * MS_HOUR, MS_HOUR,
	                                       30 * MS_MINUTE};
	static const int64_t presser_warn[] = {4 * MS_HOUR, MS_HOUR};
	static const int64_t response_warn[] = {24 * MS_HOUR, 12 * MS_HOUR,
	                                        4 * MS_HOUR, MS_HOUR};
	struct {
		struct conf_milestone *m;
		int64_t window, remind;
		const int64_t *warn;
		size_t nwarn;
	} ms[] = {
	    {&c->deadlines.release, 5 * MS_HOUR, 30 * MS_MINUTE, release_warn,
	     3},
	    {&c->deadlines.presser, 24 * MS_HOUR, 30 * MS_MINUTE, presser_warn,
	     2},
	    {&c->deadlines.response, 48 * MS_HOUR, 4 * MS_HOUR, response_warn,
	     4},
	};
	size_t i;

	c->log.level = LOG_INFO;
	c->daemon.state_dir = xstrdup("/var/lib/yuqing");
	c->daemon.shutdown_grace = 10 * MS_SECOND;
	c->clock.zone = xstrdup("Asia/Shanghai");
	c->redis.address = xstrdup("127.0.0.1:6379");
	c->redis.prefix = xstrdup("yq");
	c->redis.connect_timeout = 2 * MS_SECOND;
	c->redis.command_timeout = 5 * MS_SECOND;
	c->redis.backoff_min = 200;
	c->redis.backoff_max = 30 * MS_SECOND;
	c->redis.ping_interval = 5 * MS_SECOND;
	c->http.listen = xstrdup("127.0.0.1:8787");
	c->http.max_body = 64 << 10;
	c->http.max_headers = 16 << 10;
	c->http.timeout = 30 * MS_SECOND;
	c->fetch.max_concurrent = 32;
	c->fetch.per_host = 2;
	c->fetch.host_spacing = MS_SECOND;
	c->fetch.max_body = 16 << 20;
	c->fetch.connect_timeout = 10 * MS_SECOND;
	c->fetch.timeout = 60 * MS_SECOND;
	c->fetch.low_speed_time = 30 * MS_SECOND;
	c->fetch.user_agent = xstrdup("yuqing-monitor/" YQ_VERSION);
	c->fetch.down_after_failures = 5;
	c->fetch.down_after = 30 * MS_MINUTE;
	c->channels.smtp.timeout = 60 * MS_SECOND;
	c->channels.smtp.starttls = 1;
	c->delivery.retry_min = 10 * MS_SECOND;
	c->delivery.retry_max = 10 * MS_MINUTE;
	c->delivery.max_attempts = 20;
	c->delivery.sms_chars = 134;
	c->delivery.robot_per_minute = 20;
	c->delivery.sms_per_minute = 100;
	c->delivery.email_per_minute = 100;
	c->delivery.rate_window = MS_MINUTE;
	c->delivery.quiet_start = xstrdup("22:00");
	c->delivery.quiet_end = xstrdup("07:00");
	c->delivery.quiet_from = 22 * 60;
	c->delivery.quiet_to = 7 * 60;
	c->escalation.ack_major = 15 * MS_MINUTE;
	c->escalation.ack_ordinary = 2 * MS_HOUR;
	c->escalation.repeat = 30 * MS_MINUTE;
	c->escalation.ack_ttl = 24 * MS_HOUR;
	c->api.rate = 20;
	c->api.burst = 100;
	for (i = 0; i < sizeof(ms) / sizeof(ms[0]); i++) {
		ms[i].m->window = ms[i].window;
		ms[i].m->remind = ms[i].remind;
		ms[i].m->warn.v = xcalloc(ms[i].nwarn, sizeof(int64_t));
		memcpy(ms[i].m->warn.v, ms[i].warn,
		       ms[i].nwarn * sizeof(int64_t));
		ms[i].m->warn.n = ms[i].nwarn;
	}
	c->classify.major_grades.v = xcalloc(2, sizeof(char *));
	c->classify.major_grades.v[0] = xstrdup("特别重大");
	c->classify.major_grades.v[1] = xstrdup("重大");
	c->classify.major_grades.n = 2;
	{
		static const char *const phrases[] = {
		    "情况通报", "情况说明",   "官方回应",     "新闻发布会",
		    "答记者问", "成立调查组", "已成立调查组", "权威发布"};
		size_t k;

		c->responses.phrases.v = xcalloc(
		    sizeof(phrases) / sizeof(phrases[0]), sizeof(char *));
		for (k = 0; k < sizeof(phrases) / sizeof(phrases[0]); k++)
			c->responses.phrases.v[k] = xstrdup(phrases[k]);
		c->responses.phrases.n = k;
	}
	c->deadlines.skew_max = 6 * MS_HOUR;
	c->deadlines.stale_age = 48 * MS_HOUR;
	c->templates.subject = xstrdup("【舆情{stage}】{title}");
	c->templates.text = xstrdup(
	    "舆情事件：{title}\n级别：{class}（{grade}）\n节点：{milestone}"
	    "\n截止：{due}\n状态：{stage}\n责任单位：{departments}\n"
	    "链接：{link}\n确认：{ack_link}");
	c->templates.sms =
	    xstrdup("【舆情提醒】{title}：{milestone}{time_left}，截止{due}。"
	            "确认：{ack_link}");
	c->templates.breach_sms = xstrdup(
	    "【舆情超时】{title}：{milestone}已超时{overdue}，请立即处置。"
	    "确认：{ack_link}");
	c->templates.unacked =
	    xstrdup("【舆情待确认】{title}：尚无人确认，{milestone}截止{due}"
	            "（{time_left}）。确认：{ack_link}");
	c->templates.source_down =
	    xstrdup("【信息源中断】{feed} 自{since}起无法读取：{error}");
	c->templates.report_subject = xstrdup("【舆情时效周报】{period}");
	c->templates.report_text =
	    xstrdup("{period}舆情处置时效统计\n\n{summary}\n\n"
	            "完整报表见本邮件正文（HTML）与附件（CSV）。\n{link}");
	c->templates.report_robot =
	    xstrdup("【舆情时效周报】{period}\n{summary}\n{link}");
	c->report.at = xstrdup("09:00");
	c->report.at_min = 9 * 60;
	c->report.catch_up = 24 * MS_HOUR;
}

/* Freeing ---------------------------------------------------------------- */

static void
cf_secret_free(struct secret *s)
{
	if (s->value != NULL)
		explicit_bzero(s->value, strlen(s->value));
	free(s->value);
	free(s->source);
}

static void
cf_strlist_free(struct strlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
}

static void
cf_free_obj(const struct cf_schema *sc, void *obj)
{
	const struct cf_key *k;
	char *field;
	struct cf_generic_list *l;
	size_t i;

	for (k = sc->keys; k->name != NULL; k++) {
		field = (char *)obj + k->off;
		switch (k->type) {
		case CF_STRING:
		case CF_TEMPLATE:
		case CF_ZONE:
		case CF_ADDR:
		case CF_URL:
			free(*(char **)(void *)field);
			break;
		case CF_STRLIST:
		case CF_ENUMLIST:
			cf_strlist_free((struct strlist *)(void *)field);
			break;
		case CF_DURLIST:
			free(((struct durlist *)(void *)field)->v);
			break;
		case CF_SECRET:
			cf_secret_free((struct secret *)(void *)field);
			break;
		case CF_GROUP:
			cf_free_obj(k->sub, field);
			break;
		case CF_LIST:
			l = (struct cf_generic_list *)(void *)field;
			for (i = 0; i < l->n; i++)
				cf_free_obj(k->sub,
				            (char *)l->v + i * k->sub->size);
			free(l->v);
			break;
		default:
			break;
		}
	}
}

void
config_free(struct config *c)
{
	if (c == NULL)
		return;
	cf_free_obj(&cf_root_schema, c);
	free(c->path);
	free(c);
}

/* Loading ---------------------------------------------------------------- */

/*
 * A configuration of defaults only, as if read from an empty file at path
 * (relative rule files resolve against its directory); rules lists the
 * rule files.  For the offline commands run without a configuration.
 */
struct config *
config_new_default(const char *path, const char *const *rules, size_t nrules)
{
	struct config *c = xcalloc(1, sizeof(*c));
	size_t i;

	c->path = xstrdup(path);
	cf_defaults(c);
	c->rules.files.v = xcalloc(nrules, sizeof(char *));
	for (i = 0; i < nrules; i++)
		c->rules.files.v[i] = xstrdup(rules[i]);
	c->rules.files.n = nrules;
	return c;
}

/*
 * Parse and check one file.  Returns the configuration, or NULL with every
 * problem found in errs (the caller clears errs).
 */
struct config *
config_load(const char *path, struct config_errors *errs)
{
	struct cf_ctx cx;
	struct config *c;
	config_t cf;
	const char *efile;
	int line, nlines;

	c = xcalloc(1, sizeof(*c));
	c->path = xstrdup(path);
	cf_defaults(c);
	cx.file = path;
	cx.errs = errs;
	cx.conf = c;
	config_init(&cf);
	config_set_options(&cf, 0); /* no silent int->float conversion */
	if (config_read_file(&cf, path) != CONFIG_TRUE) {
		efile = config_error_file(&cf);
		if (efile == NULL)
			efile = path;
		line = config_error_line(&cf);
		nlines = cf_count_lines(efile);
		if (config_error_type(&cf) == CONFIG_ERR_FILE_IO)
			cf_err(&cx, NULL, "cannot read configuration: %s",
			       strerror(errno));
		else if (line > nlines && nlines > 0)
			cf_err_at(&cx, efile, nlines,
			          "%s: unexpected end of file (an unclosed "
			          "'{', '(', '[' or string?)",
			          config_error_text(&cf));
		else
			cf_err_at(&cx, efile, line, "%s",
			          config_error_text(&cf));
		config_destroy(&cf);
		config_free(c);
		return NULL;
	}
	cf_group(&cx, config_root_setting(&cf), "", &cf_root_schema, c);
	config_destroy(&cf);
	if (errs->n > 0) {
		config_errors_sort(errs);
		config_free(c);
		return NULL;
	}
	return c;
}

/* Dumping ---------------------------------------------------------------- */

static void cf_dump_obj(const struct cf_schema *, const void *,
                        config_setting_t *);

static void
cf_dump_secret(const struct cf_key *k, const struct secret *s,
               config_setting_t *grp)
{
	char name[96];
	config_setting_t *n;

	if (s->source == NULL)
		return;
	if (strncmp(s->source, "file:", 5) == 0) {
		snprintf(name, sizeof(name), "%s_file", k->name);
		n = config_setting_add(grp, name, CONFIG_TYPE_STRING);
		config_setting_set_string(n, s->source + 5);
	} else if (strncmp(s->source, "env:", 4) == 0) {
		snprintf(name, sizeof(name), "%s_env", k->name);
		n = config_setting_add(grp, name, CONFIG_TYPE_STRING);
		config_setting_set_string(n, s->source + 4);
	} else {
		n = config_setting_add(grp, k->name, CONFIG_TYPE_STRING);
		config_setting_set_string(n, "(redacted)");
	}
}

static void
cf_dump_key(const struct cf_key *k, const void *obj, config_setting_t *grp)
{
	const char *field = (const char *)obj + k->off;
	config_setting_t *n, *e;
	const struct strlist *sl;
	const struct durlist *dl;
	const struct cf_generic_list *gl;
	const char *str;
	char dur[32];
	int64_t iv;
	size_t i;

	switch (k->type) {
	case CF_INT:
		iv = *(const int64_t *)(const void *)field;
		if (iv >= INT32_MIN && iv <= INT32_MAX) {
			n = config_setting_add(grp, k->name, CONFIG_TYPE_INT);
			config_setting_set_int(n, (int)iv);
		} else {
			n = config_setting_add(grp, k->name, CONFIG_TYPE_INT64);
			config_setting_set_int64(n, iv);
		}
		break;
	case CF_DURATION:
		if (*(const int64_t *)(const void *)field < 0)
			break;
		config_duration_format(*(const int64_t *)(const void *)field,
		                       dur, sizeof(dur));
		n = config_setting_add(grp, k->name, CONFIG_TYPE_STRING);
		config_setting_set_string(n, dur);
		break;
	case CF_BOOL:
		n = config_setting_add(grp, k->name, CONFIG_TYPE_BOOL);
		config_setting_set_bool(n, *(const int *)(const void *)field);
		break;
	case CF_ENUM:
		n = config_setting_add(grp, k->name, CONFIG_TYPE_STRING);
		config_setting_set_string(
		    n, k->choices[*(const int *)(const void *)field]);
		break;
	case CF_LOGLEVEL:
		n = config_setting_add(grp, k->name, CONFIG_TYPE_STRING);
		config_setting_set_string(
		    n, log_level_name(*(const int *)(const void *)field));
		break;
	case CF_STRING:
	case CF_TEMPLATE:
	case CF_ZONE:
	case CF_ADDR:
	case CF_URL:
		str = *(char *const *)(const void *)field;
		if (str == NULL)
			break;
		n = config_setting_add(grp, k->name, CONFIG_TYPE_STRING);
		config_setting_set_string(n, str);
		break;
	case CF_STRLIST:
	case CF_ENUMLIST:
		sl = (const struct strlist *)(const void *)field;
		n = config_setting_add(grp, k->name, CONFIG_TYPE_ARRAY);
		for (i = 0; i < sl->n; i++)
			config_setting_set_string_elem(n, -1, sl->v[i]);
		break;
	case CF_DURLIST:
		dl = (const struct durlist *)(const void *)field;
		n = config_setting_add(grp, k->name, CONFIG_TYPE_ARRAY);
		for (i = 0; i < dl->n; i++) {
			config_duration_format(dl->v[i], dur, sizeof(dur));
			config_setting_set_string_elem(n, -1, dur);
		}
		break;
	case CF_SECRET:
		cf_dump_secret(k, (const struct secret *)(const void *)field,
		               grp);
		break;
	case CF_GROUP:
		if (k->sub->present != 0 &&
		    !*(const int *)(const void *)(field + k->sub->present - 1))
			break; /* an optional group that was not given */
		n = config_setting_add(grp, k->name, CONFIG_TYPE_GROUP);
		cf_dump_obj(k->sub, field, n);
		break;
	case CF_LIST:
		gl = (const struct cf_generic_list *)(const void *)field;
		n = config_setting_add(grp, k->name, CONFIG_TYPE_LIST);
		for (i = 0; i < gl->n; i++) {
			e = config_setting_add(n, NULL, CONFIG_TYPE_GROUP);
			cf_dump_obj(k->sub,
			            (const char *)gl->v + i * k->sub->size, e);
		}
		break;
	}
}

static void
cf_dump_obj(const struct cf_schema *sc, const void *obj, config_setting_t *grp)
{
	const struct cf_key *k;

	for (k = sc->keys; k->name != NULL; k++)
		cf_dump_key(k, obj, grp);
}

/*
 * Print the effective configuration, defaults filled in, in the same
 * syntax it is read in.  Secrets appear as where they come from, never as
 * their value.
 */
int
config_dump(const struct config *c, FILE *out)
{
	config_t cf;

	config_init(&cf);
	config_set_options(&cf, CONFIG_OPTION_SEMICOLON_SEPARATORS);
	cf_dump_obj(&cf_root_schema, c, config_root_setting(&cf));
	config_write(&cf, out);
	config_destroy(&cf);
	return ferror(out) ? -1 : 0;
}

/*
 * --check-config: print "configuration OK" (or, with dump, the effective
 * configuration) to out, or every error to err; the exit status.
 */
int
config_check_file(const char *path, int dump, FILE *out, FILE *err)
{
	struct config_errors errs = {NULL, NULL, 0};
	struct config *c;
	int rc = 0;

	c = config_load(path, &errs);
	if (c == NULL) {
		config_errors_print(&errs, err);
		config_errors_clear(&errs);
		return 1;
	}
	if (dump)
		rc = config_dump(c, out) == 0 ? 0 : 1;
	else
		fprintf(out, "configuration OK\n");
	config_free(c);
	return rc;
}
