"""Process-local metrics and their Prometheus text exposition (format 0.0.4).

Everything runs on one event loop, so plain ints need no lock. With several
workers each process has its own numbers (scrape them per process).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

TTFT_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Histogram:
    def __init__(self, buckets: Iterable[float]) -> None:
        self.buckets = tuple(sorted(buckets))
        self.counts = [0] * len(self.buckets)
        self.total = 0
        self.sum = 0.0

    def observe(self, value: float) -> None:
        self.total += 1
        self.sum += value
        for i, bound in enumerate(self.buckets):
            if value <= bound:
                self.counts[i] += 1
                break

    def lines(self, name: str) -> list[str]:
        lines: list[str] = []
        running = 0
        for bound, count in zip(self.buckets, self.counts, strict=True):
            running += count
            lines.append(f'{name}_bucket{{le="{_number(bound)}"}} {running}')
        lines.append(f'{name}_bucket{{le="+Inf"}} {self.total}')
        lines.append(f"{name}_sum {_number(self.sum)}")
        lines.append(f"{name}_count {self.total}")
        return lines


class Metrics:
    def __init__(self) -> None:
        self.requests: Counter[tuple[str, str, int]] = Counter()  # (method, route, status)
        self.open_streams = 0
        self.streams: Counter[str] = Counter()  # result: done | error | aborted
        self.ttft = Histogram(TTFT_BUCKETS)
        self.upstream_errors: Counter[str] = Counter()  # code
        self.rate_limited = 0
        self.spec_reloads = 0
        self.answers_without_source = 0

    def render(self) -> str:
        out: list[str] = []

        def family(name: str, kind: str, help_text: str, samples: Iterable[str]) -> None:
            out.append(f"# HELP {name} {help_text}")
            out.append(f"# TYPE {name} {kind}")
            out.extend(samples)

        family(
            "relay_http_requests_total",
            "counter",
            "HTTP requests by method, route and status.",
            (
                f'relay_http_requests_total{{method="{m}",route="{_label(r)}",status="{s}"}} {n}'
                for (m, r, s), n in sorted(self.requests.items())
            ),
        )
        family(
            "relay_open_streams",
            "gauge",
            "Chat streams open now.",
            [f"relay_open_streams {self.open_streams}"],
        )
        family(
            "relay_streams_total",
            "counter",
            "Chat streams finished, by result (done, error, aborted).",
            (f'relay_streams_total{{result="{k}"}} {n}' for k, n in sorted(self.streams.items())),
        )
        family(
            "relay_time_to_first_token_seconds",
            "histogram",
            "Time from the chat request to its first delta.",
            self.ttft.lines("relay_time_to_first_token_seconds"),
        )
        family(
            "relay_upstream_errors_total",
            "counter",
            "Upstream (OpenAI) failures, by code.",
            (
                f'relay_upstream_errors_total{{code="{_label(k)}"}} {n}'
                for k, n in sorted(self.upstream_errors.items())
            ),
        )
        family(
            "relay_rate_limited_total",
            "counter",
            "Chat requests refused by the per-client rate limit.",
            [f"relay_rate_limited_total {self.rate_limited}"],
        )
        family(
            "relay_spec_reloads_total",
            "counter",
            "Assistant spec loads that changed the spec.",
            [f"relay_spec_reloads_total {self.spec_reloads}"],
        )
        family(
            "relay_answers_without_source_total",
            "counter",
            "Answers that ended without citing a document (see kbsync gaps).",
            [f"relay_answers_without_source_total {self.answers_without_source}"],
        )
        return "\n".join(out) + "\n"


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(value: float) -> str:
    return repr(float(value)) if value != int(value) else f"{int(value)}.0"
