"""The unmodified `lark_oapi.ws.Client`, as a Feishu developer starts it (run in its own process:
the SDK binds a module-level event loop at import and `start()` never returns).

    python sdk_client.py DOMAIN APP_ID APP_SECRET OUT_FILE

Every received message is appended to OUT_FILE as one JSON line.
"""
import json
import sys

import lark_oapi as lark


def main() -> None:
    domain, app_id, secret, out = sys.argv[1:5]

    def on_message(data: lark.im.v1.P2ImMessageReceiveV1) -> None:
        with open(out, "a", encoding="utf-8") as file:
            file.write(json.dumps({"event_id": data.header.event_id, "message_id": data.event.message.message_id,
                                   "content": json.loads(data.event.message.content)}) + "\n")

    handler = lark.EventDispatcherHandler.builder("", "").register_p2_im_message_receive_v1(on_message).build()
    lark.ws.Client(app_id, secret, event_handler=handler, domain=domain, log_level=lark.LogLevel.WARNING).start()


if __name__ == "__main__":
    main()
