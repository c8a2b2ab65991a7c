/*
 * config/: the base layer every other folder builds on -- the configuration
 * (config.c, parsed with libconfig), logging (log.c) and the clock (clock.c).
 */
#ifndef YQ_CONFIG_H
#define YQ_CONFIG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/time.h>
#include <syslog.h>

/* log.c */
typedef void (*log_sink_cb)(int pri, const char *line, void *arg);
void log_init(const char *, int);
void log_set_level(int);
int log_get_level(void);
void log_to_syslog(void);
void log_set_sink(log_sink_cb, void *);
int log_level_parse(const char *);
const char *log_level_name(int);
void log_vemit(int, const char *, va_list)
    __attribute__((format(printf, 2, 0)));
void log_emit(int, const char *, ...) __attribute__((format(printf, 2, 3)));
void fatalx(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));
#define log_err(...)    log_emit(LOG_ERR, __VA_ARGS__)
#define log_warnx(...)  log_emit(LOG_WARNING, __VA_ARGS__)
#define log_notice(...) log_emit(LOG_NOTICE, __VA_ARGS__)
#define log_info(...)   log_emit(LOG_INFO, __VA_ARGS__)
#define log_debug(...)  log_emit(LOG_DEBUG, __VA_ARGS__)

/* clock.c */
#define CLOCK_SCALE_MIN 0.001
#define CLOCK_SCALE_MAX 1000000.0
int clock_init(double, int64_t);
double clock_scale(void);
int64_t clock_now_ms(void);
int64_t clock_mono_ms(void);
void clock_timeval(int64_t, struct timeval *);
void clock_set_zone(const char *);
int clock_utc_offset(int64_t);
int clock_parse_iso8601(const char *, int64_t *);
size_t clock_format(int64_t, char *, size_t);
int64_t clock_real_ms(void);
int64_t clock_real_wall_ms(void);
void clock_real_timeval(int64_t, struct timeval *);

/* config.c */

/* A secret is given inline, as a file (<key>_file) or as an env variable
 * (<key>_env).  source says which, for --dump; value is never logged. */
struct secret {
	char *value;
	char *source; /* "inline", "file:PATH" or "env:NAME"; NULL if unset */
};

struct strlist {
	char **v;
	size_t n;
};

struct durlist {
	int64_t *v; /* milliseconds */
	size_t n;
};

#define CONF_LIST(type)                                                        \
	struct {                                                               \
		type *v;                                                       \
		size_t n;                                                      \
	}

/* A listening or connecting address: "IP:PORT", "[IPv6]:PORT" or a unix
 * socket path ("unix:/path" or "/path"). */
struct conf_addr {
	int is_unix;
	char host[64];
	int port;
	char path[108];
};

struct conf_log {
	int level;
};

struct conf_redis {
	char *address;
	char *prefix;
	int64_t db;
	struct secret password;
	int64_t connect_timeout; /* all durations in ms */
	int64_t command_timeout;
	int64_t backoff_min;
	int64_t backoff_max;
	int64_t ping_interval;
};

struct conf_http {
	char *listen;
	int64_t max_body;
	int64_t max_headers;
	int64_t timeout;
	char *public_url;
};

struct conf_clock {
	char *zone;
};

struct conf_daemon {
	char *state_dir;
	int64_t shutdown_grace;
};

struct conf_fetch {
	int64_t max_concurrent;
	int64_t per_host;
	int64_t host_spacing;
	int64_t max_body;
	int64_t connect_timeout;
	int64_t timeout;
	int64_t low_speed_time;
	char *user_agent;
	int64_t down_after_failures;
	int64_t down_after;
};

struct conf_header {
	char *name;
	struct secret value;
};

struct conf_feed {
	char *id;
	char *url;
	char *title;
	int64_t interval;
	int64_t ceiling;
	int local;
	int official;
	int chinese;
	int tls_verify;
	char *zone;
	char *user_agent;
	char *proxy;
	CONF_LIST(struct conf_header) headers;
};

struct conf_rules {
	struct strlist files;
	struct strlist jurisdiction;
};

/* When an emergency-type item is major (5 h / 24 h) rather than ordinary. */
struct conf_classify {
	struct strlist major_grades; /* grades that make it major */
	int no_figures;              /* CONF_CLASS_*: when no figure is read */
	int natural_scale;           /* CONF_NATURAL_* for 自然灾害 */
};
enum { CONF_CLASS_MAJOR, CONF_CLASS_ORDINARY };
enum { CONF_NATURAL_DISTRICT, CONF_NATURAL_NATIONAL };

struct conf_recipient {
	char *id;
	char *name;
	char *role;
	char *department;
	char *mobile;
	char *email;
	int wecom;
	int dingtalk;
};

struct conf_smtp {
	int present; /* the group is in the file: the channel is on */
	char *url;
	int starttls;  /* smtp://: STARTTLS required (default true) */
	char *ca_file; /* PEM CAs for the server's certificate; NULL: system */
	char *from;
	char *username;
	struct secret password;
	int64_t timeout;
};

struct conf_sms {
	int present;
	int provider; /* CONF_SMS_HTTP, _ALIYUN, _TENCENT */
	char *url;
	int method;
	char *body;
	char *success;
	struct secret access_key;
	struct secret access_secret;
	char *sign_name; /* the provider's approved signature, e.g. 大通区 */
	char *template;  /* TemplateCode (Aliyun) or TemplateId (Tencent) */
	char *app_id;    /* Tencent SmsSdkAppId */
	char *region;    /* Tencent X-TC-Region */
	char *host;      /* Tencent: the host signed (the URL may differ) */
};
enum { CONF_SMS_HTTP, CONF_SMS_ALIYUN, CONF_SMS_TENCENT };

struct conf_robot {
	int present;
	struct secret webhook;
	struct secret secret;
	int markdown; /* msgtype markdown (else text) */
};

struct conf_console {
	int present; /* every message printed as a phone or mailbox shows it */
	char *file;  /* appended to; NULL: standard output */
};

struct conf_channels {
	struct conf_console console;
	struct conf_smtp smtp;
	struct conf_sms sms;
	struct conf_robot wecom;
	struct conf_robot dingtalk;
};

struct conf_level {
	char *name;
	struct strlist recipients;
	struct strlist classes;
	struct strlist milestones;
	struct strlist channels;
	int64_t from_lead;
	int at_breach;
	int on_unacked;
};

struct conf_delivery {
	int64_t retry_min;    /* first retry after a failed attempt */
	int64_t retry_max;    /* backoff ceiling */
	int64_t max_attempts; /* then the delivery is given up (logged) */
	int64_t sms_chars;    /* an SMS text is cut to this many characters */
	int64_t robot_per_minute; /* messages a group robot takes a window */
	int64_t sms_per_minute;   /* SMS the gateway takes a window */
	int64_t email_per_minute; /* mails the server takes a window */
	int64_t rate_window;      /* that window (1 minute; real time) */
	char *quiet_start; /* "22:00": ordinary incidents' SMS warnings */
	char *quiet_end;   /* wait for "07:00" (local); "" = no quiet */
	int quiet_from, quiet_to; /* minutes of the day, -1 = none */
};

struct conf_escalation {
	int64_t ack_major;
	int64_t ack_ordinary;
	int64_t repeat;
	char *technical;
	struct secret ack_secret; /* signs the acknowledge links */
	int64_t ack_ttl;          /* how long a link works (real time) */
	CONF_LIST(struct conf_level) levels;
};

struct conf_milestone {
	int64_t window;
	struct durlist warn;
	int64_t remind;
};

struct conf_responses {
	int auto_respond;       /* a detected response meets the milestone */
	struct strlist phrases; /* what an official response says */
};

struct conf_deadlines {
	struct conf_milestone release;
	struct conf_milestone presser;
	struct conf_milestone response;
	int64_t skew_max;
	int64_t stale_age;
};

struct conf_templates {
	char *subject;
	char *text;
	char *sms;
	char *breach_sms;
	char *source_down;
	char *unacked;
	char *report_subject; /* the weekly report's mail */
	char *report_text;    /* its text part (the HTML is the report) */
	char *report_robot;   /* its summary to the group robots */
};

/* The weekly timeliness report, mailed every Monday at "at" (local). */
struct conf_report {
	struct strlist mail_to; /* recipient ids or e-mail addresses */
	int robots;             /* a summary to the group robots too */
	char *at;               /* "09:00" */
	int at_min;             /* minutes of the day */
	int64_t catch_up;       /* after a slot missed while down, still send */
};

struct conf_token {
	char *name;
	int role;
	struct secret token;
};

struct conf_api {
	CONF_LIST(struct conf_token) tokens;
	int64_t rate;  /* requests per second per client, after */
	int64_t burst; /* a burst of this many */
};

enum { CONF_SMS_POST, CONF_SMS_GET };
enum { CONF_ROLE_READ, CONF_ROLE_WRITE };

struct config {
	char *path;
	struct conf_log log;
	struct conf_daemon daemon;
	struct conf_clock clock;
	struct conf_redis redis;
	struct conf_http http;
	struct conf_fetch fetch;
	CONF_LIST(struct conf_feed) feeds;
	struct conf_rules rules;
	struct conf_classify classify;
	CONF_LIST(struct conf_recipient) recipients;
	struct conf_channels channels;
	struct conf_escalation escalation;
	struct conf_delivery delivery;
	struct conf_responses responses;
	struct conf_deadlines deadlines;
	struct conf_templates templates;
	struct conf_report report;
	struct conf_api api;
};

/* Every problem found in one file, each "FILE:LINE: what is wrong". */
struct config_errors {
	char **v;
	int *lines; /* line of each, for ordering */
	size_t n;
};

struct config *config_load(const char *, struct config_errors *);
struct config *config_new_default(const char *, const char *const *, size_t);
void config_free(struct config *);
int config_dump(const struct config *, FILE *);
void config_errors_clear(struct config_errors *);
void config_errors_print(const struct config_errors *, FILE *);
void config_errors_sort(struct config_errors *);
int config_addr_parse(const char *, struct conf_addr *);
int config_zone_ok(const char *);
int config_duration_parse(const char *, int64_t *);
size_t config_duration_format(int64_t, char *, size_t);
int config_check_file(const char *, int, FILE *, FILE *);
void config_error_add(struct config_errors *, const char *, int, const char *,
                      ...) __attribute__((format(printf, 4, 5)));

#endif
