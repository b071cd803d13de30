/*
 * auth.c - password hashes, the hashing pool, tokens, digests and codes.
 * The only file of the project that includes <sodium.h>: every other module
 * sees the plain types of auth.h.
 */
#include "auth.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/* Today's limits. The algorithm is named rather than taken from
 * crypto_pwhash_str's default, so that a libsodium whose default changed
 * cannot switch it silently (auth_needs_rehash compares against these). */
#define PW_ALG crypto_pwhash_ALG_ARGON2ID13
#define PW_OPSLIMIT crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE
#define PW_MEMLIMIT crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE
#define PREFIX_ID crypto_pwhash_argon2id_STRPREFIX /* "$argon2id$" */
#define PREFIX_I crypto_pwhash_argon2i_STRPREFIX   /* "$argon2i$" */

#define POOL_WORKERS_MAX 64
#define POOL_QUEUE_MAX 100000

_Static_assert(AUTH_HASH_MAX >= crypto_pwhash_argon2id_STRBYTES,
               "a password hash does not fit AUTH_HASH_MAX");
_Static_assert(AUTH_PASSWORD_MAX <= crypto_pwhash_argon2id_PASSWD_MAX,
               "AUTH_PASSWORD_MAX is over libsodium's limit");
_Static_assert(sodium_base64_ENCODED_LEN(AUTH_TOKEN_BYTES,
                                         sodium_base64_VARIANT_URLSAFE_NO_PADDING) ==
                   AUTH_TOKEN_TEXT,
               "AUTH_TOKEN_TEXT does not match the token's encoding");
_Static_assert(AUTH_DIGEST_BYTES >= crypto_generichash_BYTES_MIN &&
                   AUTH_DIGEST_BYTES <= crypto_generichash_BYTES_MAX,
               "AUTH_DIGEST_BYTES is not a BLAKE2b output size");
_Static_assert(AUTH_DIGEST_TEXT == 2 * AUTH_DIGEST_BYTES + 1, "AUTH_DIGEST_TEXT is not hex + NUL");
_Static_assert(AUTH_CODE_TEXT == 16 + 3 + 1, "AUTH_CODE_TEXT is not 16 characters, 3 dashes, NUL");

/* Calls sodium_init(), which is idempotent and thread-safe: 1 ("already
 * initialised") is success too. */
int auth_init(struct err *e)
{
	if (sodium_init() < 0)
		return err_kind_set(e, ERR_IO, "cannot initialise libsodium");
	return 0;
}

static int has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Decodes an encoded hash without computing it: 0 if it is well formed,
 * -1 with e (ERR_INPUT, or ERR_NOMEM) if not. libsodium's verify reports a
 * mismatch and a malformed string alike; its needs_rehash decodes the
 * string and says which. The length is checked first because the hash
 * comes from the store and may lack a NUL within AUTH_HASH_MAX bytes. */
static int check_format(const char *hash, struct err *e)
{
	int r;

	if (strnlen(hash, AUTH_HASH_MAX) >= AUTH_HASH_MAX)
		return err_set(e, "malformed password hash: over %d bytes", AUTH_HASH_MAX - 1);
	errno = 0;
	if (has_prefix(hash, PREFIX_ID))
		r = crypto_pwhash_argon2id_str_needs_rehash(hash, PW_OPSLIMIT, PW_MEMLIMIT);
	else if (has_prefix(hash, PREFIX_I))
		r = crypto_pwhash_argon2i_str_needs_rehash(
		    hash, crypto_pwhash_argon2i_OPSLIMIT_INTERACTIVE,
		    crypto_pwhash_argon2i_MEMLIMIT_INTERACTIVE);
	else
		return err_set(e, "malformed password hash: not argon2");
	if (r >= 0)
		return 0;
	if (errno == ENOMEM)
		return err_oom(e);
	return err_set(e, "malformed password hash");
}

/* argon2id with the interactive limits into out. The 64 MiB are mapped by
 * libsodium, so a failure of crypto_pwhash_str_alg on a valid length means
 * the memory was not there. On failure out is the empty string. */
int auth_hash_password(const char *password, size_t len, char out[AUTH_HASH_MAX], struct err *e)
{
	out[0] = '\0';
	if (len > AUTH_PASSWORD_MAX)
		return err_set(e, "password too long: over %d bytes", AUTH_PASSWORD_MAX);
	if (!password)
		password = "";
	if (crypto_pwhash_str_alg(out, password, len, PW_OPSLIMIT, PW_MEMLIMIT, PW_ALG) != 0) {
		out[0] = '\0';
		return err_kind_set(e, ERR_NOMEM, "out of memory hashing a password");
	}
	if (!has_prefix(out, PREFIX_ID)) { /* cannot happen with PW_ALG */
		sodium_memzero(out, AUTH_HASH_MAX);
		return err_kind_set(e, ERR_IO,
		                    "libsodium made a password hash that is not argon2id");
	}
	return 0;
}

/* Verifies in constant time (libsodium recomputes the hash with the
 * parameters stored in it, argon2id or the older argon2i). A password over
 * AUTH_PASSWORD_MAX is refused (-1, ERR_INPUT) without hashing: none can
 * match, since auth_hash_password refuses them too. The format is checked
 * first, so that after it a failing verify is either a mismatch (libsodium
 * sets EINVAL) or no memory. Debian's libsodium 1.0.18 reports a failed
 * allocation as a mismatch too (argon2_verify turns every error into
 * ARGON2_VERIFY_MISMATCH; later releases do not), so there no memory gives
 * 0: never a false match, but the user is told the password is wrong. */
int auth_check_password(const char *password, size_t len, const char *hash, struct err *e)
{
	if (len > AUTH_PASSWORD_MAX)
		return err_set(e, "password too long: over %d bytes", AUTH_PASSWORD_MAX);
	if (!hash)
		return err_set(e, "malformed password hash: none");
	if (check_format(hash, e) < 0)
		return -1;
	if (!password)
		password = "";
	errno = 0;
	if (crypto_pwhash_str_verify(hash, password, len) == 0)
		return 1;
	if (errno == EINVAL)
		return 0;
	return err_kind_set(e, ERR_NOMEM, "out of memory checking a password");
}

/* 1 for anything but an argon2id hash with today's limits: an argon2i hash
 * (libsodium's own needs_rehash compares only the limits, so it is not
 * asked), other limits, a malformed string, or no memory to decode it
 * (rehashing costs one hash at a successful login; missing one would keep a
 * weak hash for ever). */
int auth_needs_rehash(const char *hash)
{
	if (!hash || strnlen(hash, AUTH_HASH_MAX) >= AUTH_HASH_MAX || !has_prefix(hash, PREFIX_ID))
		return 1;
	return crypto_pwhash_argon2id_str_needs_rehash(hash, PW_OPSLIMIT, PW_MEMLIMIT) == 0 ? 0 : 1;
}

/* ---- the pool ---- */

struct job {
	void (*fn)(void *arg);
	void (*done)(void *arg); /* may be NULL */
	void *arg;
};

struct auth_pool {
	pthread_mutex_t lock; /* guards everything below but threads */
	pthread_cond_t work;  /* a job was queued, or the pool is stopping */
	struct job *ring;     /* the queue: cap slots, count of them from head on */
	int cap;
	int head;
	int count;
	int stopping; /* auth_pool_free was called: refuse jobs, drain, exit */
	int nthreads; /* threads started (and to join) */
	pthread_t threads[POOL_WORKERS_MAX];
};

/* A worker: takes jobs in FIFO order until the pool is stopping and the
 * queue is empty. The lock is not held while a job runs. */
static void *worker_main(void *arg)
{
	struct auth_pool *p = arg;
	struct job j;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		while (p->count == 0 && !p->stopping)
			pthread_cond_wait(&p->work, &p->lock);
		if (p->count == 0)
			break;
		j = p->ring[p->head];
		p->head = (p->head + 1) % p->cap;
		p->count--;
		pthread_mutex_unlock(&p->lock);
		j.fn(j.arg);
		if (j.done)
			j.done(j.arg);
		pthread_mutex_lock(&p->lock);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

/* Stops and joins the threads started so far, then frees p. Queued jobs
 * run first (the workers drain the queue before they exit). */
static void pool_stop(struct auth_pool *p)
{
	int i;

	pthread_mutex_lock(&p->lock);
	p->stopping = 1;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->lock);
	for (i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	pthread_cond_destroy(&p->work);
	pthread_mutex_destroy(&p->lock);
	free(p->ring);
	free(p);
}

/* Starts `workers` threads (1..64) over a queue of `queue` slots
 * (1..100000). The threads block every signal, so that signals reach the
 * daemon's main thread. Returns the pool (the caller frees it with
 * auth_pool_free), or NULL with e: ERR_INPUT for a count out of range,
 * ERR_NOMEM, ERR_IO when a thread cannot start. */
struct auth_pool *auth_pool_new(int workers, int queue, struct err *e)
{
	struct auth_pool *p;
	sigset_t all, old;
	int i, rc = 0;

	if (workers < 1 || workers > POOL_WORKERS_MAX) {
		err_set(e, "hashing pool: workers must be 1 to %d, not %d", POOL_WORKERS_MAX,
		        workers);
		return NULL;
	}
	if (queue < 1 || queue > POOL_QUEUE_MAX) {
		err_set(e, "hashing pool: queue must be 1 to %d, not %d", POOL_QUEUE_MAX, queue);
		return NULL;
	}
	p = calloc(1, sizeof *p);
	if (!p) {
		err_oom(e);
		return NULL;
	}
	p->ring = calloc((size_t)queue, sizeof *p->ring);
	if (!p->ring) {
		free(p);
		err_oom(e);
		return NULL;
	}
	p->cap = queue;
	if (pthread_mutex_init(&p->lock, NULL) != 0) {
		free(p->ring);
		free(p);
		err_kind_set(e, ERR_IO, "hashing pool: cannot create a mutex");
		return NULL;
	}
	if (pthread_cond_init(&p->work, NULL) != 0) {
		pthread_mutex_destroy(&p->lock);
		free(p->ring);
		free(p);
		err_kind_set(e, ERR_IO, "hashing pool: cannot create a condition variable");
		return NULL;
	}
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (i = 0; i < workers; i++) {
		rc = pthread_create(&p->threads[i], NULL, worker_main, p);
		if (rc != 0)
			break;
		p->nthreads++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		pool_stop(p);
		err_kind_set(e, ERR_IO, "hashing pool: cannot start thread %d of %d: %s", i + 1,
		             workers, strerror(rc));
		return NULL;
	}
	return p;
}

/* Queues a job without waiting for room: 0, or -1 when the queue is full,
 * the pool is stopping, or fn is NULL. done may be NULL. Safe from any
 * thread, a pool thread's fn or done included. */
int auth_pool_submit(struct auth_pool *p, void (*fn)(void *arg), void (*done)(void *arg), void *arg)
{
	int r = -1;

	if (!p || !fn)
		return -1;
	pthread_mutex_lock(&p->lock);
	if (!p->stopping && p->count < p->cap) {
		p->ring[(p->head + p->count) % p->cap] = (struct job){fn, done, arg};
		p->count++;
		pthread_cond_signal(&p->work);
		r = 0;
	}
	pthread_mutex_unlock(&p->lock);
	return r;
}

/* Refuses new jobs, waits for the running and the queued ones (each still
 * gets its fn and done), joins the threads and frees p. NULL is a no-op.
 * Must not be called from a pool thread (it would join itself). */
void auth_pool_free(struct auth_pool *p)
{
	if (p)
		pool_stop(p);
}

/* ---- tokens, digests, codes ---- */

void auth_token(char out[AUTH_TOKEN_TEXT])
{
	unsigned char bin[AUTH_TOKEN_BYTES];

	randombytes_buf(bin, sizeof bin);
	sodium_bin2base64(out, AUTH_TOKEN_TEXT, bin, sizeof bin,
	                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(bin, sizeof bin);
}

void auth_digest(const void *data, size_t len, char out[AUTH_DIGEST_TEXT])
{
	unsigned char bin[AUTH_DIGEST_BYTES];

	if (!data)
		data = "";
	crypto_generichash(bin, sizeof bin, data, len, NULL, 0);
	sodium_bin2hex(out, AUTH_DIGEST_TEXT, bin, sizeof bin);
	sodium_memzero(bin, sizeof bin);
}

/* 16 characters drawn uniformly (randombytes_uniform has no modulo bias)
 * from 31 that cannot be mistaken for each other: 16 * log2(31), about 79
 * bits. */
void auth_code(char out[AUTH_CODE_TEXT])
{
	static const char alphabet[] = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";
	size_t i, o = 0;

	for (i = 0; i < 16; i++) {
		if (i > 0 && i % 4 == 0)
			out[o++] = '-';
		out[o++] = alphabet[randombytes_uniform((uint32_t)(sizeof alphabet - 1))];
	}
	out[o] = '\0';
}

int auth_equal(const void *a, const void *b, size_t len)
{
	return sodium_memcmp(a, b, len) == 0;
}
