/* Unit tests for feeds/text.c: normalisation, links, the capped buffer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "feeds/feeds.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static void
test_normalise_table(void **state)
{
	static const struct {
		const char *in, *want;
		size_t max;
	} t[] = {
	    {"plain", "plain", 100},
	    {"  a \t\n b  ", "a b", 100},
	    {"<p>Hello <b>world</b></p>", "Hello world", 100},
	    {"a<br/>b", "a b", 100},
	    {"x<script>alert(1)</script>y", "x y", 100},
	    {"x<style>p{}</style>y", "x y", 100},
	    {"<!-- hidden -->shown", "shown", 100},
	    {"a < b and c > d", "a < b and c > d", 100},
	    {"&lt;b&gt; &amp; &quot;q&quot; &apos;", "<b> & \"q\" '", 100},
	    {"&nbsp;x&nbsp;", "x", 100},
	    {"&copy; &eacute; &hellip;", "\xc2\xa9 \xc3\xa9 \xe2\x80\xa6", 100},
	    {"&#20013;&#x6587;", "中文", 100},
	    {"&#150;", "\xe2\x80\x93", 100}, /* windows-1252 en dash */
	    {"&unknown; & alone", "&unknown; & alone", 100},
	    {"ＡＢＣ１２３！", "ABC123!", 100},
	    {"淮南\xe3\x80\x80大通区", "淮南 大通区", 100},
	    {"a\x01\x02"
	     "b\x7f",
	     "ab", 100},
	    {"zero\xe2\x80\x8bwidth", "zerowidth", 100},
	    {"<![CDATA[x]]>y", "y", 100},
	    {"大通区洛河镇", "大通区", 9}, /* cut on a character boundary */
	    {"abcdef", "abc", 3},
	    {"", "", 10},
	    {"\xff\xfe", "\xef\xbf\xbd\xef\xbf\xbd", 10},
	};
	size_t i;
	char *out;

	(void)state;
	for (i = 0; i < NELEM(t); i++) {
		out = text_normalise(t[i].in, strlen(t[i].in), t[i].max, 1);
		print_message("%zu: '%s' -> '%s'\n", i, t[i].in, out);
		assert_string_equal(out, t[i].want);
		free(out);
	}
}

static void
test_link_identity(void **state)
{
	static const struct {
		const char *link, *base, *want;
	} t[] = {
	    {"HTTP://News.Example.COM/a?b=1#frag", NULL,
	     "http://news.example.com/a?b=1"},
	    {"http://x.cn/a?utm_source=wx&id=3&utm_medium=m", NULL,
	     "http://x.cn/a?id=3"},
	    {"http://x.cn/a?utm_source=wx", NULL, "http://x.cn/a"},
	    {"/news/1.html", "http://www.hndt.gov.cn/xwzx/index.html",
	     "http://www.hndt.gov.cn/news/1.html"},
	    {"2.html", "http://www.hndt.gov.cn/xwzx/index.html",
	     "http://www.hndt.gov.cn/xwzx/2.html"},
	};
	size_t i;
	char *out;

	(void)state;
	for (i = 0; i < NELEM(t); i++) {
		out = text_link(t[i].link, t[i].base);
		assert_non_null(out);
		assert_string_equal(out, t[i].want);
		free(out);
	}
	assert_null(text_link("", NULL));
	out = text_resolve("a.html#x", "http://h/b/");
	assert_string_equal(out, "http://h/b/a.html#x");
	free(out);
}

static void
test_buf_cap(void **state)
{
	struct text_buf b;
	char *s;

	(void)state;
	text_buf_init(&b, 5);
	text_buf_add(&b, "ab", 2);
	text_buf_add(&b, "中", 3);
	assert_false(b.truncated);
	text_buf_add(&b, "x", 1);
	assert_true(b.truncated);
	s = text_buf_take(&b);
	assert_string_equal(s, "ab中");
	free(s);
	text_buf_free(&b);
}

static void
test_hash_stable(void **state)
{
	(void)state;
	/* FNV-1a 64 of "" and "a": fixed forever (stored in Redis) */
	assert_true(text_hash("", 0) == 0xcbf29ce484222325ULL);
	assert_true(text_hash("a", 1) == 0xaf63dc4c8601ec8cULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_normalise_table),
	    cmocka_unit_test(test_link_identity),
	    cmocka_unit_test(test_buf_cap),
	    cmocka_unit_test(test_hash_stable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
