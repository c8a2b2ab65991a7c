/*
 * parse.c: a feed body to normalised items.  The format comes from the
 * body (a leading '{' is JSON Feed, otherwise the root element), never from
 * Content-Type: government sites serve feeds as text/html.  XML is decoded
 * to UTF-8 first (charset.c), cleaned (DOCTYPE removed, so no internal or
 * external entities exist at all; HTML entities turned into character
 * references; bare '&' and control characters fixed), then parsed by
 * libxml2 with recovery on and network, DTD loading and entity
 * substitution off.  Whatever could be recovered is kept and the document
 * is flagged with the reason.  Pure code: no I/O.
 */
#include <jansson.h>
#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdlib.h>
#include <string.h>

#include "feeds/feeds.h"

#define PARSE_MAX_ITEMS 1000
#define PARSE_MAX_TITLE 1024
#define PARSE_MAX_TEXT  16384
#define PARSE_MAX_LINK  2048
#define PARSE_MAX_SMALL 256
#define PARSE_FUTURE_MS (10 * 60 * 1000) /* later than now+10min: absent */

#define NS_ATOM10  "http://www.w3.org/2005/Atom"
#define NS_ATOM03  "http://purl.org/atom/ns#"
#define NS_RSS10   "http://purl.org/rss/1.0/"
#define NS_RSS090  "http://my.netscape.com/rdf/simple/0.9/"
#define NS_RDF     "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
#define NS_DC      "http://purl.org/dc/elements/1.1/"
#define NS_CONTENT "http://purl.org/rss/1.0/modules/content/"

const char *
feed_format_name(enum feed_format f)
{
	static const char *const names[] = {
	    "unknown", "rss090", "rss091", "rss092", "rss20",
	    "rss10",   "atom03", "atom10", "json1",
	};

	if ((size_t)f >= sizeof(names) / sizeof(names[0]))
		return "unknown";
	return names[f];
}

/* Raw fields of one entry, before normalisation (borrowed or owned). */
struct parse_raw {
	char *title, *link, *guid, *text, *author, *published, *updated;
	int title_html, text_html; /* HTML to strip, or plain text */
	struct feed_stats stats;
};

static void
parse_raw_clear(struct parse_raw *r)
{
	free(r->title);
	free(r->link);
	free(r->guid);
	free(r->text);
	free(r->author);
	free(r->published);
	free(r->updated);
	memset(r, 0, sizeof(*r));
}

static void
parse_reason(struct feed_doc *doc, const char *why)
{
	if (doc->reason[0] == '\0')
		snprintf(doc->reason, sizeof(doc->reason), "%s", why);
}

/* Cleaning before libxml2 ---------------------------------------------- */

/* Is s (n bytes) the start of a valid XML reference "&...;"? */
static int
parse_is_xml_ref(const char *s, size_t n)
{
	size_t i = 1;

	if (i < n && s[i] == '#') {
		i++;
		if (i < n && (s[i] == 'x' || s[i] == 'X'))
			i++;
		while (i < n && ((s[i] >= '0' && s[i] <= '9') ||
		                 (s[i] >= 'a' && s[i] <= 'f') ||
		                 (s[i] >= 'A' && s[i] <= 'F')))
			i++;
		return i < n && s[i] == ';' && i > 2;
	}
	while (i < n && i < 40 &&
	       ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
	        (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '-' ||
	        s[i] == '.' || s[i] == ':'))
		i++;
	return i > 1 && i < n && s[i] == ';';
}

/* Skip a DOCTYPE declaration starting at s; returns its length. */
static size_t
parse_doctype_len(const char *s, size_t n)
{
	size_t i = 9; /* "<!DOCTYPE" */
	int depth = 0;
	char quote = 0;

	for (; i < n; i++) {
		char c = s[i];

		if (quote) {
			if (c == quote)
				quote = 0;
		} else if (c == '"' || c == '\'') {
			quote = c;
		} else if (c == '[') {
			depth++;
		} else if (c == ']') {
			depth--;
		} else if (c == '>' && depth <= 0) {
			return i + 1;
		}
	}
	return n;
}

/*
 * Copy utf8 into a buffer libxml2 can take safely: DOCTYPE removed, HTML
 * entities as numeric references, bare '&' escaped, characters XML forbids
 * dropped.  Text inside CDATA sections, comments and PIs is left alone.
 */
static char *
parse_clean(const char *in, size_t n, size_t *outlen, struct feed_doc *doc)
{
	struct text_buf b;
	size_t i = 0, j;
	int fixed_amp = 0, fixed_ctl = 0, fixed_ent = 0;
	char ref[16];

	text_buf_init(&b, n * 2 + 64);
	while (i < n) {
		unsigned char c = (unsigned char)in[i];

		if (c == '<' && n - i >= 9 &&
		    strncmp(in + i, "<![CDATA[", 9) == 0) {
			const char *end = strstr(in + i + 9, "]]>");

			j = end != NULL ? (size_t)(end - in) + 3 : n;
			text_buf_add(&b, in + i, j - i);
			i = j;
			continue;
		}
		if (c == '<' && n - i >= 4 && strncmp(in + i, "<!--", 4) == 0) {
			const char *end = strstr(in + i + 4, "-->");

			j = end != NULL ? (size_t)(end - in) + 3 : n;
			text_buf_add(&b, in + i, j - i);
			i = j;
			continue;
		}
		if (c == '<' && n - i >= 9 &&
		    strncasecmp(in + i, "<!DOCTYPE", 9) == 0) {
			i += parse_doctype_len(in + i, n - i);
			continue;
		}
		if (c == '&') {
			if (parse_is_xml_ref(in + i, n - i)) {
				const char *semi = memchr(in + i, ';', n - i);
				size_t len = (size_t)(semi - (in + i)) + 1;
				char name[40];
				const htmlEntityDesc *e;

				snprintf(name, sizeof(name), "%.*s",
				         (int)(len - 2), in + i + 1);
				if (name[0] != '#' && strcmp(name, "amp") &&
				    strcmp(name, "lt") && strcmp(name, "gt") &&
				    strcmp(name, "quot") &&
				    strcmp(name, "apos")) {
					e = htmlEntityLookup(
					    (const xmlChar *)name);
					if (e != NULL) {
						snprintf(ref, sizeof(ref),
						         "&#%u;", e->value);
						text_buf_add(&b, ref,
						             strlen(ref));
					} else {
						fixed_ent = 1; /* unknown: keep
						                  it visible */
						text_buf_add(&b, "&amp;", 5);
						text_buf_add(&b, in + i + 1,
						             len - 1);
					}
					i += len;
					continue;
				}
				if (in[i + 1] == '#' && in[i + 2] == 'X') {
					/* XML allows only "&#x": keep the char
					 */
					text_buf_add(&b, "&#x", 3);
					text_buf_add(&b, in + i + 3, len - 3);
				} else {
					text_buf_add(&b, in + i, len);
				}
				i += len;
				continue;
			}
			fixed_amp = 1;
			text_buf_add(&b, "&amp;", 5);
			i++;
			continue;
		}
		if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') ||
		    c == 0x7f) {
			fixed_ctl = 1;
			i++;
			continue;
		}
		j = i + 1;
		while (j < n && in[j] != '<' && in[j] != '&' &&
		       (unsigned char)in[j] >= 0x20 && in[j] != 0x7f)
			j++;
		text_buf_add(&b, in + i, j - i);
		i = j;
	}
	if (fixed_amp || fixed_ctl || fixed_ent) {
		doc->recovered = 1;
		parse_reason(doc, fixed_amp   ? "bare '&' escaped"
		                  : fixed_ctl ? "control characters removed"
		                              : "unknown entity kept as text");
	}
	*outlen = b.len;
	return text_buf_take(&b);
}

/* libxml2 errors: keep the first, with its line. */
static void
parse_xml_error_cb(void *arg, xmlErrorPtr err)
{
	struct feed_doc *doc = arg;
	char msg[200];
	size_t n;

	if (err == NULL || err->level < XML_ERR_ERROR || doc->reason[0])
		return;
	snprintf(msg, sizeof(msg), "%s", err->message ? err->message : "?");
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		msg[--n] = '\0';
	snprintf(doc->reason, sizeof(doc->reason),
	         "malformed XML at line %d: %s", err->line, msg);
}

/* Walking the tree ------------------------------------------------------ */

static int
parse_is(const xmlNode *n, const char *name, const char *ns)
{
	if (n->type != XML_ELEMENT_NODE || strcmp((const char *)n->name, name))
		return 0;
	if (ns == NULL)
		return n->ns == NULL || n->ns->href == NULL ||
		       n->ns->href[0] == '\0' ||
		       strcmp((const char *)n->ns->href, NS_RSS10) == 0 ||
		       strcmp((const char *)n->ns->href, NS_RSS090) == 0;
	return n->ns != NULL && n->ns->href != NULL &&
	       strcmp((const char *)n->ns->href, ns) == 0;
}

/* Text of all descendants (text and CDATA only: entity references are
 * never expanded); elements separate words. */
static void
parse_text_rec(const xmlNode *n, struct text_buf *b, int depth)
{
	const xmlNode *c;

	if (depth > 64)
		return;
	for (c = n->children; c != NULL && !b->truncated; c = c->next) {
		if (c->type == XML_TEXT_NODE ||
		    c->type == XML_CDATA_SECTION_NODE) {
			if (c->content != NULL)
				text_buf_add(b, (const char *)c->content,
				             strlen((const char *)c->content));
		} else if (c->type == XML_ELEMENT_NODE) {
			int block =
			    text_is_block((const char *)c->name,
			                  strlen((const char *)c->name));

			if (block)
				text_buf_add(b, " ", 1);
			parse_text_rec(c, b, depth + 1);
			if (block)
				text_buf_add(b, " ", 1);
		}
	}
}

/* The raw text of an element (malloc'd), capped at max bytes. */
static char *
parse_text(const xmlNode *n, size_t max)
{
	struct text_buf b;

	text_buf_init(&b, max);
	parse_text_rec(n, &b, 0);
	return text_buf_take(&b);
}

/* Keep the first value found for a field. */
static void
parse_set(char **dst, const xmlNode *n, size_t max)
{
	char *v;

	if (*dst != NULL)
		return;
	v = parse_text(n, max);
	if (v != NULL && v[strspn(v, " \t\r\n")] == '\0') {
		free(v);
		return;
	}
	*dst = v;
}

static char *
parse_attr(const xmlNode *n, const char *name)
{
	xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
	char *out;

	if (v == NULL)
		return NULL;
	out = strdup((const char *)v);
	xmlFree(v);
	return out;
}

/* An Atom link, resolved against the element's xml:base. */
static void
parse_atom_link(const xmlNode *n, char **dst)
{
	char *rel = parse_attr(n, "rel"), *href;
	xmlChar *base;

	if (*dst != NULL || (rel != NULL && strcmp(rel, "alternate") != 0)) {
		free(rel);
		return;
	}
	free(rel);
	href = parse_attr(n, "href");
	if (href == NULL)
		return;
	base = xmlNodeGetBase(n->doc, n);
	*dst = text_resolve(href, (const char *)base);
	free(href);
	xmlFree(base);
}

static int64_t
parse_count(const char *s)
{
	char *end;
	long long v;

	if (s == NULL)
		return -1;
	v = strtoll(s, &end, 10);
	return end == s || v < 0 ? -1 : (int64_t)v;
}

/* RSSHub-style <stats> with reposts/comments/likes (elements or attrs). */
static void
parse_stats(const xmlNode *n, struct feed_stats *st)
{
	static const char *const names[][3] = {
	    {"reposts", "reposts_count", "shares"},
	    {"comments", "comments_count", "replies"},
	    {"likes", "attitudes_count", "likes_count"},
	};
	int64_t *out[3] = {&st->reposts, &st->comments, &st->likes};
	const xmlNode *c;
	size_t i, k;
	char *v;

	st->reposts = st->comments = st->likes = -1;
	for (i = 0; i < 3; i++)
		for (k = 0; k < 3 && *out[i] < 0; k++) {
			v = parse_attr(n, names[i][k]);
			*out[i] = parse_count(v);
			free(v);
			for (c = n->children; c != NULL && *out[i] < 0;
			     c = c->next)
				if (c->type == XML_ELEMENT_NODE &&
				    strcmp((const char *)c->name,
				           names[i][k]) == 0) {
					v = parse_text(c, 32);
					*out[i] = parse_count(v);
					free(v);
				}
		}
	st->present = st->reposts >= 0 || st->comments >= 0 || st->likes >= 0;
}

/*
 * Does an Atom text construct hold HTML to strip?  type="html" (1.0) and
 * mode="escaped" or type="text/html" (0.3) do; "text" and "xhtml" are
 * text already (xhtml's markup is the element tree).
 */
static int
parse_atom_html(const xmlNode *n)
{
	char *type = parse_attr(n, "type"), *mode = parse_attr(n, "mode");
	int html = (type != NULL && (strcmp(type, "html") == 0 ||
	                             strcmp(type, "text/html") == 0)) ||
	           (mode != NULL && strcmp(mode, "escaped") == 0);

	free(type);
	free(mode);
	return html;
}

/* One RSS/RDF <item> or Atom <entry>. */
static void
parse_entry(const xmlNode *item, int atom, struct parse_raw *r)
{
	const xmlNode *c;
	char *content = NULL, *guid_link = NULL, *dc_title = NULL;
	int content_html = 1;

	r->title_html = r->text_html = 1;

	for (c = item->children; c != NULL; c = c->next) {
		const char *name;

		if (c->type != XML_ELEMENT_NODE)
			continue;
		name = (const char *)c->name;
		if (strcmp(name, "title") == 0 && parse_is(c, "title", NS_DC))
			parse_set(&dc_title, c, PARSE_MAX_TITLE * 4);
		else if (strcmp(name, "title") == 0) {
			if (atom && r->title == NULL)
				r->title_html = parse_atom_html(c);
			parse_set(&r->title, c, PARSE_MAX_TITLE * 4);
		} else if (strcmp(name, "link") == 0 && atom)
			parse_atom_link(c, &r->link);
		else if (strcmp(name, "link") == 0)
			parse_set(&r->link, c, PARSE_MAX_LINK);
		else if (strcmp(name, "guid") == 0 || strcmp(name, "id") == 0) {
			char *perma = parse_attr(c, "isPermaLink");

			parse_set(&r->guid, c, PARSE_MAX_LINK);
			/* a permalink GUID is the link, if it is a URL */
			if (!atom &&
			    (perma == NULL || strcmp(perma, "false")) &&
			    r->guid != NULL &&
			    (strncmp(r->guid + strspn(r->guid, " \t\r\n"),
			             "http://", 7) == 0 ||
			     strncmp(r->guid + strspn(r->guid, " \t\r\n"),
			             "https://", 8) == 0))
				parse_set(&guid_link, c, PARSE_MAX_LINK);
			free(perma);
		} else if (strcmp(name, "description") == 0 ||
		           strcmp(name, "summary") == 0) {
			if (atom && r->text == NULL)
				r->text_html = parse_atom_html(c);
			parse_set(&r->text, c, PARSE_MAX_TEXT * 4);
		} else if (strcmp(name, "encoded") == 0 ||
		           strcmp(name, "content") == 0) {
			if (atom && content == NULL)
				content_html = parse_atom_html(c);
			parse_set(&content, c, PARSE_MAX_TEXT * 4);
		} else if (strcmp(name, "pubDate") == 0 ||
		           strcmp(name, "published") == 0 ||
		           strcmp(name, "issued") == 0 ||
		           (strcmp(name, "date") == 0 &&
		            parse_is(c, "date", NS_DC)))
			parse_set(&r->published, c, PARSE_MAX_SMALL);
		else if (strcmp(name, "updated") == 0 ||
		         strcmp(name, "modified") == 0)
			parse_set(&r->updated, c, PARSE_MAX_SMALL);
		else if (strcmp(name, "author") == 0 && atom) {
			const xmlNode *a;

			for (a = c->children; a != NULL; a = a->next)
				if (a->type == XML_ELEMENT_NODE &&
				    strcmp((const char *)a->name, "name") == 0)
					parse_set(&r->author, a,
					          PARSE_MAX_SMALL);
		} else if (strcmp(name, "author") == 0 ||
		           strcmp(name, "creator") == 0)
			parse_set(&r->author, c, PARSE_MAX_SMALL);
		else if (strcmp(name, "stats") == 0)
			parse_stats(c, &r->stats);
	}
	if (r->text == NULL) {
		r->text = content;
		r->text_html = content_html;
		content = NULL;
	}
	if (r->title == NULL) {
		r->title = dc_title;
		dc_title = NULL;
	}
	free(dc_title);
	if (r->link == NULL) {
		r->link = guid_link;
		guid_link = NULL;
	}
	if (r->link == NULL && !atom) {
		/* RDF: rdf:about is the item's URL */
		xmlChar *about = xmlGetNsProp(item, (const xmlChar *)"about",
		                              (const xmlChar *)NS_RDF);

		if (about != NULL)
			r->link = strdup((const char *)about);
		xmlFree(about);
	}
	free(content);
	free(guid_link);
}

/* Building items --------------------------------------------------------- */

struct parse_ctx {
	const struct feed_parse_opts *opts;
	struct feed_doc *doc;
	size_t cap;
	size_t max;
	const char *base;
};

static int64_t
parse_date(const struct parse_ctx *px, const char *raw)
{
	int64_t ms;

	if (raw == NULL)
		return -1;
	if (date_parse(raw, &px->opts->dates, &ms) == -1)
		return -1;
	if (ms > px->opts->now + PARSE_FUTURE_MS)
		return -1;
	return ms;
}

/* A field as people read it; html says whether its markup is to go. */
static char *
parse_norm(const char *s, size_t max, int html)
{
	if (s == NULL)
		return NULL;
	return text_normalise(s, strlen(s), max, html);
}

static char *
parse_trimmed(const char *s, size_t max)
{
	return parse_norm(s, max, 0);
}

/* Normalise a raw entry into the next item (takes nothing from r). */
static void
parse_add(struct parse_ctx *px, const struct parse_raw *r)
{
	struct feed_doc *doc = px->doc;
	struct feed_item *it, *nv;
	struct text_buf h;
	char *link;

	if (doc->nitems >= px->max) {
		doc->dropped++;
		return;
	}
	if (doc->nitems == px->cap) {
		size_t cap = px->cap ? px->cap * 2 : 16;

		nv = realloc(doc->items, cap * sizeof(*nv));
		if (nv == NULL) {
			doc->dropped++;
			return;
		}
		doc->items = nv;
		px->cap = cap;
	}
	it = &doc->items[doc->nitems++];
	memset(it, 0, sizeof(*it));
	it->title = parse_norm(r->title, PARSE_MAX_TITLE, r->title_html);
	it->text = parse_norm(r->text, PARSE_MAX_TEXT, r->text_html);
	it->author = parse_trimmed(r->author, PARSE_MAX_SMALL);
	it->guid = parse_trimmed(r->guid, PARSE_MAX_LINK);
	if (it->guid != NULL && it->guid[0] == '\0') {
		free(it->guid);
		it->guid = NULL;
	}
	link = parse_trimmed(r->link, PARSE_MAX_LINK);
	it->link =
	    link != NULL && link[0] ? text_resolve(link, px->base) : NULL;
	free(link);
	it->published_raw = parse_trimmed(r->published, PARSE_MAX_SMALL);
	it->published = parse_date(px, it->published_raw);
	{
		char *u = parse_trimmed(r->updated, PARSE_MAX_SMALL);

		it->updated = parse_date(px, u);
		free(u);
	}
	it->stats = r->stats;
	text_buf_init(&h,
	              PARSE_MAX_TITLE + PARSE_MAX_TEXT + PARSE_MAX_LINK + 8);
	text_buf_add(&h, it->title ? it->title : "",
	             strlen(it->title ? it->title : ""));
	text_buf_add(&h, "\n", 1);
	text_buf_add(&h, it->text ? it->text : "",
	             strlen(it->text ? it->text : ""));
	text_buf_add(&h, "\n", 1);
	text_buf_add(&h, it->link ? it->link : "",
	             strlen(it->link ? it->link : ""));
	it->content_hash = text_hash(h.s ? h.s : "", h.len);
	text_buf_free(&h);
}

/*
 * Keys: the GUID when non-empty and unique in the document; a repeated
 * GUID is told apart by its link, else its position.  No GUID: the
 * normalised link; else a hash of title and date.  Any key still repeated
 * gets its position appended, so every item in a document has its own.
 */
static void
parse_keys(struct feed_doc *doc)
{
	size_t i, j, dup;
	char buf[PARSE_MAX_LINK * 2 + 64];
	struct feed_item *it;

	for (i = 0; i < doc->nitems; i++) {
		it = &doc->items[i];
		dup = 0;
		if (it->guid != NULL)
			for (j = 0; j < doc->nitems && !dup; j++)
				dup = j != i && doc->items[j].guid != NULL &&
				      strcmp(doc->items[j].guid, it->guid) == 0;
		if (it->guid != NULL && !dup) {
			snprintf(buf, sizeof(buf), "g:%s", it->guid);
		} else if (it->link != NULL) {
			char *norm = text_link(it->link, NULL);

			if (it->guid != NULL)
				snprintf(buf, sizeof(buf), "g:%s|l:%s",
				         it->guid, norm ? norm : it->link);
			else
				snprintf(buf, sizeof(buf), "l:%s",
				         norm ? norm : it->link);
			free(norm);
		} else if (it->guid != NULL) {
			snprintf(buf, sizeof(buf), "g:%s#%zu", it->guid, i);
		} else {
			struct text_buf h;

			text_buf_init(&h,
			              PARSE_MAX_TITLE + PARSE_MAX_SMALL + 2);
			if (it->title != NULL)
				text_buf_add(&h, it->title, strlen(it->title));
			text_buf_add(&h, "\n", 1);
			if (it->published_raw != NULL)
				text_buf_add(&h, it->published_raw,
				             strlen(it->published_raw));
			snprintf(buf, sizeof(buf), "h:%016llx",
			         (unsigned long long)text_hash(h.s, h.len));
			text_buf_free(&h);
		}
		it->key = strdup(buf);
	}
	/* anything still repeated (a GUID repeated with the same link, ...) */
	for (i = 0; i < doc->nitems; i++)
		for (j = 0; j < i; j++)
			if (doc->items[i].key && doc->items[j].key &&
			    strcmp(doc->items[i].key, doc->items[j].key) == 0) {
				snprintf(buf, sizeof(buf), "%s#%zu",
				         doc->items[i].key, i);
				free(doc->items[i].key);
				doc->items[i].key = strdup(buf);
				break;
			}
}

/* XML formats ------------------------------------------------------------ */

static enum feed_format
parse_xml_format(const xmlNode *root)
{
	const char *ns =
	    root->ns && root->ns->href ? (const char *)root->ns->href : "";
	const xmlNode *c;

	if (strcmp((const char *)root->name, "rss") == 0) {
		char *v = parse_attr(root, "version");
		enum feed_format f = FEED_RSS20;

		if (v != NULL && strcmp(v, "0.91") == 0)
			f = FEED_RSS091;
		else if (v != NULL &&
		         (strcmp(v, "0.92") == 0 || strcmp(v, "0.93") == 0 ||
		          strcmp(v, "0.94") == 0))
			f = FEED_RSS092;
		else if (v != NULL && strcmp(v, "0.90") == 0)
			f = FEED_RSS090;
		free(v);
		return f;
	}
	if (strcmp((const char *)root->name, "feed") == 0)
		return strcmp(ns, NS_ATOM03) == 0 ? FEED_ATOM03 : FEED_ATOM10;
	if (strcmp((const char *)root->name, "RDF") == 0) {
		const xmlNs *d;

		for (d = root->nsDef; d != NULL; d = d->next)
			if (d->prefix == NULL && d->href != NULL &&
			    strcmp((const char *)d->href, NS_RSS090) == 0)
				return FEED_RSS090;
		for (c = root->children; c != NULL; c = c->next)
			if (c->type == XML_ELEMENT_NODE && c->ns != NULL &&
			    c->ns->href != NULL &&
			    strcmp((const char *)c->ns->href, NS_RSS090) == 0)
				return FEED_RSS090;
		return FEED_RSS10;
	}
	if (strcmp((const char *)root->name, "channel") == 0)
		return FEED_RSS091; /* Userland's bare channel */
	return FEED_UNKNOWN;
}

/* Channel-level fields and the items under node (channel, RDF or feed). */
static void
parse_container(struct parse_ctx *px, const xmlNode *node, int atom)
{
	struct feed_doc *doc = px->doc;
	const xmlNode *c;
	struct parse_raw r;

	for (c = node->children; c != NULL; c = c->next) {
		const char *name;

		if (c->type != XML_ELEMENT_NODE)
			continue;
		name = (const char *)c->name;
		if (strcmp(name, "item") == 0 || strcmp(name, "entry") == 0) {
			memset(&r, 0, sizeof(r));
			parse_entry(c, atom, &r);
			parse_add(px, &r);
			parse_raw_clear(&r);
		} else if (strcmp(name, "channel") == 0) {
			parse_container(px, c, atom);
		} else if (strcmp(name, "title") == 0 && doc->title == NULL) {
			char *t = parse_text(c, PARSE_MAX_TITLE * 4);

			doc->title = parse_norm(t, PARSE_MAX_TITLE,
			                        atom ? parse_atom_html(c) : 1);
			free(t);
		} else if (strcmp(name, "link") == 0 && doc->link == NULL) {
			char *l = NULL;

			if (atom)
				parse_atom_link(c, &l);
			else
				l = parse_text(c, PARSE_MAX_LINK);
			doc->link = parse_trimmed(l, PARSE_MAX_LINK);
			free(l);
		} else if (strcmp(name, "ttl") == 0 && doc->ttl < 0) {
			char *t = parse_text(c, 32);
			int64_t m = parse_count(t);

			if (m > 0 && m < 7 * 24 * 60)
				doc->ttl = m * 60 * 1000;
			free(t);
		}
	}
}

/* An HTML page (RSSHub's 404/503, a portal's error page) is not a feed. */
static int
parse_looks_html(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n &&
	       (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
		i++;
	if (n - i >= 9 && strncasecmp(s + i, "<!doctype", 9) == 0) {
		i += 9;
		while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n'))
			i++;
		return n - i >= 4 && strncasecmp(s + i, "html", 4) == 0;
	}
	return n - i >= 5 && strncasecmp(s + i, "<html", 5) == 0;
}

static int
parse_xml(const char *utf8, size_t len, struct parse_ctx *px)
{
	struct feed_doc *doc = px->doc;
	xmlParserCtxtPtr ctxt;
	xmlDocPtr xd;
	xmlNodePtr root;
	char *clean;
	size_t clen;
	/* never XML_PARSE_NOENT, _DTDLOAD, _DTDATTR or _HUGE */
	int opts = XML_PARSE_RECOVER | XML_PARSE_NONET | XML_PARSE_NOCDATA |
	           XML_PARSE_IGNORE_ENC | XML_PARSE_COMPACT;

	if (parse_looks_html(utf8, len)) {
		snprintf(doc->reason, sizeof(doc->reason),
		         "an HTML page, not a feed");
		return -1;
	}
	clean = parse_clean(utf8, len, &clen, doc);
	if (clean == NULL)
		return -1;
	ctxt = xmlNewParserCtxt();
	if (ctxt == NULL) {
		free(clean);
		return -1;
	}
	xmlSetStructuredErrorFunc(doc, parse_xml_error_cb);
	xd = xmlCtxtReadMemory(ctxt, clean, (int)clen, px->opts->url, "UTF-8",
	                       opts);
	xmlSetStructuredErrorFunc(NULL, NULL);
	if (!ctxt->wellFormed)
		doc->recovered = 1;
	xmlFreeParserCtxt(ctxt);
	free(clean);
	root = xd != NULL ? xmlDocGetRootElement(xd) : NULL;
	if (root == NULL) {
		if (doc->reason[0] == '\0' || !doc->recovered)
			snprintf(doc->reason, sizeof(doc->reason),
			         len == 0 ? "empty body"
			                  : "no XML element in the body");
		xmlFreeDoc(xd);
		return -1;
	}
	if (strcasecmp((const char *)root->name, "html") == 0) {
		snprintf(doc->reason, sizeof(doc->reason),
		         "an HTML page, not a feed");
		xmlFreeDoc(xd);
		return -1;
	}
	doc->format = parse_xml_format(root);
	if (doc->format == FEED_UNKNOWN) {
		snprintf(doc->reason, sizeof(doc->reason),
		         "root element <%.64s> is not a feed", root->name);
		xmlFreeDoc(xd);
		return -1;
	}
	parse_container(
	    px, root, doc->format == FEED_ATOM03 || doc->format == FEED_ATOM10);
	xmlFreeDoc(xd);
	if (doc->recovered && doc->reason[0] == '\0')
		parse_reason(doc, "malformed XML, recovered");
	return 0;
}

/* JSON Feed -------------------------------------------------------------- */

static char *
parse_json_str(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) ? strdup(json_string_value(v)) : NULL;
}

static int
parse_json(const char *utf8, size_t len, struct parse_ctx *px)
{
	struct feed_doc *doc = px->doc;
	json_error_t err;
	json_t *root, *items, *it, *a;
	struct parse_raw r;
	const char *version;
	size_t i;

	root = json_loadb(utf8, len, JSON_DISABLE_EOF_CHECK, &err);
	if (root == NULL || !json_is_object(root)) {
		snprintf(doc->reason, sizeof(doc->reason),
		         "not a JSON Feed: line %d: %s", err.line, err.text);
		json_decref(root);
		return -1;
	}
	version = json_string_value(json_object_get(root, "version"));
	items = json_object_get(root, "items");
	if (version == NULL || strncmp(version, "https://jsonfeed.org/", 21) ||
	    !json_is_array(items)) {
		snprintf(doc->reason, sizeof(doc->reason),
		         "JSON without a JSON Feed version and items");
		json_decref(root);
		return -1;
	}
	doc->format = FEED_JSON1;
	{
		char *t = parse_json_str(root, "title");

		doc->title = parse_trimmed(t, PARSE_MAX_TITLE);
		free(t);
		doc->link = parse_json_str(root, "home_page_url");
	}
	json_array_foreach(items, i, it)
	{
		if (!json_is_object(it))
			continue;
		memset(&r, 0, sizeof(r));
		r.title = parse_json_str(it, "title");
		r.link = parse_json_str(it, "url");
		r.guid = parse_json_str(it, "id");
		if (r.guid == NULL &&
		    json_is_integer(json_object_get(it, "id"))) {
			char num[32];

			snprintf(num, sizeof(num), "%lld",
			         (long long)json_integer_value(
			             json_object_get(it, "id")));
			r.guid = strdup(num);
		}
		r.text = parse_json_str(it, "content_html");
		r.text_html = r.text != NULL;
		if (r.text == NULL)
			r.text = parse_json_str(it, "content_text");
		if (r.text == NULL)
			r.text = parse_json_str(it, "summary");
		r.published = parse_json_str(it, "date_published");
		r.updated = parse_json_str(it, "date_modified");
		a = json_object_get(it, "author");
		if (!json_is_object(a))
			a = json_array_get(json_object_get(it, "authors"), 0);
		if (json_is_object(a))
			r.author = parse_json_str(a, "name");
		parse_add(px, &r);
		parse_raw_clear(&r);
	}
	json_decref(root);
	return 0;
}

/* Entry point ------------------------------------------------------------ */

/*
 * Parse body into doc (cleared first).  Returns 0 if the document is a
 * usable feed (perhaps recovered, perhaps with no items), -1 if not, with
 * the reason in doc->reason either way.
 */
int
feed_parse(const char *body, size_t len, const struct feed_parse_opts *opts,
           struct feed_doc *doc)
{
	struct charset_result cs;
	struct parse_ctx px;
	size_t i = 0;
	int rc, json;

	memset(doc, 0, sizeof(*doc));
	doc->ttl = -1;
	memset(&px, 0, sizeof(px));
	px.opts = opts;
	px.doc = doc;
	px.max = opts->max_items ? opts->max_items : PARSE_MAX_ITEMS;
	px.base = opts->url;
	if (charset_decode(body, len, opts->http_charset, &cs) == -1) {
		snprintf(doc->reason, sizeof(doc->reason),
		         "cannot decode the body");
		return -1;
	}
	snprintf(doc->charset, sizeof(doc->charset), "%s", cs.name);
	doc->charset_from = cs.from;
	doc->charset_errors = cs.errors;
	while (i < cs.len && (cs.utf8[i] == ' ' || cs.utf8[i] == '\t' ||
	                      cs.utf8[i] == '\r' || cs.utf8[i] == '\n'))
		i++;
	json = i < cs.len && cs.utf8[i] == '{';
	if (i == cs.len) {
		snprintf(doc->reason, sizeof(doc->reason), "empty body");
		rc = -1;
	} else if (json) {
		rc = parse_json(cs.utf8, cs.len, &px);
	} else {
		rc = parse_xml(cs.utf8, cs.len, &px);
	}
	free(cs.utf8);
	if (cs.errors > 0 && rc == 0) {
		char why[64];

		snprintf(why, sizeof(why), "%zu invalid byte sequence%s in %s",
		         cs.errors, cs.errors == 1 ? "" : "s", doc->charset);
		doc->recovered = 1;
		parse_reason(doc, why);
	}
	parse_keys(doc);
	return rc;
}

void
feed_doc_clear(struct feed_doc *doc)
{
	size_t i;

	for (i = 0; i < doc->nitems; i++) {
		struct feed_item *it = &doc->items[i];

		free(it->key);
		free(it->guid);
		free(it->title);
		free(it->link);
		free(it->text);
		free(it->author);
		free(it->published_raw);
	}
	free(doc->items);
	free(doc->title);
	free(doc->link);
	memset(doc, 0, sizeof(*doc));
	doc->ttl = -1;
}
