/*
 * monitor/: what turns items into incidents and deadlines, and the daemon's
 * HTTP face (httpd.c).
 */
#ifndef YQ_MONITOR_H
#define YQ_MONITOR_H

#include <event2/event.h>
#include <event2/http.h>
#include <jansson.h>

#include "config/config.h"
#include "feeds/feeds.h"

/* figures.c: casualty and loss figures, and the official grading */
enum grade {
	GRADE_UNKNOWN = 0,
	GRADE_IV,  /* 一般 */
	GRADE_III, /* 较大 */
	GRADE_II,  /* 重大 */
	GRADE_I,   /* 特别重大 */
};
#define FIG_DEATHS       0x001
#define FIG_MISSING      0x002 /* 失联, 下落不明 */
#define FIG_TRAPPED      0x004 /* 被困 */
#define FIG_INJURED      0x008
#define FIG_SERIOUS      0x010 /* 重伤, incl. 急性工业中毒 */
#define FIG_RESCUED      0x020 /* 获救, 升井 */
#define FIG_POISONED     0x040 /* 中毒 */
#define FIG_EVACUATED    0x080 /* 转移, 疏散 */
#define FIG_PARTICIPANTS 0x100 /* people taking part (mass incidents) */
#define FIG_LOSS         0x200 /* direct economic loss */
struct figures {
	unsigned found; /* FIG_* bits read */
	int64_t deaths, missing, trapped, injured, serious, rescued;
	int64_t poisoned, evacuated, participants;
	int64_t loss_yuan;
	char evidence[512]; /* the phrases read, "; "-separated */
};
void figures_read(const char *text, struct figures *);
void figures_merge(struct figures *into, const struct figures *);
enum grade figures_grade(const struct figures *, const char *scale);
const char *grade_name(enum grade);

/* rules.c */
struct rule {
	char *id;
	void *re;  /* pcre2_code */
	int major; /* an emergency type; else an ordinary concern */
	char *category;
	char *domain;
	char *scale; /* grading table, NULL: by category */
	int weight;
	const char *file; /* owned by the ruleset */
	int line;
	size_t pf; /* its number in the ruleset's literal scanner */
};
struct exclusion {
	char *id;
	void *re;
	char *reason;
	size_t pf;
};
struct ambiguous {
	char *term;
	char *near;
	int window;
};
struct route {
	char *domain;
	char **departments;
	size_t ndepartments;
};
struct ruleset {
	struct rule *rules;
	size_t nrules;
	struct exclusion *excl;
	size_t nexcl;
	char **places, **namesakes;
	size_t nplaces, nnamesakes;
	struct ambiguous *amb;
	size_t namb;
	struct route *routes;
	size_t nroutes;
	char **files;
	size_t nfiles;
	void *cc;   /* opencc_t */
	void *mctx; /* pcre2_match_context */
	void *md;   /* pcre2_match_data */
	struct litscan *scan;
	unsigned char *cand; /* per pattern: can it match this text */
	size_t nprefiltered; /* patterns with a literal set */
	int t2s_skip;        /* texts t2s would not change skip OpenCC */
	char t2s_why[160];
	int nojit;
	uint64_t limit_hits;
};
struct ruleset *rules_load(const struct config *, struct config_errors *);
void rules_free(struct ruleset *);
void rules_log_summary(const struct ruleset *);
int rules_match(struct ruleset *, const void *, const char *, const char *,
                size_t, size_t *, size_t *);
char *rules_simplify(const struct ruleset *, const char *);
int rules_jurisdiction(const struct ruleset *, const char *, char *, size_t);
const struct route *rules_route(const struct ruleset *, const char *);
int rules_check_config(const char *, int, FILE *, FILE *);

/* literals.c */
struct litscan;
int literals_required(const char *, char ***, size_t *);
void literals_free(char **, size_t);
struct litscan *litscan_new(void);
void litscan_free(struct litscan *);
long litscan_add(struct litscan *, const char *, int *);
size_t litscan_patterns(const struct litscan *);
size_t litscan_literals(const struct litscan *);
void litscan_scan(const struct litscan *, const char *, size_t,
                  unsigned char *);

/* t2s.c */
int t2s_table_check(char *, size_t);
int t2s_needed(const char *, size_t);

/* classify.c */
enum { CLASS_NONE, CLASS_ORDINARY, CLASS_MAJOR };
#define CLASSIFY_MAX_TEXT        (64 << 10)
#define CLASSIFY_MAX_HITS        16
#define CLASSIFY_MAX_DOMAINS     8
#define CLASSIFY_MAX_DEPARTMENTS 16
struct rule_hit {
	const char *id; /* the rule's or exclusion's, owned by the ruleset */
	char span[96];  /* what matched (simplified) */
	int major;
	int vetoed; /* an emergency match an exclusion overruled */
};
struct classification {
	int in_jurisdiction;
	char place[96]; /* the place that decided it */
	int cls;        /* CLASS_* */
	int emergency;  /* an emergency-type rule counted */
	enum grade grade;
	const char *category; /* owned by the ruleset, or NULL */
	const char *scale;
	const char *domains[CLASSIFY_MAX_DOMAINS];
	size_t ndomains;
	const char *departments[CLASSIFY_MAX_DEPARTMENTS];
	size_t ndepartments;
	struct rule_hit hits[CLASSIFY_MAX_HITS];
	size_t nhits;
	struct rule_hit vetoes[CLASSIFY_MAX_HITS];
	size_t nvetoes;
	struct figures fig;
	char *simplified; /* the text as matched */
};
int classify_text(struct ruleset *, const struct conf_classify *, const char *,
                  int, struct classification *);
void classification_clear(struct classification *);
const char *class_name(int);
void classify_shutdown(void);

/* deadline.c: one timer for every stage still to come */
struct deadline_entry {
	int64_t at; /* monitored epoch ms */
	uint64_t incident;
	int milestone;
	int stage;
};
struct deadline_queue;
/* e is valid only for the call; the callback may add entries. */
typedef void (*deadline_fire_cb)(const struct deadline_entry *e, void *arg);
struct deadline_queue *deadline_new(struct event_base *, deadline_fire_cb,
                                    void *);
int deadline_add(struct deadline_queue *, const struct deadline_entry *);
void deadline_remove(struct deadline_queue *, uint64_t, int);
size_t deadline_size(const struct deadline_queue *);
void deadline_stop(struct deadline_queue *);
int64_t deadline_next(const struct deadline_queue *);
void deadline_free(struct deadline_queue *);

/* incident.c */
enum { MS_RELEASE, MS_PRESSER, MS_RESPONSE, MS_COUNT };
enum { MS_PENDING, MS_MET, MS_BREACHED, MS_MET_LATE };
enum { INC_OPEN, INC_ACKED, INC_CLOSED, INC_DISMISSED };

struct milestone {
	int active;
	int state;     /* MS_* */
	int64_t start; /* clock start, monitored epoch ms */
	int64_t due;
	int64_t met_at; /* -1 if not met */
	int next_stage; /* the first stage not yet recorded */
};
struct incident {
	uint64_t id;
	int state; /* INC_* */
	int cls;   /* CLASS_MAJOR or CLASS_ORDINARY */
	enum grade grade;
	char title[512];
	char link[256];  /* the first item's, for alert texts */
	char source[64]; /* the first item's feed, for the report */
	char category[32];
	char place[96];
	char departments[256]; /* comma-separated */
	uint64_t simhash;
	char key[160]; /* place|category for emergencies, else "" */
	int64_t first_seen, clock_start, updated;
	struct figures fig;
	int nitems;
	struct milestone ms[MS_COUNT];
};
/* A new or edited item as the feeds recorded it (borrowed strings). */
struct item_in {
	const char *feed;
	int local;
	const char *key, *title, *text, *link;
	int64_t published; /* -1 if absent */
	int64_t first_seen;
};
/* Persistence, all borrowed for the call:
 * save: the incident changed (event "opened", "item", "graded", ...);
 * item: it gained an item, with the item's classification;
 * alert: record stage (of milestone) due at due_at, idempotently. */
struct incidents_hooks {
	void (*save)(const struct incident *, const char *event,
	             const char *detail, void *arg);
	void (*item)(const struct incident *, const struct item_in *,
	             const struct classification *, void *arg);
	void (*alert)(const struct incident *, int milestone, int stage,
	              const char *stage_name, int64_t due_at, int64_t now,
	              void *arg);
	void (*met)(const struct incident *, int milestone, const char *by,
	            const char *evidence, void *arg);
	void *arg;
};
struct incidents;
struct incidents *incidents_new(struct event_base *, const struct config *,
                                struct ruleset *,
                                const struct incidents_hooks *);
void incidents_reconfigure(struct incidents *, const struct config *,
                           struct ruleset *);
int incidents_item(struct incidents *, const struct item_in *);
int incidents_restore(struct incidents *, const struct incident *);
int incidents_meet(struct incidents *, uint64_t, int, int64_t, const char *,
                   const char *);
int incidents_ack(struct incidents *, uint64_t, const char *);
int incidents_dismiss(struct incidents *, uint64_t, const char *, const char *);
int incidents_reopen(struct incidents *, uint64_t, const char *);
int incidents_reclassify(struct incidents *, uint64_t, int, const char *,
                         const char *);
int incidents_merge(struct incidents *, uint64_t, uint64_t, const char *,
                    const char *);
void incidents_each(const struct incidents *,
                    void (*)(const struct incident *, void *), void *);
struct incident *incidents_get(struct incidents *, uint64_t);
int64_t incident_stage_at(const struct incidents *, const struct incident *,
                          int, int, char *, size_t);
const char *milestone_name(int);
const char *incident_state_name(int);
const char *milestone_state_name(int);
int state_index(int, const char *);
size_t incidents_count(const struct incidents *);
void incidents_stats(const struct incidents *, int64_t[3][4], int64_t *,
                     int64_t *, int64_t *);
void incidents_stop(struct incidents *);
size_t incidents_scheduled(const struct incidents *);
void incidents_free(struct incidents *);

/* cluster.c: which open incident an item belongs to */
#define CLUSTER_DEFAULT_DISTANCE 6 /* bits; see cluster.c for the data */
uint64_t cluster_simhash(const char *utf8, size_t len);
int cluster_distance(uint64_t a, uint64_t b); /* Hamming distance */
struct cluster_index;
struct cluster_index *cluster_index_new(int max_distance, int64_t window_ms);
/* Key: NULL or "" for none, copied.  Re-adding an id replaces its hash,
 * key and time.  Hash 0: found by key only. */
int cluster_index_add(struct cluster_index *, uint64_t id, uint64_t hash,
                      const char *key, int64_t at);
/* Frees entries seen before at - window, then: an equal key wins
 * (*distance -1), else the closest hash within the distance, ties to the
 * most recent, then the smaller id.  0 if none. */
uint64_t cluster_index_find(struct cluster_index *, uint64_t hash,
                            const char *key, int64_t at, int *distance);
void cluster_index_remove(struct cluster_index *, uint64_t id);
size_t cluster_index_size(const struct cluster_index *);
void cluster_index_free(struct cluster_index *);

/* httpd.c */
struct httpd;
/* Fill doc (borrowed) with health details; return 1 if healthy. */
typedef int (*httpd_health_cb)(json_t *doc, void *arg);
struct httpd *httpd_new(struct event_base *, const struct conf_http *,
                        httpd_health_cb, void *);
int httpd_reconfigure(struct httpd *, const struct conf_http *);
int httpd_needs_rebind(const struct httpd *, const struct conf_http *);
void httpd_stop_accepting(struct httpd *);
void httpd_free(struct httpd *);
void httpd_reply_json(struct evhttp_request *, int, const char *, json_t *);
void httpd_fallback(struct httpd *, void (*)(struct evhttp_request *, void *),
                    void *);
void httpd_not_found(struct evhttp_request *);
int httpd_route(struct httpd *, const char *,
                void (*)(struct evhttp_request *, void *), void *);
void httpd_reply_html(struct evhttp_request *, int, const char *, const char *);
void httpd_reply_text(struct evhttp_request *, const char *, const char *,
                      size_t);
void httpd_reply_error(struct evhttp_request *, int, const char *,
                       const char *);

/* ctl_feed.c, ctl_fetch.c: yuqingctl commands (only in yuqingctl) */
int ctl_feed_dump(int, char **);
int ctl_fetch(int, char **);
int ctl_explain(int, char **);
int ctl_classify(int, char **);
int ctl_list(int, char **);
int ctl_show(int, char **);
int ctl_ack(int, char **);
int ctl_respond(int, char **);
int ctl_dismiss(int, char **);
int ctl_reopen(int, char **);
int ctl_reclassify(int, char **);
int ctl_merge(int, char **);
int ctl_report(int, char **);
int ctl_audit(int, char **);
int ctl_feeds(int, char **);

#endif
