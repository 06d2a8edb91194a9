"""The `localIp` DingTalk asks for, read from the local interfaces.

The SDK's `get_host_ip` connects a UDP socket to 8.8.8.8 to learn it; here no packet, route
or DNS lookup is involved: the first IPv4 address of an interface that is up and not the
loopback, or "" (DingTalk accepts an empty localIp).
"""
from __future__ import annotations

import functools
import ipaddress
import socket


@functools.lru_cache(maxsize=1)
def local_ip() -> str:
    try:
        import psutil

        stats = psutil.net_if_stats()
        for name, addresses in sorted(psutil.net_if_addrs().items()):
            if name in stats and not stats[name].isup:
                continue
            for address in addresses:
                if address.family == socket.AF_INET and not ipaddress.ip_address(address.address).is_loopback:
                    return address.address
    except Exception:  # interfaces we cannot read: DingTalk accepts an empty localIp
        return ""
    return ""
