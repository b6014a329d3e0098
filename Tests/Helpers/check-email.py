#!/usr/bin/python3
"""Parses each .eml file with Python's email package (policy default) and prints one JSON object
per file: the defects found in the message and its headers, the decoded From and To (display
names and addresses), Subject, Message-ID and the text body.

    check-email.py FILE...
"""
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
    sender, recipient = message["from"].addresses[0], message["to"].addresses[0]
    print(json.dumps({
        "defects": defects,
        "from_name": sender.display_name, "from": sender.addr_spec,
        "to_name": recipient.display_name, "to": recipient.addr_spec,
        "subject": str(message["subject"]), "message_id": str(message["message-id"]),
        "body": message.get_content(),
    }))
