/*
 * Unit tests for monitor/literals.c: the literals a pattern requires and
 * the scan.  The property test is the one that matters: for random
 * patterns and texts, whenever PCRE2 finds a match the scan must have
 * marked the pattern, or the prefilter would change a decision.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "monitor/monitor.h"

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The literals of pattern, sorted and joined with '|'; "-" if none. */
static void
required(const char *pattern, char *out, size_t len)
{
	char **v;
	size_t n, i, used = 0;

	if (literals_required(pattern, &v, &n) == -1) {
		snprintf(out, len, "-");
		return;
	}
	qsort(v, n, sizeof(*v), cmp_str);
	out[0] = '\0';
	for (i = 0; i < n; i++)
		used += (size_t)snprintf(out + used, len - used, "%s%s",
		                         i > 0 ? "|" : "", v[i]);
	literals_free(v, n);
}

static void
test_required_sets(void **state)
{
	static const struct {
		const char *pattern, *want;
	} cases[] = {
	    /* alternatives joined with their fixed neighbours */
	    {"瓦斯(爆炸|燃爆)|煤尘爆炸", "煤尘爆炸|瓦斯燃爆|瓦斯爆炸"},
	    /* a gap: the first of two equally selective parts */
	    {"(煤矿|矿井).{0,10}(透水|突水)", "煤矿|矿井"},
	    /* the more selective part wins */
	    {"(煤矿|矿井).{0,10}(透水事故|突水事故)", "突水事故|透水事故"},
	    /* lookarounds require nothing */
	    {"火灾(?!隐患|防控)", "火灾"},
	    {"(?<!特别)重大事故", "重大事故"},
	    /* optional parts: joined both ways, then minimised */
	    {"(发生|突发)(的)?爆炸", "发生爆炸|发生的爆炸|突发爆炸|突发的爆炸"},
	    {"(的)?爆炸", "爆炸"},
	    {"矿难|(煤矿|矿山)(安全)?事故", "煤矿事故|煤矿安全事故|矿山事故|"
	                                    "矿山安全事故|矿难"},
	    /* a repeated class is required but one byte: the word wins */
	    {"[0-9]{1,3}人死亡", "人死亡"},
	    {"[一二三]人受伤", "一人受伤|三人受伤|二人受伤"},
	    {"x\\d+yz", "yz"},
	    {"\\bfoo\\b", "foo"},
	    {"[^a]bc", "bc"},
	    {"(?:ab)+cd", "ab"}, /* (abcd would do; not seen) */
	    {"(?:ab)+c", "ab"},
	    {"(?<w>讨薪)", "讨薪"},
	    {"\\.com", ".com"},
	    {"a\\|b", "a|b"},
	    /* nothing safe to require: the pattern always runs */
	    {"", "-"},
	    {"a?", "-"},
	    {"ab|", "-"},
	    {"ab|.", "-"},
	    {"(ab)*", "-"},
	    {"[ab]", "-"},
	    {"(?i)abc", "-"},
	    {"\\x{4e00}", "-"},
	    {"(a|b", "-"},
	    {"ab)", "-"},
	    {"\\1ab", "-"},
	    {"(*UTF)abc", "-"},
	    {"a{,3}bc", "-"},
	    {"[\\d]ab", "-"},
	    {"\\Qab\\E", "-"},
	};
	char got[512];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		required(cases[i].pattern, got, sizeof(got));
		if (strcmp(got, cases[i].want) != 0)
			fail_msg("pattern '%s': got '%s', want '%s'",
			         cases[i].pattern, got, cases[i].want);
	}
}

static void
test_scan(void **state)
{
	struct litscan *ls = litscan_new();
	unsigned char cand[4];
	int pre;

	(void)state;
	assert_non_null(ls);
	/* no patterns (a configuration without rules): nothing to mark */
	litscan_scan(ls, "瓦斯", strlen("瓦斯"), cand);
	assert_int_equal(litscan_patterns(ls), 0);
	assert_int_equal(litscan_add(ls, "瓦斯(爆炸|突出)", &pre), 0);
	assert_int_equal(pre, 1);
	assert_int_equal(litscan_add(ls, "(a+)+$", &pre), 1);
	assert_int_equal(pre, 0);
	assert_int_equal(litscan_add(ls, "讨薪|欠薪", &pre), 2);
	assert_int_equal(litscan_patterns(ls), 3);
	assert_int_equal(litscan_literals(ls), 4);

	litscan_scan(ls, "矿井瓦斯突出", strlen("矿井瓦斯突出"), cand);
	assert_int_equal(cand[0], 1);
	assert_int_equal(cand[1], 1); /* no set: always */
	assert_int_equal(cand[2], 0);
	/* at the very end; cut short by one byte it is not there */
	litscan_scan(ls, "工人欠薪", strlen("工人欠薪"), cand);
	assert_int_equal(cand[0], 0);
	assert_int_equal(cand[2], 1);
	litscan_scan(ls, "工人欠薪", strlen("工人欠薪") - 1, cand);
	assert_int_equal(cand[2], 0);
	/* invalid bytes before a literal do not hide it */
	litscan_scan(ls, "\xe7\xe7\x80讨薪", 9, cand);
	assert_int_equal(cand[2], 1);
	litscan_scan(ls, "", 0, cand);
	assert_int_equal(cand[0] + cand[2], 0);
	litscan_free(ls);
	litscan_free(NULL);
}

/* A small random pattern over a 6-character alphabet. */
static const char *const atoms[] = {"a", "b", "甲", "乙", "丙", "c"};

static unsigned rnd_state = 20261127;

static unsigned
rnd(unsigned n)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return (rnd_state >> 16) % n;
}

static void
gen(char *out, size_t len, int depth)
{
	size_t used = strlen(out);
	unsigned i, n = 1 + rnd(4);

	for (i = 0; i < n && used + 40 < len; i++) {
		unsigned k = rnd(depth > 2 ? 7 : 10);

		if (k < 6)
			snprintf(out + used, len - used, "%s", atoms[k]);
		else if (k == 6)
			snprintf(out + used, len - used, ".");
		else if (k == 7) {
			snprintf(out + used, len - used, "(?:");
			gen(out, len, depth + 1);
			used = strlen(out);
			snprintf(out + used, len - used, "|");
			gen(out, len, depth + 1);
			used = strlen(out);
			snprintf(out + used, len - used, ")");
		} else if (k == 8) {
			snprintf(out + used, len - used, "(?!");
			gen(out, len, depth + 1);
			used = strlen(out);
			snprintf(out + used, len - used, ")");
		} else
			snprintf(out + used, len - used, "[a甲]");
		used = strlen(out);
		switch (rnd(8)) {
		case 0:
			snprintf(out + used, len - used, "?");
			break;
		case 1:
			snprintf(out + used, len - used, "*");
			break;
		case 2:
			snprintf(out + used, len - used, "+");
			break;
		case 3:
			snprintf(out + used, len - used, "{0,2}");
			break;
		case 4:
			snprintf(out + used, len - used, "{2}");
			break;
		}
		used = strlen(out);
	}
	if (depth == 0 && rnd(4) == 0 && used + 40 < len) {
		snprintf(out + used, len - used, "|");
		gen(out, len, 1);
	}
}

static void
test_random_patterns(void **state)
{
	pcre2_match_data *md = pcre2_match_data_create(1, NULL);
	size_t npat = 0, nset = 0, nmatch = 0, nskipped = 0;
	int p;

	(void)state;
	for (p = 0; p < 3000; p++) {
		char pattern[512] = "";
		struct litscan *ls = litscan_new();
		pcre2_code *re;
		PCRE2_SIZE off;
		int err, pre, t;

		gen(pattern, sizeof(pattern), 0);
		re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
		                   PCRE2_UTF, &err, &off, NULL);
		if (re == NULL) {
			litscan_free(ls);
			continue;
		}
		npat++;
		assert_int_equal(litscan_add(ls, pattern, &pre), 0);
		nset += pre;
		for (t = 0; t < 40; t++) {
			char text[128] = "";
			unsigned i, n = rnd(12);
			unsigned char cand;
			int rc;

			for (i = 0; i < n; i++)
				strcat(text, atoms[rnd(6)]);
			rc = pcre2_match(re, (PCRE2_SPTR)text, strlen(text), 0,
			                 0, md, NULL);
			litscan_scan(ls, text, strlen(text), &cand);
			if (rc >= 0 && !cand)
				fail_msg("pattern '%s' matches '%s' but the "
				         "scan ruled it out",
				         pattern, text);
			nmatch += rc >= 0;
			nskipped += !cand;
		}
		pcre2_code_free(re);
		litscan_free(ls);
	}
	pcre2_match_data_free(md);
	/* the test means something only if sets and skips occur */
	print_message("%zu patterns, %zu with a set, %zu matches, "
	              "%zu skipped\n",
	              npat, nset, nmatch, nskipped);
	assert_true(npat > 2000);
	assert_true(nset > npat / 4);
	assert_true(nmatch > 1000);
	assert_true(nskipped > 1000);
	(void)atoms;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_required_sets),
	    cmocka_unit_test(test_scan),
	    cmocka_unit_test(test_random_patterns),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
