/*
 * accounts.h - rules about accounts that both programs must state the same
 * way: the generator shows them in the forms' hints, formd enforces them.
 */
#ifndef OKIENKO_ACCOUNTS_H
#define OKIENKO_ACCOUNTS_H

/* The shortest password accepted, in characters (Unicode code points). */
#define PASSWORD_MIN 12

/* The one cookie the portal sets: the session's, at login only (formd's
 * session.c writes it; the privacy policy's {{< cookies >}} table shows
 * it from these same values). No Max-Age: the browser drops it when it
 * closes; the session behind it ends after SESSION_IDLE seconds unused
 * and SESSION_ABSOLUTE seconds after the login at the latest. */
#define SESSION_COOKIE "__Host-sesja" /* Secure, Path=/, no Domain */
#define SESSION_COOKIE_DEV "sesja"    /* formd --dev: plain http refuses __Host- */
#define SESSION_IDLE (30 * 60)
#define SESSION_ABSOLUTE (12 * 60 * 60)

#endif
