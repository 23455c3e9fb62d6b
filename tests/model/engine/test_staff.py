"""Staff pools whose capacity really changes, and caseload slots."""

from __future__ import annotations

from model.engine.clock import Clock
from model.engine.staff import CaseloadSlots, StaffPool, Task, server_weights


def _pool(env, fte, log):
    pool = StaffPool(
        env,
        hours_per_day=24.0,
        on_start=lambda o, now: None,
        on_finish=lambda t, now: log.append(t),
    )
    pool.set_fte(fte)
    return pool


def test_server_weights_split_whole_and_part_timers() -> None:
    assert server_weights(3) == [1.0, 1.0, 1.0]
    assert server_weights(2.5) == [1.0, 1.0, 0.5]
    assert server_weights(0) == []
    assert server_weights(0.3 + 0.7) == [1.0]


def test_tasks_run_in_parallel_up_to_fte_and_queue_by_key() -> None:
    env = Clock()
    finished = []
    pool = _pool(env, 2, finished)
    tasks = [Task(h, name) for h, name in zip([24.0, 48.0, 24.0, 24.0], "abcd", strict=True)]
    for key, task in zip([(0, 2), (0, 2), (0, 2), (0, 0)], tasks, strict=True):
        pool.request(task, *key)
    env.run()
    started = {t.owner: t.started for t in tasks}
    assert started["a"] == started["b"] == 0.0
    assert started["d"] == 1.0  # the first free server takes the high-priority task
    assert started["c"] == 2.0
    assert env.now == 3.0


def test_joiner_takes_queued_work_and_leaver_finishes_task_first() -> None:
    env = Clock()
    finished = []
    pool = _pool(env, 1, finished)
    done = []
    tasks = [Task(48.0, i, done.append) for i in range(3)]
    for task in tasks:
        pool.request(task, 0, 0)
    env.timeout(0.5).callbacks.append(lambda e: pool.set_fte(2))  # a joiner
    env.timeout(1.0).callbacks.append(lambda e: pool.set_fte(1))  # someone leaves
    env.run()
    assert tasks[0].started == 0.0
    assert tasks[1].started == 0.5  # the joiner starts at once
    # The leaver (idle people go first, then busy ones finish their task) never abandons work:
    assert done == tasks
    assert pool.on_duty_fte == 1.0
    busy, duty = pool.areas()
    assert busy == 6.0  # three 2-day tasks
    assert 0 < busy <= duty


def test_fractional_fte_works_at_that_fraction() -> None:
    env = Clock()
    pool = _pool(env, 0.5, [])
    task = Task(24.0, "x")
    pool.request(task, 0, 0)
    env.run()
    assert env.now == 2.0


def test_caseload_slots_follow_fte_and_existing_cases_keep_theirs() -> None:
    env = Clock()
    slots = CaseloadSlots(env, cap_per_fte=2)
    slots.set_fte(1.5)
    assert slots.capacity == 3
    granted = []
    for i in range(5):
        slots.acquire(granted.append, i, 0, i)
    env.run()
    assert granted == [0, 1, 2]
    slots.set_fte(0.5)  # capacity 1: nobody is evicted
    assert slots.in_use == 3
    slots.release()
    slots.release()
    env.run()
    assert granted == [0, 1, 2]  # 1 in use = capacity
    slots.set_fte(2)
    env.run()
    assert granted == [0, 1, 2, 3, 4]
