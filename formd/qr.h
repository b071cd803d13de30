/*
 * qr.h - a QR code of a short text (a certificate's verification
 * address) drawn as inline SVG, so a printed certificate needs no image
 * from anywhere. libqrencode is spoken to in qr.c only.
 */
#ifndef OKIENKO_QR_H
#define OKIENKO_QR_H

#include "buf.h"
#include "err.h"

/* The longest text qr_svg takes (a URL; QR codes hold more, a page
 * needs no more). */
#define QR_TEXT_MAX 512

/* Appends to out an <svg> element (role img, `label` as its accessible
 * name, escaped here) with the QR code of `text` (error correction M, a
 * quiet zone of 4 modules): one path of dark modules, no script, no
 * external reference. 0, or -1 with e (ERR_INPUT: text empty or over
 * QR_TEXT_MAX; ERR_NOMEM), with what it appended cut off again. */
int qr_svg(const char *text, const char *label, struct buf *out, struct err *e);

#endif
