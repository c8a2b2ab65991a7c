/*
 * classify.c: one item's text to a decision with its evidence.  The text
 * is converted to simplified characters, checked for the jurisdiction,
 * matched against every rule and exclusion, and its figures read.  An
 * emergency-type match (a "major" rule not vetoed by an exclusion) is
 * graded from the figures on the rule's scale; the policy says which
 * grades make it major and what a match without figures counts as.  An
 * official label in the text (特别重大…事故, Ⅱ级响应) grades it directly.
 * Otherwise an "ordinary" rule makes it an ordinary concern.  The same
 * code serves the daemon, `yuqingctl explain` and `yuqingctl classify`.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/monitor.h"

/* Official grade labels: (pattern, grade); compiled once. */
static const struct {
	const char *pattern;
	enum grade grade;
} classify_labels[] = {
    {"特别重大.{0,12}(事故|灾害|事件)|[Ⅰ一1]级(应急)?响应", GRADE_I},
    {"(?<!特别)重大.{0,12}(事故|灾害|事件)|特大.{0,12}(事故|灾害)|"
     "[Ⅱ二2]级(应急)?响应",
     GRADE_II},
};
#define CLASSIFY_NLABELS (sizeof(classify_labels) / sizeof(classify_labels[0]))
static pcre2_code *classify_label_re[CLASSIFY_NLABELS];

const char *
class_name(int cls)
{
	switch (cls) {
	case CLASS_MAJOR:
		return "major";
	case CLASS_ORDINARY:
		return "ordinary";
	default:
		return "none";
	}
}

static void
classify_hit(struct rule_hit *hits, size_t *n, size_t max, const char *id,
             const char *text, size_t start, size_t end, int major, int vetoed)
{
	struct rule_hit *h;
	size_t len = end - start;

	if (*n >= max)
		return;
	h = &hits[(*n)++];
	h->id = id;
	h->major = major;
	h->vetoed = vetoed;
	if (len >= sizeof(h->span)) {
		len = sizeof(h->span) - 1;
		while (len > 0 &&
		       ((unsigned char)text[start + len] & 0xc0) == 0x80)
			len--;
	}
	memcpy(h->span, text + start, len);
	h->span[len] = '\0';
}

static void
classify_add(const char **v, size_t *n, size_t max, const char *s)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (strcmp(v[i], s) == 0)
			return;
	if (*n < max)
		v[(*n)++] = s;
}

static enum grade
classify_label(struct ruleset *rs, const char *text, size_t len)
{
	size_t i, s, e;

	for (i = 0; i < CLASSIFY_NLABELS; i++) {
		if (classify_label_re[i] == NULL) {
			int err;
			PCRE2_SIZE off;

			classify_label_re[i] = pcre2_compile(
			    (PCRE2_SPTR)classify_labels[i].pattern,
			    PCRE2_ZERO_TERMINATED, PCRE2_UTF, &err, &off, NULL);
			if (classify_label_re[i] == NULL)
				continue;
			pcre2_jit_compile(classify_label_re[i],
			                  PCRE2_JIT_COMPLETE);
		}
		if (rules_match(rs, classify_label_re[i], "label", text, len,
		                &s, &e))
			return classify_labels[i].grade;
	}
	return GRADE_UNKNOWN;
}

/* The grading scale of a rule: its own, else by its category. */
static const char *
classify_scale(const struct rule *r, const struct conf_classify *pol)
{
	if (r->scale != NULL)
		return r->scale;
	if (strcmp(r->category, "自然灾害") == 0)
		return pol->natural_scale == CONF_NATURAL_NATIONAL
		           ? "natural_national"
		           : "natural_district";
	if (strcmp(r->category, "社会安全事件") == 0)
		return "mass";
	return "production";
}

static int
classify_grade_is_major(enum grade g, const struct conf_classify *pol)
{
	size_t i;

	for (i = 0; i < pol->major_grades.n; i++)
		if (strcmp(pol->major_grades.v[i], grade_name(g)) == 0)
			return 1;
	return 0;
}

/*
 * Classify text (title and body, UTF-8, normalised).  local: the item
 * comes from a feed marked local.  c is filled (classification_clear
 * frees it).  Returns c->cls.
 */
int
classify_text(struct ruleset *rs, const struct conf_classify *pol,
              const char *text, int local, struct classification *c)
{
	const struct rule *best_major = NULL, *best_ord = NULL;
	size_t i, k, len, s, e;
	enum grade label;

	memset(c, 0, sizeof(*c));
	{
		/* full-width folded and whitespace collapsed, as feeds do,
		 * so text typed or pasted by hand reads the same */
		char *folded =
		    text_normalise(text, strlen(text), CLASSIFY_MAX_TEXT, 0);

		c->simplified = rules_simplify(rs, folded ? folded : "");
		free(folded);
	}
	if (c->simplified == NULL)
		return CLASS_NONE;
	len = strlen(c->simplified);
	c->in_jurisdiction =
	    rules_jurisdiction(rs, c->simplified, c->place, sizeof(c->place));
	if (!c->in_jurisdiction && local) {
		c->in_jurisdiction = 1;
		snprintf(c->place, sizeof(c->place), "(local feed)");
	}
	/* only patterns whose required literals occur can match */
	litscan_scan(rs->scan, c->simplified, len, rs->cand);
	for (i = 0; i < rs->nexcl; i++)
		if (rs->cand[rs->excl[i].pf] &&
		    rules_match(rs, rs->excl[i].re, rs->excl[i].id,
		                c->simplified, len, &s, &e))
			classify_hit(c->vetoes, &c->nvetoes, CLASSIFY_MAX_HITS,
			             rs->excl[i].id, c->simplified, s, e, 0, 0);
	for (i = 0; i < rs->nrules; i++) {
		const struct rule *r = &rs->rules[i];
		int vetoed;

		if (!rs->cand[r->pf] ||
		    !rules_match(rs, r->re, r->id, c->simplified, len, &s, &e))
			continue;
		vetoed = r->major && c->nvetoes > 0;
		classify_hit(c->hits, &c->nhits, CLASSIFY_MAX_HITS, r->id,
		             c->simplified, s, e, r->major, vetoed);
		if (vetoed)
			continue;
		if (r->major &&
		    (best_major == NULL || r->weight > best_major->weight))
			best_major = r;
		if (!r->major &&
		    (best_ord == NULL || r->weight > best_ord->weight))
			best_ord = r;
	}
	figures_read(c->simplified, &c->fig);
	if (best_major != NULL) {
		c->emergency = 1;
		c->category = best_major->category;
		c->scale = classify_scale(best_major, pol);
		c->grade = figures_grade(&c->fig, c->scale);
		label = classify_label(rs, c->simplified, len);
		if (label > c->grade)
			c->grade = label;
		if (c->grade == GRADE_UNKNOWN)
			c->cls = pol->no_figures == CONF_CLASS_MAJOR
			             ? CLASS_MAJOR
			             : CLASS_ORDINARY;
		else
			c->cls = classify_grade_is_major(c->grade, pol)
			             ? CLASS_MAJOR
			             : CLASS_ORDINARY;
	} else if (best_ord != NULL) {
		c->cls = CLASS_ORDINARY;
		c->category = best_ord->category;
	}
	/* domains of every counted match, strongest first */
	if (best_major != NULL)
		classify_add(c->domains, &c->ndomains, CLASSIFY_MAX_DOMAINS,
		             best_major->domain);
	if (best_ord != NULL && best_major == NULL)
		classify_add(c->domains, &c->ndomains, CLASSIFY_MAX_DOMAINS,
		             best_ord->domain);
	for (i = 0; i < rs->nrules; i++)
		for (k = 0; k < c->nhits; k++)
			if (!c->hits[k].vetoed &&
			    strcmp(c->hits[k].id, rs->rules[i].id) == 0)
				classify_add(c->domains, &c->ndomains,
				             CLASSIFY_MAX_DOMAINS,
				             rs->rules[i].domain);
	for (i = 0; i < c->ndomains; i++) {
		const struct route *rt = rules_route(rs, c->domains[i]);

		for (k = 0; rt != NULL && k < rt->ndepartments; k++)
			classify_add(c->departments, &c->ndepartments,
			             CLASSIFY_MAX_DEPARTMENTS,
			             rt->departments[k]);
	}
	return c->cls;
}

void
classification_clear(struct classification *c)
{
	free(c->simplified);
	memset(c, 0, sizeof(*c));
}

/* Free what classify keeps for the process (the label patterns). */
void
classify_shutdown(void)
{
	size_t i;

	for (i = 0; i < CLASSIFY_NLABELS; i++) {
		pcre2_code_free(classify_label_re[i]);
		classify_label_re[i] = NULL;
	}
}
