/*
 * rights.h - the words of the data-protection rights that the web pages,
 * the e-mails and the staff's replies share: a right (the request form's
 * value, "dostep") and a request's status ("received") in Polish.
 */
#ifndef OKIENKO_RIGHTS_H
#define OKIENKO_RIGHTS_H

/* The rights the request form offers, by their form values ("dostep"),
 * NULL-terminated. */
extern const char *const rights_values[];
/* "dostęp do danych (art. 15 RODO)"; an unknown value comes back as is. */
const char *rights_right_name(const char *value);
/* "przyjęty", "w realizacji" ...; an unknown status comes back as is. */
const char *rights_status_name(const char *status);
/* How the person wants the reply: "email" -> "e-mail", "poczta" ->
 * "list" ...; an unknown value comes back as is. */
const char *rights_channel_name(const char *channel);
/* A step of a request's history for staff: "identity" -> "prośba o dane
 * do identyfikacji" ...; an unknown step comes back as is. */
const char *rights_step_name(const char *step);

#endif
