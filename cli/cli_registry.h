/* cli_registry.h - a form's 集聚区名称 and 县区 checked against the registry.
 *
 * A clerk who copies the wrong row of codes (JL-SW-001 with 河南街's name)
 * must hear of it: when the form has those columns, `jiju import` asks
 * assessment's query endpoint for the registered clusters (ListClusters)
 * and refuses each row whose name or county is not the registered one,
 * naming both values. A cluster the registry does not know is left for
 * ingest to refuse (E_UNKNOWN_CLUSTER). */
#ifndef JIJU_CLI_REGISTRY_H
#define JIJU_CLI_REGISTRY_H

#include "cli.h"
#include "cli_form.h"

/* Check res against the clusters of reply (a ListClusters answer). Rows
 * that disagree are refused (cli_form_result_refuse). JIJU_OK or
 * JIJU_ERR_NOMEM. */
int cli_registry_check_reply(cli_form_result *res, const Jiju__V1__QueryReply *reply);

/* Ask the query endpoints and check; nothing is asked when the form has
 * neither column. JIJU_OK, JIJU_ERR_TIMEOUT (said on stderr: the check was
 * wanted and could not be made), JIJU_ERR_NOMEM. */
int cli_registry_check(cli_form_result *res, const cli_endpoints *query, int timeout_ms);

#endif
