"""The layer's runtime loop: the managed runtime's own (awslambdaric's), with a client that can also stream.

awslambdaric buffers every result, so a streamed answer would wait for its end. Its loop takes the Runtime API client
as an argument, though, so everything else it gives a function stays as it is (init errors, the context object, the
X-Ray trace id, Lambda's log formats and levels, SnapStart's hooks): only a `StreamedResponse` takes another way, a
chunked `POST .../response` in Lambda's streaming mode, with the error trailers should the app fail midway.
`AWS_LAMBDA_EXEC_WRAPPER=/opt/flask-lambda-runtime` starts it (docs/streaming.md).
"""

from __future__ import annotations

import base64
import http.client
import json
import logging
import os
import sys
import traceback
from typing import Any

from . import streaming
from .streaming import CONTENT_TYPE, StreamedResponse

logger = logging.getLogger("lambda_wsgi")
_RESPONSE = "/2018-06-01/runtime/invocation/{}/response"
_ERROR_TRAILERS = ("Lambda-Runtime-Function-Error-Type", "Lambda-Runtime-Function-Error-Body")


def stream_to_runtime(address: str, request_id: str, response: StreamedResponse) -> None:
    """Send a streamed answer as it is made; an error midway ends it with Lambda's error trailers and one log line."""
    connection = http.client.HTTPConnection(address)
    try:
        connection.putrequest("POST", _RESPONSE.format(request_id))
        connection.putheader("Lambda-Runtime-Function-Response-Mode", "streaming")
        connection.putheader("Transfer-Encoding", "chunked")
        connection.putheader("Content-Type", CONTENT_TYPE)
        connection.putheader("Trailer", ", ".join(_ERROR_TRAILERS))
        connection.endheaders()
        trailers = b""
        chunks = iter(response)
        try:
            while True:
                try:
                    chunk = next(chunks)
                except StopIteration:
                    break
                except BaseException as error:  # SystemExit too: raised by the app, it is its failure, as when buffered
                    logger.exception("the streamed response (request id %s) ended early: the app raised", request_id)
                    trailers = _error_trailers(error)
                    break
                if chunk:  # an empty chunk would end the chunked body
                    connection.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        except OSError:  # the caller went away: the app's iteration stops, and close() runs
            logger.info("the client of request id %s went away before the end of the streamed response", request_id)
            return
        finally:
            response.close()
        connection.send(b"0\r\n" + trailers + b"\r\n")
        answer = connection.getresponse()
        answer.read()
        if answer.status != 202:
            logger.error("the Runtime API refused the streamed response (request id %s): %s", request_id, answer.status)
    finally:
        connection.close()


def _error_trailers(error: BaseException) -> bytes:
    document = {
        "errorMessage": str(error),
        "errorType": type(error).__name__,
        "stackTrace": traceback.format_tb(error.__traceback__),
    }
    body = base64.b64encode(json.dumps(document).encode())
    return b"%s: %s\r\n%s: %s\r\n" % (
        _ERROR_TRAILERS[0].encode(),
        type(error).__name__.encode(),
        _ERROR_TRAILERS[1].encode(),
        body,
    )


def runtime_client(address: str, use_thread: bool) -> Any:
    """awslambdaric's client, but a `StreamedResponse` result is streamed instead of marshalled as JSON."""
    from awslambdaric.lambda_runtime_client import LambdaRuntimeClient
    from awslambdaric.lambda_runtime_marshaller import LambdaMarshaller

    class Marshaller(LambdaMarshaller):  # type: ignore[misc]
        def marshal_response(self, response: Any) -> Any:
            if isinstance(response, StreamedResponse):
                return response, CONTENT_TYPE
            return super().marshal_response(response)

    class StreamingClient(LambdaRuntimeClient):  # type: ignore[misc]
        marshaller = Marshaller()

        def post_invocation_result(
            self, invoke_id: str, result_data: Any, content_type: str = "application/json", invocation_id: Any = None
        ) -> None:
            if isinstance(result_data, StreamedResponse):
                stream_to_runtime(self.lambda_runtime_address, invoke_id, result_data)
            else:
                super().post_invocation_result(invoke_id, result_data, content_type, invocation_id)

    return StreamingClient(address, use_thread)


def main(argv: list[str]) -> None:
    """Run the function's handler (`_HANDLER`, or the first argument) under awslambdaric's loop, streaming allowed."""
    from awslambdaric import bootstrap
    from awslambdaric.lambda_config import LambdaConfigProvider

    handler = argv[1] if len(argv) > 1 else os.environ["_HANDLER"]
    config = LambdaConfigProvider([argv[0], handler])
    streaming.runtime_streams = True  # before the handler's module is imported: its adapter reads it
    bootstrap.run(handler, runtime_client(config.api_address, config.use_thread_polling))


if __name__ == "__main__":
    main(sys.argv)
