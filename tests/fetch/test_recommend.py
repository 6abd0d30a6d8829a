"""The recommended downloads follow the machine, and the catalog a mirror provides."""

from desktop_assistant.fetch.catalog import load_catalog, parse_catalog
from desktop_assistant.fetch.recommend import recommended_entries, recommended_whisper


def test_small_en_needs_four_cores_and_8_gb():
    assert recommended_whisper(cores=2, memory=24_000_000_000) == "whisper-base.en"
    assert recommended_whisper(cores=8, memory=4_000_000_000) == "whisper-base.en"
    assert recommended_whisper(cores=4, memory=8_000_000_000) == "whisper-small.en"


def test_the_packaged_catalog_recommends_whisper_kokoro_fp32_and_all_voices(monkeypatch):
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    names = [e.name for e in recommended_entries(load_catalog())]
    assert names == ["whisper-base.en", "kokoro-v1.0", "kokoro-voices-v1.0"]


def test_a_catalog_without_the_recommended_whisper_offers_its_own():
    files = [{"name": "f", "size": 1, "sha256": "0" * 64, "url": "https://x/f"}]
    catalog = parse_catalog(
        {
            "whisper": [
                {
                    "name": "whisper-tiny.en",
                    "title": "t",
                    "install_as": "tiny.en",
                    "repo": "r",
                    "revision": "v",
                    "files": files,
                }
            ],
            "kokoro": [
                {"name": "kokoro-v1.0", "title": "k", "kind": "model", "files": files},
                {"name": "kokoro-voices-v1.0", "title": "v", "kind": "voices", "files": files},
            ],
        }
    )
    assert [e.name for e in recommended_entries(catalog)] == [
        "whisper-tiny.en",
        "kokoro-v1.0",
        "kokoro-voices-v1.0",
    ]


def test_a_catalog_without_the_recommended_kokoro_offers_its_own():
    files = [{"name": "f", "size": 1, "sha256": "0" * 64, "url": "https://x/f"}]
    whisper = {"name": "w", "title": "t", "install_as": "w", "repo": "r", "revision": "v", "files": files}
    catalog = parse_catalog(
        {
            "whisper": [whisper],
            "kokoro": [
                {"name": "kokoro-v1.0-int8", "title": "k", "kind": "model", "files": files},
                {"name": "voices-en", "title": "v", "kind": "voices", "files": files},
            ],
        }
    )
    assert [e.name for e in recommended_entries(catalog)] == ["w", "kokoro-v1.0-int8", "voices-en"]
