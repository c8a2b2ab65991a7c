/*
 * t2s.c: does a text need OpenCC's traditional-to-simplified conversion
 * at all?  Most texts hold no character t2s changes (94 % of the bench
 * corpus), and OpenCC costs more than all the rules together, so
 * rules_simplify() asks here first.  The table (t2s_table.h) is generated
 * at build time from OpenCC's own dictionaries by scripts/gen-t2s-table.py;
 * it is trusted only if the installed dictionaries are byte for byte the
 * ones it was built from (t2s_table_check), otherwise every text is
 * converted, as without the table.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/monitor.h"
#include "t2s_table.h"

#define T2S_DICT_MAX (16 << 20) /* bytes of a dictionary file read */

#if T2S_TABLE_OK
static int
t2s_bit(const uint32_t *map, unsigned cp)
{
	return (map[cp >> 5] >> (cp & 31)) & 1;
}

static int
t2s_astral_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* The size and FNV-1a hash of a file; -1 if unreadable or too big. */
static int
t2s_file_hash(const char *path, uint64_t *size, uint64_t *hash)
{
	FILE *f = fopen(path, "rb");
	unsigned char buf[8192];
	size_t n;

	if (f == NULL)
		return -1;
	*size = 0;
	*hash = 0xcbf29ce484222325ull;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0 &&
	       *size <= T2S_DICT_MAX) {
		size_t i;

		for (i = 0; i < n; i++) {
			*hash ^= buf[i];
			*hash *= 0x100000001b3ull;
		}
		*size += n;
	}
	fclose(f);
	return *size > T2S_DICT_MAX ? -1 : 0;
}
#endif

/*
 * 1 if the table may be used (the installed dictionaries are the ones it
 * was built from); 0 and the reason in why otherwise.
 */
int
t2s_table_check(char *why, size_t len)
{
#if T2S_TABLE_OK
	size_t i;

	for (i = 0; i < sizeof(t2s_dicts) / sizeof(t2s_dicts[0]); i++) {
		char path[512];
		uint64_t size, hash;

		snprintf(path, sizeof(path), "%s/%s", t2s_dir,
		         t2s_dicts[i].file);
		if (t2s_file_hash(path, &size, &hash) == -1) {
			snprintf(why, len, "cannot read %s", path);
			return 0;
		}
		if (size != t2s_dicts[i].size || hash != t2s_dicts[i].fnv) {
			snprintf(why, len, "%s differs from the build's", path);
			return 0;
		}
	}
	snprintf(why, len, "table matches %s", t2s_dir);
	return 1;
#else
	snprintf(why, len, "built without opencc_dict");
	return 0;
#endif
}

/*
 * 1 if t2s may change s (or the table cannot tell), 0 if converting it
 * would give s back unchanged.  Invalid UTF-8 is left to OpenCC.
 */
int
t2s_needed(const char *s, size_t len)
{
#if T2S_TABLE_OK
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < len) {
		size_t at = i, k;
		long cp = text_utf8_next(s, len, &i);

		if (cp < 0)
			return 1;
		if (cp < 0x80)
			continue;
		if (cp > 0xffff) {
			uint32_t key = (uint32_t)cp;

			if (T2S_NASTRAL > 0 &&
			    bsearch(&key, t2s_astral, T2S_NASTRAL,
			            sizeof(t2s_astral[0]), t2s_astral_cmp))
				return 1;
		} else if (t2s_bit(t2s_chars, (unsigned)cp)) {
			return 1;
		} else if (t2s_bit(t2s_starts, (unsigned)cp)) {
			for (k = 0; k < T2S_NPHRASES; k++) {
				size_t pl = strlen(t2s_phrases[k]);

				if (pl <= len - at &&
				    memcmp(p + at, t2s_phrases[k], pl) == 0)
					return 1;
			}
		}
	}
	return 0;
#else
	(void)s;
	(void)len;
	return 1;
#endif
}
