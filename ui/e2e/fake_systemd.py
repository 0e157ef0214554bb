#!/usr/bin/python3
"""A fake systemd manager for the dashboard's end-to-end tests.

Owns org.freedesktop.systemd1 on the bus at DBUS_STARTER_ADDRESS (a private bus the
test started) and answers ListUnitsFiltered(as) -> a(ssssssouso), systemd's own
signature, with the failed units named on the command line as NAME=DESCRIPTION.
Prints "ready" once it owns the name. Needs python3-dbus and python3-gi (Debian).
"""

import os
import sys

import dbus
import dbus.mainloop.glib
import dbus.service
from gi.repository import GLib

MANAGER = "org.freedesktop.systemd1.Manager"


class Manager(dbus.service.Object):
    def __init__(self, bus, failed):
        self.failed = failed
        name = dbus.service.BusName("org.freedesktop.systemd1", bus, do_not_queue=True)
        super().__init__(name, "/org/freedesktop/systemd1")

    @dbus.service.method(MANAGER, in_signature="as", out_signature="a(ssssssouso)")
    def ListUnitsFiltered(self, states):
        if "failed" not in states:
            return []
        return [
            (unit, description, "loaded", "failed", "failed", "", dbus.ObjectPath(f"/org/freedesktop/systemd1/unit/u{i}"), 0, "", dbus.ObjectPath("/"))
            for i, (unit, description) in enumerate(self.failed)
        ]


def main():
    dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
    bus = dbus.bus.BusConnection(os.environ["DBUS_STARTER_ADDRESS"])
    failed = [arg.split("=", 1) for arg in sys.argv[1:]]
    Manager(bus, failed)
    print("ready", flush=True)
    GLib.MainLoop().run()


if __name__ == "__main__":
    main()
