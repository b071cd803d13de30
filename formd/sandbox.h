/*
 * sandbox.h - formd restricts its own file access after start (Landlock,
 * Linux 5.13 and later): it may read the site and the system's libraries
 * and settings, write only its database folder and its forum folder, and
 * run no program. Landlock binds the calling thread and the threads it
 * creates afterwards, so formd applies it before starting any thread.
 * Spoken to by raw system calls (<linux/landlock.h>), no library.
 */
#ifndef OKIENKO_SANDBOX_H
#define OKIENKO_SANDBOX_H

#include "err.h"

#include <stddef.h>

enum sandbox_result {
	SANDBOX_ON = 0,     /* applied */
	SANDBOX_ABSENT = 1, /* the kernel has no Landlock (e says why); nothing changed */
};

/* The Landlock ABI version this kernel offers, or 0 when it has none
 * (too old, or disabled at boot). */
int sandbox_abi(void);

/* Restricts this thread and those it creates later, irrevocably: folders
 * in `ro` (nro of them) may be read, folders in `rw` read and written
 * (files and folders created, renamed, removed beneath them), and nothing
 * else touched; no program may be run. /dev/null stays readable and
 * writable. A path in `ro` that does not exist is skipped; one in `rw`
 * must exist. Sets no_new_privs. SANDBOX_ON, SANDBOX_ABSENT, or -1 with e
 * (a folder could not be opened, a system call failed). */
int sandbox_apply(const char *const *ro, size_t nro, const char *const *rw, size_t nrw,
                  struct err *e);

/* formd's sandbox: reads the folder holding `site` (a build or a release
 * replaces the site folder itself, so its parent is what stays) and the
 * system folders (/usr, /lib*, /etc, /proc: libraries, time zones, name
 * resolution); reads and writes the database's folder and `forum_dir`
 * (created when missing). sqlite's temporary files go to the database's
 * folder (SQLITE_TMPDIR). Returns as sandbox_apply. */
int sandbox_formd(const char *site, const char *db, const char *forum_dir, struct err *e);

#endif
