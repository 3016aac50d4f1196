"""The OpenAPI schema's generator: drf-spectacular's, plus the errors each operation can answer.

DRF views declare their success bodies (extend_schema); the errors follow from what a view is,
so they are added here for every operation instead of by hand on each:
    400  a body, a query parameter or a POST (a rule of the whole request, "nothing to publish")
    401  without credentials (token authentication first: `WWW-Authenticate: Token`)
    403  a role that may not use it
    404  an object named by id: in the path, or a required integer of the query (the linkage's
         surveys); another organisation's object is a 404 too
    413  a body over DATA_UPLOAD_MAX_MEMORY_SIZE (config.api.exception_handler)
    429  a throttled view, with Retry-After
An operation that declares one of these codes itself keeps its own.

`nullable_refs` (a postprocessing hook) writes a nullable nested object so that null is allowed
under OpenAPI 3.0.3's rules.
"""

from __future__ import annotations

from drf_spectacular import openapi
from drf_spectacular.plumbing import ResolvedComponent

ERROR = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
# {"field": ["message", ...]} (a list of objects' errors as a list parallel to it), or
# {"detail": "message"} for a rule about the whole request.
VALIDATION_ERROR = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "additionalProperties": {},
    "description": "Field-level messages ({field: [message, ...]}), or detail for the request.",
}
ERRORS = {
    "400": ("ValidationError", VALIDATION_ERROR, "Invalid input; nothing was changed."),
    "401": ("Error", ERROR, "No valid credentials (WWW-Authenticate: Token)."),
    "403": ("Error", ERROR, "Your role does not allow this."),
    "404": ("Error", ERROR, "Not found (or in another organisation)."),
    "413": ("Error", ERROR, "The request body is too large."),
    "429": ("Error", ERROR, "Too many calls; Retry-After says how many seconds to wait."),
}
RETRY_AFTER = {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}}


class AutoSchema(openapi.AutoSchema):
    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        responses = operation["responses"]
        for code in self._error_codes(operation):
            if code not in responses:
                responses[code] = self._error_response(code)
        return operation

    def _error_codes(self, operation: dict) -> list[str]:
        parameters = operation.get("parameters", [])
        where = {parameter["in"] for parameter in parameters}
        has_body = "requestBody" in operation
        codes = {
            "400": has_body or "query" in where or self.method == "POST",
            "401": bool(self.view.get_permissions()),
            "403": bool(self.view.get_permissions()),
            "404": any(map(_names_an_object, parameters)),
            "413": has_body,
            "429": bool(self.view.get_throttles()),
        }
        return [code for code, applies in codes.items() if applies]

    def _error_response(self, code: str) -> dict:
        name, schema, description = ERRORS[code]
        component = ResolvedComponent(
            name=name, type=ResolvedComponent.SCHEMA, schema=schema, object=name
        )
        self.registry.register_on_missing(component)
        response = {
            "content": {"application/json": {"schema": component.ref}},
            "description": description,
        }
        if code == "429":
            response["headers"] = RETRY_AFTER
        return response


def _names_an_object(parameter: dict) -> bool:
    if parameter["in"] == "path":
        return True
    required_id = parameter.get("required") and parameter["schema"].get("type") == "integer"
    return parameter["in"] == "query" and required_id


# Only null: OpenAPI 3.0.3's nullable adds null to the type of its own schema object, and enum
# then leaves nothing else.
NULL_ONLY = {"type": "object", "nullable": True, "enum": [None]}


def nullable_refs(result, generator, request, public):
    """drf-spectacular writes a nullable nested object (an alert's deleted rule, the scores'
    group for group_by=none) as {"allOf": [{"$ref": ...}], "nullable": true}; under OpenAPI
    3.0.3 nullable does not reach into allOf, so a strict validator refuses the null the API
    sends. It becomes {"oneOf": [{"$ref": ...}, NULL_ONLY]}."""

    def rewrite(node):
        if isinstance(node, list):
            return [rewrite(value) for value in node]
        if not isinstance(node, dict):
            return node
        node = {key: rewrite(value) for key, value in node.items()}
        if node.get("nullable") is True and len(node.get("allOf", ())) == 1:
            node.pop("nullable")
            node["oneOf"] = [node.pop("allOf")[0], NULL_ONLY]
        return node

    return rewrite(result)
