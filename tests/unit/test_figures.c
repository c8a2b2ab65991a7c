/*
 * Unit tests for monitor/figures.c: casualty and loss figures read from
 * news sentences, merging across items, and the official grading tables
 * at their boundaries.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "monitor/monitor.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

#define D FIG_DEATHS
#define M FIG_MISSING
#define T FIG_TRAPPED
#define I FIG_INJURED
#define S FIG_SERIOUS
#define R FIG_RESCUED
#define P FIG_POISONED
#define E FIG_EVACUATED
#define Q FIG_PARTICIPANTS
#define L FIG_LOSS

#define UNK GRADE_UNKNOWN

struct want {
	unsigned bit;
	int64_t v;
};

/* The field a FIG_* bit names. */
static int64_t
field(const struct figures *f, unsigned bit)
{
	switch (bit) {
	case D:
		return f->deaths;
	case M:
		return f->missing;
	case T:
		return f->trapped;
	case I:
		return f->injured;
	case S:
		return f->serious;
	case R:
		return f->rescued;
	case P:
		return f->poisoned;
	case E:
		return f->evacuated;
	case Q:
		return f->participants;
	case L:
		return f->loss_yuan;
	}
	fail_msg("bad bit %#x", bit);
	return -1;
}

/* Check that f holds exactly the figures in w (terminated by bit 0). */
static void
check_figures(const char *what, const struct figures *f, const struct want *w,
              size_t nw)
{
	unsigned expect = 0;
	size_t k;

	for (k = 0; k < nw && w[k].bit != 0; k++) {
		expect |= w[k].bit;
		if (!(f->found & w[k].bit) || field(f, w[k].bit) != w[k].v) {
			print_error("%s: bit %#x: want %lld, got %lld (found "
			            "%#x)\n",
			            what, w[k].bit, (long long)w[k].v,
			            (long long)field(f, w[k].bit), f->found);
			fail();
		}
	}
	if (f->found != expect) {
		print_error("%s: found %#x, want %#x (evidence '%s')\n", what,
		            f->found, expect, f->evidence);
		fail();
	}
}

/* Sentences, the figures read, and the grade on a scale. */
static void
test_read_table(void **state)
{
	static const struct {
		const char *text;
		const char *scale;
		enum grade g;
		struct want w[4];
		const char *ev; /* must be in the evidence; NULL: not checked */
	} t[] = {
	    /* deaths, every order */
	    {"事故造成3人死亡、2人受伤。",
	     NULL,
	     GRADE_III,
	     {{D, 3}, {I, 2}},
	     "3人死亡; 2人受伤"},
	    {"经初步核查,死亡3人,受伤2人。",
	     NULL,
	     GRADE_III,
	     {{D, 3}, {I, 2}},
	     "死亡3人; 受伤2人"},
	    {"事故共造成死亡3人受伤2人",
	     NULL,
	     GRADE_III,
	     {{D, 3}, {I, 2}},
	     NULL},
	    {"事故已造成3人死亡2人受伤",
	     NULL,
	     GRADE_III,
	     {{D, 3}, {I, 2}},
	     NULL},
	    {"淮南一煤矿发生事故 致3死2伤",
	     NULL,
	     GRADE_III,
	     {{D, 3}, {I, 2}},
	     "3死; 2伤"},
	    {"G206国道大通段两车相撞致5死", NULL, GRADE_III, {{D, 5}}, "5死"},
	    {"3死2伤!大通区一民房发生火灾",
	     NULL,
	     GRADE_III,
	     {{D, 3}, {I, 2}},
	     NULL},
	    {"截至28日6时,遇难人数升至十二人。",
	     NULL,
	     GRADE_II,
	     {{D, 12}},
	     "遇难人数升至十二人"},
	    {"爆炸事故已致12人遇难", NULL, GRADE_II, {{D, 12}}, "12人遇难"},
	    {"洛河镇透水事故12人遇难", NULL, GRADE_II, {{D, 12}}, NULL},
	    {"遇难者增至12名", NULL, GRADE_II, {{D, 12}}, "遇难者增至12名"},
	    {"井下瓦斯爆炸,3名矿工死亡",
	     NULL,
	     GRADE_III,
	     {{D, 3}},
	     "3名矿工死亡"},
	    {"死亡人数上升到15人",
	     NULL,
	     GRADE_II,
	     {{D, 15}},
	     "死亡人数上升到15人"},
	    {"3人不幸身亡", NULL, GRADE_III, {{D, 3}}, NULL},
	    {"2人不幸罹难", NULL, GRADE_IV, {{D, 2}}, NULL},
	    {"火灾造成38人死亡、2人受伤",
	     NULL,
	     GRADE_I,
	     {{D, 38}, {I, 2}},
	     NULL},
	    {"两人死亡", NULL, GRADE_IV, {{D, 2}}, NULL},
	    {"母子俩遇难", NULL, GRADE_IV, {{D, 2}}, NULL},
	    {"两车相撞致一死两伤", NULL, GRADE_IV, {{D, 1}, {I, 2}}, NULL},
	    {"2名消防员在救援中牺牲", NULL, GRADE_IV, {{D, 2}}, NULL},
	    {"1名58岁男子死亡", NULL, GRADE_IV, {{D, 1}}, NULL},
	    {"3人经抢救无效死亡", NULL, GRADE_III, {{D, 3}}, NULL},
	    {"死亡人数十二人", NULL, GRADE_II, {{D, 12}}, NULL},
	    {"死亡人数升至15,另有3人下落不明",
	     NULL,
	     GRADE_II,
	     {{D, 15}, {M, 3}},
	     NULL},
	    {"近30人死亡", NULL, GRADE_II, {{D, 29}}, NULL},
	    {"最近3人死亡", NULL, GRADE_III, {{D, 3}}, NULL},
	    {"截至目前,事故已造成二十三人死亡",
	     NULL,
	     GRADE_II,
	     {{D, 23}},
	     NULL},
	    {"造成29人死亡", NULL, GRADE_II, {{D, 29}}, NULL},
	    {"造成30人死亡", NULL, GRADE_I, {{D, 30}}, NULL},
	    {"造成9人死亡", NULL, GRADE_III, {{D, 9}}, NULL},
	    {"造成10人死亡", NULL, GRADE_II, {{D, 10}}, NULL},
	    /* injuries */
	    {"另有2人受伤", NULL, GRADE_IV, {{I, 2}}, NULL},
	    {"受伤2人", NULL, GRADE_IV, {{I, 2}}, NULL},
	    {"二十余人受伤", NULL, GRADE_IV, {{I, 20}}, NULL},
	    {"爆燃致2伤", NULL, GRADE_IV, {{I, 2}}, NULL},
	    {"一百零五人受伤", NULL, GRADE_IV, {{I, 105}}, NULL},
	    {"其中3人重伤", NULL, GRADE_IV, {{I, 3}, {S, 3}}, NULL},
	    {"1人死亡,伤者中5人伤势较重",
	     NULL,
	     GRADE_IV,
	     {{D, 1}, {I, 5}, {S, 5}},
	     NULL},
	    {"共有48人受伤,其中重伤12人",
	     NULL,
	     GRADE_III,
	     {{I, 48}, {S, 12}},
	     NULL},
	    {"3名受伤人员伤势较重", NULL, GRADE_IV, {{I, 3}, {S, 3}}, NULL},
	    {"另有1人受轻伤", NULL, GRADE_IV, {{I, 1}}, NULL},
	    {"3人被送往医院救治,无生命危险", NULL, GRADE_IV, {{I, 3}}, NULL},
	    {"十几人受伤", NULL, GRADE_IV, {{I, 11}}, NULL},
	    {"数十人受伤", NULL, GRADE_IV, {{I, 20}}, NULL},
	    {"转移3名伤者", NULL, GRADE_IV, {{I, 3}}, NULL},
	    /* missing, trapped, rescued */
	    {"失联3人", NULL, GRADE_III, {{M, 3}}, NULL},
	    {"目前仍有3人失联", NULL, GRADE_III, {{M, 3}}, NULL},
	    {"下落不明2人", NULL, GRADE_IV, {{M, 2}}, NULL},
	    {"大通区一煤矿透水 9人被困", NULL, GRADE_III, {{T, 9}}, NULL},
	    {"被困井下9人", NULL, GRADE_III, {{T, 9}}, "被困井下9人"},
	    {"井下仍有3人被困", NULL, GRADE_III, {{T, 3}}, NULL},
	    {"5人获救", NULL, UNK, {{R, 5}}, NULL},
	    {"已升井7人", NULL, UNK, {{R, 7}}, "升井7人"},
	    {"5名被困矿工全部获救", NULL, UNK, {{R, 5}}, NULL},
	    {"被困的3人获救", NULL, UNK, {{R, 3}}, NULL},
	    {"救出3名被困人员", NULL, UNK, {{R, 3}}, NULL},
	    {"失联人员3人已确认遇难", NULL, GRADE_III, {{D, 3}}, NULL},
	    {"事故发生时井下共有作业人员103人,其中90人安全升井,13人被困",
	     NULL,
	     GRADE_II,
	     {{R, 90}, {T, 13}},
	     NULL},
	    {"目前已有8人获救,仍有5人被困",
	     NULL,
	     GRADE_III,
	     {{R, 8}, {T, 5}},
	     NULL},
	    {"截至目前,事故已造成21人死亡、3人失联",
	     NULL,
	     GRADE_II,
	     {{D, 21}, {M, 3}},
	     NULL},
	    /* toll = deaths + missing + trapped */
	    {"1人死亡,1人失联,1人被困",
	     NULL,
	     GRADE_III,
	     {{D, 1}, {M, 1}, {T, 1}},
	     NULL},
	    /* poisoned */
	    {"30余人中毒", "food", GRADE_IV, {{P, 30}}, NULL},
	    {"中毒人数达50人", "food", GRADE_IV, {{P, 50}}, NULL},
	    {"中毒人数达50人", NULL, GRADE_II, {{P, 50}}, NULL},
	    {"该校112名学生食物中毒", "food", GRADE_III, {{P, 112}}, NULL},
	    {"30余名学生出现呕吐、腹泻等症状",
	     "food",
	     GRADE_IV,
	     {{P, 30}},
	     NULL},
	    {"近百人中毒,1人死亡", "food", GRADE_III, {{P, 99}, {D, 1}}, NULL},
	    {"120人中毒,其中2人死亡",
	     "food",
	     GRADE_II,
	     {{P, 120}, {D, 2}},
	     NULL},
	    /* evacuated */
	    {"转移安置1.2万人", "environment", GRADE_II, {{E, 12000}}, NULL},
	    {"疏散群众3000余人", "environment", GRADE_IV, {{E, 3000}}, NULL},
	    {"紧急转移5000人", "environment", GRADE_III, {{E, 5000}}, NULL},
	    {"累计转移安置受灾群众2.3万人",
	     "natural_national",
	     GRADE_IV,
	     {{E, 23000}},
	     NULL},
	    {"紧急避险转移群众5600余人", "geology", GRADE_I, {{E, 5600}}, NULL},
	    {"12,000人紧急转移", "environment", GRADE_II, {{E, 12000}}, NULL},
	    {"被困群众300余人已全部转移", NULL, UNK, {{E, 300}}, NULL},
	    /* participants */
	    {"聚集200余人", "mass", GRADE_III, {{Q, 200}}, NULL},
	    {"数百人聚集", "mass", GRADE_III, {{Q, 200}}, NULL},
	    {"上千人围堵区政府", "mass", GRADE_II, {{Q, 1000}}, NULL},
	    {"约300名村民聚集在镇政府门口",
	     "mass",
	     GRADE_III,
	     {{Q, 300}},
	     NULL},
	    {"百余名工人聚集讨薪", "mass", GRADE_III, {{Q, 100}}, NULL},
	    {"逾五千人聚集", "mass", GRADE_I, {{Q, 5000}}, NULL},
	    /* loss */
	    {"直接经济损失1.2亿元",
	     NULL,
	     GRADE_I,
	     {{L, 120000000}},
	     "损失1.2亿元"},
	    {"经济损失约3000余万元", NULL, GRADE_III, {{L, 30000000}}, NULL},
	    {"损失5000万元", NULL, GRADE_II, {{L, 50000000}}, NULL},
	    {"直接经济损失1亿元", NULL, GRADE_I, {{L, 100000000}}, NULL},
	    {"直接经济损失9999万元", NULL, GRADE_II, {{L, 99990000}}, NULL},
	    {"造成直接经济损失300万元", NULL, GRADE_IV, {{L, 3000000}}, NULL},
	    {"造成直接经济损失300万元",
	     "geology",
	     GRADE_III,
	     {{L, 3000000}},
	     NULL},
	    {"损失上千万元", NULL, GRADE_III, {{L, 10000000}}, NULL},
	    {"造成直接经济损失1.2亿元人民币",
	     NULL,
	     GRADE_I,
	     {{L, 120000000}},
	     NULL},
	    {"直接经济损失初步估算约为2000万元",
	     "environment",
	     GRADE_II,
	     {{L, 20000000}},
	     NULL},
	    {"直接经济损失超亿元", NULL, GRADE_I, {{L, 100000000}}, NULL},
	    {"造成约3千万元直接经济损失",
	     NULL,
	     GRADE_III,
	     {{L, 30000000}},
	     NULL},
	    /* false reads: dates, ages, other things, ids, statistics */
	    {"2026年11月27日7时许,大通区洛河镇一煤矿发生透水事故",
	     NULL,
	     UNK,
	     {{0, 0}},
	     ""},
	    {"27日凌晨,58岁的王某在家中", NULL, UNK, {{0, 0}}, ""},
	    {"3辆车相撞,2个村受灾,持续12小时", NULL, UNK, {{0, 0}}, ""},
	    {"3号井发生事故,第3次通报", NULL, UNK, {{0, 0}}, ""},
	    {"排名第3名", NULL, UNK, {{0, 0}}, ""},
	    {"举报电话0554-6661234,热线12345", NULL, UNK, {{0, 0}}, ""},
	    {"今年共接待群众1200人次", NULL, UNK, {{0, 0}}, ""},
	    {"全区1.2万人口", NULL, UNK, {{0, 0}}, ""},
	    {"全国共发生事故3起,死亡5人,同比下降", NULL, UNK, {{0, 0}}, ""},
	    {"今年以来,全区共发生生产安全事故12起,死亡10人。",
	     NULL,
	     UNK,
	     {{0, 0}},
	     ""},
	    {"近期接连发生3起事故,共造成5人死亡", NULL, UNK, {{0, 0}}, ""},
	    {"遇难者年龄在20至60岁之间", NULL, UNK, {{0, 0}}, ""},
	    {"出动消防车12辆、消防员60余人", NULL, UNK, {{0, 0}}, ""},
	    {"农作物受灾面积3万亩,倒塌房屋120间", NULL, UNK, {{0, 0}}, ""},
	    {"该矿年产煤300万吨", NULL, UNK, {{0, 0}}, ""},
	    {"总投资3亿元,罚款50万元", NULL, UNK, {{0, 0}}, ""},
	    {"挽回经济损失300万元", NULL, UNK, {{0, 0}}, ""},
	    {"造成3人伤亡", NULL, UNK, {{0, 0}}, ""},
	    {"多人受伤", NULL, UNK, {{0, 0}}, ""},
	    {"未造成人员伤亡", NULL, UNK, {{0, 0}}, ""},
	    {"万一人员被困怎么办", NULL, UNK, {{0, 0}}, ""},
	    {"统一转移安置", NULL, UNK, {{0, 0}}, ""},
	    {"大通万人坑教育馆", NULL, UNK, {{0, 0}}, ""},
	    {"涉事企业拖欠200多名工人工资", NULL, UNK, {{0, 0}}, ""},
	    {"3人死亡,200余名救援人员赶赴现场",
	     NULL,
	     GRADE_III,
	     {{D, 3}},
	     NULL},
	    {"一起事故造成5人死亡", NULL, GRADE_III, {{D, 5}}, NULL},
	    {"", NULL, UNK, {{0, 0}}, ""},
	};
	struct figures f;
	enum grade g;
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(t); i++) {
		char what[64];

		snprintf(what, sizeof(what), "row %zu", i);
		memset(&f, 0, sizeof(f));
		figures_read(t[i].text, &f);
		print_message("%zu: '%s' -> found %#x '%s'\n", i, t[i].text,
		              f.found, f.evidence);
		check_figures(what, &f, t[i].w, NELEM(t[i].w));
		g = figures_grade(&f, t[i].scale);
		if (g != t[i].g) {
			print_error("row %zu: grade %s, want %s\n", i,
			            grade_name(g), grade_name(t[i].g));
			fail();
		}
		if (t[i].ev != NULL && t[i].ev[0] == '\0')
			assert_string_equal(f.evidence, "");
		else if (t[i].ev != NULL)
			assert_non_null(strstr(f.evidence, t[i].ev));
	}
}

/* The toll of an incident is the largest figure seen across its items. */
static void
test_read_merges(void **state)
{
	struct figures f;

	(void)state;
	memset(&f, 0, sizeof(f));
	figures_read("大通区一煤矿发生瓦斯爆炸,3人死亡", &f);
	assert_int_equal(f.deaths, 3);
	assert_int_equal(figures_grade(&f, "production"), GRADE_III);
	figures_read("截至今晨,遇难人数升至十二人", &f);
	assert_int_equal(f.deaths, 12);
	assert_int_equal(figures_grade(&f, "production"), GRADE_II);
	assert_string_equal(f.evidence, "3人死亡; 遇难人数升至十二人");
	/* a smaller figure in a later item never lowers the toll */
	figures_read("事故造成3人死亡", &f);
	assert_int_equal(f.deaths, 12);
	assert_string_equal(f.evidence, "3人死亡; 遇难人数升至十二人");
	/* trapped stay counted after some are rescued (not subtracted) */
	figures_read("9人被困井下", &f);
	figures_read("已有5人获救", &f);
	assert_int_equal(f.trapped, 9);
	assert_int_equal(f.rescued, 5);
	assert_int_equal(figures_grade(&f, NULL), GRADE_II);
	/* within one text: the largest figure */
	memset(&f, 0, sizeof(f));
	figures_read("事故初报2人死亡。最新消息,死亡人数升至10人。", &f);
	assert_int_equal(f.deaths, 10);
	assert_int_equal(figures_grade(&f, NULL), GRADE_II);
}

static void
test_merge(void **state)
{
	struct figures a, b;

	(void)state;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	figures_read("3人死亡,2人受伤", &a);
	figures_read("遇难人数升至12人,直接经济损失5000万元,2人受伤", &b);
	figures_merge(&a, &b);
	assert_int_equal(a.found, D | I | L);
	assert_int_equal(a.deaths, 12);
	assert_int_equal(a.injured, 2);
	assert_int_equal(a.loss_yuan, 50000000);
	assert_string_equal(a.evidence, "3人死亡; 2人受伤; 遇难人数升至12人; "
	                                "损失5000万元");
	/* merging again changes nothing */
	figures_merge(&a, &b);
	assert_string_equal(a.evidence, "3人死亡; 2人受伤; 遇难人数升至12人; "
	                                "损失5000万元");
	/* a found zero is kept as found */
	memset(&b, 0, sizeof(b));
	b.found = M;
	figures_merge(&a, &b);
	assert_int_equal(a.found, D | I | L | M);
	assert_int_equal(a.missing, 0);
	figures_merge(NULL, &b);
	figures_merge(&a, NULL);
}

/* The evidence is capped and never overflows, however many phrases. */
static void
test_evidence_cap(void **state)
{
	struct figures f, g;
	char text[256];
	int i;

	(void)state;
	memset(&f, 0, sizeof(f));
	for (i = 1; i <= 200; i++) {
		snprintf(text, sizeof(text), "造成%d人死亡", i);
		figures_read(text, &f);
		assert_true(strlen(f.evidence) < sizeof(f.evidence));
	}
	assert_int_equal(f.deaths, 200);
	assert_non_null(strstr(f.evidence, "1人死亡; 2人死亡"));
	memset(&g, 0, sizeof(g));
	for (i = 0; i < 20; i++) {
		figures_merge(&g, &f);
		assert_true(strlen(g.evidence) < sizeof(g.evidence));
	}
	/* a pre-filled evidence without a terminator is left alone */
	memset(&g, 'x', sizeof(g.evidence));
	g.found = 0;
	figures_read("3人死亡", &g);
	assert_int_equal(g.deaths, 3);
	assert_memory_equal(g.evidence, "xxxx", 4);
}

/* Every scale, each criterion, at the boundaries of its table. */
static void
test_grade_thresholds(void **state)
{
	static const struct {
		const char *scale;
		unsigned bit;
		int64_t v;
		enum grade g;
	} t[] = {
	    {"production", D, 0, GRADE_IV},
	    {"production", D, 2, GRADE_IV},
	    {"production", D, 3, GRADE_III},
	    {"production", D, 9, GRADE_III},
	    {"production", D, 10, GRADE_II},
	    {"production", D, 29, GRADE_II},
	    {"production", D, 30, GRADE_I},
	    {"production", M, 10, GRADE_II},
	    {"production", T, 30, GRADE_I},
	    {"production", S, 9, GRADE_IV},
	    {"production", S, 10, GRADE_III},
	    {"production", S, 49, GRADE_III},
	    {"production", S, 50, GRADE_II},
	    {"production", S, 99, GRADE_II},
	    {"production", S, 100, GRADE_I},
	    {"production", P, 50, GRADE_II},
	    {"production", I, 500, GRADE_IV},
	    {"production", L, 9999999, GRADE_IV},
	    {"production", L, 10000000, GRADE_III},
	    {"production", L, 49999999, GRADE_III},
	    {"production", L, 50000000, GRADE_II},
	    {"production", L, 99990000, GRADE_II},
	    {"production", L, 100000000, GRADE_I},
	    {"production", R, 50, UNK},
	    {"production", E, 50000, UNK},
	    {"production", Q, 5000, UNK},
	    {NULL, D, 30, GRADE_I},
	    {"no-such-scale", D, 10, GRADE_II},
	    {"environment", D, 2, GRADE_IV},
	    {"environment", D, 3, GRADE_III},
	    {"environment", D, 10, GRADE_II},
	    {"environment", D, 30, GRADE_I},
	    {"environment", P, 9, GRADE_IV},
	    {"environment", P, 10, GRADE_III},
	    {"environment", P, 50, GRADE_II},
	    {"environment", S, 100, GRADE_I},
	    {"environment", E, 4999, GRADE_IV},
	    {"environment", E, 5000, GRADE_III},
	    {"environment", E, 9999, GRADE_III},
	    {"environment", E, 10000, GRADE_II},
	    {"environment", E, 49999, GRADE_II},
	    {"environment", E, 50000, GRADE_I},
	    {"environment", L, 4999999, GRADE_IV},
	    {"environment", L, 5000000, GRADE_III},
	    {"environment", L, 19999999, GRADE_III},
	    {"environment", L, 20000000, GRADE_II},
	    {"environment", L, 99999999, GRADE_II},
	    {"environment", L, 100000000, GRADE_I},
	    {"environment", Q, 100, UNK},
	    {"geology", D, 2, GRADE_IV},
	    {"geology", D, 3, GRADE_III},
	    {"geology", D, 9, GRADE_III},
	    {"geology", D, 10, GRADE_II},
	    {"geology", D, 29, GRADE_II},
	    {"geology", D, 30, GRADE_I},
	    {"geology", L, 999999, GRADE_IV},
	    {"geology", L, 1000000, GRADE_III},
	    {"geology", L, 4999999, GRADE_III},
	    {"geology", L, 5000000, GRADE_II},
	    {"geology", L, 9999999, GRADE_II},
	    {"geology", L, 10000000, GRADE_I},
	    {"geology", E, 99, GRADE_IV},
	    {"geology", E, 100, GRADE_III},
	    {"geology", E, 500, GRADE_II},
	    {"geology", E, 1000, GRADE_I},
	    {"geology", I, 5, UNK},
	    {"food", P, 29, GRADE_IV},
	    {"food", P, 30, GRADE_IV},
	    {"food", P, 99, GRADE_IV},
	    {"food", P, 100, GRADE_III},
	    {"food", I, 100, GRADE_III},
	    {"food", D, 1, GRADE_III},
	    {"food", D, 9, GRADE_III},
	    {"food", D, 10, GRADE_II},
	    {"food", L, 100000000, UNK},
	    {"mass", Q, 99, GRADE_IV},
	    {"mass", Q, 100, GRADE_III},
	    {"mass", Q, 999, GRADE_III},
	    {"mass", Q, 1000, GRADE_II},
	    {"mass", Q, 4999, GRADE_II},
	    {"mass", Q, 5000, GRADE_I},
	    {"mass", D, 2, GRADE_IV},
	    {"mass", D, 3, GRADE_II},
	    {"mass", D, 9, GRADE_II},
	    {"mass", D, 10, GRADE_I},
	    {"mass", I, 9, GRADE_IV},
	    {"mass", I, 10, GRADE_II},
	    {"mass", I, 29, GRADE_II},
	    {"mass", I, 30, GRADE_I},
	    {"mass", L, 100000000, UNK},
	    {"natural_district", D, 2, GRADE_IV},
	    {"natural_district", D, 3, GRADE_III},
	    {"natural_district", D, 9, GRADE_III},
	    {"natural_district", D, 10, GRADE_II},
	    {"natural_district", D, 29, GRADE_II},
	    {"natural_district", D, 30, GRADE_I},
	    {"natural_district", M, 3, GRADE_III},
	    {"natural_district", E, 100000, UNK},
	    {"natural_national", D, 49, GRADE_IV},
	    {"natural_national", D, 50, GRADE_III},
	    {"natural_national", D, 99, GRADE_III},
	    {"natural_national", D, 100, GRADE_II},
	    {"natural_national", D, 199, GRADE_II},
	    {"natural_national", D, 200, GRADE_I},
	    {"natural_national", E, 499999, GRADE_IV},
	    {"natural_national", E, 500000, GRADE_III},
	    {"natural_national", E, 999999, GRADE_III},
	    {"natural_national", E, 1000000, GRADE_II},
	    {"natural_national", E, 1999999, GRADE_II},
	    {"natural_national", E, 2000000, GRADE_I},
	};
	static const char *const scales[] = {
	    "production", "environment",      "geology",          "food",
	    "mass",       "natural_district", "natural_national", NULL,
	};
	struct figures f;
	enum grade g;
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(t); i++) {
		memset(&f, 0, sizeof(f));
		f.found = t[i].bit;
		switch (t[i].bit) {
		case D:
			f.deaths = t[i].v;
			break;
		case M:
			f.missing = t[i].v;
			break;
		case T:
			f.trapped = t[i].v;
			break;
		case I:
			f.injured = t[i].v;
			break;
		case S:
			f.serious = t[i].v;
			break;
		case R:
			f.rescued = t[i].v;
			break;
		case P:
			f.poisoned = t[i].v;
			break;
		case E:
			f.evacuated = t[i].v;
			break;
		case Q:
			f.participants = t[i].v;
			break;
		case L:
			f.loss_yuan = t[i].v;
			break;
		}
		g = figures_grade(&f, t[i].scale);
		if (g != t[i].g) {
			print_error("%zu: %s %#x=%lld: %s, want %s\n", i,
			            t[i].scale ? t[i].scale : "NULL", t[i].bit,
			            (long long)t[i].v, grade_name(g),
			            grade_name(t[i].g));
			fail();
		}
	}
	/* nothing read: unknown on every scale */
	memset(&f, 0, sizeof(f));
	for (i = 0; i < NELEM(scales); i++)
		assert_int_equal(figures_grade(&f, scales[i]), GRADE_UNKNOWN);
	assert_int_equal(figures_grade(NULL, NULL), GRADE_UNKNOWN);
	/* any one criterion is enough; the highest grade wins */
	f.found = D | L;
	f.deaths = 1;
	f.loss_yuan = 150000000;
	assert_int_equal(figures_grade(&f, "production"), GRADE_I);
	/* food: 100 harmed with a death is 重大 */
	memset(&f, 0, sizeof(f));
	f.found = D | P;
	f.deaths = 1;
	f.poisoned = 100;
	assert_int_equal(figures_grade(&f, "food"), GRADE_II);
	/* deaths + missing + trapped */
	memset(&f, 0, sizeof(f));
	f.found = D | M | T;
	f.deaths = 5;
	f.missing = 3;
	f.trapped = 2;
	assert_int_equal(figures_grade(&f, "production"), GRADE_II);
	assert_int_equal(figures_grade(&f, "mass"), GRADE_I);
}

static void
test_grade_name(void **state)
{
	(void)state;
	assert_string_equal(grade_name(GRADE_I), "特别重大");
	assert_string_equal(grade_name(GRADE_II), "重大");
	assert_string_equal(grade_name(GRADE_III), "较大");
	assert_string_equal(grade_name(GRADE_IV), "一般");
	assert_string_equal(grade_name(GRADE_UNKNOWN), "unknown");
	assert_string_equal(grade_name((enum grade)42), "unknown");
}

/* Hostile input: NULL, cut UTF-8, huge and random texts stay bounded. */
static void
test_hostile(void **state)
{
	static const char *const odd[] = {
	    "\xe6\xad",                             /* cut 死 */
	    "3\xe4\xba",                            /* 3 and a cut 人 */
	    "3\xe4\xba\xba\xe6\xad",                /* 3人 and a cut 死 */
	    "\xe4\xb8\x87\xe4\xb8\x87\xe4\xb8\x87", /* 万万万 */
	    "\xe8\xbf\x91",                         /* 近 alone */
	    "\xe6\x95\xb0",                         /* 数 alone */
	    "99999999999999999999人死亡",           /* too many digits */
	    "9999999999亿元损失",
	    "损失999999999999999亿元",
	    "1.2.3.4人死亡",
	    "\xff\xfe\xfd\x33人死亡", /* bad bytes, then 3人死亡 */
	    "死亡人数",
	    "十十十十十十十十十十十十十十十十十十十十十十十十十十十十人死亡",
	    "一二三四五六七八九〇一二三四五六七八九〇一二三四五人死亡",
	};
	struct figures f;
	char *big;
	size_t i, n = 300 * 1024, len;
	uint32_t x = 12345;

	(void)state;
	memset(&f, 0, sizeof(f));
	figures_read(NULL, &f);
	assert_int_equal(f.found, 0);
	figures_read("3人死亡", NULL);
	for (i = 0; i < NELEM(odd); i++) {
		memset(&f, 0, sizeof(f));
		figures_read(odd[i], &f);
		assert_true(strlen(f.evidence) < sizeof(f.evidence));
		assert_true(f.deaths >= 0 && f.loss_yuan >= 0);
	}
	/* a long text: only the first 64 KiB are looked at */
	big = malloc(n + 1);
	assert_non_null(big);
	len = strlen("造成3人死亡,");
	for (i = 0; i + len <= n; i += len)
		memcpy(big + i, "造成3人死亡,", len);
	memset(big + i, ' ', n - i);
	big[n] = '\0';
	memcpy(big + n - strlen("造成99人死亡"), "造成99人死亡",
	       strlen("造成99人死亡"));
	memset(&f, 0, sizeof(f));
	figures_read(big, &f);
	assert_int_equal(f.deaths, 3);
	/* random bytes drawn from digits, numerals and keywords */
	for (i = 0; i < n; i++) {
		static const char alpha[] = "0123456789.,人名死伤亡元万亿十百"
		                            "千余近数上被困遇难升至第起同比 ";

		x = x * 1103515245u + 12345u;
		big[i] = alpha[(x >> 16) % (sizeof(alpha) - 1)];
	}
	big[n] = '\0';
	memset(&f, 0, sizeof(f));
	figures_read(big, &f);
	assert_true(strlen(f.evidence) < sizeof(f.evidence));
	free(big);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_read_table),
	    cmocka_unit_test(test_read_merges),
	    cmocka_unit_test(test_merge),
	    cmocka_unit_test(test_evidence_cap),
	    cmocka_unit_test(test_grade_thresholds),
	    cmocka_unit_test(test_grade_name),
	    cmocka_unit_test(test_hostile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
