"""The SDK's request handler, refusing up front what an axo run cannot take (a message with
parts other than text: ContentTypeNotSupportedError, before any task exists), and giving a
follow-up that names only its task the task's context."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from a2a.server.context import ServerCallContext
from a2a.server.request_handlers.default_request_handler_v2 import DefaultRequestHandlerV2
from a2a.types import a2a_pb2 as pb
from a2a.utils.errors import ContentTypeNotSupportedError, InvalidParamsError


def check_parts(message: pb.Message) -> None:
    kinds = [part.WhichOneof("content") for part in message.parts]
    if not kinds:
        raise InvalidParamsError(message="the message has no parts; send a text part")
    other = sorted({kind or "empty" for kind in kinds if kind != "text"})
    if other:
        raise ContentTypeNotSupportedError(
            message=f"axo agents take text parts only; this message has {', '.join(other)} parts"
        )


class TextOnlyRequestHandler(DefaultRequestHandlerV2):
    async def _prepare(self, params: pb.SendMessageRequest, context: ServerCallContext) -> None:
        check_parts(params.message)
        message = params.message
        if message.task_id and not message.context_id:
            # The spec lets a follow-up name its task alone; the SDK would otherwise give it
            # a fresh context and refuse it as a mismatch.
            stored = await self.task_store.get(message.task_id, context)
            if isinstance(stored, pb.Task):
                message.context_id = stored.context_id

    async def on_message_send(
        self, params: pb.SendMessageRequest, context: ServerCallContext
    ) -> Any:
        await self._prepare(params, context)
        return await super().on_message_send(params, context)

    async def on_message_send_stream(
        self, params: pb.SendMessageRequest, context: ServerCallContext
    ) -> AsyncGenerator[Any, None]:
        await self._prepare(params, context)
        async for event in super().on_message_send_stream(params, context):
            yield event
