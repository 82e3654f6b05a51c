"""Benchmarks of the customer registry, run by `make bench` after the registry is seeded."""

import random
import statistics
import time

from customers.models import Customer
from customers.selectors import customer_search


def _p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1] if len(samples) > 1 else samples[0]


def bench_search(*, emit, rounds: int = 100) -> None:
    """Registry search as CS staff use it: exact number, and a name or street fragment."""
    rng = random.Random(7)
    count = Customer.objects.count()
    numbers = list(Customer.objects.order_by("?").values_list("number", flat=True)[:rounds]) if count else []
    words = ["hidayat", "saputra", "veteran", "kakatua", "siti nur", "mappanyukki", "rahman", "sunu no. 1"]
    by_number, by_text = [], []
    for number in numbers:
        started = time.perf_counter()
        list(customer_search(query=number))
        by_number.append((time.perf_counter() - started) * 1000)
    for _ in range(rounds):
        started = time.perf_counter()
        list(customer_search(query=rng.choice(words)))
        by_text.append((time.perf_counter() - started) * 1000)
    emit("customer_search_customers", count)
    if by_number:
        emit("customer_search_number_p95_ms", f"{_p95(by_number):.1f}")
    emit("customer_search_text_p95_ms", f"{_p95(by_text):.1f}")
