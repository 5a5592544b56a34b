"""Inference prices from genai-prices: which providers carry a name, the rate a request pays
at standard hours on the base tier, and the data snapshot those prices come from.

A model is a provider and a name. genai-prices lists each provider's models by the provider's
own id (``deepseek-v3p2`` at Fireworks answers to ``accounts/fireworks/models/deepseek-v3p2``).
:func:`hosts` finds every provider that carries a name, by model id or by the provider's own
match rules; :func:`default_host` picks one for a bare name:

1. the model's **maker**: the provider genai-prices itself assigns the name to (its
   ``model_match`` rules: ``claude-…`` is Anthropic's, ``gpt-…`` OpenAI's), when it carries it;
2. else the **most common host**: the carrier that lists the most models in the snapshot
   (OpenRouter first today), ties by provider id.

**Time of day.** Some providers charge less off-peak (DeepSeek). genai-prices gives such a
model a price that applies outside daily windows and prices inside the windows; the windows
are the provider's standard (peak) hours. The rate used is the one in force **inside the
first window**, on the requested date: the standard daytime rate, never the off-peak discount.
The tier used is named in :attr:`GenaiRates.tier`.

**Tiers by prompt size.** Where a price rises above a context length (Gemini 2.5 Pro above
200k tokens), the **base tier** is used and the tier is named.

**The snapshot.** The prices come from the snapshot bundled with the installed genai-prices,
or from a newer one fetched on request (``ftroi prices --update``, :func:`update`) into a user
cache (:func:`cache_path`) that later runs read. Nothing here touches the network except
:func:`update`.
"""

from __future__ import annotations

import json
import math
import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from functools import cache
from importlib.metadata import version
from pathlib import Path
from typing import Any

_FAR_FUTURE = date(2999, 1, 1)
CACHE_ENV = "FTROI_CACHE_DIR"
"""Environment variable naming the cache directory (default: the user cache directory)."""
CACHE_FILE = "genai-prices-data.json"
STALE_DAYS = 90
"""A snapshot more than this many days older than a scenario's start date is warned about."""
MAX_CACHE_BYTES = 50 * 2**20
"""Largest cache file read [bytes] (the data is about 1 MB today); checked before reading."""
MAX_CACHE_DEPTH = 32
"""Deepest nesting of the cache file's JSON [levels] (the data nests about 8)."""
MAX_PRICE_USD_PER_MTOK = 1e6
"""Largest number a price field may hold; dearer than any model sold [USD per 1M tokens]."""


def genai_prices_version() -> str:
    """Version of the installed genai-prices package."""
    return version("genai-prices")


# ---- the snapshot ------------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class SnapshotInfo:
    """Where the genai-prices data in use comes from.

    label : in words, for a source column (``genai-prices 0.2.3, bundled data``)
    fetched_on : the day the data was fetched (None for the data bundled with the package,
        which carries no date)
    path : the cache file read (None for the bundled data)
    warning : why a cache file was refused and the bundled data used instead ("" when none
        was): the command line and the app show it on every run that skips the cache
    """

    label: str
    fetched_on: date | None = None
    path: Path | None = None
    warning: str = ""

    def age_warning(self, start: date) -> str:
        """A warning when the data is more than :data:`STALE_DAYS` days older than ``start``;
        empty otherwise."""
        if self.fetched_on is None or (start - self.fetched_on).days <= STALE_DAYS:
            return ""
        return (f"genai-prices data fetched {self.fetched_on.isoformat()} is "
                f"{(start - self.fetched_on).days} days older than the start date "
                f"{start.isoformat()}: run ftroi prices --update for newer prices")


def cache_dir() -> Path:
    """The user cache directory for fetched price data: ``$FTROI_CACHE_DIR``, else
    ``$XDG_CACHE_HOME/ftroi``, else ``~/.cache/ftroi``."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "ftroi"


def cache_path() -> Path:
    """The cache file that :func:`update` writes and later runs read."""
    return cache_dir() / CACHE_FILE


class CacheError(ValueError):
    """The price cache file is not genai-prices data ftroi can use; the message says why."""


@cache
def _loaded() -> tuple[Any, SnapshotInfo]:
    """(snapshot, info): the cached fetched data when there is a valid cache file, else the
    bundled data, with the reason the cache was refused in ``info.warning``. Read once per
    process (:func:`reload` reads again)."""
    from genai_prices import data_snapshot

    path = cache_path()
    warning = ""
    if path.is_file():
        try:
            return _read_cache(path)
        except CacheError as exc:
            warning = (f"{path}: price cache refused ({exc}); using the genai-prices "
                       f"{genai_prices_version()} bundled data instead (ftroi prices --update "
                       f"fetches it again)")
    bundled = data_snapshot._bundled_snapshot()
    return bundled, SnapshotInfo(label=f"genai-prices {genai_prices_version()}, bundled data",
                                 warning=warning)


def _read_cache(path: Path) -> tuple[Any, SnapshotInfo]:
    """The cache file's snapshot, checked like a price file; CacheError says what is wrong."""
    try:
        size = path.stat().st_size
        if size > MAX_CACHE_BYTES:
            raise CacheError(f"{size:,} bytes is too large: at most {MAX_CACHE_BYTES:,}")
        with path.open("rb") as fh:
            data = fh.read(MAX_CACHE_BYTES + 1)
    except OSError as exc:
        raise CacheError(f"unreadable: {exc.strerror or exc}") from None
    if len(data) > MAX_CACHE_BYTES:
        raise CacheError(f"more than {MAX_CACHE_BYTES:,} bytes")
    payload = parse_payload(data, "cache file")
    if not isinstance(payload, dict) or not {"fetched_on", "data"} <= set(payload):
        raise CacheError("not a price cache: expected an object with fetched_on and data")
    fetched_raw = payload["fetched_on"]
    try:
        fetched = date.fromisoformat(fetched_raw) if isinstance(fetched_raw, str) else None
    except ValueError:
        fetched = None
    if fetched is None or not date(2020, 1, 1) <= fetched <= date(2100, 12, 31):
        raise CacheError(f"fetched_on: {str(fetched_raw)[:40]!r} is not a date from "
                         f"2020-01-01 to 2100-12-31")
    check_price_data(payload["data"])
    try:
        snap = _snapshot_from_payload(payload["data"])
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise CacheError(f"not genai-prices data: {_first_line(exc)}") from None
    if not snap.providers:
        raise CacheError("it lists no providers")
    return snap, SnapshotInfo(label=f"genai-prices data fetched {fetched.isoformat()}",
                              fetched_on=fetched, path=path)


def _first_line(exc: BaseException) -> str:
    text = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return text if len(text) <= 160 else text[:159] + "…"


def parse_payload(data: bytes | str, what: str) -> Any:
    """JSON within :data:`MAX_CACHE_DEPTH` levels and finite numbers; CacheError otherwise.
    Deep nesting is caught (never a RecursionError) and measured without recursion."""
    def constant(text: str) -> float:
        raise CacheError(f"{text} is not a price (use a finite number)")

    try:
        parsed = json.loads(data, parse_constant=constant)
    except json.JSONDecodeError as exc:
        raise CacheError(f"{what} is not valid JSON: {exc.msg} at line {exc.lineno} column "
                         f"{exc.colno}") from None
    except RecursionError:
        raise CacheError(f"{what} is nested too deeply: at most {MAX_CACHE_DEPTH} levels") \
            from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise CacheError(f"{what} is unreadable: {_first_line(exc)}") from None
    deepest, stack = 0, [(parsed, 1)]
    while stack:
        item, d = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, d)
            if deepest > MAX_CACHE_DEPTH:
                raise CacheError(f"{what} is nested too deeply: at most {MAX_CACHE_DEPTH} "
                                 f"levels")
            stack.extend((v, d + 1) for v in (item.values() if isinstance(item, dict) else item))
    return parsed


def check_price_data(raw: Any) -> None:
    """CacheError unless ``raw`` is a list of providers whose every price is a number from 0 to
    :data:`MAX_PRICE_USD_PER_MTOK`: a poisoned file (negative, boolean, text or huge prices)
    is refused, never used. The full schema is genai-prices' own parser's."""
    if not isinstance(raw, list):
        raise CacheError(f"data: expected a list of providers, got {type(raw).__name__}")
    for i, provider in enumerate(raw):
        if not isinstance(provider, dict) or not isinstance(provider.get("id"), str):
            raise CacheError(f"data[{i}]: expected a provider object with a text id")
        models = provider.get("models", [])
        if not isinstance(models, list):
            raise CacheError(f"provider {provider['id'][:40]!r}: models must be a list")
        for model in models:
            if not isinstance(model, dict) or not isinstance(model.get("id"), str):
                raise CacheError(f"provider {provider['id'][:40]!r}: a model without a text id")
            stack = [(model.get("prices"), "prices")]
            while stack:
                item, where = stack.pop()
                if isinstance(item, dict):
                    stack.extend((v, f"{where}.{k}") for k, v in item.items())
                elif isinstance(item, list):
                    stack.extend((v, f"{where}[{j}]") for j, v in enumerate(item))
                elif isinstance(item, bool) or (
                        isinstance(item, (int, float))
                        and not 0 <= item <= (math.inf if where.endswith(".start")
                                              else MAX_PRICE_USD_PER_MTOK)):
                    raise CacheError(
                        f"{provider['id'][:40]} {model['id'][:60]}: {where} = {item!r} is not "
                        f"a price: from 0 to {MAX_PRICE_USD_PER_MTOK:g} USD per 1M tokens")


def cache_warning() -> str:
    """Why the price cache was refused in this process ("" when it was not, or when no price
    has been looked up yet: this never reads the data itself)."""
    if _loaded.cache_info().currsize == 0:
        return ""
    return _loaded()[1].warning


def snapshot():
    """The genai-prices snapshot in use (see :func:`snapshot_info`)."""
    return _loaded()[0]


def snapshot_info() -> SnapshotInfo:
    """Where the genai-prices data in use comes from, and its date."""
    return _loaded()[1]


_GENERATION = [0]
"""How many times :func:`reload` ran: answers a price table kept from before are stale."""


def generation() -> int:
    """A number that changes each time the genai-prices data is reloaded."""
    return _GENERATION[0]


def reload() -> None:
    """Forget what was read, so the next look-up reads the cache (or the bundle) again."""
    _GENERATION[0] += 1
    listed.cache_clear()
    _loaded.cache_clear()
    _index.cache_clear()
    _match_hosts.cache_clear()
    _find.cache_clear()
    maker.cache_clear()


def _snapshot_from_payload(raw: Any):
    from genai_prices import data_snapshot
    from genai_prices.types import _providers_from_raw

    if not isinstance(raw, list):
        raise TypeError("expected a list of providers")
    return data_snapshot.DataSnapshot(_providers_from_raw(raw), from_auto_update=True)


def fetch_latest() -> bytes:
    """The latest genai-prices data, fetched by genai-prices' own updater
    (:class:`genai_prices.UpdatePrices`: its URL, its timeout, its HTTP client). The only
    function here that touches the network."""
    import httpx2
    from genai_prices.update_prices import UpdatePrices

    updater = UpdatePrices()
    response = httpx2.get(updater.url, timeout=updater.request_timeout)
    response.raise_for_status()
    return response.content


def update(*, fetch: Callable[[], bytes] | None = None, today: date | None = None) -> SnapshotInfo:
    """Fetch the latest genai-prices data and keep it in the user cache; later runs use it.

    ``fetch`` returns the data as JSON bytes (default :func:`fetch_latest`; tests pass a stub);
    ``today`` is the fetch date recorded (default: today). The data is checked by genai-prices'
    own parser before it replaces the cache.

    Raises
    ------
    ValueError, TypeError
        The fetched data is not genai-prices data; the cache is left as it was.
    """
    data = (fetch or fetch_latest)()
    if len(data) > MAX_CACHE_BYTES:
        raise CacheError(f"the fetched data is {len(data):,} bytes: at most {MAX_CACHE_BYTES:,}")
    raw = parse_payload(data, "the fetched data")
    check_price_data(raw)
    snap = _snapshot_from_payload(raw)
    if not snap.providers:
        raise ValueError("the fetched data lists no providers")
    day = today or date.today()
    path = cache_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"fetched_on": day.isoformat(),
                               "genai_prices": genai_prices_version(), "data": raw}),
                   encoding="utf-8")
    tmp.replace(path)
    reload()
    return snapshot_info()


# ---- which providers carry a name ------------------------------------------------------------

@cache
def _index() -> tuple[dict[str, list[tuple[str, Any]]], dict[str, int], dict[str, Any]]:
    """(model id -> [(provider id, model)], provider id -> number of models, id -> provider)."""
    snap = snapshot()
    by_id: dict[str, list[tuple[str, Any]]] = {}
    for p in snap.providers:
        for m in p.models:
            by_id.setdefault(m.id.lower(), []).append((p.id, m))
    sizes = Counter({p.id: len(p.models) for p in snap.providers})
    return by_id, dict(sizes), {p.id: p for p in snap.providers}


def provider_ids() -> list[str]:
    """Every provider id in the snapshot, sorted."""
    return sorted(_index()[2])


@cache
def _match_hosts(name: str) -> tuple[tuple[str, Any], ...]:
    """(provider id, model) of every provider whose own rules match ``name`` (no fallback)."""
    out = []
    for p in snapshot().providers:
        m = p._match_model(name)  # the provider's own models only
        if m is not None:
            out.append((p.id, m))
    return tuple(out)


def _priced(model: Any) -> bool:
    return standard_prices(model, None)[0] is not None


def hosts(name: str) -> list[tuple[str, Any]]:
    """Providers that carry ``name`` with a per-token input price, as (provider id, model):
    those listing it by model id, and its maker (:func:`maker`) when the maker's rules match
    it; when none, every provider whose rules match it (a provider's own id such as
    ``amazon.nova-pro-v1:0``)."""
    name = name.strip().lower()
    found = [(p, m) for p, m in _index()[0].get(name, []) if _priced(m)]
    made_by = maker(name)
    if made_by is not None and all(p != made_by for p, _ in found):
        m = _index()[2][made_by]._match_model(name)
        if m is not None and _priced(m):
            found.append((made_by, m))
    if not found:
        found = [(p, m) for p, m in _match_hosts(name) if _priced(m)]
    return found


@cache
def maker(name: str) -> str | None:
    """The provider genai-prices assigns ``name`` to by its ``model_match`` rules (the
    model's maker: ``claude-…`` -> anthropic), or None."""
    try:
        return snapshot().find_provider(name.strip().lower(), None, None).id
    except LookupError:
        return None


def default_host(name: str, carriers: list[str]) -> tuple[str, str]:
    """(provider id, why) for a bare ``name`` carried by ``carriers``: the maker when it
    carries it, else the carrier listing the most models; ``why`` in words."""
    if len(carriers) == 1:
        return carriers[0], f"bare name: {carriers[0]} is the only provider carrying it"
    others = ", ".join(sorted(carriers))
    made_by = maker(name)
    if made_by in carriers:
        return made_by, f"bare name carried by {others}: its maker {made_by} chosen"
    sizes = _index()[1]
    chosen = min(carriers, key=lambda p: (-sizes.get(p, 0), p))
    return chosen, (f"bare name carried by {others}: the most common host {chosen} chosen "
                    f"(its maker does not list it)")


@cache
def _find(name: str, provider: str | None) -> tuple[str, Any, str] | None:
    """(provider id, model, why) for ``name`` at ``provider`` (None: the default host)."""
    if provider is not None:
        carried = [(p, m) for p, m in hosts(name) if p == provider]
        if carried:
            return provider, carried[0][1], ""
        prov = _index()[2].get(provider)
        if prov is None:
            return None
        found = prov.find_model(name, all_providers=snapshot().providers)  # with fallbacks
        if found is not None and _priced(found):
            return provider, found, ""
        return None
    carried = hosts(name)
    if not carried:
        return None
    chosen, why = default_host(name, sorted({p for p, _ in carried}))
    return chosen, next(m for p, m in carried if p == chosen), why


def find(name: str, provider: str | None = None) -> tuple[Any, Any, str] | None:
    """(provider, model, why) for ``name``; None when no provider carries it with a price."""
    got = _find(name.strip().lower(), provider)
    if got is None:
        return None
    return _index()[2][got[0]], got[1], got[2]


@cache
def listed() -> tuple[tuple[str, str], ...]:
    """Every (provider id, model id) with a per-token input price, sorted (not genai-prices'
    ``ft:`` patterns, which name no model); read once per snapshot."""
    return tuple(sorted((p, m.id.lower()) for name, rows in _index()[0].items() for p, m in rows
                  if _priced(m) and not name.startswith("ft:")))


# ---- the price a request pays ------------------------------------------------------------------

def _time_windows(model: Any, day: date | None = None) -> list[Any]:
    """The time-of-day windows of ``model``'s prices in force on ``day`` (None: any day).

    genai-prices cannot date a window, so a window is taken to apply from the latest start
    date listed before it (DeepSeek V4 Pro: peak windows from 2026-08-17, its flat rate
    before): on an earlier day the model has no windows."""
    from genai_prices.types import StartDateConstraint, TimeOfDateConstraint

    if not isinstance(model.prices, list):
        return []
    out, since = [], None
    for c in model.prices:
        if isinstance(c.constraint, StartDateConstraint):
            since = c.constraint.start_date
        elif isinstance(c.constraint, TimeOfDateConstraint) and (
                day is None or since is None or day >= since):
            out.append(c.constraint)
    return out


def _hhmm(t: time) -> str:
    return t.strftime("%H:%M")


def _at(day: date, t: time) -> datetime:
    moment = datetime.combine(day, t)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _off_peak(model: Any, day: date):
    """The price in force on ``day`` outside every time-of-day window."""
    from genai_prices.types import StartDateConstraint

    chosen = model.prices[0].prices
    when = datetime.combine(day, time(12), tzinfo=UTC)
    for c in reversed(model.prices):
        if c.constraint is None or (isinstance(c.constraint, StartDateConstraint)
                                    and c.constraint.active(when)):
            chosen = c.prices
            break
    return chosen


def _base(value: Any) -> float | None:
    if value is None:
        return None
    return float(getattr(value, "base", value))


def _tiers(prices: Any) -> str:
    tiered = {k: v for k, v in prices.__dict__.items() if hasattr(v, "tiers")}
    if not tiered:
        return ""
    start = min(t.start for v in tiered.values() for t in v.tiers)
    return f"base tier: prompts up to {start:,} tokens (higher rates above)"


def standard_prices(model: Any, as_of: date | None) -> tuple[float | None, float | None,
                                                            float | None, str]:
    """(input, cached input, output [USD per 1M tokens], tier in words) that a request pays
    on ``as_of`` (None: the latest prices) at standard hours on the base tier."""
    prices, tier = _standard(model, as_of)
    inp = _base(getattr(prices, "input_mtok", None))
    cached = _base(getattr(prices, "cache_read_mtok", None))
    out = _base(getattr(prices, "output_mtok", None))
    size_tier = _tiers(prices)
    tier = "; ".join(t for t in (tier, size_tier) if t)
    return inp, cached, out, tier


def cache_write_price(model: Any, as_of: date | None) -> float | None:
    """The cache-write rate [USD per 1M tokens] on ``as_of`` at standard hours on the base
    tier (genai-prices' ``cache_write_mtok``: Anthropic's 5-minute cache writes, 1.25 × the
    input rate); None where the provider bills no cache write."""
    return _base(getattr(_standard(model, as_of)[0], "cache_write_mtok", None))


def _standard(model: Any, as_of: date | None) -> tuple[Any, str]:
    """The price object a request pays on ``as_of`` at standard hours, and the time-of-day
    tier in words (empty when the price does not depend on the time)."""
    day = as_of or _FAR_FUTURE
    windows = _time_windows(model, day)
    tier = ""
    if windows:
        first = windows[0]
        prices = model.get_prices(_at(day, first.start_time))
        off = _off_peak(model, day)
        tier = (f"standard hours UTC {_hhmm(first.start_time)}-{_hhmm(first.end_time)}"
                + ("" if len(windows) == 1 else
                   " (and " + ", ".join(f"{_hhmm(w.start_time)}-{_hhmm(w.end_time)}"
                                        for w in windows[1:]) + ")")
                + f"; the off-peak rate ({_base(getattr(off, 'input_mtok', None)):g} in / "
                  f"{_base(getattr(off, 'output_mtok', None)) or 0:g} out) is not used")
    elif isinstance(model.prices, list):
        prices = _off_peak(model, day)  # no window that day: the dated price
    else:
        prices = model.prices
    return prices, tier


def is_time_based(model: Any) -> bool:
    """True if the model's price depends on the time of day."""
    return bool(_time_windows(model))
