/*
 * literals.c: the literals a pattern's every match must contain, and one
 * pass over a text that says which patterns can match it at all.
 *
 * Nearly every rule starts with an alternation of Chinese words.  PCRE2's
 * start-of-match optimisation sees only first bytes, and every CJK
 * character starts with one of E4..E9, so each of ~90 patterns is tried
 * at nearly every character of every text.  Instead, at load each pattern
 * is read for a set of literals one of which every match contains
 * (瓦斯|煤尘爆炸 for the gas rule); per text one scan finds which
 * literals occur, and pcre2_match runs only for the patterns that can
 * match.  The reading is conservative: anything it does not understand
 * ((?i), \x, back references, a class it cannot list …) gives the pattern
 * no set and it always runs, so a rule author can slow the classifier but
 * never change what it decides.
 *
 * How a pattern is read (as the bench's classify_patterns.py does):
 * a node has an "exact" set (the finite set of strings it matches, "" for
 * zero-width parts) and a "required" set; a sequence joins adjacent exact
 * parts while the product stays small and keeps its most selective part
 * (the longest shortest literal, then the fewest); an alternation takes
 * the union of its branches; an optional part requires nothing.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/monitor.h"

#define LIT_EXACT_MAX 64 /* most strings an exact set may hold */
#define LIT_CLASS_MAX 16 /* most characters a class may list */
#define LIT_DEPTH_MAX 32 /* nested groups read */
#define LIT_BUCKETS   4096

struct lit_set {
	int ok; /* 0: unknown (anything) */
	size_t n;
	char **v;
};
struct lit_node {
	struct lit_set exact;
	struct lit_set req;
};
struct lit_parser {
	const char *p, *end;
	int bail; /* a construct not understood: no set at all */
	int depth;
};

static void
lit_set_free(struct lit_set *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/* Add a+b to s unless already there; -1 on memory. */
static int
lit_set_add(struct lit_set *s, const char *a, size_t alen, const char *b,
            size_t blen)
{
	char *x, **nv;
	size_t i;

	for (i = 0; i < s->n; i++)
		if (strlen(s->v[i]) == alen + blen &&
		    memcmp(s->v[i], a, alen) == 0 &&
		    memcmp(s->v[i] + alen, b, blen) == 0)
			return 0;
	x = malloc(alen + blen + 1);
	nv = realloc(s->v, (s->n + 1) * sizeof(*s->v));
	if (x == NULL || nv == NULL) {
		free(x);
		if (nv != NULL)
			s->v = nv;
		return -1;
	}
	memcpy(x, a, alen);
	memcpy(x + alen, b, blen);
	x[alen + blen] = '\0';
	s->v = nv;
	s->v[s->n++] = x;
	s->ok = 1;
	return 0;
}

static struct lit_set
lit_set_one(const char *s, size_t len)
{
	struct lit_set r = {0, 0, NULL};

	if (lit_set_add(&r, s, len, "", 0) == -1)
		lit_set_free(&r);
	return r;
}

static int
lit_set_has_empty(const struct lit_set *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->v[i][0] == '\0')
			return 1;
	return 0;
}

/* Every a+b; unknown if either is or the product outgrows the cap. */
static struct lit_set
lit_set_product(const struct lit_set *a, const struct lit_set *b)
{
	struct lit_set r = {0, 0, NULL};
	size_t i, k;

	if (!a->ok || !b->ok || a->n * b->n > LIT_EXACT_MAX)
		return r;
	for (i = 0; i < a->n; i++)
		for (k = 0; k < b->n; k++)
			if (lit_set_add(&r, a->v[i], strlen(a->v[i]), b->v[k],
			                strlen(b->v[k])) == -1) {
				lit_set_free(&r);
				return r;
			}
	r.ok = 1;
	return r;
}

/* a := a ∪ b (b freed); unknown if either is; capped when max > 0. */
static void
lit_set_union(struct lit_set *a, struct lit_set *b, size_t max)
{
	size_t i;

	if (a->ok && b->ok)
		for (i = 0; i < b->n; i++)
			if (lit_set_add(a, b->v[i], strlen(b->v[i]), "", 0) ==
			    -1) {
				lit_set_free(a);
				break;
			}
	if (!b->ok || (max > 0 && a->n > max))
		lit_set_free(a);
	lit_set_free(b);
}

/* Drop literals that contain another literal of the set. */
static void
lit_set_minimise(struct lit_set *s)
{
	size_t i, k, n = 0;
	unsigned char *drop = calloc(s->n + 1, 1);

	if (drop == NULL)
		return; /* kept whole: only less tidy */
	for (i = 0; i < s->n; i++)
		for (k = 0; k < s->n && !drop[i]; k++)
			if (k != i && !drop[k] &&
			    strstr(s->v[i], s->v[k]) != NULL)
				drop[i] = 1; /* (duplicates: the later goes) */
	for (i = 0; i < s->n; i++) {
		if (drop[i])
			free(s->v[i]);
		else
			s->v[n++] = s->v[i];
	}
	s->n = n;
	free(drop);
}

/* Selectivity: the shortest literal in bytes, then fewer literals. */
static int
lit_set_better(const struct lit_set *a, const struct lit_set *b)
{
	size_t i, amin = SIZE_MAX, bmin = SIZE_MAX;

	if (!b->ok)
		return a->ok;
	if (!a->ok)
		return 0;
	for (i = 0; i < a->n; i++)
		if (strlen(a->v[i]) < amin)
			amin = strlen(a->v[i]);
	for (i = 0; i < b->n; i++)
		if (strlen(b->v[i]) < bmin)
			bmin = strlen(b->v[i]);
	if (amin != bmin)
		return amin > bmin;
	return a->n < b->n;
}

/* Keep cand as best if it is more selective (cand is consumed). */
static void
lit_candidate(struct lit_set *best, struct lit_set *cand)
{
	if (cand->ok && cand->n > 0 && !lit_set_has_empty(cand)) {
		lit_set_minimise(cand);
		if (lit_set_better(cand, best)) {
			lit_set_free(best);
			*best = *cand;
			memset(cand, 0, sizeof(*cand));
			return;
		}
	}
	lit_set_free(cand);
}

static void
lit_node_free(struct lit_node *n)
{
	lit_set_free(&n->exact);
	lit_set_free(&n->req);
}

/* Length of the UTF-8 character at p (0: invalid or cut short). */
static size_t
lit_utf8_len(const char *p, const char *end)
{
	size_t i = 0;

	return text_utf8_next(p, (size_t)(end - p), &i) < 0 ? 0 : i;
}

static struct lit_node lit_alt(struct lit_parser *);

/* A [...] class: the characters it lists if few and plain, else unknown. */
static struct lit_node
lit_class(struct lit_parser *lp)
{
	struct lit_node r;
	int negated = 0, first = 1, plain = 1;

	memset(&r, 0, sizeof(r));
	lp->p++;
	if (lp->p < lp->end && *lp->p == '^') {
		negated = 1;
		lp->p++;
	}
	while (lp->p < lp->end && (*lp->p != ']' || first)) {
		size_t w;

		first = 0;
		if (*lp->p == '[' && lp->p + 1 < lp->end && lp->p[1] == ':') {
			plain = 0; /* [:alpha:] */
			lp->p += 2;
			while (lp->p + 1 < lp->end &&
			       !(lp->p[0] == ':' && lp->p[1] == ']'))
				lp->p++;
			lp->p += 2;
			continue;
		}
		if (*lp->p == '\\') {
			lp->bail =
			    1; /* escapes in classes: not worth reading */
			break;
		}
		w = lit_utf8_len(lp->p, lp->end);
		if (w == 0) {
			lp->bail = 1;
			break;
		}
		if (lp->p + w + 1 < lp->end && lp->p[w] == '-' &&
		    lp->p[w + 1] != ']') {
			/* a range: listed only if ASCII and short */
			char lo = *lp->p, hi = lp->p[w + 1];

			if (w == 1 && (unsigned char)hi < 0x80 && hi >= lo &&
			    hi - lo < LIT_CLASS_MAX) {
				for (; lo <= hi; lo++)
					if (lit_set_add(&r.exact, &lo, 1, "",
					                0) == -1)
						plain = 0;
				lp->p += w + 2;
				continue;
			}
			if (hi == '\\' ||
			    lit_utf8_len(lp->p + w + 1, lp->end) == 0) {
				lp->bail = 1;
				break;
			}
			plain = 0;
			lp->p += w + 1 + lit_utf8_len(lp->p + w + 1, lp->end);
			continue;
		}
		if (lit_set_add(&r.exact, lp->p, w, "", 0) == -1)
			plain = 0;
		lp->p += w;
	}
	if (lp->p >= lp->end)
		lp->bail = 1;
	else
		lp->p++;
	if (negated || !plain || r.exact.n > LIT_CLASS_MAX || lp->bail)
		lit_set_free(&r.exact);
	return r;
}

/* An escape outside a class. */
static struct lit_node
lit_escape(struct lit_parser *lp)
{
	struct lit_node r;
	unsigned char c;
	size_t w;

	memset(&r, 0, sizeof(r));
	lp->p++;
	if (lp->p >= lp->end) {
		lp->bail = 1;
		return r;
	}
	c = (unsigned char)*lp->p;
	if (c != '\0' && strchr("bBAzZG", c) != NULL) {
		lp->p++;
		r.exact = lit_set_one("", 0); /* zero-width */
		return r;
	}
	if (c != '\0' && strchr("dDsSwWhHvVRX", c) != NULL) {
		lp->p++;
		return r; /* a class: unknown */
	}
	if (isalnum(c)) {
		lp->bail = 1; /* \x, \Q, back references, \p …: not read */
		return r;
	}
	w = lit_utf8_len(lp->p, lp->end);
	if (w == 0) {
		lp->bail = 1;
		return r;
	}
	r.exact = lit_set_one(lp->p, w); /* an escaped punctuation mark */
	lp->p += w;
	return r;
}

/* ( ... ): a group or an assertion. */
static struct lit_node
lit_group(struct lit_parser *lp)
{
	struct lit_node r, inner;
	int assertion = 0;
	const char *p;

	memset(&r, 0, sizeof(r));
	p = ++lp->p;
	if (p < lp->end && *p == '?') {
		p++;
		if (p < lp->end && (*p == ':' || *p == '>'))
			p++;
		else if (p < lp->end && (*p == '=' || *p == '!')) {
			assertion = 1;
			p++;
		} else if (p + 1 < lp->end && *p == '<' &&
		           (p[1] == '=' || p[1] == '!')) {
			assertion = 1;
			p += 2;
		} else if (p + 1 < lp->end &&
		           (*p == '<' || (*p == 'P' && p[1] == '<')) &&
		           (isalpha((unsigned char)p[*p == 'P' ? 2 : 1]) ||
		            p[*p == 'P' ? 2 : 1] == '_')) {
			while (p < lp->end && *p != '>')
				p++; /* a named group */
			p++;
		} else {
			lp->bail = 1; /* (?i), (?|, (?#, recursion … */
			return r;
		}
	} else if (p < lp->end && *p == '*') {
		lp->bail = 1; /* (*VERB) */
		return r;
	}
	if (p >= lp->end || ++lp->depth > LIT_DEPTH_MAX) {
		lp->bail = 1;
		return r;
	}
	lp->p = p;
	inner = lit_alt(lp);
	lp->depth--;
	if (lp->p >= lp->end || *lp->p != ')') {
		lp->bail = 1;
		lit_node_free(&inner);
		return r;
	}
	lp->p++;
	if (!assertion)
		return inner;
	lit_node_free(&inner);
	r.exact = lit_set_one("", 0);
	return r;
}

static struct lit_node
lit_atom(struct lit_parser *lp)
{
	struct lit_node r;
	size_t w;

	memset(&r, 0, sizeof(r));
	switch (*lp->p) {
	case '(':
		return lit_group(lp);
	case '[':
		return lit_class(lp);
	case '\\':
		return lit_escape(lp);
	case '.':
		lp->p++;
		return r;
	case '^':
	case '$':
		lp->p++;
		r.exact = lit_set_one("", 0);
		return r;
	case '*':
	case '+':
	case '?':
	case '{':
		lp->bail = 1;
		return r;
	}
	w = lit_utf8_len(lp->p, lp->end);
	if (w == 0) {
		lp->bail = 1;
		return r;
	}
	r.exact = lit_set_one(lp->p, w);
	lp->p += w;
	return r;
}

/* Read a decimal count of a {n,m} quantifier; -1 if none. */
static long
lit_count(struct lit_parser *lp)
{
	long n = -1;

	while (lp->p < lp->end && isdigit((unsigned char)*lp->p)) {
		n = (n < 0 ? 0 : n) * 10 + (*lp->p - '0');
		if (n > 65535)
			n = 65535;
		lp->p++;
	}
	return n;
}

/* Apply a quantifier after an atom, if there is one. */
static void
lit_quantifier(struct lit_parser *lp, struct lit_node *a)
{
	long lo, hi;

	if (lp->p >= lp->end)
		return;
	switch (*lp->p) {
	case '?':
		lo = 0, hi = 1;
		lp->p++;
		break;
	case '*':
		lo = 0, hi = -1;
		lp->p++;
		break;
	case '+':
		lo = 1, hi = -1;
		lp->p++;
		break;
	case '{':
		lp->p++;
		lo = lit_count(lp);
		hi = lo;
		if (lp->p < lp->end && *lp->p == ',') {
			lp->p++;
			hi = lit_count(lp);
		}
		if (lo < 0 || lp->p >= lp->end || *lp->p != '}' ||
		    (hi >= 0 && hi < lo)) {
			lp->bail = 1; /* a literal '{': not read */
			return;
		}
		lp->p++;
		break;
	default:
		return;
	}
	if (lp->p < lp->end && (*lp->p == '?' || *lp->p == '+'))
		lp->p++; /* lazy or possessive: the same strings */
	if (lo == 1 && hi == 1)
		return;
	if (lo == 0) {
		if (hi != 1 || !a->exact.ok ||
		    lit_set_add(&a->exact, "", 0, "", 0) == -1)
			lit_set_free(&a->exact); /* else: it or nothing */
		lit_set_free(&a->req);
		return;
	}
	/* at least once: what one repetition requires stays required */
	if (!a->req.ok && a->exact.ok && !lit_set_has_empty(&a->exact)) {
		a->req = a->exact;
		memset(&a->exact, 0, sizeof(a->exact));
	}
	lit_set_free(&a->exact);
}

/* A sequence, up to '|', ')' or the end. */
static struct lit_node
lit_seq(struct lit_parser *lp)
{
	struct lit_node r;
	struct lit_set run = lit_set_one("", 0), whole = lit_set_one("", 0);

	memset(&r, 0, sizeof(r));
	while (!lp->bail && lp->p < lp->end && *lp->p != '|' && *lp->p != ')') {
		struct lit_node a = lit_atom(lp);

		if (!lp->bail)
			lit_quantifier(lp, &a);
		if (whole.ok) {
			struct lit_set nw = lit_set_product(&whole, &a.exact);

			lit_set_free(&whole);
			whole = nw;
		}
		if (a.exact.ok) {
			struct lit_set next = lit_set_product(&run, &a.exact);

			if (!next.ok) { /* too many: start a new part */
				lit_candidate(&r.req, &run);
				run = a.exact;
				memset(&a.exact, 0, sizeof(a.exact));
			} else {
				lit_set_free(&run);
				run = next;
			}
		} else {
			lit_candidate(&r.req, &run);
			run = lit_set_one("", 0);
			lit_candidate(&r.req, &a.req);
		}
		lit_node_free(&a);
	}
	lit_candidate(&r.req, &run);
	r.exact = whole;
	return r;
}

/* An alternation, up to ')' or the end. */
static struct lit_node
lit_alt(struct lit_parser *lp)
{
	struct lit_node r = lit_seq(lp);

	while (!lp->bail && lp->p < lp->end && *lp->p == '|') {
		struct lit_node b;

		lp->p++;
		b = lit_seq(lp);
		lit_set_union(&r.exact, &b.exact, LIT_EXACT_MAX);
		lit_set_union(&r.req, &b.req, 0);
	}
	if (r.req.ok)
		lit_set_minimise(&r.req);
	return r;
}

/*
 * The literals one of which every match of pattern contains: 0 and a
 * malloc'd vector in *lits (*n strings; free with literals_free), or -1
 * if there is no such set (the pattern must always run).
 */
int
literals_required(const char *pattern, char ***lits, size_t *n)
{
	struct lit_parser lp = {pattern, pattern + strlen(pattern), 0, 0};
	struct lit_node r = lit_alt(&lp);
	size_t i, shortest = SIZE_MAX;

	*lits = NULL;
	*n = 0;
	if (lp.p != lp.end)
		lp.bail = 1; /* an unmatched ')' */
	for (i = 0; r.req.ok && i < r.req.n; i++)
		if (strlen(r.req.v[i]) < shortest)
			shortest = strlen(r.req.v[i]);
	/* one-byte literals (ASCII) filter next to nothing */
	if (lp.bail || !r.req.ok || r.req.n == 0 || shortest < 2) {
		lit_node_free(&r);
		return -1;
	}
	*lits = r.req.v;
	*n = r.req.n;
	lit_set_free(&r.exact);
	return 0;
}

void
literals_free(char **lits, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(lits[i]);
	free(lits);
}

/*
 * The scanner: literals chained by a hash of their first character.
 */
struct litscan_entry {
	char *s;
	size_t len;
	size_t id;
	int next;
};
struct litscan {
	struct litscan_entry *v;
	size_t n;
	int head[LIT_BUCKETS];
	unsigned char *always; /* per pattern: 1 if it has no set */
	size_t npatterns;
};

/* A hash of the character starting at s (the bytes, valid or not). */
static unsigned
litscan_hash(const unsigned char *s, size_t len)
{
	unsigned h = s[0];

	if (s[0] >= 0xc0 && len > 1)
		h = h * 131 + s[1];
	if (s[0] >= 0xe0 && len > 2)
		h = h * 131 + s[2];
	if (s[0] >= 0xf0 && len > 3)
		h = h * 131 + s[3];
	return h & (LIT_BUCKETS - 1);
}

struct litscan *
litscan_new(void)
{
	struct litscan *ls = calloc(1, sizeof(*ls));
	size_t i;

	if (ls == NULL)
		return NULL;
	for (i = 0; i < LIT_BUCKETS; i++)
		ls->head[i] = -1;
	return ls;
}

void
litscan_free(struct litscan *ls)
{
	size_t i;

	if (ls == NULL)
		return;
	for (i = 0; i < ls->n; i++)
		free(ls->v[i].s);
	free(ls->v);
	free(ls->always);
	free(ls);
}

/*
 * Register the next pattern (its id is the number of patterns added
 * before it).  Returns the id, or -1 on memory (the caller treats that
 * as a load failure).  *prefiltered says whether it got a literal set.
 */
long
litscan_add(struct litscan *ls, const char *pattern, int *prefiltered)
{
	char **lits;
	size_t n, i, id = ls->npatterns;
	unsigned char *na;

	na = realloc(ls->always, id + 1);
	if (na == NULL)
		return -1;
	ls->always = na;
	ls->npatterns++;
	*prefiltered = literals_required(pattern, &lits, &n) == 0;
	ls->always[id] = !*prefiltered;
	for (i = 0; i < n; i++) {
		struct litscan_entry *nv;
		unsigned h;

		nv = realloc(ls->v, (ls->n + 1) * sizeof(*ls->v));
		if (nv == NULL) {
			for (; i < n; i++)
				free(lits[i]);
			free(lits);
			return -1;
		}
		ls->v = nv;
		h = litscan_hash((const unsigned char *)lits[i],
		                 strlen(lits[i]));
		ls->v[ls->n].s = lits[i];
		ls->v[ls->n].len = strlen(lits[i]);
		ls->v[ls->n].id = id;
		ls->v[ls->n].next = ls->head[h];
		ls->head[h] = (int)ls->n++;
	}
	free(lits); /* the strings now belong to the scanner */
	return (long)id;
}

size_t
litscan_patterns(const struct litscan *ls)
{
	return ls->npatterns;
}

size_t
litscan_literals(const struct litscan *ls)
{
	return ls->n;
}

/*
 * cand[id] (litscan_patterns() bytes, caller's) := 1 if pattern id can
 * match text, 0 if it cannot.  Literals start at character boundaries,
 * so every byte that is not a UTF-8 continuation byte is tried.
 */
void
litscan_scan(const struct litscan *ls, const char *text, size_t len,
             unsigned char *cand)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i;
	int k;

	if (ls->npatterns == 0)
		return; /* no rules at all (and ls->always is NULL) */
	memcpy(cand, ls->always, ls->npatterns);
	for (i = 0; i < len; i++) {
		if ((s[i] & 0xc0) == 0x80)
			continue;
		for (k = ls->head[litscan_hash(s + i, len - i)]; k >= 0;
		     k = ls->v[k].next) {
			const struct litscan_entry *e = &ls->v[k];

			if (!cand[e->id] && e->len <= len - i &&
			    memcmp(s + i, e->s, e->len) == 0)
				cand[e->id] = 1;
		}
	}
}
