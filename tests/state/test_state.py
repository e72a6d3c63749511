"""The same behaviour from both backends: SQLite (a file) and a real redis-server."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from state import State, StateError, open_state
from state.sqlite import SqliteState
from testing.clock import FakeClock


@pytest.fixture(params=["sqlite", "redis"])
def st(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[State]:
    if request.param == "redis":
        url = request.getfixturevalue("redis_url")
        store = open_state(redis_url=url)
    else:
        store = open_state(path=tmp_path / "state.db")
    yield store
    store.close()


def test_values_round_trip_as_json(st: State) -> None:
    assert st.get("chats", "42") is None
    st.put("chats", "42", {"conversation": "conv_1", "lang": "ru"})
    assert st.get("chats", "42") == {"conversation": "conv_1", "lang": "ru"}
    st.put("chats", "42", {"conversation": "conv_2"})
    assert st.get("chats", "42") == {"conversation": "conv_2"}
    st.delete("chats", "42")
    assert st.get("chats", "42") is None


def test_namespaces_do_not_collide(st: State) -> None:
    st.put("a", "k", 1)
    st.put("b", "k", 2)
    assert (st.get("a", "k"), st.get("b", "k")) == (1, 2)


def test_put_new_only_when_absent(st: State) -> None:
    assert st.put_new("updates", "1001", True) is True
    assert st.put_new("updates", "1001", True) is False
    assert st.put_new("updates", "1002", True) is True


def test_incr_counts_from_zero(st: State) -> None:
    assert st.incr("tokens", "conv_1", by=120) == 120
    assert st.incr("tokens", "conv_1", by=30) == 150
    assert st.incr("tokens", "conv_2") == 1


def test_advance_refuses_a_turn_behind_the_stored_one(st: State) -> None:
    assert st.advance("turns", "conv_1", seen=1) is True  # stored: 2
    assert st.advance("turns", "conv_1", seen=2) is True  # stored: 3
    assert st.advance("turns", "conv_1", seen=1) is False  # the first token, replayed
    assert st.advance("turns", "conv_1", seen=2) is False  # the second, replayed
    assert st.advance("turns", "conv_1", seen=3) is True


def test_advance_lets_one_of_two_racing_requests_through(st: State) -> None:
    results: list[bool] = []
    barrier = threading.Barrier(8)

    def claim() -> None:
        barrier.wait()
        results.append(st.advance("turns", "conv_race", seen=5))

    threads = [threading.Thread(target=claim) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # advance stores seen + 1, so after the first claim the same token is behind.
    assert sorted(results) == [False] * 7 + [True]


def test_lists_number_their_items_from_one(st: State) -> None:
    assert st.since("handoff", "conv_1", 0) == []
    assert st.append("handoff", "conv_1", {"text": "hello"}) == 1
    assert st.append("handoff", "conv_1", {"text": "how can I help?"}) == 2
    assert st.append("handoff", "conv_1", {"text": "bye"}) == 3
    assert st.since("handoff", "conv_1", 1) == [
        (2, {"text": "how can I help?"}),
        (3, {"text": "bye"}),
    ]
    assert st.since("handoff", "conv_1", 3) == []
    st.delete("handoff", "conv_1")
    assert st.since("handoff", "conv_1", 0) == []


def test_sqlite_keys_expire_on_the_clock(tmp_path: Path) -> None:
    clock = FakeClock(1_000_000.0)
    st = SqliteState(tmp_path / "state.db", clock=clock)
    st.put("chats", "1", "x", ttl=60)
    st.append("handoff", "c", "m", ttl=60)
    assert st.put_new("updates", "9", True, ttl=60) is True
    clock.now += 59
    assert st.get("chats", "1") == "x"
    assert st.put_new("updates", "9", True, ttl=60) is False
    clock.now += 2
    assert st.get("chats", "1") is None
    assert st.since("handoff", "c", 0) == []
    assert st.put_new("updates", "9", True, ttl=60) is True
    st.close()


def test_redis_keys_expire(redis_url: str) -> None:
    st = open_state(redis_url=redis_url)
    st.put("chats", "1", "x", ttl=60)
    assert st.get("chats", "1") == "x"
    st.close()
    # Expiry itself is Redis's (PX); checking the key carries a TTL is enough here.
    import redis

    client = redis.Redis.from_url(redis_url)
    assert 50_000 < client.pttl("kbsync:chats:1") <= 60_000  # milliseconds left
    client.close()


def test_sqlite_is_in_wal_mode_with_full_sync(tmp_path: Path) -> None:
    st = SqliteState(tmp_path / "state.db")
    conn = st._conn
    assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert conn.execute("PRAGMA synchronous").fetchone() == (2,)  # FULL
    st.close()


def test_environment_chooses_the_backend(tmp_path: Path) -> None:
    st = open_state(env={"STATE_DB": str(tmp_path / "x" / "s.db")})
    assert isinstance(st, SqliteState)
    assert st.path == tmp_path / "x" / "s.db"
    st.close()


def test_unreachable_redis_is_one_sentence() -> None:
    with pytest.raises(StateError, match="REDIS_URL cannot be reached"):
        open_state(redis_url="redis://127.0.0.1:9/0")


def test_unwritable_path_is_one_sentence(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(StateError, match="set STATE_DB to a writable file path"):
        open_state(path=blocker / "state.db")
