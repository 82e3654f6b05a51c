"""Demo and volume data for the customer registry: a believable, fictional utility.

`seed_registry` builds zones, routes, every golongan and customers. Small counts go through the
ORM; large counts on PostgreSQL stream through COPY with the search indexes rebuilt afterwards,
so a million customers load in well under two minutes.
"""

import datetime
import random
from collections.abc import Iterator
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from customers.codes import registration_code_new
from customers.models import (
    Customer,
    CustomerStatus,
    CustomerStatusChange,
    Kelompok,
    Route,
    TariffClass,
    Zone,
)

ZONES = [
    ("01", "Kota Tengah"),
    ("02", "Tamalanrea"),
    ("03", "Panaikang"),
    ("04", "Somba Opu"),
    ("05", "Bontoala"),
]

# (code, name, kelompok, share of customers)
TARIFF_CLASSES = [
    ("1A", "Sosial Umum", Kelompok.I, 0.01),
    ("1B", "Sosial Khusus", Kelompok.I, 0.01),
    ("2A", "Rumah Tangga A", Kelompok.I, 0.12),
    ("2B", "Rumah Tangga B", Kelompok.II, 0.55),
    ("2C", "Rumah Tangga C", Kelompok.II, 0.13),
    ("2D", "Niaga Kecil", Kelompok.II, 0.10),
    ("2E", "Instansi Pemerintah", Kelompok.II, 0.02),
    ("3A", "Niaga Besar", Kelompok.III, 0.04),
    ("3B", "Industri", Kelompok.III, 0.015),
    ("4A", "Khusus (Pelabuhan)", Kelompok.KHUSUS, 0.005),
]

FIRST_NAMES = [
    "Andi",
    "Budi",
    "Citra",
    "Dewi",
    "Eko",
    "Fajar",
    "Gita",
    "Hendra",
    "Indah",
    "Joko",
    "Kartini",
    "Lestari",
    "Muhammad",
    "Nur",
    "Oktaviani",
    "Putri",
    "Rahmat",
    "Sari",
    "Taufik",
    "Umar",
    "Wahyu",
    "Yusuf",
    "Zainal",
    "Agus",
    "Bambang",
    "Siti",
    "Rina",
    "Ratna",
    "Hasan",
    "Ismail",
    "Ahmad",
    "Aisyah",
    "Fitri",
    "Ayu",
    "Bayu",
    "Dian",
    "Dimas",
    "Hadi",
    "Ilham",
    "Irfan",
    "Kurniawan",
    "Maya",
    "Mega",
    "Nanda",
    "Rizki",
    "Syamsul",
    "Sulastri",
    "Suryani",
    "Wulan",
    "Yanti",
    "Arif",
    "Daeng",
    "Baso",
    "Nurhayati",
    "Haerul",
    "Asri",
    "Sitti",
    "Muh.",
    "Rudi",
]
LAST_NAMES = [
    "Saputra",
    "Wijaya",
    "Santoso",
    "Hidayat",
    "Pratama",
    "Siregar",
    "Nasution",
    "Lubis",
    "Harahap",
    "Simanjuntak",
    "Halim",
    "Gunawan",
    "Setiawan",
    "Kusuma",
    "Rahman",
    "Hakim",
    "Syahputra",
    "Ramadhan",
    "Permana",
    "Nugroho",
    "Susanto",
    "Wibowo",
    "Sulaiman",
    "Mappanyukki",
    "Pawelloi",
    "Tamrin",
    "Latief",
    "Makkasau",
    "Rasyid",
    "Amir",
    "Mustafa",
    "Ibrahim",
    "Yunus",
    "Anwar",
    "Salim",
    "Sampara",
    "Basri",
    "Idris",
    "Bahar",
    "Jufri",
    "Haris",
    "Malik",
    "Mattalitti",
    "Lamba",
    "Tenri",
]
STREETS = [
    "Ahmad Yani",
    "Sudirman",
    "Diponegoro",
    "Veteran",
    "Gunung Bawakaraeng",
    "Cendrawasih",
    "Rajawali",
    "Kakatua",
    "Sultan Alauddin",
    "Hertasning",
    "Pettarani",
    "Urip Sumoharjo",
    "Perintis Kemerdekaan",
    "Landak",
    "Sungai Saddang",
    "Kumala",
    "Mappanyukki",
    "Rappocini",
    "Monginsidi",
    "Sam Ratulangi",
    "Haji Bau",
    "Ratulangi",
    "Andalas",
    "Bandang",
    "Tinumbu",
    "Sunu",
    "Kandea",
    "Veteran Selatan",
    "Onta Lama",
    "Baji Gau",
    "Anuang",
    "Abdullah Daeng Sirua",
]
BUSINESS_PREFIXES = ["Toko", "Warung", "CV", "PT", "Rumah Makan", "Apotek", "Bengkel", "Laundry"]
KELURAHAN = [
    "Maradekaya",
    "Pisang Utara",
    "Lajangiru",
    "Tamalanrea Indah",
    "Karuwisi",
    "Sinrijala",
    "Gunung Sari",
    "Mangasa",
    "Bontomakkio",
    "Banta-Bantaeng",
    "Tidung",
    "Pandang",
]
STATUS_MIX = [
    (CustomerStatus.ACTIVE, 0.95),
    (CustomerStatus.SEALED, 0.025),
    (CustomerStatus.DISCONNECTED, 0.015),
    (CustomerStatus.CLOSED, 0.01),
]
STATUS_REASONS = {
    CustomerStatus.SEALED: "Tunggakan lebih dari 3 bulan (segel)",
    CustomerStatus.DISCONNECTED: "Cabut atas permintaan pelanggan",
    CustomerStatus.CLOSED: "Bangunan dibongkar, sambungan ditutup",
}
CUSTOMERS_PER_ROUTE = 400


@dataclass
class Registry:
    zones: list[Zone]
    routes: list[Route]
    tariff_classes: list[TariffClass]


def _registry_base(*, route_count: int) -> Registry:
    zones = [Zone.objects.get_or_create(code=code, defaults={"name": name})[0] for code, name in ZONES]
    classes = [
        TariffClass.objects.get_or_create(
            code=code, defaults={"name": name, "kelompok": kelompok, "sort_order": i}
        )[0]
        for i, (code, name, kelompok, _share) in enumerate(TARIFF_CLASSES)
    ]
    existing = {r.code: r for r in Route.objects.all()}
    new_routes = []
    for i in range(route_count):
        zone = zones[i % len(zones)]
        code = f"{zone.code}-{i // len(zones) + 1:03d}"
        if code not in existing:
            new_routes.append(Route(zone=zone, code=code, name=f"Rute {code}"))
    Route.objects.bulk_create(new_routes, batch_size=1000)
    routes = list(Route.objects.select_related("zone").order_by("code")[:route_count])
    return Registry(zones=zones, routes=routes, tariff_classes=classes)


def _name(rng: random.Random, tariff_class: TariffClass) -> str:
    person = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
    if tariff_class.kelompok in (Kelompok.III, Kelompok.KHUSUS) or tariff_class.code == "2D":
        return f"{rng.choice(BUSINESS_PREFIXES)} {person}"
    if tariff_class.code == "2E":
        return f"Kantor Kelurahan {rng.choice(KELURAHAN)}"
    if tariff_class.kelompok == Kelompok.I and tariff_class.code in ("1A", "1B"):
        return rng.choice(["Masjid", "Mushola", "Panti Asuhan", "Posyandu", "Gereja"]) + f" {person}"
    return person


def _address(rng: random.Random) -> str:
    return (
        f"Jl. {rng.choice(STREETS)} No. {rng.randint(1, 250)}, RT {rng.randint(1, 9):03d}/RW "
        f"{rng.randint(1, 12):03d}, Kel. {rng.choice(KELURAHAN)}"
    )


@dataclass
class CustomerRow:
    number: str
    name: str
    address: str
    phone: str
    email: str
    message_channel: str
    messages_opt_out: bool
    route: Route
    route_sequence: int
    tariff_class: TariffClass
    status: str
    connected_on: datetime.date


def _customer_rows(*, count: int, registry: Registry, seed: int) -> Iterator[CustomerRow]:
    rng = random.Random(seed)
    weights = [share for *_rest, share in TARIFF_CLASSES]
    classes = rng.choices(registry.tariff_classes, weights=weights, k=count)
    statuses = rng.choices([s for s, _w in STATUS_MIX], weights=[w for _s, w in STATUS_MIX], k=count)
    next_number = dict.fromkeys((z.code for z in registry.zones), 0)
    start = timezone.localdate().replace(day=1) - datetime.timedelta(days=365 * 15)
    per_route = max(1, -(-count // len(registry.routes)))
    # Contact details draw from their own stream, so that names and numbers stay as they were.
    contact_rng = random.Random(seed + 1)
    for i in range(count):
        route = registry.routes[i // per_route]
        next_number[route.zone.code] += 1
        number = f"{route.zone.code}{next_number[route.zone.code]:08d}"
        name = _name(rng, classes[i])
        address = _address(rng)
        phone = f"08{rng.choice('1258')}{rng.randint(10**7, 10**9 - 1)}" if rng.random() < 0.8 else ""
        email, channel, opt_out = _contact(contact_rng, number=number, name=name, has_phone=bool(phone))
        yield CustomerRow(
            number=number,
            name=name,
            address=address,
            phone=phone,
            email=email,
            message_channel=channel,
            messages_opt_out=opt_out,
            route=route,
            route_sequence=(i % per_route + 1) * 10,
            tariff_class=classes[i],
            status=statuses[i],
            connected_on=start + datetime.timedelta(days=rng.randint(0, 365 * 14)),
        )


def _contact(rng: random.Random, *, number: str, name: str, has_phone: bool) -> tuple[str, str, bool]:
    """An e-mail for about half the customers (at example.com, which delivers nowhere), the
    channel they prefer, and a few who want no informational messages."""
    first = "".join(ch for ch in name.lower().split()[0] if ch.isascii() and ch.isalpha()) or "pelanggan"
    email = f"{first}.{number}@example.com" if rng.random() < 0.5 else ""
    channel = rng.choices(["whatsapp", "email", "sms"], weights=[75, 15, 10])[0] if has_phone else "email"
    return email, channel, rng.random() < 0.03


def seed_registry(*, customers: int, seed: int = 2026, stdout=None) -> int:
    """Create the demo registry. Returns how many customers were created (0 if already there)."""
    if Customer.objects.exists():
        return 0
    route_count = max(len(ZONES), -(-customers // CUSTOMERS_PER_ROUTE))
    with transaction.atomic():
        registry = _registry_base(route_count=route_count)
        rows = _customer_rows(count=customers, registry=registry, seed=seed)
        if connection.vendor == "postgresql" and customers >= 5000:
            _copy_customers(rows)
        else:
            _orm_customers(rows)
    return customers


def _status_change(customer_id: int, row: CustomerRow) -> CustomerStatusChange:
    return CustomerStatusChange(
        customer_id=customer_id,
        from_status=CustomerStatus.ACTIVE,
        to_status=row.status,
        effective_on=max(row.connected_on, timezone.localdate() - datetime.timedelta(days=60)),
        reason=STATUS_REASONS[row.status],
    )


def _orm_customers(rows: Iterator[CustomerRow]) -> None:
    batch: list[CustomerRow] = []

    def flush() -> None:
        created = Customer.objects.bulk_create(
            [
                Customer(
                    number=r.number,
                    name=r.name,
                    address=r.address,
                    phone=r.phone,
                    email=r.email,
                    message_channel=r.message_channel,
                    messages_opt_out=r.messages_opt_out,
                    route=r.route,
                    route_sequence=r.route_sequence,
                    tariff_class=r.tariff_class,
                    status=r.status,
                    connected_on=r.connected_on,
                )
                for r in batch
            ]
        )
        if created and created[0].pk is None:  # backends that do not return ids
            ids = dict(
                Customer.objects.filter(number__in=[r.number for r in batch]).values_list("number", "id")
            )
        else:
            ids = {c.number: c.pk for c in created}
        CustomerStatusChange.objects.bulk_create(
            [_status_change(ids[r.number], r) for r in batch if r.status != CustomerStatus.ACTIVE]
        )
        batch.clear()

    for row in rows:
        batch.append(row)
        if len(batch) >= 2000:
            flush()
    if batch:
        flush()


TRIGRAM_INDEXES = {
    "customer_name_trgm": "name",
    "customer_address_trgm": "address",
}


def _copy_customers(rows: Iterator[CustomerRow]) -> None:
    """PostgreSQL: COPY the customers, then build the trigram indexes once instead of per row."""
    now = timezone.now()
    inactive: list[CustomerRow] = []
    with connection.cursor() as cursor:
        # Check the foreign keys row by row now, not at commit: deferred checks would leave
        # pending trigger events that forbid the CREATE INDEX below.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for index in TRIGRAM_INDEXES:
            cursor.execute(f"DROP INDEX IF EXISTS {index}")
        columns = (
            "number, name, address, phone, email, message_channel, messages_opt_out, route_id, "
            "route_sequence, tariff_class_id, status, connected_on, created_at, registration_code"
        )
        with cursor.copy(f"COPY customers_customer ({columns}) FROM STDIN") as copy:
            for r in rows:
                copy.write_row(
                    (
                        r.number,
                        r.name,
                        r.address,
                        r.phone,
                        r.email,
                        r.message_channel,
                        r.messages_opt_out,
                        r.route.pk,
                        r.route_sequence,
                        r.tariff_class.pk,
                        r.status,
                        r.connected_on,
                        now,
                        registration_code_new(),
                    )
                )
                if r.status != CustomerStatus.ACTIVE:
                    inactive.append(r)
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        for index, column in TRIGRAM_INDEXES.items():
            cursor.execute(
                f"CREATE INDEX {index} ON customers_customer "
                f'USING gin ((UPPER("{column}"::text)) gin_trgm_ops)'
            )
        ids = dict(
            Customer.objects.exclude(status=CustomerStatus.ACTIVE).values_list("number", "id").order_by()
        )
        with cursor.copy(
            "COPY customers_customerstatuschange "
            "(customer_id, from_status, to_status, effective_on, reason, created_at) FROM STDIN"
        ) as copy:
            for r in inactive:
                change = _status_change(ids[r.number], r)
                copy.write_row(
                    (
                        change.customer_id,
                        change.from_status,
                        change.to_status,
                        change.effective_on,
                        change.reason,
                        now,
                    )
                )
        cursor.execute("ANALYZE customers_customer")
