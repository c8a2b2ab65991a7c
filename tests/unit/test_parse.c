/* Unit tests for feeds/parse.c: formats, safety, identity, dates, caps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "feeds/feeds.h"

#define NOW 1795737600000LL /* 2026-11-27T08:00:00+08:00 */

static int
parse(const char *body, struct feed_doc *doc, const char *url)
{
	struct feed_parse_opts po;

	memset(&po, 0, sizeof(po));
	po.url = url != NULL ? url : "http://feed.example/rss.xml";
	po.dates.zone = "Asia/Shanghai";
	po.dates.chinese = 1;
	po.now = NOW;
	return feed_parse(body, strlen(body), &po, doc);
}

static void
test_rss20(void **state)
{
	struct feed_doc doc;

	(void)state;
	assert_int_equal(
	    parse("<?xml version=\"1.0\"?>\n<rss version=\"2.0\"><channel>"
	          "<title>大通 &amp; 淮南</title><ttl>30</ttl>"
	          "<item><title>九龙岗镇&nbsp;<b>煤矿</b>事故</title>"
	          "<link>/n/1.html?utm_source=x</link><guid>id-1</guid>"
	          "<pubDate>Fri, 27 Nov 2026 07:00:00 +0800</pubDate>"
	          "<description><![CDATA[<p>3人死亡</p>]]></description>"
	          "</item><item><title>second</title>"
	          "<link>http://a.cn/2</link></item></channel></rss>",
	          &doc, NULL),
	    0);
	assert_string_equal(feed_format_name(doc.format), "rss20");
	assert_string_equal(doc.title, "大通 & 淮南");
	assert_true(doc.ttl == 30 * 60 * 1000);
	assert_false(doc.recovered);
	assert_int_equal(doc.nitems, 2);
	assert_string_equal(doc.items[0].title, "九龙岗镇 煤矿事故");
	assert_string_equal(doc.items[0].link,
	                    "http://feed.example/n/1.html?utm_source=x");
	assert_string_equal(doc.items[0].key, "g:id-1");
	assert_string_equal(doc.items[0].text, "3人死亡");
	assert_true(doc.items[0].published == NOW - 3600000);
	assert_string_equal(doc.items[1].key, "l:http://a.cn/2");
	assert_true(doc.items[1].published == -1);
	feed_doc_clear(&doc);
}

static void
test_atom_base_and_rdf(void **state)
{
	struct feed_doc doc;

	(void)state;
	assert_int_equal(
	    parse("<feed xmlns=\"http://www.w3.org/2005/Atom\" "
	          "xml:base=\"http://base.example/dir/\"><title>A</title>"
	          "<entry><title type=\"html\">&lt;i&gt;T&lt;/i&gt;</title>"
	          "<link rel=\"alternate\" href=\"e1.html\"/>"
	          "<link rel=\"self\" href=\"self.xml\"/>"
	          "<id>urn:1</id><updated>2026-11-26T22:00:00Z</updated>"
	          "<published>2026-11-27T05:00:00+08:00</published>"
	          "<content type=\"xhtml\"><div xmlns=\"http://www.w3.org/"
	          "1999/xhtml\"><p>one</p><p>two</p></div></content>"
	          "<author><name>记者</name></author></entry></feed>",
	          &doc, NULL),
	    0);
	assert_string_equal(feed_format_name(doc.format), "atom10");
	assert_int_equal(doc.nitems, 1);
	assert_string_equal(doc.items[0].title, "T");
	assert_string_equal(doc.items[0].link,
	                    "http://base.example/dir/e1.html");
	assert_string_equal(doc.items[0].text, "one two");
	assert_string_equal(doc.items[0].author, "记者");
	assert_true(doc.items[0].published == NOW - 3 * 3600000);
	assert_true(doc.items[0].updated == NOW - 2 * 3600000);
	feed_doc_clear(&doc);

	assert_int_equal(
	    parse("<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/"
	          "22-rdf-syntax-ns#\" xmlns=\"http://purl.org/rss/1.0/\">"
	          "<channel><title>R</title></channel>"
	          "<item rdf:about=\"http://r.example/1\"><title>x</title>"
	          "</item></rdf:RDF>",
	          &doc, NULL),
	    0);
	assert_string_equal(feed_format_name(doc.format), "rss10");
	assert_string_equal(doc.items[0].link, "http://r.example/1");
	feed_doc_clear(&doc);
}

static void
test_json_feed(void **state)
{
	struct feed_doc doc;

	(void)state;
	assert_int_equal(
	    parse("  {\"version\":\"https://jsonfeed.org/version/1.1\","
	          "\"title\":\"J\",\"items\":[{\"id\":7,\"title\":\"洛河镇\","
	          "\"url\":\"https://j.example/7\",\"content_html\":\"<p>"
	          "停电</p>\",\"date_published\":\"2026-11-27T07:30:00+08:"
	          "00\",\"authors\":[{\"name\":\"n\"}]}]}",
	          &doc, NULL),
	    0);
	assert_string_equal(feed_format_name(doc.format), "json1");
	assert_int_equal(doc.nitems, 1);
	assert_string_equal(doc.items[0].key, "g:7");
	assert_string_equal(doc.items[0].text, "停电");
	assert_string_equal(doc.items[0].author, "n");
	assert_true(doc.items[0].published == NOW - 1800000);
	feed_doc_clear(&doc);
	assert_int_equal(parse("{\"items\":[]}", &doc, NULL), -1);
	assert_non_null(strstr(doc.reason, "JSON Feed"));
	feed_doc_clear(&doc);
}

/* Bodies that are not feeds are failures with a reason, not empty feeds. */
static void
test_not_feeds(void **state)
{
	static const struct {
		const char *body, *reason;
	} t[] = {
	    {"", "empty body"},
	    {"  \n ", "empty body"},
	    {"<!DOCTYPE html><html><body>RSSHub 404</body></html>",
	     "HTML page"},
	    {"<html><head></head></html>", "HTML page"},
	    {"<svg xmlns=\"http://www.w3.org/2000/svg\"/>", "not a feed"},
	    {"\x01\x02\x03 binary", ""},
	};
	struct feed_doc doc;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_equal(parse(t[i].body, &doc, NULL), -1);
		print_message("%zu: %s\n", i, doc.reason);
		assert_non_null(strstr(doc.reason, t[i].reason));
		assert_true(doc.reason[0] != '\0');
		feed_doc_clear(&doc);
	}
}

/* No entity is ever expanded from a DTD: no billion laughs, no XXE. */
static void
test_entities_safe(void **state)
{
	struct feed_doc doc;

	(void)state;
	assert_int_equal(
	    parse("<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY a "
	          "\"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;\">"
	          "<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
	          "<rss version=\"2.0\"><channel><item><title>[&b;][&x;]"
	          "</title><guid>1</guid></item></channel></rss>",
	          &doc, NULL),
	    0);
	assert_int_equal(doc.nitems, 1);
	assert_null(strstr(doc.items[0].title, "aaaa"));
	assert_null(strstr(doc.items[0].title, "root"));
	feed_doc_clear(&doc);
}

static void
test_recovered(void **state)
{
	struct feed_doc doc;

	(void)state;
	assert_int_equal(
	    parse("<rss version=\"2.0\"><channel><item><title>A & B"
	          "</title><link>http://x/?a=1&b=2</link></item>"
	          "</channel></rss>",
	          &doc, NULL),
	    0);
	assert_true(doc.recovered);
	assert_string_equal(doc.reason, "bare '&' escaped");
	assert_string_equal(doc.items[0].title, "A & B");
	assert_string_equal(doc.items[0].link, "http://x/?a=1&b=2");
	feed_doc_clear(&doc);
	/* truncated: what came before the cut is kept */
	assert_int_equal(parse("<rss version=\"2.0\"><channel><item><title>one"
	                       "</title><guid>1</guid></item><item><title>tw",
	                       &doc, NULL),
	                 0);
	assert_true(doc.recovered);
	assert_non_null(strstr(doc.reason, "malformed XML at line 1"));
	assert_true(doc.nitems >= 1);
	assert_string_equal(doc.items[0].title, "one");
	feed_doc_clear(&doc);
}

/* GUID unique: the GUID; repeated: told apart by link, then position. */
static void
test_identity(void **state)
{
	struct feed_doc doc;

	(void)state;
	assert_int_equal(
	    parse("<rss><channel>"
	          "<item><guid>same</guid><link>http://x/1</link></item>"
	          "<item><guid>same</guid><link>http://x/2</link></item>"
	          "<item><guid>same</guid></item>"
	          "<item><guid>same</guid></item>"
	          "<item><guid></guid><title>t</title><link>HTTP://X/3#f"
	          "</link></item>"
	          "<item><title>no ids</title><pubDate>x</pubDate></item>"
	          "</channel></rss>",
	          &doc, NULL),
	    0);
	assert_int_equal(doc.nitems, 6);
	assert_string_equal(doc.items[0].key, "g:same|l:http://x/1");
	assert_string_equal(doc.items[1].key, "g:same|l:http://x/2");
	assert_string_equal(doc.items[2].key, "g:same#2");
	assert_string_equal(doc.items[3].key, "g:same#3");
	assert_string_equal(doc.items[4].key, "l:http://x/3");
	assert_int_equal(strncmp(doc.items[5].key, "h:", 2), 0);
	feed_doc_clear(&doc);
}

static void
test_dates_and_caps(void **state)
{
	struct feed_parse_opts po;
	struct feed_doc doc;
	char body[8192];
	size_t o;
	int i;

	(void)state;
	assert_int_equal(
	    parse("<rss><channel><item><guid>f</guid><pubDate>2026-11-27 "
	          "09:00:00</pubDate></item><item><guid>p</guid><pubDate>"
	          "2026-11-27 08:05</pubDate></item></channel></rss>",
	          &doc, NULL),
	    0);
	/* an hour ahead: not credible, absent, but the text is kept */
	assert_true(doc.items[0].published == -1);
	assert_string_equal(doc.items[0].published_raw, "2026-11-27 09:00:00");
	/* five minutes ahead: clock skew, kept */
	assert_true(doc.items[1].published == NOW + 300000);
	feed_doc_clear(&doc);

	o = (size_t)snprintf(body, sizeof(body), "<rss><channel>");
	for (i = 0; i < 20; i++)
		o += (size_t)snprintf(body + o, sizeof(body) - o,
		                      "<item><guid>%d</guid></item>", i);
	snprintf(body + o, sizeof(body) - o, "</channel></rss>");
	memset(&po, 0, sizeof(po));
	po.url = "http://x/";
	po.now = NOW;
	po.max_items = 5;
	assert_int_equal(feed_parse(body, strlen(body), &po, &doc), 0);
	assert_int_equal(doc.nitems, 5);
	assert_int_equal(doc.dropped, 15);
	feed_doc_clear(&doc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rss20),
	    cmocka_unit_test(test_atom_base_and_rdf),
	    cmocka_unit_test(test_json_feed),
	    cmocka_unit_test(test_not_feeds),
	    cmocka_unit_test(test_entities_safe),
	    cmocka_unit_test(test_recovered),
	    cmocka_unit_test(test_identity),
	    cmocka_unit_test(test_dates_and_caps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
