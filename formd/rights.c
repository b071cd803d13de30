/*
 * rights.c - the words of the data-protection rights (rights.h): one
 * table for the web pages, the e-mails and the staff's command line.
 */
#include "rights.h"

#include <stddef.h>
#include <string.h>

/* The rights of the request form, by its values (form-rights.mustache),
 * with what staff and e-mails call them. */
const char *const rights_values[] = {"informacja",
                                     "dostep",
                                     "sprostowanie",
                                     "usuniecie",
                                     "ograniczenie",
                                     "powiadomienie",
                                     "przenoszenie",
                                     "sprzeciw",
                                     "decyzje",
                                     "cofniecie-zgody",
                                     NULL};
static const char *const right_names[] = {
    "informacja o przetwarzaniu danych (art. 13 i 14 RODO)",
    "dostęp do danych (art. 15 RODO)",
    "sprostowanie danych (art. 16 RODO)",
    "usunięcie danych (art. 17 RODO)",
    "ograniczenie przetwarzania (art. 18 RODO)",
    "informacja o odbiorcach (art. 19 RODO)",
    "przeniesienie danych (art. 20 RODO)",
    "sprzeciw (art. 21 RODO)",
    "decyzje zautomatyzowane (art. 22 RODO)",
    "cofnięcie zgody (art. 7 ust. 3 RODO)",
};

const char *rights_right_name(const char *value)
{
	size_t i;

	for (i = 0; rights_values[i]; i++)
		if (strcmp(rights_values[i], value) == 0)
			return right_names[i];
	return value;
}

const char *rights_status_name(const char *status)
{
	static const char *const names[][2] = {
	    {"unconfirmed", "przyjęty"}, /* its address not confirmed yet */
	    {"received", "przyjęty"},     {"identity", "weryfikacja tożsamości"},
	    {"progress", "w realizacji"}, {"extended", "w realizacji, termin przedłużony"},
	    {"done", "zrealizowany"},     {"refused", "odmowa"},
	};
	size_t i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(status, names[i][0]) == 0)
			return names[i][1];
	return status;
}

/* Looks `key` up in a {key, words} table of n rows; unknown: key as is. */
static const char *lookup(const char *const (*table)[2], size_t n, const char *key)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(key, table[i][0]) == 0)
			return table[i][1];
	return key;
}

const char *rights_channel_name(const char *channel)
{
	static const char *const names[][2] = {
	    {"email", "e-mail"},
	    {"poczta", "list"},
	    {"telefon", "telefon"},
	    {"osobiscie", "osobiście"},
	};

	return lookup(names, sizeof names / sizeof names[0], channel);
}

const char *rights_step_name(const char *step)
{
	static const char *const names[][2] = {
	    {"received", "otrzymany"},
	    {"confirmed", "adres e-mail potwierdzony"},
	    {"identity", "prośba o dane do identyfikacji"},
	    {"progress", "w realizacji"},
	    {"extend", "termin przedłużony"},
	    {"done", "zrealizowany"},
	    {"refuse", "odmowa"},
	    {"reply", "odpowiedź wysłana"},
	    {"note", "notatka"},
	    {"export", "kopia danych wydana"},
	    {"notice", "informacja przed zniesieniem ograniczenia"},
	};

	return lookup(names, sizeof names / sizeof names[0], step);
}
