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
void httpd_reply_error(struct evhttp_request *, int, const char *,
                       const char *);

/* ctl_feed.c, ctl_fetch.c: yuqingctl commands (only in yuqingctl) */
int ctl_feed_dump(int, char **);
int ctl_fetch(int, char **);

#endif
