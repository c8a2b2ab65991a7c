/*
 * cluster.c: which open incident a news item belongs to.  Pure code: no I/O,
 * no global state; the index owns its memory and nothing else.
 *
 * Fingerprint.  cluster_simhash() is a 64-bit SimHash (Charikar) over the
 * overlapping bigrams of Unicode code points of the normalised text.
 * Normalising drops whitespace, control characters, ASCII punctuation and
 * symbols, ASCII and full-width digits, CJK and general punctuation
 * (U+2000-206F, U+3000-303F, U+FE30-FE6F, full-width ASCII punctuation),
 * symbol blocks (U+2190-2BFF: arrows, shapes such as ■●★) and emoji
 * (U+1F000-1FAFF); full-width Latin letters become ASCII and ASCII letters
 * are lowered.  Dropping digits makes "3人死亡" and "12人死亡" hash alike,
 * since a toll update is the same event.  Invalid UTF-8 bytes are skipped.
 * Each bigram occurrence has weight 1; its 64-bit hash is FNV-1a over the
 * two code points (4 bytes each, little-endian) followed by the MurmurHash3
 * finaliser.  Texts with fewer than 2 characters left hash to 0, which the
 * index treats as "no fingerprint".  The algorithm is frozen: hashes are
 * stored, and the unit test pins a few values.
 *
 * Thresholds, measured by tests/unit/test_cluster.c on headline pairs;
 * distances as min / quartiles / max:
 *   one event, same wording, 15 pairs (outlet tags, source
 *   suffixes, punctuation, a province prefix, toll updates):  0 /  3  8 10 / 16
 *   one event, each outlet's own wording, 33 pairs:          12 / 19 23 26 / 34
 *   another event of the same kind elsewhere, 26 pairs:       2 / 12 16 21 / 38
 *   another matter, often in the same place, 20 pairs:       18 / 26 29 31 / 35
 * A 15-character headline has about 14 bigrams, so one changed character
 * moved the hash by 2 to 11 bits in these pairs: SimHash over headlines finds
 * copies, not rewrites, and cannot tell a rewrite from the same story in the
 * next town (衡阳/浏阳 一烟花爆竹厂发生爆炸事故 4人死亡: 2 bits).  Pairs within
 * 6 / 8 / 12 / 16 bits: copies 7 / 8 / 13 / 15 of 15; rewrites 0 / 0 / 1 / 4
 * of 33; same kind elsewhere 1 / 2 / 7 / 15 of 26; other matters 0 at all
 * four.  CLUSTER_DEFAULT_DISTANCE is 6: half the copies, one false merge in
 * 46.  Beyond 8 false merges of same-kind events grow faster than the
 * copies caught; rewrites need the event key (place + kind), and a caller
 * may strip outlet tags (【快讯】, "- 新华网") before hashing.  Longer
 * texts (title + lead) give steadier hashes; these figures are for titles.
 *
 * Index.  Near neighbours are found by multi-index hashing (Manku et al.
 * 2007, Norouzi et al. 2012; a generalised pigeonhole): the 64 bits are cut
 * into m blocks; if two hashes are within d bits, at least one block
 * differs in at most floor(d / m) bits.  Each block has 2^width buckets
 * (width <= 13 bits, direct-indexed), each a growable array of the hashes
 * of its entries (struct cluster_bucket).  find() visits, in every block,
 * the buckets of all values within that radius of the query's block and
 * scans their hashes sequentially; it touches an entry only if its hash is
 * within the distance.  m is chosen when the index is made, for its
 * distance, to minimise bucket visits (a cache miss, counted as 64 hashes)
 * plus hashes scanned at 100,000 uniformly spread entries: d <= 4: 5
 * blocks of 13 bits, exact (~60 hashes scanned); d = 6: 7 blocks of 9-10
 * bits (~1,300); d = 12: 7 blocks, radius 1 (~13,000); d = 16: 6 blocks,
 * radius 2 (~24,000).  Keys live in a linear-probing table (equal keys
 * allowed), ids in another, and a binary min-heap on the time seen makes
 * expiry O(log n) an entry.  Entries are slots in one array, referred to by
 * 32-bit indices.  About 180 bytes an entry at 100,000 (7 blocks), plus
 * the key and ~10 bytes of key table for entries with a key.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/monitor.h"

#define CLUSTER_TEXT_MAX       (64 * 1024) /* bytes of a text looked at */
#define CLUSTER_KEY_MAX        256         /* bytes of an event key */
#define CLUSTER_DISTANCE_LIMIT 16          /* largest max_distance accepted */
#define CLUSTER_ENTRIES_MAX    (1u << 24)  /* entries in one index */
#define CLUSTER_BLOCKS_MIN     5           /* so a block has <= 13 bits */
#define CLUSTER_BLOCKS_MAX     16          /* so a block has >= 4 bits */
#define CLUSTER_REF_ENTRIES    100000.0    /* size the blocks are tuned for */
#define CLUSTER_VISIT_COST     64.0        /* a bucket visit, in hashes */
#define CLUSTER_BUCKET_MIN     4           /* slots first given to a bucket */
#define CLUSTER_NIL            UINT32_MAX

#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME  0x100000001b3ULL

struct cluster_entry {
	uint64_t id; /* 0: a free slot */
	uint64_t hash;
	int64_t at;
	char *key;        /* malloc'd, or NULL */
	uint32_t keyhash; /* of key, if any */
	uint32_t heap;    /* position in the heap; free slots: next free */
};

/*
 * The entries whose block b has one value: their hashes rotated so that
 * the 32 bits after the block come first (cluster_rot), kept as three
 * arrays of cap: the low halves, the high halves, the entry slots.  A scan
 * reads the low halves (4 bytes an entry), which reject nearly every far
 * hash, and only for the rest the high halves; it never touches an entry
 * unless it is within the distance.
 */
struct cluster_bucket {
	uint32_t *v; /* malloc'd: cap low halves, cap high halves, cap slots */
	uint32_t n, cap;
};

struct cluster_index {
	int max_distance;
	int64_t window_ms;
	int nblocks;
	int radius; /* bits a block may differ in */
	int shift[CLUSTER_BLOCKS_MAX];
	int width[CLUSTER_BLOCKS_MAX];
	struct cluster_bucket *bucket[CLUSTER_BLOCKS_MAX]; /* 2^width each */

	struct cluster_entry *e;
	uint32_t *heap; /* entry indices, a min-heap on e[].at */
	uint32_t cap;   /* slots in e and heap */
	uint32_t used;  /* slots ever handed out */
	uint32_t n;     /* live entries */
	uint32_t freelist;

	uint32_t *ids; /* linear probing: entry index or NIL */
	uint32_t idcap;
	uint32_t *keys; /* same, for entries with a key */
	uint32_t keycap;
	uint32_t nkeys;
};

/* The MurmurHash3 64-bit finaliser: every input bit affects every output
 * bit. */
static uint64_t
cluster_mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

/* Bits set in x, without relying on a popcount instruction. */
static int
cluster_popcount(uint64_t x)
{
	x = x - ((x >> 1) & 0x5555555555555555ULL);
	x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
	x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
	return (int)((x * 0x0101010101010101ULL) >> 56);
}

/* Bits set in a 32-bit x. */
static int
cluster_popcount32(uint32_t x)
{
	x = x - ((x >> 1) & 0x55555555u);
	x = (x & 0x33333333u) + ((x >> 2) & 0x33333333u);
	x = (x + (x >> 4)) & 0x0f0f0f0fu;
	return (int)((x * 0x01010101u) >> 24);
}

/*
 * The code point as the fingerprint sees it: 0 if it is dropped
 * (whitespace, controls, punctuation, symbols, digits), else the folded
 * character (ASCII letters lowered, full-width Latin letters to ASCII).
 */
static unsigned long
cluster_fold(unsigned long cp)
{
	if (cp < 0x80) {
		if (cp >= 'A' && cp <= 'Z')
			return cp - 'A' + 'a';
		if (cp >= 'a' && cp <= 'z')
			return cp;
		return 0; /* controls, space, digits, punctuation */
	}
	if (cp < 0xc0)
		return 0; /* C1 controls, NBSP, Latin-1 punctuation, · */
	if (cp == 0xd7 || cp == 0xf7)
		return 0; /* × ÷ */
	if (cp == 0x1680 || (cp >= 0x2000 && cp <= 0x206f))
		return 0; /* spaces, dashes, “” ‘’ … and the like */
	if (cp >= 0x2190 && cp <= 0x2bff)
		return 0; /* arrows, maths, box drawing, shapes, dingbats */
	if (cp >= 0x3000 && cp <= 0x303f)
		return 0; /* 　、。〃〇《》「」『』【】〔〕〖〗〜 ... */
	if (cp >= 0xfe10 && cp <= 0xfe1f)
		return 0; /* vertical forms */
	if (cp >= 0xfe30 && cp <= 0xfe6f)
		return 0; /* CJK compatibility and small forms */
	if (cp == 0xfeff)
		return 0; /* BOM, zero-width no-break space */
	if (cp >= 0xff21 && cp <= 0xff3a)
		return cp - 0xff21 + 'a';
	if (cp >= 0xff41 && cp <= 0xff5a)
		return cp - 0xff41 + 'a';
	if (cp >= 0xff00 && cp <= 0xff65)
		return 0; /* full-width digits and punctuation ，！？（）：； */
	if (cp >= 0xfff0 && cp <= 0xffff)
		return 0; /* specials, U+FFFD */
	if (cp >= 0x1f000 && cp <= 0x1faff)
		return 0; /* emoji and pictographs */
	return cp;
}

/* The 64-bit hash of one bigram: FNV-1a over both code points, mixed. */
static uint64_t
cluster_bigram(unsigned long a, unsigned long b)
{
	uint64_t h = FNV_OFFSET;
	int k;

	for (k = 0; k < 4; k++) {
		h ^= (a >> (8 * k)) & 0xff;
		h *= FNV_PRIME;
	}
	for (k = 0; k < 4; k++) {
		h ^= (b >> (8 * k)) & 0xff;
		h *= FNV_PRIME;
	}
	return cluster_mix(h);
}

/*
 * The SimHash of utf8 (len bytes; at most CLUSTER_TEXT_MAX are looked at):
 * every bigram of kept characters votes +1 or -1 on each bit by its own
 * hash; a bit is set where the votes are positive.  0 if fewer than two
 * characters are kept.
 */
uint64_t
cluster_simhash(const char *utf8, size_t len)
{
	int32_t votes[64];
	unsigned long prev = 0, cp;
	uint64_t h, out;
	size_t i = 0, nbigrams = 0;
	long c;
	int k;

	if (utf8 == NULL)
		return 0;
	if (len > CLUSTER_TEXT_MAX)
		len = CLUSTER_TEXT_MAX;
	memset(votes, 0, sizeof(votes));
	while (i < len) {
		c = text_utf8_next(utf8, len, &i);
		if (c < 0)
			continue;
		cp = cluster_fold((unsigned long)c);
		if (cp == 0)
			continue;
		if (prev != 0) {
			h = cluster_bigram(prev, cp);
			for (k = 0; k < 64; k++)
				votes[k] += ((h >> k) & 1) ? 1 : -1;
			nbigrams++;
		}
		prev = cp;
	}
	if (nbigrams == 0)
		return 0;
	out = 0;
	for (k = 0; k < 64; k++) {
		if (votes[k] > 0)
			out |= 1ULL << k;
	}
	return out;
}

/* The Hamming distance between two fingerprints. */
int
cluster_distance(uint64_t a, uint64_t b)
{
	return cluster_popcount(a ^ b);
}

/* Binomial coefficient C(n, k) for small n, as a double. */
static double
cluster_choose(int n, int k)
{
	double r = 1;
	int i;

	for (i = 1; i <= k; i++)
		r = r * (n - k + i) / i;
	return r;
}

/* The cost of one find() with m blocks for distance d: bucket visits
 * (weighted) plus the hashes expected in them, at CLUSTER_REF_ENTRIES
 * uniformly spread entries. */
static double
cluster_cost(int m, int d)
{
	double cost = 0, probes;
	int b, w, r = d / m, i;

	for (b = 0; b < m; b++) {
		w = 64 / m + (b < 64 % m);
		probes = 0;
		for (i = 0; i <= r && i <= w; i++)
			probes += cluster_choose(w, i);
		cost += probes * (CLUSTER_VISIT_COST +
		                  CLUSTER_REF_ENTRIES / (double)(1u << w));
	}
	return cost;
}

/*
 * A new, empty index for fingerprints within max_distance bits (0 to
 * CLUSTER_DISTANCE_LIMIT) and entries seen within window_ms (<= 0: entries
 * never expire).  The caller owns the result (cluster_index_free).  NULL
 * with errno EINVAL or ENOMEM.
 */
struct cluster_index *
cluster_index_new(int max_distance, int64_t window_ms)
{
	struct cluster_index *ix;
	double cost, best = 0;
	int m, b, shift;

	if (max_distance < 0 || max_distance > CLUSTER_DISTANCE_LIMIT) {
		errno = EINVAL;
		return NULL;
	}
	ix = calloc(1, sizeof(*ix));
	if (ix == NULL)
		return NULL;
	ix->max_distance = max_distance;
	ix->window_ms = window_ms;
	ix->freelist = CLUSTER_NIL;
	for (m = CLUSTER_BLOCKS_MIN; m <= CLUSTER_BLOCKS_MAX; m++) {
		cost = cluster_cost(m, max_distance);
		if (ix->nblocks == 0 || cost < best) {
			ix->nblocks = m;
			best = cost;
		}
	}
	ix->radius = max_distance / ix->nblocks;
	shift = 0;
	for (b = 0; b < ix->nblocks; b++) {
		ix->width[b] = 64 / ix->nblocks + (b < 64 % ix->nblocks);
		ix->shift[b] = shift;
		shift += ix->width[b];
		ix->bucket[b] = calloc((size_t)1 << ix->width[b],
		                       sizeof(struct cluster_bucket));
		if (ix->bucket[b] == NULL) {
			cluster_index_free(ix);
			errno = ENOMEM;
			return NULL;
		}
	}
	return ix;
}

/* The value of block b of hash. */
static uint32_t
cluster_block(const struct cluster_index *ix, int b, uint64_t hash)
{
	return (uint32_t)((hash >> ix->shift[b]) &
	                  ((1ULL << ix->width[b]) - 1));
}

/* The high halves kept beside the low halves of bucket k. */
static uint32_t *
cluster_highs(const struct cluster_bucket *k)
{
	return k->v + k->cap;
}

/* The entry slots kept beside the hashes of bucket k. */
static uint32_t *
cluster_slots(const struct cluster_bucket *k)
{
	return k->v + 2 * (size_t)k->cap;
}

/* hash as block b's buckets keep it: rotated right so that the bits after
 * the block come first and the block's own bits last. */
static uint64_t
cluster_rot(const struct cluster_index *ix, int b, uint64_t hash)
{
	int r = ix->shift[b] + ix->width[b];

	if (r == 64)
		return hash;
	return (hash >> r) | (hash << (64 - r));
}

/* Give bucket k room for cap entries (cap >= k->n; 0 frees it).  0, or -1
 * if out of memory (the bucket is unchanged). */
static int
cluster_bucket_resize(struct cluster_bucket *k, uint32_t cap)
{
	uint32_t *nv;

	if (cap == 0) {
		free(k->v);
		k->v = NULL;
		k->cap = 0;
		return 0;
	}
	nv = malloc(sizeof(uint32_t) * 3 * (size_t)cap);
	if (nv == NULL)
		return -1;
	if (k->n > 0) {
		memcpy(nv, k->v, sizeof(uint32_t) * k->n);
		memcpy(nv + cap, cluster_highs(k), sizeof(uint32_t) * k->n);
		memcpy(nv + 2 * (size_t)cap, cluster_slots(k),
		       sizeof(uint32_t) * k->n);
	}
	free(k->v);
	k->v = nv;
	k->cap = cap;
	return 0;
}
/* Make sure hash can be put into the bucket of each block without
 * allocating.  0, or -1 if out of memory. */
static int
cluster_buckets_reserve(struct cluster_index *ix, uint64_t hash)
{
	struct cluster_bucket *k;
	int b;

	if (hash == 0)
		return 0;
	for (b = 0; b < ix->nblocks; b++) {
		k = &ix->bucket[b][cluster_block(ix, b, hash)];
		if (k->n < k->cap)
			continue;
		if (cluster_bucket_resize(
		        k, k->cap != 0 ? k->cap * 2 : CLUSTER_BUCKET_MIN) == -1)
			return -1;
	}
	return 0;
}

/* Put entry i under hash into the bucket of each block (not if hash is
 * 0).  Room was made by cluster_buckets_reserve(). */
static void
cluster_buckets_add(struct cluster_index *ix, uint32_t i, uint64_t hash)
{
	struct cluster_bucket *k;
	uint64_t rot;
	int b;

	if (hash == 0)
		return;
	for (b = 0; b < ix->nblocks; b++) {
		k = &ix->bucket[b][cluster_block(ix, b, hash)];
		rot = cluster_rot(ix, b, hash);
		k->v[k->n] = (uint32_t)rot;
		cluster_highs(k)[k->n] = (uint32_t)(rot >> 32);
		cluster_slots(k)[k->n] = i;
		k->n++;
	}
}

/* Take entry i under hash out of the bucket of each block, moving the
 * bucket's last entry into its place, and give back memory a bucket no
 * longer needs (a failure to shrink is harmless). */
static void
cluster_buckets_remove(struct cluster_index *ix, uint32_t i, uint64_t hash)
{
	struct cluster_bucket *k;
	uint32_t *slot, *high, p;
	uint64_t rot;
	int b;

	if (hash == 0)
		return;
	for (b = 0; b < ix->nblocks; b++) {
		k = &ix->bucket[b][cluster_block(ix, b, hash)];
		slot = cluster_slots(k);
		high = cluster_highs(k);
		rot = cluster_rot(ix, b, hash);
		for (p = 0; p < k->n; p++) {
			if (slot[p] == i && k->v[p] == (uint32_t)rot &&
			    high[p] == (uint32_t)(rot >> 32))
				break;
		}
		if (p == k->n)
			continue; /* cannot happen */
		k->n--;
		k->v[p] = k->v[k->n];
		high[p] = high[k->n];
		slot[p] = slot[k->n];
		if (k->n == 0)
			(void)cluster_bucket_resize(k, 0);
		else if (k->n < k->cap / 4 && k->cap > CLUSTER_BUCKET_MIN)
			(void)cluster_bucket_resize(k, k->cap / 2);
	}
}

/* The home slot of id in a table of cap (a power of two) slots. */
static uint32_t
cluster_id_home(uint64_t id, uint32_t cap)
{
	return (uint32_t)(cluster_mix(id) & (cap - 1));
}

/* The hash of an event key (len bytes), never used for anything stored
 * outside this process. */
static uint32_t
cluster_key_hash(const char *key, size_t len)
{
	uint64_t h = FNV_OFFSET;
	size_t k;

	for (k = 0; k < len; k++) {
		h ^= (unsigned char)key[k];
		h *= FNV_PRIME;
	}
	return (uint32_t)(cluster_mix(h) >> 32);
}

/* The home slot of entry i in the table tab (ids or keys). */
static uint32_t
cluster_home(const struct cluster_index *ix, const uint32_t *tab, uint32_t i)
{
	if (tab == ix->ids)
		return cluster_id_home(ix->e[i].id, ix->idcap);
	return ix->e[i].keyhash & (ix->keycap - 1);
}

/* Put entry i into a linear-probing table of cap slots (a power of two,
 * never full). */
static void
cluster_table_put(uint32_t *tab, uint32_t cap, uint32_t home, uint32_t i)
{
	uint32_t s = home;

	while (tab[s] != CLUSTER_NIL)
		s = (s + 1) & (cap - 1);
	tab[s] = i;
}

/*
 * Take entry i out of the table tab (ids or keys) of cap slots, shifting
 * back the entries after it so that no probe sequence is broken (Knuth's
 * algorithm R; no tombstones).
 */
static void
cluster_table_delete(struct cluster_index *ix, uint32_t *tab, uint32_t cap,
                     uint32_t home, uint32_t i)
{
	uint32_t s = home, j, k, mask = cap - 1;

	while (tab[s] != i)
		s = (s + 1) & mask;
	tab[s] = CLUSTER_NIL;
	j = s;
	for (;;) {
		j = (j + 1) & mask;
		if (tab[j] == CLUSTER_NIL)
			break;
		k = cluster_home(ix, tab, tab[j]);
		/* leave it if its home lies cyclically in (s, j] */
		if (s <= j ? (s < k && k <= j) : (s < k || k <= j))
			continue;
		tab[s] = tab[j];
		tab[j] = CLUSTER_NIL;
		s = j;
	}
}

/* The slot of the entry with id, or CLUSTER_NIL. */
static uint32_t
cluster_id_find(const struct cluster_index *ix, uint64_t id)
{
	uint32_t s;

	if (ix->idcap == 0)
		return CLUSTER_NIL;
	s = cluster_id_home(id, ix->idcap);
	while (ix->ids[s] != CLUSTER_NIL) {
		if (ix->e[ix->ids[s]].id == id)
			return ix->ids[s];
		s = (s + 1) & (ix->idcap - 1);
	}
	return CLUSTER_NIL;
}

/*
 * Make the table *tab (ids or keys) of *cap slots hold at least need
 * entries at a load of at most one half, rehashing into a new array.
 * 0, or -1 if out of memory (the old table is kept).
 */
static int
cluster_table_grow(struct cluster_index *ix, uint32_t **tab, uint32_t *cap,
                   uint32_t need)
{
	uint32_t ncap = *cap != 0 ? *cap : 16, *old = *tab, ocap = *cap, s;
	uint32_t *ntab;
	int is_ids = (tab == &ix->ids);

	while (need > ncap / 2)
		ncap *= 2;
	if (ncap == ocap)
		return 0;
	ntab = malloc(sizeof(uint32_t) * ncap);
	if (ntab == NULL)
		return -1;
	memset(ntab, 0xff, sizeof(uint32_t) * ncap);
	*tab = ntab;
	*cap = ncap;
	for (s = 0; s < ocap; s++) {
		if (old[s] == CLUSTER_NIL)
			continue;
		cluster_table_put(ntab, ncap,
		                  is_ids
		                      ? cluster_id_home(ix->e[old[s]].id, ncap)
		                      : ix->e[old[s]].keyhash & (ncap - 1),
		                  old[s]);
	}
	free(old);
	return 0;
}

/* Make room for one more entry in the entry and heap arrays.  0, or
 * -1 with errno ENOMEM or ENOSPC (nothing is lost either way). */
static int
cluster_reserve(struct cluster_index *ix)
{
	struct cluster_entry *ne;
	uint32_t *nh, ncap;

	if (ix->n >= CLUSTER_ENTRIES_MAX) {
		errno = ENOSPC;
		return -1;
	}
	if (cluster_table_grow(ix, &ix->ids, &ix->idcap, ix->n + 1) == -1) {
		errno = ENOMEM;
		return -1;
	}
	if (ix->freelist != CLUSTER_NIL || ix->used < ix->cap)
		return 0;
	ncap = ix->cap != 0 ? ix->cap * 2 : 16;
	ne = realloc(ix->e, sizeof(*ne) * ncap);
	if (ne == NULL)
		goto out_nomem;
	ix->e = ne;
	nh = realloc(ix->heap, sizeof(uint32_t) * ncap);
	if (nh == NULL)
		goto out_nomem;
	ix->heap = nh;
	ix->cap = ncap;
	return 0;

out_nomem:
	errno = ENOMEM;
	return -1;
}

/* Swap heap positions a and b and tell their entries. */
static void
cluster_heap_swap(struct cluster_index *ix, uint32_t a, uint32_t b)
{
	uint32_t t = ix->heap[a];

	ix->heap[a] = ix->heap[b];
	ix->heap[b] = t;
	ix->e[ix->heap[a]].heap = a;
	ix->e[ix->heap[b]].heap = b;
}

/* Restore the heap order around position p after its entry's time
 * changed (in either direction). */
static void
cluster_heap_fix(struct cluster_index *ix, uint32_t p)
{
	uint32_t parent, child, c;

	while (p > 0) {
		parent = (p - 1) / 2;
		if (ix->e[ix->heap[parent]].at <= ix->e[ix->heap[p]].at)
			break;
		cluster_heap_swap(ix, parent, p);
		p = parent;
	}
	for (;;) {
		child = 2 * p + 1;
		if (child >= ix->n)
			break;
		c = child;
		if (child + 1 < ix->n &&
		    ix->e[ix->heap[child + 1]].at < ix->e[ix->heap[child]].at)
			c = child + 1;
		if (ix->e[ix->heap[p]].at <= ix->e[ix->heap[c]].at)
			break;
		cluster_heap_swap(ix, p, c);
		p = c;
	}
}

/* Take entry i out of the heap (ix->n still counts it). */
static void
cluster_heap_remove(struct cluster_index *ix, uint32_t i)
{
	uint32_t p = ix->e[i].heap, last = ix->n - 1;

	if (p != last) {
		cluster_heap_swap(ix, p, last);
		ix->n--;
		cluster_heap_fix(ix, p);
	} else {
		ix->n--;
	}
}

/* Take entry i out of every structure and free its slot. */
static void
cluster_entry_remove(struct cluster_index *ix, uint32_t i)
{
	struct cluster_entry *e = &ix->e[i];

	cluster_buckets_remove(ix, i, e->hash);
	cluster_table_delete(ix, ix->ids, ix->idcap,
	                     cluster_id_home(e->id, ix->idcap), i);
	if (e->key != NULL) {
		cluster_table_delete(ix, ix->keys, ix->keycap,
		                     e->keyhash & (ix->keycap - 1), i);
		ix->nkeys--;
		free(e->key);
		e->key = NULL;
	}
	cluster_heap_remove(ix, i);
	e->id = 0;
	e->heap = ix->freelist;
	ix->freelist = i;
}

/*
 * Remember incident id's fingerprint hash and event key (NULL or "": none;
 * copied, at most CLUSTER_KEY_MAX bytes), seen at at (epoch ms).  Re-adding
 * an id replaces its hash, key and time.  Hash 0 means no fingerprint: the
 * entry is then found by its key only.  0, or -1 with errno EINVAL (id 0,
 * key too long), ENOMEM or ENOSPC; on failure the index is unchanged.
 */
int
cluster_index_add(struct cluster_index *ix, uint64_t id, uint64_t hash,
                  const char *key, int64_t at)
{
	struct cluster_entry *e;
	char *copy = NULL;
	size_t klen = 0;
	uint32_t i;

	if (ix == NULL || id == 0) {
		errno = EINVAL;
		return -1;
	}
	if (key != NULL)
		klen = strnlen(key, CLUSTER_KEY_MAX + 1);
	if (klen > CLUSTER_KEY_MAX) {
		errno = EINVAL;
		return -1;
	}
	/* first everything that can fail, then the changes */
	if (klen > 0) {
		copy = malloc(klen + 1);
		if (copy == NULL)
			goto out_nomem;
		memcpy(copy, key, klen + 1);
		if (cluster_table_grow(ix, &ix->keys, &ix->keycap,
		                       ix->nkeys + 1) == -1)
			goto out_nomem;
	}
	i = cluster_id_find(ix, id);
	if (i == CLUSTER_NIL && cluster_reserve(ix) == -1)
		goto out_free;
	if ((i == CLUSTER_NIL || ix->e[i].hash != hash) &&
	    cluster_buckets_reserve(ix, hash) == -1)
		goto out_nomem;

	if (i == CLUSTER_NIL) {
		if (ix->freelist != CLUSTER_NIL) {
			i = ix->freelist;
			ix->freelist = ix->e[i].heap;
		} else {
			i = ix->used++;
		}
		e = &ix->e[i];
		e->id = id;
		e->hash = hash;
		e->key = NULL;
		cluster_table_put(ix->ids, ix->idcap,
		                  cluster_id_home(id, ix->idcap), i);
		cluster_buckets_add(ix, i, hash);
		e->heap = ix->n;
		ix->heap[ix->n++] = i;
	} else {
		e = &ix->e[i];
		if (e->hash != hash) {
			cluster_buckets_add(ix, i, hash);
			cluster_buckets_remove(ix, i, e->hash);
			e->hash = hash;
		}
		if (e->key != NULL) {
			cluster_table_delete(ix, ix->keys, ix->keycap,
			                     e->keyhash & (ix->keycap - 1), i);
			ix->nkeys--;
			free(e->key);
			e->key = NULL;
		}
	}
	e->at = at;
	cluster_heap_fix(ix, e->heap);
	if (copy != NULL) {
		e->key = copy;
		e->keyhash = cluster_key_hash(copy, klen);
		cluster_table_put(ix->keys, ix->keycap,
		                  e->keyhash & (ix->keycap - 1), i);
		ix->nkeys++;
	}
	return 0;

out_nomem:
	errno = ENOMEM;
out_free:
	free(copy);
	return -1;
}

/* Free every entry seen before at - window_ms. */
static void
cluster_expire(struct cluster_index *ix, int64_t at)
{
	int64_t limit;

	if (ix->window_ms <= 0)
		return;
	if (at < INT64_MIN + ix->window_ms)
		return;
	limit = at - ix->window_ms;
	while (ix->n > 0 && ix->e[ix->heap[0]].at < limit)
		cluster_entry_remove(ix, ix->heap[0]);
}

/* The best match so far in a find(). */
struct cluster_best {
	uint32_t i; /* CLUSTER_NIL: none yet */
	int distance;
};

/* Whether entry i at distance d beats the best so far: a smaller distance,
 * then the more recently seen, then the smaller id. */
static int
cluster_better(const struct cluster_index *ix, const struct cluster_best *best,
               uint32_t i, int d)
{
	const struct cluster_entry *a = &ix->e[i], *b;

	if (best->i == CLUSTER_NIL || d < best->distance)
		return 1;
	if (d > best->distance)
		return 0;
	b = &ix->e[best->i];
	if (a->at != b->at)
		return a->at > b->at;
	return a->id < b->id;
}

/*
 * Check the entries in block b's bucket for value v against hash, which
 * differs from v in spent bits of the block: first by the low halves (a
 * lower bound), then by the whole hash.
 */
static void
cluster_scan(const struct cluster_index *ix, int b, uint32_t v, int spent,
             uint64_t hash, struct cluster_best *best)
{
	const struct cluster_bucket *k = &ix->bucket[b][v];
	uint64_t rot = cluster_rot(ix, b, hash);
	uint32_t lo = (uint32_t)rot, hi = (uint32_t)(rot >> 32), p;
	int budget = ix->max_distance - spent, d;

	for (p = 0; p < k->n; p++) {
		d = cluster_popcount32(k->v[p] ^ lo);
		if (d > budget)
			continue;
		d += cluster_popcount32(cluster_highs(k)[p] ^ hi);
		if (d > ix->max_distance)
			continue;
		if (cluster_better(ix, best, cluster_slots(k)[p], d)) {
			best->i = cluster_slots(k)[p];
			best->distance = d;
		}
	}
}

/*
 * Scan the buckets of block b for v and every value that differs from v in
 * up to left more bits (spent so far), flipping only bits from `from`
 * upwards so that each value is visited once.  Recursion depth is at most
 * the radius.
 */
static void
cluster_probe(const struct cluster_index *ix, int b, uint32_t v, int from,
              int spent, int left, uint64_t hash, struct cluster_best *best)
{
	int k;

	cluster_scan(ix, b, v, spent, hash, best);
	if (left == 0)
		return;
	for (k = from; k < ix->width[b]; k++)
		cluster_probe(ix, b, v ^ (1u << k), k + 1, spent + 1, left - 1,
		              hash, best);
}
/*
 * The incident an item with fingerprint hash and event key (NULL or "":
 * none) at time at belongs to, after freeing the entries seen before
 * at - window_ms.  An entry with an equal non-empty key beats any hash
 * match (*distance = -1); otherwise the entry whose hash is within
 * max_distance bits and closest wins (*distance = the bits).  Ties go to
 * the entry seen most recently, then to the smaller id.  Entries stamped
 * after at still match.  Hash 0 matches by key only.  Returns the id, or
 * 0 (and *distance = -1) if none.  distance may be NULL.
 */
uint64_t
cluster_index_find(struct cluster_index *ix, uint64_t hash, const char *key,
                   int64_t at, int *distance)
{
	struct cluster_best best = {CLUSTER_NIL, 0};
	struct cluster_entry *e;
	size_t klen = 0;
	uint32_t h, s;
	int b;

	if (distance != NULL)
		*distance = -1;
	if (ix == NULL)
		return 0;
	cluster_expire(ix, at);
	if (key != NULL)
		klen = strnlen(key, CLUSTER_KEY_MAX + 1);
	if (klen > 0 && klen <= CLUSTER_KEY_MAX && ix->keycap > 0) {
		h = cluster_key_hash(key, klen);
		s = h & (ix->keycap - 1);
		while (ix->keys[s] != CLUSTER_NIL) {
			e = &ix->e[ix->keys[s]];
			if (e->keyhash == h && strcmp(e->key, key) == 0 &&
			    cluster_better(ix, &best, ix->keys[s], -1)) {
				best.i = ix->keys[s];
				best.distance = -1;
			}
			s = (s + 1) & (ix->keycap - 1);
		}
	}
	if (best.i == CLUSTER_NIL && hash != 0 && ix->n > 0) {
#if defined(__GNUC__)
		/* start fetching the exact buckets before scanning any */
		for (b = 0; b < ix->nblocks; b++)
			__builtin_prefetch(
			    ix->bucket[b][cluster_block(ix, b, hash)].v);
#endif
		for (b = 0; b < ix->nblocks; b++)
			cluster_probe(ix, b, cluster_block(ix, b, hash), 0, 0,
			              ix->radius, hash, &best);
	}
	if (best.i == CLUSTER_NIL)
		return 0;
	if (distance != NULL)
		*distance = best.distance;
	return ix->e[best.i].id;
}

/* Forget incident id (no-op if unknown). */
void
cluster_index_remove(struct cluster_index *ix, uint64_t id)
{
	uint32_t i;

	if (ix == NULL || id == 0)
		return;
	i = cluster_id_find(ix, id);
	if (i != CLUSTER_NIL)
		cluster_entry_remove(ix, i);
}

/* Entries held, expired ones not yet freed included. */
size_t
cluster_index_size(const struct cluster_index *ix)
{
	return ix != NULL ? ix->n : 0;
}

/* Free the index and every key it holds; NULL is fine. */
void
cluster_index_free(struct cluster_index *ix)
{
	uint32_t i;
	size_t k;
	int b;

	if (ix == NULL)
		return;
	for (i = 0; i < ix->used; i++) {
		if (ix->e[i].id != 0)
			free(ix->e[i].key);
	}
	for (b = 0; b < CLUSTER_BLOCKS_MAX; b++) {
		if (ix->bucket[b] == NULL)
			continue;
		for (k = 0; k < (size_t)1 << ix->width[b]; k++)
			free(ix->bucket[b][k].v);
		free(ix->bucket[b]);
	}
	free(ix->e);
	free(ix->heap);
	free(ix->ids);
	free(ix->keys);
	free(ix);
}
