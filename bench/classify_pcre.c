/*
 * classify_pcre.c: the PCRE2 part of the classifier alone, and what a
 * required-literal prefilter would make of it.  A bench experiment, not
 * product code: it compiles every pattern exactly as monitor/rules.c does
 * (PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, JIT, the same match and depth
 * limits, one match data of 4 pairs) and matches every pattern against
 * every text, as classify_text() does.
 *
 *   classify_pcre [-r ROUNDS] [-n] [-p PREFILTER.tsv] PATTERNS.txt TEXTS.txt
 *
 * PATTERNS.txt: one pattern per line (classify_patterns.py); TEXTS.txt:
 * one text per line, already simplified (classify_py.py simplify), as
 * classify_text() has it when it matches.
 *   -n  compile without PCRE2_MATCH_INVALID_UTF (what that flag costs)
 *   -p  also run with a prefilter: per pattern the literals one of which
 *       every match contains (prefilter.tsv from classify_patterns.py);
 *       one scan per text looks the literals up by their first code
 *       point, and only patterns whose literal occurs are matched.  The
 *       per-pattern match counts must equal the full run's (exit 1 if
 *       not).
 *
 * Prints one JSON object: texts, rounds, median seconds of the full run
 * (line-major: every pattern for a text, then the next text), of the
 * prefiltered run and of the literal scan alone, the most expensive
 * patterns (pattern-major pass), and the candidate rate.
 *
 * Build: gcc -O2 -o classify_pcre classify_pcre.c -lpcre2-8
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#define _GNU_SOURCE
#include <pcre2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAXPAT    256
#define MAXROUNDS 15

struct lit {
	const char *s;
	size_t len;
	int pat;
	int next;
};

static pcre2_code *re[MAXPAT];
static int npat;
static char **lines;
static size_t *lens;
static size_t nlines;
static pcre2_match_context *mctx;
static pcre2_match_data *md;

static struct lit *lits;
static int nlits;
static int *bucket;        /* first code point (BMP) -> first lit, -1 */
static int always[MAXPAT]; /* no literal set: always matched */

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (f == NULL) {
		perror(path);
		exit(2);
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		perror(path);
		exit(2);
	}
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* Split buf into lines in place. */
static size_t
split(char *buf, char ***out, size_t **outlen)
{
	size_t n = 0, cap = 1024;
	char *p = buf, *nl;
	char **v = malloc(cap * sizeof(*v));
	size_t *l = malloc(cap * sizeof(*l));

	while (*p != '\0') {
		nl = strchr(p, '\n');
		if (nl != NULL)
			*nl = '\0';
		if (n == cap) {
			cap *= 2;
			v = realloc(v, cap * sizeof(*v));
			l = realloc(l, cap * sizeof(*l));
		}
		v[n] = p;
		l[n] = strlen(p);
		n++;
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	*out = v;
	*outlen = l;
	return n;
}

static unsigned
cp_at(const unsigned char *s, size_t n, size_t i, size_t *w)
{
	unsigned c = s[i];

	if (c < 0x80 || i + 1 >= n) {
		*w = 1;
		return c;
	}
	if (c < 0xe0) {
		*w = 2;
		return ((c & 0x1f) << 6) | (s[i + 1] & 0x3f);
	}
	if (c < 0xf0 && i + 2 < n) {
		*w = 3;
		return ((c & 0x0f) << 12) | ((s[i + 1] & 0x3fu) << 6) |
		       (s[i + 2] & 0x3f);
	}
	*w = c < 0xf0 ? 1 : 4;
	return 0x10000; /* outside the table */
}

static void
load_prefilter(const char *path)
{
	size_t len, n, i;
	char *buf = slurp(path, &len);
	char **v;
	size_t *l;
	int cap = 4096;

	n = split(buf, &v, &l);
	if ((int)n != npat) {
		fprintf(stderr, "prefilter: %zu lines for %d patterns\n", n,
		        npat);
		exit(2);
	}
	lits = malloc((size_t)cap * sizeof(*lits));
	bucket = malloc(0x10000 * sizeof(*bucket));
	for (i = 0; i < 0x10000; i++)
		bucket[i] = -1;
	for (i = 0; i < n; i++) {
		char *p = strchr(v[i], '\t');
		int pat = atoi(v[i]);

		always[pat] = p == NULL;
		while (p != NULL) {
			char *s = p + 1;
			size_t w;
			unsigned c;

			p = strchr(s, '\t');
			if (p != NULL)
				*p = '\0';
			if (*s == '\0')
				continue;
			c = cp_at((const unsigned char *)s, strlen(s), 0, &w);
			if (c >= 0x10000) {
				always[pat] = 1;
				continue;
			}
			if (nlits == cap) {
				cap *= 2;
				lits =
				    realloc(lits, (size_t)cap * sizeof(*lits));
			}
			lits[nlits].s = s;
			lits[nlits].len = strlen(s);
			lits[nlits].pat = pat;
			lits[nlits].next = bucket[c];
			bucket[c] = nlits++;
		}
	}
}

/* Which patterns may match text t: bit k of cand. */
static void
scan(const char *t, size_t n, uint64_t *cand, int words)
{
	const unsigned char *s = (const unsigned char *)t;
	size_t i = 0, w;
	int k;

	memset(cand, 0, (size_t)words * sizeof(*cand));
	for (k = 0; k < npat; k++)
		if (always[k])
			cand[k / 64] |= 1ull << (k % 64);
	while (i < n) {
		unsigned c = cp_at(s, n, i, &w);

		if (c < 0x10000)
			for (k = bucket[c]; k >= 0; k = lits[k].next) {
				const struct lit *L = &lits[k];

				if (cand[L->pat / 64] & (1ull << (L->pat % 64)))
					continue;
				if (L->len <= n - i &&
				    memcmp(s + i, L->s, L->len) == 0)
					cand[L->pat / 64] |= 1ull
					                     << (L->pat % 64);
			}
		i += w;
	}
}

static int
match(int k, size_t line)
{
	return pcre2_match(re[k], (PCRE2_SPTR)lines[line], lens[line], 0, 0, md,
	                   mctx) >= 0;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int
main(int argc, char **argv)
{
	static long full_hits[MAXPAT], pre_hits[MAXPAT];
	static double per_pat[MAXPAT];
	static int order[MAXPAT];
	double t_full[MAXROUNDS], t_pre[MAXROUNDS], t_scan[MAXROUNDS], t0;
	uint64_t cand[(MAXPAT + 63) / 64];
	const char *prefilter = NULL;
	uint32_t opts = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF;
	int rounds = 3, opt, r, k, words = (MAXPAT + 63) / 64, same = 1;
	size_t len, i, ncand = 0;
	char *pbuf, **pv;
	size_t *pl;

	while ((opt = getopt(argc, argv, "r:np:")) != -1) {
		switch (opt) {
		case 'r':
			rounds = atoi(optarg);
			break;
		case 'n':
			opts &= ~(uint32_t)PCRE2_MATCH_INVALID_UTF;
			break;
		case 'p':
			prefilter = optarg;
			break;
		default:
			fprintf(stderr, "usage: classify_pcre [-r ROUNDS] [-n] "
			                "[-p PREFILTER] PATTERNS TEXTS\n");
			return 2;
		}
	}
	if (argc - optind != 2 || rounds < 1 || rounds > MAXROUNDS) {
		fprintf(stderr, "usage: classify_pcre [-r ROUNDS] [-n] "
		                "[-p PREFILTER] PATTERNS TEXTS\n");
		return 2;
	}
	pbuf = slurp(argv[optind], &len);
	npat = (int)split(pbuf, &pv, &pl);
	if (npat > MAXPAT) {
		fprintf(stderr, "too many patterns\n");
		return 2;
	}
	for (k = 0; k < npat; k++) {
		int err;
		PCRE2_SIZE off;

		re[k] = pcre2_compile((PCRE2_SPTR)pv[k], PCRE2_ZERO_TERMINATED,
		                      opts, &err, &off, NULL);
		if (re[k] == NULL) {
			fprintf(stderr, "pattern %d does not compile\n", k);
			return 2;
		}
		if (pcre2_jit_compile(re[k], PCRE2_JIT_COMPLETE) != 0) {
			fprintf(stderr, "no JIT\n");
			return 2;
		}
	}
	mctx = pcre2_match_context_create(NULL);
	pcre2_set_match_limit(mctx, 200000);
	pcre2_set_depth_limit(mctx, 2000);
	md = pcre2_match_data_create(4, NULL);
	nlines = split(slurp(argv[optind + 1], &len), &lines, &lens);
	if (prefilter != NULL)
		load_prefilter(prefilter);

	for (r = 0; r < rounds; r++) {
		memset(full_hits, 0, sizeof(full_hits));
		t0 = now();
		for (i = 0; i < nlines; i++)
			for (k = 0; k < npat; k++)
				full_hits[k] += match(k, i);
		t_full[r] = now() - t0;
		if (prefilter == NULL)
			continue;
		t0 = now();
		for (i = 0; i < nlines; i++)
			scan(lines[i], lens[i], cand, words);
		t_scan[r] = now() - t0;
		memset(pre_hits, 0, sizeof(pre_hits));
		ncand = 0;
		t0 = now();
		for (i = 0; i < nlines; i++) {
			scan(lines[i], lens[i], cand, words);
			for (k = 0; k < npat; k++)
				if (cand[k / 64] & (1ull << (k % 64))) {
					pre_hits[k] += match(k, i);
					ncand++;
				}
		}
		t_pre[r] = now() - t0;
		for (k = 0; k < npat; k++)
			if (pre_hits[k] != full_hits[k]) {
				same = 0;
				fprintf(stderr,
				        "prefilter lost matches of pattern %d: "
				        "%ld of %ld\n",
				        k, pre_hits[k], full_hits[k]);
			}
	}
	/* pattern-major pass: what each pattern costs */
	for (k = 0; k < npat; k++) {
		t0 = now();
		for (i = 0; i < nlines; i++)
			match(k, i);
		per_pat[k] = now() - t0;
		order[k] = k;
	}
	for (k = 1; k < npat; k++) {
		int j = k, o = order[k];

		while (j > 0 && per_pat[order[j - 1]] < per_pat[o]) {
			order[j] = order[j - 1];
			j--;
		}
		order[j] = o;
	}
	printf("{\"texts\": %zu, \"patterns\": %d, \"rounds\": %d, "
	       "\"invalid_utf_flag\": %s, ",
	       nlines, npat, rounds,
	       (opts & PCRE2_MATCH_INVALID_UTF) ? "true" : "false");
	printf("\"full_s\": %.4f, \"full_us_per_text\": %.2f, ",
	       median(t_full, rounds), median(t_full, rounds) * 1e6 / nlines);
	if (prefilter != NULL) {
		printf(
		    "\"prefilter_s\": %.4f, \"prefilter_us_per_text\": %.2f, "
		    "\"scan_s\": %.4f, \"scan_us_per_text\": %.2f, "
		    "\"literals\": %d, \"candidates_per_text\": %.2f, "
		    "\"same_matches\": %s, ",
		    median(t_pre, rounds), median(t_pre, rounds) * 1e6 / nlines,
		    median(t_scan, rounds),
		    median(t_scan, rounds) * 1e6 / nlines, nlits,
		    (double)ncand / nlines, same ? "true" : "false");
	}
	printf("\"matches\": [");
	for (k = 0; k < npat; k++)
		printf("%s%ld", k ? ", " : "", full_hits[k]);
	printf("], \"costliest\": [");
	for (k = 0; k < npat && k < 12; k++)
		printf("%s[%d, %.2f]", k ? ", " : "", order[k],
		       per_pat[order[k]] * 1e6 / nlines);
	printf("]}\n");
	return same ? 0 : 1;
}
