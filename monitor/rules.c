/*
 * rules.c: the rule files (format in config/rules/README.md).  Read with
 * libconfig and checked as strictly as the configuration (every error
 * with file:line, all of them at once); patterns compiled once with PCRE2
 * in UTF mode and JIT, matched under match and depth limits so that a
 * catastrophic pattern costs a logged "no match", never a stalled loop.
 * Text is converted from traditional to simplified characters with
 * OpenCC before matching; the caller keeps the original for display.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <libconfig.h>
#include <opencc/opencc.h>
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/monitor.h"

#define RULES_MATCH_LIMIT 200000
#define RULES_DEPTH_LIMIT 2000
#define RULES_MAX_PATTERN 4096

static const char *const rules_categories[] = {
    "自然灾害", "事故灾难", "公共卫生事件", "社会安全事件", "other", NULL,
};
static const char *const rules_scales[] = {
    "production", "environment",      "geology",          "food",
    "mass",       "natural_district", "natural_national", NULL,
};

struct rules_ctx {
	struct ruleset *rs;
	struct config_errors *errs;
	const char *file;
};

static int
rules_in(const char *const *set, const char *s)
{
	size_t i;

	for (i = 0; set[i] != NULL; i++)
		if (strcmp(set[i], s) == 0)
			return (int)i;
	return -1;
}

static void rules_err(struct rules_ctx *, const config_setting_t *,
                      const char *, ...) __attribute__((format(printf, 3, 4)));

static void
rules_err(struct rules_ctx *rx, const config_setting_t *s, const char *fmt, ...)
{
	char msg[900];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	config_error_add(rx->errs, rx->file,
	                 s != NULL ? config_setting_source_line(s) : 0, "%s",
	                 msg);
}

/* A string member of group g: NULL (and an error if required) if absent. */
static const char *
rules_str(struct rules_ctx *rx, const config_setting_t *g, const char *path,
          const char *key, int required)
{
	const config_setting_t *s = config_setting_get_member(g, key);

	if (s == NULL) {
		if (required)
			rules_err(rx, g, "%s: missing required key '%s'", path,
			          key);
		return NULL;
	}
	if (config_setting_type(s) != CONFIG_TYPE_STRING ||
	    config_setting_get_string(s)[0] == '\0') {
		rules_err(rx, s, "%s.%s: expected a non-empty string", path,
		          key);
		return NULL;
	}
	return config_setting_get_string(s);
}

/* Every member of g must be one of keys. */
static void
rules_known(struct rules_ctx *rx, const config_setting_t *g, const char *path,
            const char *const *keys)
{
	int i, n = config_setting_length(g);

	for (i = 0; i < n; i++) {
		const config_setting_t *s =
		    config_setting_get_elem(g, (unsigned)i);
		const char *name = config_setting_name(s);

		if (name != NULL && rules_in(keys, name) < 0)
			rules_err(rx, s, "%s: '%s': unknown key", path, name);
	}
}

/*
 * Compile one pattern, JIT if possible, and register its literals with
 * the scanner (its number in *pf); an error names PCRE2's reason.
 */
static pcre2_code *
rules_compile(struct rules_ctx *rx, const config_setting_t *s, const char *path,
              const char *pattern, size_t *pf)
{
	long id;
	int prefiltered;
	pcre2_code *re;
	PCRE2_UCHAR msg[256];
	PCRE2_SIZE off;
	int err;

	if (strlen(pattern) > RULES_MAX_PATTERN) {
		rules_err(rx, s, "%s.pattern: longer than %d bytes", path,
		          RULES_MAX_PATTERN);
		return NULL;
	}
	re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
	                   PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &err, &off,
	                   NULL);
	if (re == NULL) {
		pcre2_get_error_message(err, msg, sizeof(msg));
		rules_err(rx, config_setting_get_member(s, "pattern"),
		          "%s.pattern: cannot compile at offset %zu: %s", path,
		          (size_t)off, (const char *)msg);
		return NULL;
	}
	if (pcre2_jit_compile(re, PCRE2_JIT_COMPLETE) != 0 && !rx->rs->nojit) {
		rx->rs->nojit = 1;
		log_warnx("pcre2 JIT unavailable, rules run interpreted");
	}
	id = litscan_add(rx->rs->scan, pattern, &prefiltered);
	if (id < 0) {
		rules_err(rx, s, "%s.pattern: out of memory", path);
		pcre2_code_free(re);
		return NULL;
	}
	*pf = (size_t)id;
	rx->rs->nprefiltered += prefiltered;
	return re;
}

/* Room for element n of *v (lists are hundreds long: one step at a time). */
static int
rules_grow(void **v, size_t n, size_t size)
{
	void *nv = realloc(*v, (n + 1) * size);

	if (nv == NULL)
		return -1;
	*v = nv;
	return 0;
}

/*
 * Element i of a section's list: it must be a group with only known keys.
 * Its path ("rules[3]") goes to path; NULL (after the error) if it is not
 * a group.
 */
static const config_setting_t *
rules_entry(struct rules_ctx *rx, const config_setting_t *list, int i,
            const char *section, const char *const *keys, char *path,
            size_t len)
{
	const config_setting_t *g = config_setting_get_elem(list, (unsigned)i);

	snprintf(path, len, "%s[%d]", section, i);
	if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
		rules_err(rx, g, "%s: expected a group { }", path);
		return NULL;
	}
	rules_known(rx, g, path, keys);
	return g;
}

static void
rules_load_rules(struct rules_ctx *rx, const config_setting_t *list)
{
	static const char *const keys[] = {"id",       "pattern", "class",
	                                   "category", "domain",  "weight",
	                                   "scale",    NULL};
	struct ruleset *rs = rx->rs;
	int i, n = config_setting_length(list);
	char path[64];

	for (i = 0; i < n; i++) {
		const config_setting_t *g;
		const char *id, *pat, *cls, *cat, *dom, *scale;
		const config_setting_t *w;
		struct rule *r;
		size_t k;

		g = rules_entry(rx, list, i, "rules", keys, path, sizeof(path));
		if (g == NULL)
			continue;
		id = rules_str(rx, g, path, "id", 1);
		pat = rules_str(rx, g, path, "pattern", 1);
		cls = rules_str(rx, g, path, "class", 1);
		cat = rules_str(rx, g, path, "category", 1);
		dom = rules_str(rx, g, path, "domain", 1);
		scale = rules_str(rx, g, path, "scale", 0);
		if (cls != NULL && strcmp(cls, "major") &&
		    strcmp(cls, "ordinary"))
			rules_err(rx, config_setting_get_member(g, "class"),
			          "%s.class: '%s' is not 'major' or 'ordinary'",
			          path, cls);
		if (cat != NULL && rules_in(rules_categories, cat) < 0)
			rules_err(rx, config_setting_get_member(g, "category"),
			          "%s.category: unknown category '%s'", path,
			          cat);
		if (scale != NULL && rules_in(rules_scales, scale) < 0)
			rules_err(rx, config_setting_get_member(g, "scale"),
			          "%s.scale: unknown scale '%s'", path, scale);
		w = config_setting_get_member(g, "weight");
		if (w != NULL && (config_setting_type(w) != CONFIG_TYPE_INT ||
		                  config_setting_get_int(w) < 1 ||
		                  config_setting_get_int(w) > 100))
			rules_err(rx, w, "%s.weight: expected 1..100", path);
		for (k = 0; id != NULL && k < rs->nrules; k++)
			if (strcmp(rs->rules[k].id, id) == 0)
				rules_err(rx, g,
				          "%s: duplicate rule id '%s' (also "
				          "%s:%d)",
				          path, id, rs->rules[k].file,
				          rs->rules[k].line);
		if (id == NULL || pat == NULL || cls == NULL || cat == NULL ||
		    dom == NULL)
			continue;
		if (rules_grow((void **)&rs->rules, rs->nrules,
		               sizeof(*rs->rules)) == -1)
			return;
		r = &rs->rules[rs->nrules];
		memset(r, 0, sizeof(*r));
		r->re = rules_compile(rx, g, path, pat, &r->pf);
		if (r->re == NULL)
			continue;
		r->id = strdup(id);
		r->major = strcmp(cls, "major") == 0;
		r->category = strdup(cat);
		r->domain = strdup(dom);
		r->scale = scale != NULL ? strdup(scale) : NULL;
		r->weight = w != NULL ? config_setting_get_int(w) : 10;
		r->file = rx->file;
		r->line = config_setting_source_line(g);
		rs->nrules++;
	}
}

static void
rules_load_exclusions(struct rules_ctx *rx, const config_setting_t *list)
{
	static const char *const keys[] = {"id", "pattern", "reason", NULL};
	struct ruleset *rs = rx->rs;
	int i, n = config_setting_length(list);
	char path[64];

	for (i = 0; i < n; i++) {
		const config_setting_t *g;
		const char *id, *pat, *why;
		struct exclusion *e;

		g = rules_entry(rx, list, i, "exclusions", keys, path,
		                sizeof(path));
		if (g == NULL)
			continue;
		id = rules_str(rx, g, path, "id", 1);
		pat = rules_str(rx, g, path, "pattern", 1);
		why = rules_str(rx, g, path, "reason", 0);
		if (id == NULL || pat == NULL)
			continue;
		if (rules_grow((void **)&rs->excl, rs->nexcl,
		               sizeof(*rs->excl)) == -1)
			return;
		e = &rs->excl[rs->nexcl];
		e->re = rules_compile(rx, g, path, pat, &e->pf);
		if (e->re == NULL)
			continue;
		e->id = strdup(id);
		e->reason = strdup(why != NULL ? why : id);
		rs->nexcl++;
	}
}

/* Append the strings of array s (at path) to *v / *n. */
static void
rules_strings(struct rules_ctx *rx, const config_setting_t *s, const char *path,
              char ***v, size_t *n)
{
	int i, len;

	if (config_setting_type(s) != CONFIG_TYPE_ARRAY &&
	    config_setting_type(s) != CONFIG_TYPE_LIST) {
		rules_err(rx, s, "%s: expected an array of strings", path);
		return;
	}
	len = config_setting_length(s);
	for (i = 0; i < len; i++) {
		const config_setting_t *e =
		    config_setting_get_elem(s, (unsigned)i);

		if (config_setting_type(e) != CONFIG_TYPE_STRING ||
		    config_setting_get_string(e)[0] == '\0') {
			rules_err(rx, e, "%s[%d]: expected a non-empty string",
			          path, i);
			continue;
		}
		if (rules_grow((void **)v, *n, sizeof(**v)) == -1)
			return;
		(*v)[(*n)++] = strdup(config_setting_get_string(e));
	}
}

static void
rules_load_jurisdiction(struct rules_ctx *rx, const config_setting_t *g)
{
	static const char *const keys[] = {"places", "namesakes", "ambiguous",
	                                   NULL};
	static const char *const akeys[] = {"term", "near", "window", NULL};
	struct ruleset *rs = rx->rs;
	const config_setting_t *s;
	int i, n;

	if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
		rules_err(rx, g, "jurisdiction: expected a group { }");
		return;
	}
	rules_known(rx, g, "jurisdiction", keys);
	s = config_setting_get_member(g, "places");
	if (s != NULL)
		rules_strings(rx, s, "jurisdiction.places", &rs->places,
		              &rs->nplaces);
	s = config_setting_get_member(g, "namesakes");
	if (s != NULL)
		rules_strings(rx, s, "jurisdiction.namesakes", &rs->namesakes,
		              &rs->nnamesakes);
	s = config_setting_get_member(g, "ambiguous");
	if (s == NULL)
		return;
	if (config_setting_type(s) != CONFIG_TYPE_LIST) {
		rules_err(rx, s, "jurisdiction.ambiguous: expected a list");
		return;
	}
	n = config_setting_length(s);
	for (i = 0; i < n; i++) {
		const config_setting_t *e =
		    config_setting_get_elem(s, (unsigned)i);
		const config_setting_t *w =
		    config_setting_get_member(e, "window");
		const char *term, *near;
		char path[64];

		snprintf(path, sizeof(path), "jurisdiction.ambiguous[%d]", i);
		rules_known(rx, e, path, akeys);
		term = rules_str(rx, e, path, "term", 1);
		near = rules_str(rx, e, path, "near", 1);
		if (w != NULL && (config_setting_type(w) != CONFIG_TYPE_INT ||
		                  config_setting_get_int(w) < 1 ||
		                  config_setting_get_int(w) > 500)) {
			rules_err(rx, w, "%s.window: expected 1..500", path);
			continue;
		}
		if (term == NULL || near == NULL ||
		    rules_grow((void **)&rs->amb, rs->namb, sizeof(*rs->amb)))
			continue;
		rs->amb[rs->namb].term = strdup(term);
		rs->amb[rs->namb].near = strdup(near);
		rs->amb[rs->namb].window =
		    w != NULL ? config_setting_get_int(w) : 30;
		rs->namb++;
	}
}

static void
rules_load_routing(struct rules_ctx *rx, const config_setting_t *list)
{
	static const char *const keys[] = {"domain", "departments", NULL};
	struct ruleset *rs = rx->rs;
	int i, n = config_setting_length(list);
	char path[64];

	for (i = 0; i < n; i++) {
		const config_setting_t *g, *d;
		const char *dom;
		struct route *r;

		g = rules_entry(rx, list, i, "routing", keys, path,
		                sizeof(path));
		if (g == NULL)
			continue;
		dom = rules_str(rx, g, path, "domain", 1);
		d = config_setting_get_member(g, "departments");
		if (d == NULL) {
			rules_err(rx, g,
			          "%s: missing required key "
			          "'departments'",
			          path);
			continue;
		}
		if (dom == NULL || rules_grow((void **)&rs->routes, rs->nroutes,
		                              sizeof(*rs->routes)) == -1)
			continue;
		r = &rs->routes[rs->nroutes++];
		memset(r, 0, sizeof(*r));
		r->domain = strdup(dom);
		rules_strings(rx, d, path, &r->departments, &r->ndepartments);
	}
}

static void
rules_load_file(struct rules_ctx *rx, const char *file)
{
	static const char *const sections[] = {"rules", "exclusions",
	                                       "jurisdiction", "routing", NULL};
	config_t cf;
	const config_setting_t *root, *s;
	int i, n;

	rx->file = file;
	config_init(&cf);
	if (config_read_file(&cf, file) != CONFIG_TRUE) {
		if (config_error_type(&cf) == CONFIG_ERR_FILE_IO)
			config_error_add(rx->errs, file, 0,
			                 "cannot read rule file");
		else
			config_error_add(rx->errs,
			                 config_error_file(&cf)
			                     ? config_error_file(&cf)
			                     : file,
			                 config_error_line(&cf), "%s",
			                 config_error_text(&cf));
		config_destroy(&cf);
		return;
	}
	root = config_root_setting(&cf);
	n = config_setting_length(root);
	for (i = 0; i < n; i++) {
		s = config_setting_get_elem(root, (unsigned)i);
		if (rules_in(sections, config_setting_name(s)) < 0)
			rules_err(rx, s, "'%s': unknown section",
			          config_setting_name(s));
	}
	s = config_setting_get_member(root, "rules");
	if (s != NULL)
		rules_load_rules(rx, s);
	s = config_setting_get_member(root, "exclusions");
	if (s != NULL)
		rules_load_exclusions(rx, s);
	s = config_setting_get_member(root, "jurisdiction");
	if (s != NULL)
		rules_load_jurisdiction(rx, s);
	s = config_setting_get_member(root, "routing");
	if (s != NULL)
		rules_load_routing(rx, s);
	config_destroy(&cf);
}

const struct route *
rules_route(const struct ruleset *rs, const char *domain)
{
	size_t i;

	for (i = 0; i < rs->nroutes; i++)
		if (strcmp(rs->routes[i].domain, domain) == 0)
			return &rs->routes[i];
	return NULL;
}

/*
 * Load every rule file named in conf (relative paths against the
 * configuration's directory).  NULL with every error in errs.
 */
struct ruleset *
rules_load(const struct config *conf, struct config_errors *errs)
{
	struct rules_ctx rx;
	struct ruleset *rs;
	const char *slash = strrchr(conf->path, '/');
	size_t i;

	rs = calloc(1, sizeof(*rs));
	if (rs == NULL)
		return NULL;
	rx.rs = rs;
	rx.errs = errs;
	rs->scan = litscan_new();
	if (rs->scan == NULL) {
		free(rs);
		return NULL;
	}
	rs->nfiles = conf->rules.files.n;
	rs->files = calloc(rs->nfiles + 1, sizeof(*rs->files));
	for (i = 0; i < conf->rules.files.n && rs->files != NULL; i++) {
		const char *f = conf->rules.files.v[i];
		char buf[1024];

		if (f[0] != '/' && slash != NULL)
			snprintf(buf, sizeof(buf), "%.*s/%s",
			         (int)(slash - conf->path), conf->path, f);
		else
			snprintf(buf, sizeof(buf), "%s", f);
		rs->files[i] = strdup(buf);
		rules_load_file(&rx, rs->files[i]);
	}
	for (i = 0; i < conf->rules.jurisdiction.n; i++)
		if (rules_grow((void **)&rs->places, rs->nplaces,
		               sizeof(*rs->places)) == 0)
			rs->places[rs->nplaces++] =
			    strdup(conf->rules.jurisdiction.v[i]);
	for (i = 0; i < rs->nrules; i++)
		if (rules_route(rs, rs->rules[i].domain) == NULL)
			config_error_add(errs, rs->rules[i].file,
			                 rs->rules[i].line,
			                 "rule '%s': domain '%s' is not in any "
			                 "routing table",
			                 rs->rules[i].id, rs->rules[i].domain);
	rs->cc = opencc_open("t2s.json");
	if (rs->cc == (opencc_t)-1) {
		rs->cc = NULL;
		config_error_add(errs, conf->path, 0,
		                 "cannot open OpenCC's t2s.json: %s",
		                 opencc_error());
	}
	rs->t2s_skip = t2s_table_check(rs->t2s_why, sizeof(rs->t2s_why));
	rs->mctx = pcre2_match_context_create(NULL);
	rs->md = pcre2_match_data_create(4, NULL);
	rs->cand = calloc(litscan_patterns(rs->scan) + 1, 1);
	if (rs->mctx != NULL) {
		pcre2_set_match_limit(rs->mctx, RULES_MATCH_LIMIT);
		pcre2_set_depth_limit(rs->mctx, RULES_DEPTH_LIMIT);
	}
	if (errs->n > 0 || rs->mctx == NULL || rs->md == NULL ||
	    rs->cand == NULL) {
		config_errors_sort(errs);
		rules_free(rs);
		return NULL;
	}
	return rs;
}

/* One log line on what was loaded and how much the prefilter covers. */
void
rules_log_summary(const struct ruleset *rs)
{
	log_info("rules loaded: rules=%zu exclusions=%zu files=%zu "
	         "prefiltered=%zu/%zu literals=%zu jit=%s t2s_skip=%s "
	         "t2s_table=\"%s\"",
	         rs->nrules, rs->nexcl, rs->nfiles, rs->nprefiltered,
	         litscan_patterns(rs->scan), litscan_literals(rs->scan),
	         rs->nojit ? "no" : "yes", rs->t2s_skip ? "yes" : "no",
	         rs->t2s_why);
}

void
rules_free(struct ruleset *rs)
{
	size_t i, k;

	if (rs == NULL)
		return;
	for (i = 0; i < rs->nrules; i++) {
		pcre2_code_free(rs->rules[i].re);
		free(rs->rules[i].id);
		free(rs->rules[i].category);
		free(rs->rules[i].domain);
		free(rs->rules[i].scale);
	}
	free(rs->rules);
	for (i = 0; i < rs->nexcl; i++) {
		pcre2_code_free(rs->excl[i].re);
		free(rs->excl[i].id);
		free(rs->excl[i].reason);
	}
	free(rs->excl);
	for (i = 0; i < rs->nplaces; i++)
		free(rs->places[i]);
	free(rs->places);
	for (i = 0; i < rs->nnamesakes; i++)
		free(rs->namesakes[i]);
	free(rs->namesakes);
	for (i = 0; i < rs->namb; i++) {
		free(rs->amb[i].term);
		free(rs->amb[i].near);
	}
	free(rs->amb);
	for (i = 0; i < rs->nroutes; i++) {
		for (k = 0; k < rs->routes[i].ndepartments; k++)
			free(rs->routes[i].departments[k]);
		free(rs->routes[i].departments);
		free(rs->routes[i].domain);
	}
	free(rs->routes);
	for (i = 0; i < rs->nfiles && rs->files != NULL; i++)
		free(rs->files[i]);
	free(rs->files);
	if (rs->cc != NULL)
		opencc_close(rs->cc);
	pcre2_match_context_free(rs->mctx);
	pcre2_match_data_free(rs->md);
	litscan_free(rs->scan);
	free(rs->cand);
	free(rs);
}

/*
 * Match one compiled pattern against text.  Returns 1 and the span on a
 * match, 0 otherwise; a limit hit is logged with the rule id and counts
 * as no match.
 */
int
rules_match(struct ruleset *rs, const void *re, const char *id,
            const char *text, size_t len, size_t *start, size_t *end)
{
	PCRE2_SIZE *ov;
	int rc;

	rc = pcre2_match(re, (PCRE2_SPTR)text, len, 0, 0, rs->md, rs->mctx);
	if (rc >= 0) {
		ov = pcre2_get_ovector_pointer(rs->md);
		*start = ov[0];
		*end = ov[1];
		return 1;
	}
	if (rc != PCRE2_ERROR_NOMATCH) {
		PCRE2_UCHAR msg[128];

		rs->limit_hits++;
		pcre2_get_error_message(rc, msg, sizeof(msg));
		log_warnx("rule gave up, counted as no match: rule=%s "
		          "error=\"%s\" hits=%llu",
		          id, (const char *)msg,
		          (unsigned long long)rs->limit_hits);
	}
	return 0;
}

/* Traditional to simplified (malloc'd); a copy if OpenCC fails. */
char *
rules_simplify(const struct ruleset *rs, const char *text)
{
	char *s, *out;

	if (rs->cc == NULL || (rs->t2s_skip && !t2s_needed(text, strlen(text))))
		return strdup(text);
	s = opencc_convert_utf8(rs->cc, text, strlen(text));
	if (s == NULL)
		return strdup(text);
	out = strdup(s);
	opencc_convert_utf8_free(s);
	return out;
}

/* Does a place term occur within window characters of pos in s? */
static int
rules_near(const char *s, size_t len, size_t pos, size_t tlen, const char *near,
           int window)
{
	size_t from, to, nl = strlen(near);
	const char *p;
	int chars;

	from = pos;
	for (chars = 0; from > 0 && chars < window; chars++) {
		from--;
		while (from > 0 && ((unsigned char)s[from] & 0xc0) == 0x80)
			from--;
	}
	to = pos + tlen;
	for (chars = 0; to < len && chars < window; chars++) {
		to++;
		while (to < len && ((unsigned char)s[to] & 0xc0) == 0x80)
			to++;
	}
	for (p = s + from; p + nl <= s + to; p++)
		if (memcmp(p, near, nl) == 0)
			return 1;
	return 0;
}

/*
 * Is the (simplified) text about the district?  Namesakes are blanked
 * first; then any place counts, or an ambiguous term with its companion
 * near.  The place found is copied to place.
 */
int
rules_jurisdiction(const struct ruleset *rs, const char *text, char *place,
                   size_t placelen)
{
	char *s = strdup(text);
	const char *p;
	size_t i, len;
	int found = 0;

	if (s == NULL)
		return 0;
	len = strlen(s);
	for (i = 0; i < rs->nnamesakes; i++) {
		size_t nl = strlen(rs->namesakes[i]), chars = 0, k;
		char *q = s;

		for (k = 0; k < nl; k++)
			chars +=
			    ((unsigned char)rs->namesakes[i][k] & 0xc0) != 0x80;
		/* one space per character, so windows still count right */
		for (q = strstr(q, rs->namesakes[i]); q != NULL;
		     q = strstr(q + chars, rs->namesakes[i])) {
			memset(q, ' ', chars);
			memmove(q + chars, q + nl,
			        len - (size_t)(q - s) - nl + 1);
			len -= nl - chars;
		}
	}
	for (i = 0; i < rs->nplaces && !found; i++)
		if (strstr(s, rs->places[i]) != NULL) {
			snprintf(place, placelen, "%s", rs->places[i]);
			found = 1;
		}
	for (i = 0; i < rs->namb && !found; i++) {
		size_t tl = strlen(rs->amb[i].term);

		for (p = strstr(s, rs->amb[i].term); p != NULL && !found;
		     p = strstr(p + tl, rs->amb[i].term))
			if (rules_near(s, len, (size_t)(p - s), tl,
			               rs->amb[i].near, rs->amb[i].window)) {
				snprintf(place, placelen, "%s…%s",
				         rs->amb[i].term, rs->amb[i].near);
				found = 1;
			}
	}
	free(s);
	return found;
}

/*
 * --check-config for the programs: the configuration and the rule files it
 * names, every error of both; with dump, print the configuration.
 */
int
rules_check_config(const char *path, int dump, FILE *out, FILE *err)
{
	struct config_errors errs = {0};
	struct config *c = config_load(path, &errs);
	struct ruleset *rs = NULL;
	int rc = 0;

	if (c != NULL)
		rs = rules_load(c, &errs);
	if (c == NULL || rs == NULL) {
		config_errors_print(&errs, err);
		config_errors_clear(&errs);
		config_free(c);
		return 1;
	}
	if (dump)
		rc = config_dump(c, out) == 0 ? 0 : 1;
	else
		fprintf(out, "configuration OK\n");
	rules_free(rs);
	config_free(c);
	return rc;
}
