"""Where the load test's sessions come from: public addresses that the stack's offline
database (libloc, Debian's libloc-database) places in many countries, weighted roughly like
the world's internet users, about a third of them IPv6 as in the original generator.

The local nginx trusts X-Forwarded-For from loopback (nginx/stack.conf.template), so each
session's address is what the workers locate. Each address was looked up in
/var/lib/location/database.db (data 2022-10-29); "EU" is one of the database's codes that
is not a country, which real traffic has too. These addresses are only ever sent in a
header: they are never written to a file or printed.
"""

import random

# (country code the database gives, weight, IPv4 address, IPv6 address or None)
PLACES = (
    ("US", 14, "3.5.10.1", "2600:0::1"),
    ("IN", 10, "1.10.10.1", "2401:4800::1"),
    ("CN", 8, "1.0.10.1", "2400:5400::1"),
    ("BR", 5, "18.230.10.1", "2804:0::1"),
    ("DE", 4, "2.160.10.1", "2a00:0::1"),
    ("GB", 4, "2.25.10.1", "2a00:8000::1"),
    ("JP", 4, "1.5.10.1", "2400:1000::1"),
    ("ID", 4, "36.65.10.1", "2400:1400::1"),
    ("RU", 3, "2.60.10.1", "2a00:4c00::1"),
    ("FR", 3, "2.0.10.1", "2a00:6000::1"),
    ("MX", 3, "45.180.10.1", "2806:0::1"),
    ("NG", 2, "41.190.10.1", "2c0f:2000::1"),
    ("KR", 2, "1.100.10.1", "2400:0::1"),
    ("IT", 2, "2.35.10.1", "2a00:d400::1"),
    ("ES", 2, "2.140.10.1", "2a00:5c00::1"),
    ("CA", 2, "15.235.10.1", "2600:ac00::1"),
    ("TR", 2, "5.25.10.1", "2a00:dc00::1"),
    ("PH", 2, "49.145.10.1", "2400:b000::1"),
    ("VN", 2, "1.55.10.1", "2401:b800::1"),
    ("EG", 2, "41.35.10.1", None),
    ("PK", 2, "27.255.10.1", "2400:fc00::1"),
    ("BD", 2, "103.145.10.1", "2400:5800::1"),
    ("AU", 1, "1.40.10.1", "2400:5000::1"),
    ("NL", 1, "5.200.10.1", "2a00:a000::1"),
    ("PL", 1, "5.60.10.1", "2a00:1c00::1"),
    ("SE", 1, "2.65.10.1", "2a00:7800::1"),
    ("AR", 1, "45.70.10.1", "2800:c00::1"),
    ("CO", 1, "152.200.10.1", "2800:800::1"),
    ("ZA", 1, "13.245.10.1", "2c0f:0::1"),
    ("TH", 1, "1.20.10.1", "2401:e000::1"),
    ("UA", 1, "37.55.10.1", "2a00:bc00::1"),
    ("IR", 1, "2.145.10.1", "2a00:4000::1"),
    ("SA", 1, "2.90.10.1", "2a00:5400::1"),
    ("KE", 1, "41.80.10.1", "2c0f:1800::1"),
    ("CH", 1, "5.145.10.1", "2a00:c800::1"),
    ("AT", 1, "46.75.10.1", "2a00:4400::1"),
    ("BE", 1, "37.185.10.1", "2a00:7000::1"),
    ("NO", 1, "2.150.10.1", "2a00:1400::1"),
    ("DK", 1, "2.105.10.1", "2a02:7c00::1"),
    ("FI", 1, "80.220.10.1", "2a00:ac00::1"),
    ("IE", 1, "3.250.10.1", "2a00:7400::1"),
    ("NZ", 1, "5.105.10.1", "2400:4800::1"),
    ("SG", 1, "3.0.10.1", "2400:1c00::1"),
    ("MY", 1, "42.155.10.1", "2400:4400::1"),
    ("CL", 1, "146.155.10.1", "2803:2800::1"),
    ("PE", 1, "181.65.10.1", "2803:4800::1"),
    ("PT", 1, "2.80.10.1", "2a03:0::1"),
    ("GR", 1, "2.85.10.1", "2a03:f000::1"),
    ("CZ", 1, "31.15.10.1", "2a00:1800::1"),
    ("RO", 1, "5.15.10.1", "2a02:4800::1"),
    ("HU", 1, "84.0.10.1", "2a02:c000::1"),
    ("IL", 1, "2.55.10.1", "2a06:7800::1"),
    ("MA", 1, "41.140.10.1", "2c0f:5400::1"),
    ("EU", 1, "2.20.10.1", "2a00:400::1"),
)


def spread(count, seed):
    """`count` client addresses, one per session, drawn by weight; a third IPv6 where the
    place has one. The same seed gives the same addresses."""
    rng = random.Random(seed)
    weights = [place[1] for place in PLACES]
    addresses = []
    for _code, _weight, v4, v6 in rng.choices(PLACES, weights=weights, k=count):
        addresses.append(v6 if v6 and rng.random() < 1 / 3 else v4)
    return addresses
