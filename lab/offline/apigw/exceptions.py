"""The errors API Gateway's control plane answers, in its words (moto's `exceptions.py`
style: one class per error)."""

from __future__ import annotations

from lab.offline.errors import LabAwsError


class BadRequest(LabAwsError):
    def __init__(self, message: str):
        super().__init__("BadRequestException", message, 400)


class NotFound(LabAwsError):
    def __init__(self, message: str):
        super().__init__("NotFoundException", message, 404)


class RouteKeyConflict(LabAwsError):
    """CreateRoute/UpdateRoute with a route key the API already has."""

    def __init__(self, route_key: str):
        super().__init__("ConflictException",
                         "Unable to complete operation due to concurrent modification. "
                         f"Route key {route_key} already exists.", 409)
