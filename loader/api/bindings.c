// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Bindings in the API: PUT and DELETE /v1/service-ports/NAME/bind/SERVICE,
 * one service of a service port's "bind" (objects.c does the rest).
 */
#include <stdbool.h>
#include <json-c/json.h>
#include "internal.h"
#include "services.h"

/* The change to obj, the service port's copy; -1 when answered (refused). */
int bind_change(struct call *c, json_object *body, json_object *obj, const char *service,
		bool del)
{
	json_object *bind;

	if (pp_service_find(service) < 0) {
		reply_err(c, 422, "invalid", "bind",
			  "unknown service \"%s\" (known: " PP_SERVICE_NAMES_LIST ")", service);
		return -1;
	}
	if (!json_object_object_get_ex(obj, "bind", &bind) ||
	    !json_object_is_type(bind, json_type_object)) {
		bind = json_object_new_object();
		json_object_object_add(obj, "bind", bind);
	}
	if (del) {
		json_object_object_del(bind, service);
	} else {
		json_object *v;

		if (!json_object_object_get_ex(body, service, &v)) {
			reply_err(c, 422, "invalid", service, "the body must be {\"%s\": ...}",
				  service);
			return -1;
		}
		json_object_object_add(bind, service, json_object_get(v));
	}
	return 0;
}
