#include <stdio.h>

#include "cmd.h"
#include "config.h"
#include "diag.h"
#include "err.h"

int cmd_load_config(struct config **out, const char *path, const char *who)
{
	struct diags diags;
	int rc;

	diags_init(&diags);
	rc = config_load(out, path, &diags);
	if (rc) {
		diags_print(&diags, stderr);
		fprintf(stderr, "%s: %s\n", who, err_msg());
	}
	diags_release(&diags);
	return rc;
}
