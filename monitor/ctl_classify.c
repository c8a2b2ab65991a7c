/*
 * ctl_classify.c: `yuqingctl explain "text"` prints one decision with all
 * its evidence; `yuqingctl classify` reads one text per line and writes
 * one TSV line each.  Both run classify_text(), the daemon's code, with
 * the rules and policy of a configuration file (-c), or of rule files
 * given with --rules and the default policy.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/monitor.h"

#define CLASSIFY_LINE_MAX (64 << 10)

struct ctl_rules {
	struct config *conf;
	struct ruleset *rs;
	int local;
};

static void
ctl_classify_usage(FILE *out, const char *cmd)
{
	if (strcmp(cmd, "explain") == 0)
		fprintf(out,
		        "usage: yuqingctl explain [-c CONFIG | --rules FILE"
		        "...] [--local] TEXT\n"
		        "Print how the monitor classifies TEXT and why: rules "
		        "matched with\nthe matched span, exclusions that "
		        "fired, figures read, grade,\nclass, category, "
		        "departments, in or out of the jurisdiction.\n");
	else
		fprintf(
		    out,
		    "usage: yuqingctl classify [-c CONFIG | --rules FILE...]\n"
		    "Read one text per line on stdin; write one line per "
		    "input line:\nin_jurisdiction<TAB>class<TAB>grade<TAB>"
		    "category<TAB>departments<TAB>rule_ids\n(class as if the "
		    "text were in the jurisdiction; empty fields as '-').\n");
	fprintf(out,
	        "  -c CONFIG     rules and policy of this configuration "
	        "(default %s)\n"
	        "  --rules FILE  use these rule files and the default "
	        "policy instead\n",
	        YQ_SYSCONFDIR "/yuqing/yuqing.conf");
}

/* Parse options; the rest of argv (the text) starts at *rest. */
static int
ctl_rules_open(int argc, char **argv, const char *cmd, struct ctl_rules *cr,
               int *rest)
{
	struct config_errors errs = {0};
	const char *cfile = YQ_SYSCONFDIR "/yuqing/yuqing.conf";
	const char **rules = calloc((size_t)argc + 1, sizeof(*rules));
	size_t nrules = 0, k;
	int i;

	memset(cr, 0, sizeof(*cr));
	if (rules == NULL)
		return 2;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0) {
			ctl_classify_usage(stdout, cmd);
			free(rules);
			return 0;
		} else if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
			cfile = argv[++i];
		} else if (strcmp(argv[i], "--rules") == 0 && i + 1 < argc) {
			rules[nrules++] = argv[++i];
		} else if (strcmp(argv[i], "--local") == 0) {
			cr->local = 1;
		} else if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		} else if (argv[i][0] == '-' && argv[i][1] != '\0') {
			ctl_classify_usage(stderr, cmd);
			free(rules);
			return 2;
		} else {
			break;
		}
	}
	*rest = i;
	if (nrules > 0)
		cr->conf = config_new_default("./rules", rules, nrules);
	else
		cr->conf = config_load(cfile, &errs);
	free(rules);
	if (cr->conf != NULL)
		cr->rs = rules_load(cr->conf, &errs);
	if (cr->rs == NULL) {
		for (k = 0; k < errs.n; k++)
			fprintf(stderr, "%s\n", errs.v[k]);
		fprintf(stderr, "yuqingctl: cannot load the rules\n");
		config_errors_clear(&errs);
		config_free(cr->conf);
		return 1;
	}
	return -1;
}

static void
ctl_rules_close(struct ctl_rules *cr)
{
	rules_free(cr->rs);
	config_free(cr->conf);
	classify_shutdown();
}

static const char *
ctl_dash(const char *s)
{
	return s != NULL && s[0] != '\0' ? s : "-";
}

static void
ctl_figures(const struct figures *f)
{
	static const struct {
		unsigned bit;
		const char *name;
		size_t off;
	} fields[] = {
	    {FIG_DEATHS, "deaths", offsetof(struct figures, deaths)},
	    {FIG_MISSING, "missing", offsetof(struct figures, missing)},
	    {FIG_TRAPPED, "trapped", offsetof(struct figures, trapped)},
	    {FIG_INJURED, "injured", offsetof(struct figures, injured)},
	    {FIG_SERIOUS, "seriously injured",
	     offsetof(struct figures, serious)},
	    {FIG_RESCUED, "rescued", offsetof(struct figures, rescued)},
	    {FIG_POISONED, "poisoned", offsetof(struct figures, poisoned)},
	    {FIG_EVACUATED, "evacuated", offsetof(struct figures, evacuated)},
	    {FIG_PARTICIPANTS, "participants",
	     offsetof(struct figures, participants)},
	    {FIG_LOSS, "direct loss (yuan)",
	     offsetof(struct figures, loss_yuan)},
	};
	size_t i;
	int any = 0;

	printf("figures:       ");
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (f->found & fields[i].bit) {
			printf(
			    "%s%s %lld", any ? ", " : "", fields[i].name,
			    (long long)*(
			        const int64_t *)(const void *)((const char *)f +
			                                       fields[i].off));
			any = 1;
		}
	printf("%s\n", any ? "" : "none read");
	if (f->evidence[0] != '\0')
		printf("               read from: %s\n", f->evidence);
}

int
ctl_explain(int argc, char **argv)
{
	struct ctl_rules cr;
	struct classification c;
	size_t i;
	int rest, rc;

	rc = ctl_rules_open(argc, argv, "explain", &cr, &rest);
	if (rc >= 0)
		return rc;
	if (rest != argc - 1) {
		ctl_classify_usage(stderr, "explain");
		ctl_rules_close(&cr);
		return 2;
	}
	classify_text(cr.rs, &cr.conf->classify, argv[rest], cr.local, &c);
	printf("text:          %s\n", argv[rest]);
	if (strcmp(c.simplified, argv[rest]) != 0)
		printf("simplified:    %s\n", c.simplified);
	printf("jurisdiction:  %s%s%s%s\n", c.in_jurisdiction ? "in" : "out",
	       c.in_jurisdiction ? " (" : "", c.in_jurisdiction ? c.place : "",
	       c.in_jurisdiction ? ")" : " (no district place named)");
	for (i = 0; i < c.nhits; i++) {
		const struct rule *r = NULL;
		size_t k;

		for (k = 0; k < cr.rs->nrules; k++)
			if (strcmp(cr.rs->rules[k].id, c.hits[i].id) == 0)
				r = &cr.rs->rules[k];
		printf("%s %s \"%s\" [%s, %s, %s, weight %d]%s\n",
		       i == 0 ? "rule matched: " : "              ",
		       c.hits[i].id, c.hits[i].span,
		       r != NULL && r->major ? "emergency type"
		                             : "ordinary concern",
		       r != NULL ? r->category : "?",
		       r != NULL ? r->domain : "?", r != NULL ? r->weight : 0,
		       c.hits[i].vetoed ? "  VETOED" : "");
	}
	if (c.nhits == 0)
		printf("rule matched:  none\n");
	for (i = 0; i < c.nvetoes; i++)
		printf("%s %s \"%s\"\n",
		       i == 0 ? "exclusion:    " : "              ",
		       c.vetoes[i].id, c.vetoes[i].span);
	ctl_figures(&c.fig);
	printf("grade:         %s", grade_name(c.grade));
	if (c.scale != NULL)
		printf(" (scale %s)", c.scale);
	printf("\nclass:         %s", class_name(c.cls));
	if (c.emergency && c.grade == GRADE_UNKNOWN)
		printf(" (no figures: policy classify.no_figures)");
	else if (c.emergency)
		printf(" (policy classify.major_grades)");
	printf("\ncategory:      %s\n", ctl_dash(c.category));
	printf("departments:   ");
	for (i = 0; i < c.ndepartments; i++)
		printf("%s%s", i ? ", " : "", c.departments[i]);
	printf("%s\n", c.ndepartments ? "" : "-");
	classification_clear(&c);
	ctl_rules_close(&cr);
	return 0;
}

/* One TSV line for one input line. */
static void
ctl_classify_line(struct ctl_rules *cr, const char *line)
{
	struct classification c;
	size_t i, n = 0;

	classify_text(cr->rs, &cr->conf->classify, line, cr->local, &c);
	printf("%d\t%s\t%s\t%s\t", c.in_jurisdiction, class_name(c.cls),
	       c.grade == GRADE_UNKNOWN ? "-" : grade_name(c.grade),
	       ctl_dash(c.category));
	for (i = 0; i < c.ndepartments; i++)
		printf("%s%s", i ? "," : "", c.departments[i]);
	printf("%s\t", c.ndepartments ? "" : "-");
	for (i = 0; i < c.nhits; i++)
		if (!c.hits[i].vetoed)
			printf("%s%s", n++ ? "," : "", c.hits[i].id);
	printf("%s\n", n ? "" : "-");
	classification_clear(&c);
}

int
ctl_classify(int argc, char **argv)
{
	struct ctl_rules cr;
	char *line;
	size_t len;
	int rest, rc;

	rc = ctl_rules_open(argc, argv, "classify", &cr, &rest);
	if (rc >= 0)
		return rc;
	if (rest != argc) {
		ctl_classify_usage(stderr, "classify");
		ctl_rules_close(&cr);
		return 2;
	}
	line = malloc(CLASSIFY_LINE_MAX);
	if (line == NULL) {
		ctl_rules_close(&cr);
		return 1;
	}
	while (fgets(line, CLASSIFY_LINE_MAX, stdin) != NULL) {
		len = strlen(line);
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		else if (!feof(stdin)) {
			int ch;

			/* an overlong line: classify its start, skip the rest
			 */
			while ((ch = getchar()) != EOF && ch != '\n')
				;
		}
		ctl_classify_line(&cr, line);
	}
	free(line);
	ctl_rules_close(&cr);
	return 0;
}
