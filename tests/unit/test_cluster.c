/*
 * Unit tests for monitor/cluster.c: the SimHash fingerprint (pinned
 * values, normalisation), the Hamming distance, the measured headline
 * tables that set the default threshold, and the index (add, find, update,
 * remove, expiry, keys, tie-breaks) checked against a brute-force scan on
 * 100,000 random entries.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "monitor/monitor.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

#define THRESHOLD CLUSTER_DEFAULT_DISTANCE
#define WINDOW    (72 * 3600 * 1000LL)

/* How two headlines relate. */
enum {
	PAIR_COPY,    /* one event, same wording: tags, punctuation, tolls */
	PAIR_REWRITE, /* one event, each outlet's own wording */
	PAIR_KIND,    /* different events of the same kind, elsewhere */
	PAIR_TOPIC,   /* different matters (often the same place) */
	PAIR_GROUPS
};

static const char *const pair_group_name[PAIR_GROUPS] = {
    "same event, copied", "same event, rewritten", "other event, same kind",
    "other matter"};

/* A pair of headlines and whether their distance is within THRESHOLD (as
 * measured; the comment gives the distance). */
struct headline_pair {
	const char *a, *b;
	int group;
	int within;
};

/* Headline variants of one event, as different outlets title it. */
static const struct headline_pair same_event[] = {
    {"九龙岗镇一煤矿发生瓦斯爆炸 3人死亡", "淮南大通区九龙岗煤矿瓦斯爆炸致3死",
     PAIR_REWRITE, 0}, /* 25 */
    {"淮南大通区九龙岗煤矿瓦斯爆炸致3死", "九龙岗镇煤矿爆炸事故已造成3人遇难",
     PAIR_REWRITE, 0}, /* 23 */
    {"九龙岗镇一煤矿发生瓦斯爆炸 3人死亡",
     "九龙岗镇一煤矿发生瓦斯爆炸 12人死亡", PAIR_COPY, 1}, /* 0 */
    {"九龙岗镇一煤矿发生瓦斯爆炸 3人死亡",
     "九龙岗镇一煤矿发生瓦斯爆炸 3人死亡 - 新华网", PAIR_COPY, 1}, /* 6 */
    {"九龙岗镇一煤矿发生瓦斯爆炸，3人死亡",
     "【快讯】九龙岗镇一煤矿发生瓦斯爆炸 3人死亡", PAIR_COPY, 1}, /* 3 */
    {"合肥蜀山区一化工厂发生火灾 无人员伤亡",
     "蜀山区一化工厂起火 消防出动20辆车扑救", PAIR_REWRITE, 0}, /* 33 */
    {"京港澳高速信阳段发生多车相撞事故 致5死8伤",
     "京港澳高速信阳段多车连环相撞 已致5人死亡", PAIR_REWRITE, 0}, /* 20 */
    {"郑州暴雨致地铁5号线停运 乘客被困车厢",
     "郑州地铁5号线因暴雨停运 部分乘客被困", PAIR_REWRITE, 0}, /* 23 */
    {"江西赣州一自建房倒塌 2人被困", "赣州自建房倒塌事故：被困2人已救出",
     PAIR_REWRITE, 0}, /* 24 */
    {"宁夏银川烧烤店燃气爆炸致31人死亡", "银川富洋烧烤店发生燃气爆炸 31人遇难",
     PAIR_REWRITE, 0}, /* 17 */
    {"四川泸定发生6.8级地震", "四川甘孜州泸定县发生6.8级地震 震源深度16千米",
     PAIR_REWRITE, 0}, /* 24 */
    {"湖南衡阳一烟花厂爆炸 致4死", "衡阳一烟花爆竹厂发生爆炸事故 4人死亡",
     PAIR_REWRITE, 0}, /* 21 */
    {"黄河兰州段一游船侧翻 6人落水", "兰州黄河游船侧翻事故 落水6人已全部获救",
     PAIR_REWRITE, 0}, /* 24 */
    {"福州鼓楼区一小区居民楼起火", "福州鼓楼一居民楼突发火灾 消防紧急处置",
     PAIR_REWRITE, 0}, /* 32 */
    {"重庆綦江山体滑坡掩埋民房 3人失联", "綦江区发生山体滑坡 3名村民失联",
     PAIR_REWRITE, 0}, /* 16 */
    {"贵州六盘水隧道塌方 9人被困", "六盘水一在建隧道发生塌方 被困9人",
     PAIR_REWRITE, 0}, /* 24 */
    {"山东日照一化工厂泄漏 周边居民紧急疏散",
     "日照一化工企业发生泄漏 疏散周边群众", PAIR_REWRITE, 0}, /* 23 */
    {"天津港一仓库发生火灾爆炸", "天津港仓库爆炸起火 现场浓烟滚滚",
     PAIR_REWRITE, 0}, /* 34 */
    {"广州白云区一工地塔吊倒塌 致2人死亡", "白云区一工地塔吊倒塌事故造成2死",
     PAIR_REWRITE, 0}, /* 19 */
    {"深圳光明新区发生山体滑坡", "深圳光明新区渣土受纳场滑坡 多栋建筑被掩埋",
     PAIR_REWRITE, 0}, /* 28 */
    {"杭州一小区地下车库进水 多车被淹", "杭州一小区地下车库被淹 上百辆车泡水",
     PAIR_REWRITE, 0}, /* 15 */
    {"河南平顶山一养老院火灾致38死", "平顶山鲁山县一养老院发生火灾 38人遇难",
     PAIR_REWRITE, 0}, /* 31 */
    {"江苏响水化工园区爆炸 死亡人数升至78人",
     "响水化工园区爆炸事故已致78人死亡", PAIR_REWRITE, 0}, /* 27 */
    {"湖北十堰燃气爆炸致25人死亡", "十堰张湾区艳湖社区燃气爆炸 死亡25人",
     PAIR_REWRITE, 0}, /* 27 */
    {"上海浦东一居民楼发生火灾 1人受伤", "浦东新区一居民楼起火 一人受伤送医",
     PAIR_REWRITE, 0}, /* 26 */
    {"吉林长春一商场起火 消防全力扑救", "长春市一商场突发大火 暂无人员伤亡报告",
     PAIR_REWRITE, 0}, /* 23 */
    {"云南昆明一小学发生踩踏事件", "昆明盘龙区一小学踩踏事故 多名学生受伤",
     PAIR_REWRITE, 0}, /* 21 */
    {"新疆昌吉一煤矿透水 21人被困", "昌吉州硫磺沟煤矿发生透水事故 被困21人",
     PAIR_REWRITE, 0}, /* 19 */
    {"山西太原一网吧发生火灾", "太原市一网吧突发火灾 消防救出多人",
     PAIR_REWRITE, 0}, /* 34 */
    {"武汉长江大桥一车辆坠江", "武汉长江大桥发生车辆坠江事故 司机被救起",
     PAIR_REWRITE, 0}, /* 23 */
    {"广东梅大高速茶阳路段塌方 致48人死亡",
     "梅大高速茶阳路段塌方灾害已致48人遇难", PAIR_REWRITE, 0}, /* 16 */
    {"安徽淮南一化工厂氯气泄漏 多人中毒",
     "淮南一化工厂氯气泄漏事故致多人中毒送医", PAIR_REWRITE, 0}, /* 17 */
    {"西安地铁3号线故障停运 大量乘客滞留", "西安地铁3号线突发故障 乘客滞留站台",
     PAIR_REWRITE, 0}, /* 12 */
    {"辽宁大连一居民楼燃气爆炸 致3死", "大连一居民楼发生燃气爆炸 3人不幸身亡",
     PAIR_REWRITE, 0}, /* 18 */
    {"北京朝阳区一建筑工地发生坍塌", "朝阳区一建筑工地坍塌事故 2名工人被埋",
     PAIR_REWRITE, 0}, /* 20 */
    {"青岛黄岛输油管道爆炸", "青岛黄岛区输油管道泄漏引发爆炸 死伤多人",
     PAIR_REWRITE, 0}, /* 22 */
    {"淮南一化工厂氯气泄漏 多人中毒", "淮南一化工厂氯气泄漏 多人中毒（图）",
     PAIR_COPY, 1}, /* 5 */
    {"突发！银川一烧烤店发生燃气爆炸", "银川一烧烤店发生燃气爆炸", PAIR_COPY,
     1}, /* 6 */
    {"视频｜京港澳高速信阳段多车相撞", "京港澳高速信阳段多车相撞", PAIR_COPY,
     0}, /* 10 */
    {"梅大高速茶阳路段塌方 已致24人死亡", "梅大高速茶阳路段塌方 已致48人死亡",
     PAIR_COPY, 1}, /* 0 */
    {"最新！响水化工园区爆炸已致64人死亡", "响水化工园区爆炸已致78人死亡",
     PAIR_COPY, 0}, /* 10 */
    {"泸定6.8级地震已造成46人遇难", "泸定6.8级地震已造成93人遇难 25人失联",
     PAIR_COPY, 0}, /* 9 */
    {"十堰张湾区艳湖社区燃气爆炸 死亡25人_新浪新闻",
     "十堰张湾区艳湖社区燃气爆炸 死亡25人 - 人民网", PAIR_COPY, 0}, /* 13 */
    {"郑州地铁5号线因暴雨停运 部分乘客被困",
     "郑州地铁5号线因暴雨停运，部分乘客被困车厢内", PAIR_COPY, 0}, /* 12 */
    {"平顶山鲁山县一养老院发生火灾 38人遇难",
     "河南平顶山鲁山县一养老院发生火灾，38人遇难", PAIR_COPY, 0}, /* 8 */
    {"昌吉州硫磺沟煤矿发生透水事故 被困21人",
     "昌吉州硫磺沟煤矿透水事故被困21人 救援正在进行", PAIR_COPY, 0}, /* 16 */
    {"綦江区发生山体滑坡 3名村民失联", "重庆綦江区发生山体滑坡 3名村民失联",
     PAIR_COPY, 1}, /* 3 */
    {"六盘水一在建隧道发生塌方 被困9人",
     "六盘水一在建隧道发生塌方，被困9人已救出3人", PAIR_COPY, 0}, /* 10 */
};

/* Headlines of different events. */
static const struct headline_pair other_event[] = {
    {"九龙岗镇一煤矿发生瓦斯爆炸 3人死亡", "山西吕梁一煤矿发生瓦斯爆炸 5人死亡",
     PAIR_KIND, 0}, /* 16 */
    {"九龙岗镇一煤矿发生瓦斯爆炸 3人死亡", "潘集区一煤矿发生瓦斯爆炸 2人死亡",
     PAIR_KIND, 0}, /* 13 */
    {"合肥蜀山区一化工厂发生火灾 无人员伤亡",
     "南京江北新区一化工厂发生火灾 无人员伤亡", PAIR_KIND, 0}, /* 20 */
    {"郑州暴雨致地铁5号线停运 乘客被困车厢",
     "西安地铁3号线故障停运 大量乘客滞留", PAIR_KIND, 0}, /* 28 */
    {"湖南衡阳一烟花厂爆炸 致4死", "江西萍乡一烟花厂爆炸 致2死", PAIR_KIND,
     0}, /* 21 */
    {"京港澳高速信阳段发生多车相撞事故 致5死8伤",
     "沪昆高速贵阳段发生多车相撞事故 致3死", PAIR_KIND, 0}, /* 14 */
    {"宁夏银川烧烤店燃气爆炸致31人死亡", "辽宁大连一居民楼燃气爆炸 致3死",
     PAIR_KIND, 0}, /* 25 */
    {"湖北十堰燃气爆炸致25人死亡", "河北燕郊燃气爆炸致7人死亡", PAIR_KIND,
     0}, /* 17 */
    {"江西赣州一自建房倒塌 2人被困", "湖南长沙一自建房倒塌 多人被困", PAIR_KIND,
     0}, /* 28 */
    {"福州鼓楼区一小区居民楼起火", "厦门思明区一小区居民楼起火", PAIR_KIND,
     0}, /* 12 */
    {"重庆綦江山体滑坡掩埋民房 3人失联", "四川汉源山体滑坡掩埋民房 9人失联",
     PAIR_KIND, 0}, /* 11 */
    {"贵州六盘水隧道塌方 9人被困", "云南大理隧道塌方 12人被困", PAIR_KIND,
     0}, /* 26 */
    {"广州白云区一工地塔吊倒塌 致2人死亡", "佛山南海区一工地塔吊倒塌 致1人死亡",
     PAIR_KIND, 0}, /* 9 */
    {"新疆昌吉一煤矿透水 21人被困", "山东平邑一石膏矿坍塌 29人被困", PAIR_KIND,
     0}, /* 38 */
    {"上海浦东一居民楼发生火灾 1人受伤", "上海静安一高层住宅发生火灾 58人遇难",
     PAIR_KIND, 0}, /* 26 */
    {"杭州一小区地下车库进水 多车被淹", "宁波一小区地下车库进水 多车被淹",
     PAIR_KIND, 0}, /* 10 */
    {"九龙岗镇一煤矿发生瓦斯爆炸 3人死亡", "淮南市召开安全生产工作会议",
     PAIR_TOPIC, 0}, /* 31 */
    {"淮南大通区九龙岗煤矿瓦斯爆炸致3死", "淮南大通区举办第五届文化旅游节",
     PAIR_TOPIC, 0}, /* 24 */
    {"郑州暴雨致地铁5号线停运 乘客被困车厢", "郑州地铁12号线正式开通运营",
     PAIR_TOPIC, 0}, /* 24 */
    {"杭州一小区地下车库进水 多车被淹", "杭州亚运会志愿者招募工作启动",
     PAIR_TOPIC, 0}, /* 33 */
    {"合肥蜀山区一化工厂发生火灾 无人员伤亡", "合肥蜀山区新增三所公办幼儿园",
     PAIR_TOPIC, 0}, /* 20 */
    {"天津港一仓库发生火灾爆炸", "天津港集装箱吞吐量创历史新高", PAIR_TOPIC,
     0}, /* 27 */
    {"西安地铁3号线故障停运 大量乘客滞留", "西安发布暴雨橙色预警 市民减少外出",
     PAIR_TOPIC, 0}, /* 29 */
    {"武汉长江大桥一车辆坠江", "武汉长江大桥迎来建成通车纪念日", PAIR_TOPIC,
     0}, /* 26 */
    {"四川泸定发生6.8级地震", "四川泸定县推进乡村振兴重点项目", PAIR_TOPIC,
     0}, /* 26 */
    {"平顶山鲁山县一养老院发生火灾 38人遇难",
     "平顶山市开展养老机构消防安全大检查", PAIR_TOPIC, 0}, /* 27 */
    {"银川富洋烧烤店发生燃气爆炸 31人遇难", "银川市烧烤夜市经济持续升温",
     PAIR_TOPIC, 0}, /* 31 */
    {"九龙岗镇一煤矿发生瓦斯爆炸 3人死亡", "全国夏粮收购进度过半", PAIR_TOPIC,
     0}, /* 27 */
    {"京港澳高速信阳段发生多车相撞事故 致5死8伤",
     "央行宣布下调存款准备金率0.25个百分点", PAIR_TOPIC, 0}, /* 35 */
    {"湖南衡阳一烟花厂爆炸 致4死", "衡阳市第一中学高考喜报", PAIR_TOPIC,
     0}, /* 33 */
    {"黄河兰州段一游船侧翻 6人落水", "甘肃省人大常委会召开第十次会议",
     PAIR_TOPIC, 0}, /* 28 */
    {"江苏响水化工园区爆炸 死亡人数升至78人", "江苏省出台稳就业二十条措施",
     PAIR_TOPIC, 0}, /* 32 */
    {"深圳光明新区发生山体滑坡", "深圳光明科学城一批重大项目集中开工",
     PAIR_TOPIC, 0}, /* 29 */
    {"云南昆明一小学发生踩踏事件", "昆明一小学举行新学期开学典礼", PAIR_TOPIC,
     0}, /* 30 */
    {"吉林长春一商场起火 消防全力扑救", "长春一商场开展消防应急疏散演练",
     PAIR_TOPIC, 0}, /* 18 */
    {"青岛黄岛输油管道爆炸", "青岛港原油码头迎来今年第一百艘油轮", PAIR_TOPIC,
     0}, /* 30 */
    {"福州鼓楼区一小区居民楼起火", "福州台江区一小区居民楼起火", PAIR_KIND,
     0}, /* 7 */
    {"淮南一化工厂氯气泄漏 多人中毒", "淮北一化工厂氯气泄漏 多人中毒",
     PAIR_KIND, 0}, /* 11 */
    {"大连一居民楼发生燃气爆炸 3人不幸身亡",
     "沈阳一居民楼发生燃气爆炸 3人不幸身亡", PAIR_KIND, 0}, /* 14 */
    {"六盘水一在建隧道发生塌方 被困9人", "遵义一在建隧道发生塌方 被困9人",
     PAIR_KIND, 0}, /* 15 */
    {"衡阳一烟花爆竹厂发生爆炸事故 4人死亡",
     "浏阳一烟花爆竹厂发生爆炸事故 4人死亡", PAIR_KIND, 1}, /* 2 */
    {"京港澳高速信阳段发生多车相撞事故", "京港澳高速驻马店段发生多车相撞事故",
     PAIR_KIND, 0}, /* 18 */
    {"昌吉州硫磺沟煤矿发生透水事故 被困21人",
     "鸡西市杏花煤矿发生透水事故 被困21人", PAIR_KIND, 0},              /* 16 */
    {"天津港一仓库发生火灾爆炸", "上海港一仓库发生火灾", PAIR_KIND, 0}, /* 17 */
    {"武汉长江大桥一车辆坠江", "南京长江大桥一车辆坠江", PAIR_KIND, 0}, /* 16 */
    {"西安地铁3号线突发故障 乘客滞留站台", "成都地铁7号线突发故障 乘客滞留站台",
     PAIR_KIND, 0}, /* 13 */
};

/* A deterministic 64-bit generator (splitmix64). */
static uint64_t
rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* h with k distinct random bits flipped. */
static uint64_t
flip_bits(uint64_t h, int k, uint64_t *s)
{
	uint64_t mask = 0, bit;

	while (k > 0) {
		bit = 1ULL << (rnd(s) % 64);
		if (mask & bit)
			continue;
		mask |= bit;
		k--;
	}
	return h ^ mask;
}

/* The SimHash of a NUL-terminated string. */
static uint64_t
sh(const char *s)
{
	return cluster_simhash(s, strlen(s));
}

/* Seconds on the monotonic clock. */
static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Whether timing assertions mean anything in this run (not under ASan or
 * valgrind). */
static int
timing_enabled(void)
{
	const char *pre = getenv("LD_PRELOAD");

#if defined(__SANITIZE_ADDRESS__)
	return 0;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
	return 0;
#endif
#endif
	if (pre != NULL && strstr(pre, "vgpreload") != NULL)
		return 0;
	return 1;
}

/* Stored fingerprints must stay valid across versions: pin a few. */
static void
test_simhash_stable(void **state)
{
	static const struct {
		const char *s;
		uint64_t want;
	} t[] = {
	    {"九龙岗镇一煤矿发生瓦斯爆炸 3人死亡", 0x92395283580cf09fULL},
	    {"淮南大通区九龙岗煤矿瓦斯爆炸致3死", 0xa03855e5f36a72b5ULL},
	    {"中文", 0xe00cd51d012dbe76ULL},
	    {"Hello, World", 0x1a35a88248c74fc7ULL},
	    {"ab", 0xd289303af59f3431ULL},
	};
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(t); i++) {
		print_message("%s -> %#018llx\n", t[i].s,
		              (unsigned long long)sh(t[i].s));
		assert_true(sh(t[i].s) == t[i].want);
	}
}

/* What normalising drops or folds hashes alike; what it keeps differs. */
static void
test_simhash_normalise(void **state)
{
	static const struct {
		const char *a, *b;
		int equal;
	} t[] = {
	    {"九龙岗镇一煤矿发生瓦斯爆炸 3人死亡",
	     "九龙岗镇一煤矿发生瓦斯爆炸 12人死亡", 1},
	    {"九龙岗镇一煤矿发生瓦斯爆炸3人死亡",
	     "九龙岗镇一煤矿发生瓦斯爆炸，３人死亡！", 1},
	    {"“九龙岗”镇（一）煤矿《发生》【瓦斯】爆炸…—·",
	     "九龙岗镇一煤矿发生瓦斯爆炸", 1},
	    {"九龙岗镇、一煤矿：发生；瓦斯？爆炸‘’",
	     "九龙岗镇一煤矿发生瓦斯爆炸", 1},
	    {"淮南\xe3\x80\x80大通区\t九龙岗\r\n", "淮南大通区九龙岗", 1},
	    {"ＡＢＣ煤矿", "abc煤矿", 1},
	    {"ABC煤矿", "abc煤矿", 1},
	    {"■快讯★煤矿爆炸😀", "快讯煤矿爆炸", 1},
	    {"煤矿\xff\xfe爆炸", "煤矿爆炸", 1},
	    {"煤矿\xe7\x88爆炸", "煤矿爆炸", 1}, /* truncated sequence */
	    {"\xc0\xaf煤矿爆炸", "煤矿爆炸", 1}, /* overlong '/' */
	    {"煤矿爆炸", "爆炸煤矿", 0},
	    {"淮南煤矿爆炸", "淮北煤矿爆炸", 0},
	    {"abc", "abd", 0},
	};
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(t); i++) {
		print_message("%zu: %s / %s\n", i, t[i].a, t[i].b);
		if (t[i].equal)
			assert_true(sh(t[i].a) == sh(t[i].b));
		else
			assert_true(sh(t[i].a) != sh(t[i].b));
	}
}

/* Fewer than two characters left: 0.  The length bounds the read. */
static void
test_simhash_short(void **state)
{
	static const char *const zero[] = {
	    "",           "a",    "煤",   "3",        "12345",
	    "，。！？、", " 煤 ", "1煤2", "\xff\xfe", "“”‘’（）《》【】…—·",
	};
	const char buf[] = {'\xe7', '\x85', '\xa4', '\xe7', '\x9f', '\xbf'};
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(zero); i++)
		assert_true(sh(zero[i]) == 0);
	assert_true(cluster_simhash(NULL, 10) == 0);
	assert_true(sh("ab") != 0);
	assert_true(sh("煤矿") != 0);
	/* not NUL-terminated: 煤矿 exactly */
	assert_true(cluster_simhash(buf, sizeof(buf)) == sh("煤矿"));
	assert_true(cluster_simhash(buf, 3) == 0);
	assert_true(cluster_simhash(buf, 5) == 0); /* 矿 cut short */
	assert_true(cluster_simhash("煤矿爆炸", 6) == sh("煤矿"));
}

/* Hamming distance. */
static void
test_distance(void **state)
{
	static const struct {
		uint64_t a, b;
		int want;
	} t[] = {
	    {0, 0, 0},
	    {0, 1, 1},
	    {0, UINT64_MAX, 64},
	    {0x8000000000000000ULL, 0, 1},
	    {0xf0f0f0f0f0f0f0f0ULL, 0x0f0f0f0f0f0f0f0fULL, 64},
	    {0xffULL, 0x1ULL, 7},
	    {0x123456789abcdef0ULL, 0x123456789abcdef0ULL, 0},
	    {0xaaaaaaaaaaaaaaaaULL, 0, 32},
	};
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(t); i++) {
		assert_int_equal(cluster_distance(t[i].a, t[i].b), t[i].want);
		assert_int_equal(cluster_distance(t[i].b, t[i].a), t[i].want);
	}
}

/* Print a sorted distance list with its quartiles. */
static void
print_distribution(const char *name, int *d, size_t n)
{
	char line[512];
	size_t i, j, off;
	int t;

	for (i = 1; i < n; i++) {
		t = d[i];
		for (j = i; j > 0 && d[j - 1] > t; j--)
			d[j] = d[j - 1];
		d[j] = t;
	}
	off = 0;
	for (i = 0; i < n && off < sizeof(line) - 8; i++)
		off += (size_t)snprintf(line + off, sizeof(line) - off, " %d",
		                        d[i]);
	print_message("%-24s n=%2zu min %2d p25 %2d median %2d p75 %2d max "
	              "%2d:%s\n",
	              name, n, d[0], d[n / 4], d[n / 2], d[3 * n / 4], d[n - 1],
	              line);
}

/* Check each pair against THRESHOLD as measured and print the
 * distributions; count[g][w] gets the pairs of group g on side w. */
static void
check_pairs(const struct headline_pair *p, size_t n, int count[][2],
            int dist[][64], size_t ndist[])
{
	size_t i;
	int d, g;

	for (i = 0; i < n; i++) {
		d = cluster_distance(sh(p[i].a), sh(p[i].b));
		g = p[i].group;
		if ((d <= THRESHOLD) != p[i].within)
			fail_msg("%s / %s: distance %d, want %s %d", p[i].a,
			         p[i].b, d, p[i].within ? "<=" : ">",
			         THRESHOLD);
		count[g][d <= THRESHOLD]++;
		if (ndist[g] < 64)
			dist[g][ndist[g]++] = d;
	}
}

/*
 * The measured headline tables: every pair sits on the side of the default
 * threshold it was measured on, copies and other events mostly separate,
 * rewrites by other outlets mostly do not (the event key is for those).
 */
static void
test_headlines(void **state)
{
	int count[PAIR_GROUPS][2] = {{0}};
	int dist[PAIR_GROUPS][64];
	size_t ndist[PAIR_GROUPS] = {0};
	int g;

	(void)state;
	assert_true(NELEM(same_event) >= 30 && NELEM(other_event) >= 30);
	check_pairs(same_event, NELEM(same_event), count, dist, ndist);
	check_pairs(other_event, NELEM(other_event), count, dist, ndist);
	for (g = 0; g < PAIR_GROUPS; g++) {
		print_distribution(pair_group_name[g], dist[g], ndist[g]);
		print_message("%-24s within %d: %d, beyond: %d\n",
		              pair_group_name[g], THRESHOLD, count[g][1],
		              count[g][0]);
	}
	/* same event within the threshold; other events beyond it */
	assert_int_equal(count[PAIR_COPY][1], 7);
	assert_int_equal(count[PAIR_REWRITE][1], 0);
	assert_int_equal(count[PAIR_KIND][1], 1);
	assert_int_equal(count[PAIR_TOPIC][1], 0);
}

/* Bad arguments are refused; NULL is harmless. */
static void
test_index_args(void **state)
{
	struct cluster_index *ix;
	char long_key[300];
	int d = 5;

	(void)state;
	errno = 0;
	assert_null(cluster_index_new(-1, WINDOW));
	assert_int_equal(errno, EINVAL);
	assert_null(cluster_index_new(17, WINDOW));
	ix = cluster_index_new(THRESHOLD, WINDOW);
	assert_non_null(ix);
	assert_int_equal(cluster_index_add(ix, 0, 1, NULL, 0), -1);
	assert_int_equal(errno, EINVAL);
	memset(long_key, 'k', sizeof(long_key) - 1);
	long_key[sizeof(long_key) - 1] = '\0';
	assert_int_equal(cluster_index_add(ix, 1, 1, long_key, 0), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(cluster_index_size(ix), 0);
	assert_int_equal(cluster_index_add(NULL, 1, 1, NULL, 0), -1);
	assert_true(cluster_index_find(NULL, 1, "k", 0, &d) == 0);
	assert_int_equal(d, -1);
	assert_true(cluster_index_find(ix, 1, long_key, 0, NULL) == 0);
	assert_int_equal(cluster_index_size(NULL), 0);
	cluster_index_remove(NULL, 1);
	cluster_index_remove(ix, 0);
	cluster_index_remove(ix, 42);
	cluster_index_free(ix);
	cluster_index_free(NULL);
}

/* One step of an index script. */
struct step {
	char op;     /* a: add, f: find, r: remove */
	uint64_t id; /* add, remove; find: the id expected (0: none) */
	uint64_t hash;
	const char *key;
	int64_t at;
	int distance; /* find: expected */
	size_t size;  /* expected after the step */
};

/* Run an index script on a fresh index for distance 6 and window 1000. */
static void
run_steps(const char *name, const struct step *s, size_t n)
{
	struct cluster_index *ix = cluster_index_new(6, 1000);
	uint64_t got;
	size_t i;
	int d;

	assert_non_null(ix);
	for (i = 0; i < n; i++) {
		switch (s[i].op) {
		case 'a':
			assert_int_equal(cluster_index_add(ix, s[i].id,
			                                   s[i].hash, s[i].key,
			                                   s[i].at),
			                 0);
			break;
		case 'r':
			cluster_index_remove(ix, s[i].id);
			break;
		case 'f':
			d = 99;
			got = cluster_index_find(ix, s[i].hash, s[i].key,
			                         s[i].at, &d);
			if (got != s[i].id || d != s[i].distance)
				fail_msg("%s step %zu: got id %llu distance "
				         "%d, want %llu %d",
				         name, i, (unsigned long long)got, d,
				         (unsigned long long)s[i].id,
				         s[i].distance);
			break;
		}
		if (cluster_index_size(ix) != s[i].size)
			fail_msg("%s step %zu: size %zu, want %zu", name, i,
			         cluster_index_size(ix), s[i].size);
	}
	cluster_index_free(ix);
}

#define H1 0x0123456789abcdefULL
#define H2 0xfedcba9876543210ULL

/* Add, find within and beyond the distance, update, remove. */
static void
test_index_basic(void **state)
{
	static const struct step s[] = {
	    {'f', 0, H1, NULL, 0, -1, 0},
	    {'a', 1, H1, NULL, 0, 0, 1},
	    {'a', 2, H2, NULL, 0, 0, 2},
	    {'f', 1, H1, NULL, 0, 0, 2},
	    {'f', 1, H1 ^ 0x1, NULL, 0, 1, 2},
	    {'f', 1, H1 ^ 0x8000000000000001ULL, NULL, 0, 2, 2},
	    {'f', 1, H1 ^ 0x3f, NULL, 0, 6, 2},
	    {'f', 0, H1 ^ 0x7f, NULL, 0, -1, 2},
	    {'f', 1, H1 ^ 0x0101010101010000ULL, NULL, 0, 6, 2},
	    {'f', 2, H2 ^ 0xf000000000000003ULL, NULL, 0, 6, 2},
	    {'f', 0, 0, NULL, 0, -1, 2}, /* no fingerprint */
	    /* re-adding updates: the old hash no longer finds it */
	    {'a', 1, H1 ^ 0xffff000000000000ULL, NULL, 1, 0, 2},
	    {'f', 0, H1, NULL, 1, -1, 2},
	    {'f', 1, H1 ^ 0xffff000000000000ULL, NULL, 1, 0, 2},
	    {'r', 1, 0, NULL, 0, 0, 1},
	    {'f', 0, H1 ^ 0xffff000000000000ULL, NULL, 1, -1, 1},
	    {'r', 1, 0, NULL, 0, 0, 1},
	    {'r', 2, 0, NULL, 0, 0, 0},
	    {'f', 0, H2, NULL, 1, -1, 0},
	    {'a', 2, H2, NULL, 2, 0, 1}, /* a removed id comes back */
	    {'f', 2, H2, NULL, 2, 0, 1},
	};

	(void)state;
	run_steps("basic", s, NELEM(s));
}

/* Closest wins; at equal distance the most recent, then the smaller id. */
static void
test_index_ties(void **state)
{
	static const struct step s[] = {
	    {'a', 5, H1 ^ 0x3, NULL, 10, 0, 1},
	    {'a', 6, H1 ^ 0x1, NULL, 5, 0, 2},
	    {'a', 7, H1 ^ 0x7, NULL, 20, 0, 3},
	    {'f', 6, H1, NULL, 20, 1, 3}, /* closest, though oldest */
	    {'r', 6, 0, NULL, 0, 0, 2},
	    {'f', 5, H1, NULL, 20, 2, 2},
	    {'a', 8, H1 ^ 0x300, NULL, 30, 0, 3},
	    {'f', 8, H1, NULL, 30, 2, 3}, /* equal distance: newer */
	    {'a', 4, H1 ^ 0x30000, NULL, 30, 0, 4},
	    {'f', 4, H1, NULL, 30, 2, 4}, /* equal time: smaller id */
	    {'a', 4, H1 ^ 0x30000, NULL, 29, 0, 4},
	    {'f', 8, H1, NULL, 30, 2, 4},
	};

	(void)state;
	run_steps("ties", s, NELEM(s));
}

/* Keys: an equal non-empty key beats any hash match, even distance 0. */
static void
test_index_keys(void **state)
{
	static const struct step s[] = {
	    {'a', 1, H1, "淮南|瓦斯爆炸", 0, 0, 1},
	    {'a', 2, H2, NULL, 0, 0, 2},
	    {'a', 3, 0, "淮南|火灾", 0, 0, 3}, /* key only */
	    {'f', 1, H2 ^ 0xffff, "淮南|瓦斯爆炸", 0, -1, 3},
	    {'f', 1, 0, "淮南|瓦斯爆炸", 0, -1, 3},
	    {'f', 1, H2, "淮南|瓦斯爆炸", 0, -1, 3}, /* key beats hash 0 */
	    {'f', 2, H2, "淮南|透水", 0, 0, 3},
	    {'f', 3, 0, "淮南|火灾", 0, -1, 3},
	    {'f', 0, 0, "淮南", 0, -1, 3},
	    {'f', 0, 0, "", 0, -1, 3},
	    {'f', 0, 0, NULL, 0, -1, 3},
	    {'a', 4, 0, "", 0, 0, 4}, /* empty keys never match */
	    {'f', 0, 0, "", 0, -1, 4},
	    /* two entries share a key: the more recent wins */
	    {'a', 5, 0x5555, "淮南|火灾", 10, 0, 5},
	    {'f', 5, 0, "淮南|火灾", 10, -1, 5},
	    {'a', 3, 0, "淮南|火灾", 20, 0, 5},
	    {'f', 3, 0, "淮南|火灾", 20, -1, 5},
	    /* re-adding replaces the key, NULL clears it */
	    {'a', 3, 0, "合肥|火灾", 20, 0, 5},
	    {'f', 5, 0, "淮南|火灾", 20, -1, 5},
	    {'f', 3, 0, "合肥|火灾", 20, -1, 5},
	    {'a', 3, 0, NULL, 20, 0, 5},
	    {'f', 0, 0, "合肥|火灾", 20, -1, 5},
	    {'r', 5, 0, NULL, 0, 0, 4},
	    {'f', 0, 0, "淮南|火灾", 20, -1, 4},
	    {'r', 1, 0, NULL, 0, 0, 3},
	    {'f', 2, H2, "淮南|瓦斯爆炸", 20, 0, 3},
	};

	(void)state;
	run_steps("keys", s, NELEM(s));
}

/* Entries seen more than the window before a find are freed by it; later
 * entries still match. */
static void
test_index_expiry(void **state)
{
	static const struct step s[] = {
	    {'a', 1, H1, "k1", 1000, 0, 1},
	    {'a', 2, H2, "k2", 3000, 0, 2},
	    {'a', 3, H1 ^ 0xfff000, NULL, 500, 0, 3}, /* out of order */
	    {'f', 3, H1 ^ 0xfff000, NULL, 1500, 0, 3},
	    {'f', 1, H1, NULL, 2000, 0, 2}, /* 3 expired (500 < 1000) */
	    {'f', 0, H1 ^ 0xfff000, NULL, 2000, -1, 2},
	    {'f', 2, H2, NULL, 2000, 0, 2},  /* from the future: matches */
	    {'f', 0, H1, "k1", 2001, -1, 1}, /* 1000 < 1001: expired */
	    {'a', 2, H2, "k2", 2500, 0, 1},  /* update moves it back */
	    {'f', 2, 0, "k2", 3500, -1, 1},
	    {'f', 0, 0, "k2", 3501, -1, 0},
	    {'a', 4, H1, NULL, -5000, 0, 1},
	    {'f', 4, H1, NULL, -4000, 0, 1},
	    {'f', 0, H1, NULL, INT64_MAX, -1, 0},
	    {'a', 5, H1, NULL, INT64_MIN, 0, 1},
	    {'f', 5, H1, NULL, INT64_MIN, 0, 1},
	    {'f', 5, H1, NULL, INT64_MIN + 1000, 0, 1},
	    {'f', 0, H1, NULL, INT64_MIN + 1001, -1, 0},
	};
	struct cluster_index *ix;
	int d;

	(void)state;
	run_steps("expiry", s, NELEM(s));
	/* window <= 0: nothing expires */
	ix = cluster_index_new(3, 0);
	assert_non_null(ix);
	assert_int_equal(cluster_index_add(ix, 9, H1, NULL, 0), 0);
	assert_true(cluster_index_find(ix, H1, NULL, INT64_MAX, &d) == 9);
	assert_int_equal(d, 0);
	cluster_index_free(ix);
}

/* An entry in the brute-force mirror of an index. */
struct shadow {
	uint64_t id, hash;
	int64_t at;
	int live;
};

/* What find() must return, by scanning every live entry of the mirror
 * (after expiring it the same way). */
static uint64_t
brute_find(struct shadow *sh_, size_t n, int maxd, int64_t window,
           uint64_t hash, int64_t at, int *distance)
{
	size_t i, best = n;
	int d, bd = 0;

	*distance = -1;
	for (i = 0; i < n; i++) {
		if (!sh_[i].live)
			continue;
		if (window > 0 && sh_[i].at < at - window) {
			sh_[i].live = 0;
			continue;
		}
		if (hash == 0 || sh_[i].hash == 0)
			continue;
		d = cluster_distance(sh_[i].hash, hash);
		if (d > maxd)
			continue;
		if (best == n || d < bd ||
		    (d == bd && (sh_[i].at > sh_[best].at ||
		                 (sh_[i].at == sh_[best].at &&
		                  sh_[i].id < sh_[best].id)))) {
			best = i;
			bd = d;
		}
	}
	if (best == n)
		return 0;
	*distance = bd;
	return sh_[best].id;
}

/* Live entries of the mirror. */
static size_t
brute_size(const struct shadow *sh_, size_t n)
{
	size_t i, live = 0;

	for (i = 0; i < n; i++)
		live += sh_[i].live != 0;
	return live;
}

/* A query near a random live entry (or not near anything). */
static uint64_t
query_hash(const struct shadow *sh_, size_t n, int maxd, uint64_t *seed)
{
	uint64_t r = rnd(seed);
	size_t i = (size_t)(r % n);

	if (r % 5 == 0)
		return rnd(seed);
	return flip_bits(sh_[i].hash, (int)(rnd(seed) % (maxd + 4)), seed);
}

/*
 * Every distance the index accepts, on hashes clustered around a few
 * centres (many near neighbours, shared blocks, equal times), with
 * removals, updates and expiry: find() always agrees with a brute-force
 * scan.
 */
static void
test_index_vs_brute(void **state)
{
	enum { N = 3000, CENTRES = 40, QUERIES = 1500 };
	struct shadow *s;
	struct cluster_index *ix;
	uint64_t seed = 42, centre[CENTRES], q, want, got;
	int64_t window = 2000, at;
	size_t i, k;
	int maxd, dw, dg;

	(void)state;
	s = calloc(N, sizeof(*s));
	assert_non_null(s);
	for (i = 0; i < CENTRES; i++)
		centre[i] = rnd(&seed);
	for (maxd = 0; maxd <= 16; maxd++) {
		ix = cluster_index_new(maxd, window);
		assert_non_null(ix);
		for (i = 0; i < N; i++) {
			s[i].id = i + 1;
			s[i].hash = flip_bits(centre[rnd(&seed) % CENTRES],
			                      (int)(rnd(&seed) % 12), &seed);
			if (i % 97 == 0)
				s[i].hash = 0;
			s[i].at = (int64_t)(i / 3); /* equal times */
			s[i].live = 1;
			assert_int_equal(cluster_index_add(ix, s[i].id,
			                                   s[i].hash, NULL,
			                                   s[i].at),
			                 0);
		}
		/* remove some, move some */
		for (i = 0; i < N; i += 7) {
			cluster_index_remove(ix, s[i].id);
			s[i].live = 0;
		}
		for (i = 3; i < N; i += 11) {
			s[i].hash = flip_bits(s[i].hash, 3, &seed);
			s[i].at = (int64_t)(rnd(&seed) % 1000);
			s[i].live = 1;
			assert_int_equal(cluster_index_add(ix, s[i].id,
			                                   s[i].hash, NULL,
			                                   s[i].at),
			                 0);
		}
		assert_int_equal(cluster_index_size(ix), brute_size(s, N));
		for (k = 0; k < QUERIES; k++) {
			q = query_hash(s, N, maxd, &seed);
			at = 1000 + (int64_t)k; /* expires as it goes */
			want = brute_find(s, N, maxd, window, q, at, &dw);
			got = cluster_index_find(ix, q, NULL, at, &dg);
			if (got != want || dg != dw)
				fail_msg(
				    "distance %d query %zu: got %llu (%d), "
				    "want %llu (%d)",
				    maxd, k, (unsigned long long)got, dg,
				    (unsigned long long)want, dw);
		}
		assert_int_equal(cluster_index_size(ix), brute_size(s, N));
		cluster_index_free(ix);
	}
	free(s);
}

/*
 * 100,000 random entries at the default distance: adding them and 20,000
 * finds (near neighbours and misses) in well under a second (typically
 * 60 ms and 5 us a find), a sample checked against
 * a brute-force scan, then again after removing a tenth and re-adding a
 * tenth under new hashes.
 */
static void
test_index_100k(void **state)
{
	enum { N = 100000, FINDS = 20000, SAMPLE = 500 };
	struct shadow *s;
	struct cluster_index *ix;
	uint64_t seed = 7, q, want, got, found = 0;
	double t0, t_add, t_find;
	size_t i, k;
	int round, dw, dg;

	(void)state;
	s = calloc(N, sizeof(*s));
	assert_non_null(s);
	ix = cluster_index_new(THRESHOLD, WINDOW);
	assert_non_null(ix);
	t0 = now_s();
	for (i = 0; i < N; i++) {
		s[i].id = 1000000 + i * 13;
		s[i].hash = rnd(&seed);
		s[i].at = (int64_t)i;
		s[i].live = 1;
		assert_int_equal(
		    cluster_index_add(ix, s[i].id, s[i].hash, NULL, s[i].at),
		    0);
	}
	t_add = now_s() - t0;
	assert_int_equal(cluster_index_size(ix), N);
	t0 = now_s();
	for (k = 0; k < FINDS; k++) {
		q = query_hash(s, N, THRESHOLD, &seed);
		found += cluster_index_find(ix, q, NULL, N, NULL) != 0;
	}
	t_find = now_s() - t0;
	print_message("100k: add %.1f ms, %d finds %.1f ms (%.2f us each, "
	              "%llu found)\n",
	              t_add * 1e3, FINDS, t_find * 1e3, t_find * 1e6 / FINDS,
	              (unsigned long long)found);
	if (timing_enabled())
		assert_true(t_add + t_find < 1.0);
	for (round = 0; round < 2; round++) {
		for (k = 0; k < SAMPLE; k++) {
			q = query_hash(s, N, THRESHOLD, &seed);
			want = brute_find(s, N, THRESHOLD, WINDOW, q, N, &dw);
			got = cluster_index_find(ix, q, NULL, N, &dg);
			assert_true(got == want);
			assert_int_equal(dg, dw);
		}
		for (i = 0; i < N; i += 10) {
			cluster_index_remove(ix, s[i].id);
			s[i].live = 0;
		}
		for (i = 5; i < N; i += 10) {
			s[i].hash = rnd(&seed);
			assert_int_equal(cluster_index_add(ix, s[i].id,
			                                   s[i].hash, NULL,
			                                   s[i].at),
			                 0);
		}
		assert_int_equal(cluster_index_size(ix), brute_size(s, N));
	}
	cluster_index_free(ix);
	free(s);
}

/* Random times, all expired by one late find; keys come and go with
 * their entries. */
static void
test_index_expiry_random(void **state)
{
	enum { N = 20000 };
	struct cluster_index *ix;
	uint64_t seed = 3;
	char key[32];
	size_t i, live = 0;
	int64_t at;
	int d;

	(void)state;
	ix = cluster_index_new(THRESHOLD, 1000);
	assert_non_null(ix);
	for (i = 0; i < N; i++) {
		at = (int64_t)(rnd(&seed) % 10000);
		live += at >= 4000;
		snprintf(key, sizeof(key), "key%zu", i % 5000);
		assert_int_equal(
		    cluster_index_add(ix, i + 1, rnd(&seed), key, at), 0);
	}
	assert_int_equal(cluster_index_size(ix), N);
	(void)cluster_index_find(ix, 1, NULL, 5000, &d);
	assert_int_equal(cluster_index_size(ix), live);
	(void)cluster_index_find(ix, 1, "key1", 20000, &d);
	assert_int_equal(cluster_index_size(ix), 0);
	assert_int_equal(d, -1);
	for (i = 0; i < 100; i++)
		assert_int_equal(cluster_index_add(ix, i + 1, 0, "again", 0),
		                 0);
	assert_true(cluster_index_find(ix, 0, "again", 0, &d) == 1);
	cluster_index_free(ix);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_simhash_stable),
	    cmocka_unit_test(test_simhash_normalise),
	    cmocka_unit_test(test_simhash_short),
	    cmocka_unit_test(test_distance),
	    cmocka_unit_test(test_headlines),
	    cmocka_unit_test(test_index_args),
	    cmocka_unit_test(test_index_basic),
	    cmocka_unit_test(test_index_ties),
	    cmocka_unit_test(test_index_keys),
	    cmocka_unit_test(test_index_expiry),
	    cmocka_unit_test(test_index_vs_brute),
	    cmocka_unit_test(test_index_100k),
	    cmocka_unit_test(test_index_expiry_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
