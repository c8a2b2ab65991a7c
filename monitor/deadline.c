/*
 * deadline.c: every stage of every milestone that is still to come, in
 * one min-heap by due time, behind ONE timer re-armed to the head (the
 * shape of OpenSMTPD's runq).  Times are monitored epoch ms; the timer's
 * real delay comes from the clock module, so a scaled clock plays hours
 * in seconds.  When the head comes due, every entry due by now is popped
 * and handed to the callback in due order.
 */
#include <stdlib.h>
#include <string.h>

#include "monitor/monitor.h"

struct deadline_queue {
	struct event_base *base;
	struct event *timer;
	struct deadline_entry *heap;
	size_t n, cap;
	deadline_fire_cb cb;
	void *arg;
	int firing;
	int stopped; /* the daemon is stopping: nothing more fires */
};

static int
deadline_before(const struct deadline_entry *a, const struct deadline_entry *b)
{
	if (a->at != b->at)
		return a->at < b->at;
	if (a->incident != b->incident)
		return a->incident < b->incident;
	if (a->milestone != b->milestone)
		return a->milestone < b->milestone;
	return a->stage < b->stage;
}

static void
deadline_swap(struct deadline_queue *q, size_t i, size_t j)
{
	struct deadline_entry t = q->heap[i];

	q->heap[i] = q->heap[j];
	q->heap[j] = t;
}

static void
deadline_up(struct deadline_queue *q, size_t i)
{
	while (i > 0 && deadline_before(&q->heap[i], &q->heap[(i - 1) / 2])) {
		deadline_swap(q, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void
deadline_down(struct deadline_queue *q, size_t i)
{
	size_t l, r, m;

	for (;;) {
		l = 2 * i + 1;
		r = l + 1;
		m = i;
		if (l < q->n && deadline_before(&q->heap[l], &q->heap[m]))
			m = l;
		if (r < q->n && deadline_before(&q->heap[r], &q->heap[m]))
			m = r;
		if (m == i)
			return;
		deadline_swap(q, i, m);
		i = m;
	}
}

/* Arm the one timer for the head (or disarm it if the heap is empty). */
static void
deadline_arm(struct deadline_queue *q)
{
	struct timeval tv;

	if (q->firing || q->stopped)
		return; /* deadline_fire_cb re-arms when done */
	evtimer_del(q->timer);
	if (q->n == 0)
		return;
	clock_timeval(q->heap[0].at - clock_now_ms(), &tv);
	evtimer_add(q->timer, &tv);
}

static void
deadline_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct deadline_queue *q = arg;
	struct deadline_entry e;
	int64_t now = clock_now_ms();

	(void)fd;
	(void)what;
	q->firing = 1;
	while (q->n > 0 && q->heap[0].at <= now) {
		e = q->heap[0];
		q->heap[0] = q->heap[--q->n];
		deadline_down(q, 0);
		q->cb(&e, q->arg); /* may add entries */
		now = clock_now_ms();
	}
	q->firing = 0;
	deadline_arm(q);
}

struct deadline_queue *
deadline_new(struct event_base *base, deadline_fire_cb cb, void *arg)
{
	struct deadline_queue *q = calloc(1, sizeof(*q));

	if (q == NULL)
		return NULL;
	q->base = base;
	q->cb = cb;
	q->arg = arg;
	q->timer = evtimer_new(base, deadline_timer_cb, q);
	if (q->timer == NULL) {
		free(q);
		return NULL;
	}
	return q;
}

/* Schedule one stage; the entry is copied. */
int
deadline_add(struct deadline_queue *q, const struct deadline_entry *e)
{
	if (q->n == q->cap) {
		size_t cap = q->cap ? q->cap * 2 : 256;
		struct deadline_entry *nh = realloc(q->heap, cap * sizeof(*nh));

		if (nh == NULL)
			return -1;
		q->heap = nh;
		q->cap = cap;
	}
	q->heap[q->n] = *e;
	deadline_up(q, q->n++);
	/* the timer moves only if the new entry became the head */
	if (!deadline_before(&q->heap[0], e) &&
	    !deadline_before(e, &q->heap[0]))
		deadline_arm(q);
	return 0;
}

/*
 * Drop the stages of one incident (milestone < 0: all of its milestones).
 * A linear pass: responses and dismissals are rare next to the timer.
 */
void
deadline_remove(struct deadline_queue *q, uint64_t incident, int milestone)
{
	size_t i, o = 0;

	for (i = 0; i < q->n; i++)
		if (!(q->heap[i].incident == incident &&
		      (milestone < 0 || q->heap[i].milestone == milestone)))
			q->heap[o++] = q->heap[i];
	if (o == q->n)
		return;
	q->n = o;
	for (i = q->n / 2; i-- > 0;)
		deadline_down(q, i);
	deadline_arm(q);
}

/* Stopping: no stage fires any more (a restart catches up). */
void
deadline_stop(struct deadline_queue *q)
{
	q->stopped = 1;
	evtimer_del(q->timer);
}

size_t
deadline_size(const struct deadline_queue *q)
{
	return q->n;
}

/* The head's due time, or -1. */
int64_t
deadline_next(const struct deadline_queue *q)
{
	return q->n > 0 ? q->heap[0].at : -1;
}

void
deadline_free(struct deadline_queue *q)
{
	if (q == NULL)
		return;
	event_free(q->timer);
	free(q->heap);
	free(q);
}
