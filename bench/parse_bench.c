/*
 * parse_bench.c: parse throughput of feed_parse(), the daemon's real
 * parser (charset decoding, cleaning, libxml2 or jansson, normalisation,
 * dates, identity keys), over every file of a corpus directory.
 *
 *   bench_parse [-r ROUNDS] [-w WARMUP] [-s SUFFIX] DIR
 *
 * All files (except manifest.json; with -s only names ending in SUFFIX)
 * are read into memory first, sorted by name; only the
 * parse loop is timed: per file feed_parse() then feed_doc_clear(), with
 * the options the daemon would use (url http://127.0.0.1/NAME, zone
 * Asia/Shanghai, chinese, now = the current time).  Prints one JSON
 * object: items/s, MB/s (10^6 bytes), files/s, per-round seconds and the
 * peak RSS (getrusage ru_maxrss, which includes the loaded corpus; the RSS
 * after loading is printed too) and, when DIR has gen_corpus.py's
 * manifest.json, the items it promises.  Rates use the median round;
 * warm-up rounds are parsed but not timed.
 */
#include <sys/resource.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "feeds/feeds.h"

#define BENCH_MAX_FILES 100000
#define BENCH_MAX_FILE  (64u << 20)
#define BENCH_MAX_ROUND 1000

struct bench_file {
	char *name;
	char url[300];
	char *body;
	size_t len;
};

struct bench_corpus {
	struct bench_file *v;
	size_t n, cap;
	size_t bytes;
};

static int
bench_name_cmp(const void *a, const void *b)
{
	const struct bench_file *fa = a, *fb = b;

	return strcmp(fa->name, fb->name);
}

static double
bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long
bench_maxrss_kib(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) == -1)
		return -1;
	return ru.ru_maxrss; /* KiB on Linux */
}

/* VmRSS of this process now, in KiB; -1 if unknown. */
static long
bench_rss_kib(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kib = -1;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "VmRSS:", 6) == 0) {
			kib = strtol(line + 6, NULL, 10);
			break;
		}
	fclose(f);
	return kib;
}

/* Read path whole into a malloc'd buffer; -1 on error. */
static int
bench_slurp(const char *path, char **body, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct stat sb;
	char *buf;

	if (f == NULL)
		return -1;
	if (fstat(fileno(f), &sb) == -1 || sb.st_size < 0 ||
	    (unsigned long long)sb.st_size > BENCH_MAX_FILE) {
		fclose(f);
		return -1;
	}
	buf = malloc((size_t)sb.st_size + 1);
	if (buf == NULL ||
	    fread(buf, 1, (size_t)sb.st_size, f) != (size_t)sb.st_size) {
		free(buf);
		fclose(f);
		return -1;
	}
	buf[sb.st_size] = '\0';
	fclose(f);
	*body = buf;
	*len = (size_t)sb.st_size;
	return 0;
}

static int
bench_has_suffix(const char *name, const char *suffix)
{
	size_t n = strlen(name), k = strlen(suffix);

	return n >= k && strcmp(name + n - k, suffix) == 0;
}

/* Every regular file of dir but the manifest, sorted by name. */
static int
bench_load(const char *dir, const char *suffix, struct bench_corpus *c)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char path[4096];
	struct stat sb;

	if (d == NULL) {
		fprintf(stderr, "bench_parse: cannot open '%s': %s\n", dir,
		        strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		struct bench_file *f;

		if (de->d_name[0] == '.' ||
		    strcmp(de->d_name, "manifest.json") == 0 ||
		    !bench_has_suffix(de->d_name, suffix))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (stat(path, &sb) == -1 || !S_ISREG(sb.st_mode))
			continue;
		if (c->n == BENCH_MAX_FILES)
			break;
		if (c->n == c->cap) {
			size_t cap = c->cap ? c->cap * 2 : 1024;
			struct bench_file *nv =
			    realloc(c->v, cap * sizeof(*nv));

			if (nv == NULL)
				break;
			c->v = nv;
			c->cap = cap;
		}
		f = &c->v[c->n];
		memset(f, 0, sizeof(*f));
		if (bench_slurp(path, &f->body, &f->len) == -1) {
			fprintf(stderr, "bench_parse: cannot read '%s'\n",
			        path);
			continue;
		}
		f->name = strdup(de->d_name);
		snprintf(f->url, sizeof(f->url), "http://127.0.0.1/%s",
		         de->d_name);
		c->bytes += f->len;
		c->n++;
	}
	closedir(d);
	qsort(c->v, c->n, sizeof(c->v[0]), bench_name_cmp);
	return c->n > 0 ? 0 : -1;
}

/* Items gen_corpus.py wrote into the loaded files; -1 without a manifest. */
static long long
bench_expected(const char *dir, const struct bench_corpus *c)
{
	char path[4096];
	json_t *m, *files, *e;
	json_error_t err;
	long long sum = 0;
	size_t i;

	snprintf(path, sizeof(path), "%s/manifest.json", dir);
	m = json_load_file(path, 0, &err);
	files = json_object_get(m, "files");
	if (!json_is_array(files)) {
		json_decref(m);
		return -1;
	}
	json_array_foreach(files, i, e)
	{
		struct bench_file key;

		memset(&key, 0, sizeof(key));
		key.name = (char *)(uintptr_t)json_string_value(
		    json_object_get(e, "file"));
		if (key.name != NULL &&
		    bsearch(&key, c->v, c->n, sizeof(c->v[0]),
		            bench_name_cmp) != NULL)
			sum += json_integer_value(json_object_get(e, "items"));
	}
	json_decref(m);
	return sum;
}

static void
bench_corpus_free(struct bench_corpus *c)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		free(c->v[i].name);
		free(c->v[i].body);
	}
	free(c->v);
}

struct bench_tally {
	size_t items, failed, recovered;
	size_t formats[FEED_JSON1 + 1];
	size_t gb18030;
};

/* One pass over the corpus: parse, count, free. */
static void
bench_round(const struct bench_corpus *c, struct feed_parse_opts *po,
            struct bench_tally *t)
{
	struct feed_doc doc;
	size_t i;

	for (i = 0; i < c->n; i++) {
		const struct bench_file *f = &c->v[i];

		po->url = f->url;
		if (feed_parse(f->body, f->len, po, &doc) == -1)
			t->failed++;
		t->items += doc.nitems;
		t->recovered += doc.recovered ? 1 : 0;
		if ((size_t)doc.format <= FEED_JSON1)
			t->formats[doc.format]++;
		if (strcmp(doc.charset, "GB18030") == 0)
			t->gb18030++;
		feed_doc_clear(&doc);
	}
}

static int
bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y ? 1 : 0;
}

/* A small non-negative decimal; -1 if optarg is anything else. */
static int
bench_int(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 0 || v > 1000000)
		return -1;
	return (int)v;
}

static void
usage(void)
{
	fprintf(stderr,
	        "usage: bench_parse [-r ROUNDS] [-w WARMUP] [-s SUFFIX] DIR\n");
}

int
main(int argc, char **argv)
{
	struct bench_corpus c;
	struct bench_tally t, w;
	struct feed_parse_opts po;
	struct timespec now;
	double secs[BENCH_MAX_ROUND], total = 0, t0, med;
	const char *suffix = "";
	json_t *out, *formats;
	long long expected;
	long rss_loaded;
	int ch, rounds = 5, warmup = 1, r, mismatch = 0;
	size_t i;

	while ((ch = getopt(argc, argv, "r:s:w:")) != -1) {
		switch (ch) {
		case 'r':
			rounds = bench_int(optarg);
			break;
		case 's':
			suffix = optarg;
			break;
		case 'w':
			warmup = bench_int(optarg);
			break;
		default:
			usage();
			return 2;
		}
	}
	if (optind + 1 != argc || rounds < 1 || rounds > BENCH_MAX_ROUND ||
	    warmup < 0) {
		usage();
		return 2;
	}
	memset(&c, 0, sizeof(c));
	if (bench_load(argv[optind], suffix, &c) == -1) {
		fprintf(stderr, "bench_parse: no feed files in '%s'\n",
		        argv[optind]);
		bench_corpus_free(&c);
		return 1;
	}
	rss_loaded = bench_rss_kib();
	expected = bench_expected(argv[optind], &c);

	clock_gettime(CLOCK_REALTIME, &now);
	memset(&po, 0, sizeof(po));
	po.http_charset = NULL;
	po.dates.zone = "Asia/Shanghai";
	po.dates.chinese = 1;
	po.now = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;

	memset(&w, 0, sizeof(w));
	for (r = 0; r < warmup; r++)
		bench_round(&c, &po, &w);
	memset(&t, 0, sizeof(t));
	for (r = 0; r < rounds; r++) {
		struct bench_tally one;

		memset(&one, 0, sizeof(one));
		t0 = bench_now();
		bench_round(&c, &po, &one);
		secs[r] = bench_now() - t0;
		total += secs[r];
		if (r == 0)
			t = one;
		else if (one.items != t.items || one.failed != t.failed)
			mismatch = 1; /* every round must do the same work */
	}
	qsort(secs, (size_t)rounds, sizeof(secs[0]), bench_cmp_double);
	med = rounds % 2 ? secs[rounds / 2]
	                 : (secs[rounds / 2 - 1] + secs[rounds / 2]) / 2;

	out = json_pack(
	    "{s:s, s:s, s:I, s:I, s:i, s:i, s:o, s:I, s:I, s:I, s:I}", "impl",
	    "yuqing feed_parse", "suffix", suffix, "files", (json_int_t)c.n,
	    "bytes", (json_int_t)c.bytes, "rounds", rounds, "warmup_rounds",
	    warmup, "items_expected",
	    expected >= 0 ? json_integer(expected) : json_null(),
	    "items_per_round", (json_int_t)t.items, "failed_per_round",
	    (json_int_t)t.failed, "recovered_per_round",
	    (json_int_t)t.recovered, "gb18030_docs", (json_int_t)t.gb18030);
	formats = json_object();
	for (i = 0; i <= FEED_JSON1; i++)
		if (t.formats[i] > 0)
			json_object_set_new(
			    formats, feed_format_name((enum feed_format)i),
			    json_integer((json_int_t)t.formats[i]));
	json_object_set_new(out, "formats", formats);
	json_object_set_new(out, "seconds_total", json_real(total));
	json_object_set_new(out, "seconds_median_round", json_real(med));
	json_object_set_new(out, "seconds_min_round", json_real(secs[0]));
	json_object_set_new(out, "items_per_s",
	                    json_real((double)t.items / med));
	json_object_set_new(out, "mb_per_s",
	                    json_real((double)c.bytes / 1e6 / med));
	json_object_set_new(out, "files_per_s", json_real((double)c.n / med));
	json_object_set_new(out, "items_per_s_mean",
	                    json_real((double)t.items * rounds / total));
	json_object_set_new(out, "rss_after_load_kib",
	                    json_integer(rss_loaded));
	json_object_set_new(out, "peak_rss_kib",
	                    json_integer(bench_maxrss_kib()));
	json_dumpf(out, stdout, JSON_REAL_PRECISION(8));
	putchar('\n');
	json_decref(out);
	bench_corpus_free(&c);
	if (mismatch)
		fprintf(stderr, "bench_parse: rounds differ in items\n");
	return t.failed > 0 || mismatch ? 1 : 0;
}
