#!/usr/bin/python3
"""A minimal tray host for the desktop end-to-end tests.

Owns org.kde.StatusNotifierWatcher on the session bus, so the app's tray item
registers with it, as it would with a desktop's tray. Then answers one JSON command
per line on stdin, one JSON answer per line on stdout:

  {"op": "items"}                       -> ["<bus name><object path>", ...]
  {"op": "props", "item": I}            -> {"Title": ..., "IconName": ..., ...}
  {"op": "layout", "item": I}           -> the menu: {"id", "label", "enabled", "type", "toggled", "children"}
  {"op": "click", "item": I, "id": N}   -> true, after com.canonical.dbusmenu.Event(N, "clicked")
  {"op": "icon", "item": I}             -> the shown icon's file and the digest of its pixels
  {"op": "digest", "path": P}           -> the digest of a PNG file's pixels (to name the icon)

Needs python3-dbus and python3-gi (Debian).
"""

import hashlib
import json
import struct
import sys
import threading
import zlib

import dbus
import dbus.mainloop.glib
import dbus.service
from gi.repository import GLib

WATCHER = "org.kde.StatusNotifierWatcher"
ITEM = "org.kde.StatusNotifierItem"
MENU = "com.canonical.dbusmenu"


class Watcher(dbus.service.Object):
    def __init__(self, bus):
        self.items = []
        name = dbus.service.BusName(WATCHER, bus, do_not_queue=True)
        super().__init__(name, "/StatusNotifierWatcher")

    @dbus.service.method(WATCHER, in_signature="s", sender_keyword="sender")
    def RegisterStatusNotifierItem(self, service, sender=None):
        # Either an object path (ayatana) or a bus name.
        item = sender + service if service.startswith("/") else service + "/StatusNotifierItem"
        if item not in self.items:
            self.items.append(item)
        self.StatusNotifierItemRegistered(item)

    @dbus.service.method(WATCHER, in_signature="s")
    def RegisterStatusNotifierHost(self, service):
        pass

    @dbus.service.signal(WATCHER, signature="s")
    def StatusNotifierItemRegistered(self, item):
        pass

    @dbus.service.method(dbus.PROPERTIES_IFACE, in_signature="ss", out_signature="v")
    def Get(self, interface, prop):
        return self.GetAll(interface)[prop]

    @dbus.service.method(dbus.PROPERTIES_IFACE, in_signature="s", out_signature="a{sv}")
    def GetAll(self, interface):
        return {
            "RegisteredStatusNotifierItems": dbus.Array(self.items, signature="s"),
            "IsStatusNotifierHostRegistered": True,
            "ProtocolVersion": dbus.Int32(0),
        }


def split(item):
    slash = item.index("/")
    return item[:slash], item[slash:]


def plain(value):
    """D-Bus values as JSON-able Python values."""
    if isinstance(value, (dbus.String, dbus.ObjectPath)):
        return str(value)
    if isinstance(value, dbus.Boolean):
        return bool(value)
    if isinstance(value, (dbus.Int32, dbus.UInt32, dbus.Int64, dbus.UInt64, dbus.Int16, dbus.UInt16, dbus.Byte)):
        return int(value)
    if isinstance(value, (dbus.Array, list, tuple, dbus.Struct)):
        return [plain(v) for v in value]
    if isinstance(value, dbus.Dictionary):
        return {str(k): plain(v) for k, v in value.items()}
    return value


def props(bus, item):
    name, path = split(item)
    obj = bus.get_object(name, path)
    values = obj.GetAll(ITEM, dbus_interface=dbus.PROPERTIES_IFACE)
    return {str(k): plain(v) for k, v in values.items() if k != "IconPixmap"}


def menu_of(bus, item):
    name, _ = split(item)
    menu_path = props(bus, item)["Menu"]
    return bus.get_object(name, menu_path)


def node(raw):
    ident, properties, children = raw
    properties = {str(k): plain(v) for k, v in properties.items()}
    return {
        "id": int(ident),
        "label": properties.get("label", "").replace("_", ""),
        "enabled": properties.get("enabled", True),
        "type": properties.get("type", "standard"),
        # A check box: 1 checked, 0 not, -1 neither (DBusMenu's toggle-state).
        "toggled": properties.get("toggle-state", -1),
        "children": [node(c) for c in children],
    }


def layout(bus, item):
    menu = menu_of(bus, item)
    _revision, root = menu.GetLayout(0, -1, dbus.Array([], signature="s"), dbus_interface=MENU)
    return node(root)


def click(bus, item, ident):
    menu = menu_of(bus, item)
    menu.Event(dbus.Int32(ident), "clicked", dbus.String("", variant_level=1), dbus.UInt32(0), dbus_interface=MENU)
    return True


def digest(path):
    """SHA-1 of the RGBA pixels of an 8-bit RGBA PNG: equal for the same picture however
    it was compressed (the tray re-encodes the app's icon into its own file)."""
    data = open(path, "rb").read()
    pos, width, height, idat = 8, 0, 0, b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            assert (depth, colour) == (8, 6), "8-bit RGBA only"
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride, previous, rows = width * 4, bytearray(width * 4), []
    for r in range(height):
        kind, line = raw[r * (stride + 1)], bytearray(raw[r * (stride + 1) + 1 : (r + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - 4] if i >= 4 else 0
            b = previous[i]
            c = previous[i - 4] if i >= 4 else 0
            if kind == 1:
                line[i] = (line[i] + a) & 255
            elif kind == 2:
                line[i] = (line[i] + b) & 255
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        previous = line
    return hashlib.sha1(struct.pack(">II", width, height) + b"".join(rows)).hexdigest()


def icon(bus, item):
    p = props(bus, item)
    name = p["IconName"]
    path = name if name.startswith("/") else f"{p.get('IconThemePath', '')}/{name}.png"
    return {"path": path, "digest": digest(path)}


def serve(bus):
    for line in sys.stdin:
        try:
            request = json.loads(line)
            op = request["op"]
            if op == "items":
                answer = watcher.items
            elif op == "props":
                answer = props(bus, request["item"])
            elif op == "layout":
                answer = layout(bus, request["item"])
            elif op == "click":
                answer = click(bus, request["item"], request["id"])
            elif op == "icon":
                answer = icon(bus, request["item"])
            elif op == "digest":
                answer = digest(request["path"])
            else:
                raise ValueError(f"unknown op {op}")
            print(json.dumps({"ok": answer}), flush=True)
        except Exception as error:  # noqa: BLE001 - every failure goes back to the test
            print(json.dumps({"error": f"{type(error).__name__}: {error}"}), flush=True)
    GLib.idle_add(loop.quit)


if __name__ == "__main__":
    dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
    session = dbus.SessionBus()
    watcher = Watcher(session)
    loop = GLib.MainLoop()
    # Calls to the app are made from the reader thread on a private connection, so the
    # main loop keeps serving the watcher meanwhile.
    client = dbus.SessionBus(private=True, mainloop=None)
    threading.Thread(target=serve, args=(client,), daemon=True).start()
    print(json.dumps({"ready": session.get_unique_name()}), flush=True)
    loop.run()
