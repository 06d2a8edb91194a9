"""A stock dingtalk-stream robot, run as a subprocess by test_sim_sdk.py.

It uses the SDK exactly as its README does (DingTalkStreamClient + ChatbotHandler,
reply_card/update_card, a CallbackHandler for card buttons) and prints one JSON line per
thing it saw, so the test can compare the SDK's view with the simulator's records.
DINGTALK_OPENAPI_ENDPOINT must be set by the parent: the SDK reads it at import.
"""

import json
import os

import dingtalk_stream
from dingtalk_stream import AckMessage


def say(**event):
    """One JSON line on stdout for the parent test."""
    print(json.dumps(event), flush=True)


def card(text, buttons=()):
    """A StandardCard with a markdown block and request buttons (id, label, value)."""
    contents = [{"type": "markdown", "text": text, "id": "answer"}]
    if buttons:
        contents.append({"type": "action", "id": "action", "actions": [
            {"type": "button", "id": bid, "label": {"type": "text", "text": label},
             "actionType": "request", "value": json.dumps(value)}
            for bid, label, value in buttons]})
    return {"config": {"autoLayout": True}, "header": {"title": {"type": "text", "text": "Q"}},
            "contents": contents}


class EchoHandler(dingtalk_stream.ChatbotHandler):
    async def process(self, callback):
        incoming = dingtalk_stream.ChatbotMessage.from_dict(callback.data)
        text = incoming.text.content.strip()
        biz = self.reply_card(card("Thinking..."), incoming)
        updated = self.update_card(biz, card(f"echo: {text}", [
            ("btn_up", "Helpful", {"type": "helpful", "message_id": incoming.message_id})]))
        say(event="message", msgId=incoming.message_id, text=text, cardBizId=biz,
            updated=updated)
        return AckMessage.STATUS_OK, "OK"


class ButtonHandler(dingtalk_stream.CallbackHandler):
    async def process(self, callback):
        pressed = dingtalk_stream.CardCallbackMessage.from_dict(callback.data)
        say(event="press", outTrackId=pressed.card_instance_id, userId=pressed.user_id,
            content=pressed.content)
        return AckMessage.STATUS_OK, "OK"


def main():
    credential = dingtalk_stream.Credential(os.environ["SIM_CLIENT_ID"],
                                            os.environ["SIM_CLIENT_SECRET"])
    client = dingtalk_stream.DingTalkStreamClient(credential)
    client.register_callback_handler(dingtalk_stream.ChatbotMessage.TOPIC, EchoHandler())
    client.register_callback_handler(dingtalk_stream.Card_Callback_Router_Topic, ButtonHandler())
    say(event="start", endpoint=dingtalk_stream.DingTalkStreamClient.OPEN_CONNECTION_API)
    client.start_forever()


if __name__ == "__main__":
    main()
