/*
 * fsutil.h - files on disk: writing (atomically where it matters), creating
 * and removing folders, switching a whole output folder at once.
 *
 * Error kinds: a failure of the system (create, open, read, write, fsync,
 * close, remove, rename) is ERR_IO, an allocation failure ERR_NOMEM, a path
 * too long or a file over the limit ERR_INPUT. Messages name the path.
 */
#ifndef OKIENKO_FSUTIL_H
#define OKIENKO_FSUTIL_H

#include "err.h"

#include <stddef.h>

/* Creates `path` and its missing parents (mode 0755). 0 or -1 with e
 * (ERR_IO; ERR_INPUT for a path too long). */
int fs_mkdirs(const char *path, struct err *e);
/* Writes a whole file, creating missing parent folders. With `atomic`, the
 * data goes to a temporary file in the same folder, is fsync'ed and renamed
 * over `path`, so readers see the old or the new file, never a mix. Close
 * errors (a full disk) are reported. 0 or -1 with e (ERR_IO; ERR_INPUT
 * for a path too long); a failed atomic write leaves no temporary file. */
int fs_write(const char *path, const void *data, size_t len, int atomic, struct err *e);
/* Reads a whole file into malloc'd memory (NUL-terminated; caller frees),
 * refusing files over `max` bytes (ERR_INPUT). NULL with e on failure (ERR_IO,
 * ERR_NOMEM). */
char *fs_read(const char *path, size_t max, size_t *len, struct err *e);
/* Removes a file or a folder tree; a missing path is not an error. 0 or -1
 * with e (ERR_IO). */
int fs_rmtree(const char *path, struct err *e);
/* Puts folder `fresh` in place of `target`: atomically exchanges them when
 * `target` exists (renameat2 RENAME_EXCHANGE) and then removes the old tree
 * (now at `fresh`); renames when it does not. 0 or -1 with e (ERR_IO),
 * `target` untouched on failure -- except when only removing the old tree
 * failed: then `target` already holds the fresh tree. */
int fs_switch(const char *fresh, const char *target, struct err *e);

#endif
