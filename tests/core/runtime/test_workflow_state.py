"""A run's bookkeeping: which agents a completion makes ready."""

from __future__ import annotations

from axo_tui.core.runtime.lattice import NodeState, WorkflowRunState


def diamond() -> WorkflowRunState:
    deps = {"a": (), "b": ("a",), "c": ("a",), "d": ("b", "c")}
    return WorkflowRunState(("a", "b", "c", "d"), deps)


def test_a_completion_readies_only_its_dependents_whose_inputs_are_all_in() -> None:
    state = diamond()
    assert state.ready() == ["a"]
    state.mark_running("a")
    state.mark_completed("a", "A")
    assert state.ready_after("a") == ["b", "c"]  # declaration order
    state.mark_running("b")
    state.mark_running("c")
    state.mark_completed("b", "B")
    assert state.ready_after("b") == []  # d still waits for c
    state.mark_failed("c", "boom")
    assert state.ready_after("c") == ["d"]  # a failure finishes c too: d decides to skip or run
    assert state.failed_upstream("d") == ["c"]


def test_a_state_rebuilt_by_resume_answers_from_its_restored_states() -> None:
    state = diamond()
    state.states["a"] = NodeState.COMPLETED  # as resume restores them, after construction
    state.states["b"] = NodeState.COMPLETED
    assert state.ready() == ["c"]
    assert state.is_ready("c") and not state.is_ready("d")
    state.mark_running("c")
    state.mark_completed("c", "C")
    assert state.ready_after("c") == ["d"]


def test_a_join_becomes_ready_with_its_last_branch_whatever_the_order() -> None:
    branches = tuple(f"w{i}" for i in range(50))
    deps: dict[str, tuple[str, ...]] = {"root": (), "join": branches}
    deps.update(dict.fromkeys(branches, ("root",)))
    state = WorkflowRunState(("root", *branches, "join"), deps)
    state.mark_running("root")
    state.mark_completed("root", "")
    assert state.ready_after("root") == list(branches)
    for branch in reversed(branches[1:]):
        state.mark_running(branch)
        state.mark_completed(branch, "")
        assert state.ready_after(branch) == []
    state.mark_running("w0")
    state.mark_skipped("w0", "skipped")  # a skip finishes a branch too
    state.mark_failed("w0", "counted once")  # a second mark does not count twice
    assert state.ready_after("w0") == ["join"]
