/*
 * figures.c: casualty and loss figures read from Chinese news text, and the
 * official grading of an incident (REGULATIONS.md §2).  Pure code: no I/O,
 * no allocation; the only global state is a keyword index built once
 * (call_once) and read-only after that, so reading is thread-safe.
 *
 * Reading works on the UTF-8 bytes in two passes.  The first finds every
 * number (Arabic: 12, 1.2, 12,000; Chinese: 十二, 二十三, 一百零五, 两, 俩;
 * mixed: 1.2万, 3千, 3000余万, 上千, 数十) and what follows it: a person
 * classifier (人 名 位 例 个人), 元, 起, or a casualty word glued to it
 * (3死2伤).  Numbers followed by anything else (年 月 日 时 岁 辆 个村 号
 * 小时 人次 人口 ...) are dates, ages, ids and counts of other things and
 * are dropped.  The second pass binds each person or money number to the
 * nearest keyword: up to FIG_WIN_LEFT characters before the number
 * (死亡3人, 遇难人数升至十二人, 被困井下9人) or FIG_WIN_RIGHT after its
 * classifier (3人死亡, 3名矿工死亡, 3人经抢救无效死亡), never across
 * punctuation or another person/money number.  A number without a
 * classifier is read only after "<keyword>人数" (死亡人数升至15) or, with
 * 万/亿 in it, after 损失 (损失约1.2亿).
 *
 * Decisions on ambiguous phrasings:
 * - 余/多 give a lower bound: 十余 = 10, 20余 = 20, 3000余万 = 3000万.
 *   十几 = 11, 几十/数十 = 20, 数百 = 200, 数千 = 2000 (数 and 几 mean at
 *   least two); 上百/逾百/超百/过百 = 100, 上千 = 1000, 上万 = 10000,
 *   超亿元 = 1亿.  近N means below N: 近30人 = 29, 近百人 = 99.
 * - Left and right keywords at the same distance: the left one wins
 *   (死亡3人受伤2人), unless the right one is a noun (转移3名伤者 → injured).
 *   A keyword already bound to the previous number (造成3人死亡2人受伤) is
 *   not reused by the next.
 * - 被困/失联/受伤/中毒 followed by a person noun (被困矿工, 失联人员) only
 *   describe the people; if a death, rescue or serious-injury word follows
 *   within the window, that wins: 5名被困矿工全部获救 → rescued 5, not
 *   trapped.
 * - Trapped is the largest trapped figure read.  Rescues are recorded but
 *   never subtracted: 9人被困 ... 5人获救 keeps trapped 9 and the toll
 *   counts all 9 until a later item states deaths instead.  Deaths,
 *   missing and trapped are summed for grading; a text giving the same
 *   people as both missing and dead (失联的3人已遇难) binds to the nearer
 *   word only, but two separate statements are both counted.
 * - 重伤 also counts as injured (injured >= serious).  急性中毒 counts as
 *   serious injury where a table says so (production, environment): the
 *   larger of serious and poisoned is used, not their sum.
 * - Sentences that report statistics (同比, 环比, 共发生, 累计发生,
 *   百分点, or "N起" with N >= 2) are skipped whole: 全市共发生事故12起、
 *   死亡10人 is not an incident toll.
 * - 伤亡/死伤 (deaths and injuries together) are not read: the split is
 *   unknown.  多人/数人 without a number are not read.
 * - Only 第 blocks an ordinal (第3名); 1人次, 人口, 人民币 are not people.
 *
 * Grading (figures_grade): any one criterion of a table is enough and the
 * highest grade wins.  The toll is deaths + missing + trapped on every
 * scale, floods included: 被困群众300人 with nothing else said counts as
 * 300 possible deaths (a possible 5-hour case is never missed; staff
 * downgrade).  A scale answers GRADE_UNKNOWN unless a figure it uses was
 * read; an injury count alone grades 一般 on the production and
 * environment tables (it bounds the serious count from above).  Below a
 * table's lowest band is 一般: food cases under 30 harmed, mass incidents
 * with 1-2 deaths, 救助 responses below Ⅲ级.  Geology also grades people
 * moved out of danger on the 险情 table (1000/500/100).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <threads.h>

#include "monitor/monitor.h"

#define FIG_TEXT_MAX   (64 * 1024) /* bytes of one text looked at */
#define FIG_NUMS_MAX   512         /* numbers kept per text */
#define FIG_ELEMS_MAX  24          /* parts of one number: 一万二千三百 */
#define FIG_DIGITS_MAX 15          /* Arabic digits; more is an id */
#define FIG_WIN_LEFT   6           /* characters between keyword and number */
#define FIG_WIN_RIGHT  8           /* characters after the classifier */
#define FIG_SENT_MAX   1024        /* bytes scanned for a sentence's ends */
#define FIG_VALUE_MAX  1e15

#define FIG_PERSONS                                                            \
	(FIG_DEATHS | FIG_MISSING | FIG_TRAPPED | FIG_INJURED | FIG_SERIOUS |  \
	 FIG_RESCUED | FIG_POISONED | FIG_EVACUATED | FIG_PARTICIPANTS)
#define FIG_TOLL (FIG_DEATHS | FIG_MISSING | FIG_TRAPPED)

/* Keyword flags. */
#define KW_MOD  0x1 /* may describe a following noun: 被困矿工 */
#define KW_NOUN 0x2 /* a noun for people: 伤者; wins a tie after a number */

struct fig_kw {
	const char *s;
	unsigned char len;
	unsigned char flags;
	unsigned kind; /* one FIG_* bit */
};

/* clang-format off */
#define KW(s, kind, flags) {s, sizeof(s) - 1, flags, kind}
static const struct fig_kw fig_kws[] = {
	KW("死亡", FIG_DEATHS, 0),
	KW("遇难者", FIG_DEATHS, KW_NOUN),
	KW("遇难", FIG_DEATHS, 0),
	KW("身亡", FIG_DEATHS, 0),
	KW("罹难", FIG_DEATHS, 0),
	KW("丧生", FIG_DEATHS, 0),
	KW("丧命", FIG_DEATHS, 0),
	KW("殒命", FIG_DEATHS, 0),
	KW("遇害", FIG_DEATHS, 0),
	KW("牺牲", FIG_DEATHS, 0),
	KW("溺亡", FIG_DEATHS, 0),
	KW("不治", FIG_DEATHS, 0),
	KW("死者", FIG_DEATHS, KW_NOUN),
	KW("失联", FIG_MISSING, KW_MOD),
	KW("失踪", FIG_MISSING, KW_MOD),
	KW("失去联系", FIG_MISSING, 0),
	KW("下落不明", FIG_MISSING, 0),
	KW("被困", FIG_TRAPPED, KW_MOD),
	KW("受困", FIG_TRAPPED, KW_MOD),
	KW("被埋", FIG_TRAPPED, KW_MOD),
	KW("困在", FIG_TRAPPED, 0),
	KW("被压", FIG_TRAPPED, 0),
	KW("受伤", FIG_INJURED, KW_MOD),
	KW("伤者", FIG_INJURED, KW_NOUN),
	KW("伤员", FIG_INJURED, KW_NOUN),
	KW("轻伤", FIG_INJURED, 0),
	KW("负伤", FIG_INJURED, 0),
	KW("送医", FIG_INJURED, 0),
	KW("送往医院", FIG_INJURED, 0),
	KW("就医", FIG_INJURED, 0),
	KW("住院", FIG_INJURED, 0),
	KW("救治", FIG_INJURED, 0),
	KW("重伤", FIG_SERIOUS, 0),
	KW("伤势较重", FIG_SERIOUS, 0),
	KW("伤势严重", FIG_SERIOUS, 0),
	KW("伤情较重", FIG_SERIOUS, 0),
	KW("伤情严重", FIG_SERIOUS, 0),
	KW("危重", FIG_SERIOUS, 0),
	KW("病危", FIG_SERIOUS, 0),
	KW("获救", FIG_RESCUED, 0),
	KW("升井", FIG_RESCUED, 0),
	KW("救出", FIG_RESCUED, 0),
	KW("脱险", FIG_RESCUED, 0),
	KW("脱困", FIG_RESCUED, 0),
	KW("生还", FIG_RESCUED, 0),
	KW("中毒", FIG_POISONED, KW_MOD),
	KW("不适", FIG_POISONED, 0),
	KW("呕吐", FIG_POISONED, 0),
	KW("腹泻", FIG_POISONED, 0),
	KW("转移", FIG_EVACUATED, 0),
	KW("疏散", FIG_EVACUATED, 0),
	KW("撤离", FIG_EVACUATED, 0),
	KW("安置", FIG_EVACUATED, 0),
	KW("避险", FIG_EVACUATED, 0),
	KW("聚集", FIG_PARTICIPANTS, 0),
	KW("集聚", FIG_PARTICIPANTS, 0),
	KW("聚众", FIG_PARTICIPANTS, 0),
	KW("围堵", FIG_PARTICIPANTS, 0),
	KW("围攻", FIG_PARTICIPANTS, 0),
	KW("冲击", FIG_PARTICIPANTS, 0),
	KW("上访", FIG_PARTICIPANTS, 0),
	KW("群访", FIG_PARTICIPANTS, 0),
	KW("集会", FIG_PARTICIPANTS, 0),
	KW("游行", FIG_PARTICIPANTS, 0),
	KW("罢工", FIG_PARTICIPANTS, 0),
	KW("讨薪", FIG_PARTICIPANTS, 0),
	KW("堵路", FIG_PARTICIPANTS, 0),
	KW("械斗", FIG_PARTICIPANTS, 0),
	KW("闹事", FIG_PARTICIPANTS, 0),
	KW("静坐", FIG_PARTICIPANTS, 0),
	KW("维权", FIG_PARTICIPANTS, 0),
	KW("损失", FIG_LOSS, 0),
};
/* clang-format on */

#define FIG_NKWS (sizeof(fig_kws) / sizeof(fig_kws[0]))
_Static_assert(FIG_NKWS < 256, "keyword index is one byte");

/* Sentence markers of statistics rather than one incident. */
static const char *const fig_stats[] = {
    "同比", "环比", "共发生", "累计发生", "百分点", "起数",
};

#define FIG_NSTATS (sizeof(fig_stats) / sizeof(fig_stats[0]))

/* What follows a number. */
enum fig_role {
	ROLE_OTHER = 0, /* a date, an age, an id: dropped */
	ROLE_PERSON,    /* 3人, 3名, 3死 */
	ROLE_MONEY,     /* 5000万元 */
	ROLE_BARE,      /* nothing: 死亡人数升至15, 损失1.2亿 */
	ROLE_QI,        /* 3起: a count of incidents */
};

struct fig_num {
	size_t b, e; /* the number, prefixes (近, 上, 数) included */
	size_t ce;   /* end of number and classifier */
	double v;
	unsigned direct; /* FIG_* bit glued on: 3死, 2伤 */
	unsigned char role;
	unsigned char arabic; /* starts with an ASCII digit */
	unsigned char big;    /* has 万 or 亿 in it */
};

/* A keyword found near a number. */
struct fig_hit {
	const struct fig_kw *kw;
	size_t b, e;
	int gap; /* characters between it and the number */
};

struct fig_scan {
	const char *s;
	size_t n;
	struct fig_num nums[FIG_NUMS_MAX];
	size_t nnums;
	size_t sent_b, sent_e; /* cached sentence and whether it is stats */
	int sent_stats;
};

/*
 * Decode the code point at s[i]; *len gets its byte length (at least 1).
 * Invalid or cut sequences decode as U+FFFD, one byte long.
 */
static unsigned
fig_cp(const char *s, size_t n, size_t i, size_t *len)
{
	size_t j = i;
	long cp;

	*len = 1;
	if (i >= n)
		return 0;
	cp = text_utf8_next(s, n, &j);
	*len = j - i;
	return cp < 0 ? 0xfffd : (unsigned)cp;
}

/* Start of the character before byte i (i > 0). */
static size_t
fig_prev(const char *s, size_t i)
{
	size_t k = 0;

	i--;
	while (i > 0 && k < 3 && ((unsigned char)s[i] & 0xc0) == 0x80) {
		i--;
		k++;
	}
	return i;
}

/* The code point before byte i, or 0 at the start. */
static unsigned
fig_cp_before(const char *s, size_t n, size_t i)
{
	size_t len;

	if (i == 0)
		return 0;
	return fig_cp(s, n, fig_prev(s, i), &len);
}

/* Whether s[i..] starts with the UTF-8 string w. */
static int
fig_at(const char *s, size_t n, size_t i, const char *w)
{
	size_t l = strlen(w);

	return i <= n && n - i >= l && memcmp(s + i, w, l) == 0;
}

/* Whether s[..i) ends with the UTF-8 string w. */
static int
fig_ends(const char *s, size_t i, const char *w)
{
	size_t l = strlen(w);

	return i >= l && memcmp(s + i - l, w, l) == 0;
}

/* The first w (wlen bytes) in s[0..n), or NULL: memmem is a GNU call. */
static const char *
fig_find(const char *s, size_t n, const char *w, size_t wlen)
{
	size_t i;

	if (wlen == 0 || n < wlen)
		return NULL;
	for (i = 0; i + wlen <= n; i++) {
		if (s[i] == w[0] && memcmp(s + i, w, wlen) == 0)
			return s + i;
	}
	return NULL;
}

/* Punctuation that ends a phrase: no number binds across it. */
static int
fig_is_punct(unsigned cp)
{
	switch (cp) {
	case ',':
	case ';':
	case ':':
	case '!':
	case '?':
	case '.':
	case '|':
	case '\n':
	case '\r':
	case 0x3001: /* 、 */
	case 0x3002: /* 。 */
	case 0x300a: /* 《 */
	case 0x300b: /* 》 */
	case 0x3010: /* 【 */
	case 0x3011: /* 】 */
	case 0xff0c: /* ， */
	case 0xff1a: /* ： */
	case 0xff1b: /* ； */
	case 0xff01: /* ！ */
	case 0xff1f: /* ？ */
		return 1;
	}
	return 0;
}

/* Length of the sentence stop (。！？ ! ? newline) at s[i], or 0. */
static size_t
fig_stop_at(const char *s, size_t n, size_t i)
{
	unsigned char c = (unsigned char)s[i];

	if (c == '!' || c == '?' || c == '\n')
		return 1;
	if ((c == 0xe3 || c == 0xef) &&
	    (fig_at(s, n, i, "。") || fig_at(s, n, i, "！") ||
	     fig_at(s, n, i, "？")))
		return 3;
	return 0;
}

/* Value of a Chinese digit, or -1. */
static int
fig_cdigit(unsigned cp)
{
	switch (cp) {
	case 0x3007: /* 〇 */
	case 0x96f6: /* 零 */
		return 0;
	case 0x4e00: /* 一 */
		return 1;
	case 0x4e8c: /* 二 */
	case 0x4e24: /* 两 */
		return 2;
	case 0x4e09: /* 三 */
		return 3;
	case 0x56db: /* 四 */
		return 4;
	case 0x4e94: /* 五 */
		return 5;
	case 0x516d: /* 六 */
		return 6;
	case 0x4e03: /* 七 */
		return 7;
	case 0x516b: /* 八 */
		return 8;
	case 0x4e5d: /* 九 */
		return 9;
	}
	return -1;
}

/* 十 百 千 as 10, 100, 1000; 万 亿 as 1e4, 1e8; 0 for anything else. */
static double
fig_unit(unsigned cp)
{
	switch (cp) {
	case 0x5341: /* 十 */
		return 10;
	case 0x767e: /* 百 */
		return 100;
	case 0x5343: /* 千 */
		return 1000;
	case 0x4e07: /* 万 */
		return 1e4;
	case 0x4ebf: /* 亿 */
		return 1e8;
	}
	return 0;
}

/* Characters that may start a number before a unit: 近百, 上千, 数十. */
static int
fig_prefix(unsigned cp)
{
	switch (cp) {
	case 0x8fd1: /* 近 */
	case 0x4e0a: /* 上 */
	case 0x903e: /* 逾 */
	case 0x8fc7: /* 过 */
	case 0x8d85: /* 超 */
	case 0x6570: /* 数 */
	case 0x51e0: /* 几 */
	case 0x4fe9: /* 俩 */
		return 1;
	}
	return 0;
}

/* Whether a number may start with cp. */
static int
fig_starts(unsigned cp)
{
	if (cp >= '0' && cp <= '9')
		return 1;
	if (fig_cdigit(cp) >= 0 || fig_prefix(cp))
		return 1;
	return cp == 0x5341 || cp == 0x767e || cp == 0x5343; /* 十 百 千 */
}

/* Characters before 数 that make it part of a word (人数, 总数). */
static int
fig_shu_word(unsigned cp)
{
	static const char list[] =
	    "人总次件户票分指倍系参函岁位半多少无计算基序页字数读礼天年";
	size_t i, len;

	for (i = 0; i < sizeof(list) - 1; i += len) {
		if (fig_cp(list, sizeof(list) - 1, i, &len) == cp)
			return 1;
	}
	return 0;
}

/* Characters before 近 that make it a word (最近, 附近). */
static int
fig_jin_word(unsigned cp)
{
	static const char list[] = "最附临靠邻接将就贴亲晚远新逼迫";
	size_t i, len;

	for (i = 0; i < sizeof(list) - 1; i += len) {
		if (fig_cp(list, sizeof(list) - 1, i, &len) == cp)
			return 1;
	}
	return 0;
}

/* Whether a person noun starts with cp: 被困矿工, 失联人员, 受伤的. */
static int
fig_noun_start(unsigned cp)
{
	static const char list[] =
	    "者人的矿工群村学员乘旅船游儿老妇职居民师孩男女病患施司";
	size_t i, len;

	for (i = 0; i < sizeof(list) - 1; i += len) {
		if (fig_cp(list, sizeof(list) - 1, i, &len) == cp)
			return 1;
	}
	return 0;
}

/* Read Arabic digits at s[i..]: 12, 1.2, 12,000.  Returns bytes used. */
static size_t
fig_arabic(const char *s, size_t n, size_t i, double *v)
{
	size_t p = i, nd = 0, k, groups = 0;
	double x = 0, f = 0.1;

	while (p < n && s[p] >= '0' && s[p] <= '9' && nd <= FIG_DIGITS_MAX) {
		x = x * 10 + (s[p] - '0');
		p++;
		nd++;
	}
	if (nd > FIG_DIGITS_MAX)
		return 0;
	/* Thousands groups: 1-3 digits, then three after each comma. */
	while (nd <= 3 && groups < 5 && p + 3 < n && s[p] == ',' &&
	       s[p + 1] >= '0' && s[p + 1] <= '9' && s[p + 2] >= '0' &&
	       s[p + 2] <= '9' && s[p + 3] >= '0' && s[p + 3] <= '9' &&
	       (p + 4 >= n || s[p + 4] < '0' || s[p + 4] > '9')) {
		for (k = 1; k <= 3; k++)
			x = x * 10 + (s[p + k] - '0');
		p += 4;
		groups++;
	}
	if (p + 1 < n && s[p] == '.' && s[p + 1] >= '0' && s[p + 1] <= '9') {
		p++;
		for (k = 0; p < n && s[p] >= '0' && s[p] <= '9'; k++, p++) {
			if (k < 6)
				x += (s[p] - '0') * f;
			f /= 10;
			if (k > FIG_DIGITS_MAX)
				return 0;
		}
	}
	*v = x;
	return p - i;
}

enum fig_elem { E_NONE, E_ARABIC, E_DIGIT, E_UNIT, E_BIG, E_APPROX };

/*
 * Parse the number starting at s[i] into t (b, e, v, arabic, big).
 * Returns 0 if no number starts there.  Chinese numbers are read the
 * usual way (section below 万, then 万 and 亿 scale what came before);
 * consecutive Chinese digits are read positionally (二〇二六, 一百零五).
 */
static int
fig_parse(const char *s, size_t n, size_t i, struct fig_num *t)
{
	double total = 0, section = 0, cur = -1, u, x;
	enum fig_elem last = E_NONE;
	int near = 0, has = 0, k, d;
	unsigned cp, nx;
	size_t p = i, len, len2, used;

	memset(t, 0, sizeof(*t));
	t->b = i;
	cp = fig_cp(s, n, p, &len);
	/* Prefixes: 近 (below), 上/数/几 (at least 1 or 2 of a unit). */
	if (cp == 0x8fd1) { /* 近 */
		nx = fig_cp(s, n, p + len, &len2);
		if (fig_jin_word(fig_cp_before(s, n, i)) ||
		    !((nx >= '0' && nx <= '9') || fig_cdigit(nx) >= 0 ||
		      fig_unit(nx) > 0))
			return 0;
		near = 1;
		p += len;
		cp = fig_cp(s, n, p, &len);
	}
	if (cp == 0x4e0a || cp == 0x903e || cp == 0x8fc7 || cp == 0x8d85 ||
	    cp == 0x6570 || cp == 0x51e0) { /* 上 逾 过 超 数 几 */
		nx = fig_cp(s, n, p + len, &len2);
		if (fig_unit(nx) == 0 ||
		    (cp != 0x6570 && cp != 0x51e0 && nx == 0x5341))
			return 0;
		if (cp == 0x6570 && fig_shu_word(fig_cp_before(s, n, p)))
			return 0;
		cur = cp == 0x6570 || cp == 0x51e0 ? 2 : 1;
		last = E_DIGIT;
		p += len;
	}
	if (cp == 0x4fe9) { /* 俩: two people on its own */
		t->e = p + len;
		t->v = 2;
		return 1;
	}
	for (k = 0; k < FIG_ELEMS_MAX && p < n; k++) {
		cp = fig_cp(s, n, p, &len);
		d = fig_cdigit(cp);
		u = fig_unit(cp);
		if (cp >= '0' && cp <= '9') {
			if (last != E_NONE)
				break;
			used = fig_arabic(s, n, p, &x);
			if (used == 0)
				return 0;
			t->arabic = 1;
			cur = x;
			last = E_ARABIC;
			has = 1;
			p += used;
			continue;
		}
		if (d >= 0) {
			if (last != E_NONE && last != E_DIGIT &&
			    last != E_UNIT && last != E_BIG)
				break;
			cur = last == E_DIGIT && cur >= 0 ? cur * 10 + d : d;
			last = E_DIGIT;
		} else if (u >= 10 && u <= 1000) {
			if (last == E_UNIT || last == E_APPROX)
				break;
			section += (cur < 0 ? 1 : cur) * u;
			cur = -1;
			last = E_UNIT;
		} else if (u > 1000) {
			if (last == E_NONE)
				break;
			x = section + (cur < 0 ? 0 : cur);
			if (u > 1e4)
				total = (total + x) * u;
			else
				total += x * u;
			section = 0;
			cur = -1;
			last = E_BIG;
			t->big = 1;
		} else if (cp == 0x4f59 || cp == 0x591a) { /* 余 多 */
			if (last == E_NONE || last == E_APPROX)
				break;
			last = E_APPROX;
		} else if (cp == 0x51e0 && last == E_UNIT) { /* 十几 */
			cur = 1;
			last = E_DIGIT;
		} else {
			break;
		}
		has = 1;
		p += len;
	}
	if (!has)
		return 0;
	x = total + section + (cur < 0 ? 0 : cur);
	if (near && x >= 2)
		x -= 1;
	t->e = p;
	t->v = x;
	return 1;
}

/*
 * Keywords indexed by their first and by their last character (all are
 * 3-byte UTF-8), sorted by that character, so a position is matched by a
 * binary search instead of a walk over the whole table.  Built once.
 */
struct fig_idx {
	uint32_t key;
	unsigned char kw;
};

static struct fig_idx fig_first[FIG_NKWS], fig_last[FIG_NKWS];
static uint32_t fig_stats_key[FIG_NSTATS]; /* first characters */
static once_flag fig_once = ONCE_FLAG_INIT;

/* The 3 bytes at p as one number. */
static uint32_t
fig_key(const char *p)
{
	const unsigned char *u = (const unsigned char *)p;

	return (uint32_t)u[0] << 16 | (uint32_t)u[1] << 8 | u[2];
}

/* qsort order of the index: by character, then table order. */
static int
fig_idx_cmp(const void *a, const void *b)
{
	const struct fig_idx *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return (int)x->kw - (int)y->kw;
}

/* Build the indexes (once, from figures_read). */
static void
fig_index(void)
{
	size_t k;

	for (k = 0; k < FIG_NKWS; k++) {
		fig_first[k].key = fig_key(fig_kws[k].s);
		fig_first[k].kw = (unsigned char)k;
		fig_last[k].key = fig_key(fig_kws[k].s + fig_kws[k].len - 3);
		fig_last[k].kw = (unsigned char)k;
	}
	for (k = 0; k < FIG_NSTATS; k++)
		fig_stats_key[k] = fig_key(fig_stats[k]);
	qsort(fig_first, FIG_NKWS, sizeof(fig_first[0]), fig_idx_cmp);
	qsort(fig_last, FIG_NKWS, sizeof(fig_last[0]), fig_idx_cmp);
}

/* Index of the first entry of idx with key, or FIG_NKWS. */
static size_t
fig_lookup(const struct fig_idx *idx, uint32_t key)
{
	size_t lo = 0, hi = FIG_NKWS;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (idx[mid].key < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < FIG_NKWS && idx[lo].key == key ? lo : FIG_NKWS;
}

/* The longest keyword of kinds starting at s[p], or NULL. */
static const struct fig_kw *
fig_kw_at(const char *s, size_t n, size_t p, unsigned kinds)
{
	const struct fig_kw *best = NULL;
	uint32_t key;
	size_t k;

	if (p >= n || n - p < 3)
		return NULL;
	key = fig_key(s + p);
	for (k = fig_lookup(fig_first, key);
	     k < FIG_NKWS && fig_first[k].key == key; k++) {
		const struct fig_kw *w = &fig_kws[fig_first[k].kw];

		if (!(w->kind & kinds) || n - p < w->len ||
		    memcmp(s + p, w->s, w->len) != 0)
			continue;
		if (best == NULL || w->len > best->len)
			best = w;
	}
	return best;
}

/* The longest keyword of kinds ending at s[..p), or NULL. */
static const struct fig_kw *
fig_kw_before(const char *s, size_t p, unsigned kinds)
{
	const struct fig_kw *best = NULL;
	uint32_t key;
	size_t k;

	if (p < 3)
		return NULL;
	key = fig_key(s + p - 3);
	for (k = fig_lookup(fig_last, key);
	     k < FIG_NKWS && fig_last[k].key == key; k++) {
		const struct fig_kw *w = &fig_kws[fig_last[k].kw];

		if (!(w->kind & kinds) || p < w->len ||
		    memcmp(s + p - w->len, w->s, w->len) != 0)
			continue;
		if (best == NULL || w->len > best->len)
			best = w;
	}
	return best;
}

/*
 * Classify what follows the number t: a person classifier, 元, 起, a
 * casualty word glued on, or nothing.  Sets role, ce and direct.
 */
static void
fig_follow(const char *s, size_t n, struct fig_num *t)
{
	const struct fig_kw *w;
	size_t p = t->e, len, len2;
	unsigned cp, nx;

	t->ce = t->e;
	if (p < n && s[p] == ' ')
		p++;
	cp = fig_cp(s, n, p, &len);
	nx = fig_cp(s, n, p + len, &len2);
	if (fig_cp_before(s, n, t->e) == 0x4fe9) { /* 俩 */
		t->role = ROLE_PERSON;
		t->ce = t->e;
		if (cp == 0x4eba) /* 俩人 */
			t->ce = p + len;
		return;
	}
	switch (cp) {
	case 0x4eba: /* 人, but not 人次 人民 人口 人份 人员 */
		if (nx == 0x6b21 || nx == 0x6c11 || nx == 0x53e3 ||
		    nx == 0x4efd || nx == 0x5458)
			return;
		t->role = ROLE_PERSON;
		t->ce = p + len;
		return;
	case 0x540d: /* 名, but not 名额 名单 名义 */
		if (nx == 0x989d || nx == 0x5355 || nx == 0x4e49)
			return;
		t->role = ROLE_PERSON;
		t->ce = p + len;
		return;
	case 0x4f4d: /* 位, but not 位数 位置 */
		if (nx == 0x6570 || nx == 0x7f6e)
			return;
		t->role = ROLE_PERSON;
		t->ce = p + len;
		return;
	case 0x4f8b: /* 例 */
		t->role = ROLE_PERSON;
		t->ce = p + len;
		return;
	case 0x4e2a: /* 个人 */
		if (nx == 0x4eba) {
			t->role = ROLE_PERSON;
			t->ce = p + len + len2;
		}
		return;
	case 0x5143: /* 元 */
		t->role = ROLE_MONEY;
		t->ce = p + len;
		return;
	case 0x8d77: /* 起 */
		t->role = ROLE_QI;
		return;
	case 0x6b7b: /* 死 */
		t->role = ROLE_PERSON;
		t->direct = FIG_DEATHS;
		t->ce = p + len;
		return;
	case 0x4ea1: /* 亡 */
		t->role = ROLE_PERSON;
		t->direct = FIG_DEATHS;
		t->ce = p + len;
		return;
	case 0x4f24: /* 伤 */
		t->role = ROLE_PERSON;
		t->direct = FIG_INJURED;
		t->ce = p + len;
		return;
	}
	/* 3失联: only after Arabic digits (统一转移 is not a count). */
	if (t->arabic && p == t->e) {
		w = fig_kw_at(s, n, p, FIG_PERSONS);
		if (w != NULL) {
			t->role = ROLE_PERSON;
			t->direct = w->kind;
			t->ce = p + w->len;
			return;
		}
	}
	if (p >= n || fig_is_punct(cp) || cp == ' ' ||
	    (cp < 0x80 &&
	     !((cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') ||
	       (cp >= 'A' && cp <= 'Z'))) ||
	    cp == 0x201d || cp == 0xff09)
		t->role = ROLE_BARE;
}

/* First pass: find every number and what follows it. */
static void
fig_numbers(struct fig_scan *sc)
{
	const char *s = sc->s;
	size_t n = sc->n, i = 0, len;
	struct fig_num t;
	unsigned cp;

	while (i < n && sc->nnums < FIG_NUMS_MAX) {
		unsigned char c = (unsigned char)s[i];

		/* Fast skip: numbers start with a digit or U+3007..U+9FFF. */
		if ((c < 0x80 && (c < '0' || c > '9')) ||
		    (c >= 0x80 && (c < 0xe3 || c > 0xe9))) {
			i++;
			continue;
		}
		cp = fig_cp(s, n, i, &len);
		if (!fig_starts(cp) || !fig_parse(s, n, i, &t)) {
			i += len;
			continue;
		}
		/* An Arabic number glued to letters or digits is an id. */
		if (t.arabic && i > 0 &&
		    ((s[i - 1] >= 'A' && s[i - 1] <= 'Z') ||
		     (s[i - 1] >= '0' && s[i - 1] <= '9') ||
		     (s[i - 1] >= 'a' && s[i - 1] <= 'z') || s[i - 1] == '-' ||
		     s[i - 1] == '/' || s[i - 1] == '.' || s[i - 1] == '#')) {
			i = t.e;
			continue;
		}
		fig_follow(s, n, &t);
		if (fig_cp_before(s, n, i) == 0x7b2c) /* 第: an ordinal */
			t.role = ROLE_OTHER;
		if (t.v > FIG_VALUE_MAX)
			t.role = ROLE_OTHER;
		if (t.role != ROLE_OTHER)
			sc->nums[sc->nnums++] = t;
		i = t.e > i ? t.e : i + len;
	}
}

/*
 * Whether the sentence around byte i reports statistics (see top).  The
 * ends are found byte by byte: in UTF-8 a stop's bytes never occur inside
 * another character.  The answer is kept for the next number.
 */
static int
fig_in_stats(struct fig_scan *sc, size_t i)
{
	const char *s = sc->s;
	size_t b = i, e = i, k, j;

	if (sc->sent_e > sc->sent_b && i >= sc->sent_b && i < sc->sent_e)
		return sc->sent_stats;
	while (b > 0 && i - b < FIG_SENT_MAX) {
		unsigned char c = (unsigned char)s[b - 1];

		/* 。！？ end in 0x82, 0x81, 0x9f */
		if ((c < 0x80 || c == 0x82 || c == 0x81 || c == 0x9f) &&
		    (fig_stop_at(s, i, b - 1) ||
		     (b >= 3 && fig_stop_at(s, i, b - 3) == 3)))
			break;
		b--;
	}
	while (e < sc->n && e - i < FIG_SENT_MAX) {
		unsigned char c = (unsigned char)s[e];

		if ((c < 0x80 || c == 0xe3 || c == 0xef) &&
		    fig_stop_at(s, sc->n, e))
			break;
		e++;
	}
	sc->sent_b = b;
	sc->sent_e = e;
	sc->sent_stats = 0;
	for (j = b; j + 3 <= e && !sc->sent_stats; j++) {
		uint32_t key;

		if ((unsigned char)s[j] < 0xe0)
			continue;
		key = fig_key(s + j);
		for (k = 0; k < FIG_NSTATS; k++) {
			if (key == fig_stats_key[k] &&
			    fig_at(s, e, j, fig_stats[k]))
				sc->sent_stats = 1;
		}
	}
	for (k = 0; k < sc->nnums; k++) {
		const struct fig_num *t = &sc->nums[k];

		if (t->role == ROLE_QI && t->b >= b && t->b < e && t->v >= 2)
			sc->sent_stats = 1;
	}
	return sc->sent_stats;
}

/*
 * Look left of byte p (the number's start) for a keyword of kinds, no
 * further than limit (the previous number's end).  A keyword ending at
 * taken was bound by the previous number: the search stops there.
 */
static int
fig_left(const struct fig_scan *sc, size_t p, size_t limit, unsigned kinds,
         size_t taken, struct fig_hit *h)
{
	const struct fig_kw *w;
	size_t len;
	int gap = 0;

	while (gap <= FIG_WIN_LEFT && p > limit) {
		w = fig_kw_before(sc->s, p, kinds);
		if (w != NULL && p - w->len >= limit) {
			if (p == taken)
				return 0;
			h->kw = w;
			h->b = p - w->len;
			h->e = p;
			h->gap = gap;
			return 1;
		}
		p = fig_prev(sc->s, p);
		if (fig_is_punct(fig_cp(sc->s, sc->n, p, &len)))
			return 0;
		gap++;
	}
	return 0;
}

/*
 * Look right of byte p (after the classifier) for a keyword of kinds,
 * before limit (the next number).  A describing keyword (被困矿工) is kept
 * as a fallback while a death, rescue or serious-injury word is looked
 * for after it.
 */
static int
fig_right(const struct fig_scan *sc, size_t p, size_t limit, unsigned kinds,
          struct fig_hit *h)
{
	const struct fig_kw *w;
	struct fig_hit fb;
	size_t len, q;
	int gap = 0, have_fb = 0;

	memset(&fb, 0, sizeof(fb));

	while (gap <= FIG_WIN_RIGHT && p < limit) {
		unsigned cp = fig_cp(sc->s, sc->n, p, &len);

		if (fig_is_punct(cp))
			break;
		w = fig_kw_at(sc->s, limit, p, kinds);
		if (w == NULL) {
			p += len;
			gap++;
			continue;
		}
		if (have_fb) {
			if (!(w->kind &
			      (FIG_DEATHS | FIG_RESCUED | FIG_SERIOUS)))
				break;
			h->kw = w;
			h->b = p;
			h->e = p + w->len;
			h->gap = fb.gap;
			return 1;
		}
		q = p + w->len;
		if ((w->flags & KW_MOD) &&
		    fig_noun_start(fig_cp(sc->s, sc->n, q, &len))) {
			fb.kw = w;
			fb.b = p;
			fb.e = q;
			fb.gap = gap;
			have_fb = 1;
			gap += (int)(w->len / 3);
			p = q;
			continue;
		}
		h->kw = w;
		h->b = p;
		h->e = q;
		h->gap = gap;
		return 1;
	}
	if (have_fb)
		*h = fb;
	return have_fb;
}

/* Whether item (len bytes) is one of the "; "-separated items of ev. */
static int
fig_has_item(const char *ev, size_t cap, const char *item, size_t len)
{
	size_t used = strnlen(ev, cap), i = 0, e;

	while (i < used) {
		const char *sep = fig_find(ev + i, used - i, "; ", 2);

		e = sep != NULL ? (size_t)(sep - ev) : used;
		if (e - i == len && memcmp(ev + i, item, len) == 0)
			return 1;
		i = e + 2;
	}
	return 0;
}

/* Append item to the evidence if it is new and fits whole. */
static void
fig_evidence(struct figures *f, const char *item, size_t len)
{
	size_t cap = sizeof(f->evidence), used;

	if (len == 0 || fig_has_item(f->evidence, cap, item, len))
		return;
	used = strnlen(f->evidence, cap);
	if (used >= cap || used + (used > 0 ? 2 : 0) + len + 1 > cap)
		return;
	if (used > 0) {
		memcpy(f->evidence + used, "; ", 2);
		used += 2;
	}
	memcpy(f->evidence + used, item, len);
	f->evidence[used + len] = '\0';
}

/* The field of f that a FIG_* bit names. */
static int64_t *
fig_field(struct figures *f, unsigned kind)
{
	switch (kind) {
	case FIG_DEATHS:
		return &f->deaths;
	case FIG_MISSING:
		return &f->missing;
	case FIG_TRAPPED:
		return &f->trapped;
	case FIG_INJURED:
		return &f->injured;
	case FIG_SERIOUS:
		return &f->serious;
	case FIG_RESCUED:
		return &f->rescued;
	case FIG_POISONED:
		return &f->poisoned;
	case FIG_EVACUATED:
		return &f->evacuated;
	case FIG_PARTICIPANTS:
		return &f->participants;
	case FIG_LOSS:
		return &f->loss_yuan;
	}
	return NULL;
}

/* The value of the field a FIG_* bit names. */
static int64_t
fig_value(const struct figures *f, unsigned kind)
{
	switch (kind) {
	case FIG_DEATHS:
		return f->deaths;
	case FIG_MISSING:
		return f->missing;
	case FIG_TRAPPED:
		return f->trapped;
	case FIG_INJURED:
		return f->injured;
	case FIG_SERIOUS:
		return f->serious;
	case FIG_RESCUED:
		return f->rescued;
	case FIG_POISONED:
		return f->poisoned;
	case FIG_EVACUATED:
		return f->evacuated;
	case FIG_PARTICIPANTS:
		return f->participants;
	case FIG_LOSS:
		return f->loss_yuan;
	}
	return 0;
}

/* Record value for kind (keeping the maximum) and the phrase s[b..e). */
static void
fig_note(struct figures *f, unsigned kind, double v, const char *s, size_t b,
         size_t e)
{
	int64_t *field = fig_field(f, kind), x;

	if (field == NULL)
		return;
	x = (int64_t)(v + 0.5);
	if (!(f->found & kind) || x > *field)
		*field = x;
	f->found |= kind;
	if (kind == FIG_SERIOUS) {
		if (!(f->found & FIG_INJURED) || x > f->injured)
			f->injured = x;
		f->found |= FIG_INJURED;
	}
	fig_evidence(f, s + b, e - b);
}

/*
 * Bind number k to a keyword and record it.  *taken is the end of the
 * keyword the previous number bound on its right, updated here.
 */
static void
fig_bind(struct fig_scan *sc, size_t k, size_t *taken, struct figures *f)
{
	const struct fig_num *t = &sc->nums[k];
	size_t lim_l = 0, lim_r = sc->n, len;
	struct fig_hit l, r, *h = NULL;
	unsigned kinds;
	int hl, hr = 0;

	if (k > 0)
		lim_l = sc->nums[k - 1].ce;
	if (k + 1 < sc->nnums)
		lim_r = sc->nums[k + 1].b;
	if (t->role == ROLE_PERSON && t->direct) {
		fig_note(f, t->direct, t->v, sc->s, t->b, t->ce);
		*taken = 0;
		return;
	}
	kinds = t->role == ROLE_PERSON ? FIG_PERSONS : FIG_LOSS;
	if (t->role == ROLE_BARE)
		kinds = t->big ? FIG_PERSONS | FIG_LOSS : FIG_PERSONS;
	hl = fig_left(sc, t->b, lim_l, kinds, *taken, &l);
	/* A bare number needs 人数 after a person keyword (死亡人数升至15). */
	if (hl && t->role == ROLE_BARE && l.kw->kind != FIG_LOSS &&
	    !fig_at(sc->s, sc->n, l.e, "人数"))
		hl = 0;
	/* 挽回经济损失, 避免损失: not a loss. */
	if (hl && l.kw->kind == FIG_LOSS) {
		size_t b = fig_ends(sc->s, l.b, "经济") ? l.b - 6 : l.b;

		if (fig_ends(sc->s, b, "挽回") || fig_ends(sc->s, b, "避免") ||
		    fig_ends(sc->s, b, "减少"))
			hl = 0;
	}
	if (t->role != ROLE_BARE)
		hr = fig_right(sc, t->ce, lim_r, kinds, &r);
	*taken = 0;
	/* 被困群众300余人已全部转移: the left word only describes them. */
	if (hl && hr && (l.kw->flags & KW_MOD) &&
	    fig_noun_start(fig_cp(sc->s, sc->n, l.e, &len)))
		hl = 0;
	if (hl && hr) {
		if (r.gap < l.gap ||
		    (r.gap == l.gap && (r.kw->flags & KW_NOUN)))
			h = &r;
		else
			h = &l;
	} else if (hl) {
		h = &l;
	} else if (hr) {
		h = &r;
	}
	if (h == NULL)
		return;
	if (h == &r)
		*taken = r.e;
	fig_note(f, h->kw->kind, t->v, sc->s, h->b < t->b ? h->b : t->b,
	         h->e > t->ce ? h->e : t->ce);
}

/*
 * Read every casualty and loss figure in text (normalised UTF-8) and merge
 * them into f, keeping the largest figure per field.  The text is borrowed;
 * at most FIG_TEXT_MAX bytes of it are read.
 */
void
figures_read(const char *text, struct figures *f)
{
	struct fig_scan sc; /* about 20 KiB of stack */
	size_t k, taken = 0;

	if (text == NULL || f == NULL)
		return;
	call_once(&fig_once, fig_index);
	sc.s = text;
	sc.n = strnlen(text, FIG_TEXT_MAX);
	sc.nnums = 0;
	sc.sent_b = sc.sent_e = 0;
	sc.sent_stats = 0;
	fig_numbers(&sc);
	for (k = 0; k < sc.nnums; k++) {
		const struct fig_num *t = &sc.nums[k];

		if (t->role == ROLE_QI || fig_in_stats(&sc, t->b))
			continue;
		fig_bind(&sc, k, &taken, f);
	}
}

/* Merge from into into: field-wise maximum, found bits, evidence. */
void
figures_merge(struct figures *into, const struct figures *from)
{
	size_t cap = sizeof(from->evidence), used, i = 0, e;
	unsigned bit;

	if (into == NULL || from == NULL)
		return;
	for (bit = FIG_DEATHS; bit <= FIG_LOSS; bit <<= 1) {
		int64_t *a = fig_field(into, bit);
		int64_t b = fig_value(from, bit);

		if (a == NULL || !(from->found & bit))
			continue;
		if (!(into->found & bit) || b > *a)
			*a = b;
		into->found |= bit;
	}
	used = strnlen(from->evidence, cap);
	while (i < used) {
		const char *sep =
		    fig_find(from->evidence + i, used - i, "; ", 2);

		e = sep != NULL ? (size_t)(sep - from->evidence) : used;
		fig_evidence(into, from->evidence + i, e - i);
		i = e + 2;
	}
}

/* The grade of v on a table whose lower bounds are i1 > i2 > i3. */
static enum grade
fig_step(int64_t v, double i1, double i2, double i3)
{
	if ((double)v >= i1)
		return GRADE_I;
	if ((double)v >= i2)
		return GRADE_II;
	if ((double)v >= i3)
		return GRADE_III;
	return GRADE_IV;
}

static enum grade
fig_max(enum grade a, enum grade b)
{
	return a > b ? a : b;
}

static int64_t
fig_max64(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

/* a + b for counts, saturating instead of overflowing. */
static int64_t
fig_add(int64_t a, int64_t b)
{
	if (a < 0)
		a = 0;
	if (b < 0)
		b = 0;
	return a > INT64_MAX - b ? INT64_MAX : a + b;
}

/* 生产安全事故 (国务院令493 第三条); also fires and road accidents. */
static enum grade
fig_production(const struct figures *f, int64_t toll)
{
	enum grade g = GRADE_UNKNOWN;

	if (f->found & FIG_TOLL)
		g = fig_max(g, fig_step(toll, 30, 10, 3));
	if (f->found & (FIG_SERIOUS | FIG_POISONED))
		g = fig_max(g, fig_step(fig_max64(f->serious, f->poisoned), 100,
		                        50, 10));
	if (f->found & FIG_INJURED)
		g = fig_max(g, GRADE_IV);
	if (f->found & FIG_LOSS)
		g = fig_max(g, fig_step(f->loss_yuan, 1e8, 5e7, 1e7));
	return g;
}

/* 突发环境事件 (2014 国家预案). */
static enum grade
fig_environment(const struct figures *f, int64_t toll)
{
	enum grade g = GRADE_UNKNOWN;

	if (f->found & FIG_TOLL)
		g = fig_max(g, fig_step(toll, 30, 10, 3));
	if (f->found & (FIG_SERIOUS | FIG_POISONED))
		g = fig_max(g, fig_step(fig_max64(f->serious, f->poisoned), 100,
		                        50, 10));
	if (f->found & FIG_INJURED)
		g = fig_max(g, GRADE_IV);
	if (f->found & FIG_EVACUATED)
		g = fig_max(g, fig_step(f->evacuated, 5e4, 1e4, 5e3));
	if (f->found & FIG_LOSS)
		g = fig_max(g, fig_step(f->loss_yuan, 1e8, 2e7, 5e6));
	return g;
}

/*
 * 地质灾害: 灾情 by deaths and direct loss (国务院令394 第四条); people
 * moved out of danger are graded on the 险情 table (1000/500/100).
 */
static enum grade
fig_geology(const struct figures *f, int64_t toll)
{
	enum grade g = GRADE_UNKNOWN;

	if (f->found & FIG_TOLL)
		g = fig_max(g, fig_step(toll, 30, 10, 3));
	if (f->found & FIG_LOSS)
		g = fig_max(g, fig_step(f->loss_yuan, 1e7, 5e6, 1e6));
	if (f->found & FIG_EVACUATED)
		g = fig_max(g, fig_step(f->evacuated, 1000, 500, 100));
	return g;
}

/*
 * 食品安全事故 on the provincial table: 重大 is >= 10 deaths, or >= 100
 * harmed with a death; 较大 is >= 100 harmed or any death; 一般 below
 * (the table's 30-99 band, and smaller cases too).  特别重大 (cross-
 * province) and the school rules are not known from figures.
 */
static enum grade
fig_food(const struct figures *f, int64_t toll)
{
	int64_t harmed;

	if (!(f->found & (FIG_TOLL | FIG_POISONED | FIG_INJURED)))
		return GRADE_UNKNOWN;
	harmed = fig_max64(f->poisoned, fig_max64(f->injured, f->serious));
	if (toll >= 10 || (harmed >= 100 && toll > 0))
		return GRADE_II;
	if (harmed >= 100 || toll > 0)
		return GRADE_III;
	return GRADE_IV;
}

/*
 * 群体性事件 (分级标准(试行) 2006): 特别重大 at >= 5000 taking part,
 * >= 10 dead or >= 30 injured; 重大 at 1000, 3 dead, 10 injured; 较大 at
 * 100 taking part (a local plan's cut-off); 一般 below.
 */
static enum grade
fig_mass(const struct figures *f, int64_t toll)
{
	enum grade g = GRADE_UNKNOWN;

	if (f->found & FIG_PARTICIPANTS)
		g = fig_max(g, fig_step(f->participants, 5000, 1000, 100));
	if (f->found & FIG_TOLL)
		g = fig_max(g, fig_step(toll, 10, 3, 1e18));
	if (f->found & (FIG_INJURED | FIG_SERIOUS))
		g = fig_max(g, fig_step(fig_max64(f->injured, f->serious), 30,
		                        10, 1e18));
	return g;
}

/* Floods and storms at district level: deaths on the 30/10/3 scale. */
static enum grade
fig_natural_district(const struct figures *f, int64_t toll)
{
	if (!(f->found & FIG_TOLL))
		return GRADE_UNKNOWN;
	return fig_step(toll, 30, 10, 3);
}

/*
 * 国家自然灾害救助应急预案 response levels: deaths 200/100/50, people
 * moved and resettled 200万/100万/50万; below Ⅲ is 一般.
 */
static enum grade
fig_natural_national(const struct figures *f, int64_t toll)
{
	enum grade g = GRADE_UNKNOWN;

	if (f->found & FIG_TOLL)
		g = fig_max(g, fig_step(toll, 200, 100, 50));
	if (f->found & FIG_EVACUATED)
		g = fig_max(g, fig_step(f->evacuated, 2e6, 1e6, 5e5));
	return g;
}

static const struct {
	const char *name;
	enum grade (*fn)(const struct figures *, int64_t);
} fig_scales[] = {
    {"production", fig_production},
    {"environment", fig_environment},
    {"geology", fig_geology},
    {"food", fig_food},
    {"mass", fig_mass},
    {"natural_district", fig_natural_district},
    {"natural_national", fig_natural_national},
};

#define FIG_NSCALES (sizeof(fig_scales) / sizeof(fig_scales[0]))

/*
 * The official grade of the figures on the named scale (NULL or unknown:
 * "production").  Deaths count with missing and trapped people.  Returns
 * GRADE_UNKNOWN when no figure that scale uses was read.
 */
enum grade
figures_grade(const struct figures *f, const char *scale)
{
	int64_t toll;
	size_t k;

	if (f == NULL)
		return GRADE_UNKNOWN;
	toll = fig_add(fig_add(f->deaths, f->missing), f->trapped);
	for (k = 0;
	     scale != NULL && k < sizeof(fig_scales) / sizeof(fig_scales[0]);
	     k++) {
		if (strcmp(scale, fig_scales[k].name) == 0)
			return fig_scales[k].fn(f, toll);
	}
	return fig_production(f, toll);
}

const char *
grade_name(enum grade g)
{
	switch (g) {
	case GRADE_I:
		return "特别重大";
	case GRADE_II:
		return "重大";
	case GRADE_III:
		return "较大";
	case GRADE_IV:
		return "一般";
	case GRADE_UNKNOWN:
		break;
	}
	return "unknown";
}
