/*
 * fsutil.h - files on disk: writing (atomically where it matters), creating
 * and removing folders, switching a whole output folder at once.
 */
#ifndef OKIENKO_FSUTIL_H
#define OKIENKO_FSUTIL_H

#include "err.h"

#include <stddef.h>

/* Creates `path` and its missing parents (mode 0755). 0 or -1 with e. */
int fs_mkdirs(const char *path, struct err *e);
/* Writes a whole file, creating missing parent folders. With `atomic`, the
 * data goes to a temporary file in the same folder, is fsync'ed and renamed
 * over `path`, so readers see the old or the new file, never a mix. Close
 * errors (a full disk) are reported. 0 or -1 with e. */
int fs_write(const char *path, const void *data, size_t len, int atomic, struct err *e);
/* Reads a whole file into malloc'd memory (NUL-terminated; caller frees),
 * refusing files over `max` bytes. NULL with e on failure. */
char *fs_read(const char *path, size_t max, size_t *len, struct err *e);
/* Removes a file or a folder tree; a missing path is not an error. */
int fs_rmtree(const char *path, struct err *e);
/* Puts folder `fresh` in place of `target`: atomically exchanges them when
 * `target` exists (renameat2 RENAME_EXCHANGE) and then removes the old tree
 * (now at `fresh`); renames when it does not. 0 or -1 with e, `target`
 * untouched on failure. */
int fs_switch(const char *fresh, const char *target, struct err *e);

#endif
