/* Unit tests for monitor/rules.c and monitor/classify.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "monitor/monitor.h"

static const char test_rules[] =
    "rules = (\n"
    "  { id = \"mine.gas\"; pattern = \"瓦斯(爆炸|突出)|矿难\";\n"
    "    class = \"major\"; category = \"事故灾难\"; domain = \"安全生产\";\n"
    "    weight = 50; scale = \"production\"; },\n"
    "  { id = \"flood\"; pattern = \"洪水|内涝\"; class = \"major\";\n"
    "    category = \"自然灾害\"; domain = \"安全生产\"; weight = 40; },\n"
    "  { id = \"wage\"; pattern = \"讨薪|拖欠.{0,4}工资\";\n"
    "    class = \"ordinary\"; category = \"other\"; domain = \"就业\";\n"
    "    weight = 20; },\n"
    "  { id = \"evil\"; pattern = \"(a+)+$\"; class = \"ordinary\";\n"
    "    category = \"other\"; domain = \"就业\"; weight = 1; }\n"
    ");\n"
    "exclusions = ( { id = \"drill\"; pattern = \"演练|演习\"; } );\n"
    "jurisdiction = { places = [ \"大通区\", \"九龙岗镇\" ];\n"
    "  namesakes = [ \"西宁市大通县\" ];\n"
    "  ambiguous = ( { term = \"大通\"; near = \"淮南\"; window = 10; } );\n"
    "};\n"
    "routing = ( { domain = \"安全生产\"; departments = [ \"区应急局\" ]; },\n"
    "  { domain = \"就业\"; departments = [ \"区人社局\" ]; } );\n";

static char rules_path[64];

static int
write_file(char *path, size_t len, const char *text)
{
	int fd;

	snprintf(path, len, "/tmp/yq-unit-rules-XXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		return -1;
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static struct ruleset *
load(const char *text, struct config **conf, struct config_errors *errs)
{
	const char *files[1];

	if (write_file(rules_path, sizeof(rules_path), text) == -1)
		return NULL;
	files[0] = rules_path;
	*conf = config_new_default("/tmp/x.conf", files, 1);
	return rules_load(*conf, errs);
}

static void
test_decisions(void **state)
{
	static const struct {
		const char *text;
		int in, cls;
		const char *grade, *dept;
		int no_figures_ordinary;
	} t[] = {
	    /* traditional text reads as simplified */
	    {"九龍崗鎮煤礦瓦斯爆炸 釀3死", 1, CLASS_ORDINARY, "较大",
	     "区应急局", 0},
	    {"九龙岗镇瓦斯爆炸 遇难人数升至十二人", 1, CLASS_MAJOR, "重大",
	     "区应急局", 0},
	    /* no figures: the policy decides */
	    {"大通区一煤矿发生瓦斯爆炸", 1, CLASS_MAJOR, "unknown", "区应急局",
	     0},
	    {"大通区一煤矿发生瓦斯爆炸", 1, CLASS_ORDINARY, "unknown",
	     "区应急局", 1},
	    /* an official label grades without figures */
	    {"大通区发生重大瓦斯爆炸事故", 1, CLASS_MAJOR, "重大", "区应急局",
	     1},
	    /* a drill vetoes the emergency match */
	    {"九龙岗镇开展瓦斯爆炸应急演练", 1, CLASS_NONE, "unknown", "-", 0},
	    /* namesakes and ambiguous terms */
	    {"西宁市大通县发生洪水", 0, CLASS_MAJOR, "unknown", "区应急局", 0},
	    {"淮南大通发生内涝", 1, CLASS_MAJOR, "unknown", "区应急局", 0},
	    {"大通发生内涝，距离很远的淮南", 0, CLASS_MAJOR, "unknown",
	     "区应急局", 0},
	    {"大通区某工地讨薪", 1, CLASS_ORDINARY, "unknown", "区人社局", 0},
	    {"今天天气晴", 0, CLASS_NONE, "unknown", "-", 0},
	};
	struct config_errors errs = {0};
	struct config *conf;
	struct ruleset *rs;
	struct classification c;
	size_t i;

	(void)state;
	rs = load(test_rules, &conf, &errs);
	assert_non_null(rs);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		conf->classify.no_figures = t[i].no_figures_ordinary
		                                ? CONF_CLASS_ORDINARY
		                                : CONF_CLASS_MAJOR;
		classify_text(rs, &conf->classify, t[i].text, 0, &c);
		print_message("%zu: %s -> in=%d %s %s\n", i, t[i].text,
		              c.in_jurisdiction, class_name(c.cls),
		              grade_name(c.grade));
		assert_int_equal(c.in_jurisdiction, t[i].in);
		assert_int_equal(c.cls, t[i].cls);
		assert_string_equal(grade_name(c.grade), t[i].grade);
		assert_string_equal(c.ndepartments ? c.departments[0] : "-",
		                    t[i].dept);
		classification_clear(&c);
	}
	/* a local feed is in the jurisdiction whatever it says */
	classify_text(rs, &conf->classify, "某工地讨薪", 1, &c);
	assert_int_equal(c.in_jurisdiction, 1);
	classification_clear(&c);
	rules_free(rs);
	config_free(conf);
	unlink(rules_path);
}

/* A catastrophic pattern hits the match limit: no match, quickly. */
static void
test_catastrophic_pattern(void **state)
{
	struct config_errors errs = {0};
	struct config *conf;
	struct ruleset *rs;
	struct classification c;
	char text[200];
	clock_t t0;

	(void)state;
	rs = load(test_rules, &conf, &errs);
	assert_non_null(rs);
	memset(text, 'a', sizeof(text) - 2);
	text[sizeof(text) - 2] = 'b';
	text[sizeof(text) - 1] = '\0';
	t0 = clock();
	classify_text(rs, &conf->classify, text, 0, &c);
	assert_true((double)(clock() - t0) / CLOCKS_PER_SEC < 5.0);
	assert_int_equal(c.cls, CLASS_NONE);
	assert_true(rs->limit_hits >= 1);
	classification_clear(&c);
	rules_free(rs);
	config_free(conf);
	unlink(rules_path);
}

/* Rule-file mistakes are errors with file:line, all of them. */
static void
test_rule_file_errors(void **state)
{
	static const char bad[] =
	    "rules = (\n"
	    "  { id = \"a\"; pattern = \"(unclosed\"; class = \"major\";\n"
	    "    category = \"事故灾难\"; domain = \"安全生产\"; },\n"
	    "  { id = \"a\"; pattern = \"x\"; class = \"urgent\";\n"
	    "    category = \"灾难\"; domain = \"nowhere\"; colour = 1; }\n"
	    ");\n"
	    "routing = ( { domain = \"安全生产\"; departments = [ \"d\" ]; } "
	    ");\n"
	    "bogus = 1;\n";
	static const char *const want[] = {
	    ":2: rules[0].pattern: cannot compile at offset 9: missing "
	    "closing parenthesis",
	    ":5: rules[1]: 'colour': unknown key",
	    ":4: rule 'a': domain 'nowhere' is not in any routing table",
	    ":4: rules[1].class: 'urgent' is not 'major' or 'ordinary'",
	    ":5: rules[1].category: unknown category '灾难'",
	    ":8: 'bogus': unknown section",
	};
	struct config_errors errs = {0};
	struct config *conf;
	struct ruleset *rs;
	size_t i, k;

	(void)state;
	rs = load(bad, &conf, &errs);
	assert_null(rs);
	for (i = 0; i < errs.n; i++)
		print_message("%s\n", errs.v[i]);
	for (k = 0; k < sizeof(want) / sizeof(want[0]); k++) {
		int found = 0;

		for (i = 0; i < errs.n; i++)
			found |= strstr(errs.v[i], want[k]) != NULL &&
			         strncmp(errs.v[i], rules_path,
			                 strlen(rules_path)) == 0;
		assert_true(found);
	}
	config_errors_clear(&errs);
	config_free(conf);
	unlink(rules_path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_decisions),
	    cmocka_unit_test(test_catastrophic_pattern),
	    cmocka_unit_test(test_rule_file_errors),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	classify_shutdown();
	return rc;
}
