#include "store.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "err.h"

int store_open(struct store **out, const char *url)
{
	*out = NULL;
	if (strncmp(url, "postgresql:", 11) == 0 || strncmp(url, "postgres:", 9) == 0)
		return err_set(ERR_UNSUPPORTED, "store '%s': this rig was built without PostgreSQL", url);
	if (strncmp(url, "sqlite:", 7) == 0)
		url += 7;
	return store_sqlite_open(out, url, -1);
}

void store_close(struct store *s)
{
	if (s)
		s->ops->close(s);
}

int store_version(struct store *s, int *out)
{
	return s->ops->version(s, out);
}

int store_begin(struct store *s)
{
	return s->ops->exec(s, "BEGIN IMMEDIATE");
}

int store_commit(struct store *s)
{
	return s->ops->exec(s, "COMMIT");
}

int store_rollback(struct store *s)
{
	return s->ops->exec(s, "ROLLBACK");
}

int store_change_add(struct store *s, struct store_change *c)
{
	return s->ops->change_add(s, c);
}

int store_change_get(struct store *s, int64_t id, struct store_change *out)
{
	return s->ops->change_get(s, id, out);
}

int store_change_set_state(struct store *s, int64_t id, const char *state, const char *gate,
			   const char *reason)
{
	return s->ops->change_set_state(s, id, state, gate, reason);
}

void store_change_release(struct store_change *c)
{
	free(c->repo);
	free(c->forge);
	free(c->kind);
	free(c->ref);
	free(c->sha);
	free(c->base_ref);
	free(c->base_sha);
	free(c->merge_base);
	free(c->title);
	free(c->author);
	free(c->state);
	free(c->gate);
	free(c->reason);
	memset(c, 0, sizeof(*c));
}

int64_t store_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
