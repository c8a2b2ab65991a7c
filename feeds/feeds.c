/*
 * feeds.c: the set of feeds the daemon watches.  It keeps its own copy of
 * each feed's id so a reload can report what was added and removed.
 * Polling (schedule, fetch, parse) is not here yet: see issue 3.
 */
#include <stdlib.h>
#include <string.h>

#include "feeds/feeds.h"

struct feeds {
	struct event_base *base;
	char **ids;
	size_t n;
	int stopped;
};

static int
feeds_has(char **ids, size_t n, const char *id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(ids[i], id) == 0)
			return 1;
	return 0;
}

static void
feeds_clear(struct feeds *f)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		free(f->ids[i]);
	free(f->ids);
	f->ids = NULL;
	f->n = 0;
}

/* Take the feed list of conf; log what changed against the current one. */
int
feeds_reconfigure(struct feeds *f, const struct config *conf)
{
	char **ids;
	size_t i;

	ids = calloc(conf->feeds.n + 1, sizeof(*ids));
	if (ids == NULL)
		return -1;
	for (i = 0; i < conf->feeds.n; i++) {
		ids[i] = strdup(conf->feeds.v[i].id);
		if (ids[i] == NULL) {
			while (i-- > 0)
				free(ids[i]);
			free(ids);
			return -1;
		}
		if (!feeds_has(f->ids, f->n, ids[i]))
			log_info("feed added: feed=%s url=%s", ids[i],
			         conf->feeds.v[i].url);
	}
	for (i = 0; i < f->n; i++)
		if (!feeds_has(ids, conf->feeds.n, f->ids[i]))
			log_info("feed removed: feed=%s", f->ids[i]);
	feeds_clear(f);
	f->ids = ids;
	f->n = conf->feeds.n;
	return 0;
}

struct feeds *
feeds_new(struct event_base *base, const struct config *conf)
{
	struct feeds *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return NULL;
	f->base = base;
	if (feeds_reconfigure(f, conf) == -1) {
		free(f);
		return NULL;
	}
	return f;
}

size_t
feeds_count(const struct feeds *f)
{
	return f->n;
}

/* Stop starting new work (polls); nothing is in flight yet. */
void
feeds_stop(struct feeds *f)
{
	f->stopped = 1;
}

void
feeds_free(struct feeds *f)
{
	if (f == NULL)
		return;
	feeds_clear(f);
	free(f);
}
