"""Lockouts after failed logins, on a clock the test moves."""

import pytest

from assistant.access.tables import SqliteTable
from assistant.access.throttle import Throttle
from assistant.core.settings import AccessSettings


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def throttle(tmp_path, clock):
    settings = AccessSettings(max_failures=3, max_failures_per_address=5, lockout_seconds=60,
                              window_seconds=600)
    return Throttle(SqliteTable(tmp_path / "users.sqlite", "lockouts"), settings, clock)


def attempt(throttle, name, address, ok):
    keys = throttle.keys(name, address)
    wait, started = throttle.begin(keys)
    if wait:
        return wait
    throttle.end(keys, started, ok)
    return 0.0


def test_failures_lock_the_name_for_the_lockout_even_with_the_right_password(throttle, clock):
    assert [attempt(throttle, "alice", "10.0.0.1", False) for _ in range(3)] == [0, 0, 0]
    assert attempt(throttle, "ALICE", "10.0.0.2", True) == 60  # another machine, right password
    assert attempt(throttle, "bob", "10.0.0.2", True) == 0
    clock.now += 61
    assert attempt(throttle, "alice", "10.0.0.1", True) == 0


def test_an_address_trying_many_names_is_locked(throttle):
    for i in range(5):
        assert attempt(throttle, f"user{i}", "10.0.0.9", False) == 0
    assert attempt(throttle, "bob", "10.0.0.9", True) > 0
    assert attempt(throttle, "bob", "10.0.0.8", True) == 0


def test_a_success_clears_the_name_but_not_the_address(throttle):
    for _ in range(2):
        attempt(throttle, "alice", "10.0.0.1", False)
    attempt(throttle, "alice", "10.0.0.1", True)
    for _ in range(2):
        assert attempt(throttle, "alice", "10.0.0.1", False) == 0  # counting from zero again
    assert attempt(throttle, "carol", "10.0.0.1", False) == 0  # the address: 5th failure
    assert attempt(throttle, "carol", "10.0.0.1", True) > 0


def test_old_failures_age_out_of_the_window(throttle, clock):
    for _ in range(2):
        attempt(throttle, "alice", "10.0.0.1", False)
    clock.now += 601
    attempt(throttle, "alice", "10.0.0.1", False)
    assert attempt(throttle, "alice", "10.0.0.1", True) == 0


def test_attempts_in_flight_count_before_they_fail(throttle):
    keys = throttle.keys("alice", "10.0.0.1")
    started = [throttle.begin(keys) for _ in range(4)]  # four passwords checked at once
    assert [wait for wait, _ in started] == [0, 0, 0, 1.0]


def test_unlock_lifts_a_lockout(throttle):
    for _ in range(3):
        attempt(throttle, "alice", "10.0.0.1", False)
    assert throttle.unlock("Alice")
    assert attempt(throttle, "alice", "10.0.0.3", True) == 0
