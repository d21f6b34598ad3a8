"""The sign budget counts each request when the sign server may have heard it (issue 29):
in flight as now, answered as when the answer came, unanswered as up to the client's timeout
after it was sent; and so across a restart. Pure: a fake clock, no server."""

from __future__ import annotations

import json
from typing import Any

import pytest

from livetrigger.settings import SignBudget
from livetrigger.webcast.retry import SignQuota

ONE_A_MINUTE = SignBudget(per_minute=1, per_hour=100, per_day=1000)
WALL = 1_700_000_000.0  # the epoch time at monotonic 0 in these tests


def quota(budget: SignBudget = ONE_A_MINUTE, bound: float = 10.0) -> SignQuota:
    return SignQuota(budget, in_flight_bound=bound)


def carried(q: SignQuota, now: float, later: float) -> SignQuota:
    """The quota a next process has at ``later`` (same clocks), after ``q`` saved at ``now``."""
    data: dict[str, Any] = json.loads(json.dumps(q.snapshot(now, WALL + now)))
    fresh = quota(q.budget, q.in_flight_bound)
    fresh.restore(data, later, WALL + later)
    return fresh


def test_an_answer_that_came_late_counts_from_the_answer() -> None:
    q = quota()
    ticket = q.begin(0.0)
    q.answered(ticket, 4.0)  # a slow uplink: the server may have heard it at 3.9 s
    assert q.next_allowed(5.0) == 64.0


def test_a_request_in_flight_counts_as_now() -> None:
    q = quota(SignBudget(per_minute=2, per_hour=100, per_day=1000))
    q.begin(0.0)
    assert q.allowed(0.0)  # one of two
    q.begin(0.1)  # a second room, while the first waits for its answer
    assert q.next_allowed(30.0) == 90.0  # both may yet be heard at any moment
    assert q.left_today(30.0) == 998


def test_an_unanswered_request_counts_until_the_clients_timeout() -> None:
    q = quota(bound=10.0)
    q.unanswered(q.begin(0.0), 1.0)  # connection reset after 1 s: it may still arrive
    assert q.next_allowed(2.0) == 70.0
    late = q.begin(100.0)
    q.unanswered(late, 125.0)  # given up later than the bound: then
    assert q.next_allowed(126.0) == 185.0


def test_requests_of_several_rooms_settle_in_any_order() -> None:
    q = quota(SignBudget(per_minute=2, per_hour=100, per_day=1000))
    first, second = q.begin(0.0), q.begin(1.0)
    q.answered(second, 2.0)
    q.answered(first, 5.0)
    assert q.next_allowed(6.0) == 62.0  # the earlier answer leaves the window first
    assert q.used == 2


def test_an_answered_request_carries_over_a_restart_unchanged() -> None:
    q = quota()
    q.answered(q.begin(0.0), 0.0015)
    after = carried(q, 1.0, 3.0)
    # saved rounded up to the millisecond: never earlier after a restart
    assert after.next_allowed(3.0) == pytest.approx(60.002)
    assert after.next_allowed(3.0) >= 60.0015
    assert after.used == 1


def test_a_request_in_flight_at_a_sigkill_counts_as_unanswered_in_the_next_process() -> None:
    q = quota(bound=10.0)
    q.begin(0.0)  # written ahead, then the process died with no answer
    after = carried(q, 0.0, 2.0)  # restarted two seconds later
    assert after.next_allowed(2.0) == pytest.approx(70.0)  # heard at 10 s at the latest


def test_a_restart_loop_keeps_a_time_that_lies_ahead() -> None:
    q = quota(bound=10.0)
    q.begin(0.0)
    after = carried(q, 0.0, 1.0)  # counted at 10 s: ahead of this process's now
    again = carried(after, 1.5, 2.0)  # and a restart later, still at 10 s, not at 2 s
    assert again.next_allowed(2.0) == pytest.approx(70.0)


def test_a_wall_clock_that_went_back_waits_at_most_the_bound_longer() -> None:
    q = quota(bound=10.0)
    q.answered(q.begin(0.0), 0.0)
    data = q.snapshot(0.0, WALL + 3600)  # saved an hour "later" than the next start's clock
    after = quota(bound=10.0)
    after.restore(data, 0.0, WALL)
    assert after.next_allowed(0.0) == pytest.approx(70.0)


def test_a_file_without_in_flight_requests_still_restores() -> None:
    after = quota()
    after.restore({"version": 1, "times": [WALL - 30.0]}, 100.0, WALL)
    assert after.next_allowed(100.0) == pytest.approx(130.0)
