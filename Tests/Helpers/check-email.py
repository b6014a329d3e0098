#!/usr/bin/python3
"""Parses each .eml file with Python's email package (policy default) and prints one JSON object
per file: the defects found in the message and its headers (and its parts'), the decoded From and
To (display names and addresses), Subject, Message-ID, the text body (the text/plain part of a
multipart message), the HTML body if any, and its inline images (content id, type, base64 data).

    check-email.py FILE...
"""
import base64
import email
import email.policy
import json
import sys

for path in sys.argv[1:]:
    with open(path, "rb") as file:
        message = email.message_from_binary_file(file, policy=email.policy.default)
    defects = [type(defect).__name__ for defect in message.defects]
    for name, value in message.items():
        defects += ["%s: %s" % (name, type(defect).__name__) for defect in getattr(value, "defects", [])]
    for part in message.walk():
        if part is not message:
            defects += [type(defect).__name__ for defect in part.defects]
    sender, recipient = message["from"].addresses[0], message["to"].addresses[0]
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",)) if message.is_multipart() else None
    images = [
        {"content_id": str(part["content-id"]), "type": part.get_content_type(),
         "data": base64.b64encode(part.get_content()).decode()}
        for part in message.walk() if part.get_content_maintype() == "image"
    ]
    print(json.dumps({
        "defects": defects,
        "from_name": sender.display_name, "from": sender.addr_spec,
        "to_name": recipient.display_name, "to": recipient.addr_spec,
        "subject": str(message["subject"]), "message_id": str(message["message-id"]),
        "body": text.get_content() if text is not None else None,
        "html": html.get_content() if html is not None else None,
        "images": images,
    }))
