/*
 * accounts.h - rules about accounts that both programs must state the same
 * way: the generator shows them in the forms' hints, formd enforces them.
 */
#ifndef OKIENKO_ACCOUNTS_H
#define OKIENKO_ACCOUNTS_H

/* The shortest password accepted, in characters (Unicode code points). */
#define PASSWORD_MIN 12

#endif
