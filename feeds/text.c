/*
 * text.c: turn what feeds call text into what classifiers and people read.
 * HTML is stripped (script and style bodies with it), entities decoded
 * with libxml2's HTML table, full-width ASCII folded (Ｔｅｓｔ → Test, the
 * ideographic space → space), control characters dropped, whitespace
 * collapsed, and every field capped on a character boundary.  Links are
 * resolved against their base and normalised for identity.  Pure code.
 */
#include <curl/curl.h>
#include <libxml/HTMLparser.h>
#include <libxml/uri.h>
#include <stdlib.h>
#include <string.h>

#include "feeds/feeds.h"

void
text_buf_init(struct text_buf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max;
}

/* Length of the UTF-8 sequence starting with byte c (1 for invalid). */
static size_t
text_seqlen(unsigned char c)
{
	if (c < 0x80)
		return 1;
	if ((c & 0xe0) == 0xc0)
		return 2;
	if ((c & 0xf0) == 0xe0)
		return 3;
	if ((c & 0xf8) == 0xf0)
		return 4;
	return 1;
}

/*
 * Decode the code point at s[*i] (n bytes in all) and advance *i.  Returns
 * the code point, or -1 for an invalid, overlong or truncated sequence, in
 * which case one byte is skipped.
 */
long
text_utf8_next(const char *str, size_t n, size_t *i)
{
	const unsigned char *s = (const unsigned char *)str;
	unsigned char c = s[*i];
	unsigned long cp, min;
	size_t len, k;

	if (c < 0x80) {
		*i += 1;
		return c;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07;
		min = 0x10000;
	} else {
		*i += 1;
		return -1;
	}
	if (n - *i < len) {
		*i += 1;
		return -1;
	}
	for (k = 1; k < len; k++) {
		if ((s[*i + k] & 0xc0) != 0x80) {
			*i += 1;
			return -1;
		}
		cp = (cp << 6) | (s[*i + k] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
		*i += 1;
		return -1;
	}
	*i += len;
	return (long)cp;
}

/* Append s (n bytes) with & < > " ' written as HTML entities. */
void
text_buf_html(struct text_buf *b, const char *s, size_t n)
{
	size_t i, from = 0;

	for (i = 0; i < n; i++) {
		const char *e = s[i] == '&'    ? "&amp;"
		                : s[i] == '<'  ? "&lt;"
		                : s[i] == '>'  ? "&gt;"
		                : s[i] == '"'  ? "&quot;"
		                : s[i] == '\'' ? "&#39;"
		                               : NULL;

		if (e == NULL)
			continue;
		text_buf_add(b, s + from, i - from);
		text_buf_add(b, e, strlen(e));
		from = i + 1;
	}
	text_buf_add(b, s + from, n - from);
}

/* Append; past max the rest is dropped at a character boundary. */
void
text_buf_add(struct text_buf *b, const char *s, size_t n)
{
	size_t need, cut;
	char *ns;

	if (b->truncated)
		return;
	if (b->len + n > b->max) {
		cut = 0;
		while (cut < n) {
			size_t l = text_seqlen((unsigned char)s[cut]);

			if (b->len + cut + l > b->max)
				break;
			cut += l;
		}
		n = cut;
		b->truncated = 1;
	}
	need = b->len + n + 1;
	if (need > b->cap) {
		size_t cap = b->cap ? b->cap : 64;

		while (cap < need)
			cap *= 2;
		if (cap > b->max + 1)
			cap = b->max + 1;
		ns = realloc(b->s, cap);
		if (ns == NULL) {
			b->truncated = 1;
			b->nomem = 1;
			return;
		}
		b->s = ns;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

/* The caller owns the string (never NULL unless out of memory). */
char *
text_buf_take(struct text_buf *b)
{
	char *s = b->s;

	if (s == NULL)
		s = strdup("");
	b->s = NULL;
	b->len = b->cap = 0;
	return s;
}

void
text_buf_free(struct text_buf *b)
{
	free(b->s);
	b->s = NULL;
	b->len = b->cap = 0;
}

static size_t
text_put_cp(char out[4], unsigned cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* Decode one UTF-8 character; invalid bytes read as U+FFFD, length 1. */
static unsigned
text_get_cp(const unsigned char *s, size_t n, size_t *used)
{
	size_t l = text_seqlen(s[0]), i;
	unsigned cp;

	if (l == 1 || l > n) {
		*used = 1;
		return s[0] < 0x80 ? s[0] : 0xfffd;
	}
	cp = s[0] & (0x7f >> l);
	for (i = 1; i < l; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			*used = 1;
			return 0xfffd;
		}
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	*used = l;
	return cp;
}

/*
 * An entity at s ("&name;", "&#123;", "&#x7b;"): its code point, and how
 * many bytes it spans; 0 if s is not one (then '&' is a literal).
 */
static unsigned
text_entity_cp(const char *s, size_t n, size_t *used)
{
	char name[40];
	size_t i = 1, k = 0;
	unsigned long cp = 0;
	const htmlEntityDesc *e;

	if (n < 3)
		return 0;
	if (s[1] == '#') {
		int hex = i + 1 < n && (s[2] == 'x' || s[2] == 'X');

		i = hex ? 3 : 2;
		for (k = i; k < n && k < i + 8; k++) {
			char c = s[k];

			if (c >= '0' && c <= '9')
				cp = cp * (hex ? 16 : 10) +
				     (unsigned long)(c - '0');
			else if (hex && c >= 'a' && c <= 'f')
				cp = cp * 16 + (unsigned long)(c - 'a' + 10);
			else if (hex && c >= 'A' && c <= 'F')
				cp = cp * 16 + (unsigned long)(c - 'A' + 10);
			else
				break;
		}
		if (k == i)
			return 0;
		*used = k < n && s[k] == ';' ? k + 1 : k;
		if (cp == 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0xfffd;
		/* windows-1252 in numeric references, as browsers read them */
		if (cp >= 0x80 && cp <= 0x9f) {
			static const unsigned short w1252[32] = {
			    0x20ac, 0x81,   0x201a, 0x192,  0x201e, 0x2026,
			    0x2020, 0x2021, 0x2c6,  0x2030, 0x160,  0x2039,
			    0x152,  0x8d,   0x17d,  0x8f,   0x90,   0x2018,
			    0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
			    0x2dc,  0x2122, 0x161,  0x203a, 0x153,  0x9d,
			    0x17e,  0x178};
			cp = w1252[cp - 0x80];
		}
		return (unsigned)cp;
	}
	for (k = 0; i < n && k + 1 < sizeof(name); i++, k++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9')))
			break;
		name[k] = c;
	}
	name[k] = '\0';
	if (k == 0 || i >= n || s[i] != ';')
		return 0;
	if (strcmp(name, "apos") == 0) {
		*used = i + 1;
		return '\'';
	}
	e = htmlEntityLookup((const xmlChar *)name);
	if (e == NULL)
		return 0;
	*used = i + 1;
	return e->value;
}

/* Tag names whose bodies are not text. */
static int
text_skip_body(const char *tag, size_t n)
{
	return (n == 6 && strncasecmp(tag, "script", 6) == 0) ||
	       (n == 5 && strncasecmp(tag, "style", 5) == 0);
}

/* Case-insensitive search for needle in s[0..n). */
static const char *
text_find(const char *s, size_t n, const char *needle)
{
	size_t l = strlen(needle), i;

	for (i = 0; i + l <= n; i++)
		if (strncasecmp(s + i, needle, l) == 0)
			return s + i;
	return NULL;
}

/*
 * Block-level HTML elements separate words; inline ones (b, a, span, font)
 * do not: "<b>煤矿</b>事故" reads "煤矿事故".
 */
int
text_is_block(const char *name, size_t n)
{
	static const char *const blocks[] = {
	    "br",     "p",          "div",   "li",      "ul",         "ol",
	    "tr",     "td",         "th",    "table",   "h1",         "h2",
	    "h3",     "h4",         "h5",    "h6",      "hr",         "dd",
	    "dt",     "dl",         "pre",   "section", "article",    "header",
	    "footer", "blockquote", "img",   "title",   "body",       "head",
	    "html",   "tbody",      "thead", "figure",  "figcaption", "nav",
	};
	size_t i;

	for (i = 0; i < sizeof(blocks) / sizeof(blocks[0]); i++)
		if (strlen(blocks[i]) == n &&
		    strncasecmp(blocks[i], name, n) == 0)
			return 1;
	return 0;
}

/*
 * At '<': if a tag, comment or declaration starts here, return how many
 * bytes it (and a script/style body) spans and set *block if it separates
 * words; 0 if the '<' is literal.
 */
static size_t
text_tag(const char *s, size_t n, int *block)
{
	const char *end, *close;
	size_t i = 1, name;
	char c;

	*block = 1;
	if (n < 2)
		return 0;
	c = s[1];
	if (c == '!' && n >= 4 && s[2] == '-' && s[3] == '-') {
		end = text_find(s + 4, n - 4, "-->");
		return end != NULL ? (size_t)(end - s) + 3 : n;
	}
	if (!(c == '/' || c == '!' || c == '?' || (c >= 'a' && c <= 'z') ||
	      (c >= 'A' && c <= 'Z')))
		return 0;
	if (c == '/' || c == '!' || c == '?')
		i = 2;
	name = i;
	while (name < n &&
	       ((s[name] >= 'a' && s[name] <= 'z') ||
	        (s[name] >= 'A' && s[name] <= 'Z') ||
	        (s[name] >= '0' && s[name] <= '9') || s[name] == ':'))
		name++;
	end = memchr(s, '>', n);
	if (end == NULL)
		return 0; /* "a <b" with no '>' anywhere: literal */
	*block = c == '!' || c == '?' || text_is_block(s + i, name - i) ||
	         text_skip_body(s + i, name - i);
	if (c != '/' && text_skip_body(s + i, name - i)) {
		char closer[10];

		snprintf(closer, sizeof(closer), "</%.*s", (int)(name - i),
		         s + i);
		close = text_find(end, n - (size_t)(end - s), closer);
		if (close == NULL)
			return n;
		end = memchr(close, '>', n - (size_t)(close - s));
		return end != NULL ? (size_t)(end - s) + 1 : n;
	}
	return (size_t)(end - s) + 1;
}

/*
 * The normalised text of in[0..len): see the file comment.  Whitespace,
 * tags and block boundaries become single spaces; the result is trimmed
 * and at most max bytes.  With html 0 the input is plain text (an XML
 * parser has already decoded it): no tags are stripped and no entities
 * decoded, "1 < 2" stays as it is.
 */
char *
text_normalise(const char *in, size_t len, size_t max, int html)
{
	struct text_buf b;
	const unsigned char *s = (const unsigned char *)in;
	size_t i = 0, used, t;
	int space = 0, block;
	unsigned cp;
	char enc[4];

	text_buf_init(&b, max);
	while (i < len && !b.truncated) {
		t = html && s[i] == '<' ? text_tag(in + i, len - i, &block) : 0;
		if (t > 0) {
			space = space || block;
			i += t;
			continue;
		}
		cp = html && s[i] == '&'
		         ? text_entity_cp(in + i, len - i, &used)
		         : 0;
		if (cp == 0)
			cp = text_get_cp(s + i, len - i, &used);
		i += used;
		if (cp >= 0xff01 && cp <= 0xff5e)
			cp -= 0xfee0;
		if (cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' ||
		    cp == 0xa0 || cp == 0x3000 || cp == 0x2028 ||
		    cp == 0x2029 || cp == 0x0b || cp == 0x0c) {
			space = 1;
			continue;
		}
		if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) ||
		    cp == 0x200b || cp == 0xfeff || cp == 0x200e ||
		    cp == 0x200f)
			continue;
		if (space && b.len > 0)
			text_buf_add(&b, " ", 1);
		space = 0;
		text_buf_add(&b, enc, text_put_cp(enc, cp));
	}
	return text_buf_take(&b);
}

/* Resolve link against base (either may be NULL); malloc'd, or NULL. */
char *
text_resolve(const char *link, const char *base)
{
	xmlChar *abs;
	char *out;

	if (link == NULL || link[0] == '\0')
		return NULL;
	if (base == NULL || base[0] == '\0')
		return strdup(link);
	abs = xmlBuildURI((const xmlChar *)link, (const xmlChar *)base);
	if (abs == NULL)
		return strdup(link);
	out = strdup((const char *)abs);
	xmlFree(abs);
	return out;
}

/* Drop utm_* parameters from a query string, in place. */
static void
text_strip_utm(char *q)
{
	char *r = q, *w = q, *amp;
	size_t n;

	while (*r != '\0') {
		amp = strchr(r, '&');
		n = amp != NULL ? (size_t)(amp - r) : strlen(r);
		if (!(n >= 4 && strncasecmp(r, "utm_", 4) == 0) && n > 0) {
			if (w != q)
				*w++ = '&';
			memmove(w, r, n);
			w += n;
		}
		r += n;
		if (*r == '&')
			r++;
	}
	*w = '\0';
}

/*
 * The identity form of a link: resolved against base, scheme and host
 * lower-cased, utm_* parameters and the fragment dropped.  malloc'd; a
 * link curl cannot parse is returned resolved but otherwise as given.
 */
char *
text_link(const char *link, const char *base)
{
	char *abs = text_resolve(link, base), *host = NULL, *query = NULL,
	     *out = NULL, *p;
	CURLU *u;

	if (abs == NULL)
		return NULL;
	u = curl_url();
	if (u == NULL || curl_url_set(u, CURLUPART_URL, abs,
	                              CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK) {
		curl_url_cleanup(u);
		return abs;
	}
	if (curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
		for (p = host; *p != '\0'; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
		curl_url_set(u, CURLUPART_HOST, host, 0);
	}
	curl_url_set(u, CURLUPART_FRAGMENT, NULL, 0);
	if (curl_url_get(u, CURLUPART_QUERY, &query, 0) == CURLUE_OK) {
		text_strip_utm(query);
		curl_url_set(u, CURLUPART_QUERY, query[0] ? query : NULL, 0);
	}
	if (curl_url_get(u, CURLUPART_URL, &out, 0) == CURLUE_OK) {
		free(abs);
		abs = strdup(out);
	}
	curl_free(out);
	curl_free(query);
	curl_free(host);
	curl_url_cleanup(u);
	return abs;
}

/* 64-bit FNV-1a: stable across runs and machines (it is stored). */
uint64_t
text_hash(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}
