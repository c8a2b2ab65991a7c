/*
 * alerts/: the Redis store (store.c) and, later, alert delivery.
 */
#ifndef YQ_ALERTS_H
#define YQ_ALERTS_H

#include <event2/event.h>
#include <hiredis/hiredis.h>

#include "config/config.h"
#include "feeds/feeds.h"
#include "monitor/monitor.h"

/* store.c */
struct store;
enum store_state {
	STORE_DOWN,
	STORE_CONNECTING,
	STORE_UP,
	STORE_BAD_SCHEMA,
};
/* reply is NULL when the command was lost; it lives only for the call. */
typedef void (*store_reply_cb)(redisReply *reply, void *arg);
typedef void (*store_done_cb)(void *arg);
typedef void (*store_state_cb)(enum store_state, const char *reason, void *arg);
struct store *store_new(struct event_base *, const struct conf_redis *,
                        store_state_cb, void *);
int store_reconfigure(struct store *, const struct conf_redis *);
int store_command(struct store *, store_reply_cb, void *, const char *, ...);
int store_command_argv(struct store *, store_reply_cb, void *, int,
                       const char **, const size_t *);
/* A copied argument vector for store_command_argv. */
struct store_args {
	char **v;
	size_t *len;
	size_t n, cap;
	int failed;
};
void store_args_add(struct store_args *, const char *, size_t);
void store_args_addf(struct store_args *, const char *, long long);
int store_args_send(struct store *, const struct store_args *, store_reply_cb,
                    void *);
void store_args_clear(struct store_args *);
int store_command_final(struct store *, store_reply_cb, void *, const char *,
                        ...);
enum store_state store_state(const struct store *, const char **);
const char *store_state_name(enum store_state);
size_t store_pending(const struct store *);
const char *store_prefix(const struct store *);
struct event_base *store_base(const struct store *);
void store_drain(struct store *, store_done_cb, void *);
void store_free(struct store *);

/* feedstore.c */
struct feedstore;
struct feedstore *feedstore_new(struct store *, const struct config *);
void feedstore_bind(struct feedstore *, struct feeds *);
void feedstore_hooks(struct feedstore *, struct feeds_hooks *);
void feedstore_reconfigure(struct feedstore *, const struct config *);
void feedstore_link_up(struct feedstore *);
int64_t feedstore_items_recorded(const struct feedstore *);
void feedstore_on_items(struct feedstore *, void (*)(void *), void *);
void feedstore_free(struct feedstore *);

/* incidentstore.c */
struct incidentstore;
typedef void (*istore_ready_cb)(void *arg);
struct incidentstore *incidentstore_new(struct store *, istore_ready_cb,
                                        void *);
void incidentstore_bind(struct incidentstore *, struct incidents *);
void incidentstore_hooks(struct incidentstore *, struct incidents_hooks *);
void incidentstore_link_up(struct incidentstore *);
void incidentstore_poke(struct incidentstore *);
void incidentstore_flush(struct incidentstore *);
int64_t incidentstore_alerts(const struct incidentstore *);
void incidentstore_free(struct incidentstore *);

#endif
