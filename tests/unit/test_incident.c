/*
 * Unit tests for monitor/incident.c: meeting a milestone.  An incident is
 * opened from an item with the shipped rules; meeting `release` on time
 * drops its stages still to come and leaves `presser` running; meeting
 * past due is "met late"; a second meet, or a milestone the incident does
 * not have, is refused.
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

#define T0 1795737600000LL /* 2026-11-27T08:00+08:00 */
#define H  (3600LL * 1000)

static struct {
	uint64_t id;
	char last_event[32];
	int alerts, mets;
	char by[64], evidence[128];
	int met_k;
} seen;

static void
save_cb(const struct incident *inc, const char *event, const char *detail,
        void *arg)
{
	(void)detail;
	(void)arg;
	seen.id = inc->id;
	snprintf(seen.last_event, sizeof(seen.last_event), "%s", event);
}

static void
alert_cb(const struct incident *inc, int k, int stage, const char *name,
         int64_t due, int64_t now, void *arg)
{
	(void)inc, (void)k, (void)stage, (void)name, (void)due, (void)now;
	(void)arg;
	seen.alerts++;
}

static void
met_cb(const struct incident *inc, int k, const char *by, const char *ev,
       void *arg)
{
	(void)inc;
	(void)arg;
	seen.mets++;
	seen.met_k = k;
	snprintf(seen.by, sizeof(seen.by), "%s", by);
	snprintf(seen.evidence, sizeof(seen.evidence), "%s", ev);
}

static void
test_meet(void **state)
{
	static const char *const names[] = {
	    "emergency", "exclusions", "ordinary", "jurisdiction", "routing"};
	const char *dir = getenv("YQ_SOURCE_DIR");
	char paths[5][512];
	const char *files[5];
	struct config_errors errs = {0};
	struct config *conf;
	struct ruleset *rs;
	struct event_base *base = event_base_new();
	struct incidents_hooks hooks = {save_cb, NULL, alert_cb, met_cb, NULL};
	struct incidents *is;
	struct item_in it = {0};
	struct incident *inc;
	size_t i;

	(void)state;
	for (i = 0; i < 5; i++) {
		snprintf(paths[i], sizeof(paths[i]), "%s/config/rules/%s.rules",
		         dir != NULL ? dir : "..", names[i]);
		files[i] = paths[i];
	}
	clock_init(1.0, T0);
	conf = config_new_default("/tmp/x.conf", files, 5);
	assert_non_null(conf);
	rs = rules_load(conf, &errs);
	assert_non_null(rs);
	is = incidents_new(base, conf, rs, &hooks);
	assert_non_null(is);

	it.feed = "local";
	it.key = "m1";
	it.title = "九龙岗镇一煤矿发生瓦斯爆炸 3人死亡 9人被困";
	it.text = "淮南市大通区九龙岗镇一煤矿井下发生瓦斯爆炸。";
	it.link = "http://n.example/m1";
	it.published = T0 - H / 3;
	it.first_seen = T0;
	assert_int_equal(incidents_item(is, &it), 1);
	inc = incidents_get(is, seen.id);
	assert_non_null(inc);
	assert_int_equal(inc->cls, CLASS_MAJOR);
	assert_int_equal(incidents_scheduled(is), 2); /* release, presser */

	/* release met on time, with who and the evidence */
	assert_int_equal(incidents_meet(is, inc->id, MS_RELEASE, T0 + H,
	                                "值班员张三", "https://gov.example/r"),
	                 0);
	assert_int_equal(inc->ms[MS_RELEASE].state, MS_MET);
	assert_int_equal(inc->ms[MS_RELEASE].met_at, T0 + H);
	assert_string_equal(seen.last_event, "met");
	assert_int_equal(seen.mets, 1);
	assert_int_equal(seen.met_k, MS_RELEASE);
	assert_string_equal(seen.by, "值班员张三");
	assert_string_equal(seen.evidence, "https://gov.example/r");
	assert_int_equal(incidents_scheduled(is), 1); /* presser only */

	/* again: refused, nothing changes */
	assert_int_equal(
	    incidents_meet(is, inc->id, MS_RELEASE, T0 + 2 * H, "x", "y"), -1);
	assert_int_equal(inc->ms[MS_RELEASE].met_at, T0 + H);
	assert_int_equal(seen.mets, 1);
	/* a milestone a major incident does not have, an unknown incident */
	assert_int_equal(incidents_meet(is, inc->id, MS_RESPONSE, T0, "x", ""),
	                 -1);
	assert_int_equal(incidents_meet(is, 42, MS_RELEASE, T0, "x", ""), -1);
	assert_int_equal(incidents_meet(is, inc->id, MS_COUNT, T0, "x", ""),
	                 -1);

	/* presser met one minute after its due: met late, nothing left */
	assert_int_equal(incidents_meet(is, inc->id, MS_PRESSER,
	                                inc->ms[MS_PRESSER].due + 60000, NULL,
	                                NULL),
	                 0);
	assert_int_equal(inc->ms[MS_PRESSER].state, MS_MET_LATE);
	assert_string_equal(seen.by, "");
	assert_int_equal(incidents_scheduled(is), 0);
	assert_int_equal(seen.alerts, 0); /* nothing was due yet */

	incidents_free(is);
	rules_free(rs);
	config_free(conf);
	classify_shutdown();
	event_base_free(base);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_meet),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
