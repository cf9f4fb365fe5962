/* ingest_authz.c - roles of submitting keys (see ingest_authz.h). */
#include "ingest_authz.h"

#include <string.h>

/* "close_period" for a command whose kind is close_period. */
static const char *command_name(const Jiju__V1__Command *c)
{
    const ProtobufCFieldDescriptor *fd =
        protobuf_c_message_descriptor_get_field(&jiju__v1__command__descriptor, c->kind_case);

    return fd ? fd->name : "unknown";
}

int ingest_authorize(const key_entry *k, const char *name, const Jiju__V1__SubmitRequest *req,
                     problem_list *pl)
{
    const char *who = k ? k->name : name && *name ? name : "-";
    const char *role = k ? key_role_name(k->role) : "none";

    if (req->body_case == JIJU__V1__SUBMIT_REQUEST__BODY_REPORT) {
        const char *cluster = req->report->cluster_id ? req->report->cluster_id : "";

        if (key_allows_cluster(k, cluster))
            return 0;
        problem_add(pl, JIJU__V1__SEVERITY__ERROR, "E_FORBIDDEN_CLUSTER", "report.cluster_id",
                    cluster, "密钥 %s (角色 %s) 无权报送集聚区 %s 的数据",
                    "key %s (role %s) may not submit reports for cluster %s", who, role, cluster);
        return 1;
    }
    if (k && k->role == KEY_ROLE_ADMIN)
        return 0;
    problem_add(pl, JIJU__V1__SEVERITY__ERROR, "E_FORBIDDEN_COMMAND", "command",
                command_name(req->command), "密钥 %s (角色 %s) 无权提交命令 %s, 需要管理员密钥",
                "key %s (role %s) may not submit command %s: an admin key is needed", who, role,
                command_name(req->command));
    return 1;
}
