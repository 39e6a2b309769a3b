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

int store_build_add(struct store *s, struct store_build *b)
{
	return s->ops->build_add(s, b);
}

int store_build_finish(struct store *s, int64_t id, const char *status, int64_t duration_ms,
		       const char *reason, const char *output_dir, const char *log_path)
{
	return s->ops->build_finish(s, id, status, duration_ms, reason, output_dir, log_path);
}

int store_build_find(struct store *s, const char *cache_key, struct store_build *out)
{
	return s->ops->build_find(s, cache_key, out);
}

int store_build_get(struct store *s, int64_t id, struct store_build *out)
{
	return s->ops->build_get(s, id, out);
}

void store_build_release(struct store_build *b)
{
	free(b->board);
	free(b->sha);
	free(b->tree);
	free(b->cache_key);
	free(b->image_id);
	free(b->status);
	free(b->reason);
	free(b->log_path);
	free(b->output_dir);
	memset(b, 0, sizeof(*b));
}

int store_artifact_add(struct store *s, int64_t build_id, const struct store_artifact *a)
{
	return s->ops->artifact_add(s, build_id, a);
}

int store_artifacts_list(struct store *s, int64_t build_id, struct store_artifact **out, size_t *n)
{
	return s->ops->artifacts_list(s, build_id, out, n);
}

void store_artifacts_free(struct store_artifact *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].kind);
		free(v[i].sha256);
		free(v[i].path);
	}
	free(v);
}

int store_sizes_add(struct store *s, int64_t build_id, const struct store_size *v, size_t n)
{
	return s->ops->sizes_add(s, build_id, v, n);
}

int store_symbols_add(struct store *s, int64_t build_id, const struct store_symbol *v, size_t n)
{
	return s->ops->symbols_add(s, build_id, v, n);
}

int store_job_add(struct store *s, struct store_job *j)
{
	return s->ops->job_add(s, j);
}

int store_job_set_state(struct store *s, int64_t id, const char *state, const char *reason)
{
	return s->ops->job_set_state(s, id, state, reason);
}

int store_result_add(struct store *s, struct store_result *r)
{
	return s->ops->result_add(s, r);
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

int store_device_sync(struct store *s, const char *id, const char *board)
{
	return s->ops->device_sync(s, id, board);
}

int store_device_get(struct store *s, const char *id, struct store_device *out)
{
	return s->ops->device_get(s, id, out);
}

int store_devices_list(struct store *s, struct store_device **out, size_t *n)
{
	return s->ops->devices_list(s, out, n);
}

void store_device_release(struct store_device *d)
{
	free(d->id);
	free(d->board);
	free(d->state);
	free(d->lease_holder);
	free(d->locked_reason);
	free(d->offline_reason);
	free(d->health_status);
	free(d->health_reason);
	memset(d, 0, sizeof(*d));
}

void store_devices_free(struct store_device *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		store_device_release(&v[i]);
	free(v);
}

int store_device_lease(struct store *s, const char *id, int64_t job, const char *holder, int64_t ttl_ms)
{
	return s->ops->device_lease(s, id, job, holder, ttl_ms);
}

int store_device_lease_any(struct store *s, const char *board, const char *exclude, int64_t job,
			   const char *holder, int64_t ttl_ms, char *out, size_t out_size)
{
	return s->ops->device_lease_any(s, board, exclude, job, holder, ttl_ms, out, out_size);
}

int store_device_refresh(struct store *s, const char *id, int64_t job, int64_t ttl_ms)
{
	return s->ops->device_refresh(s, id, job, ttl_ms);
}

int store_device_unlease(struct store *s, const char *id, int64_t job)
{
	return s->ops->device_unlease(s, id, job);
}

int store_device_lock(struct store *s, const char *id, const char *reason)
{
	return s->ops->device_lock(s, id, reason);
}

int store_device_unlock(struct store *s, const char *id)
{
	return s->ops->device_unlock(s, id);
}

int store_device_health(struct store *s, const char *id, bool ok, const char *reason)
{
	return s->ops->device_health(s, id, ok, reason);
}

int store_device_infra_error(struct store *s, const char *id, const char *reason, int64_t offline_after,
			     bool *offline)
{
	return s->ops->device_infra_error(s, id, reason, offline_after, offline);
}
/* ---- hooks: webhook deliveries and forge statuses ---- */

int store_delivery_add(struct store *s, const char *id, const char *forge, const char *event)
{
	return s->ops->delivery_add(s, id, forge, event);
}

int store_delivery_forget(struct store *s, const char *id)
{
	return s->ops->delivery_forget(s, id);
}

int store_deliveries_prune(struct store *s, int64_t before_ms)
{
	return s->ops->deliveries_prune(s, before_ms);
}

int store_status_add(struct store *s, struct store_status *st)
{
	return s->ops->status_add(s, st);
}

int store_statuses_list(struct store *s, int64_t change_id, struct store_status **out, size_t *n)
{
	return s->ops->statuses_list(s, change_id, out, n);
}

int store_statuses_stale(struct store *s, int64_t before_ms, struct store_status **out, size_t *n)
{
	return s->ops->statuses_stale(s, before_ms, out, n);
}

void store_statuses_free(struct store_status *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].state);
		free(v[i].description);
		free(v[i].target_url);
		free(v[i].forge);
		free(v[i].sha);
	}
	free(v);
}

/* ---- rack: health checks ---- */

int store_build_bootable(struct store *s, const char *board, struct store_build *out)
{
	return s->ops->build_bootable(s, board, out);
}

int store_job_set_device(struct store *s, int64_t job, const char *device)
{
	return s->ops->job_set_device(s, job, device);
}

/* ---- dashboard: read-only views for the pages, the JSON API and /metrics ---- */

int store_changes_list(struct store *s, const struct store_change_filter *f, struct store_change_row **out,
		       size_t *n)
{
	return s->ops->changes_list(s, f, out, n);
}

void store_change_rows_free(struct store_change_row *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		store_change_release(&v[i].c);
	free(v);
}

int store_change_builds(struct store *s, int64_t change_id, struct store_build_row **out, size_t *n)
{
	return s->ops->change_builds(s, change_id, out, n);
}

void store_build_rows_free(struct store_build_row *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		store_build_release(&v[i].b);
	free(v);
}

int store_symbol_deltas(struct store *s, int64_t build, int64_t base_build, size_t limit,
			struct store_symbol_delta **out, size_t *n)
{
	return s->ops->symbol_deltas(s, build, base_build, limit, out, n);
}

void store_symbol_deltas_free(struct store_symbol_delta *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].section);
	}
	free(v);
}

int store_change_results(struct store *s, int64_t change_id, struct store_result_row **out, size_t *n)
{
	return s->ops->change_results(s, change_id, out, n);
}

int store_case_history(struct store *s, const char *suite, const char *case_name, size_t limit,
		       struct store_result_row **out, size_t *n)
{
	return s->ops->case_history(s, suite, case_name, limit, out, n);
}

void store_result_rows_free(struct store_result_row *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct store_result_row *r = &v[i];

		free(r->suite);
		free(r->case_name);
		free(r->target);
		free(r->kind);
		free(r->board);
		free(r->device);
		free(r->status);
		free(r->reason);
		free(r->log_path);
		free(r->sha);
		free(r->ref);
	}
	free(v);
}

int store_job_get(struct store *s, int64_t id, struct store_job_row *out)
{
	return s->ops->job_get(s, id, out);
}

void store_job_row_release(struct store_job_row *j)
{
	free(j->suite);
	free(j->target);
	free(j->kind);
	free(j->device);
	free(j->board);
	free(j->state);
	free(j->reason);
	free(j->log_path);
	memset(j, 0, sizeof(*j));
}

int store_job_retry(struct store *s, int64_t id, const char *reason)
{
	return s->ops->job_retry(s, id, reason);
}

int store_size_history(struct store *s, const char *board, size_t limit, struct store_size_point **out,
		       size_t *n)
{
	return s->ops->size_history(s, board, limit, out, n);
}

void store_size_points_free(struct store_size_point *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].sha);
		free(v[i].ref);
	}
	free(v);
}

int store_boards_built(struct store *s, char ***out, size_t *n)
{
	return s->ops->boards_built(s, out, n);
}

void store_names_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

int store_metrics_read(struct store *s, struct store_metrics *out)
{
	return s->ops->metrics_read(s, out);
}
/* ---- end dashboard ---- */

/* ---- serve: the daemon's durable queue (changes → builds → jobs), its forge refs ---- */

int store_change_claim(struct store *s, struct store_change *out)
{
	return s->ops->change_claim(s, out);
}

int store_change_transition(struct store *s, int64_t id, const char *const *from, const char *to,
			    const char *gate, const char *reason)
{
	return s->ops->change_transition(s, id, from, to, gate, reason);
}

int store_change_update(struct store *s, const struct store_change *c)
{
	return s->ops->change_update(s, c);
}

int store_change_exists(struct store *s, const char *forge, const char *ref, const char *sha, bool *out)
{
	return s->ops->change_exists(s, forge, ref, sha, out);
}

int store_changes_end(struct store *s, const char *forge, const char *ref, int64_t except_id, const char *to,
		      const char *reason, int64_t **ids, size_t *n)
{
	return s->ops->changes_end(s, forge, ref, except_id, to, reason, ids, n);
}

int store_change_ids(struct store *s, const char *state, int64_t since_ms, int64_t **ids, size_t *n)
{
	return s->ops->change_ids(s, state, since_ms, ids, n);
}

int store_builds_of_change(struct store *s, int64_t change_id, struct store_build **out, size_t *n)
{
	return s->ops->builds_of_change(s, change_id, out, n);
}

void store_builds_free(struct store_build *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		store_build_release(&v[i]);
	free(v);
}

int store_size_findings_add(struct store *s, int64_t build_id, const struct store_size_finding *v, size_t n)
{
	return s->ops->size_findings_add(s, build_id, v, n);
}

int store_size_findings_list(struct store *s, int64_t build_id, struct store_size_finding **out, size_t *n)
{
	return s->ops->size_findings_list(s, build_id, out, n);
}

void store_size_findings_free(struct store_size_finding *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].region);
		free(v[i].action);
		free(v[i].text);
	}
	free(v);
}

int store_job_claim(struct store *s, const char *target_kind, const char *target, struct store_claimed_job *out)
{
	return s->ops->job_claim(s, target_kind, target, out);
}

void store_claimed_job_release(struct store_claimed_job *j)
{
	free(j->suite);
	free(j->target);
	free(j->target_kind);
	free(j->device);
	memset(j, 0, sizeof(*j));
}

int store_job_requeue(struct store *s, int64_t id, const char *reason)
{
	return s->ops->job_requeue(s, id, reason);
}

int store_jobs_of_change(struct store *s, int64_t change_id, struct store_job_state **out, size_t *n)
{
	return s->ops->jobs_of_change(s, change_id, out, n);
}

void store_job_states_free(struct store_job_state *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].suite);
		free(v[i].target);
		free(v[i].state);
		free(v[i].reason);
	}
	free(v);
}

int store_results_of(struct store *s, int64_t change_id, int64_t job_id, int64_t since_ms,
		     struct store_case_result **out, size_t *n)
{
	return s->ops->results_of(s, change_id, job_id, since_ms, out, n);
}

void store_case_results_free(struct store_case_result *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].suite);
		free(v[i].case_name);
		free(v[i].target);
		free(v[i].status);
		free(v[i].reason);
		free(v[i].log_path);
	}
	free(v);
}

int store_forge_refs_list(struct store *s, const char *forge, struct store_forge_ref **out, size_t *n)
{
	return s->ops->forge_refs_list(s, forge, out, n);
}

int store_forge_ref_set(struct store *s, const char *forge, const char *ref, const char *sha)
{
	return s->ops->forge_ref_set(s, forge, ref, sha);
}

void store_forge_refs_free(struct store_forge_ref *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].ref);
		free(v[i].sha);
	}
	free(v);
}

int store_serve_recover(struct store *s, struct store_recovery *out)
{
	return s->ops->serve_recover(s, out);
}
/* ---- end serve ---- */
