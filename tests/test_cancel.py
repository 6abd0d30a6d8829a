"""``CancelToken``: an event whose hooks run once, on the thread that sets it."""

from __future__ import annotations

import threading

from desktop_assistant.cancel import CancelToken


def test_a_hook_runs_once_on_the_setting_thread_while_its_block_runs() -> None:
    token = CancelToken()
    ran: list[str] = []
    with token.hooked(lambda: ran.append(threading.current_thread().name)):
        assert ran == []
        setter = threading.Thread(target=token.set, name="setter")
        setter.start()
        setter.join()
        token.set()  # a second set runs nothing again
    assert token.is_set()
    assert ran == ["setter"]


def test_a_hook_on_a_token_already_set_runs_at_once() -> None:
    token = CancelToken()
    token.set()
    ran: list[int] = []
    with token.hooked(lambda: ran.append(1)):
        assert ran == [1]
    assert ran == [1]


def test_a_hook_whose_block_has_ended_never_runs() -> None:
    token = CancelToken()
    ran: list[int] = []
    with token.hooked(lambda: ran.append(1)):
        pass
    token.set()
    assert ran == []
