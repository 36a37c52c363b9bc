"""RFC 7591 registration and RFC 7592 management endpoints: parse, call one service, render."""

from __future__ import annotations

from http import HTTPStatus

from rest_framework.request import Request
from rest_framework.response import Response

from registration import initial_token, ratelimit, services
from registration.api.base import DCRView, bearer_token
from registration.api.limits import management_failure_limits, registration_limits
from registration.api.responses import client_information
from registration.errors import InvalidToken, TooManyRequests


class ClientRegistrationView(DCRView):
    """POST {ws}/oauth2/register (RFC 7591 §3.1)."""

    operation = "register"

    def post(self, request: Request) -> Response:
        info = self.request_info(request)
        ratelimit.hit(registration_limits(self.workspace, self.dcr_settings, info))
        initial_access_token = None
        if self.dcr_settings.protect_by_access_token:
            # Checked before the body is read: an anonymous caller learns nothing about it.
            initial_access_token = initial_token.authenticate(
                workspace=self.workspace, authorization=request.META.get("HTTP_AUTHORIZATION", "")
            )
        submission = self.submission(request)
        issued = services.client_register(
            workspace=self.workspace,
            raw_metadata=submission.metadata,
            software_statement=submission.software_statement,
            initial_access_token=initial_access_token,
            info=self.request_info(request, submission),
        )
        return Response(client_information(request, issued), status=HTTPStatus.CREATED)


class ClientConfigurationView(DCRView):
    """GET, HEAD, PUT, DELETE {ws}/oauth2/register/{client_id} (RFC 7592 §2).

    RFC 7592 §5: failed registration-access-token attempts are rate limited per source (an IPv6
    /64 is one). The token is checked first and only failures are counted, so a request with a
    valid token is never refused because of other callers' failures (behind a NAT or a shared
    egress anyone could otherwise lock every owner out). A source over the limit gets 429 instead
    of 401 for its failures; with 256-bit tokens the limit slows probing, it is not what makes
    guessing hopeless.
    """

    def initial(self, request: Request, *args: object, **kwargs: object) -> None:
        self.operation = {"GET": "read", "HEAD": "read", "PUT": "update", "DELETE": "delete"}.get(
            request.method or "", ""
        )
        super().initial(request, *args, **kwargs)

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, InvalidToken):
            try:
                ratelimit.hit(
                    management_failure_limits(self.workspace, self.request_info(self.request))
                )
            except TooManyRequests as refused:
                exc = refused
        return super().handle_exception(exc)

    def head(self, request: Request, client_id: str) -> Response:
        """RFC 9110 §9.3.2: GET's status and headers without the body. The token is checked but
        never rotated or consumed (a rotated token would be lost in the empty body), nothing is
        written."""
        services.client_check_token(
            workspace=self.workspace,
            client_id=client_id,
            token=bearer_token(request, realm=self.workspace.label),
        )
        return Response(status=HTTPStatus.OK, content_type="application/json")

    def get(self, request: Request, client_id: str) -> Response:
        issued = services.client_read(
            workspace=self.workspace,
            client_id=client_id,
            token=bearer_token(request, realm=self.workspace.label),
            info=self.request_info(request),
        )
        return Response(client_information(request, issued))

    def put(self, request: Request, client_id: str) -> Response:
        token = bearer_token(request, realm=self.workspace.label)
        # RFC 7592 §2: an unauthenticated caller learns nothing about the body's validity.
        checked = services.client_check_token(
            workspace=self.workspace, client_id=client_id, token=token
        )
        submission = self.submission(request)
        issued = services.client_update(
            workspace=self.workspace,
            client_id=client_id,
            token=token,
            raw_metadata=submission.metadata,
            software_statement=submission.software_statement,
            info=self.request_info(request, submission),
            checked=checked,
        )
        return Response(client_information(request, issued))

    def delete(self, request: Request, client_id: str) -> Response:
        services.client_delete(
            workspace=self.workspace,
            client_id=client_id,
            token=bearer_token(request, realm=self.workspace.label),
            info=self.request_info(request),
        )
        return Response(status=HTTPStatus.NO_CONTENT)
