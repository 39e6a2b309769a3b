/*
 * secret: webhook secrets and API tokens, read from files.
 *
 * A secret file must be a regular file that neither group nor others can
 * read (mode & 077 == 0): a token the whole machine can read is already
 * leaked, so the rig refuses it with a message saying how to fix the mode,
 * rather than use it. One trailing newline (and CR) is stripped, since
 * editors and `echo` add one. A secret that is empty, longer than
 * SECRET_MAX_LEN, or holds a control character is refused: it would end up in
 * an HTTP header, where a newline splits the header in two.
 *
 * secret_read() returns a string the caller owns; secret_free() wipes it
 * before freeing, so the secret does not linger in freed heap memory.
 */
#ifndef RIG_SECRET_H
#define RIG_SECRET_H

#define SECRET_MAX_LEN 4096

/* Reads the secret in path; what names it in messages ("webhook secret"). */
int secret_read(char **out, const char *path, const char *what);
void secret_free(char *secret);

#endif
