#include "err.h"

#include <stdarg.h>
#include <stdio.h>

int err_set(struct err *e, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return -1;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
	return -1;
}

int err_at(struct err *e, const char *file, int line, int col, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!e)
		return -1;
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
