/*
 * auth.h - the only module that speaks to libsodium: password hashes
 * (argon2id), the bounded pool of threads that computes them, random
 * tokens and codes, and the hashes the store keeps instead of tokens and
 * chains the audit log with.
 *
 * auth_init() must be called once before anything else here (it calls
 * sodium_init()).
 */
#ifndef OKIENKO_AUTH_H
#define OKIENKO_AUTH_H

#include "err.h"

#include <stddef.h>

#define AUTH_HASH_MAX 128      /* bytes of an encoded password hash, with its NUL */
#define AUTH_TOKEN_BYTES 32    /* a session token: 256 random bits */
#define AUTH_TOKEN_TEXT 44     /* its text: base64url without padding (43) + NUL */
#define AUTH_DIGEST_BYTES 32   /* a token's or a record's hash (BLAKE2b-256) */
#define AUTH_DIGEST_TEXT 65    /* as lowercase hex + NUL */
#define AUTH_CODE_TEXT 20      /* a certificate code "XXXX-XXXX-XXXX-XXXX" + NUL */
#define AUTH_PASSWORD_MAX 1024 /* bytes of a password accepted for hashing */

/* 0, or -1 with e when libsodium cannot start. */
int auth_init(struct err *e);

/* Hashes a password with argon2id (crypto_pwhash_str, the interactive
 * limits: 64 MiB, so call it through the pool). out gets the encoded hash
 * (AUTH_HASH_MAX bytes). 0, or -1 with e (ERR_NOMEM when the memory is not
 * there, ERR_INPUT for a password over AUTH_PASSWORD_MAX). */
int auth_hash_password(const char *password, size_t len, char out[AUTH_HASH_MAX], struct err *e);
/* 1 if the password matches the encoded hash, 0 if not, -1 with e on a
 * malformed hash or a password over AUTH_PASSWORD_MAX (ERR_INPUT). With
 * Debian 12's libsodium (1.0.18) running out of memory reads as 0 (no
 * match), never as a false match. */
int auth_check_password(const char *password, size_t len, const char *hash, struct err *e);
/* 1 if the hash was made with another algorithm or other limits than
 * today's, or is malformed (rehash it at the next successful login), 0 if
 * not. */
int auth_needs_rehash(const char *hash);

/*
 * The hashing pool: at most `workers` hashes at once (each takes 64 MiB),
 * the rest wait in a queue of at most `queue` jobs. A job runs `fn(arg)` on
 * a pool thread (so an HTTP thread is never blocked by a hash) and then
 * `done(arg)`, also on the pool thread; `done` typically resumes the
 * suspended HTTP connection.
 */
struct auth_pool;
/* A pool of `workers` (1..64) threads and a queue of `queue` (1..100000)
 * waiting jobs (running ones do not count). NULL with e for sizes out of
 * range or a thread that cannot start. */
struct auth_pool *auth_pool_new(int workers, int queue, struct err *e);
/* 0, or -1 when the queue is full (the caller answers 429/503) or the pool
 * is stopping. */
int auth_pool_submit(struct auth_pool *p, void (*fn)(void *arg), void (*done)(void *arg),
                     void *arg);
/* Finishes the queued jobs, stops the threads and frees the pool; never
 * call it from a pool thread. `done` may be NULL in a submit. */
void auth_pool_free(struct auth_pool *p);

/* A new session token, as text (base64url, AUTH_TOKEN_TEXT bytes). */
void auth_token(char out[AUTH_TOKEN_TEXT]);
/* The digest the store keeps of a token (or any text): BLAKE2b-256 as hex. */
void auth_digest(const void *data, size_t len, char out[AUTH_DIGEST_TEXT]);
/* A certificate code: 16 characters from an alphabet without look-alikes
 * (no 0/O, 1/I/L), grouped "XXXX-XXXX-XXXX-XXXX" (16 x log2(31), about 79
 * random bits). */
void auth_code(char out[AUTH_CODE_TEXT]);
/* Compares two equal-length secrets in constant time: 1 if equal. */
int auth_equal(const void *a, const void *b, size_t len);

#endif
