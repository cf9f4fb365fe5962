/* ingest_authz.h - who may submit what, when ingest speaks CURVE
 * (DESIGN.md "Security"): a reporter key reports for its own clusters and
 * sends no commands; an admin key sends commands and reports for any
 * cluster; service and subscriber keys submit nothing. Checked before
 * everything else, DUPLICATE included, so a key learns nothing about
 * clusters that are not its own. Codes in docs/errors.md. */
#ifndef JIJU_INGEST_AUTHZ_H
#define JIJU_INGEST_AUTHZ_H

#include "jiju/v1/submit.pb-c.h"
#include "keys.h"
#include "problem.h"

/* Add E_FORBIDDEN_CLUSTER (field report.cluster_id) or E_FORBIDDEN_COMMAND
 * (field command) to pl when key k may not submit req; k NULL is a key not
 * on the allow-list, and name is what it is called in messages. req has a
 * body (ingest_decode succeeded). Returns the number of problems added. */
int ingest_authorize(const key_entry *k, const char *name, const Jiju__V1__SubmitRequest *req,
                     problem_list *pl);

#endif
