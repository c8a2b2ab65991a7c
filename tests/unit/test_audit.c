/*
 * test_audit.c: audit.c -- the hash-chained audit trail (building lines,
 * verifying a trail, detecting changed, deleted and reordered lines) and
 * the operators' bearer tokens (stored hash, check, header parsing).
 *
 * The "python3" vector was computed independently with Python 3's json
 * and hashlib from the canonical form documented in the header:
 * hashlib.sha256(json.dumps(d, sort_keys=True, separators=(",", ":"),
 * ensure_ascii=False).encode()).hexdigest(), not with this code.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "alerts/alerts.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define NCHAIN   5

static const char *const actions[NCHAIN] = {"ack", "respond", "reclassify",
                                            "merge", "dismiss"};

/* SHA-256 hex straight from libcrypto, not through sign.c. */
static void
sha256_hex(const char *s, char out[65])
{
	static const char hx[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;

	assert_int_equal(EVP_Digest(s, strlen(s), md, &n, EVP_sha256(), NULL),
	                 1);
	assert_int_equal(n, 32);
	for (i = 0; i < n; i++) {
		out[2 * i] = hx[md[i] >> 4];
		out[2 * i + 1] = hx[md[i] & 0xf];
	}
	out[2 * n] = '\0';
}

/* A trail of NCHAIN entries into lines[] (malloc'd) and their hashes. */
static void
make_chain(char *lines[NCHAIN], char hashes[NCHAIN][AUDIT_HASH_SIZE])
{
	size_t i;

	for (i = 0; i < NCHAIN; i++) {
		json_t *before =
		    json_pack("{s:s, s:i}", "state", "open", "grade", (int)i);
		json_t *after =
		    json_pack("{s:s, s:i, s:[s,I]}", "state", "acked", "grade",
		              (int)i + 1, "list", "某地", (json_int_t)i);
		char note[64];
		struct audit_event ev = {
		    .who = i % 2 == 0 ? "li.na" : "王伟",
		    .when = 1718000000000 + (int64_t)i * 1000,
		    .action = actions[i],
		    .incident = 100 + i,
		    .before = i == 0 ? NULL : before,
		    .after = after,
		    .note = note,
		};

		snprintf(note, sizeof(note), "note %zu: 已处理\n\"ok\"", i);
		lines[i] =
		    audit_entry(i == 0 ? NULL : hashes[i - 1], &ev, hashes[i]);
		assert_non_null(lines[i]);
		assert_int_equal(strlen(hashes[i]), 64);
		json_decref(before);
		json_decref(after);
	}
}

static void
free_chain(char *lines[NCHAIN])
{
	size_t i;

	for (i = 0; i < NCHAIN; i++)
		free(lines[i]);
}

/* Verifies lines[0..n) and checks the verdict. */
static void
expect_verify(const char *const *lines, size_t n, int rc, size_t bad,
              const char *why)
{
	char msg[160];
	size_t idx = 12345;

	assert_int_equal(audit_verify(lines, n, &idx, msg, sizeof(msg)), rc);
	if (rc == 0) {
		assert_string_equal(msg, "");
		return;
	}
	assert_int_equal(idx, bad);
	if (why != NULL)
		assert_string_equal(msg, why);
}

/* Chain ----------------------------------------------------------------- */

static void
test_chain_ok(void **state)
{
	char *lines[NCHAIN], hashes[NCHAIN][AUDIT_HASH_SIZE];
	size_t i;

	(void)state;
	make_chain(lines, hashes);
	expect_verify((const char *const *)lines, NCHAIN, 0, 0, NULL);
	expect_verify((const char *const *)lines, 0, 0, 0, NULL);
	for (i = 0; i < NCHAIN; i++) {
		json_t *o = json_loads(lines[i], 0, NULL);

		assert_non_null(o);
		assert_string_equal(
		    json_string_value(json_object_get(o, "hash")), hashes[i]);
		assert_string_equal(
		    json_string_value(json_object_get(o, "prev")),
		    i == 0 ? AUDIT_GENESIS : hashes[i - 1]);
		assert_string_equal(
		    json_string_value(json_object_get(o, "action")),
		    actions[i]);
		assert_null(strchr(lines[i], '\n'));
		json_decref(o);
	}
	free_chain(lines);
}

/* Every one-byte change anywhere in entry 3 is caught at entry 3. */
static void
test_chain_any_byte(void **state)
{
	static const unsigned char flips[] = {0x01, 0x20, 0x40, 0x80};
	char *lines[NCHAIN], hashes[NCHAIN][AUDIT_HASH_SIZE];
	char *orig;
	size_t pos, f, len;

	(void)state;
	make_chain(lines, hashes);
	orig = lines[3];
	len = strlen(orig);
	lines[3] = malloc(len + 1);
	assert_non_null(lines[3]);
	for (pos = 0; pos < len; pos++) {
		for (f = 0; f < NELEM(flips); f++) {
			memcpy(lines[3], orig, len + 1);
			lines[3][pos] = (char)(lines[3][pos] ^ flips[f]);
			if (lines[3][pos] == '\0')
				continue;
			expect_verify((const char *const *)lines, NCHAIN, -1, 3,
			              NULL);
		}
	}
	free(lines[3]);
	lines[3] = orig;
	free_chain(lines);
}

/* Rewriting the note (still canonical JSON) is a hash mismatch. */
static void
test_chain_changed_note(void **state)
{
	char *lines[NCHAIN], hashes[NCHAIN][AUDIT_HASH_SIZE];
	char *p;

	(void)state;
	make_chain(lines, hashes);
	p = strstr(lines[3], "note 3");
	assert_non_null(p);
	p[5] = '7';
	expect_verify((const char *const *)lines, NCHAIN, -1, 3,
	              "entry 3: hash mismatch (changed?)");
	free_chain(lines);
}

static void
test_chain_deleted(void **state)
{
	char *lines[NCHAIN], hashes[NCHAIN][AUDIT_HASH_SIZE];
	const char *cut[NCHAIN - 1];

	(void)state;
	make_chain(lines, hashes);
	/* Entry 3 deleted: the old entry 4, now at index 3, is caught. */
	cut[0] = lines[0];
	cut[1] = lines[1];
	cut[2] = lines[2];
	cut[3] = lines[4];
	expect_verify(cut, NCHAIN - 1, -1, 3,
	              "entry 3: prev does not match entry 2 (deleted or "
	              "reordered?)");
	/* The first entry deleted. */
	expect_verify((const char *const *)lines + 1, NCHAIN - 1, -1, 0,
	              "entry 0: prev is not the genesis value (truncated at "
	              "the start?)");
	/* The last one deleted cannot be seen from the lines alone. */
	expect_verify((const char *const *)lines, NCHAIN - 1, 0, 0, NULL);
	free_chain(lines);
}

static void
test_chain_reordered(void **state)
{
	char *lines[NCHAIN], hashes[NCHAIN][AUDIT_HASH_SIZE];
	const char *re[NCHAIN];
	size_t i;

	(void)state;
	make_chain(lines, hashes);
	for (i = 0; i < NCHAIN; i++)
		re[i] = lines[i];
	re[2] = lines[3];
	re[3] = lines[2];
	expect_verify(re, NCHAIN, -1, 2,
	              "entry 2: prev does not match entry 1 (deleted or "
	              "reordered?)");
	/* A line replayed. */
	re[2] = lines[2];
	re[3] = lines[2];
	expect_verify(re, NCHAIN, -1, 3, NULL);
	free_chain(lines);
}

static void
test_chain_bad_lines(void **state)
{
	char *lines[NCHAIN], hashes[NCHAIN][AUDIT_HASH_SIZE];
	const char *re[NCHAIN];
	char *spaced, *big;
	size_t i, n;

	(void)state;
	make_chain(lines, hashes);
	for (i = 0; i < NCHAIN; i++)
		re[i] = lines[i];

	re[3] = "not json at all";
	expect_verify(re, NCHAIN, -1, 3, "entry 3: not JSON");
	re[3] = "";
	expect_verify(re, NCHAIN, -1, 3, "entry 3: not JSON");
	re[3] = "[1,2]";
	expect_verify(re, NCHAIN, -1, 3, "entry 3: not a JSON object");
	re[3] = NULL;
	expect_verify(re, NCHAIN, -1, 3, "entry 3: missing");
	re[3] = "{\"a\":1,\"a\":2}";
	expect_verify(re, NCHAIN, -1, 3, "entry 3: not JSON");
	re[3] = "{\"action\":\"ack\"}";
	expect_verify(re, NCHAIN, -1, 3, "entry 3: missing field 'after'");

	/* Whitespace added: same JSON value, not the same line. */
	n = strlen(lines[3]);
	spaced = malloc(n + 2);
	assert_non_null(spaced);
	spaced[0] = ' ';
	memcpy(spaced + 1, lines[3], n + 1);
	re[3] = spaced;
	expect_verify(re, NCHAIN, -1, 3,
	              "entry 3: not in canonical form (changed?)");
	free(spaced);

	/* Over AUDIT_LINE_MAX. */
	big = malloc(AUDIT_LINE_MAX + 2);
	assert_non_null(big);
	memset(big, ' ', AUDIT_LINE_MAX + 1);
	big[AUDIT_LINE_MAX + 1] = '\0';
	re[3] = big;
	expect_verify(re, NCHAIN, -1, 3, "entry 3: too long");
	free(big);

	/* NULL outputs are allowed. */
	assert_int_equal(audit_verify(re, 3, NULL, NULL, 0), 0);
	assert_int_equal(audit_verify(NULL, 1, NULL, NULL, 0), -1);
	free_chain(lines);
}

/* Lines that parse but break the form, each given a correct hash so that
 * only the field rule can fail. */
static void
test_chain_bad_fields(void **state)
{
	static const struct {
		const char *key, *json, *why;
	} cases[] = {
	    {"before", "1.5", "entry 0: bad field 'before'"},
	    {"before", "{\"score\":0.5}", "entry 0: bad field 'before'"},
	    {"after", "[1]", "entry 0: bad field 'after'"},
	    {"after", "{\"t\":\"a\\u0001b\"}", "entry 0: bad field 'after'"},
	    {"note", "\"a\\u0007\"", "entry 0: bad field 'note'"},
	    {"who", "\"\"", "entry 0: bad field 'who'"},
	    {"action", "\"Ack\"", "entry 0: bad field 'action'"},
	    {"incident", "-1", "entry 0: bad field 'incident'"},
	    {"when", "\"1\"", "entry 0: bad field 'when'"},
	    {"v", "2", "entry 0: bad field 'v'"},
	    {"extra", "1", "entry 0: unexpected field"},
	};
	struct audit_event ev = {.who = "a", .action = "ack", .when = 1};
	char hash[AUDIT_HASH_SIZE];
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		char *line = audit_entry(NULL, &ev, hash), *body, *out;
		json_t *o = json_loads(line, 0, NULL);
		const char *one[1];

		assert_non_null(o);
		assert_int_equal(
		    json_object_set_new(
		        o, cases[i].key,
		        json_loads(cases[i].json, JSON_DECODE_ANY, NULL)),
		    0);
		json_object_del(o, "hash");
		body = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
		assert_non_null(body);
		sha256_hex(body, hash);
		json_object_set_new(o, "hash", json_string(hash));
		out = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
		one[0] = out;
		expect_verify(one, 1, -1, 0, cases[i].why);
		free(out);
		free(body);
		free(line);
		json_decref(o);
	}
}

/* Canonical form -------------------------------------------------------- */

static const char vector_line[] =
    "{\"action\":\"reclassify\",\"after\":{\"class\":\"disaster\","
    "\"grade\":1,\"tags\":[\"河南\",\"flood\"]},\"before\":{\"class\":"
    "\"accident\",\"grade\":2},\"hash\":\"96f41306276d1911916de51e5ea489"
    "ee0d7de6bb5fa2a211f035a009566bc783\",\"incident\":42,\"note\":"
    "\"升级为 I 级\\n见通报\\t\\\"引号\\\" \\\\ /\",\"prev\":\"000000"
    "0000000000000000000000000000000000000000000000000000000000\",\"v\":1,"
    "\"when\":1718000000123,\"who\":\"zhang.wei\"}";

/* python3 (see the top of this file). */
static const char vector_hash[] =
    "96f41306276d1911916de51e5ea489ee0d7de6bb5fa2a211f035a009566bc783";

static void
test_canonical_vector(void **state)
{
	json_t *before =
	    json_pack("{s:i, s:s}", "grade", 2, "class", "accident");
	json_t *after = json_pack("{s:[s,s], s:i, s:s}", "tags", "河南",
	                          "flood", "grade", 1, "class", "disaster");
	struct audit_event ev = {
	    .who = "zhang.wei",
	    .when = 1718000000123,
	    .action = "reclassify",
	    .incident = 42,
	    .before = before,
	    .after = after,
	    .note = "升级为 I 级\n见通报\t\"引号\" \\ /",
	};
	char hash[AUDIT_HASH_SIZE], mine[65], body[sizeof(vector_line)];
	const char *one[1];
	const char *h;
	char *line;
	size_t pre;

	(void)state;
	line = audit_entry("", &ev, hash);
	assert_non_null(line);
	assert_string_equal(line, vector_line);
	assert_string_equal(hash, vector_hash);

	/* Recomputed here from the documented rule: the same line without
	 * its "hash" member, hashed with libcrypto directly. */
	h = strstr(vector_line, ",\"hash\":\"");
	assert_non_null(h);
	pre = (size_t)(h - vector_line);
	memcpy(body, vector_line, pre);
	h += strlen(",\"hash\":\"") + 64 + 1;
	memcpy(body + pre, h, strlen(h) + 1);
	sha256_hex(body, mine);
	assert_string_equal(mine, vector_hash);

	one[0] = line;
	expect_verify(one, 1, 0, 0, NULL);
	free(line);
	json_decref(before);
	json_decref(after);
}

static void
test_entry_refused(void **state)
{
	json_t *real = json_pack("{s:f}", "score", 0.5);
	json_t *arr = json_pack("[i]", 1);
	json_t *deep = json_object();
	struct audit_event good = {
	    .who = "li.na", .when = 5, .action = "reopen", .incident = 7};
	struct audit_event ev;
	char hash[AUDIT_HASH_SIZE], *line;
	char longer[AUDIT_NOTE_MAX + 2], name[AUDIT_WHO_MAX + 2];
	int i;

	(void)state;
	for (i = 0; i < AUDIT_DEPTH_MAX + 2; i++) {
		json_t *o = json_object();

		json_object_set_new(o, "d", deep);
		deep = o;
	}
	memset(longer, 'x', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';

	line = audit_entry(NULL, &good, hash);
	assert_non_null(line);
	free(line);

#define REFUSE(prev, field, value)                                             \
	do {                                                                   \
		ev = good;                                                     \
		ev.field = value;                                              \
		hash[0] = 'x';                                                 \
		assert_null(audit_entry(prev, &ev, hash));                     \
		assert_string_equal(hash, "");                                 \
	} while (0)
	REFUSE(NULL, who, NULL);
	REFUSE(NULL, who, "");
	REFUSE(NULL, who, "tab\there");
	REFUSE(NULL, who, name);
	REFUSE(NULL, action, NULL);
	REFUSE(NULL, action, "Ack");
	REFUSE(NULL, action, "ack ");
	REFUSE(NULL, when, -1);
	REFUSE(NULL, incident, (uint64_t)INT64_MAX + 1);
	REFUSE(NULL, note, "bell\a");
	REFUSE(NULL, note, longer);
	REFUSE(NULL, before, real);
	REFUSE(NULL, after, arr);
	REFUSE(NULL, after, deep);
	REFUSE("abc", note, NULL);
	REFUSE(
	    "96F41306276D1911916DE51E5EA489EE0D7DE6BB5FA2A211F035A009566BC783",
	    note, NULL);
#undef REFUSE
	assert_null(audit_entry(NULL, NULL, hash));

	/* The edges that are allowed. */
	ev = good;
	ev.incident = (uint64_t)INT64_MAX;
	ev.note = "tab\tnewline\ncr\r del\x7f";
	longer[AUDIT_NOTE_MAX] = '\0';
	name[AUDIT_WHO_MAX] = '\0';
	ev.who = name;
	line = audit_entry(vector_hash, &ev, NULL);
	assert_non_null(line);
	free(line);
	ev.note = longer;
	line = audit_entry(vector_hash, &ev, NULL);
	assert_non_null(line);
	free(line);

	json_decref(real);
	json_decref(arr);
	json_decref(deep);
}

/* Tokens ---------------------------------------------------------------- */

static void
test_token(void **state)
{
	const char *tok = "yq_5mB2cN8pQ1rT7vW3xZ9aD4fG6hJ0kL";
	char stored[AUDIT_TOKEN_HASH_SIZE], want[80], hex[65];
	char longtok[AUDIT_TOKEN_MAX + 2];

	(void)state;
	assert_int_equal(audit_token_hash(tok, stored), 0);
	sha256_hex(tok, hex);
	snprintf(want, sizeof(want), "sha256:%s", hex);
	assert_string_equal(stored, want);
	assert_int_equal(strlen(stored), AUDIT_TOKEN_HASH_SIZE - 1);

	assert_int_equal(audit_token_check(tok, stored), 1);
	assert_int_equal(
	    audit_token_check("yq_5mB2cN8pQ1rT7vW3xZ9aD4fG6hJ0kM", stored), 0);
	assert_int_equal(
	    audit_token_check("yq_5mB2cN8pQ1rT7vW3xZ9aD4fG6hJ0k", stored), 0);
	assert_int_equal(
	    audit_token_check("yq_5mB2cN8pQ1rT7vW3xZ9aD4fG6hJ0kLL", stored), 0);
	assert_int_equal(audit_token_check("", stored), 0);
	assert_int_equal(audit_token_check(NULL, stored), 0);
	assert_int_equal(audit_token_check(tok, NULL), 0);
	assert_int_equal(audit_token_check(tok, ""), 0);
	/* The stored hash is compared whole: a cut or padded one fails. */
	stored[AUDIT_TOKEN_HASH_SIZE - 2] = '\0';
	assert_int_equal(audit_token_check(tok, stored), 0);
	assert_int_equal(audit_token_check(tok, want + 7), 0);

	/* Bad tokens are not hashed. */
	stored[0] = 'x';
	assert_int_equal(audit_token_hash("short", stored), -1);
	assert_string_equal(stored, "");
	assert_int_equal(
	    audit_token_hash("yq_5mB2cN8pQ1rT7vW3x Z9aD4fG6hJ0kL", stored), -1);
	assert_int_equal(
	    audit_token_hash("yq_5mB2cN8pQ1rT7vW3x\tZ9aD4fG6hJ0kL", stored),
	    -1);
	assert_int_equal(
	    audit_token_hash("yq_5mB2cN8pQ1rT7vW3xé9aD4fG6hJ0kL", stored), -1);
	assert_int_equal(audit_token_hash(NULL, stored), -1);
	memset(longtok, 'a', sizeof(longtok) - 1);
	longtok[sizeof(longtok) - 1] = '\0';
	assert_int_equal(audit_token_hash(longtok, stored), -1);
	longtok[AUDIT_TOKEN_MAX] = '\0';
	assert_int_equal(audit_token_hash(longtok, stored), 0);
	assert_int_equal(audit_token_check(longtok, stored), 1);
}

static void
test_bearer(void **state)
{
	static const struct {
		const char *in, *out; /* out NULL: refused */
	} cases[] = {
	    {"Bearer abc.DEF-123_~+/=", "abc.DEF-123_~+/="},
	    {"bearer abc", "abc"},
	    {"BEARER abc", "abc"},
	    {"bEaReR   abc", "abc"},
	    {"Bearer !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~",
	     "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"},
	    {"abc", NULL},
	    {"Basic dXNlcjpwYXNz", NULL},
	    {"Bearerabc", NULL},
	    {"Bearer", NULL},
	    {"Bearer ", NULL},
	    {"Bearer    ", NULL},
	    {"", NULL},
	    {" Bearer abc", NULL},
	    {"Bearer\tabc", NULL},
	    {"Bearer abc ", NULL},
	    {"Bearer ab c", NULL},
	    {"Bearer ab\tc", NULL},
	    {"Bearer ab\x01", NULL},
	    {"Bearer ab\x7f", NULL},
	    {"Bearer ab\r\n", NULL},
	    {"Bearer abé", NULL},
	    {"Bearer: abc", NULL},
	};
	char tok[AUDIT_TOKEN_MAX + 1], small[4], *big;
	size_t i, n;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		tok[0] = 'x';
		if (cases[i].out != NULL) {
			assert_int_equal(
			    audit_bearer(cases[i].in, tok, sizeof(tok)), 0);
			assert_string_equal(tok, cases[i].out);
		} else {
			assert_int_equal(
			    audit_bearer(cases[i].in, tok, sizeof(tok)), -1);
			assert_string_equal(tok, "");
		}
	}
	assert_int_equal(audit_bearer(NULL, tok, sizeof(tok)), -1);
	assert_int_equal(audit_bearer("Bearer abc", NULL, 10), -1);
	assert_int_equal(audit_bearer("Bearer abc", tok, 0), -1);

	/* The token must fit the caller's buffer. */
	assert_int_equal(audit_bearer("Bearer abc", small, sizeof(small)), 0);
	assert_string_equal(small, "abc");
	assert_int_equal(audit_bearer("Bearer abcd", small, sizeof(small)), -1);
	assert_string_equal(small, "");

	/* Oversized: a token of AUDIT_TOKEN_MAX is the longest; a header
	 * far past any limit is refused without being read to the end. */
	n = strlen("Bearer ") + AUDIT_TOKEN_MAX + 1;
	big = malloc(n + 1);
	assert_non_null(big);
	memcpy(big, "Bearer ", 7);
	memset(big + 7, 'k', AUDIT_TOKEN_MAX + 1);
	big[n] = '\0';
	assert_int_equal(audit_bearer(big, tok, sizeof(tok)), -1);
	big[n - 1] = '\0';
	assert_int_equal(audit_bearer(big, tok, sizeof(tok)), 0);
	assert_int_equal(strlen(tok), AUDIT_TOKEN_MAX);
	free(big);
	big = malloc(1 << 20);
	assert_non_null(big);
	memcpy(big, "Bearer ", 7);
	memset(big + 7, 'k', (1 << 20) - 8);
	big[(1 << 20) - 1] = '\0';
	assert_int_equal(audit_bearer(big, tok, sizeof(tok)), -1);
	free(big);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_chain_ok),
	    cmocka_unit_test(test_chain_any_byte),
	    cmocka_unit_test(test_chain_changed_note),
	    cmocka_unit_test(test_chain_deleted),
	    cmocka_unit_test(test_chain_reordered),
	    cmocka_unit_test(test_chain_bad_lines),
	    cmocka_unit_test(test_chain_bad_fields),
	    cmocka_unit_test(test_canonical_vector),
	    cmocka_unit_test(test_entry_refused),
	    cmocka_unit_test(test_token),
	    cmocka_unit_test(test_bearer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
