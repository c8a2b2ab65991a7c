/*
 * Unit tests for monitor/t2s.c: a text the table lets skip OpenCC must be
 * one OpenCC would give back unchanged.  Checked against OpenCC itself
 * for every CJK character of the BMP and for real texts in both scripts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <opencc/opencc.h>

#include "monitor/monitor.h"

static opencc_t t2s, s2t;

static int
setup(void **state)
{
	(void)state;
	t2s = opencc_open("t2s.json");
	s2t = opencc_open("s2t.json");
	return t2s == (opencc_t)-1 || s2t == (opencc_t)-1 ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	opencc_close(t2s);
	opencc_close(s2t);
	return 0;
}

static size_t
utf8_put(char *out, unsigned cp)
{
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	out[0] = (char)(0xe0 | (cp >> 12));
	out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[2] = (char)(0x80 | (cp & 0x3f));
	return 3;
}

static void
test_table_is_used(void **state)
{
	char why[200];

	(void)state;
	/* scripts/deps.sh installs opencc_dict: the build has a table */
	if (!t2s_table_check(why, sizeof(why)))
		fail_msg("t2s table not usable: %s", why);
	assert_int_equal(t2s_needed("淮南市大通区九龙岗镇", 30), 0);
	assert_int_equal(t2s_needed("煤礦", strlen("煤礦")), 1);
	assert_int_equal(t2s_needed("釀7死", strlen("釀7死")), 1);
	/* phrases whose characters alone stay: 回覆 -> 回复 */
	assert_int_equal(t2s_needed("已回覆", strlen("已回覆")), 1);
	assert_int_equal(t2s_needed("覆盖", strlen("覆盖")), 0);
	assert_int_equal(t2s_needed("沈默", strlen("沈默")), 1);
	/* invalid UTF-8 is left to OpenCC */
	assert_int_equal(t2s_needed("ab\xe7", 3), 1);
	assert_int_equal(t2s_needed("", 0), 0);
}

/* Every CJK character the table says t2s keeps, t2s keeps. */
static void
test_every_character(void **state)
{
	static const unsigned ranges[][2] = {{0x2e80, 0x2fdf}, {0x3000, 0x303f},
	                                     {0x3400, 0x4dbf}, {0x4e00, 0x9fff},
	                                     {0xf900, 0xfaff}, {0xfe30, 0xfe4f},
	                                     {0xff00, 0xffef}};
	size_t r, kept = 0, changed = 0;

	(void)state;
	for (r = 0; r < sizeof(ranges) / sizeof(ranges[0]); r++) {
		size_t cap = (ranges[r][1] - ranges[r][0] + 1) * 4 + 1, n = 0;
		char *in = malloc(cap), *out, *p, *q;
		unsigned cp;

		assert_non_null(in);
		for (cp = ranges[r][0]; cp <= ranges[r][1]; cp++) {
			char ch[4];
			size_t w = utf8_put(ch, cp);

			if (t2s_needed(ch, w)) {
				changed++;
				continue;
			}
			kept++;
			memcpy(in + n, ch, w);
			n += w;
			in[n++] = '\n';
		}
		in[n] = '\0';
		out = opencc_convert_utf8(t2s, in, n);
		assert_non_null(out);
		for (p = in, q = out; *p != '\0';
		     p = strchr(p, '\n') + 1, q = strchr(q, '\n') + 1) {
			size_t lp = (size_t)(strchr(p, '\n') - p);

			if (strncmp(p, q, lp) != 0 || q[lp] != '\n')
				fail_msg("'%.*s' skipped but t2s changes it",
				         (int)lp, p);
		}
		opencc_convert_utf8_free(out);
		free(in);
	}
	print_message("%zu characters kept, %zu may change\n", kept, changed);
	assert_true(changed > 2500);
	assert_true(kept > 20000);
}

/* Real texts, simplified and converted to traditional. */
static void
test_texts(void **state)
{
	const char *dir = getenv("YQ_SOURCE_DIR");
	char path[512], line[4096];
	size_t skipped = 0, converted = 0;
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/tests/classify/cases.tsv",
	         dir != NULL ? dir : "..");
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		char *tab = strchr(line, '\t'), *trad, *texts[2];
		int i;

		if (line[0] == '#' || tab == NULL)
			continue;
		*tab = '\0';
		trad = opencc_convert_utf8(s2t, line, strlen(line));
		assert_non_null(trad);
		texts[0] = line;
		texts[1] = trad;
		for (i = 0; i < 2; i++) {
			char *s;

			if (t2s_needed(texts[i], strlen(texts[i]))) {
				converted++;
				continue;
			}
			skipped++;
			s = opencc_convert_utf8(t2s, texts[i],
			                        strlen(texts[i]));
			assert_non_null(s);
			if (strcmp(s, texts[i]) != 0)
				fail_msg("'%s' skipped but t2s gives '%s'",
				         texts[i], s);
			opencc_convert_utf8_free(s);
		}
		opencc_convert_utf8_free(trad);
	}
	fclose(f);
	print_message("%zu texts skip t2s, %zu are converted\n", skipped,
	              converted);
	assert_true(skipped > 150);
	assert_true(converted > 150);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table_is_used),
	    cmocka_unit_test(test_every_character),
	    cmocka_unit_test(test_texts),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
