/*
 * test_charset.c: charset.c -- labels and aliases, precedence (BOM > XML
 * declaration > HTTP > detection), lying labels, detection, error
 * accounting (each invalid sequence and each NUL is one U+FFFD), real
 * feeds from the shared corpus, and the allocation cap on big bodies.
 *
 * Bodies are written as UTF-8 text plus the charset to encode them in
 * (the test encodes them with iconv), or as raw bytes where the bytes are
 * the point.
 */
#include <dirent.h>
#include <errno.h>
#include <iconv.h>
#include <malloc.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "feeds/feeds.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

#define R "\xef\xbf\xbd" /* U+FFFD, as the decoder writes it */

/* A field and its length from one string literal (which may hold NULs). */
#define BYTES(f, s) .f = (s), .f##len = sizeof(s) - 1

/* Chinese text long enough for detection to have something to judge. */
#define ZH_S "舆情监测：区政府发布权威信息，回应群众关切"
#define ZH_T "中華民國臺灣省政府新聞處今日發布颱風警報，請民眾注意安全"

/* Helpers --------------------------------------------------------------- */

/* text (UTF-8) in charset enc, appended to buf at *n; the test's own
 * encoder, so that bodies can be written legibly. */
static void
encode(const char *enc, const char *text, size_t len, char *buf, size_t *n,
       size_t cap)
{
	iconv_t cd = iconv_open(enc, "UTF-8");
	char *ip = (char *)(uintptr_t)text, *op = buf + *n;
	size_t il = len, ol = cap - *n;

	assert_true(cd != (iconv_t)-1);
	assert_int_not_equal(iconv(cd, &ip, &il, &op, &ol), (size_t)-1);
	assert_int_not_equal(iconv(cd, NULL, NULL, &op, &ol), (size_t)-1);
	iconv_close(cd);
	*n = (size_t)(op - buf);
}

static void
append(const char *s, size_t len, char *buf, size_t *n, size_t cap)
{
	assert_true(cap - *n >= len);
	memcpy(buf + *n, s, len);
	*n += len;
}

/* The first occurrence of needle (k bytes) in hay (n bytes), or NULL. */
static const char *
find(const char *hay, size_t n, const char *needle, size_t k)
{
	size_t i;

	for (i = 0; k <= n && i <= n - k; i++)
		if (memcmp(hay + i, needle, k) == 0)
			return hay + i;
	return NULL;
}

/* Whether s is well-formed UTF-8 (RFC 3629); counts U+FFFD in *fffd. */
static int
utf8_ok(const unsigned char *s, size_t n, size_t *fffd)
{
	size_t i = 0, k, j;
	uint32_t cp;

	*fffd = 0;
	while (i < n) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if (s[i] >= 0xc2 && s[i] <= 0xdf)
			k = 2;
		else if (s[i] >= 0xe0 && s[i] <= 0xef)
			k = 3;
		else if (s[i] >= 0xf0 && s[i] <= 0xf4)
			k = 4;
		else
			return 0;
		if (n - i < k)
			return 0;
		cp = s[i] & (0x7f >> k);
		for (j = 1; j < k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + j] & 0x3f);
		}
		if ((k == 3 && cp < 0x800) || (k == 4 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return 0;
		if (cp == 0xfffd)
			(*fffd)++;
		i += k;
	}
	return 1;
}

/* What every result must be: a C string of valid UTF-8 with one U+FFFD
 * per error (when the input had none of its own). */
static void
check_result(const struct charset_result *r, int input_has_fffd)
{
	size_t fffd;

	assert_non_null(r->utf8);
	assert_non_null(r->from);
	assert_int_equal(r->utf8[r->len], '\0');
	assert_int_equal(strlen(r->utf8), r->len);
	assert_true(utf8_ok((const unsigned char *)r->utf8, r->len, &fffd));
	if (!input_has_fffd)
		assert_int_equal(fffd, r->errors);
	else
		assert_true(fffd >= r->errors);
	assert_non_null(charset_canonical(r->name));
}

/* The shared corpus: $YQ_SOURCE_DIR/../shared/conformance/rel, read
 * whole; NULL (and a message) if it is not there. */
static char *
corpus_load(const char *rel, size_t *n)
{
	const char *src = getenv("YQ_SOURCE_DIR");
	char path[4096];
	struct stat st;
	FILE *f;
	char *buf;

	snprintf(path, sizeof(path), "%s/../shared/conformance/%s",
	         src != NULL ? src : ".", rel);
	f = fopen(path, "rb");
	if (f == NULL) {
		print_message("skip: corpus file %s absent (%s)\n", path,
		              strerror(errno));
		return NULL;
	}
	assert_int_equal(fstat(fileno(f), &st), 0);
	buf = malloc((size_t)st.st_size + 1);
	assert_non_null(buf);
	*n = fread(buf, 1, (size_t)st.st_size, f);
	assert_int_equal(*n, (size_t)st.st_size);
	fclose(f);
	return buf;
}

/* charset_canonical ----------------------------------------------------- */

/* Every label charset.c knows, with the charset it names. */
static const struct {
	const char *label, *name;
} aliases[] = {
    {"utf-8", "UTF-8"},
    {"utf8", "UTF-8"},
    {"utf_8", "UTF-8"},
    {"unicode-1-1-utf-8", "UTF-8"},
    {"unicode11utf8", "UTF-8"},
    {"unicode20utf8", "UTF-8"},
    {"x-unicode20utf8", "UTF-8"},
    {"gb18030", "GB18030"},
    {"gb2312", "GB18030"},
    {"gbk", "GB18030"},
    {"x-gbk", "GB18030"},
    {"cp936", "GB18030"},
    {"ms936", "GB18030"},
    {"windows-936", "GB18030"},
    {"euc-cn", "GB18030"},
    {"euccn", "GB18030"},
    {"x-euc-cn", "GB18030"},
    {"csgb2312", "GB18030"},
    {"gb_2312-80", "GB18030"},
    {"gb_2312", "GB18030"},
    {"gb2312-80", "GB18030"},
    {"iso-ir-58", "GB18030"},
    {"csiso58gb231280", "GB18030"},
    {"chinese", "GB18030"},
    {"big5", "BIG5"},
    {"big5-hkscs", "BIG5"},
    {"big5hkscs", "BIG5"},
    {"cn-big5", "BIG5"},
    {"x-x-big5", "BIG5"},
    {"csbig5", "BIG5"},
    {"cp950", "BIG5"},
    {"ms950", "BIG5"},
    {"windows-950", "BIG5"},
    {"windows-1252", "WINDOWS-1252"},
    {"cp1252", "WINDOWS-1252"},
    {"x-cp1252", "WINDOWS-1252"},
    {"latin1", "WINDOWS-1252"},
    {"l1", "WINDOWS-1252"},
    {"iso-8859-1", "WINDOWS-1252"},
    {"iso8859-1", "WINDOWS-1252"},
    {"iso88591", "WINDOWS-1252"},
    {"iso_8859-1", "WINDOWS-1252"},
    {"iso_8859-1:1987", "WINDOWS-1252"},
    {"iso-ir-100", "WINDOWS-1252"},
    {"csisolatin1", "WINDOWS-1252"},
    {"ibm819", "WINDOWS-1252"},
    {"cp819", "WINDOWS-1252"},
    {"us-ascii", "WINDOWS-1252"},
    {"ascii", "WINDOWS-1252"},
    {"ansi_x3.4-1968", "WINDOWS-1252"},
    {"us", "WINDOWS-1252"},
    {"utf-16le", "UTF-16LE"},
    {"utf16le", "UTF-16LE"},
    {"utf-16be", "UTF-16BE"},
    {"utf16be", "UTF-16BE"},
    {"unicodefffe", "UTF-16BE"},
    {"utf-32le", "UTF-32LE"},
    {"utf32le", "UTF-32LE"},
    {"ucs-4le", "UTF-32LE"},
    {"utf-32be", "UTF-32BE"},
    {"utf32be", "UTF-32BE"},
    {"ucs-4be", "UTF-32BE"},
    {"utf-16", "UTF-16"},
    {"utf16", "UTF-16"},
    {"ucs-2", "UTF-16"},
    {"ucs2", "UTF-16"},
    {"unicode", "UTF-16"},
    {"csunicode", "UTF-16"},
    {"iso-10646-ucs-2", "UTF-16"},
    {"unicodefeff", "UTF-16"},
    {"utf-32", "UTF-32"},
    {"utf32", "UTF-32"},
    {"ucs-4", "UTF-32"},
    {"ucs4", "UTF-32"},
    {"iso-10646-ucs-4", "UTF-32"},
    {"euc-jp", "EUC-JP"},
    {"eucjp", "EUC-JP"},
    {"x-euc-jp", "EUC-JP"},
    {"cseucpkdfmtjapanese", "EUC-JP"},
    {"shift_jis", "SHIFT_JIS"},
    {"shift-jis", "SHIFT_JIS"},
    {"sjis", "SHIFT_JIS"},
    {"x-sjis", "SHIFT_JIS"},
    {"ms_kanji", "SHIFT_JIS"},
    {"csshiftjis", "SHIFT_JIS"},
    {"windows-31j", "SHIFT_JIS"},
    {"cp932", "SHIFT_JIS"},
    {"ms932", "SHIFT_JIS"},
    {"euc-kr", "EUC-KR"},
    {"euckr", "EUC-KR"},
    {"cseuckr", "EUC-KR"},
    {"korean", "EUC-KR"},
    {"ks_c_5601-1987", "EUC-KR"},
    {"ks_c_5601-1989", "EUC-KR"},
    {"ksc5601", "EUC-KR"},
    {"ksc_5601", "EUC-KR"},
    {"windows-949", "EUC-KR"},
    {"cp949", "EUC-KR"},
    {"uhc", "EUC-KR"},
    {"koi8-r", "KOI8-R"},
    {"koi8r", "KOI8-R"},
    {"koi8", "KOI8-R"},
    {"koi", "KOI8-R"},
    {"cskoi8r", "KOI8-R"},
    {"koi8-u", "KOI8-U"},
    {"koi8-ru", "KOI8-U"},
    {"windows-874", "WINDOWS-874"},
    {"cp874", "WINDOWS-874"},
    {"dos-874", "WINDOWS-874"},
    {"tis-620", "WINDOWS-874"},
    {"tis620", "WINDOWS-874"},
    {"iso-8859-11", "WINDOWS-874"},
    {"iso8859-11", "WINDOWS-874"},
    {"iso885911", "WINDOWS-874"},
    {"windows-1250", "WINDOWS-1250"},
    {"cp1250", "WINDOWS-1250"},
    {"x-cp1250", "WINDOWS-1250"},
    {"windows-1251", "WINDOWS-1251"},
    {"cp1251", "WINDOWS-1251"},
    {"x-cp1251", "WINDOWS-1251"},
    {"windows-1253", "WINDOWS-1253"},
    {"cp1253", "WINDOWS-1253"},
    {"x-cp1253", "WINDOWS-1253"},
    {"windows-1254", "WINDOWS-1254"},
    {"cp1254", "WINDOWS-1254"},
    {"x-cp1254", "WINDOWS-1254"},
    {"iso-8859-9", "WINDOWS-1254"},
    {"iso8859-9", "WINDOWS-1254"},
    {"iso88599", "WINDOWS-1254"},
    {"iso_8859-9", "WINDOWS-1254"},
    {"latin5", "WINDOWS-1254"},
    {"l5", "WINDOWS-1254"},
    {"windows-1255", "WINDOWS-1255"},
    {"cp1255", "WINDOWS-1255"},
    {"x-cp1255", "WINDOWS-1255"},
    {"windows-1256", "WINDOWS-1256"},
    {"cp1256", "WINDOWS-1256"},
    {"x-cp1256", "WINDOWS-1256"},
    {"windows-1257", "WINDOWS-1257"},
    {"cp1257", "WINDOWS-1257"},
    {"x-cp1257", "WINDOWS-1257"},
    {"windows-1258", "WINDOWS-1258"},
    {"cp1258", "WINDOWS-1258"},
    {"x-cp1258", "WINDOWS-1258"},
    {"iso-8859-2", "ISO-8859-2"},
    {"iso8859-2", "ISO-8859-2"},
    {"iso88592", "ISO-8859-2"},
    {"iso_8859-2", "ISO-8859-2"},
    {"latin2", "ISO-8859-2"},
    {"l2", "ISO-8859-2"},
    {"iso-8859-3", "ISO-8859-3"},
    {"iso8859-3", "ISO-8859-3"},
    {"iso88593", "ISO-8859-3"},
    {"iso_8859-3", "ISO-8859-3"},
    {"latin3", "ISO-8859-3"},
    {"l3", "ISO-8859-3"},
    {"iso-8859-4", "ISO-8859-4"},
    {"iso8859-4", "ISO-8859-4"},
    {"iso88594", "ISO-8859-4"},
    {"iso_8859-4", "ISO-8859-4"},
    {"latin4", "ISO-8859-4"},
    {"l4", "ISO-8859-4"},
    {"iso-8859-5", "ISO-8859-5"},
    {"iso8859-5", "ISO-8859-5"},
    {"iso88595", "ISO-8859-5"},
    {"iso_8859-5", "ISO-8859-5"},
    {"cyrillic", "ISO-8859-5"},
    {"iso-8859-6", "ISO-8859-6"},
    {"iso8859-6", "ISO-8859-6"},
    {"iso88596", "ISO-8859-6"},
    {"iso_8859-6", "ISO-8859-6"},
    {"arabic", "ISO-8859-6"},
    {"iso-8859-7", "ISO-8859-7"},
    {"iso8859-7", "ISO-8859-7"},
    {"iso88597", "ISO-8859-7"},
    {"iso_8859-7", "ISO-8859-7"},
    {"greek", "ISO-8859-7"},
    {"iso-8859-8", "ISO-8859-8"},
    {"iso8859-8", "ISO-8859-8"},
    {"iso88598", "ISO-8859-8"},
    {"iso_8859-8", "ISO-8859-8"},
    {"hebrew", "ISO-8859-8"},
    {"iso-8859-10", "ISO-8859-10"},
    {"iso8859-10", "ISO-8859-10"},
    {"iso885910", "ISO-8859-10"},
    {"iso_8859-10", "ISO-8859-10"},
    {"latin6", "ISO-8859-10"},
    {"l6", "ISO-8859-10"},
    {"iso-8859-13", "ISO-8859-13"},
    {"iso8859-13", "ISO-8859-13"},
    {"iso885913", "ISO-8859-13"},
    {"iso_8859-13", "ISO-8859-13"},
    {"iso-8859-14", "ISO-8859-14"},
    {"iso8859-14", "ISO-8859-14"},
    {"iso885914", "ISO-8859-14"},
    {"iso_8859-14", "ISO-8859-14"},
    {"iso-8859-15", "ISO-8859-15"},
    {"iso8859-15", "ISO-8859-15"},
    {"iso885915", "ISO-8859-15"},
    {"iso_8859-15", "ISO-8859-15"},
    {"latin9", "ISO-8859-15"},
    {"l9", "ISO-8859-15"},
    {"iso-8859-16", "ISO-8859-16"},
    {"iso8859-16", "ISO-8859-16"},
    {"iso885916", "ISO-8859-16"},
    {"iso_8859-16", "ISO-8859-16"},
};

static void
test_canonical_aliases(void **state)
{
	char up[64];
	size_t i, j;

	(void)state;
	for (i = 0; i < NELEM(aliases); i++) {
		const char *got = charset_canonical(aliases[i].label);

		print_message("%s\n", aliases[i].label);
		assert_non_null(got);
		assert_string_equal(got, aliases[i].name);
		/* case does not matter */
		for (j = 0; aliases[i].label[j] != '\0'; j++)
			up[j] = (char)(aliases[i].label[j] >= 'a' &&
			                       aliases[i].label[j] <= 'z'
			                   ? aliases[i].label[j] - 32
			                   : aliases[i].label[j]);
		up[j] = '\0';
		assert_string_equal(charset_canonical(up), aliases[i].name);
		/* a canonical name is a label of its own charset */
		assert_string_equal(charset_canonical(got), got);
	}
}

static void
test_canonical_normalise(void **state)
{
	static const struct {
		const char *label, *name; /* name NULL: unknown */
	} cases[] = {
	    {"UTF-8 ", "UTF-8"},
	    {"'utf8'", "UTF-8"},
	    {"\"gbk\"", "GB18030"},
	    {" \"GB2312\" ", "GB18030"},
	    {"\t'Big5'\r\n", "BIG5"},
	    {"\"'x-gbk'\"", "GB18030"},
	    {"ISO-8859-1", "WINDOWS-1252"},
	    {"Shift_JIS", "SHIFT_JIS"},
	    {"", NULL},
	    {"   ", NULL},
	    {"\"\"", NULL},
	    {"bogus", NULL},
	    {"utf-7", NULL},       /* stateful: not accepted */
	    {"iso-2022-jp", NULL}, /* likewise */
	    {"gb 2312", NULL},     /* inner space */
	    {"utf-8;", NULL},      /* the caller extracts the parameter */
	    {"gb\xa3\xb2"
	     "312",
	     NULL},
	    {"utf-8xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	     "xxxxxxxxxxxxxxxxxxxxxxx",
	     NULL},
	};
	size_t i;

	(void)state;
	assert_null(charset_canonical(NULL));
	for (i = 0; i < NELEM(cases); i++) {
		const char *got = charset_canonical(cases[i].label);

		print_message("[%s]\n", cases[i].label);
		if (cases[i].name == NULL)
			assert_null(got);
		else
			assert_string_equal(got, cases[i].name);
	}
}

/* charset_decode: the table ---------------------------------------------- */

struct dcase {
	const char *what;
	const char *pre; /* raw bytes first (a BOM, say) */
	size_t prelen;
	const char *enc;  /* charset to encode text in; NULL: text is raw */
	const char *text; /* UTF-8 (or raw bytes) */
	size_t textlen;
	const char *post; /* raw bytes last */
	size_t postlen;
	const char *http;
	const char *want; /* expected UTF-8 result */
	const char *name;
	const char *from;
	size_t errors;
	int has_fffd; /* the input holds U+FFFD of its own */
};

#define XML_DECL(e) "<?xml version=\"1.0\" encoding=\"" e "\"?>"

static const struct dcase dcases[] = {
    /* Byte order marks: each kind, stripped, stronger than all else. */
    {"utf-8 bom beats declaration and http", BYTES(pre, "\xef\xbb\xbf"),
     BYTES(text, XML_DECL("gbk") "<t>" ZH_S "</t>"), .http = "big5",
     .want = XML_DECL("gbk") "<t>" ZH_S "</t>", .name = "UTF-8", .from = "bom"},
    {"utf-16le bom", BYTES(pre, "\xff\xfe"), .enc = "UTF-16LE",
     BYTES(text, XML_DECL("gb2312") "<t>" ZH_S "</t>"), .http = "gbk",
     .want = XML_DECL("gb2312") "<t>" ZH_S "</t>", .name = "UTF-16LE",
     .from = "bom"},
    {"utf-16be bom", BYTES(pre, "\xfe\xff"), .enc = "UTF-16BE",
     BYTES(text, "<t>" ZH_T "</t>"), .want = "<t>" ZH_T "</t>",
     .name = "UTF-16BE", .from = "bom"},
    {"utf-32le bom", BYTES(pre, "\xff\xfe\0\0"), .enc = "UTF-32LE",
     BYTES(text, "<t>" ZH_S "</t>"), .want = "<t>" ZH_S "</t>",
     .name = "UTF-32LE", .from = "bom"},
    {"utf-32be bom", BYTES(pre, "\0\0\xfe\xff"), .enc = "UTF-32BE",
     BYTES(text, "<t>" ZH_S "</t>"), .http = "utf-8", .want = "<t>" ZH_S "</t>",
     .name = "UTF-32BE", .from = "bom"},
    {"utf-16le bom, surrogate pair", BYTES(pre, "\xff\xfe"), .enc = "UTF-16LE",
     BYTES(text, "<t>\xf0\xa0\x80\x80</t>"), .want = "<t>\xf0\xa0\x80\x80</t>",
     .name = "UTF-16LE", .from = "bom"},
    {"utf-16le bom, lone surrogates", BYTES(pre, "\xff\xfe"),
     BYTES(text, "a\0\x00\xd8"
                 "b\0\x00\xdc"
                 "c\0"),
     .want = "a" R "b" R "c", .name = "UTF-16LE", .from = "bom", .errors = 2},
    {"utf-16be bom, odd last byte", BYTES(pre, "\xfe\xff"),
     BYTES(text, "\0a\0b\0"), .want = "ab" R, .name = "UTF-16BE", .from = "bom",
     .errors = 1},
    {"utf-32le bom, beyond U+10FFFF and a cut unit", BYTES(pre, "\xff\xfe\0\0"),
     BYTES(text, "a\0\0\0\0\0\x11\0b\0\0\0c\0"), .want = "a" R "b" R,
     .name = "UTF-32LE", .from = "bom", .errors = 2},
    {"utf-8 bom with invalid bytes: kept, errors counted",
     BYTES(pre, "\xef\xbb\xbf"),
     BYTES(text, "<t>\xd1\xa8 Espa\xf1"
                 "a</t>"),
     .want = "<t>\xd1\xa8 Espa" R "a</t>", .name = "UTF-8", .from = "bom",
     .errors = 1},
    {"bom only", BYTES(pre, "\xef\xbb\xbf"), BYTES(text, ""), .want = "",
     .name = "UTF-8", .from = "bom"},

    /* The XML declaration, then HTTP. */
    {"declaration beats http", .enc = "GBK",
     BYTES(text, XML_DECL("gbk") "<t>" ZH_S "</t>"), .http = "utf-8",
     .want = XML_DECL("gbk") "<t>" ZH_S "</t>", .name = "GB18030",
     .from = "xml"},
    {"declaration utf-8 beats http gbk",
     BYTES(text, XML_DECL("UTF-8") "<t>" ZH_S "</t>"), .http = "gbk",
     .want = XML_DECL("UTF-8") "<t>" ZH_S "</t>", .name = "UTF-8",
     .from = "xml"},
    {"http when nothing is declared", .enc = "GBK",
     BYTES(text, "<t>" ZH_S "</t>"), .http = "\"GBK\"",
     .want = "<t>" ZH_S "</t>", .name = "GB18030", .from = "http"},
    {"unknown declaration: http decides", .enc = "GBK",
     BYTES(text, XML_DECL("bogus") "<t>" ZH_S "</t>"), .http = "gb2312",
     .want = XML_DECL("bogus") "<t>" ZH_S "</t>", .name = "GB18030",
     .from = "http"},
    {"utf-16 declared in 8-bit bytes is a lie: http decides", .enc = "GBK",
     BYTES(text, XML_DECL("utf-16") "<t>" ZH_S "</t>"), .http = "gbk",
     .want = XML_DECL("utf-16") "<t>" ZH_S "</t>", .name = "GB18030",
     .from = "http"},
    {"declaration without encoding: http decides", .enc = "BIG5",
     BYTES(text, "<?xml version=\"1.0\"?><t>" ZH_T "</t>"), .http = "big5",
     .want = "<?xml version=\"1.0\"?><t>" ZH_T "</t>", .name = "BIG5",
     .from = "http"},
    {"declaration: quotes, spaces, case, leading white space", .enc = "GBK",
     BYTES(text, "\r\n  <?xml version='1.0' encoding = 'GB2312' ?>"
                 "<t>" ZH_S "</t>"),
     .want = "\r\n  <?xml version='1.0' encoding = 'GB2312' ?>"
             "<t>" ZH_S "</t>",
     .name = "GB18030", .from = "xml"},
    {"a declaration after a comment does not count", .enc = "BIG5",
     BYTES(text, "<!-- x -->" XML_DECL("gbk") "<t>" ZH_T "</t>"),
     .want = "<!-- x -->" XML_DECL("gbk") "<t>" ZH_T "</t>", .name = "BIG5",
     .from = "detect"},
    {"unknown http charset: detection", .enc = "GBK",
     BYTES(text, "<t>" ZH_S "</t>"), .http = "x-user-defined-thing",
     .want = "<t>" ZH_S "</t>", .name = "GB18030", .from = "detect"},
    {"http utf-16 on 8-bit bytes is ignored", .enc = "GBK",
     BYTES(text, "<t>" ZH_S "</t>"), .http = "utf-16",
     .want = "<t>" ZH_S "</t>", .name = "GB18030", .from = "detect"},

    /* 16 and 32 bits without a mark (XML 1.0 Appendix F). */
    {"utf-16le sniffed from <?xml", .enc = "UTF-16LE",
     BYTES(text, XML_DECL("utf-16") "<t>" ZH_S "</t>"), .http = "gbk",
     .want = XML_DECL("utf-16") "<t>" ZH_S "</t>", .name = "UTF-16LE",
     .from = "xml"},
    {"utf-16be sniffed from <?xml", .enc = "UTF-16BE",
     BYTES(text, XML_DECL("UTF-16") "<t>" ZH_T "</t>"),
     .want = XML_DECL("UTF-16") "<t>" ZH_T "</t>", .name = "UTF-16BE",
     .from = "xml"},
    {"utf-16be sniffed: the bytes beat a declared gbk", .enc = "UTF-16BE",
     BYTES(text, XML_DECL("gbk") "<t>" ZH_S "</t>"),
     .want = XML_DECL("gbk") "<t>" ZH_S "</t>", .name = "UTF-16BE",
     .from = "xml"},
    {"utf-32le sniffed from <?xml", .enc = "UTF-32LE",
     BYTES(text, XML_DECL("utf-32") "<t>" ZH_S "</t>"),
     .want = XML_DECL("utf-32") "<t>" ZH_S "</t>", .name = "UTF-32LE",
     .from = "xml"},
    {"utf-32be sniffed from <?xml", .enc = "UTF-32BE",
     BYTES(text, XML_DECL("utf-32") "<t>" ZH_S "</t>"),
     .want = XML_DECL("utf-32") "<t>" ZH_S "</t>", .name = "UTF-32BE",
     .from = "xml"},
    {"utf-16le without declaration: detected", .enc = "UTF-16LE",
     BYTES(text, "\n<rss>" ZH_S "</rss>"), .want = "\n<rss>" ZH_S "</rss>",
     .name = "UTF-16LE", .from = "detect"},
    {"utf-16le without declaration, http utf-32: the bytes decide",
     .enc = "UTF-16LE", BYTES(text, "<rss>" ZH_S "</rss>"), .http = "utf-32",
     .want = "<rss>" ZH_S "</rss>", .name = "UTF-16LE", .from = "detect"},
    {"utf-16le without declaration, http utf-16", .enc = "UTF-16LE",
     BYTES(text, "<rss>" ZH_S "</rss>"), .http = "utf-16",
     .want = "<rss>" ZH_S "</rss>", .name = "UTF-16LE", .from = "http"},

    /* JSON Feed: UTF-8 unless a BOM or HTTP says otherwise. */
    {"json utf-8", BYTES(text, "{\"title\":\"" ZH_S "\"}"),
     .want = "{\"title\":\"" ZH_S "\"}", .name = "UTF-8", .from = "fallback"},
    {"json with http gbk", .enc = "GBK",
     BYTES(text, " {\"title\":\"" ZH_S "\"}"), .http = "gbk",
     .want = " {\"title\":\"" ZH_S "\"}", .name = "GB18030", .from = "http"},
    {"json in gbk, nothing said", .enc = "GBK",
     BYTES(text, "{\"title\":\"" ZH_S "\"}"),
     .want = "{\"title\":\"" ZH_S "\"}", .name = "GB18030", .from = "detect"},
    {"json utf-16le bom", BYTES(pre, "\xff\xfe"), .enc = "UTF-16LE",
     BYTES(text, "{\"title\":\"" ZH_S "\"}"),
     .want = "{\"title\":\"" ZH_S "\"}", .name = "UTF-16LE", .from = "bom"},
    {"json ignores an xml-like declaration", .enc = "GBK",
     BYTES(text, "{\"x\":\"" XML_DECL("big5") ZH_S "\"}"), .http = "gbk",
     .want = "{\"x\":\"" XML_DECL("big5") ZH_S "\"}", .name = "GB18030",
     .from = "http"},

    /* Lies. */
    {"gbk declared utf-8", .enc = "GBK",
     BYTES(text, XML_DECL("utf-8") "<t>" ZH_S "</t>"),
     .want = XML_DECL("utf-8") "<t>" ZH_S "</t>", .name = "GB18030",
     .from = "detect"},
    {"gbk with http utf-8", .enc = "GBK", BYTES(text, "<t>" ZH_S "</t>"),
     .http = "UTF-8", .want = "<t>" ZH_S "</t>", .name = "GB18030",
     .from = "detect"},
    {"one gbk character with http utf-8", .enc = "GBK",
     BYTES(text, "<t>中</t>"), .http = "utf-8", .want = "<t>中</t>",
     .name = "GB18030", .from = "detect"},
    {"big5 with http utf-8", .enc = "BIG5", BYTES(text, "<t>" ZH_T "</t>"),
     .http = "utf-8", .want = "<t>" ZH_T "</t>", .name = "BIG5",
     .from = "detect"},
    {"utf-8 declared gb2312", BYTES(text, XML_DECL("gb2312") "<t>" ZH_S "</t>"),
     .want = XML_DECL("gb2312") "<t>" ZH_S "</t>", .name = "UTF-8",
     .from = "detect"},
    {"utf-8 with http gbk, cut short at the end",
     BYTES(text, "<t>" ZH_S ZH_S "</t>中文\xe4\xb8"), .http = "gbk",
     .want = "<t>" ZH_S ZH_S "</t>中文" R, .name = "UTF-8", .from = "detect",
     .errors = 1},
    {"utf-8 with http big5", BYTES(text, "<t>" ZH_T "</t>"), .http = "big5",
     .want = "<t>" ZH_T "</t>", .name = "UTF-8", .from = "detect"},
    {"gbk with http iso-8859-1 (servlet default)", .enc = "GBK",
     BYTES(text, "<t>" ZH_S "</t>"), .http = "ISO-8859-1",
     .want = "<t>" ZH_S "</t>", .name = "GB18030", .from = "detect"},
    {"latin-1 with http iso-8859-1 reports windows-1252", .enc = "ISO-8859-1",
     BYTES(text, "<t>café crème</t>"), .http = "iso-8859-1",
     .want = "<t>café crème</t>", .name = "WINDOWS-1252", .from = "http"},
    {"windows-1252 quotes under a latin1 label",
     BYTES(text, "<t>\x93quoted\x94 \x96 caf\xe9</t>"), .http = "latin1",
     .want = "<t>“quoted” – café</t>", .name = "WINDOWS-1252", .from = "http"},
    {"big5 declared gb2312 makes no sense as gb: big5", .enc = "BIG5",
     BYTES(text, XML_DECL("gb2312") "<t>" ZH_T "</t>"),
     .want = XML_DECL("gb2312") "<t>" ZH_T "</t>", .name = "BIG5",
     .from = "detect"},
    {"gbk with http big5 makes no sense as big5: gb18030", .enc = "GBK",
     BYTES(text, "<t>" ZH_S "</t>"), .http = "big5", .want = "<t>" ZH_S "</t>",
     .name = "GB18030", .from = "detect"},
    {"latin-1 with http utf-8", .enc = "ISO-8859-1",
     BYTES(text, "<t>Une réunion à Pékin</t>"), .http = "utf-8",
     .want = "<t>Une réunion à Pékin</t>", .name = "WINDOWS-1252",
     .from = "detect"},
    {"big5 declared big5 with a stray byte stays big5", .enc = "BIG5",
     BYTES(text, XML_DECL("big5") "<t>" ZH_T "</t>"), BYTES(post, "\xff"),
     .want = XML_DECL("big5") "<t>" ZH_T "</t>" R, .name = "BIG5",
     .from = "xml", .errors = 1},
    {"gbk declared gbk with a stray 0x80 stays gbk", .enc = "GBK",
     BYTES(text, XML_DECL("gbk") "<t>" ZH_S "</t>"), BYTES(post, "\x80"),
     .want = XML_DECL("gbk") "<t>" ZH_S "</t>" R, .name = "GB18030",
     .from = "xml", .errors = 1},
    {"utf-8 declared, mostly valid: stays utf-8",
     BYTES(text, XML_DECL("utf-8") "<t>" ZH_S "\xff" ZH_S "</t>"),
     .want = XML_DECL("utf-8") "<t>" ZH_S R ZH_S "</t>", .name = "UTF-8",
     .from = "xml", .errors = 1},

    /* Other charsets, passed through to iconv. */
    {"euc-jp declared", .enc = "EUC-JP",
     BYTES(text, XML_DECL("EUC-JP") "<t>日本語のニュース</t>"),
     .want = XML_DECL("EUC-JP") "<t>日本語のニュース</t>", .name = "EUC-JP",
     .from = "xml"},
    {"shift_jis declared", .enc = "CP932",
     BYTES(text, XML_DECL("shift_jis") "<t>日本語のニュース</t>"),
     .want = XML_DECL("shift_jis") "<t>日本語のニュース</t>",
     .name = "SHIFT_JIS", .from = "xml"},
    {"euc-kr by http", .enc = "EUC-KR", BYTES(text, "<t>한국어 뉴스</t>"),
     .http = "euc-kr", .want = "<t>한국어 뉴스</t>", .name = "EUC-KR",
     .from = "http"},
    {"koi8-r declared", .enc = "KOI8-R",
     BYTES(text, XML_DECL("koi8-r") "<t>Новости дня</t>"),
     .want = XML_DECL("koi8-r") "<t>Новости дня</t>", .name = "KOI8-R",
     .from = "xml"},
    {"windows-1251 by http", .enc = "WINDOWS-1251",
     BYTES(text, "<t>Новости дня</t>"), .http = "cp1251",
     .want = "<t>Новости дня</t>", .name = "WINDOWS-1251", .from = "http"},
    {"tis-620 declared", .enc = "TIS-620",
     BYTES(text, XML_DECL("tis-620") "<t>ข่าว</t>"),
     .want = XML_DECL("tis-620") "<t>ข่าว</t>", .name = "WINDOWS-874",
     .from = "xml"},
    {"iso-8859-15 declared", .enc = "ISO-8859-15",
     BYTES(text, XML_DECL("iso-8859-15") "<t>10 €</t>"),
     .want = XML_DECL("iso-8859-15") "<t>10 €</t>", .name = "ISO-8859-15",
     .from = "xml"},

    /* Detection. */
    {"gb2312 undeclared", .enc = "GB2312", BYTES(text, "<t>" ZH_S "</t>"),
     .want = "<t>" ZH_S "</t>", .name = "GB18030", .from = "detect"},
    {"gb18030 four-byte characters undeclared", .enc = "GB18030",
     BYTES(text, "<t>" ZH_S "€\xf0\x9f\x98\x80</t>"),
     .want = "<t>" ZH_S "€\xf0\x9f\x98\x80</t>", .name = "GB18030",
     .from = "detect"},
    {"big5 undeclared", .enc = "BIG5", BYTES(text, "<t>" ZH_T "</t>"),
     .want = "<t>" ZH_T "</t>", .name = "BIG5", .from = "detect"},
    {"big5 undeclared, short", .enc = "BIG5", BYTES(text, "<t>臺北市政府</t>"),
     .want = "<t>臺北市政府</t>", .name = "BIG5", .from = "detect"},
    {"gbk undeclared, short", .enc = "GBK", BYTES(text, "<t>区政府</t>"),
     .want = "<t>区政府</t>", .name = "GB18030", .from = "detect"},
    {"latin-1 undeclared", .enc = "ISO-8859-1",
     BYTES(text, "<t>café crème brûlée, naïve</t>"),
     .want = "<t>café crème brûlée, naïve</t>", .name = "WINDOWS-1252",
     .from = "detect"},
    {"ascii undeclared", BYTES(text, "<rss><t>plain</t></rss>"),
     .want = "<rss><t>plain</t></rss>", .name = "UTF-8", .from = "fallback"},
    {"utf-8 undeclared", BYTES(text, "<t>" ZH_S "</t>"),
     .want = "<t>" ZH_S "</t>", .name = "UTF-8", .from = "detect"},
    {"utf-8 undeclared with a stray byte", BYTES(text, "<t>中文\xff中文</t>"),
     .want = "<t>中文" R "中文</t>", .name = "UTF-8", .from = "detect",
     .errors = 1},
    {"invalid utf-8: one U+FFFD per maximal subpart",
     BYTES(text, XML_DECL("utf-8") "<t>" ZH_S "|\xc0\xaf|\xed\xa0\x80|"
                                   "\xf4\x90\x80\x80|\xe4\xb8|\xf0\x9f\x98|"
                                   "\x80\xbf|\xfe</t>"),
     .want = XML_DECL("utf-8") "<t>" ZH_S "|" R R "|" R R R "|" R R R R "|" R
                               "|" R "|" R R "|" R "</t>",
     .name = "UTF-8", .from = "xml", .errors = 14},
    {"the input's own U+FFFD is kept", BYTES(text, "<t>a" R "b\xff</t>"),
     .want = "<t>a" R "b" R "</t>", .name = "UTF-8", .from = "detect",
     .errors = 1, .has_fffd = 1},

    /* Cut short at the end. */
    {"gbk cut after a lead byte", .enc = "GBK",
     BYTES(text, XML_DECL("gbk") "<t>" ZH_S), BYTES(post, "\xd6"),
     .want = XML_DECL("gbk") "<t>" ZH_S R, .name = "GB18030", .from = "xml",
     .errors = 1},
    {"gb18030 four-byte sequence cut: each byte that starts nothing",
     .enc = "GBK", BYTES(text, XML_DECL("gb18030") "<t>" ZH_S),
     BYTES(post, "\x81\x30\x81"),
     .want = XML_DECL("gb18030") "<t>" ZH_S R "0" R, .name = "GB18030",
     .from = "xml", .errors = 2},
    {"big5 cut after a lead byte", .enc = "BIG5", BYTES(text, "<t>" ZH_T),
     BYTES(post, "\xa4"), .http = "big5", .want = "<t>" ZH_T R, .name = "BIG5",
     .from = "http", .errors = 1},
    {"utf-8 cut inside a character",
     BYTES(text, XML_DECL("utf-8") "<t>" ZH_S "\xe4\xb8"),
     .want = XML_DECL("utf-8") "<t>" ZH_S R, .name = "UTF-8", .from = "xml",
     .errors = 1},
    {"utf-16le cut inside a surrogate pair", BYTES(pre, "\xff\xfe"),
     BYTES(text, "a\0\x40\xd8"), .want = "a" R, .name = "UTF-16LE",
     .from = "bom", .errors = 1},

    /* NULs: the result is a C string. */
    {"nul in ascii", BYTES(text, "a\0b"), .want = "a" R "b", .name = "UTF-8",
     .from = "fallback", .errors = 1},
    {"nul in utf-8 declared", BYTES(text, XML_DECL("utf-8") "中\0文"),
     .want = XML_DECL("utf-8") "中" R "文", .name = "UTF-8", .from = "xml",
     .errors = 1},
    {"nul in gbk", .enc = "GBK", BYTES(text, XML_DECL("gbk") "<t>" ZH_S "</t>"),
     BYTES(post, "\0x"), .want = XML_DECL("gbk") "<t>" ZH_S "</t>" R "x",
     .name = "GB18030", .from = "xml", .errors = 1},
    {"nul after a gbk lead byte", .enc = "GBK",
     BYTES(text, XML_DECL("gbk") "<t>" ZH_S), BYTES(post, "\xd6\0"),
     .want = XML_DECL("gbk") "<t>" ZH_S R R, .name = "GB18030", .from = "xml",
     .errors = 2},
    {"nul in utf-16", BYTES(pre, "\xff\xfe"), BYTES(text, "a\0\0\0b\0"),
     .want = "a" R "b", .name = "UTF-16LE", .from = "bom", .errors = 1},
    {"only nuls", BYTES(text, "\0\0"), .want = R R, .name = "UTF-8",
     .from = "fallback", .errors = 2},

    /* Nothing at all. */
    {"empty", BYTES(text, ""), .want = "", .name = "UTF-8", .from = "fallback"},
    {"white space", BYTES(text, " \r\n"), .http = "gbk", .want = " \r\n",
     .name = "GB18030", .from = "http"},
};

static void
test_decode_table(void **state)
{
	static char body[8192];
	struct charset_result r;
	size_t i, n;

	(void)state;
	for (i = 0; i < NELEM(dcases); i++) {
		const struct dcase *c = &dcases[i];

		print_message("%s\n", c->what);
		n = 0;
		append(c->pre != NULL ? c->pre : "", c->prelen, body, &n,
		       sizeof(body));
		if (c->enc != NULL)
			encode(c->enc, c->text, c->textlen, body, &n,
			       sizeof(body));
		else
			append(c->text, c->textlen, body, &n, sizeof(body));
		append(c->post != NULL ? c->post : "", c->postlen, body, &n,
		       sizeof(body));
		assert_int_equal(charset_decode(body, n, c->http, &r), 0);
		check_result(&r, c->has_fffd);
		assert_string_equal(r.name, c->name);
		assert_string_equal(r.from, c->from);
		assert_int_equal(r.errors, c->errors);
		if (c->want != NULL) {
			assert_int_equal(r.len, strlen(c->want));
			assert_string_equal(r.utf8, c->want);
		}
		free(r.utf8);
	}
}

static void
test_decode_args(void **state)
{
	struct charset_result r;

	(void)state;
	assert_int_equal(charset_decode(NULL, 0, NULL, &r), 0);
	assert_string_equal(r.utf8, "");
	assert_int_equal(r.len, 0);
	assert_string_equal(r.name, "UTF-8");
	assert_string_equal(r.from, "fallback");
	free(r.utf8);
	assert_int_equal(charset_decode(NULL, 1, NULL, &r), -1);
	assert_null(r.utf8);
	assert_int_equal(charset_decode("x", 1, NULL, NULL), -1);
	/* a body over the cap is refused before it is read */
	assert_int_equal(charset_decode("x", (size_t)512 << 20, NULL, &r), -1);
	assert_null(r.utf8);
}

/* Real feeds ------------------------------------------------------------ */

static const struct {
	const char *file;
	const char *http;
	const char *name, *from;
	size_t errors;
	const char *contains[3]; /* known strings, exactly decoded */
} real_feeds[] = {
    {"realworld/qq-news-china-gb2312.xml",
     NULL,
     "GB18030",
     "xml",
     0,
     {"<title>新闻国内</title>", "<title>习近平为何如此强调崇尚英雄？</title>",
      "<title>最高法：适时出台防卫过当的认定标准 鼓励正当防卫</title>"}},
    {"realworld/qq-news-china-gb2312.xml",
     "utf-8",
     "GB18030",
     "xml",
     0,
     {"<title>新闻国内</title>", NULL, NULL}},
    {"feedparser/illformed/chardet/big5.xml",
     NULL,
     "BIG5",
     "detect",
     0,
     {"<title>我希望??很容易?其翻?成中文，并有助于改??件。 "
      "感?您??本文。</title>",
      NULL, NULL}},
    {"feedparser/illformed/chardet/gb2312.xml",
     NULL,
     "GB18030",
     "detect",
     0,
     {"<title>不归移民漫画系列：专业工作</title>", NULL, NULL}},
    {"feedparser/encoding/big5.xml",
     NULL,
     "BIG5",
     "xml",
     0,
     {"<rss>\n</rss>", NULL, NULL}},
    {"feedparser/encoding/u16.xml",
     NULL,
     "UTF-16BE",
     "xml",
     0,
     {"encoding=\"u16\"", NULL, NULL}},
    {"feedparser/encoding/utf-16be-autodetect.xml",
     NULL,
     "UTF-16BE",
     "xml",
     0,
     {"<rss>", NULL, NULL}},
    {"feedparser/encoding/utf-16le-autodetect.xml",
     NULL,
     "UTF-16LE",
     "xml",
     0,
     {"<rss>", NULL, NULL}},
    {"feedparser/encoding/utf-16le-bom.xml",
     NULL,
     "UTF-16LE",
     "bom",
     0,
     {"<?xml", NULL, NULL}},
    {"feedparser/encoding/utf-32be-autodetect.xml",
     NULL,
     "UTF-32BE",
     "xml",
     0,
     {"<rss>", NULL, NULL}},
    {"feedparser/encoding/utf-32le-bom.xml",
     NULL,
     "UTF-32LE",
     "bom",
     0,
     {"<?xml", NULL, NULL}},
    {"feedparser/encoding/bozo_linenoise.xml",
     NULL,
     "UTF-8",
     "xml",
     1,
     {"\xe2\x80\x99<>\xe2\x80\x9d" R, NULL, NULL}},
};

static void
test_real_feeds(void **state)
{
	struct charset_result r;
	size_t i, j, n, ran = 0;
	char *body;

	(void)state;
	for (i = 0; i < NELEM(real_feeds); i++) {
		print_message("%s (http %s)\n", real_feeds[i].file,
		              real_feeds[i].http ? real_feeds[i].http : "-");
		body = corpus_load(real_feeds[i].file, &n);
		if (body == NULL)
			continue;
		ran++;
		assert_int_equal(
		    charset_decode(body, n, real_feeds[i].http, &r), 0);
		check_result(&r, 0);
		assert_string_equal(r.name, real_feeds[i].name);
		assert_string_equal(r.from, real_feeds[i].from);
		for (j = 0; j < 3 && real_feeds[i].contains[j] != NULL; j++) {
			print_message("  %s\n", real_feeds[i].contains[j]);
			assert_non_null(
			    strstr(r.utf8, real_feeds[i].contains[j]));
		}
		assert_int_equal(r.errors, real_feeds[i].errors);
		free(r.utf8);
		free(body);
	}
	if (ran == 0)
		skip();
}

/* The Tencent feed without its declaration: detection must find GB18030
 * and produce the same text. */
static void
test_real_feed_undeclared(void **state)
{
	struct charset_result r1, r2;
	const char *decl = " encoding=\"gb2312\"";
	char *body, *at;
	size_t n, k = strlen(decl);

	(void)state;
	body = corpus_load("realworld/qq-news-china-gb2312.xml", &n);
	if (body == NULL)
		skip();
	assert_int_equal(charset_decode(body, n, NULL, &r1), 0);
	at = (char *)(uintptr_t)find(body, n, decl, k);
	assert_non_null(at);
	memmove(at, at + k, n - (size_t)(at - body) - k);
	n -= k;
	assert_int_equal(charset_decode(body, n, NULL, &r2), 0);
	assert_string_equal(r2.name, "GB18030");
	assert_string_equal(r2.from, "detect");
	assert_int_equal(r2.errors, 0);
	assert_int_equal(r2.len + k, r1.len);
	/* and labelled UTF-8 by a lying server */
	free(r2.utf8);
	assert_int_equal(charset_decode(body, n, "utf-8", &r2), 0);
	assert_string_equal(r2.name, "GB18030");
	assert_string_equal(r2.from, "detect");
	assert_non_null(strstr(r2.utf8, "<title>习近平为何如此强调崇尚英雄？"));
	free(r1.utf8);
	free(r2.utf8);
	free(body);
}

/* The charset a feedparser test file's Header: line announces. */
static void
sweep_http_charset(const char *body, size_t n, char *out, size_t outsz)
{
	const char *h, *cs, *end;
	size_t len;

	out[0] = '\0';
	h = find(body, n < 2048 ? n : 2048, "Header:", 7);
	if (h == NULL)
		return;
	end = memchr(h, '\n', n - (size_t)(h - body));
	if (end == NULL)
		return;
	cs = find(h, (size_t)(end - h), "charset=", 8);
	if (cs == NULL)
		return;
	cs += 8;
	len = strcspn(cs, ";\n");
	if (len >= outsz)
		return;
	memcpy(out, cs, len);
	out[len] = '\0';
}

/* Decode every file under dir: each must come back as a C string of
 * valid UTF-8 with one U+FFFD per error. */
static size_t
sweep_dir(const char *dir)
{
	char path[4096], http[64];
	struct charset_result r;
	struct dirent *de;
	struct stat st;
	size_t count = 0, n;
	DIR *d;
	FILE *f;
	char *body;

	d = opendir(dir);
	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (stat(path, &st) == -1)
			continue;
		if (S_ISDIR(st.st_mode)) {
			count += sweep_dir(path);
			continue;
		}
		f = fopen(path, "rb");
		assert_non_null(f);
		body = malloc((size_t)st.st_size + 1);
		assert_non_null(body);
		n = fread(body, 1, (size_t)st.st_size, f);
		fclose(f);
		sweep_http_charset(body, n, http, sizeof(http));
		if (charset_decode(body, n, http[0] ? http : NULL, &r) != 0)
			fail_msg("cannot decode %s", path);
		check_result(&r, find(body, n, R, 3) != NULL);
		free(r.utf8);
		free(body);
		count++;
	}
	closedir(d);
	return count;
}

static void
test_feedparser_sweep(void **state)
{
	const char *src = getenv("YQ_SOURCE_DIR");
	char dir[4096];
	size_t n;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/../shared/conformance/feedparser",
	         src != NULL ? src : ".");
	n = sweep_dir(dir);
	print_message("%zu files decoded\n", n);
	if (n == 0) {
		print_message("skip: %s absent\n", dir);
		skip();
	}
}

/* Big bodies: the allocation cap ----------------------------------------- */

#define BIG (16u << 20)

static void
big_check(const char *body, size_t n, const char *http, const char *name,
          size_t want_len, size_t want_errors)
{
	struct charset_result r;

	assert_int_equal(charset_decode(body, n, http, &r), 0);
	assert_string_equal(r.name, name);
	assert_int_equal(r.len, want_len);
	assert_int_equal(r.errors, want_errors);
	assert_int_equal(r.utf8[r.len], '\0');
	assert_true(malloc_usable_size(r.utf8) <= 4 * n + 64);
	free(r.utf8);
}

static void
test_big_worst_case(void **state)
{
	char *body = malloc(BIG);

	(void)state;
	assert_non_null(body);
	/* every byte invalid UTF-8 (a BOM forbids second thoughts): 3 bytes
	 * out per byte in */
	memset(body, 0xff, BIG);
	memcpy(body, "\xef\xbb\xbf", 3);
	big_check(body, BIG, NULL, "UTF-8", 3 * (size_t)(BIG - 3), BIG - 3);
	/* without the BOM they make more sense as WINDOWS-1252 */
	big_check(body + 3, BIG - 3, "utf-8", "WINDOWS-1252",
	          2 * (size_t)(BIG - 3), 0);
	/* every byte a euro sign: the iconv path grows to 3x */
	memset(body, 0x80, BIG);
	big_check(body, BIG, "windows-1252", "WINDOWS-1252", 3 * (size_t)BIG,
	          0);
	/* valid UTF-8: copied */
	memset(body, 'a', BIG);
	big_check(body, BIG, NULL, "UTF-8", BIG, 0);
	free(body);
}

static void
test_big_gbk(void **state)
{
	static const char line[] = "<item><title>" ZH_S "</title></item>\n";
	char unit[256], *body, *want;
	size_t un = 0, n = 0, wn = 0;
	struct charset_result r;

	(void)state;
	encode("GBK", line, sizeof(line) - 1, unit, &un, sizeof(unit));
	body = malloc(BIG + un);
	want = malloc(2 * BIG);
	assert_non_null(body);
	assert_non_null(want);
	while (n < BIG) {
		memcpy(body + n, unit, un);
		memcpy(want + wn, line, sizeof(line) - 1);
		n += un;
		wn += sizeof(line) - 1;
	}
	assert_int_equal(charset_decode(body, n, NULL, &r), 0);
	assert_string_equal(r.name, "GB18030");
	assert_string_equal(r.from, "detect");
	assert_int_equal(r.errors, 0);
	assert_int_equal(r.len, wn);
	assert_memory_equal(r.utf8, want, wn);
	assert_true(malloc_usable_size(r.utf8) <= 4 * n + 64);
	free(r.utf8);
	free(want);
	free(body);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_canonical_aliases),
	    cmocka_unit_test(test_canonical_normalise),
	    cmocka_unit_test(test_decode_table),
	    cmocka_unit_test(test_decode_args),
	    cmocka_unit_test(test_real_feeds),
	    cmocka_unit_test(test_real_feed_undeclared),
	    cmocka_unit_test(test_feedparser_sweep),
	    cmocka_unit_test(test_big_worst_case),
	    cmocka_unit_test(test_big_gbk),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
