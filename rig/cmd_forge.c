#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "config.h"
#include "diag.h"
#include "err.h"
#include "forge.h"

/*
 * `rig forge`: the git side of `rig run` and of the daemon, one step at a
 * time, for the tests and for an operator wondering what the rig sees in a
 * repository. Plumbing: not listed in `rig --help`.
 */

static const char usage[] =
	"usage: rig forge [-c FILE] [-d DIR] [options] <verb> <url> [<args>]\n"
	"\n"
	"The rig's mirror of a repository, one step at a time.\n"
	"\n"
	"  path URL                the mirror's folder\n"
	"  fetch URL               fetch; print '<old> <new> <ref>' for each ref that moved\n"
	"  refs URL                print '<sha> <ref>' for each ref of the mirror\n"
	"  resolve URL REV         print the commit REV names (branch, pull/N, sha, ...)\n"
	"  commit URL REV          print its sha, tree, author, time and summary\n"
	"  tree URL REV            print the id of REV's tree\n"
	"  merge-base URL A B      print the best common ancestor of A and B\n"
	"  merge URL CHANGE BASE   merge CHANGE onto BASE in memory; print the tree id\n"
	"  checkout URL REV DIR    write REV's tree into the new folder DIR; print its id\n"
	"\n"
	"  -c, --config FILE       data folder and forge refspecs from FILE (default: built-in)\n"
	"  -d, --data DIR          data folder (mirrors in DIR/mirrors) instead\n"
	"  -r, --refspec SPEC      fetch SPEC instead of the forge's refspecs (repeatable)\n"
	"      --timeout SECONDS   bound of the whole fetch\n"
	"      --stall SECONDS     give up after this long without progress\n"
	"      --lock-timeout SECONDS  wait this long for another fetch of the mirror\n"
	"\n"
	"Exit: 0 done, 1 no such ref or a merge conflict, 2 usage, 3 any other failure.\n";

enum { OPT_TIMEOUT = 256, OPT_STALL, OPT_LOCK_TIMEOUT };

struct verb {
	const char *name;
	int args;		/* after the URL */
};

static const struct verb verbs[] = {
	{ "path", 0 }, { "fetch", 0 }, { "refs", 0 }, { "resolve", 1 }, { "commit", 1 },
	{ "tree", 1 }, { "merge-base", 2 }, { "merge", 2 }, { "checkout", 2 },
};

static int parse_seconds(int *ms, const char *s, const char *opt)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || *end || v <= 0 || v > 86400) {
		fprintf(stderr, "rig forge: %s wants seconds, not '%s'\n", opt, s);
		return EXIT_USAGE;
	}
	*ms = (int)(v * 1000 + 0.5);
	if (*ms == 0)
		*ms = 1;
	return 0;
}

static int exit_for(int rc)
{
	fprintf(stderr, "rig forge: %s\n", err_msg());
	switch (rc) {
	case ERR_NOTFOUND:
	case ERR_CONFLICT:
		return EXIT_GATE_FAIL;
	case ERR_INVALID:
		return EXIT_USAGE;
	}
	return EXIT_INFRA;
}

static const char *or_zeros(const char *sha)
{
	return sha[0] ? sha : "0000000000000000000000000000000000000000";
}

static int run_verb(const char *verb, struct forge_mirror *m, char **args,
		    const struct forge_fetch_opts *fo)
{
	char sha[FORGE_SHA_SIZE];
	struct forge_ref_list refs = { 0 };
	struct forge_commit c;
	int rc = 0;

	if (strcmp(verb, "path") == 0) {
		puts(forge_mirror_path(m));
	} else if (strcmp(verb, "fetch") == 0 || strcmp(verb, "refs") == 0) {
		bool fetch = strcmp(verb, "fetch") == 0;

		rc = fetch ? forge_fetch(&refs, m, fo) : forge_refs(&refs, m);
		for (size_t i = 0; rc == 0 && i < refs.n; i++) {
			if (fetch)
				printf("%s %s %s\n", or_zeros(refs.v[i].old_sha), or_zeros(refs.v[i].sha),
				       refs.v[i].name);
			else
				printf("%s %s\n", refs.v[i].sha, refs.v[i].name);
		}
		forge_ref_list_release(&refs);
	} else if (strcmp(verb, "resolve") == 0) {
		if ((rc = forge_resolve(sha, m, args[0])) == 0)
			puts(sha);
	} else if (strcmp(verb, "commit") == 0) {
		if ((rc = forge_commit_get(&c, m, args[0])) == 0) {
			printf("commit %s\ntree %s\nauthor %s\ntime %lld\nsummary %s\n", c.sha, c.tree,
			       c.author, (long long)c.time, c.summary);
			forge_commit_release(&c);
		}
	} else if (strcmp(verb, "tree") == 0) {
		if ((rc = forge_tree_id(sha, m, args[0])) == 0)
			puts(sha);
	} else if (strcmp(verb, "merge-base") == 0) {
		if ((rc = forge_merge_base(sha, m, args[0], args[1])) == 0)
			puts(sha);
	} else if (strcmp(verb, "merge") == 0) {
		if ((rc = forge_merge(sha, m, args[0], args[1])) == 0)
			puts(sha);
	} else if (strcmp(verb, "checkout") == 0) {
		if ((rc = forge_checkout(sha, m, args[0], args[1])) == 0)
			puts(sha);
	}
	return rc;
}

int cmd_forge(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "data", required_argument, NULL, 'd' },
		{ "refspec", required_argument, NULL, 'r' },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "stall", required_argument, NULL, OPT_STALL },
		{ "lock-timeout", required_argument, NULL, OPT_LOCK_TIMEOUT },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct forge_fetch_opts fo = { 0 };
	const char *config_path = NULL, *data_dir = NULL, *url;
	const char **refspecs = NULL;
	size_t nrefspecs = 0;
	struct config *cfg = NULL;
	struct forge_mirror *m = NULL;
	const struct verb *verb = NULL;
	int c, rc, ret = EXIT_USAGE;

	optind = 1;
	refspecs = calloc((size_t)argc, sizeof(*refspecs));
	if (!refspecs)
		return EXIT_INFRA;
	while ((c = getopt_long(argc, argv, "c:d:r:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config_path = optarg;
			break;
		case 'd':
			data_dir = optarg;
			break;
		case 'r':
			refspecs[nrefspecs++] = optarg;
			break;
		case OPT_TIMEOUT:
			if (parse_seconds(&fo.timeout_ms, optarg, "--timeout"))
				goto cleanup;
			break;
		case OPT_STALL:
			if (parse_seconds(&fo.stall_ms, optarg, "--stall"))
				goto cleanup;
			break;
		case OPT_LOCK_TIMEOUT:
			if (parse_seconds(&fo.lock_timeout_ms, optarg, "--lock-timeout"))
				goto cleanup;
			break;
		case 'h':
			fputs(usage, stdout);
			ret = 0;
			goto cleanup;
		default:
			fputs(usage, stderr);
			goto cleanup;
		}
	}
	if (optind + 2 <= argc)
		for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
			if (strcmp(argv[optind], verbs[i].name) == 0)
				verb = &verbs[i];
	if (!verb || argc - optind - 2 != verb->args) {
		fputs(usage, stderr);
		goto cleanup;
	}
	url = argv[optind + 1];

	if (config_path || !data_dir) {
		rc = cmd_load_config(&cfg, config_path, "rig forge");
		if (rc)
			goto cleanup;
		if (!data_dir)
			data_dir = cfg->data_dir;
		/* A configured forge may be named instead of its URL. */
		for (size_t i = 0; i < cfg->forges.n; i++) {
			const struct forge *f = &cfg->forges.v[i];

			if (strcmp(url, f->name) == 0 || strcmp(url, f->url) == 0) {
				url = f->url;
				fo.refspecs = f->refspecs.v;
				fo.refspecs_n = f->refspecs.n;
			}
		}
	}
	if (nrefspecs) {
		fo.refspecs = refspecs;
		fo.refspecs_n = nrefspecs;
	}

	rc = forge_mirror_open(&m, data_dir, url);
	if (rc == 0)
		rc = run_verb(verb->name, m, argv + optind + 2, &fo);
	ret = rc ? exit_for(rc) : 0;

cleanup:
	forge_mirror_free(m);
	config_free(cfg);
	free(refspecs);
	return ret;
}
