/*
 * qr.c - QR codes as inline SVG (qr.h): the only file that includes
 * qrencode.h.
 */
#include "qr.h"

#include "escape.h"

#include <errno.h>
#include <qrencode.h>
#include <string.h>

enum { QUIET = 4 }; /* modules of white around the code (ISO/IEC 18004) */

int qr_svg(const char *text, const char *label, struct buf *out, struct err *e)
{
	size_t len = text ? strlen(text) : 0, before = out->len;
	QRcode *q;
	int x, y, size;

	if (len == 0 || len > QR_TEXT_MAX)
		return err_set(e, "a QR code's text must have 1 to %d bytes, not %zu", QR_TEXT_MAX,
		               len);
	errno = 0;
	q = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_M);
	if (!q)
		return errno == ENOMEM ? err_oom(e)
		                       : err_set(e, "no QR code for a text of %zu bytes", len);
	size = q->width + 2 * QUIET;
	buf_printf(out,
	           "<svg class=\"qr\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
	           "role=\"img\" aria-label=\"",
	           size, size);
	esc_html(out, label, strlen(label));
	buf_printf(out,
	           "\" shape-rendering=\"crispEdges\"><rect width=\"%d\" height=\"%d\" "
	           "fill=\"#fff\"/><path fill=\"#000\" d=\"",
	           size, size);
	/* each run of dark modules in a row is one rectangle */
	for (y = 0; y < q->width; y++)
		for (x = 0; x < q->width; x++) {
			int run = 0;

			while (x + run < q->width && (q->data[y * q->width + x + run] & 1))
				run++;
			if (run) {
				buf_printf(out, "M%d %dh%dv1h-%dz", x + QUIET, y + QUIET, run, run);
				x += run;
			}
		}
	buf_puts(out, "\"/></svg>");
	QRcode_free(q);
	if (buf_failed(out)) {
		buf_truncate(out, before);
		return err_oom(e);
	}
	return 0;
}
