#!/usr/bin/python3
"""Closes the X window with the given name the way a window manager's close button
does: a WM_DELETE_WINDOW message (the app decides what closing means). Needs
python3-xlib. Exit status 1 when no such window exists."""

import sys

from Xlib import X, display, protocol


def find(window, name, d):
    try:
        if window.get_wm_name() == name and d.intern_atom("WM_DELETE_WINDOW") in (window.get_wm_protocols() or []):
            return window
    except Exception:  # noqa: BLE001 - windows come and go while we look
        return None
    for child in window.query_tree().children:
        found = find(child, name, d)
        if found:
            return found
    return None


d = display.Display()
target = find(d.screen().root, sys.argv[1], d)
if target is None:
    sys.exit(1)
message = protocol.event.ClientMessage(
    window=target,
    client_type=d.intern_atom("WM_PROTOCOLS"),
    data=(32, [d.intern_atom("WM_DELETE_WINDOW"), X.CurrentTime, 0, 0, 0]),
)
target.send_event(message, event_mask=X.NoEventMask)
d.flush()
