/*
 * feeds/: the feed list, and (issue 3) scheduling, fetching and parsing.
 */
#ifndef YQ_FEEDS_H
#define YQ_FEEDS_H

#include <event2/event.h>

#include "config/config.h"

/* feeds.c */
struct feeds;
struct feeds *feeds_new(struct event_base *, const struct config *);
int feeds_reconfigure(struct feeds *, const struct config *);
size_t feeds_count(const struct feeds *);
void feeds_stop(struct feeds *);
void feeds_free(struct feeds *);

#endif
