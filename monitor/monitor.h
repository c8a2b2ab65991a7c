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
