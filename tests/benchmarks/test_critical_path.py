"""Where the time to first audio goes: the parts add up to it, and overhead is the time no stage worked."""

from __future__ import annotations

from desktop_assistant.bench.critical_path import median_split, overhead_ms, split_ms


def timings(**marks: float) -> dict[str, float | None]:
    base: dict[str, float | None] = {
        "at_release": 0.0,
        "at_stt_done": None,
        "at_llm_request": None,
        "at_first_chunk_text": None,
        "at_tts_start": None,
        "at_tts_first_audio": None,
    }
    base.update({f"at_{name}": value for name, value in marks.items() if name != "first_audio"})
    base["first_audio"] = marks["first_audio"]
    return base


# Asked at release: 100 ms of transcript, 2 ms to the request, 400 ms to the first chunk, 1 ms to the
# synthesis, 350 ms of it, 5 ms to the device.
AFTER = timings(
    stt_done=100, llm_request=102, first_chunk_text=502, tts_start=503, tts_first_audio=853, first_audio=858
)
# Asked while the key was held: the first chunk was synthesized before the release, kept 3 ms after it.
EARLY = timings(
    stt_done=3, llm_request=-400, first_chunk_text=-10, tts_start=-9, tts_first_audio=330, first_audio=334
)


def test_the_parts_add_up_to_the_time_to_first_audio() -> None:
    assert split_ms(AFTER) == {"stt": 100.0, "llm": 402.0, "tts": 351.0, "output": 5.0}
    # Before the release the model had already answered; its synthesis was still running.
    assert split_ms(EARLY) == {"stt": 3.0, "llm": 0.0, "tts": 327.0, "output": 4.0}
    for case in (AFTER, EARLY):
        assert sum(split_ms(case).values()) == case["first_audio"]


def test_overhead_is_the_time_no_stage_on_the_chain_was_working() -> None:
    assert overhead_ms(AFTER) == 2.0 + 1.0 + 5.0
    assert overhead_ms(EARLY) == 4.0  # the synthesis covered the release and the keeping
    assert median_split([AFTER, EARLY, AFTER]) == split_ms(AFTER)
