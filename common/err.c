#include "err.h"

#include <stdarg.h>
#include <stdio.h>

static int vset(struct err *e, enum err_kind kind, const char *fmt, va_list ap)
{
	if (!e)
		return -1;
	e->kind = kind;
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	return -1;
}

int err_set(struct err *e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vset(e, ERR_INPUT, fmt, ap);
	va_end(ap);
	return -1;
}

int err_kind_set(struct err *e, enum err_kind kind, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vset(e, kind, fmt, ap);
	va_end(ap);
	return -1;
}

int err_oom(struct err *e)
{
	return err_kind_set(e, ERR_NOMEM, "out of memory");
}

int err_at(struct err *e, const char *file, int line, int col, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!e)
		return -1;
	e->kind = ERR_INPUT;
	if (line > 0 && col > 0)
		n = snprintf(e->msg, sizeof e->msg, "%s:%d:%d: ", file, line, col);
	else if (line > 0)
		n = snprintf(e->msg, sizeof e->msg, "%s:%d: ", file, line);
	else
		n = snprintf(e->msg, sizeof e->msg, "%s: ", file);
	if (n < 0 || (size_t)n >= sizeof e->msg)
		return -1;
	va_start(ap, fmt);
	vsnprintf(e->msg + n, sizeof e->msg - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

const char *err_kind_name(enum err_kind kind)
{
	static const char *const names[] = {"none", "bad input", "out of memory", "i/o error"};

	return (unsigned)kind < sizeof names / sizeof names[0] ? names[kind] : "unknown";
}
