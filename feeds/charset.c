/*
 * charset.c: a feed body's bytes to UTF-8.  Pure code: no I/O; glibc iconv
 * for the legacy charsets, own code for UTF-8, UTF-16 and UTF-32.
 *
 * Where the charset comes from, strongest first:
 *   1. a byte order mark (UTF-8, UTF-16LE/BE, UTF-32LE/BE); it is stripped;
 *   2. the document: an XML declaration's encoding at the start (after
 *      optional white space), or '<' / '{' spelled in UTF-16 or UTF-32
 *      without a mark (XML 1.0 Appendix F; "from" is "xml" when that text
 *      is an XML declaration, else "http" or "detect");
 *   3. the HTTP charset (from Content-Type, passed in);
 *   4. for a JSON body (first byte '{'): UTF-8, the only charset of JSON
 *      (from "fallback");
 *   5. detection (from "detect"; a pure ASCII body is UTF-8, "fallback").
 * A label nobody knows (or iconv cannot decode), or a UTF-16/32 label on a
 * body that is not spelled in 16 or 32 bits, is ignored and the next source
 * is used: "from" always names the source that decided.
 *
 * Labels follow the WHATWG Encoding Standard, and so do the names reported:
 * "latin1", "iso-8859-1", "us-ascii" and "windows-1252" all decode as and
 * report WINDOWS-1252, as in browsers and feedparser (the bytes 0x80-0x9F
 * of real "ISO-8859-1" pages are curly quotes and dashes).  The exception
 * is the whole GB family (gb2312, gbk, cp936, ...): GB18030, its superset.
 * Big5 is decoded with BIG5-HKSCS, a superset, but reported as BIG5.
 *
 * Chinese government and news sites lie about their charset, so a declared
 * charset is questioned when its decoding has errors (beyond a trace, for
 * charsets we cannot judge), when the body is plainly UTF-8, or when the
 * text makes no sense in it (a latin1 label, the servlet-container
 * default, over GBK; Big5 under a GB label).  Then UTF-8, GB18030, BIG5
 * and WINDOWS-1252 compete with it (see cs_choose), and the winner's
 * "from" is "detect".
 *
 * Every invalid sequence (and every NUL: the result is a C string) becomes
 * U+FFFD and counts as one error; decoding goes on after it.
 */
#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "feeds/feeds.h"

#define CHARSET_MAX_INPUT (256u << 20) /* a body larger than this: -1 */
#define CHARSET_SAMPLE    (1u << 20)   /* bytes that detection judges */
#define CHARSET_DECL_MAX  512          /* an XML declaration ends before */
#define CHARSET_LABEL_MAX 40           /* a label, trimmed */
#define CHARSET_LABEL_IN  256          /* a label as given */
#define CS_ICONV_WINDOW   4096         /* input bytes per iconv call */

/* Plausibility weights, per character (see cs_choose). */
#define CS_GOOD     2    /* frequent: level-1 hanzi, CJK punctuation */
#define CS_RARE     (-1) /* exists, but rare in real text */
#define CS_BAD      (-2) /* kana, Cyrillic, box drawing, private use */
#define CS_UTF8_SEQ 4    /* valid multi-byte UTF-8 is strong evidence */
#define CS_ERROR    8    /* an invalid sequence */

#define CS_REPLACEMENT "\xef\xbf\xbd"

enum cs_kind {
	CS_ICONV,
	CS_UTF8,
	CS_UTF16LE,
	CS_UTF16BE,
	CS_UTF32LE,
	CS_UTF32BE,
	CS_UTF16, /* a label without byte order: the bytes decide */
	CS_UTF32,
};

enum cs_score {
	CS_SCORE_NONE, /* no judge: presumed plausible */
	CS_SCORE_UTF8,
	CS_SCORE_GB18030,
	CS_SCORE_BIG5,
	CS_SCORE_1252,
};

struct cs_charset {
	const char *name; /* canonical, as reported */
	enum cs_kind kind;
	enum cs_score score;
	const char *iconv[2]; /* decoders to try, in order */
};

/* The first entries are the ones detection and questioning use. */
enum {
	CS_I_UTF8,
	CS_I_GB18030,
	CS_I_BIG5,
	CS_I_1252,
	CS_I_UTF16LE,
	CS_I_UTF16BE,
	CS_I_UTF32LE,
	CS_I_UTF32BE,
};

static const struct cs_charset cs_charsets[] = {
    {"UTF-8", CS_UTF8, CS_SCORE_UTF8, {NULL, NULL}},
    {"GB18030", CS_ICONV, CS_SCORE_GB18030, {"GB18030", NULL}},
    {"BIG5", CS_ICONV, CS_SCORE_BIG5, {"BIG5-HKSCS", "BIG5"}},
    {"WINDOWS-1252", CS_ICONV, CS_SCORE_1252, {"WINDOWS-1252", "CP1252"}},
    {"UTF-16LE", CS_UTF16LE, CS_SCORE_NONE, {NULL, NULL}},
    {"UTF-16BE", CS_UTF16BE, CS_SCORE_NONE, {NULL, NULL}},
    {"UTF-32LE", CS_UTF32LE, CS_SCORE_NONE, {NULL, NULL}},
    {"UTF-32BE", CS_UTF32BE, CS_SCORE_NONE, {NULL, NULL}},
    {"UTF-16", CS_UTF16, CS_SCORE_NONE, {NULL, NULL}},
    {"UTF-32", CS_UTF32, CS_SCORE_NONE, {NULL, NULL}},
    /* passed through to iconv when it knows them */
    {"EUC-JP", CS_ICONV, CS_SCORE_NONE, {"EUC-JP", NULL}},
    {"SHIFT_JIS", CS_ICONV, CS_SCORE_NONE, {"CP932", "SHIFT_JIS"}},
    {"EUC-KR", CS_ICONV, CS_SCORE_NONE, {"CP949", "EUC-KR"}},
    {"KOI8-R", CS_ICONV, CS_SCORE_NONE, {"KOI8-R", NULL}},
    {"KOI8-U", CS_ICONV, CS_SCORE_NONE, {"KOI8-U", NULL}},
    {"WINDOWS-874", CS_ICONV, CS_SCORE_NONE, {"WINDOWS-874", "TIS-620"}},
    {"WINDOWS-1250", CS_ICONV, CS_SCORE_NONE, {"WINDOWS-1250", NULL}},
    {"WINDOWS-1251", CS_ICONV, CS_SCORE_NONE, {"WINDOWS-1251", NULL}},
    {"WINDOWS-1253", CS_ICONV, CS_SCORE_NONE, {"WINDOWS-1253", NULL}},
    {"WINDOWS-1254", CS_ICONV, CS_SCORE_NONE, {"WINDOWS-1254", NULL}},
    {"WINDOWS-1255", CS_ICONV, CS_SCORE_NONE, {"WINDOWS-1255", NULL}},
    {"WINDOWS-1256", CS_ICONV, CS_SCORE_NONE, {"WINDOWS-1256", NULL}},
    {"WINDOWS-1257", CS_ICONV, CS_SCORE_NONE, {"WINDOWS-1257", NULL}},
    {"WINDOWS-1258", CS_ICONV, CS_SCORE_NONE, {"WINDOWS-1258", NULL}},
    {"ISO-8859-2", CS_ICONV, CS_SCORE_NONE, {"ISO-8859-2", NULL}},
    {"ISO-8859-3", CS_ICONV, CS_SCORE_NONE, {"ISO-8859-3", NULL}},
    {"ISO-8859-4", CS_ICONV, CS_SCORE_NONE, {"ISO-8859-4", NULL}},
    {"ISO-8859-5", CS_ICONV, CS_SCORE_NONE, {"ISO-8859-5", NULL}},
    {"ISO-8859-6", CS_ICONV, CS_SCORE_NONE, {"ISO-8859-6", NULL}},
    {"ISO-8859-7", CS_ICONV, CS_SCORE_NONE, {"ISO-8859-7", NULL}},
    {"ISO-8859-8", CS_ICONV, CS_SCORE_NONE, {"ISO-8859-8", NULL}},
    {"ISO-8859-10", CS_ICONV, CS_SCORE_NONE, {"ISO-8859-10", NULL}},
    {"ISO-8859-13", CS_ICONV, CS_SCORE_NONE, {"ISO-8859-13", NULL}},
    {"ISO-8859-14", CS_ICONV, CS_SCORE_NONE, {"ISO-8859-14", NULL}},
    {"ISO-8859-15", CS_ICONV, CS_SCORE_NONE, {"ISO-8859-15", NULL}},
    {"ISO-8859-16", CS_ICONV, CS_SCORE_NONE, {"ISO-8859-16", NULL}},
};

#define CS_NCHARSETS (sizeof(cs_charsets) / sizeof(cs_charsets[0]))

/* Labels, lower case and separated by spaces, by canonical name: the
 * WHATWG Encoding Standard's, and a few more seen in the wild. */
static const struct {
	const char *name, *labels;
} cs_labels[] = {
    {"UTF-8", "utf-8 utf8 utf_8 unicode-1-1-utf-8 unicode11utf8 "
              "unicode20utf8 x-unicode20utf8"},
    {"GB18030", "gb18030 gb2312 gbk x-gbk cp936 ms936 windows-936 euc-cn euccn "
                "x-euc-cn csgb2312 gb_2312-80 gb_2312 gb2312-80 iso-ir-58 "
                "csiso58gb231280 chinese"},
    {"BIG5", "big5 big5-hkscs big5hkscs cn-big5 x-x-big5 csbig5 cp950 ms950 "
             "windows-950"},
    {"WINDOWS-1252",
     "windows-1252 cp1252 x-cp1252 latin1 l1 iso-8859-1 iso8859-1 "
     "iso88591 iso_8859-1 iso_8859-1:1987 iso-ir-100 csisolatin1 "
     "ibm819 cp819 us-ascii ascii ansi_x3.4-1968 us"},
    {"UTF-16LE", "utf-16le utf16le"},
    {"UTF-16BE", "utf-16be utf16be unicodefffe"},
    {"UTF-32LE", "utf-32le utf32le ucs-4le"},
    {"UTF-32BE", "utf-32be utf32be ucs-4be"},
    {"UTF-16", "utf-16 utf16 ucs-2 ucs2 unicode csunicode iso-10646-ucs-2 "
               "unicodefeff"},
    {"UTF-32", "utf-32 utf32 ucs-4 ucs4 iso-10646-ucs-4"},
    {"EUC-JP", "euc-jp eucjp x-euc-jp cseucpkdfmtjapanese"},
    {"SHIFT_JIS", "shift_jis shift-jis sjis x-sjis ms_kanji csshiftjis "
                  "windows-31j cp932 ms932"},
    {"EUC-KR", "euc-kr euckr cseuckr korean ks_c_5601-1987 ks_c_5601-1989 "
               "ksc5601 ksc_5601 windows-949 cp949 uhc"},
    {"KOI8-R", "koi8-r koi8r koi8 koi cskoi8r"},
    {"KOI8-U", "koi8-u koi8-ru"},
    {"WINDOWS-874", "windows-874 cp874 dos-874 tis-620 tis620 iso-8859-11 "
                    "iso8859-11 iso885911"},
    {"WINDOWS-1250", "windows-1250 cp1250 x-cp1250"},
    {"WINDOWS-1251", "windows-1251 cp1251 x-cp1251"},
    {"WINDOWS-1253", "windows-1253 cp1253 x-cp1253"},
    {"WINDOWS-1254",
     "windows-1254 cp1254 x-cp1254 iso-8859-9 iso8859-9 iso88599 "
     "iso_8859-9 latin5 l5"},
    {"WINDOWS-1255", "windows-1255 cp1255 x-cp1255"},
    {"WINDOWS-1256", "windows-1256 cp1256 x-cp1256"},
    {"WINDOWS-1257", "windows-1257 cp1257 x-cp1257"},
    {"WINDOWS-1258", "windows-1258 cp1258 x-cp1258"},
    {"ISO-8859-2", "iso-8859-2 iso8859-2 iso88592 iso_8859-2 latin2 l2"},
    {"ISO-8859-3", "iso-8859-3 iso8859-3 iso88593 iso_8859-3 latin3 l3"},
    {"ISO-8859-4", "iso-8859-4 iso8859-4 iso88594 iso_8859-4 latin4 l4"},
    {"ISO-8859-5", "iso-8859-5 iso8859-5 iso88595 iso_8859-5 cyrillic"},
    {"ISO-8859-6", "iso-8859-6 iso8859-6 iso88596 iso_8859-6 arabic"},
    {"ISO-8859-7", "iso-8859-7 iso8859-7 iso88597 iso_8859-7 greek"},
    {"ISO-8859-8", "iso-8859-8 iso8859-8 iso88598 iso_8859-8 hebrew"},
    {"ISO-8859-10", "iso-8859-10 iso8859-10 iso885910 iso_8859-10 latin6 l6"},
    {"ISO-8859-13", "iso-8859-13 iso8859-13 iso885913 iso_8859-13"},
    {"ISO-8859-14", "iso-8859-14 iso8859-14 iso885914 iso_8859-14"},
    {"ISO-8859-15", "iso-8859-15 iso8859-15 iso885915 iso_8859-15 latin9 l9"},
    {"ISO-8859-16", "iso-8859-16 iso8859-16 iso885916 iso_8859-16"},
};

#define CS_NLABELS (sizeof(cs_labels) / sizeof(cs_labels[0]))

/*
 * Where decoded text goes.  With buf NULL nothing is stored: only the
 * output length and the counts are kept (detection, sizing).  Otherwise
 * buf grows up to max, never past it.
 */
struct cs_out {
	char *buf;
	size_t len, cap, max;
	size_t total;  /* bytes produced, stored or not */
	size_t errors; /* U+FFFD written, NULs included */
	size_t nuls;
	size_t chars; /* non-ASCII characters decoded, U+FFFD excluded */
	size_t multi; /* valid multi-byte UTF-8 sequences (UTF-8 only) */
};

/* Labels ---------------------------------------------------------------- */

/* Trim white space and quotes, lower-case; -1 if nothing usable is left. */
static int
cs_label_norm(const char *label, char *out, size_t outsz)
{
	const char *s = label, *e;
	size_t i, n;

	if (s == NULL)
		return -1;
	e = s + strnlen(s, CHARSET_LABEL_IN);
	if (*e != '\0')
		return -1; /* longer than any label could be, quoted or not */
	while (s < e && strchr(" \t\r\n\f\v\"'", *s) != NULL)
		s++;
	while (e > s && strchr(" \t\r\n\f\v\"'", e[-1]) != NULL)
		e--;
	n = (size_t)(e - s);
	if (n == 0 || n >= outsz)
		return -1;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= 0x20 || c >= 0x7f)
			return -1;
		out[i] = (char)(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
	}
	out[n] = '\0';
	return 0;
}

/* Whether the space-separated list holds the word w. */
static int
cs_label_in(const char *list, const char *w)
{
	size_t n = strlen(w);
	const char *p = list;

	while (*p != '\0') {
		size_t len = strcspn(p, " ");

		if (len == n && memcmp(p, w, n) == 0)
			return 1;
		p += len;
		while (*p == ' ')
			p++;
	}
	return 0;
}

/* The charset a label names, available or not; NULL if unknown. */
static const struct cs_charset *
cs_lookup(const char *label)
{
	char norm[CHARSET_LABEL_MAX];
	size_t i, j;

	if (cs_label_norm(label, norm, sizeof(norm)) == -1)
		return NULL;
	for (i = 0; i < CS_NLABELS; i++) {
		if (!cs_label_in(cs_labels[i].labels, norm))
			continue;
		for (j = 0; j < CS_NCHARSETS; j++)
			if (strcmp(cs_charsets[j].name, cs_labels[i].name) == 0)
				return &cs_charsets[j];
	}
	return NULL;
}

/* A decoder for cs, trying its iconv names in order; (iconv_t)-1 if none. */
static iconv_t
cs_iconv_open(const struct cs_charset *cs)
{
	iconv_t cd = (iconv_t)-1;
	size_t i;

	for (i = 0; i < 2 && cd == (iconv_t)-1; i++)
		if (cs->iconv[i] != NULL)
			cd = iconv_open("UTF-8", cs->iconv[i]);
	return cd;
}

static int
cs_available(const struct cs_charset *cs)
{
	iconv_t cd;

	if (cs->kind != CS_ICONV)
		return 1;
	cd = cs_iconv_open(cs);
	if (cd == (iconv_t)-1)
		return 0;
	iconv_close(cd);
	return 1;
}

/* A known label whose decoder exists, or NULL. */
static const struct cs_charset *
cs_usable(const char *label)
{
	const struct cs_charset *cs = cs_lookup(label);

	if (cs == NULL || !cs_available(cs))
		return NULL;
	return cs;
}

/* Bytes per code unit: 1, 2 (UTF-16) or 4 (UTF-32). */
static size_t
cs_width(const struct cs_charset *cs)
{
	switch (cs->kind) {
	case CS_UTF16LE:
	case CS_UTF16BE:
	case CS_UTF16:
		return 2;
	case CS_UTF32LE:
	case CS_UTF32BE:
	case CS_UTF32:
		return 4;
	default:
		return 1;
	}
}

static int
cs_is_wide(const struct cs_charset *cs)
{
	return cs_width(cs) > 1;
}

/*
 * The canonical name of a charset label ("gbk" -> "GB18030"), ignoring
 * case, surrounding white space and quotes; NULL if the label is unknown or
 * this system cannot decode it.  The result is a static string.
 */
const char *
charset_canonical(const char *label)
{
	const struct cs_charset *cs = cs_usable(label);

	return cs == NULL ? NULL : cs->name;
}

/* Output ---------------------------------------------------------------- */

/* Room for need more bytes; -1 past the hard maximum or out of memory. */
static int
cs_reserve(struct cs_out *o, size_t need)
{
	size_t cap;
	char *p;

	if (o->buf == NULL || o->cap - o->len >= need)
		return 0;
	if (o->max - o->len < need)
		return -1;
	cap = o->cap + o->cap / 2 + need;
	if (cap > o->max || cap < o->cap)
		cap = o->max;
	p = realloc(o->buf, cap);
	if (p == NULL)
		return -1;
	o->buf = p;
	o->cap = cap;
	return 0;
}

static int
cs_put(struct cs_out *o, const void *s, size_t n)
{
	o->total += n;
	if (o->buf == NULL)
		return 0;
	if (cs_reserve(o, n) == -1)
		return -1;
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	return 0;
}

/* An invalid sequence (or a NUL): U+FFFD. */
static int
cs_bad(struct cs_out *o)
{
	o->errors++;
	return cs_put(o, CS_REPLACEMENT, 3);
}

static int
cs_nul(struct cs_out *o)
{
	o->nuls++;
	return cs_bad(o);
}

/* Append code point cp (a valid scalar value, not NUL) as UTF-8. */
static int
cs_put_cp(struct cs_out *o, uint32_t cp)
{
	unsigned char b[4];
	size_t n;

	if (cp < 0x80) {
		b[0] = (unsigned char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (unsigned char)(0xc0 | cp >> 6);
		b[1] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (unsigned char)(0xe0 | cp >> 12);
		b[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		b[2] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		b[0] = (unsigned char)(0xf0 | cp >> 18);
		b[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
		b[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		b[3] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	if (cp >= 0x80)
		o->chars++;
	return cs_put(o, b, n);
}

/* UTF-8 ----------------------------------------------------------------- */

/* Length of the run of non-NUL ASCII bytes at p, eight at a time. */
static size_t
cs_ascii_span(const unsigned char *p, size_t n)
{
	const uint64_t hi = 0x8080808080808080ULL;
	const uint64_t lo = 0x0101010101010101ULL;
	size_t i = 0;
	uint64_t v;

	while (n - i >= 8) {
		memcpy(&v, p + i, 8);
		if ((v & hi) != 0 || ((v - lo) & ~v & hi) != 0)
			break;
		i += 8;
	}
	while (i < n && p[i] != 0 && p[i] < 0x80)
		i++;
	return i;
}

/*
 * The UTF-8 sequence at p (p[0] >= 0x80): its length if valid (RFC 3629:
 * no overlong forms, surrogates or values past U+10FFFF), else 0 with *skip
 * set to the maximal ill-formed subpart (Unicode 3.9), one error's worth.
 * *cut is set when the sequence was valid so far but n ran out.
 */
static size_t
cs_utf8_seq(const unsigned char *p, size_t n, size_t *skip, int *cut)
{
	unsigned char b = p[0], lo = 0x80, hi = 0xbf;
	size_t need, i;

	*cut = 0;
	*skip = 1;
	if (b >= 0xc2 && b <= 0xdf)
		need = 2;
	else if (b >= 0xe0 && b <= 0xef)
		need = 3;
	else if (b >= 0xf0 && b <= 0xf4)
		need = 4;
	else
		return 0;
	if (b == 0xe0)
		lo = 0xa0;
	else if (b == 0xed)
		hi = 0x9f;
	else if (b == 0xf0)
		lo = 0x90;
	else if (b == 0xf4)
		hi = 0x8f;
	for (i = 1; i < need; i++) {
		if (i == n) {
			*cut = 1;
			*skip = i;
			return 0;
		}
		if (p[i] < lo || p[i] > hi) {
			*skip = i;
			return 0;
		}
		lo = 0x80;
		hi = 0xbf;
	}
	return need;
}

/*
 * The length of the longest prefix of p that is valid UTF-8 without NULs:
 * n for a valid body, which is then copied as it is.  *high is set if the
 * prefix has any non-ASCII byte.
 */
static size_t
cs_utf8_valid(const unsigned char *p, size_t n, int *high)
{
	size_t i = 0, k, skip;
	int cut;

	*high = 0;
	while (i < n) {
		i += cs_ascii_span(p + i, n - i);
		if (i == n || p[i] == 0)
			break;
		*high = 1;
		if (p[i] >= 0xe1 && p[i] <= 0xef && p[i] != 0xed &&
		    n - i >= 3 && (p[i + 1] & 0xc0) == 0x80 &&
		    (p[i + 2] & 0xc0) == 0x80)
			k = 3; /* the common case, CJK: no need to look closer
			        */
		else
			k = cs_utf8_seq(p + i, n - i, &skip, &cut);
		if (k == 0)
			break;
		i += k;
	}
	return i;
}

/*
 * Copy UTF-8, replacing each ill-formed subpart and each NUL by U+FFFD.
 * partial: p is a sample cut from a longer body, so a sequence cut by its
 * end is not an error.
 */
static int
cs_run_utf8(struct cs_out *o, const unsigned char *p, size_t n, int partial)
{
	size_t i = 0, k, skip;
	int cut;

	while (i < n) {
		k = cs_ascii_span(p + i, n - i);
		if (k > 0) {
			if (cs_put(o, p + i, k) == -1)
				return -1;
			i += k;
			continue;
		}
		if (p[i] == 0) {
			if (cs_nul(o) == -1)
				return -1;
			i++;
			continue;
		}
		if (p[i] >= 0xe1 && p[i] <= 0xef && p[i] != 0xed &&
		    n - i >= 3 && (p[i + 1] & 0xc0) == 0x80 &&
		    (p[i + 2] & 0xc0) == 0x80)
			k = 3; /* the common case, CJK: no need to look closer
			        */
		else
			k = cs_utf8_seq(p + i, n - i, &skip, &cut);
		if (k > 0) {
			o->multi++;
			o->chars++;
			if (cs_put(o, p + i, k) == -1)
				return -1;
			i += k;
			continue;
		}
		if (cut && partial)
			break;
		if (cs_bad(o) == -1)
			return -1;
		i += skip;
	}
	return 0;
}

/* UTF-16 and UTF-32 ----------------------------------------------------- */

static uint32_t
cs_get16(const unsigned char *p, int be)
{
	return be ? (uint32_t)p[0] << 8 | p[1] : (uint32_t)p[1] << 8 | p[0];
}

static uint32_t
cs_get32(const unsigned char *p, int be)
{
	if (be)
		return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
		       (uint32_t)p[2] << 8 | p[3];
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[1] << 8 | p[0];
}

/* Decode UTF-16: an unpaired surrogate is one error, an odd last byte too. */
static int
cs_run_utf16(struct cs_out *o, const unsigned char *p, size_t n, int be,
             int partial)
{
	size_t i = 0;
	uint32_t u, u2;
	int rc;

	while (n - i >= 2) {
		u = cs_get16(p + i, be);
		if (u >= 0xd800 && u <= 0xdbff) {
			if (n - i < 4 && partial)
				return 0;
			u2 = n - i >= 4 ? cs_get16(p + i + 2, be) : 0;
			if (u2 >= 0xdc00 && u2 <= 0xdfff) {
				u = 0x10000 + ((u - 0xd800) << 10) +
				    (u2 - 0xdc00);
				rc = cs_put_cp(o, u);
				i += 4;
			} else {
				rc = cs_bad(o);
				i += 2;
			}
		} else {
			if (u >= 0xdc00 && u <= 0xdfff)
				rc = cs_bad(o);
			else if (u == 0)
				rc = cs_nul(o);
			else
				rc = cs_put_cp(o, u);
			i += 2;
		}
		if (rc == -1)
			return -1;
	}
	if (i < n && !partial)
		return cs_bad(o);
	return 0;
}

/* Decode UTF-32: a surrogate or a value past U+10FFFF is one error. */
static int
cs_run_utf32(struct cs_out *o, const unsigned char *p, size_t n, int be,
             int partial)
{
	size_t i;
	uint32_t u;
	int rc;

	for (i = 0; n - i >= 4; i += 4) {
		u = cs_get32(p + i, be);
		if (u > 0x10ffff || (u >= 0xd800 && u <= 0xdfff))
			rc = cs_bad(o);
		else if (u == 0)
			rc = cs_nul(o);
		else
			rc = cs_put_cp(o, u);
		if (rc == -1)
			return -1;
	}
	if (i < n && !partial)
		return cs_bad(o);
	return 0;
}

/* iconv ----------------------------------------------------------------- */

/* Account for what iconv wrote at [s, e). */
static void
cs_produced(struct cs_out *o, const char *s, const char *e)
{
	size_t n = (size_t)(e - s);

	o->total += n;
	if (o->buf != NULL) {
		o->len += n;
		return;
	}
	for (; s < e; s++)
		if (((unsigned char)*s & 0xc0) == 0xc0)
			o->chars++;
}

/*
 * Convert one NUL-free segment with cd.  EILSEQ, and EINVAL at the end,
 * cost one error and one byte; decoding resumes at the next byte.  iconv
 * sees at most CS_ICONV_WINDOW bytes a call, so that a body full of errors
 * costs no more per error than a short one (sanitizers check the whole
 * input range at each call).
 */
static int
cs_iconv_seg(struct cs_out *o, iconv_t cd, const unsigned char *p, size_t n,
             int partial)
{
	char scratch[4096];
	const char *end = (const char *)p + n;
	char *ip = (char *)(uintptr_t)p, *op, *start;
	size_t il, ol, rc, win;

	for (;;) {
		if (cs_reserve(o, 16) == -1)
			return -1;
		if (o->buf == NULL) {
			op = scratch;
			ol = sizeof(scratch);
		} else {
			op = o->buf + o->len;
			ol = o->cap - o->len;
		}
		start = op;
		win = (size_t)(end - ip);
		if (win > CS_ICONV_WINDOW)
			win = CS_ICONV_WINDOW;
		il = win;
		if (win > 0)
			rc = iconv(cd, &ip, &il, &op, &ol);
		else /* end of input: write out any pending state */
			rc = iconv(cd, NULL, NULL, &op, &ol);
		cs_produced(o, start, op);
		if (rc != (size_t)-1) {
			if (win == 0)
				return 0;
			continue;
		}
		if (errno == E2BIG) {
			if (o->buf != NULL &&
			    cs_reserve(o, o->cap - o->len + 16) == -1)
				return -1;
			continue;
		}
		if (errno == EINVAL && ip + il < end)
			continue; /* the window cut a character; the next holds
			             it */
		if (errno == EINVAL && partial)
			return 0;
		if (errno != EILSEQ && errno != EINVAL)
			return -1;
		if (cs_bad(o) == -1)
			return -1;
		ip++;
	}
}

/* Decode an ASCII-compatible legacy charset; each NUL is an error. */
static int
cs_run_iconv(struct cs_out *o, const struct cs_charset *cs,
             const unsigned char *p, size_t n, int partial)
{
	const unsigned char *z;
	iconv_t cd;
	size_t i = 0, end;
	int rc = 0;

	cd = cs_iconv_open(cs);
	if (cd == (iconv_t)-1)
		return -1;
	while (i < n && rc == 0) {
		z = memchr(p + i, 0, n - i);
		end = z == NULL ? n : (size_t)(z - p);
		rc = cs_iconv_seg(o, cd, p + i, end - i, partial && end == n);
		if (rc == 0 && end < n) {
			rc = cs_nul(o);
			end++;
		}
		i = end;
	}
	iconv_close(cd);
	return rc;
}

/* Decode p with cs into o (storing or counting). */
static int
cs_run(struct cs_out *o, const struct cs_charset *cs, const unsigned char *p,
       size_t n, int partial)
{
	switch (cs->kind) {
	case CS_UTF8:
		return cs_run_utf8(o, p, n, partial);
	case CS_UTF16LE:
		return cs_run_utf16(o, p, n, 0, partial);
	case CS_UTF16BE:
		return cs_run_utf16(o, p, n, 1, partial);
	case CS_UTF32LE:
		return cs_run_utf32(o, p, n, 0, partial);
	case CS_UTF32BE:
		return cs_run_utf32(o, p, n, 1, partial);
	case CS_ICONV:
		return cs_run_iconv(o, cs, p, n, partial);
	default:
		return -1;
	}
}

/* Plausibility ---------------------------------------------------------- */

/*
 * One GB18030 double-byte code.  GB2312 puts the 3,755 most frequent
 * hanzi in level 1 (B0A1-D7F9): real simplified Chinese is almost all
 * level 1 plus the punctuation of rows A1 and A3.  Big5 read as GB18030
 * lands in kana, Greek, Cyrillic and box drawing (rows A4-A9), the
 * user-defined areas and the GBK extensions instead.
 */
static int
cs_gb_pair(unsigned b, unsigned t)
{
	if (t < 0xa1) /* GBK extensions; A140-A7A0 is user-defined */
		return b >= 0xa1 && b <= 0xa7 ? CS_BAD : CS_RARE;
	if (b >= 0xb0 && b <= 0xd7)
		return CS_GOOD;
	if (b == 0xa1 || b == 0xa3)
		return CS_GOOD;
	if ((b >= 0xd8 && b <= 0xf7) || b == 0xa2)
		return 0;
	if (b < 0xa1)
		return CS_RARE;
	return CS_BAD;
}

static int64_t
cs_score_gb18030(const unsigned char *p, size_t n)
{
	int64_t s = 0;
	size_t i = 0;
	unsigned b, t;

	while (i < n) {
		b = p[i];
		if (b < 0x81 || b == 0xff || n - i < 2) {
			i++;
			continue;
		}
		t = p[i + 1];
		if (t >= 0x30 && t <= 0x39) {
			/* four bytes: rare characters, emoji */
			if (n - i >= 4 && p[i + 2] >= 0x81 &&
			    p[i + 2] <= 0xfe && p[i + 3] >= 0x30 &&
			    p[i + 3] <= 0x39) {
				s += CS_RARE;
				i += 4;
			} else {
				i++;
			}
		} else if (t >= 0x40 && t != 0x7f && t != 0xff) {
			s += cs_gb_pair(b, t);
			i += 2;
		} else {
			i++;
		}
	}
	return s;
}

/*
 * One Big5 code.  Big5 puts the 5,401 frequent hanzi in level 1
 * (A440-C67E) and punctuation in row A1; GB text read as Big5 falls
 * partly into level 2, bopomofo and the unassigned end of row A3.
 */
static int
cs_big5_pair(unsigned b, unsigned t)
{
	unsigned c = b << 8 | t;

	if (c >= 0xa440 && c <= 0xc67e)
		return CS_GOOD;
	if (b == 0xa1)
		return CS_GOOD;
	if ((c >= 0xc940 && c <= 0xf9d5) || b == 0xa2 ||
	    (c >= 0xa340 && c <= 0xa3bf))
		return 0;
	if ((c >= 0xc6a1 && c <= 0xc8fe) || (c >= 0xa3c0 && c <= 0xa3fe))
		return CS_BAD;
	return CS_RARE; /* HKSCS and ETEN additions */
}

static int64_t
cs_score_big5(const unsigned char *p, size_t n)
{
	int64_t s = 0;
	size_t i = 0;
	unsigned b, t;

	while (i < n) {
		b = p[i];
		if (b == 0x80)
			s += CS_BAD; /* glibc reads it as U+0080 */
		if (b < 0x81 || b == 0xff || n - i < 2) {
			i++;
			continue;
		}
		t = p[i + 1];
		if ((t >= 0x40 && t <= 0x7e) || (t >= 0xa1 && t <= 0xfe)) {
			s += cs_big5_pair(b, t);
			i += 2;
		} else {
			i++;
		}
	}
	return s;
}

/*
 * Windows-1252, per byte: Latin text has its accented letters and curly
 * quotes alone between ASCII; double-byte text has runs of high bytes.
 * A lone byte scores as a letter, a pair is neutral, longer runs are bad.
 */
static int64_t
cs_score_1252(const unsigned char *p, size_t n)
{
	int64_t s = 0;
	size_t i = 0, j;
	unsigned b;

	while (i < n) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		for (j = i; j < n && p[j] >= 0x80; j++)
			;
		b = p[i];
		if (j - i >= 3)
			s += CS_BAD * (int64_t)(j - i);
		else if (j - i == 1 && b >= 0xc0 && b != 0xd7 && b != 0xf7)
			s += CS_GOOD;
		else if (j - i == 1)
			s += 1;
		i = j;
	}
	return s;
}

/* Choosing -------------------------------------------------------------- */

/* How well one charset fits a sample. */
struct cs_eval {
	const struct cs_charset *cs;
	size_t errors; /* invalid sequences, NULs not counted */
	size_t multi;
	int64_t score;
	int64_t value; /* score - CS_ERROR * errors */
};

/* Judge cs on the sample p (cut from a longer body if partial). */
static int
cs_evaluate(const struct cs_charset *cs, const unsigned char *p, size_t n,
            int partial, struct cs_eval *e)
{
	struct cs_out o;

	memset(&o, 0, sizeof(o));
	memset(e, 0, sizeof(*e));
	e->cs = cs;
	if (cs_run(&o, cs, p, n, partial) == -1)
		return -1;
	e->errors = o.errors - o.nuls;
	e->multi = o.multi;
	switch (cs->score) {
	case CS_SCORE_UTF8:
		e->score = CS_UTF8_SEQ * (int64_t)o.multi;
		break;
	case CS_SCORE_GB18030:
		e->score = cs_score_gb18030(p, n);
		break;
	case CS_SCORE_BIG5:
		e->score = cs_score_big5(p, n);
		break;
	case CS_SCORE_1252:
		e->score = cs_score_1252(p, n);
		break;
	default:
		e->score = CS_GOOD * (int64_t)o.chars;
		break;
	}
	e->value = e->score - CS_ERROR * (int64_t)e->errors;
	return 0;
}

/*
 * The part of the body detection looks at: from the first byte that is not
 * ASCII (in ASCII-compatible charsets that byte starts a character), at
 * most CHARSET_SAMPLE bytes.  Markup before it says nothing.
 */
static const unsigned char *
cs_sample(const unsigned char *p, size_t n, size_t *sn, int *partial,
          size_t *high)
{
	size_t i = 0, k;

	while (i < n && p[i] < 0x80)
		i++;
	k = n - i > CHARSET_SAMPLE ? CHARSET_SAMPLE : n - i;
	*partial = i + k < n;
	*sn = k;
	*high = 0;
	for (n = 0; n < k; n++)
		if (p[i + n] >= 0x80)
			(*high)++;
	return p + i;
}

/*
 * Pick the charset for a body.  decl is the declared charset (NULL: none).
 *
 * Each candidate is judged on the sample by its value: a plausibility score
 * minus CS_ERROR per invalid sequence.  Plausibility, per character:
 * UTF-8 +4 for each valid multi-byte sequence (chance rarely makes those);
 * GB18030 +2 for level-1 hanzi and CJK punctuation, 0 for level 2, -1 for
 * the GBK extensions, -2 for kana, Cyrillic, box drawing and private use;
 * BIG5 likewise with its own level 1, level 2 and oddities; WINDOWS-1252
 * +2 for a lone accented letter, -2 per byte of a run of three or more high
 * bytes; a charset we cannot judge is presumed plausible (+2 a character).
 * The highest value wins; ties go to the declared charset, then to the
 * first in the order UTF-8, GB18030, BIG5, WINDOWS-1252.
 *
 * A declared charset is only questioned if (a) its sample has errors (for
 * a charset we cannot judge: more than one per hundred high bytes, not a
 * stray corrupt byte), (b) the sample is UTF-8 beyond doubt and decl is
 * not, or (c) decl is one we can judge and the sample scores below zero
 * as such: double-byte text under a latin1 label, Big5 under a GB label
 * and the reverse.  Real text in its own charset always scores well above
 * zero, so a right label that decodes cleanly is never overruled.
 */
static const struct cs_charset *
cs_choose(const struct cs_charset *decl, const unsigned char *body, size_t len,
          const char **from)
{
	static const int cands[] = {CS_I_UTF8, CS_I_GB18030, CS_I_BIG5,
	                            CS_I_1252};
	const struct cs_charset *utf8 = &cs_charsets[CS_I_UTF8];
	const unsigned char *p;
	struct cs_eval best, e;
	size_t n, high, i;
	int partial, ask;

	p = cs_sample(body, len, &n, &partial, &high);
	if (decl == NULL) {
		/* nothing declared: ASCII and valid UTF-8 are UTF-8 */
		*from = n == 0 ? "fallback" : "detect";
		if (n == 0 || cs_evaluate(utf8, p, n, partial, &best) == -1 ||
		    best.errors == 0)
			return utf8;
	} else {
		if (n == 0 || cs_evaluate(decl, p, n, partial, &best) == -1)
			return decl;
		ask = best.errors > 0 && (decl->score != CS_SCORE_NONE ||
		                          best.errors * 100 > high);
		if (!ask && decl != utf8 &&
		    cs_evaluate(utf8, p, n, partial, &e) == 0)
			ask = (e.multi >= 1 && e.errors == 0) ||
			      (e.multi >= 16 && e.errors * 16 <= e.multi);
		if (!ask && decl->score != CS_SCORE_NONE)
			ask = best.score < 0;
		if (!ask)
			return decl;
	}
	for (i = 0; i < sizeof(cands) / sizeof(cands[0]); i++) {
		const struct cs_charset *cs = &cs_charsets[cands[i]];

		if (cs == best.cs)
			continue;
		if (cs_evaluate(cs, p, n, partial, &e) == 0 &&
		    e.value > best.value)
			best = e;
	}
	if (best.cs != decl)
		*from = "detect";
	return best.cs;
}

/* Sources --------------------------------------------------------------- */

/* A byte order mark: its charset and length, or NULL. */
static const struct cs_charset *
cs_bom(const unsigned char *p, size_t n, size_t *skip)
{
	if (n >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf) {
		*skip = 3;
		return &cs_charsets[CS_I_UTF8];
	}
	if (n >= 4 && p[0] == 0xff && p[1] == 0xfe && p[2] == 0 && p[3] == 0) {
		*skip = 4;
		return &cs_charsets[CS_I_UTF32LE];
	}
	if (n >= 4 && p[0] == 0 && p[1] == 0 && p[2] == 0xfe && p[3] == 0xff) {
		*skip = 4;
		return &cs_charsets[CS_I_UTF32BE];
	}
	if (n >= 2 && p[0] == 0xff && p[1] == 0xfe) {
		*skip = 2;
		return &cs_charsets[CS_I_UTF16LE];
	}
	if (n >= 2 && p[0] == 0xfe && p[1] == 0xff) {
		*skip = 2;
		return &cs_charsets[CS_I_UTF16BE];
	}
	return NULL;
}

/*
 * ASCII in 16 or 32 bits without a mark ("<?xml", "<rss", "{", white
 * space): the first two characters are non-NUL ASCII with NUL padding
 * (XML 1.0 Appendix F, generalised beyond "<?").  NULL if not.
 */
static const struct cs_charset *
cs_wide(const unsigned char *p, size_t n)
{
	if (n < 4)
		return NULL;
	if (p[0] != 0 && p[0] < 0x80 && p[1] == 0 && p[2] == 0 && p[3] == 0)
		return &cs_charsets[CS_I_UTF32LE];
	if (p[0] == 0 && p[1] == 0 && p[2] == 0 && p[3] != 0 && p[3] < 0x80)
		return &cs_charsets[CS_I_UTF32BE];
	if (p[0] != 0 && p[0] < 0x80 && p[1] == 0 && p[2] != 0 && p[2] < 0x80 &&
	    p[3] == 0)
		return &cs_charsets[CS_I_UTF16LE];
	if (p[0] == 0 && p[1] != 0 && p[1] < 0x80 && p[2] == 0 && p[3] != 0 &&
	    p[3] < 0x80)
		return &cs_charsets[CS_I_UTF16BE];
	return NULL;
}

/*
 * The first characters of a body as ASCII, one byte per code unit (unit
 * bytes wide, the ASCII byte at offset off), non-ASCII as '?'; at most
 * CHARSET_DECL_MAX.  Returns the length.
 */
static size_t
cs_head(const unsigned char *p, size_t n, size_t unit, size_t off, char *out)
{
	size_t i, k;

	for (k = 0, i = 0; k < CHARSET_DECL_MAX && n - i >= unit;
	     k++, i += unit) {
		unsigned char c = p[i + off];
		size_t j;

		for (j = 0; j < unit; j++)
			if (j != off && p[i + j] != 0)
				c = '?';
		out[k] = c >= 0x80 ? '?' : (char)c;
	}
	out[k] = '\0';
	return k;
}

static int
cs_isspace(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * Whether s (NUL-terminated) starts, after white space, with an XML
 * declaration; if so, its encoding pseudo-attribute is copied to enc
 * (empty if absent or longer than encsz).  Only what lies before "?>" and
 * within the first CHARSET_DECL_MAX bytes counts.
 */
static int
cs_xml_decl(const char *s, char *enc, size_t encsz)
{
	const char *name, *val;
	size_t nlen, vlen;
	char q;

	enc[0] = '\0';
	while (cs_isspace(*s))
		s++;
	if (strncmp(s, "<?xml", 5) != 0 || !cs_isspace(s[5]))
		return 0;
	s += 5;
	for (;;) {
		while (cs_isspace(*s))
			s++;
		name = s;
		while ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z'))
			s++;
		nlen = (size_t)(s - name);
		if (nlen == 0)
			return 1; /* "?>", end of input, or junk */
		while (cs_isspace(*s))
			s++;
		if (*s != '=')
			return 1;
		s++;
		while (cs_isspace(*s))
			s++;
		if (*s != '"' && *s != '\'')
			return 1;
		q = *s++;
		val = s;
		while (*s != '\0' && *s != q && *s != '<' && *s != '>')
			s++;
		if (*s != q)
			return 1;
		vlen = (size_t)(s - val);
		s++;
		if (nlen == 8 && strncmp(name, "encoding", 8) == 0) {
			if (vlen < encsz) {
				memcpy(enc, val, vlen);
				enc[vlen] = '\0';
			}
			return 1;
		}
	}
}

/*
 * The declared charset: the document (XML declaration, or its 16/32-bit
 * spelling), then the HTTP charset, then JSON's UTF-8; NULL if none of
 * them is usable.  Sets *from.
 */
static const struct cs_charset *
cs_declared(const unsigned char *p, size_t n, const char *http,
            const char **from)
{
	char head[CHARSET_DECL_MAX + 1], enc[CHARSET_LABEL_MAX];
	const struct cs_charset *wide, *cs;
	size_t i;

	wide = cs_wide(p, n);
	if (wide != NULL) {
		/* the bytes fix the charset; only the source is in question */
		if (wide->kind == CS_UTF16LE || wide->kind == CS_UTF16BE)
			cs_head(p, n, 2, wide->kind == CS_UTF16BE, head);
		else
			cs_head(p, n, 4, wide->kind == CS_UTF32BE ? 3 : 0,
			        head);
		cs = cs_usable(http);
		if (cs_xml_decl(head, enc, sizeof(enc)))
			*from = "xml";
		else if (cs != NULL && cs_width(cs) == cs_width(wide))
			*from = "http";
		else
			*from = "detect";
		return wide;
	}
	for (i = 0; i < n && cs_isspace((char)p[i]); i++)
		;
	if (i == n || p[i] != '{') {
		cs_head(p, n, 1, 0, head);
		if (cs_xml_decl(head, enc, sizeof(enc))) {
			cs = cs_usable(enc);
			if (cs != NULL && !cs_is_wide(cs)) {
				*from = "xml";
				return cs;
			}
		}
	}
	cs = cs_usable(http);
	if (cs != NULL && !cs_is_wide(cs)) {
		*from = "http";
		return cs;
	}
	if (i < n && p[i] == '{') {
		*from = "fallback";
		return &cs_charsets[CS_I_UTF8];
	}
	return NULL;
}

/* Decoding -------------------------------------------------------------- */

/*
 * Decode p with cs into res->utf8.  The buffer never exceeds 3 * n + 64
 * bytes: no charset here makes more than three bytes of UTF-8 from one
 * input byte (U+FFFD from one bad byte is the worst case).
 */
static int
cs_decode(const struct cs_charset *cs, const unsigned char *p, size_t n,
          int valid, struct charset_result *res)
{
	struct cs_out o;
	char *s;
	int high;

	memset(&o, 0, sizeof(o));
	o.max = 3 * n + 64;
	if (cs->kind == CS_UTF8 && (valid || cs_utf8_valid(p, n, &high) == n)) {
		o.buf = malloc(n + 1);
		if (o.buf == NULL)
			return -1;
		memcpy(o.buf, p, n);
		o.len = n;
		o.cap = n + 1;
	} else if (cs->kind == CS_UTF8) {
		/* count first, so that the buffer is sized exactly */
		if (cs_run_utf8(&o, p, n, 0) == -1)
			return -1;
		o.cap = o.total + 1;
		o.buf = malloc(o.cap);
		if (o.buf == NULL)
			return -1;
		o.errors = o.nuls = 0;
		if (cs_run_utf8(&o, p, n, 0) == -1)
			goto fail;
	} else {
		if (cs->kind == CS_UTF16LE || cs->kind == CS_UTF16BE)
			o.cap = n / 2 * 3 + 4;
		else if (cs->kind == CS_ICONV)
			o.cap = n + n / 2 + 64;
		else
			o.cap = n + 4;
		o.buf = malloc(o.cap);
		if (o.buf == NULL)
			return -1;
		if (cs_run(&o, cs, p, n, 0) == -1 || cs_reserve(&o, 1) == -1)
			goto fail;
	}
	o.buf[o.len] = '\0';
	if (o.cap > o.len + 1) {
		s = realloc(o.buf, o.len + 1);
		if (s != NULL)
			o.buf = s;
	}
	res->utf8 = o.buf;
	res->len = o.len;
	res->errors = o.errors;
	snprintf(res->name, sizeof(res->name), "%s", cs->name);
	return 0;
fail:
	free(o.buf);
	return -1;
}

/*
 * Decode a feed body to UTF-8 (see the top of this file for the rules).
 * body is borrowed; res->utf8 is malloc'd and the caller's.  Returns -1
 * only when memory runs out or the body is larger than CHARSET_MAX_INPUT;
 * an undecodable body still comes back, with errors counted.
 */
int
charset_decode(const char *body, size_t len, const char *http_charset,
               struct charset_result *res)
{
	const unsigned char *p = (const unsigned char *)body;
	const struct cs_charset *cs;
	const char *from = "fallback";
	size_t skip = 0;
	int valid = 0, high;

	if (res == NULL)
		return -1;
	memset(res, 0, sizeof(*res));
	if ((p == NULL && len > 0) || len > CHARSET_MAX_INPUT)
		return -1;
	if (p == NULL)
		p = (const unsigned char *)"";
	cs = cs_bom(p, len, &skip);
	if (cs != NULL) {
		from = "bom";
	} else {
		cs = cs_declared(p, len, http_charset, &from);
		/* valid UTF-8 is taken as it is, unless a legacy label says
		 * otherwise (then cs_choose weighs it) */
		if ((cs == NULL || cs->kind == CS_UTF8) &&
		    cs_utf8_valid(p, len, &high) == len) {
			valid = 1;
			if (cs == NULL)
				from = high ? "detect" : "fallback";
			cs = &cs_charsets[CS_I_UTF8];
		} else if (cs == NULL || !cs_is_wide(cs)) {
			cs = cs_choose(cs, p, len, &from);
		}
	}
	if (cs_decode(cs, p + skip, len - skip, valid, res) == -1) {
		memset(res, 0, sizeof(*res));
		return -1;
	}
	res->from = from;
	return 0;
}
