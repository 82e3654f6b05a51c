"""Demo meters and readings: a meter at every connection and a year of believable readings.

`seed_meters` runs after the customer registry. Every reading is decided by the real rules
(`meters.rules.evaluate_reading`) from facts kept in memory as the months go by, the same facts
`meters.selectors.reading_facts_for` would find, and written in bulk (COPY on PostgreSQL for
large registries). The year holds what a reader meets: estimated months (a locked gate, a
fogged glass) with the actual reading after them, a leak or two held for verification, sealed
meters standing still, one meter replaced mid-year and one 5-digit meter passing 99999.
"""

import datetime
import random
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone

from customers.models import Customer, CustomerStatus, CustomerStatusChange
from meters.imports import READING_COLUMNS, bulk_insert
from meters.models import Anomaly, Meter, MeterSize, Period, Reading, ReadingMethod, ReadingStatus
from meters.rules import ReadingFacts, evaluate_reading
from meters.selectors import month_add, thresholds

BRANDS = ["Barindo", "Linflow", "Itron", "Amico"]
READERS = ["Amir", "Baso", "Haerul", "Ilham", "Syamsul", "Rudi", "Taufik", "Jufri"]
# Readings are written for this many connections at most (ordered by id, so whole routes):
# a million-customer registry gets its meters but only these readings.
READINGS_CUSTOMER_LIMIT = 20_000
COPY_ABOVE = 5_000
ESTIMATE_ANOMALIES = [Anomaly.LOCKED, Anomaly.BLURRED, Anomaly.HOUSE_EMPTY, Anomaly.BLOCKED, Anomaly.BURIED]


@dataclass(frozen=True)
class Profile:
    sizes: tuple[str, ...]
    digits: int
    usage_m3: tuple[int, int]  # typical monthly usage, low and high


# By golongan: households read 10–30 m3 a month on a 1/2" 5-digit meter; business and industry
# more, on bigger 6-digit meters.
PROFILES: dict[str, Profile] = {
    "1A": Profile((MeterSize.HALF, MeterSize.THREE_QUARTER), 5, (15, 40)),
    "1B": Profile((MeterSize.HALF,), 5, (10, 30)),
    "2A": Profile((MeterSize.HALF,), 5, (10, 22)),
    "2B": Profile((MeterSize.HALF,), 5, (12, 28)),
    "2C": Profile((MeterSize.HALF,), 5, (15, 30)),
    "2D": Profile((MeterSize.THREE_QUARTER,), 5, (25, 60)),
    "2E": Profile((MeterSize.ONE,), 6, (40, 120)),
    "3A": Profile((MeterSize.ONE, MeterSize.ONE_HALF), 6, (80, 300)),
    "3B": Profile((MeterSize.ONE_HALF, MeterSize.TWO), 6, (300, 1200)),
    "4A": Profile((MeterSize.THREE, MeterSize.FOUR), 6, (1500, 4000)),
}
DEFAULT_PROFILE = PROFILES["2B"]
HOUSEHOLD_CLASSES = ("2A", "2B", "2C")
READABLE = (CustomerStatus.ACTIVE, CustomerStatus.SEALED)


@dataclass
class _Connection:
    customer_id: int
    number: str
    status: str
    connected_on: datetime.date
    profile: Profile
    average_m3: int
    meter: dict = field(default_factory=dict)


@dataclass
class _Specials:
    """The customers who show the rare cases, chosen once so the demo always has them."""

    rollover: int | None = None
    replacement: int | None = None
    estimates: int | None = None

    def __contains__(self, customer_id: int) -> bool:
        return customer_id in (self.rollover, self.replacement, self.estimates)


def _stand_start(rng: random.Random, connection_: _Connection, window_start: datetime.date) -> int:
    """The register at the start of the window: what the years since connection put on it."""
    if connection_.connected_on >= window_start:
        return 0
    months = (window_start - connection_.connected_on).days // 30
    limit = int((10**connection_.profile.digits) * 0.7)  # no accidental wrap within the year
    return (connection_.average_m3 * months + rng.randint(0, 99)) % limit


def _specials(window_start: datetime.date) -> _Specials:
    candidates = list(
        Customer.objects.filter(
            status=CustomerStatus.ACTIVE,
            tariff_class__code__in=HOUSEHOLD_CLASSES,
            connected_on__lt=window_start - datetime.timedelta(days=365),
        )
        .order_by("id")
        .values_list("id", flat=True)[:3]
    )
    candidates += [None] * (3 - len(candidates))
    return _Specials(rollover=candidates[0], replacement=candidates[1], estimates=candidates[2])


def _connections(rng: random.Random, *, chunk: int = 50_000) -> Iterator[list[_Connection]]:
    """Every customer, a chunk at a time (a COPY cannot share its connection with a cursor)."""
    last_id = 0
    while True:
        rows = list(
            Customer.objects.filter(id__gt=last_id)
            .order_by("id")
            .values_list("id", "number", "status", "connected_on", "tariff_class__code")[:chunk]
        )
        if not rows:
            return
        last_id = rows[-1][0]
        connections = []
        for customer_id, number, status, connected_on, code in rows:
            profile = PROFILES.get(code, DEFAULT_PROFILE)
            connections.append(
                _Connection(
                    customer_id=customer_id,
                    number=number,
                    status=status,
                    connected_on=connected_on,
                    profile=profile,
                    average_m3=rng.randint(*profile.usage_m3),
                )
            )
        yield connections


METER_COLUMNS = [
    "customer_id",
    "serial_number",
    "brand",
    "size",
    "digits",
    "installed_on",
    "initial_stand",
    "removed_on",
    "final_stand",
    "created_at",
]


def seed_meters(*, months: int = 12, seed: int = 2026, stdout=None) -> int:
    """Give every connection a meter and the readable ones `months` months of readings.

    Idempotent: does nothing when any meter exists. The periods are the `months` months before
    the current one, left open (billing moves them on). Readings go to active and sealed
    connections only, and to the first READINGS_CUSTOMER_LIMIT of them. Returns how many
    readings were created.
    """
    if Meter.objects.exists():
        return 0
    rng = random.Random(seed)
    today = timezone.localdate()
    window = [month_add(today.replace(day=1), i - months) for i in range(months)]
    window_start = window[0] if window else today.replace(day=1)
    customer_count = Customer.objects.count()
    copy = connection.vendor == "postgresql" and customer_count > COPY_ABOVE
    with transaction.atomic():
        specials = _specials(window_start)
        removals = dict(
            CustomerStatusChange.objects.filter(
                to_status__in=[CustomerStatus.DISCONNECTED, CustomerStatus.CLOSED]
            ).values_list("customer_id", "effective_on")
        )
        readable: list[_Connection] = []
        now = timezone.now()
        for connections in _connections(rng):
            meter_rows = []
            for conn in connections:
                start = _stand_start(rng, conn, window_start)
                if conn.customer_id == specials.rollover:
                    start = 10**conn.profile.digits - 1 - conn.average_m3 * (months // 2)
                removed_on = final_stand = None
                if conn.status not in READABLE:
                    # Cabut / closed: the meter came off on the day the status changed.
                    removed_on = removals.get(conn.customer_id, today)
                    final_stand = start
                conn.meter = {
                    "brand": rng.choice(BRANDS),
                    "size": rng.choice(conn.profile.sizes),
                    "start": start,
                }
                if conn.status in READABLE and len(readable) < READINGS_CUSTOMER_LIMIT:
                    readable.append(conn)
                meter_rows.append(
                    (
                        conn.customer_id,
                        f"MTR-{conn.number}",
                        conn.meter["brand"],
                        conn.meter["size"],
                        conn.profile.digits,
                        conn.connected_on,
                        start,
                        removed_on,
                        final_stand,
                        now,
                    )
                )
            bulk_insert(Meter, METER_COLUMNS, meter_rows, copy=copy)
        if stdout is not None and customer_count > READINGS_CUSTOMER_LIMIT:
            stdout.write(
                f"Readings are seeded for the first {READINGS_CUSTOMER_LIMIT} readable customers only "
                f"(of {customer_count})."
            )
        if not window:
            return 0
        periods = {month: Period.objects.get_or_create(month=month)[0] for month in window}
        # By id range, not a list of ids: SQLite caps the parameters of one query.
        last_id = readable[-1].customer_id if readable else 0
        sealed = dict(
            CustomerStatusChange.objects.filter(
                to_status=CustomerStatus.SEALED, customer_id__lte=last_id
            ).values_list("customer_id", "effective_on")
        )
        meter_ids = dict(
            Meter.objects.filter(customer_id__lte=last_id, removed_on__isnull=True).values_list(
                "customer_id", "id"
            )
        )
        simulation = _Simulation(rng=rng, window=window, periods=periods, specials=specials, sealed=sealed)
        rows = (row for conn in readable for row in simulation.readings(conn, meter_ids[conn.customer_id]))
        created = bulk_insert(Reading, READING_COLUMNS, rows, copy=copy)
        if simulation.replacement is not None:
            _replace(simulation.replacement)
    return created


@dataclass
class _Replacement:
    customer_id: int
    number: str
    removed_on: datetime.date
    final_stand: int
    brand: str
    size: str
    first_reading_month: datetime.date


def _replace(replacement: _Replacement) -> None:
    """The replaced meter: the old one removed with its final stand, the new one from 0.

    The simulation wrote every reading on the one meter it knew; the readings from the swap on
    belong to the new meter.
    """
    old = Meter.objects.get(customer_id=replacement.customer_id, removed_on__isnull=True)
    old.removed_on = replacement.removed_on
    old.final_stand = replacement.final_stand
    old.save(update_fields=["removed_on", "final_stand"])
    new = Meter.objects.create(
        customer_id=replacement.customer_id,
        serial_number=f"MTR-{replacement.number}-B",
        brand=replacement.brand,
        size=replacement.size,
        digits=old.digits,
        installed_on=replacement.removed_on,
        initial_stand=0,
    )
    Reading.objects.filter(
        customer_id=replacement.customer_id, period__month__gte=replacement.first_reading_month
    ).update(meter=new)


class _Simulation:
    """A connection's year, month by month: true consumption, what the reader saw, the rules."""

    def __init__(self, *, rng, window, periods, specials: _Specials, sealed: dict) -> None:
        self.rng = rng
        self.window = window
        self.periods = periods
        self.specials = specials
        self.sealed = sealed
        self.limits = thresholds()
        self.replacement: _Replacement | None = None
        self.now = timezone.now()

    def readings(self, conn: _Connection, meter_id: int) -> Iterator[tuple]:
        rng = self.rng
        digits = conn.profile.digits
        modulus = 10**digits
        register = conn.meter["start"]  # what the meter shows, wrapping past 99…9
        previous_stand = register
        months_covered = 1
        replaced_usage = 0
        history: list[int] = []  # monthly usage of actual readings, newest first
        last_read: datetime.date | None = None
        reader = READERS[conn.customer_id % len(READERS)]
        replace_at = len(self.window) - 5 if conn.customer_id == self.specials.replacement else None
        for index, month in enumerate(self.window):
            read_on = month + datetime.timedelta(days=rng.randint(1, 8))
            if read_on <= conn.connected_on:
                continue
            since = last_read or max(conn.connected_on, month_add(month, -1))
            days = (read_on - since).days
            consumption = round(conn.average_m3 * days / 30 * rng.uniform(0.8, 1.25))
            if conn.customer_id in self.sealed and self.sealed[conn.customer_id] <= since:
                consumption = 0  # segel: the meter stands still
            elif conn.customer_id not in self.specials and rng.random() < 0.006:
                consumption *= 3  # a leak: held for verification
            consumption = max(consumption, 0 if conn.customer_id in self.sealed else 1)

            if index == replace_at:
                # The old meter comes off between two readings; the new one starts at 0.
                before = consumption * 2 // 3
                removed_on = month_add(month, -1) + datetime.timedelta(days=19)
                self.replacement = _Replacement(
                    customer_id=conn.customer_id,
                    number=conn.number,
                    removed_on=removed_on,
                    final_stand=(register + before) % modulus,
                    brand=rng.choice(BRANDS),
                    size=conn.meter["size"],
                    first_reading_month=month,
                )
                replaced_usage = self.replacement.final_stand - previous_stand
                register = consumption - before
                previous_stand = 0
            else:
                register = (register + consumption) % modulus

            anomaly = ""
            if conn.customer_id == self.specials.estimates and index in (3, 4):
                anomaly = Anomaly.LOCKED
            elif conn.customer_id not in self.specials and index != 0:
                draw = rng.random()
                if draw < 0.02:
                    anomaly = rng.choice(ESTIMATE_ANOMALIES)
                elif draw < 0.022:
                    anomaly = Anomaly.TAMPERED
            facts = ReadingFacts(
                previous_stand=previous_stand,
                max_stand=modulus - 1,
                months_covered=months_covered,
                replaced_meter_usage_m3=replaced_usage,
                history_m3=tuple(history[: self.limits.history_months]),
            )
            evaluation = evaluate_reading(
                facts=facts, stand=register, anomaly=anomaly, thresholds=self.limits
            )
            yield (
                conn.customer_id,
                self.periods[month].pk,
                meter_id,
                evaluation.stand,
                previous_stand,
                evaluation.usage_m3,
                1 if evaluation.estimated else months_covered,
                replaced_usage,
                evaluation.rollover,
                evaluation.estimated,
                read_on,
                reader,
                ReadingMethod.ESTIMATE if evaluation.estimated else ReadingMethod.FIELD,
                anomaly,
                list(evaluation.flags),
                evaluation.status,
                "",
                None,
                self.now,
                self.now,
            )
            if evaluation.estimated:
                months_covered += 1
            else:
                if evaluation.status == ReadingStatus.OK:  # only trusted readings feed estimates
                    history.insert(0, round(evaluation.usage_m3 / months_covered))
                previous_stand = register
                months_covered = 1
                replaced_usage = 0
                last_read = read_on
