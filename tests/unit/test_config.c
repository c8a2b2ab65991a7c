/*
 * test_config.c: config.c -- durations, addresses, zones, and config_load
 * on real files (defaults, secrets, collected errors).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/config.h"

#define MS_S 1000LL
#define MS_M (60 * MS_S)
#define MS_H (60 * MS_M)
#define MS_D (24 * MS_H)

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Temporary files ------------------------------------------------------ */

/* Write text to a new temporary file; its name goes to path. */
static void
temp_write(char *path, size_t len, const char *suffix, const char *text)
{
	FILE *f;
	int fd;

	snprintf(path, len, "/tmp/yq-unit-config-XXXXXX%s", suffix);
	fd = mkstemps(path, (int)strlen(suffix));
	assert_true(fd != -1);
	f = fdopen(fd, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/* Load text as a configuration file; errors go to errs. */
static struct config *
load_text(const char *text, char *path, size_t len, struct config_errors *errs)
{
	struct config *c;

	temp_write(path, len, ".conf", text);
	c = config_load(path, errs);
	unlink(path);
	return c;
}

/* config_duration_parse ------------------------------------------------ */

static const struct {
	const char *in;
	int rc;
	int64_t ms;
} duration_cases[] = {
    {"90s", 0, 90 * MS_S},
    {"5m", 0, 5 * MS_M},
    {"1h30m", 0, MS_H + 30 * MS_M},
    {"2d", 0, 2 * MS_D},
    {"250ms", 0, 250},
    {"0s", 0, 0},
    {"1d2h3m4s5ms", 0, MS_D + 2 * MS_H + 3 * MS_M + 4 * MS_S + 5},
    {"90m", 0, 90 * MS_M},
    {"100000000s", 0, 100000000 * MS_S},
    {"", -1, 0},
    {"5", -1, 0},
    {"-5m", -1, 0},
    {"+5m", -1, 0},
    {"5x", -1, 0},
    {"m", -1, 0},
    {"1.5h", -1, 0},
    {" 5m", -1, 0},
    {"5m ", -1, 0},
    {"5 m", -1, 0},
    {"5M", -1, 0},
    {"5H", -1, 0},
    {"5mss", -1, 0},
    {"1h30", -1, 0},
    {"100000001s", -1, 0},
    {"99999999999999999999d", -1, 0},
};

static void
test_duration_parse(void **state)
{
	size_t i;
	int64_t ms;

	(void)state;
	for (i = 0; i < NELEM(duration_cases); i++) {
		ms = -42;
		print_message("duration '%s'\n", duration_cases[i].in);
		assert_int_equal(
		    config_duration_parse(duration_cases[i].in, &ms),
		    duration_cases[i].rc);
		if (duration_cases[i].rc == 0)
			assert_int_equal(ms, duration_cases[i].ms);
		else
			assert_int_equal(ms, -42); /* untouched on error */
	}
}

/* config_duration_format ----------------------------------------------- */

static const struct {
	int64_t ms;
	const char *out;
} format_cases[] = {
    {0, "0s"},
    {1, "1ms"},
    {250, "250ms"},
    {MS_S, "1s"},
    {90 * MS_S, "1m30s"},
    {5 * MS_M, "5m"},
    {90 * MS_M, "1h30m"},
    {MS_D, "1d"},
    {48 * MS_H, "2d"},
    {MS_D + MS_H + MS_M + MS_S + 1, "1d1h1m1s1ms"},
    {MS_H + 500, "1h500ms"},
    {30 * MS_D, "30d"},
};

static void
test_duration_format(void **state)
{
	char buf[64];
	size_t i, n;

	(void)state;
	for (i = 0; i < NELEM(format_cases); i++) {
		memset(buf, 'x', sizeof(buf));
		n = config_duration_format(format_cases[i].ms, buf,
		                           sizeof(buf));
		assert_string_equal(buf, format_cases[i].out);
		assert_int_equal(n, strlen(format_cases[i].out));
	}
}

/* Too small a buffer: 0 and nothing written past len.  (What is left in
 * buf then is not specified: today a shorter, wrong duration.) */
static void
test_duration_format_small_buffer(void **state)
{
	char buf[8];

	(void)state;
	memset(buf, 'x', sizeof(buf));
	assert_int_equal(config_duration_format(90 * MS_M, buf, 0), 0);
	assert_int_equal(buf[0], 'x');
	assert_int_equal(config_duration_format(90 * MS_M, buf, 3), 0);
	assert_int_equal(buf[3], 'x');
	assert_int_equal(config_duration_format(90 * MS_M, buf, 5), 0);
	assert_int_equal(buf[5], 'x');
	assert_int_equal(config_duration_format(90 * MS_M, buf, 6), 5);
	assert_string_equal(buf, "1h30m");
}

/* format then parse gives the value back; parse then format is canonical. */
static void
test_duration_round_trip(void **state)
{
	static const int64_t values[] = {
	    0,
	    1,
	    999,
	    MS_S,
	    59 * MS_S,
	    MS_M,
	    61 * MS_S,
	    MS_H - 1,
	    5 * MS_H,
	    MS_D + 1,
	    7 * MS_D,
	    30 * MS_D + 12 * MS_H,
	    100000000 * MS_S,
	};
	static const struct {
		const char *in, *canonical;
	} spellings[] = {
	    {"90m", "1h30m"}, {"3600s", "1h"},    {"1000ms", "1s"},
	    {"24h", "1d"},    {"1h90m", "2h30m"},
	};
	char buf[64];
	int64_t ms;
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(values); i++) {
		assert_true(
		    config_duration_format(values[i], buf, sizeof(buf)) > 0);
		assert_int_equal(config_duration_parse(buf, &ms), 0);
		assert_int_equal(ms, values[i]);
	}
	for (i = 0; i < NELEM(spellings); i++) {
		assert_int_equal(config_duration_parse(spellings[i].in, &ms),
		                 0);
		config_duration_format(ms, buf, sizeof(buf));
		assert_string_equal(buf, spellings[i].canonical);
	}
}

/* config_addr_parse ---------------------------------------------------- */

static const struct {
	const char *in;
	int rc;
	int is_unix;
	const char *host;
	int port;
	const char *path;
} addr_cases[] = {
    {"127.0.0.1:6379", 0, 0, "127.0.0.1", 6379, ""},
    {"0.0.0.0:8787", 0, 0, "0.0.0.0", 8787, ""},
    {"10.1.2.3:1", 0, 0, "10.1.2.3", 1, ""},
    {"10.1.2.3:65535", 0, 0, "10.1.2.3", 65535, ""},
    {"[::1]:6380", 0, 0, "::1", 6380, ""},
    {"[2001:db8::17]:443", 0, 0, "2001:db8::17", 443, ""},
    {"unix:/run/redis/redis.sock", 0, 1, "", 0, "/run/redis/redis.sock"},
    {"/run/redis/redis.sock", 0, 1, "", 0, "/run/redis/redis.sock"},
    {"localhost:6379", -1, 0, NULL, 0, NULL},
    {"redis.example.com:6379", -1, 0, NULL, 0, NULL},
    {"127.0.0.1:0", -1, 0, NULL, 0, NULL},
    {"127.0.0.1:65536", -1, 0, NULL, 0, NULL},
    {"127.0.0.1:70000", -1, 0, NULL, 0, NULL},
    {"127.0.0.1:-1", -1, 0, NULL, 0, NULL},
    {"127.0.0.1", -1, 0, NULL, 0, NULL},
    {"127.0.0.1:", -1, 0, NULL, 0, NULL},
    {"127.0.0.1:80x", -1, 0, NULL, 0, NULL},
    {"256.1.1.1:80", -1, 0, NULL, 0, NULL},
    {":80", -1, 0, NULL, 0, NULL},
    {"[::1]6379", -1, 0, NULL, 0, NULL},
    {"[::1", -1, 0, NULL, 0, NULL},
    {"[]:80", -1, 0, NULL, 0, NULL},
    {"[::1]:0", -1, 0, NULL, 0, NULL},
    {"[localhost]:80", -1, 0, NULL, 0, NULL},
    {"unix:", -1, 0, NULL, 0, NULL},
    {"unix:relative.sock", -1, 0, NULL, 0, NULL},
    {"", -1, 0, NULL, 0, NULL},
};

static void
test_addr_parse(void **state)
{
	struct conf_addr a;
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(addr_cases); i++) {
		print_message("addr '%s'\n", addr_cases[i].in);
		assert_int_equal(config_addr_parse(addr_cases[i].in, &a),
		                 addr_cases[i].rc);
		if (addr_cases[i].rc != 0)
			continue;
		assert_int_equal(a.is_unix, addr_cases[i].is_unix);
		assert_string_equal(a.host, addr_cases[i].host);
		assert_int_equal(a.port, addr_cases[i].port);
		assert_string_equal(a.path, addr_cases[i].path);
	}
}

/* sun_path holds 108 bytes with the NUL: 107 characters fit, 108 do not. */
static void
test_addr_parse_long_path(void **state)
{
	char in[300];
	struct conf_addr a;

	(void)state;
	memset(in, 0, sizeof(in));
	in[0] = '/';
	memset(in + 1, 'p', 106);
	assert_int_equal(strlen(in), 107);
	assert_int_equal(config_addr_parse(in, &a), 0);
	assert_int_equal(a.is_unix, 1);
	assert_string_equal(a.path, in);

	in[107] = 'p';
	assert_int_equal(config_addr_parse(in, &a), -1);

	snprintf(in, sizeof(in), "unix:/%0250d", 0);
	assert_int_equal(config_addr_parse(in, &a), -1);
}

/* config_zone_ok ------------------------------------------------------- */

static const struct {
	const char *zone;
	int ok;
} zone_cases[] = {
    {"Asia/Shanghai", 1},
    {"UTC", 1},
    {"Europe/Berlin", 1},
    {"Mars/Olympus", 0},
    {"Asia/Beijing", 0},
    {"", 0},
    {"/etc/passwd", 0},
    {"/usr/share/zoneinfo/UTC", 0},
    {"../x", 0},
    {"Asia/../UTC", 0},
    {"../../etc/passwd", 0},
    {"Asia", 0}, /* a directory */
};

static void
test_zone_ok(void **state)
{
	size_t i;

	(void)state;
	unsetenv("TZDIR");
	for (i = 0; i < NELEM(zone_cases); i++) {
		print_message("zone '%s'\n", zone_cases[i].zone);
		assert_int_equal(config_zone_ok(zone_cases[i].zone),
		                 zone_cases[i].ok);
	}
}

/* TZDIR moves the database; a zone is a file that starts with "TZif". */
static void
test_zone_tzdir(void **state)
{
	char dir[] = "/tmp/yq-unit-tz-XXXXXX", path[128];
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/Good", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("TZif2 and the rest", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/Bad", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("root:x:0:0:root:/root:/bin/sh\n", f);
	fclose(f);

	setenv("TZDIR", dir, 1);
	assert_int_equal(config_zone_ok("Good"), 1);
	assert_int_equal(config_zone_ok("Bad"), 0);
	assert_int_equal(config_zone_ok("Asia/Shanghai"), 0);
	unsetenv("TZDIR");
	assert_int_equal(config_zone_ok("Good"), 0);

	snprintf(path, sizeof(path), "%s/Good", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/Bad", dir);
	unlink(path);
	rmdir(dir);
}

/* config_load: defaults -------------------------------------------------- */

static void
test_load_defaults(void **state)
{
	struct config_errors errs = {0};
	struct config *c;
	char path[64];

	(void)state;
	unsetenv("TZDIR");
	c = load_text("redis = { };\n", path, sizeof(path), &errs);
	assert_int_equal(errs.n, 0);
	assert_non_null(c);

	assert_int_equal(c->deadlines.release.window, 5 * MS_H);
	assert_int_equal(c->deadlines.release.warn.n, 3);
	assert_int_equal(c->deadlines.release.warn.v[0], 2 * MS_H);
	assert_int_equal(c->deadlines.release.warn.v[1], MS_H);
	assert_int_equal(c->deadlines.release.warn.v[2], 30 * MS_M);
	assert_int_equal(c->deadlines.release.remind, 30 * MS_M);
	assert_int_equal(c->deadlines.presser.window, 24 * MS_H);
	assert_int_equal(c->deadlines.response.window, 48 * MS_H);
	assert_int_equal(c->deadlines.response.warn.n, 4);
	assert_int_equal(c->deadlines.response.warn.v[0], 24 * MS_H);
	assert_int_equal(c->deadlines.response.remind, 4 * MS_H);
	assert_int_equal(c->deadlines.skew_max, 6 * MS_H);
	assert_int_equal(c->deadlines.stale_age, 48 * MS_H);

	assert_string_equal(c->clock.zone, "Asia/Shanghai");
	assert_string_equal(c->redis.prefix, "yq");
	assert_string_equal(c->redis.address, "127.0.0.1:6379");
	assert_int_equal(c->redis.db, 0);
	assert_null(c->redis.password.value);
	assert_null(c->redis.password.source);
	assert_int_equal(c->redis.backoff_min, 200);
	assert_string_equal(c->http.listen, "127.0.0.1:8787");
	assert_int_equal(c->http.max_body, 65536);
	assert_null(c->http.public_url);
	assert_int_equal(c->log.level, LOG_INFO);
	assert_string_equal(c->daemon.state_dir, "/var/lib/yuqing");
	assert_int_equal(c->fetch.down_after_failures, 5);
	assert_int_equal(c->escalation.ack_major, 15 * MS_M);
	assert_int_equal(c->escalation.ack_ordinary, 2 * MS_H);
	assert_int_equal(c->feeds.n, 0);
	assert_int_equal(c->recipients.n, 0);
	assert_int_equal(c->channels.smtp.present, 0);
	assert_int_equal(c->channels.wecom.present, 0);
	assert_non_null(strstr(c->templates.sms, "{ack_link}"));
	config_free(c);
}

/* Per-entry defaults of list elements, and keys that override defaults. */
static void
test_load_entry_defaults(void **state)
{
	static const char text[] =
	    "redis = { prefix = \"yqt\"; db = 2; };\n"
	    "clock = { zone = \"UTC\"; };\n"
	    "feeds = ( { id = \"a\"; url = \"https://a.example/rss\"; },\n"
	    "          { id = \"b\"; url = \"http://b.example/\";\n"
	    "            interval = 60; ceiling = \"2h\"; chinese = false; } "
	    ");\n"
	    "recipients = ( { id = \"duty\"; name = \"D\"; wecom = true; } "
	    ");\n"
	    "escalation = { levels = ( { name = \"l\"; recipients = [ "
	    "\"duty\" ]; } ); };\n"
	    "deadlines = { release = { window = \"3h\"; warn = [ \"1h\" ]; "
	    "}; };\n"
	    "channels = { wecom = { webhook = \"https://hook.example/x\"; "
	    "}; };\n";
	struct config_errors errs = {0};
	struct config *c;
	char path[64];

	(void)state;
	unsetenv("TZDIR");
	c = load_text(text, path, sizeof(path), &errs);
	assert_int_equal(errs.n, 0);
	assert_non_null(c);
	assert_string_equal(c->redis.prefix, "yqt");
	assert_int_equal(c->redis.db, 2);
	assert_string_equal(c->clock.zone, "UTC");

	assert_int_equal(c->feeds.n, 2);
	assert_string_equal(c->feeds.v[0].id, "a");
	assert_int_equal(c->feeds.v[0].interval, 5 * MS_M);
	assert_int_equal(c->feeds.v[0].ceiling, MS_H);
	assert_int_equal(c->feeds.v[0].chinese, 1);
	assert_int_equal(c->feeds.v[0].tls_verify, 1);
	assert_int_equal(c->feeds.v[0].local, 0);
	assert_null(c->feeds.v[0].zone);
	assert_int_equal(c->feeds.v[1].interval, MS_M); /* integer seconds */
	assert_int_equal(c->feeds.v[1].ceiling, 2 * MS_H);
	assert_int_equal(c->feeds.v[1].chinese, 0);

	assert_int_equal(c->escalation.levels.n, 1);
	assert_int_equal(c->escalation.levels.v[0].from_lead, -1);
	assert_int_equal(c->escalation.levels.v[0].recipients.n, 1);
	assert_string_equal(c->escalation.levels.v[0].recipients.v[0], "duty");

	/* a given warn list replaces the default one, it does not add */
	assert_int_equal(c->deadlines.release.window, 3 * MS_H);
	assert_int_equal(c->deadlines.release.warn.n, 1);
	assert_int_equal(c->deadlines.release.warn.v[0], MS_H);
	assert_int_equal(c->deadlines.presser.window, 24 * MS_H);

	assert_int_equal(c->channels.wecom.present, 1);
	assert_int_equal(c->channels.dingtalk.present, 0);
	assert_string_equal(c->channels.wecom.webhook.value,
	                    "https://hook.example/x");
	assert_string_equal(c->channels.wecom.webhook.source, "inline");
	config_free(c);
}

/* config_load: secrets ------------------------------------------------- */

static void
test_load_secrets(void **state)
{
	struct config_errors errs = {0};
	struct config *c;
	char path[64], secret[64], text[512], src[96];
	FILE *dump;
	char *buf = NULL;
	size_t len = 0;

	(void)state;
	unsetenv("TZDIR");
	temp_write(secret, sizeof(secret), ".secret",
	           "token-from-a-file-0123456789\n");
	setenv("YQ_UNIT_REDIS_PASSWORD", "redis-from-the-env", 1);
	snprintf(text, sizeof(text),
	         "redis = { password_env = \"YQ_UNIT_REDIS_PASSWORD\"; };\n"
	         "api = { tokens = (\n"
	         "  { name = \"a\"; role = \"write\"; token_file = \"%s\"; },\n"
	         "  { name = \"b\"; role = \"read\";\n"
	         "    token = \"inline-token-0123456789\"; } ); };\n",
	         secret);
	c = load_text(text, path, sizeof(path), &errs);
	assert_int_equal(errs.n, 0);
	assert_non_null(c);

	assert_string_equal(c->redis.password.value, "redis-from-the-env");
	assert_string_equal(c->redis.password.source,
	                    "env:YQ_UNIT_REDIS_PASSWORD");
	assert_int_equal(c->api.tokens.n, 2);
	/* the file's final newline is not part of the secret */
	assert_string_equal(c->api.tokens.v[0].token.value,
	                    "token-from-a-file-0123456789");
	snprintf(src, sizeof(src), "file:%s", secret);
	assert_string_equal(c->api.tokens.v[0].token.source, src);
	assert_int_equal(c->api.tokens.v[0].role, CONF_ROLE_WRITE);
	assert_string_equal(c->api.tokens.v[1].token.value,
	                    "inline-token-0123456789");
	assert_string_equal(c->api.tokens.v[1].token.source, "inline");
	assert_int_equal(c->api.tokens.v[1].role, CONF_ROLE_READ);

	/* --dump shows where secrets come from, never what they are */
	dump = open_memstream(&buf, &len);
	assert_non_null(dump);
	assert_int_equal(config_dump(c, dump), 0);
	fclose(dump);
	assert_null(strstr(buf, "redis-from-the-env"));
	assert_null(strstr(buf, "token-from-a-file"));
	assert_null(strstr(buf, "inline-token"));
	assert_non_null(
	    strstr(buf, "password_env = \"YQ_UNIT_REDIS_PASSWORD\""));
	assert_non_null(strstr(buf, "token = \"(redacted)\""));
	free(buf);

	config_free(c);
	unlink(secret);
	unsetenv("YQ_UNIT_REDIS_PASSWORD");
}

/* An unset variable is an error, not an empty secret. */
static void
test_load_secret_env_unset(void **state)
{
	struct config_errors errs = {0};
	struct config *c;
	char path[64], want[256];

	(void)state;
	unsetenv("YQ_UNIT_SURELY_UNSET_2");
	c = load_text("redis = {\n  password_env = "
	              "\"YQ_UNIT_SURELY_UNSET_2\";\n};\n",
	              path, sizeof(path), &errs);
	assert_null(c);
	assert_int_equal(errs.n, 1);
	snprintf(want, sizeof(want),
	         "%s:2: redis.password_env: environment variable "
	         "'YQ_UNIT_SURELY_UNSET_2' is not set",
	         path);
	assert_string_equal(errs.v[0], want);
	config_errors_clear(&errs);
	assert_int_equal(errs.n, 0);
	assert_null(errs.v);
}

/* config_load: errors -------------------------------------------------- */

/* "PATH:LINE: " with LINE a positive number. */
static void
assert_file_line(const char *msg, const char *path, int want_line)
{
	size_t n = strlen(path);
	char *end;
	long line;

	print_message("error: %s\n", msg);
	assert_int_equal(strncmp(msg, path, n), 0);
	assert_int_equal(msg[n], ':');
	line = strtol(msg + n + 1, &end, 10);
	assert_true(end > msg + n + 1);
	assert_true(end[0] == ':' && end[1] == ' ');
	assert_int_equal(line, want_line);
}

/* Every mistake is reported, each with its own line, in line order. */
static void
test_load_errors_collected(void **state)
{
	static const char text[] = "redis = {\n"                   /* 1 */
	                           "  db = 16;\n"                  /* 2 */
	                           "  adress = \"127.0.0.1:1\";\n" /* 3 */
	                           "};\n"                          /* 4 */
	                           "clock = {\n"                   /* 5 */
	                           "  zone = \"Mars/Olympus\";\n"  /* 6 */
	                           "};\n"                          /* 7 */
	                           "http = {\n"                    /* 8 */
	                           "  timeout = \"5\";\n"          /* 9 */
	                           "};\n";                         /* 10 */
	static const struct {
		int line;
		const char *what;
	} want[] = {
	    {2, "redis.db: 16 is out of range (0..15)"},
	    {3, "redis: 'adress': unknown key (did you mean 'address'?)"},
	    {6, "clock.zone: unknown time zone 'Mars/Olympus'"},
	    {9, "http.timeout: cannot parse duration '5' (use e.g. \"90s\", "
	        "\"5m\", \"1h30m\", \"2d\")"},
	};
	struct config_errors errs = {0};
	struct config *c;
	char path[64], full[512];
	size_t i;

	(void)state;
	unsetenv("TZDIR");
	c = load_text(text, path, sizeof(path), &errs);
	assert_null(c);
	assert_int_equal(errs.n, NELEM(want));
	for (i = 0; i < errs.n; i++) {
		assert_file_line(errs.v[i], path, want[i].line);
		snprintf(full, sizeof(full), "%s:%d: %s", path, want[i].line,
		         want[i].what);
		assert_string_equal(errs.v[i], full);
	}
	config_errors_clear(&errs);
}

/* A syntax error stops at the first one: libconfig cannot go on. */
static void
test_load_syntax_error(void **state)
{
	struct config_errors errs = {0};
	struct config *c;
	char path[64], want[128];

	(void)state;
	c = load_text("redis = {\n  db = = 1;\n};\nfoo = 1;\n", path,
	              sizeof(path), &errs);
	assert_null(c);
	assert_int_equal(errs.n, 1);
	snprintf(want, sizeof(want), "%s:2: syntax error", path);
	assert_string_equal(errs.v[0], want);
	config_errors_clear(&errs);
}

/* A file that cannot be read: one error, no line number. */
static void
test_load_missing_file(void **state)
{
	struct config_errors errs = {0};
	struct config *c;

	(void)state;
	c = config_load("/nonexistent/yq-unit/none.conf", &errs);
	assert_null(c);
	assert_int_equal(errs.n, 1);
	assert_string_equal(errs.v[0], "/nonexistent/yq-unit/none.conf: "
	                               "cannot read configuration: No such "
	                               "file or directory");
	config_errors_clear(&errs);
	config_free(NULL);
}

/* config_check_file prints the errors and the count, or "configuration OK".
 */
static void
test_check_file(void **state)
{
	char path[64], *out = NULL, *err = NULL, want[512];
	size_t olen = 0, elen = 0;
	FILE *fo, *fe;

	(void)state;
	unsetenv("TZDIR");
	temp_write(path, sizeof(path), ".conf",
	           "redis = { db = 99; };\nclock = { zone = \"\"; };\n");
	fo = open_memstream(&out, &olen);
	fe = open_memstream(&err, &elen);
	assert_int_equal(config_check_file(path, 0, fo, fe), 1);
	fclose(fo);
	fclose(fe);
	snprintf(want, sizeof(want),
	         "%s:1: redis.db: 99 is out of range (0..15)\n"
	         "%s:2: clock.zone: unknown time zone ''\n"
	         "2 errors in configuration\n",
	         path, path);
	assert_string_equal(out, "");
	assert_string_equal(err, want);
	free(out);
	free(err);
	unlink(path);

	temp_write(path, sizeof(path), ".conf", "redis = { };\n");
	out = err = NULL;
	fo = open_memstream(&out, &olen);
	fe = open_memstream(&err, &elen);
	assert_int_equal(config_check_file(path, 0, fo, fe), 0);
	fclose(fo);
	fclose(fe);
	assert_string_equal(out, "configuration OK\n");
	assert_string_equal(err, "");
	free(out);
	free(err);
	unlink(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_duration_parse),
	    cmocka_unit_test(test_duration_format),
	    cmocka_unit_test(test_duration_format_small_buffer),
	    cmocka_unit_test(test_duration_round_trip),
	    cmocka_unit_test(test_addr_parse),
	    cmocka_unit_test(test_addr_parse_long_path),
	    cmocka_unit_test(test_zone_ok),
	    cmocka_unit_test(test_zone_tzdir),
	    cmocka_unit_test(test_load_defaults),
	    cmocka_unit_test(test_load_entry_defaults),
	    cmocka_unit_test(test_load_secrets),
	    cmocka_unit_test(test_load_secret_env_unset),
	    cmocka_unit_test(test_load_errors_collected),
	    cmocka_unit_test(test_load_syntax_error),
	    cmocka_unit_test(test_load_missing_file),
	    cmocka_unit_test(test_check_file),
	};

	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
